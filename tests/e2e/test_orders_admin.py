"""Admin order panel (/api/admin/orders...): every filter and the search against real orders,
keyset pages without duplicates or gaps, the detail's staff extras, status moves with their
side effects (stock, refunds, events), mark-paid, cancel, notes, the cancellations queue, the
status counts; permissions, tenant isolation, concurrency, the audit log.  The list's query
plans and results at 10k orders are in test_orders_admin_plans.py."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.orders import admin_repository as repo
from chalicelib.orders import admin_service as service
from chalicelib.orders import payments as order_payments
from chalicelib.platform.db import get_db
from tests.conftest import Api, TenantInfo
from tests.e2e.orders_admin_kit import staff
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import simultaneously
from tests.orders_kit import ADDRESS, Shopper, checkout, fill_cart, pay, product, shopper, variation_stock

LIST = "/api/admin/orders"


@pytest.fixture
def db() -> Any:
    return get_db()


@pytest.fixture
def admin(client: Any, tenant: TenantInfo) -> tuple[Api, int]:
    return staff(client, tenant, "super_admin")


def place(db: Any, tenant: TenantInfo, who: Shopper, *, price: str = "100.00", quantity: int = 1, stock: int = 10,
          **body: Any) -> dict[str, Any]:
    """A real order through the real checkout; its variation id rides along as `_variation`."""
    product_id, variation_id = product(db, tenant.id, price=price, stock=stock)
    fill_cart(db, tenant.id, who.user_id, [(product_id, variation_id, quantity)])
    response = checkout(who, **body)
    assert response.status_code == 201, response.body
    return {**response.json, "_variation": variation_id}


def listing(api: Api, path: str = LIST, **params: Any) -> Any:
    return api.get(path + ("?" + urlencode(params, doseq=True) if params else ""))


def ids(api: Api, **params: Any) -> list[int]:
    response = listing(api, **params)
    assert response.status_code == 200, response.body
    return [row["id"] for row in response.json["items"]]


def order_row(db: Any, tenant_id: int, order_id: int) -> dict[str, Any]:
    return db.session().one("""SELECT status, payment_status, payment_method, paid_total, refunded_total, version,
                                      admin_note, cancel_reason FROM orders WHERE tenant_id = %s AND id = %s""",
                            (tenant_id, order_id))


def logs(db: Any, tenant_id: int, action: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM admin_logs WHERE tenant_id = %s" + (" AND action = %s" if action else "") + " ORDER BY id"
    rows = db.session().all(sql, (tenant_id, action) if action else (tenant_id,))
    for row in rows:
        row["before"] = json.loads(row["before_data"]) if row["before_data"] else None
        row["after"] = json.loads(row["after_data"]) if row["after_data"] else None
    return rows


def events(db: Any, tenant_id: int, order_id: int) -> list[tuple[str, str]]:
    return [(r["queue"], r["event_type"]) for r in db.session().all(
        "SELECT queue, event_type FROM outbox_events WHERE tenant_id = %s AND aggregate_id = %s ORDER BY id",
        (tenant_id, str(order_id)))]


def history_count(db: Any, tenant_id: int, order_id: int) -> int:
    return int(db.session().scalar("SELECT COUNT(*) FROM order_status_history WHERE tenant_id = %s AND order_id = %s",
                                   (tenant_id, order_id)))


def set_time(db: Any, tenant_id: int, order_id: int, when: dt.datetime) -> None:
    db.session().execute("UPDATE orders SET created_at = %s, placed_at = %s WHERE tenant_id = %s AND id = %s",
                         (when, when, tenant_id, order_id))


def renamed_shopper(client: Any, tenant: TenantInfo, db: Any, first: str, last: str) -> Shopper:
    """A shopper whose account and billing address carry another name than the default one."""
    who = shopper(client, tenant)
    db.session().execute("UPDATE users SET first_name = %s, last_name = %s WHERE tenant_id = %s AND id = %s",
                         (first, last, tenant.id, who.user_id))
    response = who.api.post("/api/addresses", {**ADDRESS, "title": "İş", "first_name": first, "last_name": last})
    assert response.status_code == 201, response.body
    who.address_id = response.json["id"]
    return who


def move(api: Api, order_id: int, status: str, **body: Any) -> Any:
    return api.put(f"{LIST}/{order_id}/status", {"status": status, **body})


# -- the list ---------------------------------------------------------------------------------------
def test_the_list_shows_number_status_payment_customer_items_and_total_newest_first(client, tenant, db, admin):
    api, _ = admin
    who = shopper(client, tenant)
    first = place(db, tenant, who, price="100.00", quantity=3, payment_method="eft")
    second = place(db, tenant, who, price="900.00", source="mobile")
    page = listing(api).json
    assert [r["id"] for r in page["items"]] == [second["id"], first["id"]] and page["next_cursor"] is None
    row = page["items"][1]
    assert Decimal(row.pop("grand_total")) == Decimal(first["grand_total"])
    assert row == {
        "id": first["id"], "order_number": first["order_number"], "status": "pending_payment",
        "payment_status": "unpaid", "payment_method": "eft", "source": "web", "currency": "TRY", "item_count": 3,
        "customer_id": who.user_id, "customer_name": "Ayşe Yılmaz", "customer_email": who.email,
        "placed_at": first["placed_at"],
    }
    assert page["items"][0]["source"] == "mobile" and page["items"][0]["payment_method"] is None


@pytest.fixture
def four_orders(client, tenant, other_tenant, db, admin) -> dict[str, Any]:
    """o1 pending (card, web), o2 paid by EFT (mobile), o3 paid in cash then cancelled (refund
    pending), o4 paid by wallet and shipped (mobile); A = Ayşe Yılmaz owns o1 and o2, B = Mehmet
    Öztürk o3 and o4; placed on four dates in 2024.  Plus an order of another tenant."""
    api, _ = admin
    a = shopper(client, tenant)
    b = renamed_shopper(client, tenant, db, "Mehmet", "Öztürk")
    o1 = place(db, tenant, a, price="100.00", payment_method="card")
    o2 = place(db, tenant, a, price="500.00", quantity=2, payment_method="eft", source="mobile")
    o3 = place(db, tenant, b, price="2000.00", payment_method="card")
    o4 = place(db, tenant, b, price="300.00", payment_method="wallet", source="mobile")
    assert api.post(f"{LIST}/{o2['id']}/mark-paid", {"method": "eft", "reference": "HVL-1"}).status_code == 200
    pay(db, tenant.id, o3["id"], method="cash")
    assert api.post(f"{LIST}/{o3['id']}/cancel", {"reason": "müşteri vazgeçti"}).status_code == 200
    pay(db, tenant.id, o4["id"], method="wallet")
    for status in ("preparing", "shipped"):
        assert move(api, o4["id"], status).status_code == 200
    set_time(db, tenant.id, o1["id"], dt.datetime(2024, 1, 10, 22, 30))  # 11 January in Turkey
    set_time(db, tenant.id, o2["id"], dt.datetime(2024, 2, 15, 10, 0))
    set_time(db, tenant.id, o3["id"], dt.datetime(2024, 3, 20, 10, 0))
    set_time(db, tenant.id, o4["id"], dt.datetime(2024, 4, 25, 10, 0))
    foreign = place(db, other_tenant, shopper(client, other_tenant), price="300.00", payment_method="wallet")
    return {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "a": a, "b": b, "foreign": foreign}


def test_every_filter_selects_exactly_its_orders(four_orders, admin):
    api, _ = admin
    o1, o2, o3, o4 = (four_orders[k]["id"] for k in ("o1", "o2", "o3", "o4"))
    a, b = four_orders["a"], four_orders["b"]
    total = {k: Decimal(four_orders[k]["grand_total"]) for k in ("o1", "o2", "o3", "o4")}
    assert total["o1"] < total["o4"] < total["o2"] < total["o3"]
    cases: list[tuple[dict[str, Any], list[int]]] = [
        ({}, [o4, o3, o2, o1]),
        ({"status": "pending_payment"}, [o1]),
        ({"status": ["paid", "shipped"]}, [o4, o2]),
        ({"status": "cancelled"}, [o3]),
        ({"payment_status": "refund_pending"}, [o3]),
        ({"payment_status": ["unpaid", "refund_pending"]}, [o3, o1]),
        ({"payment_status": "paid"}, [o4, o2]),
        ({"payment_method": "card"}, [o1]),
        ({"payment_method": "eft"}, [o2]),
        ({"payment_method": "cash"}, [o3]),
        ({"payment_method": "wallet"}, [o4]),
        ({"placed_from": "2024-01-11", "placed_to": "2024-01-11"}, [o1]),  # a Turkish calendar day
        ({"placed_to": "2024-01-10"}, []),
        ({"placed_from": "2024-02-01", "placed_to": "2024-03-31"}, [o3, o2]),
        ({"placed_to": "2024-02-15T10:00:00"}, [o1]),  # a time is an exclusive bound
        ({"placed_from": "2024-02-15T13:00:00+03:00"}, [o4, o3, o2]),  # inclusive, any offset
        ({"customer_id": a.user_id}, [o2, o1]),
        ({"customer_id": four_orders["foreign"]["user_id"]}, []),
        ({"customer_email": b.email.upper()}, [o4, o3]),
        ({"min_total": str(total["o3"])}, [o3]),
        ({"min_total": str(total["o4"]), "max_total": str(total["o2"])}, [o4, o2]),
        ({"max_total": str(total["o1"])}, [o1]),
        ({"source": "mobile"}, [o4, o2]),
        ({"source": "web"}, [o3, o1]),
        ({"status": ["paid", "shipped"], "source": "mobile", "payment_method": "wallet"}, [o4]),
        ({"sort": "oldest"}, [o1, o2, o3, o4]),
        ({"sort": "amount_desc"}, [o3, o2, o4, o1]),
        ({"sort": "amount_asc", "source": "mobile"}, [o4, o2]),
    ]
    for params, expected in cases:
        assert ids(api, **params) == expected, params


def test_search_by_order_number_email_and_customer_name(four_orders, admin):
    api, _ = admin
    o1, o2, o3, o4 = (four_orders[k]["id"] for k in ("o1", "o2", "o3", "o4"))
    number = four_orders["o2"]["order_number"]
    a, b = four_orders["a"], four_orders["b"]
    assert ids(api, q=number) == [o2]
    assert ids(api, q=number.lower()) == [o2]
    assert ids(api, q=number[1:]) == [o2]  # without the leading S
    assert ids(api, q=number[:7]) == [o4, o3, o2, o1]  # S + the day they were placed (today)
    prefix = number[:10]
    hits = ids(api, q=prefix)
    assert o2 in hits and all(four_orders[k]["order_number"].startswith(prefix)
                              for k in ("o1", "o2", "o3", "o4") if four_orders[k]["id"] in hits)
    assert ids(api, q="S990101") == []
    assert ids(api, q=a.email) == [o2, o1]
    assert ids(api, q=a.email.split("@")[0].upper() + "@") == [o2, o1]
    assert ids(api, q="mehmet") == [o4, o3]
    assert ids(api, q="Öztürk") == [o4, o3]
    assert ids(api, q="öztürk meh") == [o4, o3]
    assert ids(api, q="ayşe") == [o2, o1]
    assert ids(api, q="Yılmaz Ayşe") == [o2, o1]
    assert ids(api, q="zeynep") == []
    assert ids(api, q="ayşe", status="paid") == [o2]
    # LIKE's wildcards are text, not patterns
    assert ids(api, q="%%") == [] and ids(api, q="_%@") == [] and ids(api, q="a_") == []
    rows = listing(api, q=b.email).json["items"]
    assert {r["customer_name"] for r in rows} == {"Mehmet Öztürk"}


def test_search_terms_pick_one_index_each():
    assert service.search_terms("S250131-ACD") == {"number_prefix": "S250131-ACD"}
    assert service.search_terms("250131") == {"number_prefix": "S250131"}
    assert service.search_terms("Ayşe@Example") == {"email_prefix": "ayşe@example"}
    assert service.search_terms("Ayşe Nur Yılmaz Kaya") == {"name_words": ("Ayşe", "Nur", "Yılmaz")}
    assert service.search_terms("Sena") == {"name_words": ("Sena",)}
    assert repo.like_prefix("5%_\\") == "5\\%\\_\\\\%"


def test_pages_follow_the_cursor_without_duplicates_or_gaps_in_every_sort(client, tenant, db, admin):
    api, _ = admin
    who = shopper(client, tenant)
    placed = [place(db, tenant, who, price=("100.00", "250.00", "999.00")[i % 3]) for i in range(17)]
    # ties on both sort keys: six orders share one time, every third shares a price
    for order in placed[:6]:
        set_time(db, tenant.id, order["id"], dt.datetime(2024, 5, 5, 12, 0, 0, 250000))
    rows = db.session().all("SELECT id, created_at, grand_total FROM orders WHERE tenant_id = %s", (tenant.id,))
    expected = {
        "newest": sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=True),
        "oldest": sorted(rows, key=lambda r: (r["created_at"], r["id"])),
        "amount_desc": sorted(rows, key=lambda r: (r["grand_total"], r["id"]), reverse=True),
        "amount_asc": sorted(rows, key=lambda r: (r["grand_total"], r["id"])),
    }
    for sort, want in expected.items():
        seen: list[int] = []
        cursor = None
        for _ in range(10):
            params = {"sort": sort, "limit": 4, **({"cursor": cursor} if cursor else {})}
            page = listing(api, **params).json
            seen += [r["id"] for r in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [r["id"] for r in want], sort
    first = listing(api, sort="newest", limit=4).json["next_cursor"]
    assert_error_shape(listing(api, sort="oldest", cursor=first), 400, "validation_failed")
    # a filter with the cursor narrows the rest of the pages, never repeats a row
    rest = ids(api, sort="newest", limit=100, cursor=first, min_total="999.00")
    assert rest and set(rest).isdisjoint(ids(api, sort="newest", limit=4))


@pytest.mark.parametrize("query, field", [
    ("status=gone", "status.0"), ("payment_status=maybe", "payment_status.0"), ("payment_method=bitcoin",
                                                                              "payment_method"),
    ("limit=0", "limit"), ("limit=101", "limit"), ("sort=random", "sort"), ("min_total=-1", "min_total"),
    ("min_total=10&max_total=5", "max_total"), ("min_total=1.001", "min_total"),
    ("placed_from=2024-02-01&placed_to=2024-01-31", "placed_to"), ("placed_from=yesterday", "placed_from"),
    ("cursor=abc", "cursor"), ("q=a", "q"), ("customer_id=0", "customer_id"), ("color=red", "color"),
    ("source=amazon", "source"),
])
def test_bad_list_queries_are_400_naming_the_field(admin, query, field):
    api, _ = admin
    error = assert_error_shape(api.get(f"{LIST}?{query}"), 400, "validation_failed")
    assert field in [f["field"] for f in error["details"]["fields"]], error


# -- who may do what --------------------------------------------------------------------------------
def test_support_reads_but_cannot_write_and_customers_cannot_even_read(client, tenant, db):
    support, _ = staff(client, tenant, "support")
    who = shopper(client, tenant)
    order = place(db, tenant, who, price="100.00")
    for path in (LIST, f"{LIST}/summary", f"{LIST}/cancellations", f"{LIST}/{order['id']}"):
        assert support.get(path).status_code == 200, path
        assert_error_shape(who.api.get(path), 403, "forbidden")
        assert_error_shape(Api(client, tenant.api_key).get(path), 401, "token_missing")
    before = order_row(get_db(), tenant.id, order["id"])
    writes = [("PUT", "status", {"status": "cancelled"}), ("POST", "mark-paid", {"method": "eft"}),
              ("POST", "cancel", {"reason": "x"}), ("PUT", "note", {"admin_note": "x"})]
    for method, action, body in writes:
        for caller in (support, who.api):
            assert_error_shape(caller.request(method, f"{LIST}/{order['id']}/{action}", body), 403, "forbidden")
    assert order_row(get_db(), tenant.id, order["id"]) == before
    assert variation_stock(db, tenant.id, order["_variation"]) == (10, 1)
    assert logs(db, tenant.id) == []


def test_another_tenants_order_is_404_for_reads_and_writes_and_stays_untouched(client, tenant, other_tenant, db,
                                                                               admin):
    api, _ = admin
    foreign = place(db, other_tenant, shopper(client, other_tenant), price="100.00", stock=5)
    before = order_row(db, other_tenant.id, foreign["id"])
    oid = foreign["id"]
    assert_error_shape(api.get(f"{LIST}/{oid}"), 404, "order_not_found")
    for method, path, body in [("PUT", "status", {"status": "cancelled"}), ("POST", "mark-paid", {"method": "eft"}),
                               ("POST", "cancel", {"reason": "x"}), ("PUT", "note", {"admin_note": "x"})]:
        assert_error_shape(api.request(method, f"{LIST}/{oid}/{path}", body), 404, "order_not_found")
    assert_error_shape(api.get(f"{LIST}/99999999999"), 404, "order_not_found")
    assert_error_shape(api.get(f"{LIST}/abc"), 404, "not_found")
    assert order_row(db, other_tenant.id, oid) == before
    assert variation_stock(db, other_tenant.id, foreign["_variation"]) == (5, 1)
    assert ids(api) == [] and logs(db, tenant.id) == []


# -- detail ------------------------------------------------------------------------------------------
def test_detail_adds_customer_refunds_note_ip_and_the_next_steps(client, tenant, db, admin):
    api, _ = admin
    who = shopper(client, tenant)
    order = place(db, tenant, who, price="100.00", quantity=2)
    got = api.get(f"{LIST}/{order['id']}").json
    assert got["order_number"] == order["order_number"] and len(got["items"]) == 1 and got["timeline"]
    assert got["customer"] == {"id": who.user_id, "email": who.email, "first_name": "Ayşe", "last_name": "Yılmaz"}
    assert got["ip"] and got["admin_note"] is None and got["refunds"] == [] and got["version"] == 0
    assert got["allowed_statuses"] == ["cancelled", "paid"]
    assert got["next_steps"] == [{"status": "cancelled", "via": "status"}, {"status": "paid", "via": "mark_paid"}]
    assert "sealed" not in got["billing_address"]

    pay(db, tenant.id, order["id"])
    assert api.post(f"{LIST}/{order['id']}/cancel", {"reason": "stok hatası"}).status_code == 200
    got = api.get(f"{LIST}/{order['id']}").json
    assert got["status"] == "cancelled" and got["allowed_statuses"] == [] and got["next_steps"] == []
    [refund] = got["refunds"]
    assert refund["status"] == "requested" and Decimal(refund["amount"]) == Decimal(order["grand_total"])
    assert refund["reason"] == "order_cancelled" and refund["requested_by"] is not None

    mine = who.api.get(f"/api/orders/{order['id']}").json  # the customer's view keeps staff fields out
    assert not {"admin_note", "ip", "refunds", "customer", "allowed_statuses"} & set(mine)


def test_a_delivered_order_offers_only_the_returns_flow(client, tenant, db, admin):
    api, _ = admin
    order = place(db, tenant, shopper(client, tenant))
    pay(db, tenant.id, order["id"])
    for status in ("preparing", "shipped", "delivered"):
        assert move(api, order["id"], status).status_code == 200
    got = api.get(f"{LIST}/{order['id']}").json
    assert got["next_steps"] == [{"status": "return_requested", "via": "returns"}]


# -- status moves -------------------------------------------------------------------------------------
def test_legal_moves_stamp_the_order_record_the_timeline_audit_and_publish_events(client, tenant, db, admin):
    api, admin_id = admin
    order = place(db, tenant, shopper(client, tenant))
    oid = order["id"]
    pay(db, tenant.id, oid)
    version = api.get(f"{LIST}/{oid}").json["version"]
    got = move(api, oid, "preparing", note="Depoya iletildi", expected_version=version).json
    assert got["status"] == "preparing" and got["version"] == version + 1
    got = move(api, oid, "shipped", expected_version=got["version"]).json
    assert got["status"] == "shipped" and got["shipped_at"]
    got = move(api, oid, "delivered").json
    assert got["status"] == "delivered" and got["delivered_at"] and got["can_return"] is True
    admin_steps = [t for t in got["timeline"] if t["actor_type"] == "admin"]
    assert [(t["from_status"], t["to_status"]) for t in admin_steps] == [
        ("paid", "preparing"), ("preparing", "shipped"), ("shipped", "delivered")]
    assert admin_steps[0]["note"] == "Depoya iletildi" and {t["actor_user_id"] for t in admin_steps} == {admin_id}
    audit = logs(db, tenant.id, "order.status")
    assert [(r["before"]["status"], r["after"]["status"]) for r in audit] == [
        ("paid", "preparing"), ("preparing", "shipped"), ("shipped", "delivered")]
    assert {r["user_id"] for r in audit} == {admin_id} and {r["entity_id"] for r in audit} == {str(oid)}
    assert audit[0]["after"]["note"] == "Depoya iletildi" and audit[0]["after"]["version"] == version + 1
    # (delivered also writes OrderBonusStatus to wallet-bonus, the HPay bonus's queue)
    assert [e for e in events(db, tenant.id, oid) if e[0] == "order-events"][-3:] == [
        ("order-events", "OrderStatusChanged")] * 3


def test_refused_moves_are_409_and_change_nothing(client, tenant, db, admin):
    api, _ = admin
    who = shopper(client, tenant)
    pending = place(db, tenant, who)
    delivered = place(db, tenant, who)
    pay(db, tenant.id, delivered["id"])
    for status in ("preparing", "shipped", "delivered"):
        assert move(api, delivered["id"], status).status_code == 200
    snapshot = {o: (order_row(db, tenant.id, o), history_count(db, tenant.id, o), len(logs(db, tenant.id)))
                for o in (pending["id"], delivered["id"])}

    error = assert_error_shape(move(api, pending["id"], "shipped"), 409, "illegal_transition")
    assert error["details"] == {"from": "pending_payment", "to": "shipped", "allowed": ["cancelled", "paid"]}
    assert_error_shape(move(api, pending["id"], "paid"), 409, "use_mark_paid")
    assert_error_shape(move(api, delivered["id"], "return_requested"), 409, "status_managed_by_returns")
    assert_error_shape(move(api, delivered["id"], "cancelled"), 409, "illegal_transition")
    error = assert_error_shape(move(api, pending["id"], "cancelled", expected_version=7), 409,
                               "order_version_conflict")
    assert error["details"] == {"expected_version": 7, "version": 0, "status": "pending_payment"}
    assert "pending_payment" in error["message"]
    assert_error_shape(move(api, pending["id"], "lost"), 400, "validation_failed")
    assert_error_shape(api.put(f"{LIST}/{pending['id']}/status", {"status": "cancelled", "extra": 1}), 400,
                       "validation_failed")
    assert_error_shape(move(api, pending["id"], "cancelled", expected_version=-1), 400, "validation_failed")
    for o in (pending["id"], delivered["id"]):
        assert (order_row(db, tenant.id, o), history_count(db, tenant.id, o), len(logs(db, tenant.id))) == snapshot[o]
    assert variation_stock(db, tenant.id, pending["_variation"]) == (10, 1)


def test_moving_to_the_status_it_already_has_answers_unchanged(client, tenant, db, admin):
    api, _ = admin
    order = place(db, tenant, shopper(client, tenant))
    pay(db, tenant.id, order["id"])
    assert move(api, order["id"], "preparing").status_code == 200
    audits, before = len(logs(db, tenant.id)), order_row(db, tenant.id, order["id"])
    again = move(api, order["id"], "preparing")  # a retry of the same request
    assert again.status_code == 200 and again.json["status"] == "preparing"
    assert order_row(db, tenant.id, order["id"]) == before and len(logs(db, tenant.id)) == audits


# -- cancel ------------------------------------------------------------------------------------------
def test_cancelling_an_unpaid_order_releases_its_hold_and_asks_no_refund(client, tenant, db, admin):
    api, admin_id = admin
    order = place(db, tenant, shopper(client, tenant), quantity=2, stock=5)
    assert variation_stock(db, tenant.id, order["_variation"]) == (5, 2)
    got = api.post(f"{LIST}/{order['id']}/cancel", {"reason": "  Müşteri telefonla iptal etti "}).json
    assert got["status"] == "cancelled" and got["cancel_reason"] == "Müşteri telefonla iptal etti"
    assert got["payment_status"] == "unpaid" and got["refunds"] == []
    assert variation_stock(db, tenant.id, order["_variation"]) == (5, 0)
    again = api.post(f"{LIST}/{order['id']}/cancel", {"reason": "tekrar"})
    assert again.status_code == 200 and again.json["cancel_reason"] == "Müşteri telefonla iptal etti"
    [entry] = logs(db, tenant.id, "order.cancel")
    assert entry["user_id"] == admin_id and entry["before"]["status"] == "pending_payment"
    assert entry["after"]["status"] == "cancelled" and entry["after"]["note"] == "Müşteri telefonla iptal etti"
    assert variation_stock(db, tenant.id, order["_variation"]) == (5, 0)
    assert ("order-events", "OrderStatusChanged") in events(db, tenant.id, order["id"])
    assert_error_shape(api.post(f"{LIST}/{order['id']}/cancel", {"reason": "  "}), 400, "validation_failed")
    assert_error_shape(api.post(f"{LIST}/{order['id']}/cancel", {}), 400, "validation_failed")


def test_cancelling_a_paid_order_restocks_and_requests_the_refund(client, tenant, db, admin):
    api, _ = admin
    order = place(db, tenant, shopper(client, tenant), quantity=2, stock=5)
    pay(db, tenant.id, order["id"])
    assert variation_stock(db, tenant.id, order["_variation"]) == (3, 0)
    got = move(api, order["id"], "cancelled", note="Kargo bulunamadı", expected_version=1).json
    assert got["status"] == "cancelled" and got["payment_status"] == "refund_pending"
    assert variation_stock(db, tenant.id, order["_variation"]) == (5, 0)
    assert [r["status"] for r in got["refunds"]] == ["requested"]
    assert ("order-events", "RefundRequested") in events(db, tenant.id, order["id"])
    [entry] = logs(db, tenant.id, "order.status")
    assert entry["before"]["payment_status"] == "paid" and entry["after"]["payment_status"] == "refund_pending"


def test_a_shipped_order_cannot_be_cancelled(client, tenant, db, admin):
    api, _ = admin
    order = place(db, tenant, shopper(client, tenant), stock=5)
    pay(db, tenant.id, order["id"])
    for status in ("preparing", "shipped"):
        move(api, order["id"], status)
    assert_error_shape(api.post(f"{LIST}/{order['id']}/cancel", {"reason": "geç"}), 409, "illegal_transition")
    assert order_row(db, tenant.id, order["id"])["status"] == "shipped"
    assert variation_stock(db, tenant.id, order["_variation"]) == (4, 0)
    assert logs(db, tenant.id, "order.cancel") == []


# -- mark-paid -----------------------------------------------------------------------------------------
def payments(db: Any, tenant_id: int, order_id: int) -> list[dict[str, Any]]:
    return db.session().all("SELECT provider, method, status, amount, raw_response FROM payments "
                            "WHERE tenant_id = %s AND order_id = %s", (tenant_id, order_id))


def test_mark_paid_turns_the_hold_into_a_sale_once(client, tenant, db, admin):
    api, admin_id = admin
    order = place(db, tenant, shopper(client, tenant), price="400.00", quantity=2, stock=5, payment_method="eft")
    assert variation_stock(db, tenant.id, order["_variation"]) == (5, 2)
    got = api.post(f"{LIST}/{order['id']}/mark-paid", {"method": "eft", "reference": " TR-2024-0042 "}).json
    assert got["status"] == "paid" and got["payment_status"] == "paid" and got["payment_method"] == "eft"
    assert Decimal(got["paid_total"]) == Decimal(order["grand_total"]) and got["reserved_until"] is None
    assert variation_stock(db, tenant.id, order["_variation"]) == (3, 0)
    [payment] = payments(db, tenant.id, order["id"])
    assert (payment["provider"], payment["method"], payment["status"]) == ("manual", "eft", "succeeded")
    assert payment["amount"] == Decimal(order["grand_total"])
    assert json.loads(payment["raw_response"]) == {"reference": "TR-2024-0042", "confirmed_by": admin_id}
    assert ("invoices", "OrderPaid") in events(db, tenant.id, order["id"])
    assert got["timeline"][-1]["note"] == "eft payment confirmed (TR-2024-0042)"

    again = api.post(f"{LIST}/{order['id']}/mark-paid", {"method": "cash"})
    assert again.status_code == 200 and again.json["payment_method"] == "eft"
    assert len(payments(db, tenant.id, order["id"])) == 1
    assert variation_stock(db, tenant.id, order["_variation"]) == (3, 0)
    [entry] = logs(db, tenant.id, "order.mark_paid")
    assert entry["before"]["status"] == "pending_payment" and entry["after"]["status"] == "paid"
    assert entry["after"]["reference"] == "TR-2024-0042" and entry["user_id"] == admin_id


def test_mark_paid_refuses_a_cancelled_order_and_bad_input(client, tenant, db, admin):
    api, _ = admin
    order = place(db, tenant, shopper(client, tenant), stock=5)
    api.post(f"{LIST}/{order['id']}/cancel", {"reason": "iptal"})
    error = assert_error_shape(api.post(f"{LIST}/{order['id']}/mark-paid", {"method": "eft"}), 409,
                               "illegal_transition")
    assert error["details"]["from"] == "cancelled"
    other = place(db, tenant, shopper(client, tenant), stock=5)
    for body in ({"method": "card"}, {}, {"method": "eft", "reference": "x" * 101}, {"method": "eft", "amount": 1}):
        assert_error_shape(api.post(f"{LIST}/{other['id']}/mark-paid", body), 400, "validation_failed")
    assert payments(db, tenant.id, order["id"]) == [] and payments(db, tenant.id, other["id"]) == []
    assert variation_stock(db, tenant.id, other["_variation"]) == (5, 1)
    assert logs(db, tenant.id, "order.mark_paid") == []


# -- concurrency ---------------------------------------------------------------------------------------
def test_two_admins_moving_one_order_at_once_exactly_one_wins(client, tenant, db, admin):
    first, _ = admin
    second, _ = staff(client, tenant, "admin")
    who = shopper(client, tenant)
    for _ in range(3):
        order = place(db, tenant, who, quantity=2, stock=5)
        pay(db, tenant.id, order["id"])
        version = first.get(f"{LIST}/{order['id']}").json["version"]
        oid = order["id"]
        answers = simultaneously(lambda o=oid, v=version: move(first, o, "preparing", expected_version=v),
                                 lambda o=oid, v=version: move(second, o, "cancelled", expected_version=v))
        won = [a for a in answers if a.status_code == 200]
        assert len(won) == 1, [a.body for a in answers]
        [lost] = [a for a in answers if a.status_code != 200]
        assert_error_shape(lost, 409, "order_version_conflict")
        final = order_row(db, tenant.id, order["id"])
        assert final["status"] == won[0].json["status"] and final["version"] == version + 1
        stock = variation_stock(db, tenant.id, order["_variation"])
        assert stock == ((5, 0) if final["status"] == "cancelled" else (3, 0))
        assert history_count(db, tenant.id, order["id"]) == 3  # placed, paid, the winner's move
    assert len(logs(db, tenant.id, "order.status")) == 3


def test_simultaneous_confirmations_record_one_payment_and_sell_once(client, tenant, db, admin):
    api, _ = admin
    other, _ = staff(client, tenant, "admin")
    order = place(db, tenant, shopper(client, tenant), quantity=2, stock=5)
    answers = simultaneously(*[lambda api=api if i % 2 else other: api.post(
        f"{LIST}/{order['id']}/mark-paid", {"method": "eft", "reference": "R-1"}) for i in range(6)])
    assert [a.status_code for a in answers] == [200] * 6
    assert len(payments(db, tenant.id, order["id"])) == 1
    assert variation_stock(db, tenant.id, order["_variation"]) == (3, 0)
    assert len(logs(db, tenant.id, "order.mark_paid")) == 1


def test_simultaneous_cancels_release_the_stock_once(client, tenant, db, admin):
    api, _ = admin
    other, _ = staff(client, tenant, "admin")
    order = place(db, tenant, shopper(client, tenant), quantity=3, stock=5)
    answers = simultaneously(*[lambda a=a: a.post(f"{LIST}/{order['id']}/cancel", {"reason": "çift tık"})
                               for a in (api, other, api, other)])
    assert [a.status_code for a in answers] == [200] * 4
    assert variation_stock(db, tenant.id, order["_variation"]) == (5, 0)
    assert len(logs(db, tenant.id, "order.cancel")) == 1


# -- notes ---------------------------------------------------------------------------------------------
def test_the_staff_note_is_set_cleared_audited_and_never_shown_to_the_customer(client, tenant, db, admin):
    api, admin_id = admin
    who = shopper(client, tenant)
    order = place(db, tenant, who)
    got = api.put(f"{LIST}/{order['id']}/note", {"admin_note": "Müşteri aradı, hediye paketi istiyor."}).json
    assert got["admin_note"] == "Müşteri aradı, hediye paketi istiyor." and got["version"] == 0
    assert "hediye" not in who.api.get(f"/api/orders/{order['id']}").body.decode()
    api.put(f"{LIST}/{order['id']}/note", {"admin_note": "Müşteri aradı, hediye paketi istiyor."})  # same: no log
    assert api.put(f"{LIST}/{order['id']}/note", {"admin_note": "  "}).json["admin_note"] is None
    entries = logs(db, tenant.id, "order.note")
    assert [(e["before"]["admin_note"], e["after"]["admin_note"]) for e in entries] == [
        (None, "Müşteri aradı, hediye paketi istiyor."), ("Müşteri aradı, hediye paketi istiyor.", None)]
    assert {e["user_id"] for e in entries} == {admin_id}
    assert_error_shape(api.put(f"{LIST}/{order['id']}/note", {"admin_note": "x" * 5001}), 400, "validation_failed")
    assert_error_shape(api.put(f"{LIST}/{order['id']}/note", {}), 400, "validation_failed")
    assert order_row(db, tenant.id, order["id"])["admin_note"] is None


# -- summary and the cancellations queue -------------------------------------------------------------
def test_summary_counts_every_status_of_this_tenant_only(client, tenant, other_tenant, db, admin):
    api, _ = admin
    who = shopper(client, tenant)
    orders = [place(db, tenant, who) for _ in range(4)]
    pay(db, tenant.id, orders[0]["id"])
    pay(db, tenant.id, orders[1]["id"])
    move(api, orders[1]["id"], "preparing")
    api.post(f"{LIST}/{orders[2]['id']}/cancel", {"reason": "x"})
    place(db, other_tenant, shopper(client, other_tenant))
    got = api.get(f"{LIST}/summary").json
    assert got["total"] == 4
    assert got["counts"] == {"pending_payment": 1, "paid": 1, "preparing": 1, "shipped": 0, "delivered": 0,
                             "cancelled": 1, "return_requested": 0, "returned": 0, "refunded": 0}


def test_the_cancellations_queue_lists_refunds_to_make_and_holds_running_out(client, tenant, db, admin):
    api, _ = admin
    who = shopper(client, tenant)
    refund_a, refund_b, unpaid_cancel, paid, soon, gone, later = (place(db, tenant, who) for _ in range(7))
    for order in (refund_a, refund_b, paid):
        pay(db, tenant.id, order["id"])
    for order in (refund_b, refund_a, unpaid_cancel):
        api.post(f"{LIST}/{order['id']}/cancel", {"reason": "stok yok"})
    set_time(db, tenant.id, refund_b["id"], dt.datetime(2024, 1, 1))  # waiting longest
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for order, until in ((soon, now + dt.timedelta(minutes=5)), (gone, now - dt.timedelta(minutes=2)),
                         (later, now + dt.timedelta(minutes=30))):
        db.session().execute("UPDATE orders SET reserved_until = %s WHERE tenant_id = %s AND id = %s",
                             (until, tenant.id, order["id"]))

    page = listing(api, f"{LIST}/cancellations").json
    assert page["kind"] == "refund_pending" and page["counts"] == {"refund_pending": 2, "expiring": 3}
    assert [r["id"] for r in page["items"]] == [refund_b["id"], refund_a["id"]]
    assert Decimal(page["items"][0]["refund_requested"]) == Decimal(refund_b["grand_total"])
    assert page["items"][0]["cancel_reason"] == "stok yok" and page["items"][0]["cancelled_at"]

    page = listing(api, f"{LIST}/cancellations", kind="expiring", within_minutes=15).json
    assert [r["id"] for r in page["items"]] == [gone["id"], soon["id"]]
    assert page["counts"] == {"refund_pending": 2, "expiring": 2}
    first = listing(api, f"{LIST}/cancellations", kind="expiring", limit=1).json
    second = listing(api, f"{LIST}/cancellations", kind="expiring", limit=1, cursor=first["next_cursor"]).json
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [gone["id"], soon["id"]]
    assert_error_shape(listing(api, f"{LIST}/cancellations", cursor=first["next_cursor"]), 400, "validation_failed")
    assert_error_shape(listing(api, f"{LIST}/cancellations", kind="all"), 400, "validation_failed")

    # the refund goes through: the order leaves the queue
    refund_id = api.get(f"{LIST}/{refund_b['id']}").json["refunds"][0]["id"]

    def confirm(uow: Any) -> None:
        order_payments.refund_succeeded(uow, tenant.id, refund_id)
        uow.commit()

    db.transaction(confirm)
    assert [r["id"] for r in listing(api, f"{LIST}/cancellations").json["items"]] == [refund_a["id"]]
