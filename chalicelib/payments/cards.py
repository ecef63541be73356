"""Installment options, BIN facts and saved cards (issue 12 item 1), through iyzico only.

    installment_options  what the card's bank offers for an amount, cut to the shop's limit
                         (settings.payments.max_installments, 1-12), with the card's association,
                         family, bank and type.  Cached per tenant, BIN and amount for a few
                         minutes: a BIN and an amount are all the key holds (never a card number).
    save_card            iyzico's card storage keeps the card; we keep its cardUserKey/cardToken
                         and what may be shown (alias, BIN, last four, association, family, bank).
    list_cards / delete_card   the user's cards; deleting asks iyzico first, then forgets ours.
    card_for_payment     published to the card flows: (card_user_key, card_token) of the user's card.

A user's cards share one cardUserKey, the one iyzico gave their first card; later cards are
stored under it.  (Two first cards saved at the same instant can each get one; each row keeps
its own key, so paying with and deleting either still works, and the earlier one is reused.)

The number and CVC stay in the request's `CardIn` and the adapter's `Card` (whose repr shows the
last four digits): never stored, logged, cached, or put in the Idempotency-Key's fingerprint,
which uses the last four digits and a keyed hash (platform/crypto.lookup_hash).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.adapters import iyzico
from chalicelib.platform import audit, cache, i18n, idempotency
from chalicelib.platform.crypto import lookup_hash
from chalicelib.platform.errors import ApiError, NotFound, ServiceUnavailable
from chalicelib.platform.logging import get_logger

from . import cards_repository as repo

if TYPE_CHECKING:
    from chalicelib.platform.context import Tenant
    from chalicelib.platform.db import Database, Session, UnitOfWork

    from .cards_schemas import CardIn

i18n.register(messages={
    "card_service_unavailable": {
        "tr": "Ödeme kuruluşuna şu anda ulaşılamıyor; biraz sonra tekrar deneyin.",
        "en": "The payment provider cannot be reached right now; try again shortly.",
    },
    "card_request_refused": {
        "tr": "Ödeme kuruluşu isteği reddetti ({provider_code}).",
        "en": "The payment provider refused the request ({provider_code}).",
    },
    "payment_card_not_found": {"tr": "Kayıtlı kart bulunamadı.", "en": "Saved card not found."},
})

SAVE = idempotency.Operation("payment_card_save")
INSTALLMENTS_TTL = 300  # seconds: a bank's offer does not change within a checkout
RETRY_AFTER = "30"
MIN_INSTALLMENTS, MAX_INSTALLMENTS = 1, 12
CENT = Decimal("0.01")
log = get_logger("payments.cards")


class CardServiceUnavailable(ServiceUnavailable):
    """iyzico gave no usable answer (IyzicoUnavailable); nothing was changed here."""

    def __init__(self, reason: str) -> None:
        super().__init__("card_service_unavailable", details={"reason": reason}, headers={"Retry-After": RETRY_AFTER})


class CardRequestRefused(ApiError):
    """iyzico said no (an unknown BIN, a card it will not store): 422 with its code."""

    def __init__(self, provider_code: str | None, provider_message: str | None) -> None:
        code = provider_code or "unknown"
        super().__init__("card_request_refused", status=422, params={"provider_code": code},
                         details={"provider_code": code, "provider_message": provider_message})


class CardNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("payment_card_not_found")


# -- installments ---------------------------------------------------------------------------------
def max_installments(tenant_settings: dict[str, Any] | None) -> int:
    """settings.payments.max_installments clamped to 1-12; unset or malformed: 1 (single payment)."""
    section = (tenant_settings or {}).get("payments")
    raw = section.get("max_installments", 1) if isinstance(section, dict) else 1
    if type(raw) is not int:
        return MIN_INSTALLMENTS
    return max(MIN_INSTALLMENTS, min(MAX_INSTALLMENTS, raw))


def installments_cache_key(tenant_id: int, bin_number: str, amount: Decimal) -> str:
    return cache.tenant_key(tenant_id, "pay", "installments", bin_number, f"{amount:.2f}")


def installment_options(tenant: Tenant, bin_number: str, amount: Decimal) -> dict[str, Any]:
    """The InstallmentsOut of a BIN and an amount (see the module docstring).  The provider's
    full answer is cached; the shop's limit is applied on the way out, so a changed setting
    shows at once."""
    limit = max_installments(tenant.settings)
    offer = cache.get_or_load(installments_cache_key(tenant.id, bin_number, amount), INSTALLMENTS_TTL,
                              lambda: _offer(bin_number, amount))
    assert offer is not None
    options = [o for o in offer["options"] if int(o["installments"]) <= limit]
    return {"bin": bin_number, "amount": amount, "currency": tenant.currency, "max_installments": limit,
            "card": offer["card"], "options": options}


def _offer(bin_number: str, amount: Decimal) -> dict[str, Any]:
    gateway = iyzico.gateway()
    try:
        info = gateway.bin_check(bin_number)
        options = gateway.installments(bin_number, amount)
    except iyzico.IyzicoUnavailable as exc:
        raise CardServiceUnavailable(exc.reason) from exc
    except iyzico.IyzicoRejected as exc:
        raise CardRequestRefused(exc.error_code, exc.error_message) from exc
    seen: set[int] = set()
    shown = []
    for option in sorted(options, key=lambda o: o.installment_number):
        if option.installment_number in seen:  # one BIN, one bank: a repeat would be the same offer
            continue
        seen.add(option.installment_number)
        shown.append({"installments": option.installment_number,
                      "installment_price": option.installment_price.quantize(CENT),
                      "total_price": option.total_price.quantize(CENT)})
    return {"card": {"bin_number": info.bin_number, "association": info.card_association,
                     "family": info.card_family, "bank_name": info.bank_name, "type": info.card_type,
                     "commercial": info.commercial},
            "options": shown}


# -- saved cards ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Saved:
    card_id: int
    created: bool
    replayed: bool = False


def fingerprint(card: CardIn) -> dict[str, Any]:
    """What the Idempotency-Key remembers of the request: no number, no CVC."""
    return {"last4": card.last4, "number_hash": lookup_hash(card.number, "payment_card_number").hex(),
            "expire_month": card.expire_month, "expire_year": card.expire_year, "holder": card.holder,
            "alias": card.alias}


def save_card(db: Database, tenant_id: int, user_id: int, card: CardIn, *, header: str | None) -> Saved:
    """Store the card at iyzico (outside any transaction: a network call holds no lock), then
    our row.  A replayed key answers the first card; should our insert fail after iyzico stored
    the card, iyzico's copy is deleted again (best effort)."""
    key = idempotency.key(tenant_id, SAVE, user_id, header, fingerprint(card))
    session = db.session()
    earlier = idempotency.lookup(session, key)
    if earlier is not None:
        return Saved(int(earlier.body["card_id"]), earlier.status == 201, replayed=True)
    email = repo.user_email(session, tenant_id, user_id)
    if email is None:
        raise CardNotFound()  # a token of a deleted user: nothing of theirs to store under
    user_key = repo.card_user_key(session, tenant_id, user_id)
    stored = _store(email, card, user_key, user_id)

    def work(uow: UnitOfWork) -> Saved:
        again = idempotency.claim(uow, key)
        if again is not None:
            return Saved(int(again.body["card_id"]), again.status == 201, replayed=True)
        existing = repo.find_by_token(uow, tenant_id, user_id, str(stored.card_token))
        if existing is not None:  # iyzico answered a card it already had with its token
            saved = Saved(existing, created=False)
        else:
            saved = Saved(_insert(uow, tenant_id, user_id, stored, card), created=True)
            audit.record(uow, tenant_id, "payment.card_saved", entity_type="payment_card", entity_id=saved.card_id,
                         after={"last4": stored.last4 or card.last4, "association": stored.card_association})
        idempotency.record(uow, key, 201 if saved.created else 200, {"card_id": saved.card_id})
        uow.commit()
        return saved

    try:
        saved = db.transaction(work)
    except Exception:
        _forget_at_iyzico(str(stored.card_user_key), str(stored.card_token))
        raise
    if saved.replayed and stored.card_token:  # a concurrent twin won: drop the copy we made
        if repo.find_by_token(db.session(), tenant_id, user_id, str(stored.card_token)) is None:
            _forget_at_iyzico(str(stored.card_user_key), str(stored.card_token))
    return saved


