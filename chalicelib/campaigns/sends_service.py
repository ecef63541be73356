"""Campaign sends (K5 / AM): staff write a message for an audience, schedule it, and a scheduled
function delivers it through the notification pipeline.

A send moves draft → scheduled → sending → sent; draft or scheduled (or sending: it stops after
the batch in hand) → cancelled.  Only a draft is edited; a draft or a cancelled send is deleted.

Delivery (`run_due`, every minute):
    1. take each due send with one conditional UPDATE (scheduled and due, or sending whose lease -
       updated_at, renewed by every batch - ran out: its runner died) → sending; of two runs only
       one UPDATE matches;
    2. batch by batch, each one transaction: lock the send row (a second runner waits, then finds
       the batch done), stop unless it is still sending; the next BATCH customers of the audience
       after the last recipient recorded (campaign_send_recipients' primary key is the cursor and
       the guard: a batch is recorded with its messages or not at all); per customer
       notifications.api.send(category "campaign", template "campaign", message id
       "csend-<send>-<user>") - preferences, İYS consent and (in the consumer) quiet hours apply -
       and a recipient row: queued, or skipped with the reasons; counters raised;
    3. an empty batch marks the send sent; a run past its time budget hands the send back to the
       scheduler (scheduled, already due), so the next run goes on where this one stopped.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Any

from chalicelib.platform import audit
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.keyset import Position

from . import audience
from . import sends_repository as repo
from .errors import CampaignNotFound, SendNotFound, SendStatusConflict

BATCH = 200
LEASE = dt.timedelta(minutes=5)
RUN_BUDGET_SECONDS = 45.0  # of the scheduled function's minute
DUE_PER_RUN = 20
CONVERSION_DAYS = 7
EDITABLE, DELETABLE = ("draft",), ("draft", "cancelled")
SCHEDULABLE, CANCELLABLE = ("draft", "scheduled"), ("draft", "scheduled", "sending")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# -- staff ------------------------------------------------------------------------------------------
def get(db: Database, tenant_id: int, send_id: int) -> dict[str, Any]:
    row = repo.get(db.session(), tenant_id, send_id)
    if row is None:
        raise SendNotFound()
    return row


def page(db: Database, tenant_id: int, status: str | None, position: Position | None,
         limit: int) -> dict[str, Any]:
    rows = repo.page(db.reader(), tenant_id, status, position, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": repo.NEWEST.encode_row(rows[-1]) if more and rows else None}


def _check_campaign(session: Session, tenant_id: int, fields: dict[str, Any]) -> None:
    if fields["campaign_id"] is not None and not repo.campaign_exists(session, tenant_id, fields["campaign_id"]):
        raise CampaignNotFound()


def create(db: Database, tenant_id: int, staff_id: int, fields: dict[str, Any]) -> int:
    def work(uow: UnitOfWork) -> int:
        _check_campaign(uow, tenant_id, fields)
        send_id = repo.insert(uow, tenant_id, fields, staff_id)
        audit.record(uow, tenant_id, "campaigns.sends.create", entity_type="campaign_send", entity_id=send_id,
                     after=fields)
        uow.commit()
        return send_id

    return db.transaction(work)


def _locked(uow: UnitOfWork, tenant_id: int, send_id: int, allowed: tuple[str, ...]) -> dict[str, Any]:
    row = repo.lock(uow, tenant_id, send_id)
    if row is None:
        raise SendNotFound()
    if row["status"] not in allowed:
        raise SendStatusConflict(row["status"])
    return row


def update(db: Database, tenant_id: int, send_id: int, fields: dict[str, Any]) -> None:
    def work(uow: UnitOfWork) -> None:
        before = _locked(uow, tenant_id, send_id, EDITABLE)
        _check_campaign(uow, tenant_id, fields)
        repo.update(uow, tenant_id, send_id, fields)
        audit.record(uow, tenant_id, "campaigns.sends.update", entity_type="campaign_send", entity_id=send_id,
                     before=_fields(before), after=fields)
        uow.commit()

    db.transaction(work)


def delete(db: Database, tenant_id: int, send_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        before = _locked(uow, tenant_id, send_id, DELETABLE)
        repo.delete(uow, tenant_id, send_id)
        audit.record(uow, tenant_id, "campaigns.sends.delete", entity_type="campaign_send", entity_id=send_id,
                     before=_fields(before))
        uow.commit()

    db.transaction(work)


def schedule(db: Database, tenant_id: int, send_id: int, at: dt.datetime | None) -> None:
    """Send at `at` (now when None); a scheduled send may be moved."""
    when = at or _now()

    def work(uow: UnitOfWork) -> None:
        before = _locked(uow, tenant_id, send_id, SCHEDULABLE)
        repo.set_status(uow, tenant_id, send_id, "scheduled", scheduled_at=when)
        audit.record(uow, tenant_id, "campaigns.sends.schedule", entity_type="campaign_send", entity_id=send_id,
                     before={"status": before["status"], "scheduled_at": before["scheduled_at"]},
                     after={"status": "scheduled", "scheduled_at": when})
        uow.commit()

    db.transaction(work)


def cancel(db: Database, tenant_id: int, send_id: int) -> None:
    """Cancel a draft, a scheduled send or one in progress (it stops after the batch in hand);
    cancelling a cancelled send again changes nothing."""
    def work(uow: UnitOfWork) -> None:
        before = _locked(uow, tenant_id, send_id, (*CANCELLABLE, "cancelled"))
        if before["status"] == "cancelled":
            return
        repo.set_status(uow, tenant_id, send_id, "cancelled")
        audit.record(uow, tenant_id, "campaigns.sends.cancel", entity_type="campaign_send", entity_id=send_id,
                     before={"status": before["status"]}, after={"status": "cancelled"})
        uow.commit()

    db.transaction(work)


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("campaign_id", "name", "channels", "audience", "title", "body", "deep_link")}


def stats(db: Database, tenant_id: int, send_id: int) -> dict[str, Any]:
    from chalicelib.notifications import api as notifications  # lazy: the delivery log's reader

    session = db.reader()
    row = repo.get(session, tenant_id, send_id)
    if row is None:
        raise SendNotFound()
    campaign_id = row["campaign_id"]
    return {
        "id": send_id, "status": row["status"], "audience": row["audience_count"], "queued": row["queued_count"],
        "skipped": row["skipped_count"], "skipped_by_reason": repo.skipped_by_reason(session, tenant_id, send_id),
        "channels": notifications.delivery_counts(session, tenant_id, message_prefix(send_id)),
        "conversions": {"window_days": CONVERSION_DAYS,
                        **repo.conversions(session, tenant_id, send_id, CONVERSION_DAYS)},
        "campaign": None if campaign_id is None else {
            "campaign_id": campaign_id, **repo.campaign_uses(session, tenant_id, send_id, campaign_id, CONVERSION_DAYS)},
    }


# -- delivery -----------------------------------------------------------------------------------------
def message_prefix(send_id: int) -> str:
    return f"csend-{send_id}-"


def run_due(db: Database, *, now: dt.datetime | None = None, budget_seconds: float = RUN_BUDGET_SECONDS,
            batch: int = BATCH) -> dict[str, int]:
    """Deliver what is due (the scheduled function's body): counts of sends taken and finished."""
    now = now or _now()
    deadline = time.monotonic() + budget_seconds
    counts = {"taken": 0, "finished": 0, "recipients": 0}
    for row in repo.due(db.session(), now, now - LEASE, DUE_PER_RUN):
        tenant_id, send_id = int(row["tenant_id"]), int(row["id"])
        if not repo.claim(db.session(), tenant_id, send_id, now, now - LEASE):
            continue  # another run took it
        counts["taken"] += 1
        finished, recipients = deliver(db, tenant_id, send_id, deadline, batch)
        counts["finished"] += int(finished)
        counts["recipients"] += recipients
        if time.monotonic() >= deadline:
            break
    return counts


def deliver(db: Database, tenant_id: int, send_id: int, deadline: float, batch: int = BATCH) -> tuple[bool, int]:
    """Batches of a claimed send until it is done, stopped, or the deadline passes (then it goes
    back to the scheduler).  Returns (finished, recipients recorded)."""
    recorded = 0
    while True:
        outcome, count = db.transaction(lambda uow: _batch(uow, tenant_id, send_id, batch))
        recorded += count
        if outcome != "more":
            return outcome == "done", recorded
        if time.monotonic() >= deadline:
            db.transaction(lambda uow: _pause(uow, tenant_id, send_id))
            return False, recorded


def _pause(uow: UnitOfWork, tenant_id: int, send_id: int) -> None:
    repo.pause(uow, tenant_id, send_id)
    uow.commit()


def _members(session: Session, tenant_id: int, spec: dict[str, Any], after: int, limit: int) -> list[int]:
    if spec.get("all_customers"):
        return audience.everyone(session, tenant_id, after, limit)
    return audience.members(session, tenant_id, spec.get("segments") or [], spec.get("levels") or [], after, limit)


def _batch(uow: UnitOfWork, tenant_id: int, send_id: int, limit: int) -> tuple[str, int]:
    send = repo.lock(uow, tenant_id, send_id)
    if send is None or send["status"] != "sending":
        return "stopped", 0
    after = repo.last_recipient(uow, tenant_id, send_id)
    members = _members(uow, tenant_id, send["audience"], after, limit)
    if not members:
        repo.finish(uow, tenant_id, send_id, _now())
        uow.commit()
        return "done", 0
    done = repo.existing_recipients(uow, tenant_id, send_id, members)
    rows = [_send_one(uow, tenant_id, send, user_id) for user_id in members if user_id not in done]
    repo.add_recipients(uow, tenant_id, send_id, rows)
    queued = sum(1 for r in rows if r[2] == "queued")
    repo.add_counts(uow, tenant_id, send_id, len(rows), queued, len(rows) - queued)
    uow.commit()
    return "more", len(rows)


def _send_one(uow: UnitOfWork, tenant_id: int, send: dict[str, Any], user_id: int) -> tuple[int, str, str, str | None]:
    from chalicelib.notifications import api as notifications  # lazy: only the delivery needs it

    data = {"headline": send["title"], "message": send["body"], "link": send["deep_link"]}
    result = notifications.send(uow, tenant_id, user_id, "campaign", "campaign", data,
                                channels=list(send["channels"]), message_id=f"{message_prefix(send['id'])}{user_id}")
    statuses = result.deliveries.values()
    if any(status == "queued" for _, status, _ in statuses):
        return user_id, result.message_id, "queued", None
    reasons = sorted({reason or status for _, status, reason in statuses})
    return user_id, result.message_id, "skipped", ",".join(reasons)[:64]
