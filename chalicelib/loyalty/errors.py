"""Errors of the loyalty area and their messages (joined to the platform catalogue on import)."""
from __future__ import annotations

from chalicelib.platform import i18n
from chalicelib.platform.errors import Conflict, NotFound

MESSAGES: dict[str, dict[str, str]] = {
    "level_not_found": {
        "tr": "Seviye bulunamadı.",
        "en": "Level not found.",
    },
    "level_code_taken": {
        "tr": "Bu kodla bir seviye zaten var.",
        "en": "A level with this code exists already.",
    },
    "level_in_use": {
        "tr": "Bu seviyede üyeler var; silinemez.",
        "en": "Members hold this level; it cannot be deleted.",
    },
}

i18n.register(messages=MESSAGES)


class LevelNotFound(NotFound):
    code = "level_not_found"


class LevelCodeTaken(Conflict):
    code = "level_code_taken"


class LevelInUse(Conflict):
    code = "level_in_use"
