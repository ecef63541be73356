"""Card payments of an order (POST /api/payment/process) and card top-ups of the wallet
(POST /api/payment/topup) with iyzico, in three flows:

    card           non-3DS /payment/auth (only where settings.payments.require_3ds is false)
    3ds            /payment/3dsecure/initialize → the bank's page → our callback (callbacks.py)
    checkout_form  iyzico's hosted page: the card is typed there, never here (callbacks.py)

Every flow records the attempt (status initiated, our conversation id, basket id = the order id
or "topup-<attempt>") and COMMITS before iyzico is called; the outcome is recorded in a second
transaction (settle.py).  The Idempotency-Key's answer is {"attempt_id"}: a retry renders the
attempt as it is now, so it never charges twice.  iyzico unreachable / an answer lost: the attempt
is `unknown` (HTTP 202) and the reconciliation job looks it up by its conversation id.

The fingerprint of the key holds the card's last four digits and a keyed hash of its number,
never the number or the CVC.  A split payment holds `wallet_amount` in the wallet
(wallet.api.hold_for_order) in the first transaction; settle captures or releases it.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from chalicelib.adapters import iyzico
from chalicelib.orders import api as orders
from chalicelib.platform import crypto, idempotency
from chalicelib.platform.context import Tenant
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.logging import get_logger
from chalicelib.wallet import api as wallet

from . import repository as repo
from . import rules, settle, states
from .card_schemas import PaymentCardIn, ProcessIn, TopupIn
from .errors import (
    CardFlowNotAllowed,
    CardRequired,
    InstallmentNotAllowed,
    NothingDue,
    OrderNotPayable,
    PaymentInProgress,
    SavedCardNotFound,
    TopupOutOfRange,
    WalletAmountTooLarge,
)

PROCESS = idempotency.Operation("card_payment", dt.timedelta(days=1))
TOPUP = idempotency.Operation("card_topup", dt.timedelta(days=1))
TOPUP_MIN, TOPUP_MAX = Decimal("1.00"), Decimal("50000.00")
CENT = Decimal("0.01")
FLOW_OF_REQUEST = {"direct": "card", "3ds": "3ds", "checkout_form": "checkout_form"}
log = get_logger("payments.card")


@dataclass(frozen=True)
class Started:
    attempt_id: int
    replayed: bool = False


@dataclass(frozen=True)
class Caller:
    """Who pays, from where, and where the bank / hosted page sends the browser back."""

    tenant: Tenant
    user_id: int
    ip: str
    callback_base: str  # "https://<our api host>" (the route's Host)


# -- the basket ------------------------------------------------------------------------------------
def basket(lines: list[dict[str, Any]], shipping: Decimal, charged: Decimal) -> list[dict[str, Any]]:
    """The basket lines sent to iyzico, summing exactly to `charged` (what the card pays): the
    order's lines and shipping, with whatever the card does not pay (the wallet's part, a part
    paid before, a discount not spread over the lines) taken off deterministically - in proportion
    to each line, rounded down to the cent, the remainder cents from the largest lines first
    (ties: the earlier line).  iyzico refuses a 0-priced line, so lines covered whole are left out.
    Decimal throughout, two places."""
    raw = [{"item_id": str(line["order_item_id"]), "order_item_id": line["order_item_id"], "name": line["name"],
            "price": Decimal(line["line_total"])} for line in lines if Decimal(line["line_total"]) > 0]
    if shipping > 0:
        raw.append({"item_id": "shipping", "order_item_id": None, "name": "Kargo", "price": Decimal(shipping)})
    total = sum((item["price"] for item in raw), Decimal("0"))
    if not raw or charged <= 0:
        raise ValueError("nothing to charge")
    largest = sorted(range(len(raw)), key=lambda i: (-raw[i]["price"], i))
    if total <= charged:  # more is due than the lines say (a charge not on a line): on the largest line
        raw[largest[0]]["price"] += charged - total
        return raw
    off = total - charged
    cuts = [(item["price"] * off / total).quantize(CENT, rounding=ROUND_DOWN) for item in raw]
    left = off - sum(cuts, Decimal("0"))
    while left > 0:
        for i in largest:
            if left > 0 and raw[i]["price"] - cuts[i] > 0:
                cuts[i] += CENT
                left -= CENT
    out = [{**item, "price": item["price"] - cut} for item, cut in zip(raw, cuts, strict=True)]
    return [item for item in out if item["price"] > 0]


def _buyer(db: Database, caller: Caller, order: dict[str, Any] | None) -> tuple[iyzico.Buyer, iyzico.Address]:
    user = repo.buyer_of(db.session(), caller.tenant.id, caller.user_id) or {}
    address = _json(order.get("billing_address") or order.get("shipping_address")) if order else {}
    first = (address.get("first_name") or user.get("first_name") or "Müşteri").strip()[:50]
    last = (address.get("last_name") or user.get("last_name") or "Huğlu").strip()[:50]
    email = (order or {}).get("contact_email") or user.get("email") or f"customer-{caller.user_id}@huglu.app"
    city = (address.get("il") or "Konya")[:50]
    line = " ".join(str(address.get(k) or "") for k in ("mahalle", "address_line", "ilce")).strip() or "-"
    registered = user.get("created_at")
    buyer = iyzico.Buyer(id=str(caller.user_id), name=first, surname=last, email=email,
                         identity_number="11111111111",  # iyzico's placeholder: we do not keep a TCKN for this
                         registration_address=line[:200], city=city, country="Turkey", ip=caller.ip,
                         zip_code=address.get("posta_kodu") or None,
                         registration_date=registered.strftime("%Y-%m-%d %H:%M:%S") if registered else None)
    return buyer, iyzico.Address(contact_name=f"{first} {last}", city=city, country="Turkey", address=line[:200],
                                 zip_code=address.get("posta_kodu") or None)


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value) if value else {}
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


# -- checks and the key --------------------------------------------------------------------------
def _flow(tenant: Tenant, body: ProcessIn | TopupIn) -> str:
    flow = FLOW_OF_REQUEST[body.flow] if body.flow else rules.default_flow(tenant.settings)
    if flow not in rules.allowed_flows(tenant.settings):
        raise CardFlowNotAllowed(body.flow or flow)
    most = rules.max_installments(tenant.settings)
    if body.installment > most:
        raise InstallmentNotAllowed(most)
    if flow != "checkout_form" and body.card is None and body.saved_card_id is None:
        raise CardRequired()
    return flow


def card_summary(card: PaymentCardIn | None) -> dict[str, Any] | None:
    """What of a card may go into the Idempotency-Key's fingerprint: never its number or CVC."""
    if card is None:
        return None
    return {"last4": card.number[-4:], "hash": crypto.lookup_hash(card.number, "card_fingerprint").hex(),
            "expire": f"{card.expire_month}/{card.expire_year}", "holder": card.holder, "save": card.save}


