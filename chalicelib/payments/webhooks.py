"""iyzico's notifications (POST /api/payment/webhooks/iyzico/{tenant}).

    1. X-IYZ-SIGNATURE-V3 verified with the adapter (a forged or unsigned body: 401, nothing stored)
    2. de-duplicated on iyziReferenceCode: the event row is INSERTed (payment_webhook_events,
       primary key tenant + reference code) and committed; iyzico retries every 15 minutes up
       to 3 times, and a retry finds the row: 200, nothing done again
    3. the payment looked up server-to-server and settled (reconcile.reconcile_attempt): the
       webhook's own status is never trusted as the outcome.

Step 3 runs inside the request (the sandbox and iyzico answer in milliseconds, and settle is
idempotent); should it fail, the event row stays unprocessed and the reconciliation job settles
the attempt anyway.  Moving it to a queue is the change to make if iyzico's timeouts bite.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.adapters import iyzico
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.logging import get_logger

from . import callbacks, reconcile
from . import repository as repo

log = get_logger("payments.webhooks")


@dataclass(frozen=True)
class Received:
    status: int  # the HTTP status to answer
    code: str  # accepted, duplicate, unknown_payment, forged, unknown_tenant, invalid


def receive(db: Database, slug: str, headers: Mapping[str, str], body: bytes) -> Received:
    shop = callbacks.tenant(db, slug)
    if shop is None:
        return Received(404, "unknown_tenant")
    event = iyzico.verify_webhook(iyzico.credentials().secret_key, headers, body)
    if event is None:
        log.warning("iyzico webhook with a wrong signature", extra={"tenant_id": shop["id"]})
        return Received(401, "forged")
    reference = str(event.get("iyziReferenceCode") or "")
    if not reference or len(reference) > 64:
        return Received(400, "invalid")
    tenant_id = int(shop["id"])
    conversation_id = str(event.get("paymentConversationId") or "")[:64] or None
    payment_id = str(event.get("paymentId") or event.get("iyziPaymentId") or "")[:128] or None

    def record(uow: UnitOfWork) -> bool:
        fresh = repo.insert_webhook_event(
            uow, tenant_id, reference_code=reference, event_type=str(event.get("iyziEventType") or "")[:64] or None,
            payment_id=payment_id, conversation_id=conversation_id,
            status=str(event.get("status") or "")[:32] or None, body=json.dumps(event, default=str))
        uow.commit()
        return fresh

    if not db.transaction(record):
        return Received(200, "duplicate")
    attempt = repo.attempt_by_conversation(db.session(), tenant_id, conversation_id) if conversation_id else None
    if attempt is None or attempt["provider"] != "iyzico":
        _processed(db, tenant_id, reference)
        return Received(200, "unknown_payment")
    try:
        reconcile.reconcile_attempt(db, tenant_id, int(attempt["id"]))
    except iyzico.IyzicoError:
        log.warning("webhook: iyzico lookup failed; the reconciliation job will settle it",
                    extra={"attempt_id": attempt["id"]})
        return Received(200, "accepted")
    _processed(db, tenant_id, reference)
    return Received(200, "accepted")


def _processed(db: Database, tenant_id: int, reference: str) -> None:
    def work(uow: UnitOfWork) -> None:
        repo.webhook_processed(uow, tenant_id, reference)
        uow.commit()

    db.transaction(work)
