"""The cart over HTTP (issue 5 item 1, C1–C3): signed-in and guest carts, add / change / remove /
clear, live prices and stock, totals, merge at login, the guest-cart purge, and concurrency over
real MariaDB connections."""
from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.cart.service import purge_expired_guest_carts
from chalicelib.platform import db as db_module
from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo, login, make_user
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import insert_product, simultaneously


class Shopper(Api):
    """An Api that always sends its X-Device-Id (as the app does), signed in or not."""

    def __init__(self, client: Any, api_key: str, device_id: str | None) -> None:
        super().__init__(client, api_key)
        self.device_id = device_id

    def request(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", None) or {})
        if self.device_id is not None:
            headers.setdefault("X-Device-Id", self.device_id)
        return super().request(method, path, body, headers=headers, **kw)


TENT = object()  # stands for a real variation id in parametrised bodies


def new_device() -> str:
    return f"dev-{uuid.uuid4()}"


def signed_in(client: Any, tenant: TenantInfo, device_id: str | None = None) -> tuple[Shopper, int]:
    user_id, email, password = make_user(tenant)
    shopper = Shopper(client, tenant.api_key, device_id)
    shopper.token = login(shopper, email, password)["access_token"]
    return shopper, user_id


@pytest.fixture
def me(client: Any, tenant: TenantInfo) -> Shopper:
    return signed_in(client, tenant)[0]


@pytest.fixture
def guest(client: Any, tenant: TenantInfo) -> Shopper:
    return Shopper(client, tenant.api_key, new_device())


def product(tenant: TenantInfo, name: str = "Kamp Çadırı 4 Kişilik", *, price: str = "3499.90", stock: int = 10,
            vat_rate: str | None = None) -> int:
    """An active product with one variation; returns the variation id."""
    product_id = insert_product(get_db(), tenant.id, name, price=price, stock=stock)
    if vat_rate is not None:
        sql("UPDATE products SET vat_rate = %s WHERE tenant_id = %s AND id = %s", (vat_rate, tenant.id, product_id))
    return variation(tenant.id, product_id)["id"]


def variation(tenant_id: int, product_id: int) -> dict[str, Any]:
    row = get_db().session().one("SELECT id, product_id, sku FROM product_variations WHERE tenant_id = %s "
                                 "AND product_id = %s", (tenant_id, product_id))
    assert row is not None
    return row


def sql(statement: str, params: Any = ()) -> int:
    return get_db().session().execute(statement, params)


def rows(statement: str, params: Any = ()) -> list[dict[str, Any]]:
    return get_db().session().all(statement, params)


def cart_rows(tenant_id: int) -> list[dict[str, Any]]:
    return rows("""SELECT c.user_id, c.device_id, ci.id, ci.variation_id, ci.quantity, ci.unit_price
                     FROM carts c LEFT JOIN cart_items ci ON ci.tenant_id = c.tenant_id AND ci.cart_id = c.id
                    WHERE c.tenant_id = %s ORDER BY c.id, ci.id""", (tenant_id,))


def set_variation(tenant_id: int, variation_id: int, **values: Any) -> None:
    assignments = ", ".join(f"{name} = %s" for name in values)
    sql(f"UPDATE product_variations SET {assignments} WHERE tenant_id = %s AND id = %s",
        (*values.values(), tenant_id, variation_id))


def set_product(tenant_id: int, variation_id: int, **values: Any) -> None:
    assignments = ", ".join(f"p.{name} = %s" for name in values)
    sql(f"""UPDATE products p JOIN product_variations v ON v.tenant_id = p.tenant_id AND v.product_id = p.id
               SET {assignments} WHERE v.tenant_id = %s AND v.id = %s""", (*values.values(), tenant_id, variation_id))


def add(shopper: Api, variation_id: int, quantity: int = 1, expect: int = 200) -> dict[str, Any]:
    response = shopper.post("/api/cart/items", {"variation_id": variation_id, "quantity": quantity})
    assert response.status_code == expect, response.body
    return response.json  # type: ignore[no-any-return]


def quantities(cart: dict[str, Any]) -> dict[int, int]:
    return {item["variation_id"]: item["quantity"] for item in cart["items"]}


# -- viewing and adding -------------------------------------------------------------------------
def test_a_new_customer_sees_an_empty_cart_and_no_cart_is_created(me: Shopper, tenant: TenantInfo):
    response = me.get("/api/cart")
    assert response.status_code == 200, response.body
    assert response.json == {
        "id": None, "currency": "TRY", "expires_at": None, "items": [], "line_count": 0, "checkout_ready": False,
        "merged": None,
        "totals": {"subtotal": "0.00", "discount_total": "0.00", "shipping_total": "0.00", "vat_total": "0.00",
                   "grand_total": "0.00", "item_count": 0, "shipping_method": "standard", "discounts": [],
                   "shipping_discount": "0.00", "vat_breakdown": {}},
        # no promotion live in the shop: nothing applied, nothing to explain (tests/campaigns for more)
        "promotions": {"applied": [], "rejected": [], "gifts": [], "bonus": "0.00", "floor": "0.00",
                       "capped": False},
        "shipping": {"code": "standard", "name": "Standart Kargo", "price": "49.90", "fee": "0.00",
                     "free_over": "750.00", "free_shipping_remaining": None, "min_days": 2, "max_days": 4},
    }
    assert cart_rows(tenant.id) == []


def test_adding_shows_the_line_and_adding_again_grows_it(me: Shopper, tenant: TenantInfo):
    tent = product(tenant)
    first = add(me, tent, 2)
    again = add(me, tent)
    assert again["id"] == first["id"] and again["line_count"] == 1
    [item] = again["items"]
    product_id = variation(tenant.id, rows("SELECT product_id FROM product_variations WHERE id = %s",
                                           (tent,))[0]["product_id"])["product_id"]
    assert item | {"id": None, "added_at": None} == {
        "id": None, "product_id": product_id, "variation_id": tent, "product_name": "Kamp Çadırı 4 Kişilik",
        "product_slug": item["product_slug"], "variation_name": "Kamp Çadırı 4 Kişilik", "options": None,
        "sku": variation(tenant.id, product_id)["sku"],
        "image": f"tenants/{tenant.id}/products/{product_id}/1.jpg", "quantity": 3, "unit_price": "3499.90",
        "added_price": "3499.90", "price_changed": False, "vat_rate": "20.00", "line_total": "10499.70",
        "discount_amount": "0.00", "vat_amount": "1749.95", "status": "ok", "available": 10, "max_quantity": 10,
        "stock_status": "in_stock", "added_at": None,
    }
    assert again["totals"] == {
        "subtotal": "10499.70", "discount_total": "0.00", "shipping_total": "0.00", "vat_total": "1749.95",
        "grand_total": "10499.70", "item_count": 3, "shipping_method": "standard", "discounts": [],
        "shipping_discount": "0.00", "vat_breakdown": {"20.00": {"base": "8749.75", "vat": "1749.95"}},
    }
    assert again["checkout_ready"] is True and again["expires_at"] is None
    assert [(r["variation_id"], r["quantity"], r["unit_price"]) for r in cart_rows(tenant.id)] == [
        (tent, 3, Decimal("3499.90"))]
    assert me.get("/api/cart").json == again  # GET shows what the change answered


def test_totals_back_calculate_vat_per_rate_and_charge_shipping_under_the_threshold(me: Shopper, tenant: TenantInfo):
    stove = product(tenant, "Kamp Ocağı", price="100.00")
    book = product(tenant, "Doğa Rehberi", price="50.00", vat_rate="10.00")
    add(me, stove)
    cart = add(me, book, 2)
    assert cart["totals"] == {
        "subtotal": "200.00", "discount_total": "0.00", "shipping_total": "49.90", "vat_total": "34.08",
        "grand_total": "249.90", "item_count": 3, "shipping_method": "standard", "discounts": [],
        "shipping_discount": "0.00",
        # 100 → 16.67 VAT at 20 %; 100 → 9.09 at 10 %; shipping 49.90 → 8.32 at 20 %
        "vat_breakdown": {"20.00": {"base": "124.91", "vat": "24.99"}, "10.00": {"base": "90.91", "vat": "9.09"}},
    }
    assert cart["shipping"]["free_shipping_remaining"] == "550.00"
    express = me.get("/api/cart?shipping_method=express").json
    assert (express["totals"]["shipping_total"], express["totals"]["grand_total"],
            express["totals"]["shipping_method"]) == ("99.90", "299.90", "express")
    assert express["shipping"]["free_over"] is None and express["shipping"]["free_shipping_remaining"] is None


def test_shipping_methods_are_quoted_for_this_cart(me: Shopper, tenant: TenantInfo):
    listed = me.get("/api/cart/shipping-methods")
    assert listed.status_code == 200, listed.body
    assert [(m["code"], m["fee"]) for m in listed.json["items"]] == [("standard", "0.00"), ("express", "0.00")]
    add(me, product(tenant, price="100.00"))
    assert [(m["code"], m["fee"], m["free_shipping_remaining"]) for m in me.get("/api/cart/shipping-methods")
            .json["items"]] == [("standard", "49.90", "650.00"), ("express", "99.90", None)]
    add(me, product(tenant, "Uyku Tulumu", price="700.00"))
    assert [m["fee"] for m in me.get("/api/cart/shipping-methods").json["items"]] == ["0.00", "99.90"]


def test_unknown_shipping_method_is_400(me: Shopper):
    error = assert_error_shape(me.get("/api/cart?shipping_method=drone"), 400, "unknown_shipping_method")
    assert error["details"] == {"shipping_method": "drone", "available": ["standard", "express"]}


# -- live prices and stock ------------------------------------------------------------------------
def test_the_cart_flags_price_changes_and_lines_that_went_off_sale(me: Shopper, tenant: TenantInfo):
    tent, lamp, stove = product(tenant), product(tenant, "Fener", price="300.00"), product(tenant, "Ocak", price="200.00")
    add(me, tent)
    add(me, lamp, 3)
    add(me, stove)
    set_variation(tenant.id, tent, price=Decimal("2999.90"))
    set_product(tenant.id, lamp, status="archived")
    set_variation(tenant.id, stove, stock=0)
    cart = me.get("/api/cart").json
    by_variation = {item["variation_id"]: item for item in cart["items"]}
    assert (by_variation[tent]["unit_price"], by_variation[tent]["added_price"], by_variation[tent]["price_changed"],
            by_variation[tent]["status"]) == ("2999.90", "3499.90", True, "ok")
    for gone in (lamp, stove):
        assert by_variation[gone] | {"id": 0, "product_id": 0} == by_variation[gone] | {
            "id": 0, "product_id": 0, "status": "unavailable", "line_total": None, "vat_amount": None,
            "available": 0, "max_quantity": 0, "stock_status": "out_of_stock"}
    # Unavailable lines stay listed but out of the totals (2999.90 only, free shipping).
    assert (cart["totals"]["subtotal"], cart["totals"]["item_count"], cart["line_count"]) == ("2999.90", 1, 3)
    assert cart["checkout_ready"] is False

    # Changing a line re-takes the live price as the one the customer has now seen.
    changed = me.put(f"/api/cart/items/{by_variation[tent]['id']}", {"quantity": 2}).json
    assert [(i["added_price"], i["price_changed"]) for i in changed["items"] if i["variation_id"] == tent] == [
        ("2999.90", False)]


def test_fewer_left_than_in_the_cart_is_flagged_and_counted(me: Shopper, tenant: TenantInfo):
    tent = product(tenant, stock=5)
    add(me, tent, 4)
    set_variation(tenant.id, tent, stock=5, reserved=3)  # two held by unpaid orders elsewhere
    [item] = (cart := me.get("/api/cart").json)["items"]
    assert (item["status"], item["available"], item["max_quantity"], item["stock_status"]) == (
        "insufficient_stock", 2, 2, "low_stock")
    assert cart["totals"]["item_count"] == 4 and cart["checkout_ready"] is False
    error = assert_error_shape(me.put(f"/api/cart/items/{item['id']}", {"quantity": 3}), 409, "quantity_exceeds_stock")
    assert error["details"] == {"variation_id": tent, "requested": 3, "in_cart": 4, "available": 2}
    assert me.put(f"/api/cart/items/{item['id']}", {"quantity": 2}).json["checkout_ready"] is True


@pytest.mark.parametrize(("change", "code"), [
    ({"stock": 0}, "out_of_stock"),
    ({"stock": 4, "reserved": 4}, "out_of_stock"),
    ({"is_active": 0}, "product_unavailable"),
])
def test_adding_what_cannot_be_sold_is_409_and_changes_nothing(me: Shopper, tenant: TenantInfo, change, code):
    tent = product(tenant)
    set_variation(tenant.id, tent, **change)
    error = assert_error_shape(me.post("/api/cart/items", {"variation_id": tent, "quantity": 1}), 409, code)
    assert error["details"]["variation_id"] == tent
    assert cart_rows(tenant.id) == []


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_adding_a_product_that_is_not_active_is_409(me: Shopper, tenant: TenantInfo, status):
    tent = product(tenant)
    set_product(tenant.id, tent, status=status)
    assert_error_shape(me.post("/api/cart/items", {"variation_id": tent}), 409, "product_unavailable")
    assert cart_rows(tenant.id) == []


def test_adding_more_than_available_counts_what_is_already_in_the_cart(me: Shopper, tenant: TenantInfo):
    tent = product(tenant, stock=5)
    set_variation(tenant.id, tent, reserved=1)
    add(me, tent, 3)
    error = assert_error_shape(me.post("/api/cart/items", {"variation_id": tent, "quantity": 2}), 409,
                               "quantity_exceeds_stock")
    assert error["details"] == {"variation_id": tent, "requested": 2, "in_cart": 3, "available": 4}
    assert "4" in error["message"]
    english = me.post("/api/cart/items", {"variation_id": tent, "quantity": 2}, headers={"Accept-Language": "en"})
    assert assert_error_shape(english, 409, "quantity_exceeds_stock")["message"] == "Only 4 of this item are in stock."
    assert quantities(add(me, tent, 1)) == {tent: 4}


def test_a_line_holds_at_most_99(me: Shopper, tenant: TenantInfo):
    tent = product(tenant, stock=500)
    add(me, tent, 60)
    error = assert_error_shape(me.post("/api/cart/items", {"variation_id": tent, "quantity": 40}), 409,
                               "cart_quantity_limit")
    assert error["details"] == {"variation_id": tent, "limit": 99, "in_cart": 60}
    assert quantities(add(me, tent, 39)) == {tent: 99}


def test_a_cart_holds_a_limited_number_of_lines(me: Shopper, tenant: TenantInfo, monkeypatch):
    monkeypatch.setattr("chalicelib.cart.service.MAX_LINES", 2)
    first, second, third = (product(tenant, f"Ürün {n}") for n in range(3))
    add(me, first)
    add(me, second)
    error = assert_error_shape(me.post("/api/cart/items", {"variation_id": third}), 409, "cart_line_limit")
    assert error["details"] == {"limit": 2}
    assert quantities(add(me, first)) == {first: 2, second: 1}  # an existing line still grows


# -- changing, removing, clearing -----------------------------------------------------------------
def test_set_quantity_remove_and_clear(me: Shopper, tenant: TenantInfo):
    tent, lamp = product(tenant), product(tenant, "Fener", price="300.00")
    add(me, tent)
    cart = add(me, lamp)
    lamp_item = next(i["id"] for i in cart["items"] if i["variation_id"] == lamp)
    changed = me.put(f"/api/cart/items/{lamp_item}", {"quantity": 5})
    assert changed.status_code == 200 and quantities(changed.json) == {tent: 1, lamp: 5}
    removed = me.delete(f"/api/cart/items/{lamp_item}")
    assert removed.status_code == 200 and quantities(removed.json) == {tent: 1}
    assert_error_shape(me.delete(f"/api/cart/items/{lamp_item}"), 404, "cart_item_not_found")
    cleared = me.delete("/api/cart")
    assert cleared.status_code == 200 and cleared.json["items"] == [] and cleared.json["id"] is None
    assert cart_rows(tenant.id) == []
    assert me.delete("/api/cart").status_code == 200  # clearing an empty cart is fine
    assert quantities(add(me, tent)) == {tent: 1}  # and a new cart starts at the next add


def test_an_unavailable_line_can_still_be_removed_but_not_raised(me: Shopper, tenant: TenantInfo):
    tent = product(tenant)
    item = add(me, tent)["items"][0]["id"]
    set_variation(tenant.id, tent, is_active=0)
    assert_error_shape(me.put(f"/api/cart/items/{item}", {"quantity": 2}), 409, "product_unavailable")
    assert me.delete(f"/api/cart/items/{item}").json["items"] == []


# -- bad input: one error shape, nothing changed ----------------------------------------------
@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"variation_id"}),
    ({"variation_id": TENT, "quantity": 0}, {"quantity"}),
    ({"variation_id": TENT, "quantity": 100}, {"quantity"}),
    ({"variation_id": TENT, "quantity": -1}, {"quantity"}),
    ({"variation_id": TENT, "quantity": "2"}, {"quantity"}),
    ({"variation_id": TENT, "quantity": 1.5}, {"quantity"}),
    ({"variation_id": TENT, "quantity": True}, {"quantity"}),
    ({"variation_id": "1"}, {"variation_id"}),
    ({"variation_id": 0}, {"variation_id"}),
    ({"variation_id": True}, {"variation_id"}),
    ({"variation_id": TENT, "price": "1.00"}, {"price"}),
])
def test_bad_add_bodies_are_400_and_change_nothing(me: Shopper, tenant: TenantInfo, body, fields):
    tent = product(tenant)
    body = {name: tent if value is TENT else value for name, value in body.items()}
    error = assert_error_shape(me.post("/api/cart/items", body), 400, "validation_failed")
    assert {f["field"] for f in error["details"]["fields"]} == fields
    assert cart_rows(tenant.id) == []


