"""What happens after a catalogue or stock write commits: the shop's caches forget the old
rows, and back-in-stock subscribers hear that a variation is available again.  Shared by the
catalogue admin (every product write) and the order side (reservations, sales, cancels,
returns - orders.stock), which both import it from here.

A service collects what its transaction changed in an `Effects` and calls `schedule(uow)`
before committing; the work runs through `uow.on_commit`, so nothing leaves an open (or
rolled-back) transaction.  A failure here is logged and does not fail the request: the change
is committed, and an error answer would invite a retry that applies a stock delta twice.
The cached product detail expires on its own (catalog.service.DETAIL_TTL_SECONDS) should
an invalidation be lost with Redis down.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from chalicelib.platform.db import UnitOfWork
from chalicelib.platform.logging import get_logger

log = get_logger("catalog.effects")
# engagement.api imports the area's modules when called, so a missing one surfaces at the call.
_ENGAGEMENT_MODULES = {"chalicelib.engagement", "chalicelib.engagement.api", "chalicelib.engagement.service"}


@dataclass
class Effects:
    tenant_id: int
    products: set[int] = field(default_factory=set)  # product details to drop from the cache
    catalog: bool = False  # listings / facets / search answers changed
    returned: set[int] = field(default_factory=set)  # variations whose available stock went 0 → >0

    def product(self, *product_ids: int) -> Effects:
        self.products.update(int(p) for p in product_ids)
        self.catalog = True
        return self

    def products_of(self, product_ids: Iterable[int]) -> Effects:
        return self.product(*product_ids)

    def stock(self, variation_id: int, available_before: int, available_after: int) -> None:
        if available_before <= 0 < available_after:
            self.returned.add(int(variation_id))

    def schedule(self, uow: UnitOfWork) -> None:
        if self.products or self.catalog:
            uow.on_commit(_guarded("cache invalidation", lambda: invalidate(self.tenant_id, sorted(self.products),
                                                                            listings=self.catalog)))
        if self.returned:
            uow.on_commit(_guarded("stock_returned", lambda: notify_stock_returned(self.tenant_id,
                                                                                   sorted(self.returned))))


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

    for product_id in product_ids:
        forget_product(tenant_id, product_id)
    if listings:
        catalog_changed(tenant_id)


def notify_stock_returned(tenant_id: int, variation_ids: list[int]) -> None:
    try:
        from chalicelib.engagement.api import stock_returned

        stock_returned(tenant_id, variation_ids)
    except ImportError as exc:  # engagement area not deployed in this function
        if exc.name not in _ENGAGEMENT_MODULES:
            raise  # the area is there but broken: logged by _guarded, not hidden
        log.info("engagement area absent: no back-in-stock notification", extra={"variations": variation_ids})
