"""Gift cards (W6): staff issue codes, customers redeem them into their wallet's cash.

    issue   (staff) `count` cards of one amount and expiry; Idempotency-Key required.  Each code
            is 16 characters of a readable alphabet (no 0/O/1/I/L), grouped 4-4-4-4, drawn with
            `secrets`: 31^16, about 79 bits, so guessing is hopeless even before the rate limit.
            Only the code's keyed hash (platform/crypto.lookup_hash, the platform's HMAC-SHA256
            key) and its last four characters are stored; the code is in the first answer only
            (a replay of the same key answers the same cards without codes).  The note goes to
            the audit log with the issue.
    redeem  (customer) a code: the card is taken by a conditional UPDATE (active, not expired)
            and the wallet's cash credited from gift_card_liability under transfer id
            "giftcard-<id>", in one transaction: however many devices redeem one code at once,
            one UPDATE matches and one entry is made.  Unknown, used, voided, expired and other
            tenants' codes are all one 404 gift_card_not_found.
    void    (staff) an active card, so it can never be redeemed; a redeemed or voided one is 409.
    list    (staff) the cards, newest first, by status, without codes (keyset pages).

Guessing: failed redemptions are counted in Redis per user and per client IP (per tenant),
as sign-in counts failed passwords; once either reaches its limit every redemption is 429
until the window ends - checked before the code is looked at, so a blocked guesser cannot
learn that a guess was right.

Lock order (ledger.py): the Idempotency-Key row → the gift card row (the UPDATE) → the entry.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.platform import audit, cache, crypto, idempotency
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.keyset import Position

from . import api
from . import giftcard_repository as repo
from .giftcard_errors import GiftCardNotActive, GiftCardNotFound, too_many_attempts

ISSUE = idempotency.Operation("wallet_gift_card_issue")
REDEEM = idempotency.Operation("wallet_gift_card_redeem")
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0, O, 1, I, L: nothing to misread
CODE_LENGTH = 16
HASH_FIELD = "gift_card.code"
TURKEY = dt.timezone(dt.timedelta(hours=3))  # no DST since 2016
USER_FAILURES, IP_FAILURES, FAILURE_WINDOW = 10, 30, 900
# API status ↔ gift_cards.status: staff "void" a card, the column (0001) calls it disabled.
STATUS_SHOWN = {"active": "active", "redeemed": "redeemed", "expired": "expired", "disabled": "voided"}


@dataclass(frozen=True)
class Issued:
    ids: list[int]
    codes: list[str] | None  # None on a replay: the codes were shown once
    replayed: bool


@dataclass(frozen=True)
class Redeemed:
    card_id: int
    amount: Decimal
    currency: str
    replayed: bool


# -- codes ---------------------------------------------------------------------------------------
def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise(code: str) -> str:
    """What a customer typed, as the code is hashed: upper case, no spaces or dashes."""
    return "".join(c for c in code.upper() if c not in " -\t")


def code_hash(code: str) -> str:
    return crypto.lookup_hash(normalise(code), HASH_FIELD).hex()


def expiry_of(day: dt.date) -> dt.datetime:
    """A card expiring on `day` is good through that Turkish day: the start of the next, naive UTC."""
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), TURKEY)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def today() -> dt.date:
    return dt.datetime.now(TURKEY).date()


# -- issuing -------------------------------------------------------------------------------------
def issue(db: Database, tenant_id: int, staff_id: int, *, amount: Decimal, currency: str, expires_on: dt.date,
          count: int, note: str | None, header: str | None) -> Issued:
    key = idempotency.key(tenant_id, ISSUE, staff_id, header, {
        "amount": amount, "currency": currency, "expires_on": expires_on.isoformat(), "count": count, "note": note})
    earlier = idempotency.lookup(db.session(), key)
    if earlier is not None:
        return Issued([int(i) for i in earlier.body["ids"]], None, replayed=True)
    codes = [new_code() for _ in range(count)]
    expires_at = expiry_of(expires_on)

    def work(uow: UnitOfWork) -> Issued:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Issued([int(i) for i in earlier.body["ids"]], None, replayed=True)
        # A collision of two 79-bit codes would be a duplicate-key error: never in practice.
        ids = repo.insert_cards(uow, [(tenant_id, code_hash(c), normalise(c)[-4:], amount, currency, expires_at,
                                       staff_id) for c in codes])
        idempotency.record(uow, key, 201, {"ids": ids})
        audit.record(uow, tenant_id, "wallet.gift_cards.issue", entity_type="gift_card", entity_id=ids[0],
                     after={"ids": ids, "amount": format(amount, "f"), "currency": currency,
                            "expires_on": expires_on.isoformat(), "count": count, "note": note})
        uow.commit()
        return Issued(ids, codes, replayed=False)

    return db.transaction(work)


def void(db: Database, tenant_id: int, card_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        row = repo.lock_card(uow, tenant_id, card_id)
        if row is None:
            raise GiftCardNotFound()
        status = shown_status(row)
        if status == "voided":  # voiding twice: the same outcome, nothing to do
            return
        if status == "redeemed":
            raise GiftCardNotActive(status)
        repo.void(uow, tenant_id, card_id)
        audit.record(uow, tenant_id, "wallet.gift_cards.void", entity_type="gift_card", entity_id=card_id,
                     before={"status": status}, after={"status": "voided"})
        uow.commit()

    db.transaction(work)


# -- redeeming -----------------------------------------------------------------------------------
def redeem(db: Database, tenant_id: int, user_id: int, ip: str, code: str, header: str | None) -> Redeemed:
    key = idempotency.key(tenant_id, REDEEM, user_id, header, {"code": code_hash(code)})
    earlier = idempotency.lookup(db.session(), key)
    if earlier is not None:
        return _replay(earlier.body)
    counters = _failure_keys(tenant_id, user_id, ip)
    _ensure_not_blocked(counters)
    card_id = repo.card_id_by_hash(db.session(), tenant_id, code_hash(code))

    def work(uow: UnitOfWork) -> Redeemed:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return _replay(earlier.body)
        if card_id is None or not repo.take(uow, tenant_id, card_id, user_id):
            raise GiftCardNotFound()
        card = repo.get_card(uow, tenant_id, card_id)
        assert card is not None  # the UPDATE above just matched it
        amount: Decimal = card["initial_amount"]
        api.credit(uow, tenant_id, user_id, amount, transfer_id=f"giftcard-{card_id}", purpose="gift_card",
                   reference_type="gift_card", reference_id=str(card_id), description="Gift card",
                   created_by=user_id)
        body = {"card_id": card_id, "amount": format(amount, "f"), "currency": card["currency"]}
        idempotency.record(uow, key, 201, body)
        uow.commit()
        return _replay(body, replayed=False)

    try:
        return db.transaction(work)
    except GiftCardNotFound:
        _record_failure(counters)
        raise


def _replay(body: dict[str, Any], replayed: bool = True) -> Redeemed:
    return Redeemed(int(body["card_id"]), Decimal(body["amount"]), body["currency"], replayed)


def _failure_keys(tenant_id: int, user_id: int, ip: str) -> list[tuple[str, int]]:
    return [(f"gcf:{tenant_id}:u:{user_id}", USER_FAILURES), (f"gcf:{tenant_id}:ip:{ip or '-'}", IP_FAILURES)]


def _ensure_not_blocked(counters: list[tuple[str, int]]) -> None:
    try:
        redis = cache.redis_client()
        counts = redis.mget([k for k, _ in counters])
        blocked = [k for (k, limit), n in zip(counters, counts, strict=True) if n is not None and int(n) >= limit]
        wait = max((int(redis.ttl(k)) for k in blocked), default=0)
    except cache.redis_errors():
        return  # counters unavailable: 79-bit codes still make guessing hopeless
    if blocked:
        raise too_many_attempts(max(wait, 1))


def _record_failure(counters: list[tuple[str, int]]) -> None:
    try:
        pipe = cache.redis_client().pipeline()
        for k, _ in counters:
            pipe.incr(k)
            pipe.expire(k, FAILURE_WINDOW, nx=True)  # a fixed window from the first failure
        pipe.execute()
    except cache.redis_errors():
        pass


# -- reads ---------------------------------------------------------------------------------------
def shown_status(row: dict[str, Any]) -> str:
    if row["status"] == "active" and row["expires_at"] is not None and row["expires_at"] <= _utcnow():
        return "expired"
    return STATUS_SHOWN[row["status"]]


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "status": shown_status(row), "code_hint": f"…{row['code_last4']}" if row["code_last4"] else None}


def get_card(db: Database, tenant_id: int, card_id: int) -> dict[str, Any]:
    row = repo.get_card(db.session(), tenant_id, card_id)
    if row is None:
        raise GiftCardNotFound()
    return _view(row)


def cards_by_ids(db: Database, tenant_id: int, ids: list[int]) -> list[dict[str, Any]]:
    rows = {int(r["id"]): r for r in repo.cards(db.session(), tenant_id, None, ids, None, len(ids))}
    return [_view(rows[i]) for i in ids if i in rows]


def list_cards(db: Database, tenant_id: int, statuses: Sequence[str] | None, after: Position | None,
               limit: int) -> dict[str, Any]:
    rows = repo.cards(db.session(), tenant_id, statuses, None, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_view(r) for r in rows], "next_cursor": repo.NEWEST.encode_row(rows[-1]) if more else None}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
