"""HTTP routes of gift cards (W6).

    POST /api/wallet/gift-cards/redeem                 (customer) redeem a code into your wallet's cash
    POST /api/admin/wallet/gift-cards                  (staff, finance.write) issue one card or a batch;
                                                       Idempotency-Key required; the codes are in this
                                                       answer only
    GET  /api/admin/wallet/gift-cards                  (staff, finance.read) the cards, newest first, no codes
    GET  /api/admin/wallet/gift-cards/{card_id}        (staff, finance.read) one card
    POST /api/admin/wallet/gift-cards/{card_id}/void   (staff, finance.write) void an unused card
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import idempotency
from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, USER, Call, Router

from . import giftcards, history
from .giftcard_schemas import (
    GiftCardBatchOut,
    GiftCardIssueIn,
    GiftCardOut,
    GiftCardPage,
    GiftCardQuery,
    IssuedCardOut,
    RedeemIn,
    RedeemOut,
)
from .schemas import WalletOut

router = Router(tag="wallet")


@router.post("/api/wallet/gift-cards/redeem", auth=USER, body=RedeemIn, response=RedeemOut, status=201,
             idempotent=True, errors=(404, 429))
def redeem(call: Call) -> Response:
    """Redeem a gift card: its amount goes to your wallet's cash, once.  A code that is unknown,
    already used, voided or expired is 404 gift_card_not_found (all alike).  Too many wrong codes
    (10 per user, 30 per network, in 15 minutes) are 429 with Retry-After.  With an
    Idempotency-Key, a retry answers the first redemption (Idempotent-Replayed: true)."""
    body: RedeemIn = call.body
    db = get_db()
    user_id = call.principal.user_id
    done = giftcards.redeem(db, call.tenant.id, user_id, call.ctx.client_ip, body.code,
                            call.header("idempotency-key"))
    wallet = WalletOut.model_validate(history.balance(db.session(), call.tenant.id, user_id, call.tenant.currency))
    return json_response(RedeemOut(amount=done.amount, currency=done.currency, wallet=wallet), 201,
                         idempotency.headers(done.replayed))


@router.post("/api/admin/wallet/gift-cards", auth=ADMIN, permission=perm.FINANCE_WRITE, body=GiftCardIssueIn,
             response=GiftCardBatchOut, status=201, idempotent="required")
def issue(call: Call) -> Response:
    """Issue `count` gift cards (1-500) of one amount, redeemable through `expires_on`.  Each
    code is in this answer only: it is stored as a keyed hash, so nobody can show it again.  The
    same Idempotency-Key again answers the same cards without their codes (Idempotent-Replayed:
    true); if the first answer was lost, void those cards and issue new ones."""
    body: GiftCardIssueIn = call.body
    db = get_db()
    made = giftcards.issue(db, call.tenant.id, call.principal.user_id, amount=body.amount, currency=body.currency,
                           expires_on=body.expires_on, count=body.count, note=body.note,
                           header=call.header("idempotency-key"))
    codes: list[str | None] = list(made.codes) if made.codes else [None] * len(made.ids)
    shown = {card["id"]: card for card in giftcards.cards_by_ids(db, call.tenant.id, made.ids)}
    items = [IssuedCardOut.model_validate({**shown[i], "code": code}) for i, code in zip(made.ids, codes, strict=True)]
    return json_response(GiftCardBatchOut(count=len(items), items=items), 201, idempotency.headers(made.replayed))


@router.get("/api/admin/wallet/gift-cards", auth=ADMIN, permission=perm.FINANCE_READ, query=GiftCardQuery,
            response=GiftCardPage)
def cards(call: Call) -> GiftCardPage:
    """The tenant's gift cards, newest first, by status (repeatable), without their codes."""
    q: GiftCardQuery = call.query
    return GiftCardPage.model_validate(giftcards.list_cards(get_db(), call.tenant.id, q.status, q.position, q.limit))


@router.get("/api/admin/wallet/gift-cards/{card_id}", auth=ADMIN, permission=perm.FINANCE_READ,
            response=GiftCardOut)
def card(call: Call) -> GiftCardOut:
    """One gift card, without its code."""
    return GiftCardOut.model_validate(giftcards.get_card(get_db(), call.tenant.id, call.path["card_id"]))


@router.post("/api/admin/wallet/gift-cards/{card_id}/void", auth=ADMIN, permission=perm.FINANCE_WRITE,
             response=GiftCardOut, errors=(404, 409))
def void(call: Call) -> GiftCardOut:
    """Void a card nobody has redeemed, so nobody ever can (audited).  Voiding it again answers
    the same; a redeemed card is 409 gift_card_not_active."""
    db = get_db()
    giftcards.void(db, call.tenant.id, call.path["card_id"])
    return GiftCardOut.model_validate(giftcards.get_card(db, call.tenant.id, call.path["card_id"]))