def test_bad_quantity_updates_are_400_and_change_nothing(me: Shopper, tenant: TenantInfo):
    tent = product(tenant)
    item = add(me, tent, 2)["items"][0]["id"]
    for body in ({"quantity": 0}, {"quantity": 100}, {}, {"quantity": None}, {"quantity": 2, "x": 1}):
        assert_error_shape(me.put(f"/api/cart/items/{item}", body), 400, "validation_failed")
    assert_error_shape(me.put(f"/api/cart/items/{item}", raw="{not json"), 400, "invalid_json")
    assert_error_shape(me.put("/api/cart/items/abc", {"quantity": 1}), 404, "not_found")
    assert [r["quantity"] for r in cart_rows(tenant.id)] == [2]


def test_a_cart_needs_a_user_or_a_device(client: Any, tenant: TenantInfo):
    anonymous = Api(client, tenant.api_key)
    for call in (lambda: anonymous.get("/api/cart"), lambda: anonymous.post("/api/cart/items", {"variation_id": 1}),
                 lambda: anonymous.delete("/api/cart"), lambda: anonymous.get("/api/cart/shipping-methods")):
        assert_error_shape(call(), 400, "cart_owner_missing")
    for bad in ("short", "x" * 65, "has space in it", "ünicode-id-123", "id;DROP TABLE"):
        error = assert_error_shape(anonymous.get("/api/cart", headers={"X-Device-Id": bad}), 400, "device_id_invalid")
        assert error["details"]["header"] == "X-Device-Id"
    assert cart_rows(tenant.id) == []


