"""Settling card attempts whose outcome we did not hear: the answer was lost (`unknown`), the
process stopped between the attempt's commit and iyzico's answer (`initiated`), or the customer
left the bank's page / the hosted form (`pending_3ds`, `pending_form`).

    reconcile_attempt(db, tenant_id, attempt_id) -> status
        looks the payment up server-to-server (checkout form: by its token; otherwise
        adapter.retrieve by our conversation id) and settles it (settle.py).  iyzico does not
        know it: after GRACE (initiated / unknown) or past the session's expiry (3-D Secure,
        checkout form) the attempt fails - expired for a session - the order is told and the
        wallet's holds are released; before that it is left for the next run.
    run(db) -> counts      the scheduled job's work (reconcile_handlers.py, every 5 minutes)
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.adapters import iyzico
from chalicelib.platform.db import Database
from chalicelib.platform.logging import get_logger

from . import repository as repo
from . import settle, states

GRACE = dt.timedelta(minutes=15)
log = get_logger("payments.reconcile")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _overdue(attempt: dict[str, Any], now: dt.datetime) -> bool:
    if attempt["status"] in (states.PENDING_3DS, states.PENDING_FORM):
        return attempt["expires_at"] is None or attempt["expires_at"] < now
    return attempt["updated_at"] < now - GRACE


def reconcile_attempt(db: Database, tenant_id: int, attempt_id: int, *,
                      gateway: iyzico.PaymentGateway | None = None, now: dt.datetime | None = None) -> str:
    """The attempt's status after looking its payment up at iyzico (see the module docstring).
    IyzicoUnavailable propagates: the next run tries again."""
    session = db.session()
    attempt = repo.get_attempt(session, tenant_id, attempt_id)
    if attempt is None or attempt["provider"] != states.IYZICO:
        raise LookupError(f"card attempt {attempt_id} not found")
    if attempt["status"] in states.FINAL or attempt["status"] == states.REVIEW:
        return str(attempt["status"])
    gateway = gateway or iyzico.gateway()
    now = now or _utcnow()
    result: iyzico.PaymentResult | None
    if attempt["flow"] == "checkout_form":
        token = (repo.attempt_extras(session, tenant_id, attempt_id) or {}).get("provider_token")
        result = gateway.retrieve_checkout_form(token, attempt["conversation_id"]) if token else None
        if result is not None and not result.ok and result.payment_id is None:
            result = None  # the form was never paid (iyzico knows the token, no payment behind it)
    else:
        result = gateway.retrieve(conversation_id=attempt["conversation_id"])
    if result is not None:
        return settle.settle(db, tenant_id, attempt_id, result, gateway=gateway)
    if not _overdue(attempt, now):
        return str(attempt["status"])
    session_flow = attempt["status"] in (states.PENDING_3DS, states.PENDING_FORM)
    return settle.fail(db, tenant_id, attempt_id, "payment_failed" if not session_flow else "session_expired",
                       None, "iyzico has no payment for this attempt",
                       status=states.EXPIRED if session_flow else states.FAILED)


def run(db: Database, *, limit: int = 200) -> dict[str, int]:
    """Every open card attempt past its grace, each on its own; one failure does not stop the rest."""
    counts = {"checked": 0, "settled": 0, "errors": 0}
    for row in repo.open_card_attempts(db.session(), initiated_before=_utcnow() - GRACE, limit=limit):
        counts["checked"] += 1
        try:
            status = reconcile_attempt(db, int(row["tenant_id"]), int(row["id"]))
        except iyzico.IyzicoError:
            counts["errors"] += 1
            log.warning("reconciliation could not reach iyzico", extra={"attempt_id": row["id"]})
            continue
        except Exception:  # noqa: BLE001 - one bad attempt must not stop the job
            counts["errors"] += 1
            log.exception("reconciliation of an attempt failed", extra={"attempt_id": row["id"]})
            continue
        counts["settled"] += status in states.FINAL or status == states.REVIEW
    return counts

