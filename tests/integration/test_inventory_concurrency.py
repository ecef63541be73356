"""The inventory's moves racing each other over real MariaDB connections (one per thread, as one
Lambda container per concurrent request would have): checkouts of the last units never
oversell, and an admin adjustment racing reservations never leaves less on hand than is held."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.inventory import api as inventory
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import Conflict
from tests.conftest import TenantInfo
from tests.helpers import simultaneously
from tests.orders_kit import product, variation_stock

THREADS = 20


def _outcome(work: Callable[[Any], Any]) -> Callable[[], Any]:
    """Run `work(uow)` in its own committed transaction; the exception instead of raising it."""

    def call() -> Any:
        def body(uow: Any) -> Any:
            result = work(uow)
            uow.commit()
            return result if result is not None else "ok"

        try:
            return get_db().transaction(body)
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            return exc

    return call


def _reserve(tenant_id: int, product_id: int, variation_id: int, quantity: int, order_id: int) -> Callable[[], Any]:
    return _outcome(lambda uow: inventory.reserve(uow, tenant_id, order_id, [(variation_id, product_id, quantity, "x")],
                                                  None))


def _held(tenant_id: int, variation_id: int) -> tuple[int, int]:
    reserved, movements = get_db().session().one(
        """SELECT COALESCE(SUM(reserved_delta), 0) AS reserved, COUNT(*) AS movements FROM stock_movements
            WHERE tenant_id = %s AND variation_id = %s AND reason = 'order'""", (tenant_id, variation_id)).values()
    return int(reserved), int(movements)


def test_twenty_checkouts_of_seven_units_hold_exactly_seven(tenant: TenantInfo):
    product_id, variation = product(get_db(), tenant.id, stock=7)
    results = simultaneously(*[_reserve(tenant.id, product_id, variation, 1, 1000 + i) for i in range(THREADS)])
    won = [r for r in results if r == "ok"]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 7 and len(lost) == THREADS - 7, results
    assert all(r.code == "insufficient_stock" for r in lost)
    assert variation_stock(get_db(), tenant.id, variation) == (7, 7)
    assert _held(tenant.id, variation) == (7, 7)  # one movement per hold, none for the refused


def test_larger_baskets_racing_for_the_last_units_never_oversell(tenant: TenantInfo):
    product_id, variation = product(get_db(), tenant.id, stock=5)
    results = simultaneously(*[_reserve(tenant.id, product_id, variation, 2, 2000 + i) for i in range(THREADS)])
    assert len([r for r in results if r == "ok"]) == 2, results
    assert variation_stock(get_db(), tenant.id, variation) == (5, 4)
    assert inventory.available(get_db().session(), tenant.id, [variation]) == {variation: 1}


def test_adjustments_racing_reservations_never_leave_less_on_hand_than_is_held(tenant: TenantInfo):
    product_id, variation = product(get_db(), tenant.id, stock=10)
    half = THREADS // 2
    calls = [_reserve(tenant.id, product_id, variation, 1, 3000 + i) for i in range(half)] + [
        _outcome(lambda uow: inventory.adjust(uow, tenant.id, variation, delta=-1, set_to=None, actor_id=None,
                                              reason="fire")) for _ in range(half)]
    results = simultaneously(*calls)
    reserved_ok = [r for r in results[:half] if r == "ok"]
    adjusted = [r for r in results[half:] if isinstance(r, dict)]
    refused = [r for r in results if r != "ok" and not isinstance(r, dict)]
    assert all(isinstance(r, (inventory.StockBelowReserved, Conflict)) for r in refused), refused
    # Each move needs one free unit and there were ten: every unit went to exactly one of them.
    assert len(reserved_ok) + len(adjusted) == 10, results
    stock, reserved = variation_stock(get_db(), tenant.id, variation)
    assert (stock, reserved) == (10 - len(adjusted), len(reserved_ok))
    assert stock - reserved == 0
    assert get_db().session().scalar("SELECT total_stock FROM products WHERE id = %s", (product_id,)) == stock
    chain = get_db().session().all("SELECT delta, stock_after FROM stock_movements WHERE variation_id = %s "
                                   "AND reason = 'adjustment' ORDER BY id", (variation,))
    assert [m["stock_after"] for m in chain] == list(range(9, 9 - len(adjusted), -1))  # no update lost


def test_two_line_baskets_held_in_one_statement_race_in_id_order_and_never_oversell(tenant: TenantInfo):
    """reserve(one_statement=True): both lines in one UPDATE.  Baskets name the lines in opposite
    orders (the rows are still locked in id order: no deadlock), and a basket short anywhere holds
    nothing once its transaction rolls back (ReserveLineByLine, which the checkout answers by
    holding line by line)."""
    first, v1 = product(get_db(), tenant.id, stock=6)
    second, v2 = product(get_db(), tenant.id, stock=4)

    def basket(order_id: int, flipped: bool) -> Callable[[], Any]:
        lines = [(v1, first, 1, "a"), (v2, second, 1, "b")]
        return _outcome(lambda uow: inventory.reserve(uow, tenant.id, order_id, lines[::-1] if flipped else lines,
                                                      None, one_statement=True))

    results = simultaneously(*[basket(4000 + i, i % 2 == 1) for i in range(THREADS)])
    won = [r for r in results if r == "ok"]
    assert len(won) == 4, results
    assert all(isinstance(r, inventory.ReserveLineByLine) for r in results if r != "ok"), results
    assert variation_stock(get_db(), tenant.id, v1) == (6, 4) and variation_stock(get_db(), tenant.id, v2) == (4, 4)
    assert _held(tenant.id, v1) == (4, 4) and _held(tenant.id, v2) == (4, 4)
