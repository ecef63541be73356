"""HTTP routes of transfers between customers (W7), signed-in customers only:

    POST /api/wallet/transfers                 send cash to another customer (Idempotency-Key required)
    GET  /api/wallet/transfers                 your transfers, sent and received, newest first
    GET  /api/wallet/transfers/code            your user code, for others to send you money
    GET  /api/wallet/transfers/{transfer_id}   one of your transfers (anyone else's is 404)
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import idempotency
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import USER, Call, Router

from . import transfers
from .transfer_schemas import TransferIn, TransferOut, TransferPage, TransferQuery, UserCodeOut

router = Router(tag="wallet")
# Each send names a recipient, so the limit also bounds probing phones and e-mails.
SEND_LIMIT = (20, 900)


@router.post("/api/wallet/transfers", auth=USER, body=TransferIn, response=TransferOut, status=201,
             idempotent="required", rate_limit=SEND_LIMIT, errors=(404, 409))
def send(call: Call) -> Response:
    """Send cash from your wallet to another customer of this shop, named by exactly one of
    phone, e-mail or user code.  Both of you get an e-mail.  The shop's per-transfer and daily
    limits apply (400 on `amount`); more than you have available is 409; an unknown recipient is
    404 recipient_not_found; yourself is 400 self_transfer.  The same Idempotency-Key again
    answers the first transfer (Idempotent-Replayed: true)."""
    body: TransferIn = call.body
    db = get_db()
    user_id = call.principal.user_id
    made = transfers.send(db, call.tenant, user_id, amount=body.amount, phone=body.phone, email=body.email,
                          code=body.user_code, note=body.note, header=call.header("idempotency-key"))
    shown = transfers.get_transfer(db, call.tenant.id, user_id, made.id)
    return json_response(TransferOut.model_validate(shown), 201, idempotency.headers(made.replayed))


@router.get("/api/wallet/transfers", auth=USER, query=TransferQuery, response=TransferPage)
def my_transfers(call: Call) -> TransferPage:
    """Your transfers, sent and received, newest first."""
    q: TransferQuery = call.query
    return TransferPage.model_validate(transfers.list_transfers(get_db(), call.tenant.id, call.principal.user_id,
                                                                q.position, q.limit))


@router.get("/api/wallet/transfers/code", auth=USER, response=UserCodeOut)
def my_code(call: Call) -> UserCodeOut:
    """Your user code: another customer can send you money with it instead of your phone or e-mail."""
    return UserCodeOut(user_code=transfers.user_code(call.principal.user_id))


@router.get("/api/wallet/transfers/{transfer_id}", auth=USER, response=TransferOut)
def my_transfer(call: Call) -> TransferOut:
    """One of your transfers, sent or received."""
    return TransferOut.model_validate(transfers.get_transfer(get_db(), call.tenant.id, call.principal.user_id,
                                                             call.path["transfer_id"]))
