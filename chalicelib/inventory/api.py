"""What the inventory area publishes to other areas (issue 10 item 3): it owns stock.

Orders' moves, each in the caller's transaction (rows in variation-id order, conditional updates):
    reserve(uow, tenant_id, order_id, lines, actor_id, one_statement=False)
                                                           lines: (variation_id, product_id, quantity, name);
                                                           all or none, 409 insufficient_stock; with
                                                           one_statement, several lines are held by one UPDATE
                                                           and a shortfall raises ReserveLineByLine instead
    release(uow, tenant_id, order_id, items, actor_id)     an unpaid order's hold goes back
    sell(uow, tenant_id, order_id, items)                  payment arrived: held units leave stock
    restock(uow, tenant_id, order_id, items, actor_id, reason=, unsell=)  units back on the shelf
                                                           (paid cancel, return received)
    available(session, tenant_id, variation_ids) → {variation_id: stock - reserved, at least 0}
    (items: order lines as dicts with variation_id, product_id, quantity)
The catalogue admin's counts:
    adjust(uow, tenant_id, variation_id, delta=|set_to=, actor_id=, reason=) → the new figures;
                                                           409 stock_below_reserved, 400 beyond the INT columns
    set_counts(uow, tenant_id, [(locked variation row, new stock)], reason=, reference_type=, actor_id=, note=)
    open_stock(uow, tenant_id, product_id, [(variation_id, stock, active)], reason=, actor_id=)
    open_new_products(uow, tenant_id, [(product_id, variation_id, stock)], reason=, actor_id=)
                                                           new one-variation products (a feed's): opening stock,
                                                           totals and movements in a few statements
    switched(uow, tenant_id, locked variation row, active)  on / off sale: the product's total follows
                                                           (the last three return the products whose total
                                                           would leave its INT column: the caller refuses)
    history(session, tenant_id, product_id, variation_id=, limit=)  the stock movements, newest first
    MAX_STOCK, MAX_TOTAL_STOCK         the INT columns' limits
    StockBelowReserved (409), OutOfRange(field, limit) (400 validation_failed, type too_large)
The event, published through the outbox on the stock-events queue in the transaction of the
move that caused it:
    StockReturned(tenant_id, variation_ids)   available stock went from 0 to more than 0

Every move also drops the touched products' cached details after the commit (the transaction's
catalog.api Effects).  Everything else under chalicelib/inventory/ is private.  This module
imports only the standard library: the moves, their SQL and the catalogue's effects load on
first call, so a function that only names the event or the limits pays nothing for them.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from chalicelib.platform.db import Session, UnitOfWork

    from .errors import OutOfRange, StockBelowReserved

__all__ = [
    "MAX_STOCK", "MAX_TOTAL_STOCK", "OutOfRange", "ReserveLineByLine", "StockBelowReserved", "StockReturned", "adjust",
    "available", "history",
    "open_new_products", "open_stock", "release", "reserve", "restock", "sell", "set_counts", "switched",
]

MAX_STOCK = 2_000_000_000  # one variation's stock (product_variations.stock INT)
MAX_TOTAL_STOCK = 2_147_483_647  # products.total_stock INT: the sum over a product's variations


class StockReturned:
    """Available stock of these variations went from 0 to more than 0.

    A plain class, not a dataclass: this module is on the cold start of every function that moves
    stock, and building a dataclass costs about a millisecond at import."""

    __slots__ = ("tenant_id", "variation_ids")
    TYPE: ClassVar[str] = "StockReturned"
    QUEUE: ClassVar[str] = "stock-events"

    def __init__(self, tenant_id: int, variation_ids: tuple[int, ...]) -> None:
        self.tenant_id = tenant_id
        self.variation_ids = variation_ids

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, StockReturned) and (self.tenant_id, self.variation_ids)
                == (other.tenant_id, other.variation_ids))

    def __hash__(self) -> int:
        return hash((self.tenant_id, self.variation_ids))

    def __repr__(self) -> str:
        return f"StockReturned(tenant_id={self.tenant_id}, variation_ids={self.variation_ids})"

    def payload(self) -> dict[str, Any]:
        return {"variation_ids": list(self.variation_ids)}

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> StockReturned | None:
        """The event in an outbox message (platform/outbox.message), None for another type."""
        if message.get("type") != cls.TYPE:
            return None
        ids = (message.get("payload") or {}).get("variation_ids") or []
        return cls(int(message["tenant_id"]), tuple(int(v) for v in ids))


class ReserveLineByLine(Exception):  # noqa: N818 - an instruction to the caller, not an error shown to anyone
    """reserve(one_statement=True) could not hold every line in its one UPDATE: some rows are held,
    and which line fell short that statement cannot tell.  Roll the transaction back and run it again
    with one_statement=False: the line-by-line holds name the short line (409 insufficient_stock),
    or succeed if stock came back meanwhile."""


def __getattr__(name: str) -> Any:
    if name in ("OutOfRange", "StockBelowReserved"):  # error classes, loaded with their messages
        from . import errors

        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- orders ----------------------------------------------------------------------------------------
def reserve(uow: UnitOfWork, tenant_id: int, order_id: int, lines: list[tuple[int, int, int, str]],
            actor_id: int | None, *, one_statement: bool = False) -> None:
    from . import moves  # lazy: see the module docstring

    moves.reserve(uow, tenant_id, order_id, lines, actor_id, one_statement=one_statement)


def release(uow: UnitOfWork, tenant_id: int, order_id: int, items: Iterable[dict[str, Any]],
            actor_id: int | None) -> None:
    from . import moves

    moves.release(uow, tenant_id, order_id, items, actor_id)


def sell(uow: UnitOfWork, tenant_id: int, order_id: int, items: Iterable[dict[str, Any]]) -> None:
    from . import moves

    moves.sell(uow, tenant_id, order_id, items)


def restock(uow: UnitOfWork, tenant_id: int, order_id: int, items: Iterable[dict[str, Any]], actor_id: int | None,
            *, reason: str, unsell: bool) -> None:
    from . import moves

    moves.restock(uow, tenant_id, order_id, items, actor_id, reason=reason, unsell=unsell)


def available(session: Session, tenant_id: int, variation_ids: list[int]) -> dict[int, int]:
    from . import repository

    return repository.available(session, tenant_id, variation_ids) if variation_ids else {}


# -- the catalogue admin ---------------------------------------------------------------------------
def adjust(uow: UnitOfWork, tenant_id: int, variation_id: int, *, delta: int | None, set_to: int | None,
           actor_id: int | None, reason: str) -> dict[str, Any]:
    from . import counts

    return counts.adjust(uow, tenant_id, variation_id, delta=delta, set_to=set_to, actor_id=actor_id, reason=reason)


def set_counts(uow: UnitOfWork, tenant_id: int, changes: list[tuple[dict[str, Any], int]], *, reason: str,
               reference_type: str | None, actor_id: int | None, note: str | None) -> list[int]:
    from . import counts

    return counts.set_counts(uow, tenant_id, changes, reason=reason, reference_type=reference_type,
                             actor_id=actor_id, note=note)


def open_stock(uow: UnitOfWork, tenant_id: int, product_id: int, stocks: list[tuple[int, int, bool]], *,
               reason: str, actor_id: int | None) -> list[int]:
    from . import counts

    return counts.open_stock(uow, tenant_id, product_id, stocks, reason=reason, actor_id=actor_id)


def open_new_products(uow: UnitOfWork, tenant_id: int, stocks: list[tuple[int, int, int]], *, reason: str,
                      actor_id: int | None) -> None:
    from . import counts

    counts.open_new_products(uow, tenant_id, stocks, reason=reason, actor_id=actor_id)


def switched(uow: UnitOfWork, tenant_id: int, variation: dict[str, Any], active: bool) -> list[int]:
    from . import counts

    return counts.switched(uow, tenant_id, variation, active)


def history(session: Session, tenant_id: int, product_id: int, *, variation_id: int | None = None,
            limit: int = 20) -> dict[str, Any]:
    """{"stock_movement_count": how many, "recent_stock_movements": the newest `limit`}."""
    from . import repository

    count, movements = repository.history(session, tenant_id, product_id, variation_id, limit)
    return {"stock_movement_count": count, "recent_stock_movements": movements}
