"""Stock adjustments racing each other over real MariaDB connections (one per thread, as one
Lambda container per concurrent request would have): no update is lost, stock never falls
below the reserved quantity, and products.total_stock stays the sum of its active variations."""
from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from chalicelib.catalog_admin import products, taxonomy, variations
from chalicelib.catalog_admin.common import Actor
from chalicelib.inventory.api import StockBelowReserved
from chalicelib.platform.db import get_db
from tests.conftest import TenantInfo

THREADS = 20


def _product(tenant_id: int, stocks: list[int]) -> tuple[int, list[int]]:
    db = get_db()
    category = taxonomy.create_category(db, tenant_id, {"name": f"Kamp {uuid.uuid4().hex[:6]}"})
    created = products.create_product(db, tenant_id, Actor(None), {
        "name": "Termos", "category_id": category["id"], "status": "active", "base_price": Decimal("899.00"),
        "variations": [{"sku": f"C-{uuid.uuid4().hex[:8]}", "price": Decimal("899.00"), "stock": s} for s in stocks]})
    return created["id"], [v["id"] for v in created["variations"]]


def _race(work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) in THREADS threads released at the same instant; returns results or exceptions."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc
        finally:
            get_db().close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def _state(product_id: int) -> dict[str, Any]:
    s = get_db().session()
    return {
        "stocks": {r["id"]: r["stock"] for r in s.all(
            "SELECT id, stock FROM product_variations WHERE product_id = %s ORDER BY id", (product_id,))},
        "total": s.scalar("SELECT total_stock FROM products WHERE id = %s", (product_id,)),
        "active_sum": s.scalar("SELECT SUM(stock) FROM product_variations WHERE product_id = %s AND is_active = 1",
                               (product_id,)),
        "moved": s.scalar("SELECT COALESCE(SUM(delta), 0) FROM stock_movements WHERE product_id = %s "
                          "AND reason = 'adjustment'", (product_id,)),
        "movements": s.scalar("SELECT COUNT(*) FROM stock_movements WHERE product_id = %s AND reason = 'adjustment'",
                              (product_id,)),
    }


def test_twenty_threads_adjusting_by_one_leave_the_exact_sum(tenant: TenantInfo):
    product_id, [variation_id] = _product(tenant.id, [100])
    rng = random.Random(4)
    deltas = [[rng.choice((1, -1)) for _ in range(5)] for _ in range(THREADS)]

    def work(i: int) -> list[int]:
        return [variations.adjust_stock(get_db(), tenant.id, Actor(None), variation_id, delta=d, set_to=None,
                                        reason=f"thread {i}")["stock"] for d in deltas[i]]

    results = _race(work)
    assert not [r for r in results if isinstance(r, Exception)], results
    expected = 100 + sum(map(sum, deltas))
    state = _state(product_id)
    assert state["stocks"] == {variation_id: expected}
    assert state["total"] == state["active_sum"] == expected
    assert state["moved"] == expected - 100 and state["movements"] == THREADS * 5
    # The movements were written under the variation's row lock, so in id order each one starts
    # where the previous one ended: a chain from 100 to the final stock, no update lost.
    chain = get_db().session().all("SELECT delta, stock_after FROM stock_movements WHERE product_id = %s "
                                   "AND reason = 'adjustment' ORDER BY id", (product_id,))
    level = 100
    for movement in chain:
        assert movement["stock_after"] - movement["delta"] == level
        level = movement["stock_after"]
    assert level == expected


def test_racing_decrements_stop_exactly_at_the_reserved_quantity(tenant: TenantInfo):
    product_id, [variation_id] = _product(tenant.id, [10])
    get_db().session().execute("UPDATE product_variations SET reserved = 5 WHERE id = %s", (variation_id,))

    results = _race(lambda i: variations.adjust_stock(get_db(), tenant.id, Actor(None), variation_id, delta=-1,
                                                      set_to=None, reason="fire"))
    refused = [r for r in results if isinstance(r, StockBelowReserved)]
    applied = [r for r in results if isinstance(r, dict)]
    assert len(applied) == 5 and len(refused) == THREADS - 5, results
    assert sorted(r["stock"] for r in applied) == [5, 6, 7, 8, 9]
    state = _state(product_id)
    assert state["stocks"] == {variation_id: 5} and state["total"] == 5 and state["movements"] == 5


def test_sibling_variations_keep_the_product_total_in_step(tenant: TenantInfo):
    product_id, ids = _product(tenant.id, [50, 50, 50])
    rng = random.Random(9)
    plan = [(ids[i % 3], rng.choice((("delta", 3), ("delta", -2), ("set", rng.randint(10, 60))))) for i in range(THREADS)]

    def work(i: int) -> dict[str, Any]:
        variation_id, (kind, value) = plan[i]
        return variations.adjust_stock(get_db(), tenant.id, Actor(None), variation_id,
                                       delta=value if kind == "delta" else None,
                                       set_to=value if kind == "set" else None, reason="karışık")

    results = _race(work)
    assert not [r for r in results if isinstance(r, Exception)], results
    state = _state(product_id)
    assert state["total"] == state["active_sum"] == sum(state["stocks"].values())
    assert state["moved"] == sum(state["stocks"].values()) - 150
