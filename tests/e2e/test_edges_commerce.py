"""Issue 9 at the commerce edges (addresses, cart, orders, admin orders, returns, invoices):
explicit nulls, money in JSON, ASCII digits, text hygiene and documented statuses, each against
real rows (a real checkout, a delivered order, a real return), each bad input a 400 in the one
error shape naming the field, with the stored row unchanged.  Shipping: test_edges_shipping.py."""
from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.orders import admin_service as orders_admin_service
from chalicelib.platform.db import get_db
from chalicelib.platform.openapi import build_document
from tests.conftest import Api, TenantInfo
from tests.e2e.orders_admin_kit import staff
from tests.e2e.test_pipeline import assert_error_shape
from tests.e2e.test_returns import ask, delivered_order
from tests.orders_kit import ADDRESS, Shopper, checkout, fill_cart, pay, product, shopper

BIDI = "gpj\u202eexe.pdf"  # U+202E RIGHT-TO-LEFT OVERRIDE: "gpj.exe" shown as "exe.jpg"


@pytest.fixture
def db() -> Any:
    return get_db()


@pytest.fixture
def admin(client: Any, tenant: TenantInfo) -> Api:
    return staff(client, tenant, "super_admin")[0]


def refused(response: Any, field: str, error_type: str | None = None) -> dict[str, Any]:
    """A 400 in the one error shape whose details name `field` (and, if given, its type)."""
    error = assert_error_shape(response, 400, "validation_failed")
    fields = {entry["field"]: entry for entry in error["details"]["fields"]}
    assert field in fields, error
    if error_type is not None:
        assert fields[field]["type"] == error_type, error
    return fields[field]


def row(db: Any, sql: str, *params: Any) -> dict[str, Any]:
    found = db.session().one(sql, params)
    assert found is not None
    return found


def placed(db: Any, tenant: TenantInfo, who: Shopper | None = None, client: Any = None, **body: Any) -> dict[str, Any]:
    who = who or shopper(client, tenant)
    p, v = product(db, tenant.id, price="100.00")
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    response = checkout(who, **body)
    assert response.status_code == 201, response.body
    return {**response.json, "_who": who}


# -- addresses ------------------------------------------------------------------------------------
def address(db: Any, address_id: int) -> dict[str, Any]:
    return row(db, "SELECT first_name, title, mahalle, address_line, lat, lng FROM addresses WHERE id = %s",
               address_id)


def test_address_update_null_clears_only_optional_fields(client, tenant, db):
    who = shopper(client, tenant)
    path = f"/api/addresses/{who.address_id}"
    before = address(db, who.address_id)
    for name in ("first_name", "last_name", "phone", "il", "ilce", "address_line", "type", "billing_kind"):
        refused(who.api.put(path, {name: None}), name, "null_not_allowed")
    assert address(db, who.address_id) == before

    cleared = who.api.put(path, {"title": None, "mahalle": None})
    assert cleared.status_code == 200, cleared.body
    assert cleared.json["title"] is None and cleared.json["mahalle"] is None
    assert cleared.json["first_name"] == before["first_name"]


def test_address_update_schema_shows_null_only_where_it_clears():
    schema = build_document()["components"]["schemas"]["AddressPatch"]["properties"]
    nullable = {name for name, prop in schema.items() if {"type": "null"} in prop.get("anyOf", [])}
    assert nullable == {"title", "company_name", "tax_office", "tax_number", "national_id", "mahalle",
                        "posta_kodu", "lat", "lng"}


def test_address_create_takes_null_as_none_and_cleans_text(client, tenant, db):
    who = shopper(client, tenant)
    body = {**ADDRESS, "title": None, "mahalle": None, "posta_kodu": None, "lat": None, "lng": None,
            "first_name": "  Ays\u0327e  "}  # s + combining cedilla: stored as NFC "ş"
    response = who.api.post("/api/addresses", body)
    assert response.status_code == 201, response.body
    assert response.json["first_name"] == "Ayşe" and response.json["title"] is None


