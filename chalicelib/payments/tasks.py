"""Manual work for staff (payment_tasks): a late bank transfer to pay back, a card that cannot
be refunded, a fraud review.  Opened by the code that met the problem (repository.open_task,
once per cause); closed here by staff with a note of what they did."""
from __future__ import annotations

from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork

from . import repository as repo
from . import states
from .errors import TaskNotFound


def mark_done(db: Database, tenant_id: int, staff_id: int, task_id: int, note: str) -> None:
    """Close an open task (audited).  A task done already keeps its first note: the same answer.
    A card_refund_failed task closed means staff paid the refund back by hand: the refund is
    confirmed to orders (provider_refund_id "manual") in the same transaction."""

    def work(uow: UnitOfWork) -> None:
        task = repo.lock_task(uow, tenant_id, task_id)
        if task is None:
            raise TaskNotFound()
        if task["status"] == states.TASK_DONE:
            return
        repo.resolve_task(uow, tenant_id, task_id, staff_id, note)
        from . import refunds  # lazy: the iyzico SDK only where a task needs it

        refunds.task_done(uow, tenant_id, task)  # a card refund paid back by hand: confirmed to orders
        audit.record(uow, tenant_id, "payment.task_done", entity_type="payment_task", entity_id=task_id,
                     before={"status": task["status"]}, after={"status": states.TASK_DONE, "note": note})
        uow.commit()

    db.transaction(work)
