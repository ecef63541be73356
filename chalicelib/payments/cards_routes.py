"""HTTP routes of installment options and saved cards (issue 12 item 1).  Signed-in customers:
a BIN lookup is a card-testing tool in the wrong hands, so it needs a customer and is rate
limited per customer; another customer's (or tenant's) card is 404.

    GET    /api/payment/installments?bin=&amount=   the card's installment options and facts
    POST   /api/payment/cards                       save a card at iyzico (201; 200 when iyzico
                                                    already had it under your key)
    GET    /api/payment/cards                       your saved cards, newest first
    DELETE /api/payment/cards/{card_id}             delete one (at iyzico too)

iyzico unreachable → 503 card_service_unavailable with Retry-After; iyzico refusing (unknown
BIN, a card it will not store) → 422 card_request_refused with its code.
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import idempotency
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import USER, Call, Router

from . import cards
from .cards_schemas import CardIn, CardList, CardOut, InstallmentsOut, InstallmentsQuery

router = Router(tag="payments")
LOOKUP_LIMIT = (30, 900)  # a checkout needs a few; card testers need thousands
SAVE_LIMIT = (10, 900)


@router.get("/api/payment/installments", auth=USER, query=InstallmentsQuery, response=InstallmentsOut,
            rate_limit=LOOKUP_LIMIT, errors=(422, 503))
def installments(call: Call) -> InstallmentsOut:
    """Installment options of a card for an amount: send the card's first 6-8 digits (bin) and
    the amount; each option has its number of payments, each payment and the total (Decimal
    strings), up to the shop's limit (settings.payments.max_installments); plus the card's
    association, family, bank and type.  422 card_request_refused when iyzico does not know the
    BIN; 503 card_service_unavailable (Retry-After) when iyzico cannot be reached."""
    q: InstallmentsQuery = call.query
    return InstallmentsOut.model_validate(cards.installment_options(call.tenant, q.bin, q.amount))


@router.post("/api/payment/cards", auth=USER, body=CardIn, response=CardOut, status=201, also_statuses=(200,),
             idempotent=True, rate_limit=SAVE_LIMIT, errors=(422, 503))
def save_card(call: Call) -> Response:
    """Save a card for later payments.  The card is kept by iyzico's card storage; this shop
    keeps only iyzico's token and what is shown (alias, first digits, last four, association,
    family, bank) - never the number or CVC.  201 when saved; 200 when iyzico already had the
    card.  An optional Idempotency-Key: the same key again answers the first card
    (Idempotent-Replayed: true).  422 card_request_refused when iyzico will not store it."""
    body: CardIn = call.body
    db = get_db()
    saved = cards.save_card(db, call.tenant.id, call.principal.user_id, body, header=call.header("idempotency-key"))
    shown = CardOut.model_validate(cards.get_card(db.session(), call.tenant.id, call.principal.user_id, saved.card_id))
    return json_response(shown, 201 if saved.created else 200, idempotency.headers(saved.replayed))


@router.get("/api/payment/cards", auth=USER, response=CardList)
def list_cards(call: Call) -> CardList:
    """Your saved cards, newest first."""
    rows = cards.list_cards(get_db().session(), call.tenant.id, call.principal.user_id)
    return CardList.model_validate({"items": rows})


@router.delete("/api/payment/cards/{card_id}", auth=USER, status=204, rate_limit=SAVE_LIMIT, errors=(404, 503))
def delete_card(call: Call) -> None:
    """Delete a saved card, at iyzico and here (204).  A card iyzico no longer has is still
    removed here; 503 card_service_unavailable leaves it saved (try again)."""
    cards.delete_card(get_db(), call.tenant.id, call.principal.user_id, call.path["card_id"])
