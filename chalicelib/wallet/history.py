"""What a customer sees of their wallet (W1, W5): the balances, and the history with filters,
keyset pages and each line's running balance.  Reads only: a wallet nothing has moved through
yet shows zeros and an empty history (it is created by its first movement)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session
from chalicelib.platform.keyset import Position

from . import accounts
from . import repository as repo
from .accounts import BONUS, CASH


def balance(session: Session, tenant_id: int, user_id: int, currency: str = "TRY") -> dict[str, Any]:
    rows = {r["code"]: r for r in repo.wallet_balances(session, tenant_id, user_id)}
    shown: dict[str, Any] = {"currency": currency, "status": "active"}
    for code in (CASH, BONUS):
        row = rows.get(code)
        amount = row["balance"] if row else Decimal("0.00")
        held = row["pending_debit"] if row else Decimal("0.00")
        shown[code] = {"balance": amount, "held": held, "available": amount - held}
        if row:
            shown["currency"], shown["status"] = row["currency"], row["status"]
    shown["available"] = shown[CASH]["available"] + shown[BONUS]["available"]
    return shown


def transactions(session: Session, tenant_id: int, user_id: int, *, account: str | None, kinds: Sequence[str] | None,
                 direction: str | None, date_from: dt.date | None, date_to: dt.date | None, after: Position | None,
                 limit: int) -> dict[str, Any]:
    wallet = accounts.find_wallet(session, tenant_id, user_id)
    if wallet is None:
        return {"items": [], "next_cursor": None}
    rows = repo.history(
        session, tenant_id, wallet.id, account_id=None if account is None else wallet.account(account).id,
        kinds=kinds, direction=direction,
        created_from=None if date_from is None else dt.datetime.combine(date_from, dt.time()),
        created_before=_day_after(date_to), after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_line(r) for r in rows], "next_cursor": repo.HISTORY.encode_row(rows[-1]) if more else None}


def _line(row: dict[str, Any]) -> dict[str, Any]:
    signed = row["amount"] if row["direction"] == "credit" else -row["amount"]
    return {"id": row["id"], "entry_id": row["journal_id"], "account": row["account"], "type": row["type"],
            "direction": row["direction"], "amount": signed, "balance_after": row["balance_after"],
            "currency": row["currency"], "description": row["description"],
            "reference": None if row["reference_type"] is None else {"type": row["reference_type"],
                                                                     "id": row["reference_id"]},
            "created_at": row["created_at"]}


def _day_after(day: dt.date | None) -> dt.datetime | None:
    """Midnight after `day` (the exclusive upper bound); none for the last representable day."""
    if day is None or day == dt.date.max:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
