"""HTTP routes of paying by bank transfer and the customer's payment history (issue 12; seed
diagram 7 "else EFT/Havale", Y5).  Signed-in customers; another customer's order or payment, or
another tenant's, is 404.

    POST /api/payment/bank-transfer                    pay your order by EFT / havale: the code and the
                                                       shop's accounts (201; 200 when already awaited)
    GET  /api/payment/bank-transfer/{attempt_id}       the same instructions again
    POST /api/payment/bank-transfer/{attempt_id}/sent  "I sent it": sender name, bank reference
    GET  /api/payment/history                          your payments, newest first (keyset pages)
    GET  /api/payment/history/{attempt_id}             one payment's receipt

POST /api/payment/wallet (paying from the wallet) stays with the wallet area.
"""
from __future__ import annotations

from chalice import Response

from chalicelib.orders import api as orders
from chalicelib.platform import idempotency
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import USER, Call, Router

from . import bank_transfer, views
from .history_repository import HistoryFilters
from .schemas import (
    BankTransferIn,
    BankTransferOut,
    HistoryPage,
    HistoryQuery,
    ReceiptOut,
    TransferSentIn,
)

orders.register_messages()  # order_not_found answered from here
router = Router(tag="payments")
PAY_LIMIT = (30, 900)


@router.post("/api/payment/bank-transfer", auth=USER, body=BankTransferIn, response=BankTransferOut, status=201,
             also_statuses=(200,), idempotent=True, rate_limit=PAY_LIMIT, errors=(404, 409))
def start_bank_transfer(call: Call) -> Response:
    """Pay your order (pending payment) by bank transfer: answers the amount to send, the
    reference code to write in the transfer's description, the shop's bank accounts and the
    deadline; the order's stock is held until then (the shop's setting, 48 hours by default).
    201 when created; 200 with the same code when the order already awaits a transfer.  Another
    customer's order is 404; 409 order_not_payable (not pending payment), nothing_due,
    bank_transfer_not_configured (the shop has no bank account set up).  An optional
    Idempotency-Key: the same key again answers the first (Idempotent-Replayed: true)."""
    body: BankTransferIn = call.body
    db = get_db()
    started = bank_transfer.start(db, call.tenant, call.principal.user_id, body.order_id,
                                  header=call.header("idempotency-key"))
    shown = BankTransferOut.model_validate(views.transfer(db, call.tenant, call.principal.user_id, started.attempt_id))
    return json_response(shown, 201 if started.created else 200, idempotency.headers(started.replayed))


@router.get("/api/payment/bank-transfer/{attempt_id}", auth=USER, response=BankTransferOut, errors=(404,))
def bank_transfer_instructions(call: Call) -> BankTransferOut:
    """Your bank transfer again: its code, amount, deadline, status and the shop's accounts."""
    return BankTransferOut.model_validate(views.transfer(get_db(), call.tenant, call.principal.user_id,
                                                         call.path["attempt_id"]))


@router.post("/api/payment/bank-transfer/{attempt_id}/sent", auth=USER, body=TransferSentIn,
             response=BankTransferOut, rate_limit=PAY_LIMIT, errors=(404, 409))
def transfer_sent(call: Call) -> BankTransferOut:
    """Tell the shop you sent the money (optional; helps staff find it): the sender's name and
    the bank's reference.  Only while the transfer is awaited (409 payment_attempt_not_pending);
    sending it again replaces what was said."""
    body: TransferSentIn = call.body
    db = get_db()
    bank_transfer.mark_sent(db, call.tenant.id, call.principal.user_id, call.path["attempt_id"],
                            sender_name=body.sender_name, bank_reference=body.bank_reference)
    return BankTransferOut.model_validate(views.transfer(db, call.tenant, call.principal.user_id,
                                                         call.path["attempt_id"]))


@router.get("/api/payment/history", auth=USER, query=HistoryQuery, response=HistoryPage)
def payment_history(call: Call) -> HistoryPage:
    """Your payments, newest first: card and bank-transfer payments made here (kind attempt,
    with a receipt) and orders paid otherwise (kind payment: from the wallet).  Filters: status
    and method (repeatable), date_from / date_to (UTC days); keyset pages (next_cursor)."""
    q: HistoryQuery = call.query
    filters = HistoryFilters(statuses=q.status or (), methods=q.method or (), created_from=q.created_from,
                             created_before=q.created_before)
    return HistoryPage.model_validate(views.history(get_db(), call.tenant.id, call.principal.user_id, filters,
                                                    q.position, q.limit))


@router.get("/api/payment/history/{attempt_id}", auth=USER, response=ReceiptOut, errors=(404,))
def payment_receipt(call: Call) -> ReceiptOut:
    """One payment's receipt: order number, amount, method, card's last four digits or the bank
    transfer's reference, status and dates."""
    return ReceiptOut.model_validate(views.receipt(get_db(), call.tenant.id, call.principal.user_id,
                                                   call.path["attempt_id"]))
