"""The commerce sections of PUT /api/admin/settings (shipping methods, reservation time, return
window, invoice seller) are validated there and used by the areas that read them."""
from __future__ import annotations

import uuid
from decimal import Decimal

from chalicelib.platform.db import get_db
from tests.e2e.test_pipeline import assert_error_shape
from tests.orders_kit import fill_cart, product, shopper

SELLER = {"prefix": "HGL", "legal_name": "Huğlu Av Tüfekleri Kooperatifi", "tax_office": "Beyşehir",
          "tax_number": "4540536920", "address": "Huğlu Mah. Konya"}


def test_shipping_methods_and_reservation_time_from_settings_drive_the_cart_and_checkout(client, tenant, admin_api):
    db = get_db()
    response = admin_api.put("/api/admin/settings", {
        "shipping": {"methods": [{"code": "kargo", "name": "Anlaşmalı Kargo", "price": "29.90", "free_over": "500"},
                                 {"code": "magaza", "name": "Mağazadan Teslim", "price": "0"}]},
        "orders": {"reservation_minutes": 10},
        "invoice": SELLER,
    })
    assert response.status_code == 200, response.body
    assert response.json["shipping"]["methods"][0]["code"] == "kargo" and response.json["invoice"]["prefix"] == "HGL"
    assert admin_api.get("/api/admin/settings").json["orders"] == {"reservation_minutes": 10}

    who = shopper(client, tenant)
    p, v = product(db, tenant.id, price="100.00")
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    quotes = who.api.get("/api/cart/shipping-methods").json
    assert [m["code"] for m in str_items(quotes)] == ["kargo", "magaza"]
    order = who.api.post("/api/orders", {"shipping_address_id": who.address_id},
                         headers={"Idempotency-Key": uuid.uuid4().hex}).json
    assert order["shipping_method"] == "kargo" and Decimal(order["shipping_total"]) == Decimal("29.90")
    held = db.session().scalar("SELECT TIMESTAMPDIFF(MINUTE, placed_at, reserved_until) FROM orders "
                               "WHERE tenant_id = %s AND id = %s", (tenant.id, order["id"]))
    assert held in (9, 10)


def str_items(quotes):
    return quotes["items"] if isinstance(quotes, dict) else quotes


def test_bad_commerce_settings_are_400_and_change_nothing(admin_api):
    before = admin_api.get("/api/admin/settings").json
    for body in ({"shipping": {"methods": []}},
                 {"shipping": {"methods": [{"code": "a b", "name": "x", "price": "1"}]}},
                 {"shipping": {"methods": [{"code": "std", "name": "Std", "price": "-1"}]}},
                 {"shipping": {"methods": [{"code": "std", "name": "Std", "price": "1"},
                                           {"code": "std", "name": "Std 2", "price": "2"}]}},
                 {"orders": {"reservation_minutes": 1}},
                 {"returns": {"window_days": 7}},  # the law's 14 days are the floor
                 {"invoice": {"prefix": "hg"}}, {"invoice": {"tax_number": "12ab"}}, {"invoice": {"colour": "red"}}):
        assert_error_shape(admin_api.put("/api/admin/settings", body), 400, "validation_failed")
    assert admin_api.get("/api/admin/settings").json == before
