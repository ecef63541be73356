"""One function for every move of a request along diagram 20 (states.py): lock the row, answer
a repeat unchanged, refuse an illegal move (409), make the move, audit staff's, commit."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import ApiError

from . import states

Lock = Callable[[UnitOfWork], dict[str, Any] | None]
Move = Callable[[UnitOfWork, dict[str, Any]], dict[str, Any]]


def decide(db: Database, tenant_id: int, *, lock: Lock, missing: Callable[[], ApiError],
           moves: dict[str, frozenset[str]], target: str, move: Move, audited: str | None) -> bool:
    """Run `move` (returning what the audit row records) if the locked row may go to `target`.
    False when it is there already (a retried call acts once).  `audited`: the admin_logs
    action of a staff decision (entity: the request table's row)."""

    def work(uow: UnitOfWork) -> bool:
        row = lock(uow)
        if row is None:
            raise missing()
        if row["status"] == target:
            return False
        states.check(moves, row["status"], target)
        after = move(uow, row)
        if audited:
            audit.record(uow, tenant_id, audited, entity_type=audited.rsplit(".", 1)[0], entity_id=row["id"],
                         before={"status": row["status"]}, after={"status": target, **after})
        uow.commit()
        return True

    return db.transaction(work)