@pytest.mark.parametrize("field,value,error_type", [
    ("first_name", BIDI, "text_forbidden_character"),
    ("address_line", "Moda Cad.\x07 No 5", "text_forbidden_character"),
    ("ilce", "Kadı\nköy", "text_forbidden_character"),
    ("lat", "٤١", "decimal_parsing"),  # Arabic-Indic digits are not read as 41
    ("lat", "4\u00b9", "decimal_parsing"),
])
def test_address_bad_text_and_digits_are_400_and_change_nothing(client, tenant, db, field, value, error_type):
    who = shopper(client, tenant)
    before = address(db, who.address_id)
    changes = {field: value, **({"lng": "29.0"} if field == "lat" else {})}
    refused(who.api.put(f"/api/addresses/{who.address_id}", changes), field, error_type)
    refused(who.api.post("/api/addresses", {**ADDRESS, **changes}), field, error_type)
    assert address(db, who.address_id) == before


# -- cart -------------------------------------------------------------------------------------------
def test_cart_line_quantity_null_or_huge_is_400_and_the_line_stays(client, tenant, db):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id)
    added = who.api.post("/api/cart/items", {"variation_id": v, "quantity": 2})
    assert added.status_code == 200, added.body
    item_id = added.json["items"][0]["id"]
    for bad, error_type in ((None, "null_not_allowed"), (10**30, "less_than_equal"), ("٢", "int_type")):
        refused(who.api.put(f"/api/cart/items/{item_id}", {"quantity": bad}), "quantity", error_type)
    assert row(db, "SELECT quantity FROM cart_items WHERE id = %s", item_id)["quantity"] == 2
    assert who.api.put(f"/api/cart/items/{item_id}", {"quantity": 3}).json["items"][0]["quantity"] == 3


# -- checkout and the customer's order ------------------------------------------------------------------
def order_count(db: Any, tenant_id: int) -> int:
    return int(db.session().scalar("SELECT COUNT(*) FROM orders WHERE tenant_id = %s", (tenant_id,)))


@pytest.mark.parametrize("body,field,error_type", [
    ({"expected_total": "12.345"}, "expected_total", "too_many_decimals"),
    ({"expected_total": "1.249,90"}, "expected_total", "money_invalid"),  # Turkish notation: CSV only
    ({"expected_total": "١٠٠"}, "expected_total", "money_invalid"),
    ({"expected_total": 1e30}, "expected_total", "too_large"),
    ({"customer_note": BIDI}, "customer_note", "text_forbidden_character"),
    ({"shipping_address_id": 2**70}, "shipping_address_id", "less_than"),
])
def test_checkout_money_digits_and_text_are_checked_before_anything_happens(client, tenant, db, body, field,
                                                                               error_type):
    who = shopper(client, tenant)
    p, v = product(db, tenant.id)
    fill_cart(db, tenant.id, who.user_id, [(p, v, 1)])
    refused(checkout(who, **body), field, error_type)
    assert order_count(db, tenant.id) == 0


def test_checkout_takes_null_optionals_as_defaults(client, tenant, db):
    order = placed(db, tenant, client=client, billing_address_id=None, shipping_method=None, payment_method=None,
                   customer_note=None, expected_total=None)
    assert order["customer_note"] is None and order["shipping_method"] == "standard"
    assert Decimal(order["grand_total"]) == Decimal("149.90")  # 100.00 + standard shipping 49.90


