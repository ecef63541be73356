"""SQL of the admin order panel: the filtered list, the status counts, the cancellations
queue and the staff-only columns of one order; and the returned quantities staff book in when
a return's parcel arrives (orders.api.book_returned).  Every statement names the tenant.

Which index gives the page's ids (EXPLAIN at 10k orders, checked in tests/e2e/test_orders_admin.py):

    no filter, newest / oldest         ix_created          (tenant_id, created_at)     index order, no sort
    status (one)                       ix_status_created   (tenant_id, status, created_at)
    payment_method                     ix_payment_method   (tenant_id, payment_method, created_at)
    customer_id                        ix_user             (tenant_id, user_id, created_at)
    customer_email / q with '@'        ix_email            (tenant_id, contact_email)  prefix range
    q order number (from S + yymm)     ux_order_number     (tenant_id, order_number)   prefix range, forced
    q name                             users.ix_name, then ix_user per matching customer
    min_total / max_total, amount sort ix_grand_total      (tenant_id, grand_total)
    summary                            ix_status_created   covering (index only)
    queue: refund_pending / expiring   ix_status_created / ix_status_reserved

payment_status and source have no index of their own: they filter the rows read in the sort's
index order, which stops at the page's end (at 10k orders, payment_status=refund_pending,
~3 % of the orders, filled a page in ~3 ms); with a status, dates or a customer they narrow
that index's range instead.

Writes by id name the primary key (FORCE INDEX (PRIMARY)); see repository.py.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pymysql

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import BY_ID, marks

ROW_COLUMNS = """o.id, o.order_number, o.status, o.payment_status, o.payment_method, o.source, o.currency,
    o.grand_total, o.user_id AS customer_id, o.contact_email AS customer_email,
    JSON_UNQUOTE(JSON_EXTRACT(o.billing_address, '$.first_name')) AS billing_first_name,
    JSON_UNQUOTE(JSON_EXTRACT(o.billing_address, '$.last_name')) AS billing_last_name,
    o.placed_at, o.created_at, o.reserved_until, o.cancelled_at, o.cancel_reason,
    (SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i
      WHERE i.tenant_id = o.tenant_id AND i.order_id = o.id) AS item_count"""

# What a cancelled order still owes its customer: refunds asked for, not yet confirmed.
REFUND_REQUESTED = """(SELECT COALESCE(SUM(r.amount), 0) FROM payments p
                         JOIN payment_refunds r ON r.tenant_id = p.tenant_id AND r.payment_id = p.id
                        WHERE p.tenant_id = o.tenant_id AND p.order_id = o.id AND r.status = 'requested')"""


# Sorts of the lists (platform/keyset.py): one key column plus the order id, both in one
# direction - exactly the order of the index the list reads ((tenant_id, created_at) and
# (tenant_id, grand_total) carry the primary key as their last part in InnoDB).
SORTS: dict[str, Keyset] = {
    "newest": Keyset("newest", ("o.created_at",), (dt.datetime,), "o.id"),
    "oldest": Keyset("oldest", ("o.created_at",), (dt.datetime,), "o.id", descending=False),
    "amount_desc": Keyset("amount_desc", ("o.grand_total",), (Decimal,), "o.id"),
    "amount_asc": Keyset("amount_asc", ("o.grand_total",), (Decimal,), "o.id", descending=False),
    # the cancellations queue: refunds waiting longest first, holds running out soonest first
    "refund_pending": Keyset("refund_pending", ("o.created_at",), (dt.datetime,), "o.id", descending=False),
    "expiring": Keyset("expiring", ("o.reserved_until",), (dt.datetime,), "o.id", descending=False),
}


@dataclass
class Filters:
    statuses: Sequence[str] = ()
    payment_statuses: Sequence[str] = ()
    payment_method: str | None = None
    placed_from: dt.datetime | None = None  # inclusive, UTC
    placed_to: dt.datetime | None = None  # exclusive, UTC
    customer_id: int | None = None
    customer_email: str | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    source: str | None = None
    number_prefix: str | None = None
    email_prefix: str | None = None
    name_words: Sequence[str] = field(default_factory=tuple)


def like_prefix(text: str) -> str:
    """`text%` with LIKE's wildcards in `text` taken literally (default escape character \\)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(tenant_id: int, f: Filters) -> tuple[list[str], list[Any]]:
    where: list[str] = ["o.tenant_id = %s"]
    params: list[Any] = [tenant_id]

    def add(sql: str, *values: Any) -> None:
        where.append(sql)
        params.extend(values)

    if f.statuses:
        add(f"o.status IN ({marks(f.statuses)})", *f.statuses)
    if f.payment_statuses:
        add(f"o.payment_status IN ({marks(f.payment_statuses)})", *f.payment_statuses)
    if f.payment_method is not None:
        add("o.payment_method = %s", f.payment_method)
    # Orders are placed when they are created (placed_at and created_at are set by the same
    # INSERT); the indexes carry created_at, so the date range reads it.
    if f.placed_from is not None:
        add("o.created_at >= %s", f.placed_from)
    if f.placed_to is not None:
        add("o.created_at < %s", f.placed_to)
    if f.customer_id is not None:
        add("o.user_id = %s", f.customer_id)
    if f.customer_email is not None:
        add("o.contact_email = %s", f.customer_email)
    if f.min_total is not None:
        add("o.grand_total >= %s", f.min_total)
    if f.max_total is not None:
        add("o.grand_total <= %s", f.max_total)
    if f.source is not None:
        add("o.source = %s", f.source)
    if f.number_prefix is not None:
        add("o.order_number LIKE %s", like_prefix(f.number_prefix))
    if f.email_prefix is not None:
        add("o.contact_email LIKE %s", like_prefix(f.email_prefix))
    if f.name_words:
        # Every word starts the first or the last name (users.ix_name covers both columns).
        words = " AND ".join(["(u.first_name LIKE %s OR u.last_name LIKE %s)"] * len(f.name_words))
        add(f"o.user_id IN (SELECT u.id FROM users u WHERE u.tenant_id = %s AND {words})",
            tenant_id, *[like_prefix(w) for w in f.name_words for _ in (0, 1)])
    return where, params


