"""The browser's way back from the bank (3-D Secure) and from iyzico's hosted checkout form.

Both are untrusted POSTs (anyone can send them): nothing is decided from what the browser says.
The form only tells us WHICH attempt to look at; the outcome comes from iyzico server-to-server
(auth_3ds, retrieve_checkout_form) and is recorded by settle.py.  A post for an unknown tenant,
conversation id or token, a wrong signature, a payment id that is not the attempt's, a token of
another tenant, or an attempt already settled changes nothing.

    threeds(db, slug, form, ip)     form: status, paymentId, conversationData, conversationId,
                                    mdStatus, signature?  → Outcome
    checkout_form(db, slug, token)  → Outcome
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import iyzico
from chalicelib.platform.db import Database
from chalicelib.platform.logging import get_logger

from . import repository as repo
from . import settle, states

log = get_logger("payments.callbacks")


@dataclass(frozen=True)
class Outcome:
    tenant: dict[str, Any] | None
    attempt_id: int | None
    status: str | None  # None: nothing was found / nothing changed


NOTHING = Outcome(None, None, None)


def tenant(db: Database, slug: str) -> dict[str, Any] | None:
    if not slug or len(slug) > 100:
        return None
    row = repo.tenant_by_slug(db.session(), slug)
    return row if row is not None and row["status"] == "active" else None


def threeds(db: Database, slug: str, form: dict[str, str], ip: str) -> Outcome:
    shop = tenant(db, slug)
    conversation_id = form.get("conversationId") or ""
    if shop is None or not conversation_id or len(conversation_id) > 64:
        return NOTHING
    attempt = repo.attempt_by_conversation(db.session(), int(shop["id"]), conversation_id)
    if attempt is None or attempt["flow"] != "3ds":
        return Outcome(shop, None, None)
    tenant_id, attempt_id = int(shop["id"]), int(attempt["id"])
    if attempt["status"] != states.PENDING_3DS:
        return Outcome(shop, attempt_id, str(attempt["status"]))  # settled already (or not started)
    secret = iyzico.credentials().secret_key
    signed = "signature" in form
    if signed and not iyzico.verify_3ds_callback(secret, form):
        log.warning("3-D Secure callback with a wrong signature", extra={"attempt_id": attempt_id})
        return Outcome(shop, attempt_id, str(attempt["status"]))
    if form.get("paymentId") != attempt["provider_payment_id"]:
        log.warning("3-D Secure callback for another payment", extra={"attempt_id": attempt_id})
        return Outcome(shop, attempt_id, str(attempt["status"]))
    if form.get("mdStatus") != "1" or form.get("status") != "success":
        if not signed:  # an unsigned "failed" could be anyone's: the expiry settles it instead
            return Outcome(shop, attempt_id, str(attempt["status"]))
        status = settle.fail(db, tenant_id, attempt_id, "threeds_failed", f"mdStatus {form.get('mdStatus')}"[:20],
                             "3-D Secure verification failed")
        return Outcome(shop, attempt_id, status)
    gateway = iyzico.gateway()
    try:
        result = gateway.auth_3ds(str(attempt["provider_payment_id"]), conversation_id,
                                  form.get("conversationData") or None)
    except (iyzico.IyzicoUnavailable, iyzico.IyzicoSignatureError):
        _mark_unknown(db, tenant_id, attempt_id)
        return Outcome(shop, attempt_id, states.UNKNOWN)
    return Outcome(shop, attempt_id, settle.settle(db, tenant_id, attempt_id, result, gateway=gateway, ip=ip))


def checkout_form(db: Database, slug: str, token: str) -> Outcome:
    shop = tenant(db, slug)
    if shop is None or not token or len(token) > 255:
        return NOTHING
    tenant_id = int(shop["id"])
    attempt = repo.attempt_by_token(db.session(), tenant_id, token)
    if attempt is None or attempt["flow"] != "checkout_form":
        return Outcome(shop, None, None)
    attempt_id = int(attempt["id"])
    if attempt["status"] != states.PENDING_FORM:
        return Outcome(shop, attempt_id, str(attempt["status"]))
    gateway = iyzico.gateway()
    try:
        result = gateway.retrieve_checkout_form(token, attempt["conversation_id"])
    except (iyzico.IyzicoUnavailable, iyzico.IyzicoSignatureError):
        _mark_unknown(db, tenant_id, attempt_id)
        return Outcome(shop, attempt_id, states.UNKNOWN)
    if not result.ok and result.payment_id is None:
        return Outcome(shop, attempt_id, str(attempt["status"]))  # not paid (yet): nothing to record
    return Outcome(shop, attempt_id, settle.settle(db, tenant_id, attempt_id, result, gateway=gateway))


def _mark_unknown(db: Database, tenant_id: int, attempt_id: int) -> None:
    """iyzico could not be heard: the reconciliation looks the payment up."""
    from chalicelib.platform.db import UnitOfWork

    def work(uow: UnitOfWork) -> None:
        attempt = repo.lock_attempt(uow, tenant_id, attempt_id)
        if attempt is not None and attempt["status"] in (states.PENDING_3DS, states.PENDING_FORM):
            repo.update_attempt(uow, tenant_id, attempt_id, status=states.UNKNOWN)
            uow.commit()

    db.transaction(work)
