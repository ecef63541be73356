"""SQL of the customer's payment history (Y5) and the admin transaction list (AF).

The history shows the customer's attempts and, beside them, the orders' payments rows that no
attempt of this area made (an order paid from the wallet): one UNION of both, newest first.
`entry_id` is the keyset's tie-breaker across the two tables: attempt ids even, payment ids
odd, so no two rows share one.  `payments` and `orders` are declared read models
(platform/tables.py).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Keyset, Position
from chalicelib.platform.sql import marks

from .repository import ATTEMPT_COLUMNS

HISTORY = Keyset("payment_history", ("h.created_at",), (datetime,), id_column="h.entry_id")
ADMIN = Keyset("admin_payments", ("a.id",), (int,), id_column="a.id")
TASKS = Keyset("payment_tasks", ("t.id",), (int,), id_column="t.id")

_METHOD = "CASE a.flow WHEN 'bank_transfer' THEN 'eft' ELSE 'card' END"
_HISTORY = f"""SELECT h.* FROM (
    SELECT a.id * 2 AS entry_id, 'attempt' AS kind, a.id, a.order_id, o.order_number, {_METHOD} AS method,
           a.flow, a.provider, a.status, a.amount, a.currency, a.card_last4, a.reference_code, a.bank_reference,
           a.created_at, a.decided_at, a.expires_at
      FROM payment_attempts a FORCE INDEX (ix_user)
      LEFT JOIN orders o ON o.tenant_id = a.tenant_id AND o.id = a.order_id
     WHERE a.tenant_id = %s AND a.user_id = %s
    UNION ALL
    SELECT p.id * 2 + 1, 'payment', p.id, p.order_id, o.order_number, p.method, NULL, p.provider, p.status,
           p.amount, p.currency, p.card_last4, NULL, NULL, p.created_at, p.paid_at, NULL
      FROM payments p FORCE INDEX (ix_user)
      LEFT JOIN orders o ON o.tenant_id = p.tenant_id AND o.id = p.order_id
     WHERE p.tenant_id = %s AND p.user_id = %s
       AND NOT EXISTS (SELECT 1 FROM payment_attempts x FORCE INDEX (ix_payment)
                        WHERE x.tenant_id = p.tenant_id AND x.payment_id = p.id)
) h"""


@dataclass(frozen=True)
class HistoryFilters:
    statuses: Sequence[str] = ()
    methods: Sequence[str] = ()
    created_from: datetime | None = None
    created_before: datetime | None = None


def history(session: Session, tenant_id: int, user_id: int, f: HistoryFilters, after: Position | None,
            limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if f.statuses:
        where.append(f"h.status IN ({marks(f.statuses)})")
        params += f.statuses
    if f.methods:
        where.append(f"h.method IN ({marks(f.methods)})")
        params += f.methods
    if f.created_from is not None:
        where.append("h.created_at >= %s")
        params.append(f.created_from)
    if f.created_before is not None:
        where.append("h.created_at < %s")
        params.append(f.created_before)
    tail, values = HISTORY.page(where, params, after, limit)
    return session.all(f"{_HISTORY} {tail}", [tenant_id, user_id, tenant_id, user_id, *values])


@dataclass(frozen=True)
class AdminFilters:
    statuses: Sequence[str] = ()
    flows: Sequence[str] = ()
    providers: Sequence[str] = ()
    created_from: datetime | None = None
    created_before: datetime | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    order_id: int | None = None
    user_id: int | None = None


def attempts(session: Session, tenant_id: int, f: AdminFilters, after: Position | None,
             limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["a.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    for column, values in (("a.status", f.statuses), ("a.flow", f.flows), ("a.provider", f.providers)):
        if values:
            where.append(f"{column} IN ({marks(values)})")
            params += values
    for condition, value in (("a.created_at >= %s", f.created_from), ("a.created_at < %s", f.created_before),
                             ("a.amount >= %s", f.amount_min), ("a.amount <= %s", f.amount_max),
                             ("a.order_id = %s", f.order_id), ("a.user_id = %s", f.user_id)):
        if value is not None:
            where.append(condition)
            params.append(value)
    tail, values = ADMIN.page(where, params, after, limit)
    return session.all(f"""SELECT {ATTEMPT_COLUMNS}, o.order_number, o.status AS order_status
                             FROM payment_attempts a
                             LEFT JOIN orders o ON o.tenant_id = a.tenant_id AND o.id = a.order_id {tail}""", values)


def tasks(session: Session, tenant_id: int, statuses: Sequence[str], after: Position | None,
          limit: int) -> list[dict[str, Any]]:
    where: list[str] = ["t.tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if statuses:
        where.append(f"t.status IN ({marks(statuses)})")
        params += statuses
    tail, values = TASKS.page(where, params, after, limit)
    return session.all(f"""SELECT t.id, t.kind, t.status, t.order_id, t.attempt_id, t.refund_id, t.amount, t.currency,
                                  t.reason, t.resolved_by, t.resolved_at, t.note, t.created_at
                             FROM payment_tasks t {tail}""", values)