def test_a_bad_or_expired_token_is_401_not_the_guest_cart(guest: Shopper, tenant: TenantInfo):
    add(guest, product(tenant))
    assert_error_shape(guest.get("/api/cart", token="not-a-jwt"), 401, "token_invalid")
    assert_error_shape(guest.post("/api/cart/items", {"variation_id": 1}, token="a.b.c"), 401, "token_invalid")


def test_a_signed_out_session_is_401(me: Shopper, tenant: TenantInfo):
    tent = product(tenant)
    add(me, tent)
    assert me.post("/api/auth/logout").status_code == 204
    assert_error_shape(me.get("/api/cart"), 401, "session_revoked")
    assert_error_shape(me.post("/api/cart/items", {"variation_id": tent}), 401, "session_revoked")
    assert [r["quantity"] for r in cart_rows(tenant.id)] == [1]


# -- other tenants and other customers ------------------------------------------------------------
def test_another_tenants_variation_is_404(me: Shopper, tenant: TenantInfo, other_tenant: TenantInfo):
    theirs = product(other_tenant)
    error = assert_error_shape(me.post("/api/cart/items", {"variation_id": theirs}), 404, "variation_not_found")
    assert error["details"] is None
    assert_error_shape(me.post("/api/cart/items", {"variation_id": 10**15}), 404, "variation_not_found")
    assert cart_rows(tenant.id) == [] and cart_rows(other_tenant.id) == []


