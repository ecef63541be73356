"""What the engagement area publishes to other areas (issue 10 item 1).

    erase_user_data(uow, tenant_id, user_id)    KVKK account deletion: reviews, favourites, alerts
                                                (rating summaries recomputed), in the caller's transaction

Everything else under chalicelib/engagement/ is private.  The caller imports this inside its
function (on account deletion), so the engagement modules are imported on first call, never on a
cold start.  Back-in-stock alerts react to the inventory's StockReturned event (events.py, the
stock-events consumer): no other area calls them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.platform.db import UnitOfWork

__all__ = ["erase_user_data"]


def erase_user_data(uow: UnitOfWork, tenant_id: int, user_id: int) -> None:
    from .reviews import erase_user_data as erase  # lazy: see the module docstring

    erase(uow, tenant_id, user_id)
