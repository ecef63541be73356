"""Small pieces every service of the area uses: the transaction runner and the actor."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pymysql

from chalicelib.platform.db import Database, UnitOfWork

from .errors import translate_duplicate

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """The signed-in admin making the change (stock movements and price history name them)."""

    user_id: int | None


def run(db: Database, work: Callable[[UnitOfWork], T], *, field_prefix: str = "") -> T:
    """`db.transaction(work)` (deadlock retry included), with a unique-key clash that slipped past
    our checks (a concurrent writer won the race) answered as the same 409 the check gives."""
    try:
        return db.transaction(work)
    except pymysql.err.IntegrityError as exc:
        translated = translate_duplicate(exc, field_prefix)
        if translated is None:
            raise
        raise translated from None