def test_another_customers_lines_are_404(client: Any, me: Shopper, guest: Shopper, tenant: TenantInfo,
                                         other_tenant: TenantInfo):
    tent = product(tenant)
    mine = add(me, tent, 2)["items"][0]["id"]
    guests = add(guest, tent, 1)["items"][0]["id"]
    other, _ = signed_in(client, tenant)
    stranger = Shopper(client, tenant.api_key, new_device())
    for shopper, item in ((other, mine), (stranger, mine), (other, guests), (stranger, guests), (me, guests)):
        assert_error_shape(shopper.put(f"/api/cart/items/{item}", {"quantity": 1}), 404, "cart_item_not_found")
        assert_error_shape(shopper.delete(f"/api/cart/items/{item}"), 404, "cart_item_not_found")
    foreign, _ = signed_in(client, other_tenant)
    assert_error_shape(foreign.put(f"/api/cart/items/{mine}", {"quantity": 1}), 404, "cart_item_not_found")
    assert_error_shape(me.get("/api/cart", token=foreign.token), 401, "tenant_mismatch")
    assert sorted(r["quantity"] for r in cart_rows(tenant.id) if r["id"]) == [1, 2]
    assert [r for r in cart_rows(other_tenant.id) if r["id"]] == []  # 404s created nothing there


