"""What the customer and staff are shown: attempts, history pages, receipts, tasks - read
from committed rows (after a write's commit, so a replay shows the current state)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.orders import api as orders
from chalicelib.platform.db import Database
from chalicelib.platform.keyset import Position

from . import bank_transfer, states
from . import history_repository as hrepo
from . import repository as repo
from .errors import AttemptNotFound, TaskNotFound

if TYPE_CHECKING:
    from chalicelib.platform.context import Tenant


def _own_attempt(db: Database, tenant_id: int, user_id: int, attempt_id: int) -> dict[str, Any]:
    row = repo.get_attempt(db.session(), tenant_id, attempt_id)
    if row is None or row["user_id"] != user_id:
        raise AttemptNotFound()
    return row


def transfer(db: Database, tenant: Tenant, user_id: int, attempt_id: int) -> dict[str, Any]:
    """A bank transfer as its customer sees it: with the shop's accounts to send it to."""
    row = _own_attempt(db, tenant.id, user_id, attempt_id)
    return {**row, "attempt_id": row["id"], "bank_accounts": bank_transfer.bank_accounts(tenant)}


def receipt(db: Database, tenant_id: int, user_id: int, attempt_id: int) -> dict[str, Any]:
    row = _own_attempt(db, tenant_id, user_id, attempt_id)
    return {**row, "method": states.METHOD_OF_FLOW[row["flow"]]}


def _page(rows: list[dict[str, Any]], limit: int, keyset: Any) -> dict[str, Any]:
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": keyset.encode_row(rows[-1]) if more and rows else None}


def history(db: Database, tenant_id: int, user_id: int, filters: hrepo.HistoryFilters, after: Position | None,
            limit: int) -> dict[str, Any]:
    rows = hrepo.history(db.session(), tenant_id, user_id, filters, after, limit + 1)
    page = _page(rows, limit, hrepo.HISTORY)
    page["items"] = [{**r, "completed_at": r["decided_at"]} for r in page["items"]]
    return page


def admin_list(db: Database, tenant_id: int, filters: hrepo.AdminFilters, after: Position | None,
               limit: int) -> dict[str, Any]:
    rows = hrepo.attempts(db.session(), tenant_id, filters, after, limit + 1)
    page = _page(rows, limit, hrepo.ADMIN)
    page["items"] = [{**r, "method": states.METHOD_OF_FLOW[r["flow"]]} for r in page["items"]]
    return page


def admin_detail(db: Database, tenant_id: int, attempt_id: int) -> dict[str, Any]:
    """One attempt with the basket lines sent and the money taken for its order (orders.api)."""
    session = db.session()
    row = repo.get_attempt(session, tenant_id, attempt_id)
    if row is None:
        raise AttemptNotFound()
    order_payments: list[dict[str, Any]] = []
    if row["order_id"] is not None:
        order_payments = orders.get_order(session, tenant_id, int(row["order_id"]))["payments"]
    return {**row, "method": states.METHOD_OF_FLOW[row["flow"]], "items": repo.attempt_items(session, tenant_id,
                                                                                              attempt_id),
            "order_payments": order_payments}


def tasks(db: Database, tenant_id: int, statuses: list[str], after: Position | None, limit: int) -> dict[str, Any]:
    return _page(hrepo.tasks(db.session(), tenant_id, statuses, after, limit + 1), limit, hrepo.TASKS)


def task(db: Database, tenant_id: int, task_id: int) -> dict[str, Any]:
    row = repo.get_task(db.session(), tenant_id, task_id)
    if row is None:
        raise TaskNotFound()
    return row