def _fingerprint(body: ProcessIn | TopupIn) -> dict[str, Any]:
    return {**body.model_dump(mode="json", exclude={"card"}), "card": card_summary(body.card)}


def _card(db: Database, caller: Caller, body: ProcessIn | TopupIn) -> iyzico.Card | iyzico.SavedCard | None:
    if body.saved_card_id is not None:
        saved = repo.saved_card(db.session(), caller.tenant.id, caller.user_id, body.saved_card_id)
        if saved is None:
            raise SavedCardNotFound()
        return iyzico.SavedCard(card_user_key=saved["card_user_key"], card_token=saved["card_token"])
    if body.card is None:
        return None
    c = body.card
    return iyzico.Card(holder=c.holder, number=c.number, expire_month=c.expire_month, expire_year=c.expire_year,
                       cvc=c.cvc, register=c.save)


# -- the order's payment ---------------------------------------------------------------------------
def process(db: Database, caller: Caller, body: ProcessIn, *, header: str | None) -> Started:
    flow = _flow(caller.tenant, body)
    card = _card(db, caller, body)
    tenant_id = caller.tenant.id
    key = idempotency.key(tenant_id, PROCESS, caller.user_id, header, _fingerprint(body))
    wallet_part = body.wallet_amount or Decimal("0.00")
    last4 = card.last4 if isinstance(card, iyzico.Card) else None

    def work(uow: UnitOfWork) -> tuple[Started, dict[str, Any] | None]:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Started(int(earlier.body["attempt_id"]), replayed=True), None
        order = orders.lock_order(uow, tenant_id, body.order_id, user_id=caller.user_id)
        if order["status"] != orders.PENDING_PAYMENT:
            raise OrderNotPayable(str(order["status"]))
        due: Decimal = order["grand_total"] - order["paid_total"]
        if due <= 0:
            raise NothingDue()
        if wallet_part >= due:
            raise WalletAmountTooLarge()
        busy = repo.in_flight_for_order(uow, tenant_id, body.order_id)
        if busy is not None:
            raise PaymentInProgress(int(busy["id"]))
        attempt_id = repo.insert_card_attempt(
            uow, tenant_id, order_id=body.order_id, user_id=caller.user_id, purpose="order", flow=flow,
            amount=due - wallet_part, wallet_amount=wallet_part, currency=order["currency"],
            installment=body.installment, conversation_id=uuid.uuid4().hex, card_last4=last4, wallet_hold_ref=None)
        if wallet_part > 0:  # the wallet part held for this attempt (settle captures or releases it)
            wallet.hold_for_order(uow, tenant_id, caller.user_id, body.order_id, wallet_part,
                                  attempt=settle.hold_name(attempt_id), tenant_settings=caller.tenant.settings)
            repo.update_attempt(uow, tenant_id, attempt_id,
                                wallet_hold_ref=f"order-{body.order_id}-{settle.hold_name(attempt_id)}")
        shown = orders.amount_due(uow, tenant_id, body.order_id)
        items = basket(shown["lines"], Decimal(shown["shipping_total"] or 0), due - wallet_part)
        repo.insert_attempt_items(uow, tenant_id, attempt_id, items)
        idempotency.record(uow, key, 201, {"attempt_id": attempt_id})
        uow.commit()
        return Started(attempt_id), {**order, "items": items}

    started, order = db.transaction(work)
    if order is not None:
        _call(db, caller, started.attempt_id, flow, card, order, order["items"], str(body.order_id))
    return started


