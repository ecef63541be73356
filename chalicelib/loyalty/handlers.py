"""Scheduled job of the loyalty area (its own function): once a day, members whose kept level ran
out (retained_until passed) are re-evaluated; that is when a downgrade happens (rules.py)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.db import get_db
from chalicelib.platform.logging import get_logger

from . import service

bp = Blueprint(__name__)
log = get_logger("loyalty.jobs")


@bp.schedule("rate(1 day)", name="loyalty_levels")
def loyalty_levels(event: Any) -> dict[str, int]:
    evaluated = service.sweep_retained(get_db())
    if evaluated:
        log.info("re-evaluated levels past their retention", extra={"members": evaluated})
    return {"evaluated": evaluated}