def _store(email: str, card: CardIn, user_key: str | None, user_id: int) -> iyzico.StoredCard:
    request = iyzico.Card(holder=card.holder, number=card.number, expire_month=card.expire_month,
                          expire_year=card.expire_year, cvc="", alias=card.alias)
    try:
        stored = iyzico.gateway().store_card(email, request, card_user_key=user_key, external_id=str(user_id))
    except iyzico.IyzicoUnavailable as exc:
        raise CardServiceUnavailable(exc.reason) from exc
    if not stored.ok or not stored.card_token or not stored.card_user_key:
        log.info("iyzico refused to store a card", extra={"error_code": stored.error_code})
        raise CardRequestRefused(stored.error_code, stored.error_message)
    return stored


def _insert(uow: UnitOfWork, tenant_id: int, user_id: int, stored: iyzico.StoredCard, card: CardIn) -> int:
    return repo.insert_card(
        uow, tenant_id, user_id, card_user_key=str(stored.card_user_key), card_token=str(stored.card_token),
        alias=card.alias,  # ours as typed (iyzico echoes "" for none)
        bin_number=(stored.bin_number or card.number[:6])[:8], last4=(stored.last4 or card.last4)[-4:],
        association=stored.card_association, family=stored.card_family, bank_name=stored.bank_name)


