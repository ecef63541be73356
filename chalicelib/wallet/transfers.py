"""Transfers between customers of one tenant (W7).

    send   (customer) cash to another active customer of the tenant, named by phone, e-mail or
           user code; Idempotency-Key required.  One entry, transfer id "transfer-<row id>",
           sender's cash → recipient's cash, and a wallet_transfers row; both sides get an e-mail.
    list   the customer's transfers, sent and received, newest first (keyset pages)

A user code is the customer's id in Crockford base32 with a check character ("H" + at least
five characters + check), shown by GET /api/wallet/transfers/code: readable aloud, a typo is
caught by the check character, and no column or migration is needed.  It names who receives,
never authorises anything, so it need not be secret; an unknown code, phone or e-mail is one
neutral 404 recipient_not_found.

Limits (`settings.wallet`): transfer_min (1.00), transfer_max (5000.00) per transfer and
transfer_daily_max (20000.00) per sender and Turkish calendar day; outside them a 400 on
`amount`.  The daily total is read under the lock of the sender's account, so concurrent
transfers from one sender are counted one after another and never pass the limit together.

Lock order (ledger.py): the Idempotency-Key row → both customer accounts by id → the
wallet_transfers row → the entry.  A refused transfer leaves nothing behind.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from chalicelib.platform import crypto, idempotency
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.keyset import Position
from chalicelib.platform.text import normalise_tr_mobile

from . import accounts, ledger, rules
from . import repository as ledger_repo
from . import transfer_repository as repo
from .errors import InsufficientFunds, SelfTransfer, amount_error
from .ledger import Entry, Line
from .transfer_errors import RecipientNotFound, TransferNotFound, daily_limit_error

if TYPE_CHECKING:
    from chalicelib.platform.context import Tenant

TRANSFER = idempotency.Operation("wallet_transfer")
DEFAULTS = {"transfer_min": Decimal("1.00"), "transfer_max": Decimal("5000.00"),
            "transfer_daily_max": Decimal("20000.00")}
TURKEY = dt.timezone(dt.timedelta(hours=3))  # no DST since 2016
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_PREFIX = "H"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


@dataclass(frozen=True)
class Made:
    id: int
    replayed: bool


# -- user codes --------------------------------------------------------------------------------
def _check(digits: str) -> str:
    # Odd weights are invertible mod 32: any one mistyped character changes the check.
    return ALPHABET[sum((2 * i + 1) * ALPHABET.index(c) for i, c in enumerate(digits)) % 32]


def user_code(user_id: int) -> str:
    digits = ""
    while user_id:
        user_id, rest = divmod(user_id, 32)
        digits = ALPHABET[rest] + digits
    digits = digits.rjust(5, "0")
    return f"{CODE_PREFIX}{digits}{_check(digits)}"


def user_of_code(code: str) -> int | None:
    """The user id a code names, or None when it is not a well-formed code."""
    text = code.upper().translate(_LOOKALIKES)
    if not text.startswith(CODE_PREFIX) or not 7 <= len(text) <= 16:
        return None
    digits, check = text[1:-1], text[-1]
    if any(c not in ALPHABET for c in text[1:]) or _check(digits) != check:
        return None
    value = 0
    for c in digits:
        value = value * 32 + ALPHABET.index(c)
    return value or None


# -- limits ------------------------------------------------------------------------------------
def limit(tenant_settings: dict[str, Any] | None, name: str) -> Decimal:
    raw = rules._section(tenant_settings).get(name)
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.01")) if raw is not None else DEFAULTS[name]
    except (InvalidOperation, ValueError):
        value = DEFAULTS[name]
    return value if value.is_finite() and value > 0 else DEFAULTS[name]


def _day_start(now: dt.datetime) -> dt.datetime:
    """The start of today in Turkey, as naive UTC (the column's time)."""
    local = now.astimezone(TURKEY).replace(hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


# -- sending -----------------------------------------------------------------------------------
def find_recipient(db: Database, tenant_id: int, *, phone: str | None, email: str | None,
                   code: str | None) -> dict[str, Any]:
    session = db.session()
    found = None
    if email is not None:
        found = repo.customer_by_email(session, tenant_id, email)
    elif phone is not None:
        mobile = normalise_tr_mobile(phone)
        if mobile is not None:
            found = repo.customer_by_phone_hash(session, tenant_id, crypto.lookup_hash(mobile, "user.phone"))
    elif code is not None:
        user_id = user_of_code(code)
        if user_id is not None:
            found = repo.customer_by_id(session, tenant_id, user_id)
    if found is None:
        raise RecipientNotFound()
    return found


def send(db: Database, tenant: Tenant, user_id: int, *, amount: Decimal, phone: str | None, email: str | None,
         code: str | None, note: str | None, header: str | None) -> Made:
    key = idempotency.key(tenant.id, TRANSFER, user_id, header,
                          {"amount": amount, "phone": phone, "email": email, "code": code, "note": note})
    earlier = idempotency.lookup(db.session(), key)
    if earlier is not None:  # a retry answers the first transfer even if limits changed since
        return Made(int(earlier.body["id"]), replayed=True)
    if amount < limit(tenant.settings, "transfer_min"):
        raise amount_error("amount_too_small", limit(tenant.settings, "transfer_min"))
    if amount > limit(tenant.settings, "transfer_max"):
        raise amount_error("amount_over_limit", limit(tenant.settings, "transfer_max"))
    recipient = find_recipient(db, tenant.id, phone=phone, email=email, code=code)
    if int(recipient["id"]) == user_id:
        raise SelfTransfer()
    sender = repo.customer_by_id(db.session(), tenant.id, user_id)
    source = accounts.find_wallet(db.session(), tenant.id, user_id)
    if source is None or sender is None:
        raise InsufficientFunds(Decimal(0), amount)
    target = accounts.open_wallet(db.session(), tenant.id, int(recipient["id"]), tenant.currency)
    daily_max = limit(tenant.settings, "transfer_daily_max")

    def work(uow: UnitOfWork) -> Made:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Made(int(earlier.body["id"]), replayed=True)
        ledger_repo.lock_accounts(uow, tenant.id, [source.cash.id, target.cash.id])
        sent = repo.sent_since(uow, tenant.id, source.id, _day_start(dt.datetime.now(dt.UTC)))
        if sent + amount > daily_max:
            raise daily_limit_error(daily_max - sent)
        transfer_id = repo.insert_transfer(uow, tenant.id, source.id, target.id, amount, source.currency, note,
                                           user_id)
        posted = ledger.post(uow, tenant.id, Entry(
            f"transfer-{transfer_id}", "transfer", (Line(source.cash, -amount), Line(target.cash, amount)),
            "wallet_transfer", str(transfer_id), note[:255] if note else "Transfer", user_id))
        repo.set_journal(uow, tenant.id, transfer_id, posted.journal_id)
        idempotency.record(uow, key, 201, {"id": transfer_id})
        _notify(uow, tenant.id, sender, recipient, f"{format(amount, 'f')} {source.currency}")
        uow.commit()
        return Made(transfer_id, replayed=False)

    return db.transaction(work)


def _notify(uow: UnitOfWork, tenant_id: int, sender: dict[str, Any], recipient: dict[str, Any], amount: str) -> None:
    """An e-mail to each side that has an address, sent when the transfer commits."""
    from chalicelib.notifications import api as notifications

    for user, template, other in ((sender, "wallet_transfer_sent", recipient),
                                  (recipient, "wallet_transfer_received", sender)):
        if user["email"]:
            notifications.notify(uow, tenant_id, channel="email", to=user["email"], template=template,
                                 lang=user["language"] if user["language"] in notifications.LANGUAGES else "tr",
                                 params={"amount": amount, "name": shown_name(other)}, user_id=int(user["id"]))


def shown_name(user: dict[str, Any], prefix: str = "") -> str:
    """"Ayşe Y.": enough for the other side to know who, no more."""
    first = (user.get(f"{prefix}first_name") or "").strip()
    last = (user.get(f"{prefix}last_name") or "").strip()
    return (f"{first} {last[:1]}." if last else first)[:100] or "-"


# -- reads -------------------------------------------------------------------------------------
def _view(row: dict[str, Any], user_id: int) -> dict[str, Any]:
    sent = int(row["from_user_id"]) == user_id
    side = "to" if sent else "from"
    other = {"first_name": row[f"{side}_first"], "last_name": row[f"{side}_last"]}
    return {"id": row["id"], "direction": "sent" if sent else "received", "amount": row["amount"],
            "currency": row["currency"], "note": row["note"], "counterparty": shown_name(other),
            "created_at": row["created_at"]}


def get_transfer(db: Database, tenant_id: int, user_id: int, transfer_id: int) -> dict[str, Any]:
    row = repo.transfer(db.session(), tenant_id, transfer_id)
    if row is None or user_id not in (int(row["from_user_id"]), int(row["to_user_id"])):
        raise TransferNotFound()
    return _view(row, user_id)


def list_transfers(db: Database, tenant_id: int, user_id: int, after: Position | None, limit: int) -> dict[str, Any]:
    wallet = accounts.find_wallet(db.session(), tenant_id, user_id)
    if wallet is None:
        return {"items": [], "next_cursor": None}
    rows = repo.transfers_of(db.session(), tenant_id, wallet.id, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_view(r, user_id) for r in rows],
            "next_cursor": repo.NEWEST.encode_row(rows[-1]) if more else None}
