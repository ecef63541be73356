"""Card refunds and cancels (issue 12 item 7): a refund row the orders area asked for
(payment_refunds, through orders.api.request_refund) carried out at iyzico and confirmed.

    carry_out(db, tenant_id, refund_id, plan=)   the consumer's and the admin routes' one way
    task_done(uow, tenant_id, task)              staff paid a failed card refund back by hand

Cancel or refund.  iyzico cancels only a whole payment on the day it was made (Turkish time,
Europe/Istanbul); so a refund of the whole payment, made that day, with nothing of it refunded
before (by us or, as far as iyzico knows, anyone) is a cancel.  Anything else - or a cancel
iyzico refuses - is refunded per basket item (paymentTransactionId), never more on an item
than its paid_price minus what went back of it.

How a refund is spread over the items (`_plan`):
  1. money iyzico shows as refunded on an item that our rows do not ("drift": an earlier try
     whose answer or commit was lost, see below) counts first - it already went back;
  2. then the items the refund is for: a return's lines (its return_items, a declared read
     model), or the admin's explicit {order_item_id: amount};
  3. then the other items, LARGEST ROOM FIRST (room = paid_price - refunded at iyzico), so a
     refund touches as few items - and makes as few calls - as it can.  Shipping is an item like
     the others.  Not proportional: proportional shares need rounding to cents per item and
     make one call per item for every small refund.

Idempotency and crashes.  The refund row is the intent: it is committed (requested) before
anything is sent to iyzico.  The work for one refund runs in ONE transaction that holds the
order's row lock (then the attempt's and its items') from before the first call to iyzico until
the commit that records the items' refunded_amount together with orders.api.refund_succeeded.
So refunds of one payment never run side by side, and our rows change only when all of a
refund went through.  A crash, a timeout (IyzicoUnavailable) or a lost answer between an iyzico
call and our commit leaves money refunded at iyzico that our rows do not show; the next try
(SQS redelivery, or the consumer after the admin route) first reads the payment at iyzico
(payment_details: refundedPrice per paymentTransactionId, and `cancelled`) and counts that
difference as done before calling again (step 1 above).  A lost cancel is found the same way
(iyzico says cancelled, our rows say nothing went back).  We chose this over a deterministic
conversationId per (refund, item) because iyzico has no lookup of a refund by conversationId,
and over an intent row per item because it needs no table beyond migration 0012; the cost is
one reporting call per try, and holding the order's row lock for the length of the iyzico calls
(bounded by IYZICO_TIMEOUT_SECONDS per call).  Should several refunds crash half-way, the
drift is money-correct in total but may be booked against the next refund of the same item
rather than the one that caused it.  The conversationIds we send are still deterministic
("refund-<refund_id>-<item_id>", "cancel-<refund_id>") so iyzico's records name our refund.

A refusal (e.g. sandbox card 5406670000000009: cancel and refund not permitted) is not retried:
what did go back is recorded, the refund row stays requested, and ONE payment task
card_refund_failed (once per refund: ux_refund) asks staff to pay the rest back by hand; a
refund with such a task is never tried again by the consumer (staff own it).  When staff close
the task, `task_done` confirms the refund (provider_refund_id "manual").
IyzicoUnavailable is raised to the caller (the consumer lets SQS redeliver the message).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from chalicelib.adapters import iyzico
from chalicelib.orders import api as orders
from chalicelib.platform import audit, idempotency
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import ApiError
from chalicelib.platform.logging import get_logger

from . import refund_repository as refund_repo
from . import repository as repo
from . import states
from .errors import AttemptNotFound, CancelNotPossible, NothingToRefund, NotRefundable

log = get_logger("payments.refunds")

TURKEY = ZoneInfo("Europe/Istanbul")
# iyzico wants the IP a cancel or refund is asked from; these come from our back office, not a
# buyer's browser.
BACK_OFFICE_IP = "127.0.0.1"
ZERO = Decimal("0.00")
SUCCEEDED, REQUESTED = "succeeded", "requested"


@dataclass(frozen=True)
class Outcome:
    """What became of a refund: succeeded (via cancel / refund), or still requested (task_id
    names the staff task), or skipped (not ours: no such row, or not an iyzico payment)."""

    refund_id: int
    status: str
    via: Literal["cancel", "refund"] | None = None
    task_id: int | None = None
    refunded: Decimal = ZERO  # returned to the card by this run (or found returned)


@dataclass
class _View:
    """The payment as iyzico's reporting shows it."""

    cancelled: bool
    refunded: dict[str, Decimal] = field(default_factory=dict)  # by paymentTransactionId