def list_statement(tenant_id: int, filters: Filters, *, sort: str, after: Position | None,
                   limit: int) -> tuple[str, list[Any]]:
    """The page in two steps in one statement: the inner query picks the page's ids (filters,
    order, limit: the part an index answers), the outer one computes the shown columns (billing
    name from JSON, item count) for those rows only.  Where the plan has to sort candidates
    (a name search reads users first; an e-mail or number prefix reads by that index) this
    keeps the sort to ids: at 10k orders a one-word name search went from ~12-16 ms to ~4-5 ms,
    for ~1.5 ms more on the plans that read in index order."""
    where, params = _where(tenant_id, filters)
    tail, values = SORTS[sort].page(where, params, after, limit)
    return (f"""SELECT {ROW_COLUMNS}
                  FROM (SELECT o.id FROM orders o {_hint(filters)} {tail}) AS page
                  JOIN orders o ON o.tenant_id = %s AND o.id = page.id
                 ORDER BY {SORTS[sort].order_by()}""", [*values, tenant_id])


# "S2403" (a month of orders): the optimiser walks ix_created newest first hoping to meet 21
# matches soon, but the number's date part *is* the creation date, so for an older month it
# reads every newer order first (~15 ms at 10k orders, linear in the tenant's size).  From
# S + yymm on, the number index bounds the read to that month (or day) and sorts those ids.
NUMBER_INDEX_FROM = len("S2403")


def _hint(filters: Filters) -> str:
    if filters.number_prefix is not None and len(filters.number_prefix) >= NUMBER_INDEX_FROM:
        return "FORCE INDEX (ux_order_number)"
    return ""


def list_orders(session: Session, tenant_id: int, filters: Filters, *, sort: str, after: Position | None,
                limit: int) -> list[dict[str, Any]]:
    sql, params = list_statement(tenant_id, filters, sort=sort, after=after, limit=limit)
    return session.all(sql, params)


# One pass over the tenant's part of ix_status_created, index only.
STATUS_COUNTS = "SELECT status, COUNT(*) AS n FROM orders WHERE tenant_id = %s GROUP BY status"


def status_counts(session: Session, tenant_id: int) -> dict[str, int]:
    rows = session.all(STATUS_COUNTS, (tenant_id,))
    return {r["status"]: int(r["n"]) for r in rows}


