"""Push by Expo: send one delivery to every device of its user, then read the receipts later.

Sending: one message per registered token (the adapter batches ≤ 100 per request).  Each ok
ticket is kept (push_tickets) until its receipt is read; a DeviceNotRegistered ticket deletes
its token at once; MessageRateExceeded on every device is a reason to back off (the caller
retries the delivery later).  The delivery is `sent` once one device's ticket is ok.

Receipts (check_receipts, from the sweep): Expo has receipts a few minutes after the send; a
receipt ok makes the delivery `delivered`; DeviceNotRegistered deletes the token (the usual way
Expo reports an uninstalled app); a delivery whose every receipt is an error is `failed`.
Tickets without a receipt after a day are given up (Expo keeps receipts about that long).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.adapters import DeliveryError, push
from chalicelib.platform.db import Database
from chalicelib.platform.logging import get_logger

from . import deliveries_repository as deliveries
from . import repository
from .channels import FAILED, SENT, SUPPRESSED
from .templates import Rendered

log = get_logger("notifications.push")
RECEIPT_GRACE_SECONDS = 15 * 60  # Expo: receipts are usually ready within minutes; check after 15
RECEIPT_GIVE_UP = timedelta(hours=24)
RECEIPT_BATCH = 1000


def deliver(db: Database, tenant_id: int, row: dict[str, Any], rendered: Rendered) -> None:
    """Send `row` (claimed, status sending) to the user's devices and record the outcome.
    Raises DeliveryError when the request failed or every device was rate limited (retry later)."""
    tokens = repository.tokens(db.session(), tenant_id, row["user_id"])
    if not tokens:
        with db.uow() as uow:
            deliveries.finish(uow, tenant_id, row["id"], SUPPRESSED, reason="no_device")
            uow.commit()
        return
    data = {"category": row["category"], "template": row["template"], "delivery_id": row["id"]}
    if isinstance(row["params"].get("link"), str):
        data["link"] = row["params"]["link"]
    messages = [push.PushMessage(token, rendered.subject or "", rendered.text, data) for token in tokens]
    tickets = push.push_sender().send(messages)
    accepted = [(t.id, token) for t, token in zip(tickets, tokens, strict=True) if t.ok and t.id]
    dead = [token for t, token in zip(tickets, tokens, strict=True) if t.error == push.DEVICE_NOT_REGISTERED]
    throttled = any(t.error == push.MESSAGE_RATE_EXCEEDED for t in tickets)
    with db.uow() as uow:
        for token in dead:
            repository.prune_token(uow, tenant_id, token)
        if accepted:
            deliveries.add_tickets(uow, tenant_id, row["id"], accepted)
            deliveries.finish(uow, tenant_id, row["id"], SENT, provider="expo", provider_ref=accepted[0][0],
                              recipient=f"{len(accepted)} device(s)")
        elif not throttled:
            error = next((t.error for t in tickets if t.error), "unknown_error")
            deliveries.finish(uow, tenant_id, row["id"], FAILED, reason=f"expo:{error}", provider="expo")
        uow.commit()
    if dead:
        log.info("dead push tokens pruned", extra={"tenant_id": tenant_id, "count": len(dead)})
    if not accepted and throttled:
        raise DeliveryError("expo", push.MESSAGE_RATE_EXCEEDED)


def check_receipts(db: Database, *, grace_seconds: int = RECEIPT_GRACE_SECONDS,
                   limit: int = RECEIPT_BATCH) -> dict[str, int]:
    """Read the receipts of pending tickets older than the grace (all tenants) and settle them."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    pending = deliveries.pending_tickets(db.session(), now - timedelta(seconds=grace_seconds), limit)
    counts = {"checked": len(pending), "ok": 0, "errors": 0, "pruned": 0, "not_ready": 0}
    if not pending:
        return counts
    receipts = push.push_sender().receipts([t["ticket_id"] for t in pending])
    touched: set[tuple[int, int]] = set()
    with db.uow() as uow:
        for ticket in pending:
            receipt = receipts.get(ticket["ticket_id"])
            if receipt is None and now - ticket["created_at"] < RECEIPT_GIVE_UP:
                counts["not_ready"] += 1
                continue
            ok, error = (receipt.ok, receipt.error) if receipt is not None else (False, "receipt_expired")
            if not deliveries.settle_ticket(uow, ticket["tenant_id"], ticket["ticket_id"], ok, error):
                continue  # another sweep settled it
            counts["ok" if ok else "errors"] += 1
            if error == push.DEVICE_NOT_REGISTERED:
                counts["pruned"] += repository.prune_token(uow, ticket["tenant_id"], ticket["token"])
            touched.add((ticket["tenant_id"], ticket["delivery_id"]))
        for tenant_id, delivery_id in sorted(touched):
            summary = deliveries.ticket_summary(uow, tenant_id, delivery_id)
            if summary["ok"] or not summary["pending"]:
                deliveries.mark_receipt_outcome(uow, tenant_id, delivery_id, bool(summary["ok"]),
                                                f"expo:{summary['error']}" if summary["error"] else None)
        uow.commit()
    return counts
