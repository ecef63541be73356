"""HTTP route of paying an order from the wallet (W4; the seed's payment flow, diagram 7):

    POST /api/payment/wallet     pay your order pending payment from cash and HPay bonus
                                 (Idempotency-Key required)

/api/payment/* belongs to the payments issue (12); this route lives with the wallet until that
area exists and may then move into its router unchanged (the work is wallet/payments.py).
"""
from __future__ import annotations

from chalice import Response

from chalicelib.orders import api as orders
from chalicelib.platform import idempotency
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import USER, Call, Router

from . import history, payments
from .payment_schemas import WalletPaymentIn, WalletPaymentOut
from .schemas import WalletOut

orders.register_messages()  # order_not_found, amount_mismatch answered from here
router = Router(tag="wallet")
PAY_LIMIT = (30, 900)


@router.post("/api/payment/wallet", auth=USER, body=WalletPaymentIn, response=WalletPaymentOut, status=201,
             idempotent="required", rate_limit=PAY_LIMIT, errors=(404, 409))
def pay_with_wallet(call: Call) -> Response:
    """Pay your order (pending payment) in full from your wallet: HPay bonus first, up to the
    shop's limit per order (unless use_bonus is false), the rest from cash.  Another customer's
    order is 404; an order not pending payment (paid, cancelled) is 409 order_not_payable; not
    enough available is 409 insufficient_funds, and nothing is taken.  The same Idempotency-Key
    again answers the first payment (Idempotent-Replayed: true)."""
    body: WalletPaymentIn = call.body
    db = get_db()
    user_id = call.principal.user_id
    paid = payments.pay_order(db, call.tenant, user_id, body.order_id, use_bonus=body.use_bonus,
                              header=call.header("idempotency-key"))
    if paid.order_number is None or paid.status is None or paid.payment_status is None:  # a replay
        order = orders.get_order(db.session(), call.tenant.id, paid.order_id, user_id=user_id)
        number, status, payment_status = order["order_number"], order["status"], order["payment_status"]
    else:
        number, status, payment_status = paid.order_number, paid.status, paid.payment_status
    shown = WalletPaymentOut(order_id=paid.order_id, order_number=number, status=status,
                             payment_status=payment_status, amount=paid.amount, cash=paid.cash,
                             bonus=paid.bonus, wallet=WalletOut.model_validate(history.balance(
                                 db.session(), call.tenant.id, user_id, call.tenant.currency)))
    return json_response(shown, 201, idempotency.headers(paid.replayed))