# -- guest carts and merge at login ---------------------------------------------------------------
def test_a_guest_cart_lives_30_days_after_its_last_change(guest: Shopper, tenant: TenantInfo):
    cart = add(guest, product(tenant))
    [row] = rows("SELECT user_id, device_id, expires_at, updated_at FROM carts WHERE tenant_id = %s", (tenant.id,))
    assert row["user_id"] is None and row["device_id"] == guest.device_id
    assert row["expires_at"] - row["updated_at"] == timedelta(days=30)
    assert cart["expires_at"].startswith(str(row["expires_at"].date()))


def test_an_expired_guest_cart_is_gone_for_reads_and_writes(guest: Shopper, tenant: TenantInfo):
    tent, lamp = product(tenant), product(tenant, "Fener")
    add(guest, tent, 2)
    sql("UPDATE carts SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE tenant_id = %s", (tenant.id,))
    assert guest.get("/api/cart").json["items"] == []
    assert quantities(add(guest, lamp)) == {lamp: 1}  # the old lines did not come back
    assert [(r["variation_id"], r["quantity"]) for r in cart_rows(tenant.id)] == [(lamp, 1)]


def test_signing_in_merges_the_guest_cart(client: Any, tenant: TenantInfo):
    device = new_device()
    guest = Shopper(client, tenant.api_key, device)
    scarce, spare, sold_out = product(tenant, "Fener", stock=2), product(tenant, "Matara"), product(tenant, "Ocak")
    add(guest, scarce, 2)
    spare_item = add(guest, spare, 1)["items"][1]["id"]
    add(guest, sold_out, 2)
    set_variation(tenant.id, sold_out, stock=0)

    customer, user_id = signed_in(client, tenant, device_id=None)
    mine = add(customer, scarce, 1)["items"][0]["id"]  # without the device header: no merge yet
    customer.device_id = device
    cart = customer.get("/api/cart").json
    assert cart["merged"] == {"merged": 3, "capped": 1, "dropped": 0}
    by_variation = {i["variation_id"]: i for i in cart["items"]}
    assert (by_variation[scarce]["id"], by_variation[scarce]["quantity"]) == (mine, 2)  # 1 + 2, capped at 2 left
    assert (by_variation[spare]["id"], by_variation[spare]["quantity"]) == (spare_item, 1)  # moved, same id
    assert (by_variation[sold_out]["quantity"], by_variation[sold_out]["status"]) == (2, "unavailable")
    assert rows("SELECT user_id, device_id FROM carts WHERE tenant_id = %s", (tenant.id,)) == [
        {"user_id": user_id, "device_id": None}]
    assert customer.get("/api/cart").json["merged"] is None  # once
    assert customer.put(f"/api/cart/items/{spare_item}", {"quantity": 3}).status_code == 200  # old id still works
    assert guest.get("/api/cart", headers={"X-Device-Id": device}).json["items"] == []


