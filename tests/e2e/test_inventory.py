"""The inventory area through its published interface (chalicelib/inventory/api.py): the orders'
moves and the admin's counts with their movement rows and product counters, the refusals, the
stock history, StockReturned written exactly when a variation's available stock goes from 0 to
more than 0, and that event consumed from the stock-events queue into back-in-stock e-mails.
Races: tests/integration/test_inventory_concurrency.py."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.inventory import api as inventory
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import Conflict, NotFound
from tests import engagement_fixtures
from tests.conftest import TenantInfo, make_tenant
from tests.e2e.inventory_kit import drain_stock_events, stock_returned_events
from tests.engagement_fixtures import add_variation, sign_in
from tests.notifications_outbox import drain_notifications, sent_emails
from tests.orders_kit import product, variation_stock

engagement_app, engagement_client = engagement_fixtures.engagement_app, engagement_fixtures.engagement_client
ORDER = 424242  # a reference: stock_movements.reference_id names the order, no foreign key


def run(work: Callable[[Any], Any], *, commit: bool = True) -> Any:
    def body(uow: Any) -> Any:
        result = work(uow)
        if commit:
            uow.commit()
        return result

    return get_db().transaction(body)


def line(tenant_id: int, variation_id: int, quantity: int) -> dict[str, Any]:
    product_id = get_db().session().scalar("SELECT product_id FROM product_variations WHERE tenant_id = %s AND id = %s",
                                           (tenant_id, variation_id))
    return {"variation_id": variation_id, "product_id": product_id, "quantity": quantity}


def counters(tenant_id: int, product_id: int) -> tuple[int, int]:
    row = get_db().session().one("SELECT total_stock, sold_count FROM products WHERE tenant_id = %s AND id = %s",
                                 (tenant_id, product_id))
    return int(row["total_stock"]), int(row["sold_count"])


def movements(tenant_id: int, product_id: int) -> list[tuple[Any, ...]]:
    found = get_db().session().all(
        """SELECT reason, delta, reserved_delta, stock_after, reference_type, reference_id, note
             FROM stock_movements WHERE tenant_id = %s AND product_id = %s ORDER BY id""", (tenant_id, product_id))
    return [tuple(r.values()) for r in found]


# -- orders' moves ---------------------------------------------------------------------------------
def test_reserve_sell_restock_release_move_stock_counters_and_the_log(tenant: TenantInfo):
    product_id, variation = product(get_db(), tenant.id, stock=5, name="Kamp Ocağı")
    t = tenant.id
    run(lambda uow: inventory.reserve(uow, t, ORDER, [(variation, product_id, 3, "Kamp Ocağı")], 7))
    assert variation_stock(get_db(), t, variation) == (5, 3)
    assert inventory.available(get_db().session(), t, [variation, 999999999]) == {variation: 2}
    assert inventory.available(get_db().session(), t, []) == {}

    with pytest.raises(Conflict) as short:
        run(lambda uow: inventory.reserve(uow, t, ORDER + 1, [(variation, product_id, 3, "Kamp Ocağı")], 7))
    assert (short.value.code, short.value.status) == ("insufficient_stock", 409)
    assert short.value.details == {"variation_id": variation, "requested": 3, "available": 2}
    assert short.value.params == {"name": "Kamp Ocağı", "available": 2}

    run(lambda uow: inventory.sell(uow, t, ORDER, [line(t, variation, 3)]))
    assert variation_stock(get_db(), t, variation) == (2, 0)
    assert counters(t, product_id) == (2, 3)
    run(lambda uow: inventory.restock(uow, t, ORDER, [line(t, variation, 1)], 8, reason="return", unsell=True))
    assert variation_stock(get_db(), t, variation) == (3, 0) and counters(t, product_id) == (3, 2)
    run(lambda uow: inventory.reserve(uow, t, ORDER + 2, [(variation, product_id, 2, "Kamp Ocağı")], None))
    run(lambda uow: inventory.release(uow, t, ORDER + 2, [line(t, variation, 2), {"variation_id": None,
                                                                               "product_id": 1, "quantity": 1}], 9))
    assert variation_stock(get_db(), t, variation) == (3, 0) and counters(t, product_id) == (3, 2)
    assert movements(t, product_id) == [
        ("order", 0, 3, None, "order", str(ORDER), None), ("order", -3, -3, None, "order", str(ORDER), None),
        ("return", 1, 0, None, "order", str(ORDER), None), ("order", 0, 2, None, "order", str(ORDER + 2), None),
        ("order_cancel", 0, -2, None, "order", str(ORDER + 2), None)]


def test_a_reservation_is_all_or_nothing_and_an_inactive_variation_is_not_reserved(tenant: TenantInfo):
    product_id, first = product(get_db(), tenant.id, stock=5)
    second = add_variation(tenant.id, product_id, stock=1)
    t = tenant.id
    with pytest.raises(Conflict):
        run(lambda uow: inventory.reserve(uow, t, ORDER, [(second, product_id, 2, "XL"), (first, product_id, 1, "L")],
                                          None))
    assert variation_stock(get_db(), t, first) == (5, 0) and movements(t, product_id) == []
    get_db().session().execute("UPDATE product_variations SET is_active = 0 WHERE id = %s", (first,))
    with pytest.raises(Conflict):
        run(lambda uow: inventory.reserve(uow, t, ORDER, [(first, product_id, 1, "L")], None))


def test_another_tenants_variation_is_never_touched(tenant: TenantInfo):
    product_id, variation = product(get_db(), tenant.id, stock=5)
    other = make_tenant().id
    with pytest.raises(Conflict):
        run(lambda uow: inventory.reserve(uow, other, ORDER, [(variation, product_id, 1, "x")], None))
    with pytest.raises(NotFound):
        run(lambda uow: inventory.adjust(uow, other, variation, delta=1, set_to=None, actor_id=None, reason="x"))
    assert inventory.available(get_db().session(), other, [variation]) == {}
    assert inventory.history(get_db().session(), other, product_id) == {"stock_movement_count": 0,
                                                                        "recent_stock_movements": []}
    assert variation_stock(get_db(), tenant.id, variation) == (5, 0)


# -- the admin's counts ----------------------------------------------------------------------------
def test_adjust_refuses_below_reserved_and_beyond_the_int_columns(tenant: TenantInfo):
    product_id, variation = product(get_db(), tenant.id, stock=5)
    t = tenant.id
    run(lambda uow: inventory.reserve(uow, t, ORDER, [(variation, product_id, 2, "x")], None))

    def adjust(**change: Any) -> Any:
        return run(lambda uow: inventory.adjust(uow, t, variation, actor_id=None, reason="sayım",
                                                **{"delta": None, "set_to": None, **change}))

    with pytest.raises(inventory.StockBelowReserved) as below:
        adjust(delta=-4)
    assert below.value.details == {"variation_id": variation, "stock": 5, "reserved": 2, "requested": 1}
    with pytest.raises(inventory.StockBelowReserved):
        adjust(set_to=1)
    with pytest.raises(inventory.OutOfRange) as beyond:
        adjust(delta=inventory.MAX_STOCK)
    assert [(f["field"], f["type"], f["limit"]) for f in beyond.value.details["fields"]] == [
        ("delta", "too_large", inventory.MAX_STOCK)]
    assert adjust(set_to=5)["movement_id"] is None  # no change, nothing written
    done = adjust(delta=-3)
    assert {k: done[k] for k in ("delta", "stock", "reserved", "available", "total_stock")} == {
        "delta": -3, "stock": 2, "reserved": 2, "available": 0, "total_stock": 2}
    assert movements(t, product_id)[-1] == ("adjustment", -3, 0, 2, None, None, "sayım")
    assert variation_stock(get_db(), t, variation) == (2, 2)


def test_history_of_a_product_and_of_one_variation_newest_first(tenant: TenantInfo):
    product_id, first = product(get_db(), tenant.id, stock=0)
    second = add_variation(tenant.id, product_id, stock=0)
    t = tenant.id
    for variation, delta in ((first, 4), (second, 2), (first, -1)):
        run(lambda uow, v=variation, d=delta: inventory.adjust(uow, t, v, delta=d, set_to=None, actor_id=None,
                                                                reason=f"{d}"))
    whole = inventory.history(get_db().session(), t, product_id, limit=2)
    assert whole["stock_movement_count"] == 3
    assert [(m["variation_id"], m["delta"], m["stock_after"]) for m in whole["recent_stock_movements"]] == [
        (first, -1, 3), (second, 2, 2)]
    one = inventory.history(get_db().session(), t, product_id, variation_id=first)
    assert one["stock_movement_count"] == 2 and [m["note"] for m in one["recent_stock_movements"]] == ["-1", "4"]


# -- StockReturned ---------------------------------------------------------------------------------
def test_stock_returned_is_written_exactly_when_available_stock_goes_from_zero(tenant: TenantInfo):
    product_id, variation = product(get_db(), tenant.id, stock=2)
    t = tenant.id

    def adjust(uow: Any, delta: int) -> Any:
        return inventory.adjust(uow, t, variation, delta=delta, set_to=None, actor_id=None, reason="x")

    run(lambda uow: inventory.reserve(uow, t, ORDER, [(variation, product_id, 2, "x")], None))  # 2 → 0
    assert stock_returned_events(get_db(), t) == []
    run(lambda uow: inventory.release(uow, t, ORDER, [line(t, variation, 1)], None))  # 0 → 1
    assert stock_returned_events(get_db(), t) == [[variation]]
    run(lambda uow: inventory.release(uow, t, ORDER, [line(t, variation, 1)], None))  # 1 → 2: already available
    run(lambda uow: adjust(uow, 3))
    run(lambda uow: adjust(uow, -5))  # 5 → 0
    run(lambda uow: adjust(uow, 1), commit=False)  # rolled back: no event either
    assert stock_returned_events(get_db(), t) == [[variation]]
    run(lambda uow: inventory.restock(uow, t, ORDER, [line(t, variation, 2)], None, reason="return", unsell=False))
    assert stock_returned_events(get_db(), t) == [[variation], [variation]]

    row = get_db().session().one("SELECT id, product_id, stock, reserved, is_active FROM product_variations "
                                 "WHERE id = %s", (variation,))
    run(lambda uow: inventory.switched(uow, t, {**row, "is_active": True}, False))  # off sale: 2 → 0
    run(lambda uow: inventory.switched(uow, t, {**row, "is_active": False}, True))  # on sale again: 0 → 2
    assert stock_returned_events(get_db(), t)[-1] == [variation]
    assert len(stock_returned_events(get_db(), t)) == 3

    second = add_variation(t, product_id, stock=0)
    rows = get_db().session().all("SELECT id, product_id, stock, reserved, is_active FROM product_variations "
                                  "WHERE product_id = %s ORDER BY id", (product_id,))
    assert run(lambda uow: inventory.set_counts(uow, t, [(r, 4) for r in rows], reason="import",
                                                reference_type="import", actor_id=None, note=None)) == []
    assert stock_returned_events(get_db(), t)[-1] == [second]  # one event for the operation, the one that was 0
    new = add_variation(t, product_id)
    assert run(lambda uow: inventory.open_stock(uow, t, product_id, [(new, 3, True)], reason="initial",
                                                actor_id=None)) == []
    assert variation_stock(get_db(), t, new) == (3, 0)
    assert len(stock_returned_events(get_db(), t)) == 4  # a new variation was never sold out


def test_stock_returned_becomes_back_in_stock_emails_through_the_queue(engagement_client: Any, tenant: TenantInfo):
    product_id, variation = product(get_db(), tenant.id, stock=0, name="Şişme Yatak")
    waiting = sign_in(engagement_client, tenant)
    assert waiting.api.post(f"/api/products/{product_id}/stock-alerts", {"variation_id": variation}).status_code == 201
    drain_stock_events()
    t = tenant.id
    run(lambda uow: inventory.adjust(uow, t, variation, delta=3, set_to=None, actor_id=None, reason="teslimat"))
    assert drain_stock_events() >= 1
    drain_notifications()
    assert [m["subject"] for m in sent_emails(to=waiting.email)] == ["Şişme Yatak yeniden stokta"]

    # The same event delivered again (SQS is at-least-once) and stock returning once more send nothing new:
    # the alert was answered.
    from chalicelib.engagement.events import handle_event

    handle_event({"type": "StockReturned", "tenant_id": t, "payload": {"variation_ids": [variation]}})
    handle_event({"type": "OrderPlaced", "tenant_id": t, "payload": {"order_id": 1}})  # not ours: skipped
    drain_notifications()
    assert len(sent_emails(to=waiting.email)) == 1


def test_one_transaction_drops_each_product_once(tenant: TenantInfo, monkeypatch: pytest.MonkeyPatch):
    from chalicelib.catalog import effects

    dropped: list[tuple[int, list[int], bool]] = []
    monkeypatch.setattr(effects, "invalidate", lambda tenant_id, ids, *, listings=True: dropped.append(
        (tenant_id, ids, listings)))
    product_id, variation = product(get_db(), tenant.id, stock=4)
    t = tenant.id

    def both(uow: Any) -> None:
        inventory.reserve(uow, t, ORDER, [(variation, product_id, 1, "x")], None)
        inventory.release(uow, t, ORDER, [line(t, variation, 1)], None)

    run(both)
    assert dropped == [(t, [product_id], False)]  # a reservation changes the detail, not the listings
    run(both, commit=False)
    assert len(dropped) == 1  # nothing after a rollback
    run(lambda uow: inventory.adjust(uow, t, variation, delta=1, set_to=None, actor_id=None, reason="x"))
    assert dropped[-1] == (t, [product_id], True)
