"""Scheduled and queued work of the backups.

    daily_backup   (schedule, 02:30 UTC)  the full backup with media, then its verification queued,
                                          then pruning by the retention policy
    backup_jobs    (SQS backups)          {"action": "backup", backup_id, kind, tenant_id}: a staff
                                          request; {"action": "verify", backup_id, tenant_id}

Verification runs as its own message, so the backup and the restore each get a whole function
timeout.  Both are idempotent under redelivery: a succeeded backup is not taken again, and a
verification run twice records the same answer twice.
"""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform import queue
from chalicelib.platform.logging import get_logger

from . import service

daily_bp = Blueprint(__name__)  # functions/backups_daily.py
jobs_bp = Blueprint(__name__)  # functions/backups_jobs.py
log = get_logger("backups.jobs")


@daily_bp.schedule("cron(30 2 * * ? *)", name="daily_backup")
def daily_backup(event: Any) -> dict[str, Any]:
    status = service.run(service.SCHEDULED)
    queue.send(service.QUEUE, {"id": f"verify-{status['id']}", "action": "verify", "backup_id": status["id"],
                               "tenant_id": None})
    plan = service.prune()
    log.info("daily backup taken", extra={"backup_id": status["id"], "pruned": len(plan.delete)})
    return {"backup_id": status["id"], "status": status["status"], "pruned": plan.delete}


def handle(message: dict[str, Any]) -> None:
    tenant_id = int(message["tenant_id"]) if message.get("tenant_id") is not None else None
    backup_id = int(message["backup_id"])
    if message.get("action") == "verify":
        service.verify(backup_id, tenant_id=tenant_id)
    elif message.get("action") == "backup" and message.get("kind") in service.KINDS:
        service.run(str(message["kind"]), backup_id=backup_id, tenant_id=tenant_id)
    else:
        log.warning("unknown backups message skipped", extra={"action": message.get("action")})


@jobs_bp.on_sqs_message(queue=service.QUEUE, batch_size=1, name="backup_jobs")
def backup_jobs(event: Any) -> dict[str, Any]:
    return queue.consume(service.QUEUE, event, handle)