def test_the_first_call_after_login_may_be_an_add(client: Any, tenant: TenantInfo):
    device = new_device()
    tent, lamp = product(tenant), product(tenant, "Fener")
    add(Shopper(client, tenant.api_key, device), tent, 2)
    customer, _ = signed_in(client, tenant, device_id=device)
    cart = add(customer, tent, 1)
    assert cart["merged"] == {"merged": 1, "capped": 0, "dropped": 0} and quantities(cart) == {tent: 3}
    assert quantities(add(customer, lamp)) == {tent: 3, lamp: 1}


def test_a_merge_never_overfills_the_cart(client: Any, tenant: TenantInfo, monkeypatch):
    monkeypatch.setattr("chalicelib.cart.merge.MAX_LINES", 2)
    device = new_device()
    guest = Shopper(client, tenant.api_key, device)
    a, b, c = (product(tenant, f"Ürün {n}") for n in range(3))
    add(guest, b)
    add(guest, c)
    customer, _ = signed_in(client, tenant)
    add(customer, a)
    customer.device_id = device
    cart = customer.get("/api/cart").json
    assert cart["merged"] == {"merged": 1, "capped": 0, "dropped": 1} and quantities(cart) == {a: 1, b: 1}


def test_clearing_a_signed_in_cart_also_clears_the_devices_guest_cart(client: Any, tenant: TenantInfo):
    device = new_device()
    add(Shopper(client, tenant.api_key, device), product(tenant))
    customer, _ = signed_in(client, tenant, device_id=device)
    assert customer.delete("/api/cart").json["items"] == []
    assert cart_rows(tenant.id) == []


