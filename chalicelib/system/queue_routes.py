"""Staff view of the queues: depth, in flight and dead-lettered counts, a peek at the dead letters
with the reason they failed, and redrive.  Platform permission (super_admin only); messages
filtered to the caller's tenant (chalicelib/system/dead_letters.py says why)."""
from __future__ import annotations

from typing import Any

from chalice import Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform import audit
from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import NotFound
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, Call, Router

from . import dead_letters

router = Router(tag="system")


class QueueStatus(BaseModel):
    name: str
    visible: int = Field(description="approximate number of messages waiting (queue-wide)")
    in_flight: int = Field(description="approximate number received and not yet deleted")
    dead_lettered: int = Field(description="approximate number in the queue's DLQ (queue-wide)")


class QueueList(BaseModel):
    items: list[QueueStatus]


class DeadLetterOut(BaseModel):
    message_id: str
    event_type: str | None
    tenant_id: int | None
    receive_count: int
    sent_at: str | None
    first_failure: str | None = Field(description="error code and message of the first failed attempt, if recorded")
    first_failed_at: str | None
    last_error_code: str | None
    failures: int


class DeadLetterPage(BaseModel):
    queue: str
    items: list[DeadLetterOut]


class DeadLetterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=50, ge=1, le=100)


class RedriveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max: int | None = Field(default=None, ge=1, le=1000, description="move at most this many")
    dry_run: bool = False


class RedriveOut(BaseModel):
    queue: str
    dry_run: bool
    moved: int
    message_ids: list[str]


def _queue(call: Call) -> str:
    name = str(call.path["name"])
    if name not in dead_letters.known_queues():
        raise NotFound(details={"queue": name})
    return name


@router.get("/api/admin/queues", auth=ADMIN, permission=perm.PLATFORM_QUEUES, response=QueueList)
def list_queues(call: Call) -> QueueList:
    """Every queue with its approximate visible, in-flight and dead-lettered counts."""
    return QueueList(items=[QueueStatus.model_validate(dead_letters.counts(n)) for n in dead_letters.known_queues()])


@router.get("/api/admin/queues/{name}/dead-letters", auth=ADMIN, permission=perm.PLATFORM_QUEUES,
            query=DeadLetterQuery, response=DeadLetterPage, errors=(404,))
def list_dead_letters(call: Call) -> DeadLetterPage:
    """The tenant's dead-lettered messages of a queue, with why they failed; nothing is consumed."""
    name = _queue(call)
    letters = dead_letters.peek(name, limit=call.query.limit, tenant_id=call.tenant.id)
    return DeadLetterPage(queue=name, items=[DeadLetterOut.model_validate(x.public()) for x in letters])


@router.post("/api/admin/queues/{name}/redrive", auth=ADMIN, permission=perm.PLATFORM_QUEUES,
             body=RedriveIn, response=RedriveOut, errors=(404,))
def redrive(call: Call) -> Response:
    """Move the tenant's dead letters of a queue back to it (audited); `dry_run` only lists them."""
    name = _queue(call)
    body: RedriveIn = call.body
    moved = dead_letters.redrive(name, limit=body.max, tenant_id=call.tenant.id, dry_run=body.dry_run)
    ids = [m.message_id for m in moved]
    if not body.dry_run:
        with get_db().uow() as uow:
            after: dict[str, Any] = {"moved": len(ids), "message_ids": ids}
            audit.record(uow, call.tenant.id, "queue.redrive", entity_type="queue", entity_id=name, after=after)
            uow.commit()
    return json_response(RedriveOut(queue=name, dry_run=body.dry_run, moved=len(ids), message_ids=ids), 200)
