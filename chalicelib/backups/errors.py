"""Errors of the backups area and their tr/en messages."""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import Conflict, NotFound

i18n.register(messages={
    "backup_not_found": {"tr": "Yedek bulunamadı.", "en": "Backup not found."},
    "backup_in_progress": {
        "tr": "Bir yedekleme zaten sırada ya da sürüyor.",
        "en": "A backup is already queued or running.",
    },
})


class BackupNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("backup_not_found")


class BackupInProgress(Conflict):
    def __init__(self) -> None:
        super().__init__("backup_in_progress")