# -- the purge job's function -------------------------------------------------------------------
def test_purge_deletes_expired_guest_carts_only(client: Any, tenant: TenantInfo, me: Shopper):
    db = get_db()
    while purge_expired_guest_carts(db, 1000) == 1000:  # leftovers of other tests in this database
        pass
    tent = product(tenant)
    devices = [new_device() for _ in range(4)]
    for device in devices:
        add(Shopper(client, tenant.api_key, device), tent)
    add(me, tent)
    # Three guest carts last touched 31 days ago (as lock_cart writes them), one still live.
    for device in devices[:3]:
        sql("""UPDATE carts SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 31 DAY,
                                expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 DAY
                WHERE tenant_id = %s AND device_id = %s""", (tenant.id, device))
    sql("UPDATE carts SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 400 DAY WHERE tenant_id = %s AND user_id IS NOT NULL",
        (tenant.id,))  # an idle customer's cart never expires
    assert purge_expired_guest_carts(db, 2) == 2
    assert purge_expired_guest_carts(db, 10) == 1
    assert purge_expired_guest_carts(db, 10) == 0
    left = rows("SELECT device_id, user_id FROM carts WHERE tenant_id = %s ORDER BY id", (tenant.id,))
    assert [r["device_id"] for r in left] == [devices[3], None]
    assert rows("SELECT COUNT(*) AS n FROM cart_items WHERE tenant_id = %s", (tenant.id,)) == [{"n": 2}]


