"""What the engagement area publishes to other areas (issue 10 item 1).

    stock_returned(tenant_id, variation_ids)    e-mail the back-in-stock subscribers of variations
                                                whose available stock went 0 → >0; call after the
                                                commit, outside a transaction → e-mails queued
    erase_user_data(uow, tenant_id, user_id)    KVKK account deletion: reviews, favourites, alerts
                                                (rating summaries recomputed), in the caller's transaction

Everything else under chalicelib/engagement/ is private.  Both callers imported these inside
their functions (after a stock move commits; on account deletion), so the engagement modules are
imported on first call, never on a cold start.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.platform.db import UnitOfWork

__all__ = ["erase_user_data", "stock_returned"]


def stock_returned(tenant_id: int, variation_ids: list[int]) -> int:
    from .service import stock_returned as notify_subscribers  # lazy: see the module docstring

    return notify_subscribers(tenant_id, variation_ids)


def erase_user_data(uow: UnitOfWork, tenant_id: int, user_id: int) -> None:
    from .reviews import erase_user_data as erase  # lazy: see the module docstring

    erase(uow, tenant_id, user_id)