class _NoRoom(Exception):
    """The refund does not fit on the items (more than the card payment has left)."""


def same_day(created_at: dt.datetime, now: dt.datetime | None = None) -> bool:
    """Was a payment made at `created_at` (UTC, naive, as stored) made today in Turkey?"""
    made = created_at.replace(tzinfo=dt.timezone.utc).astimezone(TURKEY).date()
    today = (now or dt.datetime.now(dt.timezone.utc)).astimezone(TURKEY).date()
    return made == today


def _money(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


def iyzico_view(gateway: iyzico.PaymentGateway, payment_id: str) -> _View | None:
    """The payment at iyzico (reporting API), or None when iyzico does not know it."""
    details = gateway.payment_details(payment_id=payment_id)  # type: ignore[attr-defined]
    if not details:
        return None
    found = [p for p in details.get("payments") or [] if str(p.get("paymentId")) == str(payment_id)]
    if not found:
        return None
    payment = found[0]
    return _View(cancelled=bool(payment.get("cancelled")),
                 refunded={str(t.get("paymentTransactionId")): _money(t.get("refundedPrice"))
                           for t in payment.get("itemTransactions") or []})


def carry_out(db: Database, tenant_id: int, refund_id: int, *, plan: Mapping[int, Decimal] | None = None,
              gateway: iyzico.PaymentGateway | None = None, now: dt.datetime | None = None) -> Outcome:
    """Carry out one refund row of an iyzico payment (see the module docstring).  Idempotent:
    a refund succeeded already, or handed to staff, is answered as it is.  `plan`: the admin's
    {order_item_id: amount}, summing to the refund's amount.  Raises IyzicoUnavailable (nothing
    of this try is recorded; the next try finds what went through)."""
    gw = gateway or iyzico.gateway()

    def work(uow: UnitOfWork) -> Outcome:
        refund = orders.get_refund(uow, tenant_id, refund_id)
        if refund is None or refund["provider"] != "iyzico":
            return Outcome(refund_id, "skipped")
        if refund["status"] != REQUESTED:
            return Outcome(refund_id, str(refund["status"]))
        orders.lock_order(uow, tenant_id, int(refund["order_id"]))
        refund = orders.get_refund(uow, tenant_id, refund_id)  # again, under the order's lock
        assert refund is not None
        if refund["status"] != REQUESTED:
            return Outcome(refund_id, str(refund["status"]))
        task = refund_repo.open_task_of_refund(uow, tenant_id, refund_id)
        if task is not None:  # staff own it now: never a second try, never a second task
            return Outcome(refund_id, REQUESTED, task_id=int(task["id"]))
        found = refund_repo.attempt_of_payment(uow, tenant_id, int(refund["order_id"]), int(refund["payment_id"]))
        if found is None or not found["provider_payment_id"]:
            return _hand_to_staff(uow, tenant_id, refund, refund["amount"], "no iyzico payment is recorded for it")
        attempt = repo.lock_attempt(uow, tenant_id, int(found["id"]))
        assert attempt is not None
        items = refund_repo.lock_items(uow, tenant_id, int(attempt["id"]))
        payment_id = str(attempt["provider_payment_id"])
        view = iyzico_view(gw, payment_id)
        if view is None:
            return _hand_to_staff(uow, tenant_id, refund, refund["amount"], "iyzico does not know the payment")
        amount: Decimal = refund["amount"]
        ours = sum((i["refunded_amount"] for i in items), ZERO)
        theirs = sum(view.refunded.values(), ZERO)
        whole = amount == attempt["amount"] and ours == 0
        if view.cancelled:
            if whole:  # our cancel went through and its answer or our commit was lost
                return _cancelled(uow, tenant_id, refund, attempt, items, found_earlier=True)
            return _hand_to_staff(uow, tenant_id, refund, amount, "the payment is cancelled at iyzico")
        cancel_error = None
        if whole and theirs == 0 and plan is None and same_day(attempt["created_at"], now):
            cancelled = gw.cancel(payment_id, f"cancel-{refund_id}", BACK_OFFICE_IP)
            if cancelled.ok:
                return _cancelled(uow, tenant_id, refund, attempt, items, found_earlier=False)
            cancel_error = f"{cancelled.error_code}: {cancelled.error_message}"
            log.warning("iyzico refused a cancel; refunding per item",
                        extra={"refund_id": refund_id, "error_code": cancelled.error_code})
        preferred = (refund_repo.return_lines(uow, tenant_id, int(refund["return_id"]))
                     if refund["return_id"] is not None else [])
        try:
            parts = _plan(items, view, amount, preferred, plan)
        except _NoRoom:
            return _hand_to_staff(uow, tenant_id, refund, amount, "more than the card payment has left to refund")
        done: dict[str, Decimal] = {}
        failure = None
        for item, from_drift, to_call in parts:
            done[item["item_id"]] = done.get(item["item_id"], ZERO) + from_drift
            if to_call <= 0:
                continue
            result = gw.refund(str(item["provider_transaction_id"]), to_call, f"refund-{refund_id}-{item['item_id']}",
                               BACK_OFFICE_IP, str(attempt["currency"]))
            if not result.ok:
                failure = f"{result.error_code}: {result.error_message}"
                break
            done[item["item_id"]] += to_call
        by_id = {i["item_id"]: i for i in items}
        for item_id, part in done.items():
            if part > 0:
                refund_repo.set_refunded(uow, tenant_id, int(attempt["id"]), item_id,
                                         by_id[item_id]["refunded_amount"] + part)
        returned = sum(done.values(), ZERO)
        if failure is not None:
            why = f"iyzico refused the refund ({failure})" + (f"; cancel refused ({cancel_error})" if cancel_error else "")
            if returned:
                why += f"; {returned} of {amount} went back to the card"
            return _hand_to_staff(uow, tenant_id, refund, amount - returned, why, returned=returned)
        orders.refund_succeeded(uow, tenant_id, refund_id, provider_refund_id=f"iyzico:{payment_id}:r{refund_id}")
        uow.commit()
        return Outcome(refund_id, SUCCEEDED, via="refund", refunded=returned)

    return db.transaction(work)


def _cancelled(uow: UnitOfWork, tenant_id: int, refund: dict[str, Any], attempt: dict[str, Any],
               items: list[dict[str, Any]], *, found_earlier: bool) -> Outcome:
    """The whole payment went back by a cancel: every item refunded in full, the attempt cancelled."""
    for item in items:
        refund_repo.set_refunded(uow, tenant_id, int(attempt["id"]), item["item_id"], item["paid_price"])
    repo.update_attempt(uow, tenant_id, int(attempt["id"]), status=states.CANCELLED)
    orders.refund_succeeded(uow, tenant_id, int(refund["id"]),
                            provider_refund_id=f"iyzico-cancel:{attempt['provider_payment_id']}")
    uow.commit()
    if found_earlier:
        log.info("cancel found done at iyzico", extra={"refund_id": refund["id"]})
    return Outcome(int(refund["id"]), SUCCEEDED, via="cancel", refunded=refund["amount"])


def _hand_to_staff(uow: UnitOfWork, tenant_id: int, refund: dict[str, Any], amount: Decimal, why: str, *,
                   returned: Decimal = ZERO) -> Outcome:
    """Open the refund's one card_refund_failed task (the refund row stays requested) and commit
    it, with whatever of the refund did go back (recorded by the caller)."""
    task = repo.open_task(uow, tenant_id, kind="card_refund_failed", reason=f"refund {refund['id']}: {why}",
                          order_id=int(refund["order_id"]), refund_id=int(refund["id"]), amount=amount,
                          currency=str(refund["currency"]))
    uow.commit()
    log.warning("card refund handed to staff", extra={"refund_id": refund["id"], "task_id": task["id"]})
    return Outcome(int(refund["id"]), REQUESTED, task_id=int(task["id"]), refunded=returned)


def _plan(items: list[dict[str, Any]], view: _View, amount: Decimal, preferred: list[int],
          explicit: Mapping[int, Decimal] | None) -> list[tuple[dict[str, Any], Decimal, Decimal]]:
    """[(item, taken from drift, to refund at iyzico)] summing to `amount` (module docstring)."""
    def theirs(item: dict[str, Any]) -> Decimal:
        return max(view.refunded.get(str(item["provider_transaction_id"]), ZERO), item["refunded_amount"])

    drift = {i["item_id"]: theirs(i) - i["refunded_amount"] for i in items}
    room = {i["item_id"]: i["paid_price"] - theirs(i) for i in items}
    parts: dict[str, list[Decimal]] = {i["item_id"]: [ZERO, ZERO] for i in items}
    if explicit is not None:
        by_line = {i["order_item_id"]: i for i in items if i["order_item_id"] is not None}
        for line, want in explicit.items():
            item = by_line.get(line)
            if item is None:
                raise _NoRoom()
            use = min(drift[item["item_id"]], want)
            if want - use > room[item["item_id"]]:
                raise _NoRoom()
            parts[item["item_id"]] = [use, want - use]
        return [(i, parts[i["item_id"]][0], parts[i["item_id"]][1]) for i in items if sum(parts[i["item_id"]]) > 0]
    left = amount
    for item in items:  # 1. what already went back
        use = min(drift[item["item_id"]], left)
        parts[item["item_id"]][0] = use
        left -= use
    wanted = set(preferred)
    ordered = sorted(items, key=lambda i: (i["order_item_id"] not in wanted, -room[i["item_id"]], i["item_id"]))
    for item in ordered:  # 2. the refund's own lines, 3. the rest, largest room first
        if left <= 0:
            break
        take = min(room[item["item_id"]], left)
        parts[item["item_id"]][1] = take
        left -= take
    if left > 0:
        raise _NoRoom()
    return [(i, parts[i["item_id"]][0], parts[i["item_id"]][1]) for i in ordered if sum(parts[i["item_id"]]) > 0]


def task_done(uow: UnitOfWork, tenant_id: int, task: dict[str, Any]) -> None:
    """Staff closed a card_refund_failed task after paying the money back by hand: the refund is
    confirmed (provider_refund_id "manual"), in the transaction that closes the task."""
    if task["kind"] == "card_refund_failed" and task.get("refund_id") is not None:
        refund = orders.get_refund(uow, tenant_id, int(task["refund_id"]))
        if refund is not None and refund["status"] == REQUESTED:
            orders.refund_succeeded(uow, tenant_id, int(task["refund_id"]), provider_refund_id="manual")


# -- staff: refund or cancel a card payment (refund_routes.py) --------------------------------------
ADMIN_REFUND = idempotency.Operation("payment_admin_refund")
ADMIN_CANCEL = idempotency.Operation("payment_admin_cancel")


@dataclass(frozen=True)
class Requested:
    refund_id: int
    replayed: bool


def _refundable_attempt(uow: UnitOfWork, tenant_id: int, attempt_id: int) -> dict[str, Any]:
    """The attempt (404 for none of this tenant's), if it is a succeeded iyzico payment of an order."""
    attempt = repo.get_attempt(uow, tenant_id, attempt_id)
    if attempt is None:
        raise AttemptNotFound()
    if attempt["provider"] != "iyzico" or attempt["status"] != states.SUCCEEDED or attempt["payment_id"] is None \
            or attempt["order_id"] is None:
        raise NotRefundable(str(attempt["status"]) if attempt["provider"] == "iyzico" else "not_a_card_payment")
    return attempt


def request_admin_refund(db: Database, tenant_id: int, staff_id: int, attempt_id: int, *, amount: Decimal | None,
                         reason: str, items: Mapping[int, Decimal] | None, header: str | None) -> Requested:
    """Staff ask for (part of) a card payment back: a refund row of the attempt's payment through
    orders.api.request_refund on the locked order (its totals and status stay the orders
    area's), committed - the intent - before anything is sent to iyzico; audited.  `amount`
    defaults to all that is left (the items' paid price minus what went back or is asked back
    already); `items` names the lines and must add up to it.  400 more than is left, 409 nothing
    left or not a succeeded card payment, 404 another tenant's attempt."""
    payload = {"attempt_id": attempt_id, "amount": amount, "reason": reason,
               "items": {str(k): v for k, v in (items or {}).items()} or None}
    key = idempotency.key(tenant_id, ADMIN_REFUND, staff_id, header, payload)

    def work(uow: UnitOfWork) -> Requested:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Requested(int(earlier.body["refund_id"]), replayed=True)
        attempt = _refundable_attempt(uow, tenant_id, attempt_id)
        order = orders.lock_order(uow, tenant_id, int(attempt["order_id"]))
        attempt = _refundable_attempt(uow, tenant_id, attempt_id)  # again, under the order's lock
        lines = refund_repo.lock_items(uow, tenant_id, attempt_id)
        left = (sum((i["paid_price"] - i["refunded_amount"] for i in lines), ZERO)
                - refund_repo.requested_of_payment(uow, tenant_id, int(attempt["payment_id"])))
        left = min(left, order["paid_total"] - order["refunded_total"])
        if left <= 0:
            raise NothingToRefund()
        wanted = amount
        if items:
            by_line = {i["order_item_id"]: i for i in lines if i["order_item_id"] is not None}
            for line, part in items.items():
                item = by_line.get(line)
                if item is None or part > item["paid_price"] - item["refunded_amount"]:
                    raise ApiError("refund_item_invalid", status=400, params={"order_item_id": line},
                                   details={"order_item_id": line})
            total = sum(items.values(), ZERO)
            if wanted is not None and wanted != total:
                raise ApiError("refund_items_mismatch", status=400, details={"amount": wanted, "items": total})
            wanted = total
        wanted = left if wanted is None else wanted
        if wanted > left:
            raise ApiError("refund_amount_too_large", status=400, params={"left": left}, details={"left": left})
        ids = orders.request_refund(uow, order, wanted, reason=reason, requested_by=staff_id,
                                    payment_id=int(attempt["payment_id"]))
        asked = orders.get_refund(uow, tenant_id, ids[0]) if len(ids) == 1 else None
        if asked is None or asked["amount"] != wanted:  # the payment has less room than its items say
            room = ZERO if asked is None else asked["amount"]
            raise ApiError("refund_amount_too_large", status=400, params={"left": room}, details={"left": room})
        audit.record(uow, tenant_id, "payment.refund_requested", entity_type="payment_attempt", entity_id=attempt_id,
                     after={"refund_id": ids[0], "amount": wanted, "reason": reason,
                            "items": payload["items"]})
        idempotency.record(uow, key, 201, {"refund_id": ids[0]})
        uow.commit()
        return Requested(ids[0], replayed=False)

    return db.transaction(work)


def request_admin_cancel(db: Database, tenant_id: int, staff_id: int, attempt_id: int, *, reason: str,
                         header: str | None, now: dt.datetime | None = None) -> Requested:
    """Staff cancel a card payment: only the whole payment, on the day it was made (Turkish time),
    nothing of it refunded or asked back (409 cancel_not_possible otherwise).  An order that was
    only paid is cancelled through orders.api.cancel_locked (stock back, every payment's refund
    asked); otherwise the payment's refund is asked (request_refund).  Committed before iyzico
    is called; audited."""
    key = idempotency.key(tenant_id, ADMIN_CANCEL, staff_id, header, {"attempt_id": attempt_id, "reason": reason})

    def work(uow: UnitOfWork) -> Requested:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Requested(int(earlier.body["refund_id"]), replayed=True)
        attempt = _refundable_attempt(uow, tenant_id, attempt_id)
        order = orders.lock_order(uow, tenant_id, int(attempt["order_id"]))
        attempt = _refundable_attempt(uow, tenant_id, attempt_id)
        lines = refund_repo.lock_items(uow, tenant_id, attempt_id)
        payment_id = int(attempt["payment_id"])
        if any(i["refunded_amount"] > 0 for i in lines) or refund_repo.requested_of_payment(uow, tenant_id,
                                                                                             payment_id) > 0:
            raise CancelNotPossible("partly_refunded")
        if not same_day(attempt["created_at"], now):
            raise CancelNotPossible("not_same_day")
        if order["status"] == orders.PAID:
            orders.cancel_locked(uow, order, orders.Actor.admin(staff_id), reason)
            ids = refund_repo.requested_refunds_of_payment(uow, tenant_id, payment_id)
        else:
            ids = orders.request_refund(uow, order, attempt["amount"], reason=reason, requested_by=staff_id,
                                        payment_id=payment_id)
        if len(ids) != 1:
            raise NothingToRefund()
        audit.record(uow, tenant_id, "payment.cancel_requested", entity_type="payment_attempt", entity_id=attempt_id,
                     after={"refund_id": ids[0], "reason": reason, "order_cancelled": order["status"] == orders.PAID})
        idempotency.record(uow, key, 201, {"refund_id": ids[0]})
        uow.commit()
        return Requested(ids[0], replayed=False)

    return db.transaction(work)


def refund_state(db: Database, tenant_id: int, refund_id: int) -> dict[str, Any]:
    """A refund as the admin routes answer it: the row, its staff task if any."""
    session = db.session()
    refund = orders.get_refund(session, tenant_id, refund_id) or {}
    task = refund_repo.open_task_of_refund(session, tenant_id, refund_id)
    return {"refund_id": refund_id, "status": refund.get("status"), "amount": refund.get("amount"),
            "currency": refund.get("currency"), "order_id": refund.get("order_id"),
            "task_id": None if task is None else task["id"]}