# -- concurrency --------------------------------------------------------------------------------
def test_simultaneous_adds_of_one_variation_all_count(me: Shopper, tenant: TenantInfo):
    tent = product(tenant, stock=50)
    add(me, tent)
    results = simultaneously(*[lambda: me.post("/api/cart/items", {"variation_id": tent, "quantity": 1})
                               for _ in range(10)])
    assert [r.status_code for r in results] == [200] * 10, [r.body for r in results]
    assert [r["quantity"] for r in cart_rows(tenant.id)] == [11]


@pytest.mark.parametrize("as_guest", [False, True])
def test_simultaneous_first_adds_make_one_cart(client: Any, tenant: TenantInfo, as_guest: bool):
    tent, lamp = product(tenant), product(tenant, "Fener")
    shopper = Shopper(client, tenant.api_key, new_device()) if as_guest else signed_in(client, tenant)[0]
    results = simultaneously(*[lambda v=v: shopper.post("/api/cart/items", {"variation_id": v, "quantity": 1})
                               for v in (tent, tent, lamp, lamp, tent)])
    assert [r.status_code for r in results] == [200] * 5, [r.body for r in results]
    assert len({r.json["id"] for r in results}) == 1
    assert sorted((r["variation_id"], r["quantity"]) for r in cart_rows(tenant.id)) == sorted([(tent, 3), (lamp, 2)])


def test_simultaneous_adds_never_put_more_than_available_in_a_cart(me: Shopper, tenant: TenantInfo):
    tent = product(tenant, stock=3)
    results = simultaneously(*[lambda: me.post("/api/cart/items", {"variation_id": tent, "quantity": 1})
                               for _ in range(6)])
    assert sorted(r.status_code for r in results) == [200] * 3 + [409] * 3
    assert {r.json["error"]["code"] for r in results if r.status_code == 409} == {"quantity_exceeds_stock"}
    assert [r["quantity"] for r in cart_rows(tenant.id)] == [3]


# -- cost -------------------------------------------------------------------------------------------
def test_add_to_cart_runs_four_statements(me: Shopper, tenant: TenantInfo):
    tent, lamp = product(tenant), product(tenant, "Fener")
    add(me, tent)  # warm: tenant cache, connection
    before = db_module.stats.statements
    add(me, lamp)
    assert db_module.stats.statements - before == 4  # lock cart, read variation + line, upsert line, view
    before = db_module.stats.statements
    me.get("/api/cart")
    assert db_module.stats.statements - before == 1
