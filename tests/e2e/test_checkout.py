"""Checkout (POST /api/orders): totals, snapshot, reservation, idempotency, never overselling."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.platform import cache, outbox
from chalicelib.platform.db import get_db
from tests.conftest import make_tenant
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import simultaneously
from tests.orders_kit import checkout, fill_cart, pay, product, shopper, variation_stock


@pytest.fixture
def db():
    return get_db()


def counts(db, tenant_id: int) -> dict[str, int]:
    s = db.session()
    return {t: s.scalar(f"SELECT COUNT(*) FROM {t} WHERE tenant_id = %s", (tenant_id,))
            for t in ("orders", "order_items", "order_status_history", "stock_movements")}


def test_checkout_snapshots_prices_computes_vat_reserves_stock_and_empties_the_cart(client, tenant, db):
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="1249.90", stock=5)
    p2, v2 = product(db, tenant.id, price="100.00", stock=3, name="Çadır Kazığı", vat_rate="10.00")
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 2), (p2, v2, 1)])

    response = checkout(who, shipping_method="standard", customer_note="Kapıya bırakın")
    assert response.status_code == 201, response.body
    order = response.json
    assert order["status"] == "pending_payment" and order["payment_status"] == "unpaid"
    assert Decimal(order["subtotal"]) == Decimal("2599.80")
    assert Decimal(order["shipping_total"]) == Decimal("0.00")  # over the 750 TL free-shipping line
    assert Decimal(order["grand_total"]) == Decimal("2599.80")
    # VAT inside VAT-inclusive prices: 2499.80 at 20 % → 416.63; 100.00 at 10 % → 9.09
    assert Decimal(order["vat_total"]) == Decimal("416.63") + Decimal("9.09")
    lines = {i["variation_id"]: i for i in order["items"]}
    assert lines[v1]["name"] == "Şişme Yatak" and lines[v1]["quantity"] == 2
    assert Decimal(lines[v1]["line_total"]) == Decimal("2499.80")
    assert order["shipping_address"]["first_name"] == "Ayşe" and "sealed" not in order["shipping_address"]
    assert order["timeline"][0]["to_status"] == "pending_payment" and order["can_cancel"] is True
    assert order["order_number"].startswith("S") and order["reserved_until"]

    assert variation_stock(db, tenant.id, v1) == (5, 2) and variation_stock(db, tenant.id, v2) == (3, 1)
    assert db.session().scalar("SELECT COUNT(*) FROM cart_items WHERE tenant_id = %s", (tenant.id,)) == 0
    # the price the customer pays is frozen: a later price change does not touch the order
    db.session().execute("UPDATE product_variations SET price = 1 WHERE tenant_id = %s AND id = %s", (tenant.id, v1))
    again = who.api.get(f"/api/orders/{order['id']}").json
    assert Decimal(again["items"][0]["unit_price"]) in (Decimal("1249.90"), Decimal("100.00"))
    assert Decimal(again["grand_total"]) == Decimal("2599.80")
    event = db.session().one("SELECT id, queue, event_type, status FROM outbox_events WHERE tenant_id = %s "
                             "AND queue <> %s", (tenant.id, "events"))  # the ML service's events are deferred
    # published after the commit: the row waits, with a sent mark, for the relay to settle it
    assert cache.redis_client().get(outbox._mark_key(event.pop("id")))
    assert event == {"queue": "order-events", "event_type": "OrderPlaced", "status": "pending"}


def test_the_new_orders_answer_is_the_order_as_read_back_and_its_replay(client, tenant, db):
    """The 201 is built from what the checkout wrote (no read after the commit): it must be, field
    for field, what GET /api/orders/{id} and a replay of the key read from the database."""
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="1249.90", stock=5)
    p2, v2 = product(db, tenant.id, price="33.33", stock=3, name="Çadır Kazığı", vat_rate="10.00")
    db.session().execute("UPDATE product_variations SET options = %s WHERE tenant_id = %s AND id = %s",
                         ('{"renk": "kırmızı"}', tenant.id, v2))
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1), (p2, v2, 3)])
    key = uuid.uuid4().hex
    placed = checkout(who, key, shipping_method="express", customer_note="Zile basmayın", payment_method="eft")
    assert placed.status_code == 201, placed.body
    read = who.api.get(f"/api/orders/{placed.json['id']}")
    replay = checkout(who, key, shipping_method="express", customer_note="Zile basmayın", payment_method="eft")
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert placed.json == read.json == replay.json
    assert [i["variation_id"] for i in placed.json["items"]] == sorted([v1, v2])
    assert placed.json["timeline"][0]["created_at"] == placed.json["placed_at"]


def test_shipping_fee_applies_below_the_free_shipping_line(client, tenant, db):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id, price="100.00")
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    order = checkout(who, shipping_method="express").json
    assert Decimal(order["shipping_total"]) == Decimal("99.90") and order["shipping_method"] == "express"
    assert Decimal(order["grand_total"]) == Decimal("199.90")
    assert Decimal(order["vat_total"]) == Decimal("16.67") + Decimal("16.65")  # goods + cargo, both 20 %


def test_the_same_idempotency_key_answers_the_same_order_and_reserves_nothing_more(client, tenant, db):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id, stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 2)])
    key = uuid.uuid4().hex
    first = checkout(who, key)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])  # even with a new cart, the key means "that order"
    second = checkout(who, key)
    assert first.status_code == second.status_code == 201
    assert second.json["id"] == first.json["id"] and second.headers.get("Idempotent-Replayed") == "true"
    assert variation_stock(db, tenant.id, v) == (5, 2)
    assert counts(db, tenant.id)["orders"] == 1
    # the replay met the key at the end (idempotency.claim_answered) and rolled its own work back
    assert db.session().scalar("SELECT COUNT(*) FROM cart_items WHERE tenant_id = %s", (tenant.id,)) == 1
    db.session().execute("DELETE FROM cart_items WHERE tenant_id = %s", (tenant.id,))
    third = checkout(who, key)  # the cart empty: the key looked up
    assert third.status_code == 201 and third.json["id"] == first.json["id"]
    assert third.headers.get("Idempotent-Replayed") == "true"
    assert_error_shape(checkout(who, key, customer_note="başka"), 409, "idempotency_key_reused")
    assert_error_shape(checkout(who), 409, "cart_empty")  # a new key finds the cart empty
    # the cart filled again with something refused (off sale, too many): the key still means that order
    gone, gone_v = product(db, tenant.id, stock=5)
    db.session().execute("UPDATE products SET status = 'archived' WHERE tenant_id = %s AND id = %s", (tenant.id, gone))
    fill_cart(db, tenant.id, who.user_id, [(gone, gone_v, 1), (p, v, 9)])
    fourth = checkout(who, key)
    assert fourth.status_code == 201 and fourth.json["id"] == first.json["id"], fourth.body
    assert_error_shape(checkout(who, key, customer_note="başka"), 409, "idempotency_key_reused")
    assert_error_shape(checkout(who), 409, "cart_item_unavailable")  # a new key gets the refusal


def test_concurrent_replays_of_one_key_make_one_order(client, tenant, db):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id, stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    key = uuid.uuid4().hex
    answers = simultaneously(*[lambda: checkout(who, key) for _ in range(6)])
    assert {a.status_code for a in answers} == {201}
    assert len({a.json["id"] for a in answers}) == 1
    assert variation_stock(db, tenant.id, v) == (5, 1)


def test_one_cart_checked_out_twice_at_once_with_two_keys_makes_one_order(client, tenant, db):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id, stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 2)])
    answers = simultaneously(*[lambda: checkout(who) for _ in range(4)])  # a key each: four taps
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    for refused in (a for a in answers if a.status_code == 409):
        assert_error_shape(refused, 409, "cart_empty")
    assert variation_stock(db, tenant.id, v) == (5, 2)
    assert counts(db, tenant.id)["orders"] == 1


def test_the_checkout_takes_exactly_the_lines_it_read(client, tenant, db):
    """cart.api.take_lines is the serialisation point.  A second checkout that read the same lines
    waits for the first, then finds them gone (CartChanged: it runs again).  A cart change made
    through the API while the checkout holds the lines waits for it (both lock the carts row), then
    sees the cart without them; one committed between the read and the take is caught.  A
    rollback puts the taken lines back."""
    import threading

    from chalicelib.cart.api import CartChanged, read_user_cart, take_lines

    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, stock=5)
    p2, v2 = product(db, tenant.id, stock=5)
    p3, v3 = product(db, tenant.id, stock=9)
    fill_cart(db, tenant.id, who.user_id, [(p2, v2, 2), (p1, v1, 1)])

    def in_cart() -> dict[int, int]:
        return {r["variation_id"]: r["quantity"] for r in db.session().all(
            "SELECT variation_id, quantity FROM cart_items WHERE tenant_id = %s", (tenant.id,))}

    with db.uow() as uow:  # rolled back: the lines come back
        lines = read_user_cart(uow, tenant.id, who.user_id)
        assert [(line.variation_id, line.quantity) for line in lines] == sorted([(v1, 1), (v2, 2)])
        take_lines(uow, tenant.id, who.user_id, lines)
    assert in_cart() == {v1: 1, v2: 2}

    def on_its_own_connection(work: Any) -> threading.Thread:  # platform.db: a connection per thread
        def run() -> None:
            try:
                work()
            finally:
                get_db().close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    outcome: list[Any] = []

    def second_checkout(lines: list) -> None:  # it read the lines before the first took them
        with get_db().uow() as uow:
            try:
                take_lines(uow, tenant.id, who.user_id, lines)
                outcome.append("took")
            except CartChanged:
                outcome.append("changed")

    def add_through_the_api() -> None:
        outcome.append(who.api.post("/api/cart/items", {"variation_id": v3, "quantity": 1}).status_code)

    with db.uow() as uow:
        lines = read_user_cart(uow, tenant.id, who.user_id)
        take_lines(uow, tenant.id, who.user_id, lines)
        waiting = [on_its_own_connection(lambda: second_checkout(list(lines))), on_its_own_connection(add_through_the_api)]
        for thread in waiting:
            thread.join(timeout=0.5)
        # both wait: the second checkout for the lines, the add (another product) for the carts row
        assert [thread.is_alive() for thread in waiting] == [True, True]
        uow.commit()
    for thread in waiting:
        thread.join(timeout=10)
    assert sorted(map(str, outcome)) == ["200", "changed"]  # the add answered after the order
    assert in_cart() == {v3: 1}  # the add came after the order, into the emptied cart
    with db.uow() as uow:  # a change committed between the read and the take: caught, nothing removed
        lines = read_user_cart(uow, tenant.id, who.user_id)
        on_its_own_connection(lambda: fill_cart(get_db(), tenant.id, who.user_id, [(p2, v2, 5)])).join(timeout=10)
        on_its_own_connection(lambda: fill_cart(get_db(), tenant.id, who.user_id, [(p3, v3, 4)])).join(timeout=10)
        with pytest.raises(CartChanged):
            take_lines(uow, tenant.id, who.user_id, lines)
    assert in_cart() == {v2: 5, v3: 4}


def test_a_cart_that_keeps_changing_is_409_cart_changed(client, tenant, db, monkeypatch):
    from chalicelib.cart import handover

    who = shopper(client, tenant)
    p, v = product(db, tenant.id, stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    taken: list[int] = []

    def always_changed(uow, tenant_id, user_id, lines):
        taken.append(user_id)
        raise handover.CartChanged()

    monkeypatch.setattr(handover, "take_lines", always_changed)
    assert_error_shape(checkout(who), 409, "cart_changed")
    assert len(taken) == 3 and variation_stock(db, tenant.id, v) == (5, 0)
    assert counts(db, tenant.id)["orders"] == 0


def test_a_key_reused_for_a_different_request_is_409_and_changes_nothing(client, tenant, db):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    key = uuid.uuid4().hex
    assert checkout(who, key).status_code == 201
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    before = counts(db, tenant.id)
    response = checkout(who, key, customer_note="farklı")
    assert_error_shape(response, 409, "idempotency_key_reused")
    assert counts(db, tenant.id) == before
    assert variation_stock(db, tenant.id, v)[1] == 1  # only the first order's unit is held
    assert db.session().scalar("SELECT COUNT(*) FROM cart_items WHERE tenant_id = %s", (tenant.id,)) == 1


# The key is required (declared idempotent="required"; the router checks it): missing or blank is
# idempotency_key_required, present but malformed (too long, not printable ASCII) is _invalid.
@pytest.mark.parametrize("headers,code", [
    ({}, "idempotency_key_required"), ({"Idempotency-Key": ""}, "idempotency_key_required"),
    ({"Idempotency-Key": "x" * 101}, "idempotency_key_invalid"), ({"Idempotency-Key": "anahtar-ş"}, "idempotency_key_invalid"),
])
def test_checkout_without_a_usable_key_is_400(client, tenant, db, headers, code):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    response = who.api.post("/api/orders", {"shipping_address_id": who.address_id}, headers=headers)
    assert_error_shape(response, 400, code)
    assert counts(db, tenant.id)["orders"] == 0 and variation_stock(db, tenant.id, v) == (10, 0)


@pytest.mark.parametrize("body,status,code", [
    ({"shipping_address_id": "abc"}, 400, "validation_failed"),
    ({"shipping_address_id": 1, "surprise": 1}, 400, "validation_failed"),
    ({"shipping_method": "drone"}, 400, "unknown_shipping_method"),
    ({"expected_total": "-1"}, 400, "validation_failed"),
    ({"customer_note": "x" * 1001}, 400, "validation_failed"),
])
def test_bad_checkout_input_is_refused_and_nothing_changes(client, tenant, db, body, status, code):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    response = who.api.post("/api/orders", {"shipping_address_id": who.address_id, **body},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
    assert_error_shape(response, status, code)
    assert counts(db, tenant.id)["orders"] == 0 and variation_stock(db, tenant.id, v) == (10, 0)


def test_empty_cart_is_409(client, tenant, db):
    who = shopper(client, tenant)
    assert_error_shape(checkout(who), 409, "cart_empty")


def test_a_short_line_refuses_the_whole_order_and_holds_nothing(client, tenant, db):
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, stock=5)
    p2, v2 = product(db, tenant.id, stock=1, name="Kamp Ocağı")
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 2), (p2, v2, 3)])
    response = checkout(who)
    assert_error_shape(response, 409, "insufficient_stock")
    assert response.json["error"]["details"] == {"variation_id": v2, "requested": 3, "available": 1}
    assert "Kamp Ocağı" in response.json["error"]["message"]
    assert variation_stock(db, tenant.id, v1) == (5, 0) and variation_stock(db, tenant.id, v2) == (1, 0)
    assert counts(db, tenant.id)["orders"] == 0
    assert db.session().scalar("SELECT COUNT(*) FROM cart_items WHERE tenant_id = %s", (tenant.id,)) == 2


def test_an_item_taken_off_sale_is_409(client, tenant, db):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    db.session().execute("UPDATE products SET status = 'archived' WHERE tenant_id = %s AND id = %s", (tenant.id, p))
    response = checkout(who)
    assert_error_shape(response, 409, "cart_item_unavailable")
    assert response.json["error"]["details"] == {"variation_ids": [v]}


def test_a_changed_total_is_409_price_changed_with_the_new_total(client, tenant, db):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id, price="1000.00")
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    response = checkout(who, expected_total="999.00")
    assert_error_shape(response, 409, "price_changed")
    assert Decimal(response.json["error"]["details"]["grand_total"]) == Decimal("1000.00")
    assert checkout(who, expected_total="1000.00").status_code == 201


def test_another_users_or_tenants_address_is_404(client, tenant, db):
    who, other = shopper(client, tenant), shopper(client, tenant)
    p, v = product(db, tenant.id)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    response = who.api.post("/api/orders", {"shipping_address_id": other.address_id},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
    assert_error_shape(response, 404, "address_not_found")
    foreign = shopper(client, make_tenant())
    response = who.api.post("/api/orders", {"shipping_address_id": who.address_id,
                                            "billing_address_id": foreign.address_id},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
    assert_error_shape(response, 404, "address_not_found")
    assert counts(db, tenant.id)["orders"] == 0 and variation_stock(db, tenant.id, v) == (10, 0)


def test_another_tenants_token_cannot_check_out_here(client, tenant, db):
    foreign = shopper(client, make_tenant())
    foreign.api.api_key = tenant.api_key
    response = checkout(foreign)
    assert response.status_code == 401


def test_hundred_simultaneous_checkouts_for_ten_units_sell_exactly_ten(client, tenant, db):
    p, v = product(db, tenant.id, stock=10)
    shoppers = [shopper(client, tenant) for _ in range(100)]
    for who in shoppers:
        fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    answers = simultaneously(*[lambda who=who: checkout(who) for who in shoppers])
    won = [a for a in answers if a.status_code == 201]
    lost = [a for a in answers if a.status_code != 201]
    assert len(won) == 10
    for answer in lost:
        assert_error_shape(answer, 409, "insufficient_stock")
        assert answer.json["error"]["details"]["available"] == 0
    assert variation_stock(db, tenant.id, v) == (10, 10)
    for answer in won:
        pay(db, tenant.id, answer.json["id"])
    assert variation_stock(db, tenant.id, v) == (0, 0)
    row = db.session().one("SELECT total_stock, sold_count FROM products WHERE tenant_id = %s AND id = %s",
                           (tenant.id, p))
    assert row == {"total_stock": 0, "sold_count": 10}


def test_simultaneous_checkouts_answer_the_item_ids_the_database_gave(client, tenant, db):
    """The 201's item ids are not read back (orders.repository.insert_items): checkouts inserting
    order items at the same moment must each still answer exactly their own rows' ids."""
    lines = [product(db, tenant.id, stock=100), product(db, tenant.id, stock=100, name="Kamp Ocağı"),
             product(db, tenant.id, stock=100, name="Termos")]
    shoppers = [shopper(client, tenant) for _ in range(12)]
    for who in shoppers:
        fill_cart(db, tenant.id, who.user_id, [(p, v, 1) for p, v in lines])
    answers = simultaneously(*[lambda who=who: checkout(who) for who in shoppers])
    assert {a.status_code for a in answers} == {201}
    for answer in answers:
        stored = db.session().all("SELECT id, variation_id FROM order_items WHERE tenant_id = %s AND order_id = %s "
                                  "ORDER BY id", (tenant.id, answer.json["id"]))
        assert [(i["id"], i["variation_id"]) for i in answer.json["items"]] == [
            (r["id"], r["variation_id"]) for r in stored]