def topup(db: Database, caller: Caller, body: TopupIn, *, header: str | None) -> Started:
    """A card top-up of the caller's wallet (purpose wallet_topup, no order)."""
    if not TOPUP_MIN <= body.amount <= TOPUP_MAX:
        raise TopupOutOfRange(TOPUP_MIN, TOPUP_MAX)
    flow = _flow(caller.tenant, body)
    card = _card(db, caller, body)
    tenant_id = caller.tenant.id
    key = idempotency.key(tenant_id, TOPUP, caller.user_id, header, _fingerprint(body))
    last4 = card.last4 if isinstance(card, iyzico.Card) else None

    def work(uow: UnitOfWork) -> tuple[Started, bool]:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Started(int(earlier.body["attempt_id"]), replayed=True), False
        attempt_id = repo.insert_card_attempt(
            uow, tenant_id, order_id=None, user_id=caller.user_id, purpose="wallet_topup", flow=flow,
            amount=body.amount, wallet_amount=Decimal("0.00"), currency=caller.tenant.currency or "TRY",
            installment=body.installment, conversation_id=uuid.uuid4().hex, card_last4=last4, wallet_hold_ref=None)
        repo.insert_attempt_items(uow, tenant_id, attempt_id, [{"item_id": "topup", "price": body.amount}])
        idempotency.record(uow, key, 201, {"attempt_id": attempt_id})
        uow.commit()
        return Started(attempt_id), True

    started, fresh = db.transaction(work)
    if fresh:
        items = [{"item_id": "topup", "name": "Cüzdan yükleme", "price": body.amount}]
        _call(db, caller, started.attempt_id, flow, card, None, items, f"topup-{started.attempt_id}")
    return started