def test_checkout_declares_its_idempotency_key_required():
    operation = build_document()["paths"]["/api/orders"]["post"]
    (header,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and header["required"] is True


def test_customer_cancel_reason_null_means_none_and_bad_text_is_refused(client, tenant, db):
    order = placed(db, tenant, client=client)
    who: Shopper = order["_who"]
    refused(who.api.post(f"/api/orders/{order['id']}/cancel", {"reason": BIDI}), "reason",
            "text_forbidden_character")
    assert row(db, "SELECT status FROM orders WHERE id = %s", order["id"])["status"] == "pending_payment"
    response = who.api.post(f"/api/orders/{order['id']}/cancel", {"reason": None})
    assert response.status_code == 200, response.body
    assert response.json["status"] == "cancelled" and response.json["cancel_reason"] == "customer"  # the default


# -- admin orders ------------------------------------------------------------------------------------
def staff_view(db: Any, order_id: int) -> dict[str, Any]:
    return row(db, "SELECT status, admin_note, version, payment_status FROM orders WHERE id = %s", order_id)


def test_admin_status_change_nulls(client, tenant, db, admin):
    order = placed(db, tenant, client=client)
    pay(db, tenant.id, order["id"])
    path = f"/api/admin/orders/{order['id']}/status"
    before = staff_view(db, order["id"])
    refused(admin.put(path, {"status": None}), "status", "null_not_allowed")
    refused(admin.put(path, {"status": "preparing", "note": "x" * 1001}), "note")
    refused(admin.put(path, {"status": "preparing", "note": BIDI}), "note", "text_forbidden_character")
    refused(admin.put(path, {"status": "preparing", "surprise": 1}), "surprise", "extra_forbidden")
    assert staff_view(db, order["id"]) == before
    moved = admin.put(path, {"status": "preparing", "note": None, "expected_version": None})
    assert moved.status_code == 200, moved.body
    assert moved.json["status"] == "preparing"


def test_admin_note_null_clears_and_other_nulls_are_400(client, tenant, db, admin):
    order = placed(db, tenant, client=client)
    base = f"/api/admin/orders/{order['id']}"
    assert admin.put(f"{base}/note", {"admin_note": "Müşteri aradı\nkargo notu"}).status_code == 200
    refused(admin.put(f"{base}/note", {"admin_note": "a\x07b"}), "admin_note", "text_forbidden_character")
    assert staff_view(db, order["id"])["admin_note"] == "Müşteri aradı\nkargo notu"
    cleared = admin.put(f"{base}/note", {"admin_note": None})
    assert cleared.status_code == 200 and cleared.json["admin_note"] is None

    before = staff_view(db, order["id"])
    refused(admin.post(f"{base}/mark-paid", {"method": None}), "method", "null_not_allowed")
    refused(admin.post(f"{base}/cancel", {"reason": None}), "reason", "null_not_allowed")
    refused(admin.post(f"{base}/cancel", {"reason": "  "}), "reason")
    assert staff_view(db, order["id"]) == before
    paid = admin.post(f"{base}/mark-paid", {"method": "eft", "reference": None})
    assert paid.status_code == 200 and paid.json["payment_status"] == "paid"


def forged_cursor(sort: str, key: str) -> str:
    raw = json.dumps({"s": sort, "k": key, "i": 1}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("params,field", [
    ({"min_total": "١٢"}, "min_total"),
    ({"min_total": "12.345"}, "min_total"),
    ({"max_total": "1e30"}, "max_total"),
    ({"placed_to": "9999-12-31"}, "placed_to"),  # the day after it would overflow: was a 500
    ({"placed_from": "0001-01-01T00:00:00+03:00"}, "placed_from"),
    ({"q": BIDI}, "q"),
    ({"sort": "amount_desc", "cursor": forged_cursor("amount_desc", "٢٢")}, "cursor"),
    ({"sort": "amount_desc", "cursor": forged_cursor("amount_desc", "1E+999999")}, "cursor"),
    ({"cursor": forged_cursor("newest", "2025-01-01T00:00:00+03:00")}, "cursor"),
])
def test_admin_order_list_filters_refuse_what_they_cannot_read(admin, params, field):
    refused(admin.get("/api/admin/orders?" + urlencode(params)), field)


def test_admin_order_search_reads_only_ascii_digits_as_an_order_number(client, tenant, db, admin):
    order = placed(db, tenant, client=client)
    number = order["order_number"]
    found = admin.get("/api/admin/orders?" + urlencode({"q": number[:7]}))
    assert found.status_code == 200 and order["id"] in [r["id"] for r in found.json["items"]]
    arabic = "S" + number[1:7].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert "number_prefix" not in orders_admin_service.search_terms(arabic)  # searched as a name, not a number
    other = admin.get("/api/admin/orders?" + urlencode({"q": arabic}))
    assert other.status_code == 200 and other.json["items"] == []


# -- returns ---------------------------------------------------------------------------------------------
def return_row(db: Any, return_id: int) -> dict[str, Any]:
    return row(db, "SELECT status, description, admin_note, return_shipping_code, refund_amount FROM returns "
               "WHERE id = %s", return_id)


def test_return_request_with_null_or_blank_description(client, tenant, db):
    who, order, _ = delivered_order(client, tenant, db, quantity=2)
    response = ask(who, order, [(0, 1)], description=None)  # was TypeError → 500
    assert response.status_code == 201, response.body
    assert response.json["description"] is None
    blank = ask(who, order, [(0, 1)], description="   ")
    assert blank.status_code == 201 and return_row(db, blank.json["id"])["description"] is None


@pytest.mark.parametrize("changes,field,error_type", [
    ({"description": BIDI}, "description", "text_forbidden_character"),
    ({"description": "x" * 2001}, "description", None),
    ({"reason": None}, "reason", None),
])
def test_bad_return_requests_are_400_and_nothing_is_stored(client, tenant, db, changes, field, error_type):
    who, order, _ = delivered_order(client, tenant, db)
    refused(ask(who, order, **changes), field, error_type)
    assert db.session().scalar("SELECT COUNT(*) FROM returns WHERE tenant_id = %s", (tenant.id,)) == 0


def test_return_decisions_nulls_text_and_money(client, tenant, db, admin):
    who, order, _ = delivered_order(client, tenant, db, quantity=2, price="100.00")
    ret = ask(who, order, [(0, 2)]).json
    base = f"/api/admin/returns/{ret['id']}"
    refused(admin.post(f"{base}/reject", {"note": None}), "note", "null_not_allowed")
    refused(admin.post(f"{base}/approve", {"note": BIDI}), "note", "text_forbidden_character")
    refused(admin.post(f"{base}/approve", {"return_shipping_code": "A\nB"}), "return_shipping_code")
    assert return_row(db, ret["id"])["status"] == "requested"

    approved = admin.post(f"{base}/approve", {"note": None, "return_shipping_code": None})  # was a 500
    assert approved.status_code == 200, approved.body
    assert approved.json["status"] == "approved" and approved.json["note"] is None

    refused(admin.post(f"{base}/receive", {"items": None}), "items", "null_not_allowed")
    items = [{"order_item_id": i["order_item_id"], "restock": True, "condition": "unopened"} for i in ret["items"]]
    assert admin.post(f"{base}/receive", {"items": items}).status_code == 200

    for amount, error_type in (("12.345", "too_many_decimals"), ("0.001", "too_many_decimals"),
                               ("1e30", "money_invalid"), (1e30, "too_large"), ("١٠", "money_invalid"),
                               ("10,50", "money_invalid"), (0, "greater_than")):
        refused(admin.post(f"{base}/refund", {"amount": amount}), "amount", error_type)
    assert return_row(db, ret["id"])["status"] == "received"
    refunded = admin.post(f"{base}/refund", {"amount": None})  # null: the default share
    assert refunded.status_code == 200, refunded.body
    assert Decimal(refunded.json["refund_amount"]) == Decimal("200.00")


def test_return_queue_date_edges_answer_not_500(admin):
    response = admin.get("/api/admin/returns?" + urlencode({"date_from": "0001-01-01", "date_to": "9999-12-31"}))
    assert response.status_code == 200, response.body


def test_forged_return_cursors_are_400(admin):
    aware = base64.urlsafe_b64encode(json.dumps(["2025-01-01 00:00:00+03:00", 1]).encode()).decode()
    refused(admin.get("/api/admin/returns?" + urlencode({"cursor": aware})), "cursor", "cursor_invalid")


# -- documented statuses --------------------------------------------------------------------------------
@pytest.mark.parametrize("method,path,status", [
    ("get", "/api/orders/{order_id}/invoice", "503"),
    ("get", "/api/admin/orders/{order_id}/invoice", "503"),
    ("post", "/api/admin/orders/{order_id}/invoice/resend", "503"),
    ("get", "/api/returns/{return_id}", "503"),
    ("post", "/api/returns/photos/upload", "503"),
    ("post", "/api/orders/{order_id}/returns", "503"),
    ("post", "/api/admin/returns/{return_id}/approve", "503"),
    ("post", "/api/admin/orders/{order_id}/shipments", "503"),
])
def test_storage_and_carrier_failures_are_documented(method, path, status):
    assert status in build_document()["paths"][path][method]["responses"]


# -- a sweep over real rows ------------------------------------------------------------------------------
# The fuzzer's random ids rarely name a row, so its bodies seldom reach the services.  Here every
# field of every body that acts on an existing row gets each hostile value, against real rows of
# a tenant with its rate limits off; every answer must be below 500 and documented.
HOSTILE: list[Any] = [None, 10**30, -1, 1e30, "٢٢", "²", "12.345", "1.249,90", BIDI, "x" * 20_000, [], {}, True]


def unlimited_tenant() -> TenantInfo:
    from app import app  # noqa: F401 - registers every route
    from chalicelib.platform.routing import REGISTRY
    from tests.conftest import make_tenant

    return make_tenant(settings={"rate_limit": {"default": {"limit": 0},
                                                "routes": {f"{m} {p}": {"limit": 0} for (m, p) in REGISTRY}}})


def sweep(api: Api, method: str, template: str, path: str, base: dict[str, Any], fields: list[str]) -> int:
    from chalicelib.platform.routing import REGISTRY

    documented = set(build_document()["paths"][template][method.lower()]["responses"])
    spec = REGISTRY[(method, template)]
    assert spec.body is not None
    sent = 0
    for name in fields or list(spec.body.model_fields):
        for value in HOSTILE:
            response = api.request(method, path, {**base, name: value})
            assert response.status_code < 500, (template, name, value, response.body)
            assert str(response.status_code) in documented, (template, name, value, response.status_code)
            sent += 1
    return sent


def test_hostile_values_on_real_rows_never_500(client, db):
    tenant = unlimited_tenant()
    admin_api = staff(client, tenant, "super_admin")[0]
    who, order, _ = delivered_order(client, tenant, db, quantity=3)
    p, v = product(db, tenant.id)
    item = who.api.post("/api/cart/items", {"variation_id": v}).json["items"][0]["id"]
    ret = ask(who, order, [(0, 1)]).json
    pending = placed(db, tenant, who)
    sent = 0
    sent += sweep(who.api, "PUT", "/api/addresses/{address_id}", f"/api/addresses/{who.address_id}", {}, [])
    sent += sweep(who.api, "PUT", "/api/cart/items/{item_id}", f"/api/cart/items/{item}", {}, [])
    sent += sweep(who.api, "POST", "/api/orders/{order_id}/returns", f"/api/orders/{order['id']}/returns",
                  {"items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}], "reason": "damaged"},
                  ["description", "refund_method", "photo_keys", "items"])
    admin_order = f"/api/admin/orders/{pending['id']}"
    sent += sweep(admin_api, "PUT", "/api/admin/orders/{order_id}/note", f"{admin_order}/note", {}, [])
    sent += sweep(admin_api, "PUT", "/api/admin/orders/{order_id}/status", f"{admin_order}/status",
                  {"status": "cancelled"}, ["note", "expected_version"])
    sent += sweep(admin_api, "POST", "/api/admin/orders/{order_id}/mark-paid", f"{admin_order}/mark-paid",
                  {"method": "eft"}, ["reference"])
    admin_return = f"/api/admin/returns/{ret['id']}"
    sent += sweep(admin_api, "POST", "/api/admin/returns/{return_id}/reject", f"{admin_return}/reject", {}, [])
    sent += sweep(admin_api, "POST", "/api/admin/returns/{return_id}/approve", f"{admin_return}/approve", {}, [])
    sent += sweep(admin_api, "POST", "/api/admin/returns/{return_id}/receive", f"{admin_return}/receive", {}, [])
    sent += sweep(admin_api, "POST", "/api/admin/returns/{return_id}/refund", f"{admin_return}/refund", {}, [])
    sent += sweep(who.api, "POST", "/api/orders/{order_id}/cancel", f"/api/orders/{pending['id']}/cancel", {}, [])
    assert sent > 400
