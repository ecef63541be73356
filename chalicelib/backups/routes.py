"""Staff routes of backups (issue 13 item 2; settings.read to look, settings.write to ask).

    GET  /api/admin/backup              the database backups and this shop's exports: status, size, verified
    POST /api/admin/backup              queue a manual backup (kind=manual) or this shop's export
                                        (kind=tenant); 202 at once, the backup runs in backup_jobs
    GET  /api/admin/backup/{backup_id}  one backup: its manifest summary and verification

Restoring stays on the command line (python -m chalicelib.backups.cli): nothing here writes the
database back.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import permissions as perm
from chalicelib.platform.routing import ADMIN, Call, Router

from . import service
from .schemas import BackupDetail, BackupIn, BackupList, BackupOut

router = Router(tag="backups")


def _shown(status: dict[str, Any], tenant_id: int) -> dict[str, Any]:
    """A database backup's error text is the operator's (it may name other shops' rows): a shop
    sees that it failed, and its own export's error in full."""
    if status.get("tenant_id") != tenant_id and status.get("error"):
        return {**status, "error": "failed"}
    return status


@router.get("/api/admin/backup", auth=ADMIN, permission=perm.SETTINGS_READ, response=BackupList)
def backups(call: Call) -> BackupList:
    """Newest first: every database backup (daily and manual) and this shop's own exports."""
    found = service.visible_to(call.tenant.id)
    return BackupList(items=[BackupOut.model_validate(_shown(s, call.tenant.id)) for s in found])


@router.post("/api/admin/backup", auth=ADMIN, permission=perm.SETTINGS_WRITE, body=BackupIn,
             response=BackupOut, status=202, errors=(409,))
def request_backup(call: Call) -> BackupOut:
    """Queue a manual backup or this shop's export.

    Answers at once with its queued status (poll GET /api/admin/backup/{backup_id}); 409
    backup_in_progress while one of the same kind is queued or running."""
    body: BackupIn = call.body
    status = service.request(body.kind, tenant_id=call.tenant.id, requested_by=call.principal.user_id)
    return BackupOut.model_validate(status)


@router.get("/api/admin/backup/{backup_id}", auth=ADMIN, permission=perm.SETTINGS_READ,
            response=BackupDetail, errors=(404,))
def backup(call: Call) -> BackupDetail:
    """One backup: its manifest summary and verification.

    Tables with sizes (row counts only of the shop's own export), and when the backup was restored
    into a scratch database and which checks failed."""
    return BackupDetail.model_validate(_shown(service.detail_for(call.tenant.id, call.path["backup_id"]), call.tenant.id))
