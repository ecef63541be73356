"""The reconciliation report (issue 12 item 10, AF): our iyzico attempts of a date range compared
with what iyzico has, listing only the mismatches, each with its reason.

For every iyzico attempt made in [date_from, date_to] (UTC days), iyzico's reporting view is
read (adapter.payment_details: by paymentId when we have one, else by our conversationId):
    status    we say succeeded and iyzico does not know it, failed it, or cancelled it; we say
              cancelled and iyzico does not; we say failed / unknown / initiated / pending /
              expired and iyzico charged it (an outcome we lost: the scheduled reconciliation
              settles an 'unknown' one - this report only shows it)
    amount    a charged price other than the attempt's amount
    currency  another currency
    refunded  the items' refunded_amount summed against iyzico's refundedPrice of the items (a
              cancelled payment counts as refunded in full on both sides)
Bounded so that it answers within API Gateway's 29 s: at most MAX_DAYS days, at most
MAX_ATTEMPTS attempts (then `truncated`), and a TIME_BUDGET_S after which it stops (`truncated`).
An attempt iyzico cannot be asked about (IyzicoUnavailable) is counted in `unreachable`, not
reported as a mismatch."""
from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

from chalicelib.adapters import iyzico
from chalicelib.platform.db import Database
from chalicelib.platform.logging import get_logger

from . import refund_repository as refund_repo
from . import states

log = get_logger("payments.reconciliation")

MAX_DAYS = 31
MAX_ATTEMPTS = 200
TIME_BUDGET_S = 20.0
ZERO = Decimal("0.00")
_NOT_PAID = (states.FAILED, states.UNKNOWN, states.INITIATED, states.PENDING_3DS, states.PENDING_FORM, states.EXPIRED)


def _money(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


def _theirs(gateway: Any, attempt: dict[str, Any]) -> dict[str, Any] | None:
    """iyzico's record of the attempt: the one with our paymentId, else the settled one of our
    conversationId (a retried 3-D Secure may leave failed ones beside it)."""
    if attempt["provider_payment_id"]:
        details = gateway.payment_details(payment_id=str(attempt["provider_payment_id"]))
    else:
        details = gateway.payment_details(conversation_id=str(attempt["conversation_id"]))
    payments = [p for p in (details or {}).get("payments") or [] if isinstance(p, dict)]
    if attempt["provider_payment_id"]:
        payments = [p for p in payments if str(p.get("paymentId")) == str(attempt["provider_payment_id"])]
    settled = [p for p in payments if p.get("paymentStatus") == 1]
    chosen = settled or payments
    return chosen[-1] if chosen else None


def compare(attempt: dict[str, Any], ours_refunded: Decimal, theirs: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The mismatches of one attempt (pure: the tests call it with made-up answers too)."""
    found: list[dict[str, Any]] = []

    def add(field: str, ours: Any, their: Any, reason: str) -> None:
        found.append({"attempt_id": attempt["id"], "order_id": attempt["order_id"],
                      "provider_payment_id": attempt["provider_payment_id"],
                      "conversation_id": attempt["conversation_id"], "field": field,
                      "ours": None if ours is None else str(ours), "theirs": None if their is None else str(their),
                      "reason": reason})

    status = attempt["status"]
    charged = theirs is not None and theirs.get("paymentStatus") == 1
    cancelled = bool(theirs and theirs.get("cancelled"))
    their_status = (None if theirs is None else "cancelled" if cancelled else
                    "succeeded" if charged else "failed" if theirs.get("paymentStatus") == 2 else "pending")
    if status == states.SUCCEEDED:
        if theirs is None:
            add("status", status, None, "we recorded a payment that iyzico does not know")
            return found
        if not charged:
            add("status", status, their_status, "we recorded a payment that iyzico did not charge")
            return found
        if cancelled:
            add("status", status, their_status, "iyzico has the payment cancelled; we do not")
    elif status == states.CANCELLED:
        if charged and not cancelled:
            add("status", status, their_status, "we recorded a cancel that iyzico does not show")
        if not charged:
            return found
    elif status in _NOT_PAID:
        if charged and not cancelled:
            add("status", status, their_status, f"iyzico charged an attempt we have as {status}")
        return found
    else:  # rejected / awaiting_transfer: not a card outcome
        return found
    their_price = _money(theirs.get("price")) if theirs else ZERO
    if their_price != attempt["amount"]:
        add("amount", attempt["amount"], their_price, "iyzico charged another amount")
    if theirs and theirs.get("currency") and theirs.get("currency") != attempt["currency"]:
        add("currency", attempt["currency"], theirs.get("currency"), "iyzico charged another currency")
    items = [t for t in (theirs or {}).get("itemTransactions") or [] if isinstance(t, dict)]
    their_refunded = (sum((_money(t.get("paidPrice")) for t in items), ZERO) if cancelled
                      else sum((_money(t.get("refundedPrice")) for t in items), ZERO))
    if their_refunded != ours_refunded:
        add("refunded", ours_refunded, their_refunded,
            "iyzico shows more refunded than our items" if their_refunded > ours_refunded
            else "our items show more refunded than iyzico")
    return found


def report(db: Database, tenant_id: int, date_from: dt.date, date_to: dt.date, *,
           gateway: Any = None, limit: int = MAX_ATTEMPTS, budget_s: float = TIME_BUDGET_S) -> dict[str, Any]:
    """The mismatches of the tenant's iyzico attempts made from date_from to date_to (UTC days,
    both included).  The caller validated the range (≤ MAX_DAYS)."""
    gw = gateway or iyzico.gateway()
    since = dt.datetime.combine(date_from, dt.time())
    before = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time())
    session = db.session()
    attempts = refund_repo.iyzico_attempts(session, tenant_id, since, before, limit + 1)
    truncated = len(attempts) > limit
    attempts = attempts[:limit]
    refunded: dict[int, Decimal] = {}
    for item in refund_repo.items_of(session, tenant_id, [int(a["id"]) for a in attempts]):
        refunded[int(item["attempt_id"])] = refunded.get(int(item["attempt_id"]), ZERO) + item["refunded_amount"]
    mismatches: list[dict[str, Any]] = []
    checked = unreachable = 0
    started = time.monotonic()
    for attempt in attempts:
        if time.monotonic() - started > budget_s:
            truncated = True
            break
        try:
            theirs = _theirs(gw, attempt)
        except iyzico.IyzicoUnavailable:
            unreachable += 1
            continue
        checked += 1
        mismatches.extend(compare(attempt, refunded.get(int(attempt["id"]), ZERO), theirs))
    log.info("reconciliation report", extra={"tenant_id": tenant_id, "checked": checked,
                                              "mismatches": len(mismatches), "unreachable": unreachable})
    return {"date_from": date_from, "date_to": date_to, "checked": checked, "truncated": truncated,
            "unreachable": unreachable, "mismatches": mismatches}