# -- the call to iyzico (after the attempt's commit) -----------------------------------------------
def _call(db: Database, caller: Caller, attempt_id: int, flow: str, card: iyzico.Card | iyzico.SavedCard | None,
          order: dict[str, Any] | None, items: list[dict[str, Any]], basket_id: str) -> None:
    tenant_id = caller.tenant.id
    attempt = repo.get_attempt(db.session(), tenant_id, attempt_id)
    assert attempt is not None
    buyer, address = _buyer(db, caller, order)
    slug = caller.tenant.slug
    callback = {"3ds": f"{caller.callback_base}/api/payment/3ds/callback/{slug}",
                "checkout_form": f"{caller.callback_base}/api/payment/checkout-form/callback/{slug}"}.get(flow)
    request = iyzico.PaymentRequest(
        conversation_id=attempt["conversation_id"], basket_id=basket_id, price=attempt["amount"],
        paid_price=attempt["amount"], currency=attempt["currency"], installment=int(attempt["installment"]),
        buyer=buyer, shipping_address=address if order is not None else None, billing_address=address,
        items=[iyzico.BasketItem(id=i["item_id"], name=str(i["name"])[:100] or "Ürün", category="Genel",
                                 price=i["price"], item_type="PHYSICAL" if order is not None else "VIRTUAL")
               for i in items],
        card=card if flow != "checkout_form" else None, callback_url=callback)
    gateway = iyzico.gateway()
    try:
        if flow == "card":
            settle.settle(db, tenant_id, attempt_id, gateway.pay(request), gateway=gateway, ip=caller.ip)
        elif flow == "3ds":
            init = gateway.init_3ds(request)
            if not init.ok:
                settle.fail(db, tenant_id, attempt_id, settle.decline_code(init.error_code), init.error_code,
                            init.error_message)
            else:
                _pending(db, tenant_id, attempt_id, states.PENDING_3DS, provider_payment_id=init.payment_id,
                         raw={"html_content": init.html_content},
                         expires_at=_utcnow() + dt.timedelta(minutes=15))
        else:
            most = rules.max_installments(caller.tenant.settings)
            form = gateway.init_checkout_form(request, enabled_installments=list(range(1, most + 1)) if most > 1
                                              else None)
            if not form.ok:
                settle.fail(db, tenant_id, attempt_id, "payment_failed", form.error_code, form.error_message)
            else:
                _pending(db, tenant_id, attempt_id, states.PENDING_FORM, provider_token=form.token,
                         raw={"payment_page_url": form.payment_page_url, "content": form.content},
                         expires_at=form.expires_at or _utcnow() + dt.timedelta(minutes=30))
    except (iyzico.IyzicoUnavailable, iyzico.IyzicoSignatureError) as exc:
        # The outcome is UNKNOWN (the payment may have gone through): look it up, never retry blind.
        log.warning("card payment outcome unknown", extra={"attempt_id": attempt_id, "reason": type(exc).__name__})
        _unknown(db, tenant_id, attempt_id)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _pending(db: Database, tenant_id: int, attempt_id: int, status: str, *, raw: dict[str, Any],
             expires_at: dt.datetime, provider_payment_id: str | None = None, provider_token: str | None = None) -> None:
    def work(uow: UnitOfWork) -> None:
        attempt = repo.lock_attempt(uow, tenant_id, attempt_id)
        if attempt is None or attempt["status"] != states.INITIATED:
            return
        repo.update_attempt(uow, tenant_id, attempt_id, status=status, provider_payment_id=provider_payment_id,
                            provider_token=provider_token, raw_response=json.dumps(raw), expires_at=expires_at)
        uow.commit()

    db.transaction(work)


def _unknown(db: Database, tenant_id: int, attempt_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        attempt = repo.lock_attempt(uow, tenant_id, attempt_id)
        if attempt is None or attempt["status"] != states.INITIATED:
            return
        repo.update_attempt(uow, tenant_id, attempt_id, status=states.UNKNOWN)
        uow.commit()

    db.transaction(work)


# -- what the app is shown -------------------------------------------------------------------------
def view(db: Database, tenant_id: int, user_id: int | None, attempt_id: int) -> dict[str, Any]:
    """The attempt as AttemptOut; another user's (or a bank transfer) is 404."""
    from .errors import AttemptNotFound

    session = db.session()
    row = repo.get_attempt(session, tenant_id, attempt_id)
    if row is None or (user_id is not None and row["user_id"] != user_id) or row["provider"] != states.IYZICO:
        raise AttemptNotFound()
    extras = repo.attempt_extras(session, tenant_id, attempt_id) or {}
    raw = _json(extras.get("raw_response"))
    pending_3ds, pending_form = row["status"] == states.PENDING_3DS, row["status"] == states.PENDING_FORM
    return {**row, "attempt_id": row["id"],
            "html_content": raw.get("html_content") if pending_3ds else None,
            "payment_page_url": raw.get("payment_page_url") if pending_form else None,
            "token": extras.get("provider_token") if pending_form else None}