def _forget_at_iyzico(card_user_key: str, card_token: str) -> None:
    try:
        iyzico.gateway().delete_card(card_user_key, card_token)
    except iyzico.IyzicoError:
        log.warning("could not delete an orphaned card at iyzico", extra={"card_token": card_token[:6] + "..."})


def list_cards(session: Session, tenant_id: int, user_id: int) -> list[dict[str, Any]]:
    return repo.list_cards(session, tenant_id, user_id)


def get_card(session: Session, tenant_id: int, user_id: int, card_id: int) -> dict[str, Any]:
    found = repo.get_card(session, tenant_id, user_id, card_id)
    if found is None:
        raise CardNotFound()
    return found


def delete_card(db: Database, tenant_id: int, user_id: int, card_id: int) -> None:
    """iyzico first (unreachable: 503 and our row stays, so a retry can finish); a card iyzico
    no longer has is still removed here.  Another user's or tenant's card is 404."""
    card = get_card(db.session(), tenant_id, user_id, card_id)
    try:
        deleted = iyzico.gateway().delete_card(str(card["card_user_key"]), str(card["card_token"]))
    except iyzico.IyzicoUnavailable as exc:
        raise CardServiceUnavailable(exc.reason) from exc
    if not deleted:
        log.info("iyzico no longer had a saved card; removing ours", extra={"card_id": card_id})

    def work(uow: UnitOfWork) -> None:
        if repo.delete_card(uow, tenant_id, user_id, card_id):
            audit.record(uow, tenant_id, "payment.card_deleted", entity_type="payment_card", entity_id=card_id,
                         before={"last4": card["last4"], "association": card["association"]})
        uow.commit()

    db.transaction(work)


def card_for_payment(session: Session, tenant_id: int, user_id: int, card_id: int) -> tuple[str, str] | None:
    """For "pay with a saved card": (card_user_key, card_token) of the user's own card, else None."""
    found = repo.get_card(session, tenant_id, user_id, card_id)
    if found is None:
        return None
    return str(found["card_user_key"]), str(found["card_token"])
