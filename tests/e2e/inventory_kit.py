"""Helpers for the inventory's tests and the catalogue admin's stock tests: what reaches the
back-in-stock code through the StockReturned outbox event, drained through the real
stock-events consumer (chalicelib/engagement/events.py) the way the deployed function runs it."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.engagement.events import stock_events
from tests.conftest import TenantInfo
from tests.orders_kit import drain

Calls = list[tuple[int, list[int]]]


def drain_stock_events() -> int:
    return drain("stock-events", stock_events)


@pytest.fixture
def returned_calls(monkeypatch: pytest.MonkeyPatch, tenant: TenantInfo) -> Callable[[], Calls]:
    """`returned_calls()` → the (tenant, variation ids) the stock-events consumer has passed to
    engagement.service.stock_returned for this test's tenant so far (recorded, not e-mailed):
    each call first drains the queue.  Events of other tests' tenants still on the shared queue
    are dropped."""
    import chalicelib.engagement.service as engagement

    calls: Calls = []

    def record(tenant_id: int, variation_ids: list[int]) -> int:
        if tenant_id == tenant.id:
            calls.append((tenant_id, list(variation_ids)))
        return 0

    monkeypatch.setattr(engagement, "stock_returned", record)
    drain_stock_events()  # what earlier tests left behind
    calls.clear()

    def returned() -> Calls:
        drain_stock_events()
        return list(calls)

    return returned


def stock_returned_events(db: Any, tenant_id: int) -> list[list[int]]:
    """The variation ids of the tenant's StockReturned outbox events, oldest first."""
    from chalicelib.platform.cache import loads

    found = db.session().all("SELECT payload FROM outbox_events WHERE tenant_id = %s AND event_type = 'StockReturned' "
                             "AND queue = 'stock-events' ORDER BY id", (tenant_id,))
    return [loads(r["payload"])["variation_ids"] for r in found]
