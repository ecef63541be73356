"""What an inventory operation changed, for after it: the catalogue's caches and StockReturned.

Each operation collects into `Moves`: the products whose cached detail (and, for changes of a
product's total, listings) must be dropped after the commit - the transaction's one
`catalog.api.Effects` collector, shared with a catalogue-admin caller in the same transaction -
and the variations whose available stock went from 0 to more than 0.  `done()` writes one
StockReturned outbox event for those, in the operation's transaction, so the event exists
exactly when the stock change does (engagement's back-in-stock consumer reads it from the
stock-events queue).
"""
from __future__ import annotations

from chalicelib.catalog.api import Effects
from chalicelib.platform import outbox
from chalicelib.platform.db import UnitOfWork

from .api import StockReturned


class Moves:
    def __init__(self, uow: UnitOfWork, tenant_id: int) -> None:
        self.uow, self.tenant_id = uow, tenant_id
        self.effects = Effects.of(uow, tenant_id)
        self.returned: set[int] = set()

    def stock(self, variation_id: int, available_before: int, available_after: int) -> None:
        if available_before <= 0 < available_after:
            self.returned.add(int(variation_id))

    def done(self) -> None:
        if not self.returned:
            return
        event = StockReturned(self.tenant_id, tuple(sorted(self.returned)))
        outbox.add(self.uow, self.tenant_id, StockReturned.TYPE, event.payload(), queue=StockReturned.QUEUE,
                   aggregate_type="variation",
                   aggregate_id=event.variation_ids[0] if len(event.variation_ids) == 1 else None)