# -- the cancellations queue ----------------------------------------------------------------------
_QUEUES = {
    "refund_pending": ("o.status = 'cancelled' AND o.payment_status = 'refund_pending'", False),
    "expiring": ("o.status = 'pending_payment' AND o.reserved_until < %s", True),
}


def queue(session: Session, tenant_id: int, kind: str, *, until: dt.datetime, after: Position | None,
          limit: int) -> list[dict[str, Any]]:
    condition, takes_until = _QUEUES[kind]
    tail, params = SORTS[kind].page([f"o.tenant_id = %s AND {condition}"],
                                    [tenant_id, *([until] if takes_until else [])], after, limit)
    return session.all(f"SELECT {ROW_COLUMNS}, {REFUND_REQUESTED} AS refund_requested FROM orders o {tail}", params)


def queue_counts(session: Session, tenant_id: int, *, until: dt.datetime) -> dict[str, int]:
    row = session.one(
        f"""SELECT (SELECT COUNT(*) FROM orders o WHERE o.tenant_id = %s AND {_QUEUES['refund_pending'][0]})
                     AS refund_pending,
                   (SELECT COUNT(*) FROM orders o WHERE o.tenant_id = %s AND {_QUEUES['expiring'][0]}) AS expiring""",
        (tenant_id, tenant_id, until))
    assert row is not None
    return {k: int(v) for k, v in row.items()}


# -- one order: what only staff sees --------------------------------------------------------------
def staff_columns(session: Session, tenant_id: int, order_id: int) -> dict[str, Any] | None:
    return session.one("""SELECT admin_note, ip, user_agent, external_order_id FROM orders
                           WHERE tenant_id = %s AND id = %s""", (tenant_id, order_id))


def refunds_of(session: Session, tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    return session.all("""SELECT r.id, r.payment_id, r.return_id, r.amount, r.currency, r.status, r.reason,
                                 r.provider_refund_id, r.requested_by, r.created_at, r.updated_at
                            FROM payments p
                            JOIN payment_refunds r ON r.tenant_id = p.tenant_id AND r.payment_id = p.id
                           WHERE p.tenant_id = %s AND p.order_id = %s ORDER BY r.id""", (tenant_id, order_id))


def customer(session: Session, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    """The account behind the order (read-only use of accounts' users table, as
    repository.user_contact does: this Lambda should not load the accounts area)."""
    return session.one("SELECT id, email, first_name, last_name FROM users WHERE tenant_id = %s AND id = %s",
                       (tenant_id, user_id))


STATE_COLUMNS = ("status", "payment_status", "payment_method", "paid_total", "refunded_total", "version")


def state(session: Session, tenant_id: int, order_id: int) -> dict[str, Any]:
    """The columns an audit row compares, read again inside the writing transaction after the
    change (cancel_locked / record_manual_payment update more than the row they return)."""
    row = session.one(f"SELECT {', '.join(STATE_COLUMNS)} FROM orders {BY_ID} "
                      "WHERE tenant_id = %s AND id = %s", (tenant_id, order_id))
    assert row is not None  # the caller holds the row lock
    return row


def set_note(uow: UnitOfWork, tenant_id: int, order_id: int, note: str | None) -> None:
    uow.execute(f"UPDATE orders {BY_ID} SET admin_note = %s WHERE tenant_id = %s AND id = %s",
                (note, tenant_id, order_id))


# -- a received return: its units booked on the order's lines -------------------------------------
CHECK_VIOLATION = 4025  # MariaDB ER_CONSTRAINT_FAILED (MySQL 8: 3819)
_CHECK_ERRORS = {CHECK_VIOLATION, 3819}


def add_returned(uow: UnitOfWork, tenant_id: int, order_id: int, order_item_id: int, quantity: int) -> bool:
    """order_items.returned_quantity += quantity.  False when the line's
    CHECK (returned_quantity BETWEEN 0 AND quantity) refuses more than was bought."""
    try:
        uow.execute(f"UPDATE order_items {BY_ID} SET returned_quantity = returned_quantity + %s "
                    "WHERE tenant_id = %s AND id = %s AND order_id = %s", (quantity, tenant_id, order_item_id, order_id))
    except pymysql.err.MySQLError as exc:
        if exc.args and exc.args[0] in _CHECK_ERRORS:
            return False
        raise
    return True
