"""What happens after a catalogue or stock write commits: the shop's caches forget the old
rows.  Shared by the catalogue admin (every product write) and the inventory area (reservations,
sales, cancels, returns, stock counts), which both import it through catalog.api.

A service collects what its transaction changed in an `Effects` and calls `schedule(uow)`
before committing, or takes the transaction's shared collector with `Effects.of(uow, tenant_id)`
(scheduled on first use, so the inventory's moves and the admin's own changes in one
transaction drop each product once); the work runs through `uow.on_commit`, so nothing leaves
an open (or rolled-back) transaction.  A failure here is logged and does not fail the request:
the change is committed, and an error answer would invite a retry that applies a stock delta
twice.  The cached product detail expires on its own (catalog.service.DETAIL_TTL_SECONDS) should
an invalidation be lost with Redis down.  (A variation back in stock is the inventory's
StockReturned event, published through the outbox, not an effect of this module.)
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from chalicelib.platform.db import UnitOfWork
from chalicelib.platform.logging import get_logger

log = get_logger("catalog.effects")


@dataclass
class Effects:
    tenant_id: int
    products: set[int] = field(default_factory=set)  # product details to drop from the cache
    catalog: bool = False  # listings / facets / search answers changed

    @classmethod
    def of(cls, uow: UnitOfWork, tenant_id: int) -> Effects:
        """The transaction's one collector for the tenant, scheduled when first asked for: what is
        added until the commit is what runs after it.  Do not `schedule` it again."""
        key = f"catalog.effects:{tenant_id}"
        effects: Effects | None = uow.state.get(key)
        if effects is None:
            effects = uow.state[key] = cls(tenant_id)
            uow.on_commit(_guarded("cache invalidation", effects._invalidate))
        return effects

    def product(self, *product_ids: int) -> Effects:
        self.products.update(int(p) for p in product_ids)
        self.catalog = True
        return self

    def products_of(self, product_ids: Iterable[int]) -> Effects:
        return self.product(*product_ids)

    def schedule(self, uow: UnitOfWork) -> None:
        if self.products or self.catalog:
            uow.on_commit(_guarded("cache invalidation", self._invalidate))

    def _invalidate(self) -> None:
        if self.products or self.catalog:
            invalidate(self.tenant_id, sorted(self.products), listings=self.catalog)


def _guarded(what: str, fn: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            fn()
        except Exception:  # noqa: BLE001 - see the module docstring: the change is committed
            log.exception("after-commit effect failed", extra={"effect": what})

    return run


def invalidate(tenant_id: int, product_ids: list[int], *, listings: bool = True) -> None:
    """Drop the products' cached details; with `listings`, bump the catalogue version too (an
    order's reservation changes a detail's stock status but no listing)."""
    from .service import catalog_changed, forget_product

    forget_product(tenant_id, *product_ids)
    if listings:
        catalog_changed(tenant_id)

