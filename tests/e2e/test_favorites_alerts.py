"""Favourites (P10) and back-in-stock alerts (N4) over HTTP, and `stock_returned`, the hook the
admin stock code calls when stock comes back: one e-mail per waiting customer, in their
language, never twice (called again or concurrently)."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from chalicelib.engagement.service import stock_returned
from chalicelib.platform.db import get_db
from tests import engagement_fixtures
from tests.conftest import Api, TenantInfo, make_tenant
from tests.e2e.test_pipeline import assert_error_shape
from tests.engagement_fixtures import (
    Person,
    add_variation,
    rows,
    set_product_status,
    set_stock,
    sign_in,
    variation_ids,
)
from tests.helpers import insert_product, simultaneously
from tests.notifications_outbox import drain_notifications, sent_emails

# The one app of these tests (engagement + accounts + catalogue routers): see tests/engagement_fixtures.py.
engagement_app, engagement_client = engagement_fixtures.engagement_app, engagement_fixtures.engagement_client


@pytest.fixture
def me(engagement_client: Any, tenant: TenantInfo) -> Person:
    return sign_in(engagement_client, tenant)


@pytest.fixture
def tent(tenant: TenantInfo) -> int:
    """An active product with one variation, 10 in stock."""
    return insert_product(get_db(), tenant.id, "Kamp Çadırı 4 Kişilik", price="3499.90")


@pytest.fixture
def sold_out(tenant: TenantInfo) -> int:
    """An active product whose only variation is sold out."""
    product_id = insert_product(get_db(), tenant.id, "Şişme Yatak", stock=0)
    set_stock(tenant.id, variation_ids(tenant.id, product_id)[0], 0)
    return product_id


def assert_fields(response: Any, *names: str) -> None:
    error = assert_error_shape(response, 400, "validation_failed")
    assert {f["field"] for f in error["details"]["fields"]} == set(names), error


def favorite_rows(tenant_id: int) -> list[dict[str, Any]]:
    return rows("SELECT user_id, product_id FROM favorites WHERE tenant_id = %s ORDER BY product_id", (tenant_id,))


def alert_rows(tenant_id: int) -> list[dict[str, Any]]:
    return rows("SELECT id, user_id, product_id, variation_id, status, channel, notified_at "
                "FROM back_in_stock_subscriptions WHERE tenant_id = %s ORDER BY id", (tenant_id,))


# -- favourites ---------------------------------------------------------------------------------------
def test_favourites_add_list_and_remove_idempotently(me, tent, sold_out, tenant):
    first = me.api.put(f"/api/favorites/{tent}")
    assert first.status_code == 200, first.body
    assert first.json | {"added_at": None} == {
        "product_id": tent, "name": "Kamp Çadırı 4 Kişilik", "slug": first.json["slug"], "price": "3499.90",
        "compare_at_price": None, "currency": "TRY", "image": f"tenants/{tenant.id}/products/{tent}/1.jpg",
        "stock_status": "in_stock", "rating_avg": "0.00", "rating_count": 0, "added_at": None,
    }
    again = me.api.put(f"/api/favorites/{tent}")
    assert again.status_code == 200 and again.json == first.json  # same favourite, same date
    assert me.api.put(f"/api/favorites/{sold_out}").json["stock_status"] == "out_of_stock"

    listed = me.api.get("/api/favorites")
    assert [f["product_id"] for f in listed.json["items"]] == [sold_out, tent] and listed.json["next_cursor"] is None
    assert len(favorite_rows(tenant.id)) == 2

    assert me.api.delete(f"/api/favorites/{tent}").status_code == 204
    assert me.api.delete(f"/api/favorites/{tent}").status_code == 204
    assert [f["product_id"] for f in me.api.get("/api/favorites").json["items"]] == [sold_out]


def test_favourites_show_low_stock_from_available_units(me, tent, tenant):
    set_stock(tenant.id, variation_ids(tenant.id, tent)[0], 7, reserved=4)  # 3 left to sell
    assert me.api.put(f"/api/favorites/{tent}").json["stock_status"] == "low_stock"


def test_favourites_page_newest_first(me, tenant):
    products = [insert_product(get_db(), tenant.id, f"Termos {n}") for n in range(5)]
    for product_id in products:
        assert me.api.put(f"/api/favorites/{product_id}").status_code == 200
    seen, url = [], "/api/favorites?limit=2"
    while url:
        page = me.api.get(url).json
        seen.append([f["product_id"] for f in page["items"]])
        url = f"/api/favorites?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == [products[:2:-1], products[2:0:-1], products[:1]]


def test_only_active_products_of_the_tenant_can_be_favourites(me, tent, tenant):
    draft = insert_product(get_db(), tenant.id, "Taslak Ürün")
    set_product_status(tenant.id, draft, "draft")
    foreign = insert_product(get_db(), make_tenant().id, "Başka Mağaza")
    for product_id in (draft, foreign, 999999999):
        assert_error_shape(me.api.put(f"/api/favorites/{product_id}"), 404, "not_found")
    assert_error_shape(me.api.delete(f"/api/favorites/{foreign}"), 404, "not_found")
    assert favorite_rows(tenant.id) == []

    # A favourite whose product is archived later is hidden, and can still be removed.
    me.api.put(f"/api/favorites/{tent}")
    set_product_status(tenant.id, tent, "archived")
    assert me.api.get("/api/favorites").json["items"] == []
    assert me.api.delete(f"/api/favorites/{tent}").status_code == 204
    assert favorite_rows(tenant.id) == []


def test_favourites_are_per_customer_and_need_a_token(engagement_client, me, tent, tenant):
    me.api.put(f"/api/favorites/{tent}")
    other = sign_in(engagement_client, tenant)
    assert other.api.get("/api/favorites").json["items"] == []
    assert other.api.delete(f"/api/favorites/{tent}").status_code == 204  # removes only their own (none)
    assert favorite_rows(tenant.id) == [{"user_id": me.user_id, "product_id": tent}]
    anonymous = Api(engagement_client, tenant.api_key)
    for method, path in (("GET", "/api/favorites"), ("PUT", f"/api/favorites/{tent}"),
                         ("DELETE", f"/api/favorites/{tent}")):
        assert_error_shape(anonymous.request(method, path), 401, "token_missing")
    outsider = sign_in(engagement_client, make_tenant())
    assert_error_shape(outsider.api.put(f"/api/favorites/{tent}"), 404, "not_found")
    assert len(favorite_rows(tenant.id)) == 1


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=101", "limit"), ("cursor=xyz", "cursor"),
                                          ("sort=name", "sort")])
def test_bad_favourite_queries_are_400(me, query, field):
    assert_fields(me.api.get(f"/api/favorites?{query}"), field)


# -- alerts over HTTP ---------------------------------------------------------------------------------
def test_an_alert_is_accepted_only_while_out_of_stock_and_is_idempotent(me, tent, sold_out, tenant):
    assert_error_shape(me.api.post(f"/api/products/{tent}/stock-alerts", {}), 409, "in_stock")
    variation = variation_ids(tenant.id, tent)[0]
    assert_error_shape(me.api.post(f"/api/products/{tent}/stock-alerts", {"variation_id": variation}), 409, "in_stock")
    set_stock(tenant.id, variation, 5, reserved=5)  # all reserved: nothing left to sell
    by_variation = me.api.post(f"/api/products/{tent}/stock-alerts", {"variation_id": variation})
    assert by_variation.status_code == 201, by_variation.body
    assert by_variation.json["variation_id"] == variation and by_variation.json["status"] == "active"

    whole = me.api.post(f"/api/products/{sold_out}/stock-alerts", {})
    assert whole.status_code == 201 and whole.json["variation_id"] is None
    assert whole.json["product_name"] == "Şişme Yatak"
    assert me.api.post(f"/api/products/{sold_out}/stock-alerts").json["id"] == whole.json["id"]  # no body: same
    assert me.api.post(f"/api/products/{tent}/stock-alerts", {"variation_id": variation}).json["id"] == \
        by_variation.json["id"]
    assert [(a["status"], a["channel"]) for a in alert_rows(tenant.id)] == [("active", "email")] * 2

    listed = me.api.get("/api/stock-alerts").json
    assert [a["id"] for a in listed["items"]] == [whole.json["id"], by_variation.json["id"]]
    assert me.api.delete(f"/api/stock-alerts/{whole.json['id']}").status_code == 204
    assert_error_shape(me.api.delete(f"/api/stock-alerts/{whole.json['id']}"), 404, "not_found")
    assert [a["id"] for a in alert_rows(tenant.id)] == [by_variation.json["id"]]


def test_simultaneous_product_alerts_leave_one(me, sold_out, tenant):
    results = simultaneously(*[lambda: me.api.post(f"/api/products/{sold_out}/stock-alerts", {})] * 3)
    assert [r.status_code for r in results] == [201] * 3
    assert len({r.json["id"] for r in results}) == 1 and len(alert_rows(tenant.id)) == 1


def test_alerts_of_others_and_of_unknown_things_are_404(engagement_client, me, sold_out, tent, tenant):
    mine = me.api.post(f"/api/products/{sold_out}/stock-alerts", {}).json
    other = sign_in(engagement_client, tenant)
    assert other.api.get("/api/stock-alerts").json["items"] == []
    assert_error_shape(other.api.delete(f"/api/stock-alerts/{mine['id']}"), 404, "not_found")
    outsider = sign_in(engagement_client, make_tenant())
    assert_error_shape(outsider.api.delete(f"/api/stock-alerts/{mine['id']}"), 404, "not_found")
    assert_error_shape(outsider.api.post(f"/api/products/{sold_out}/stock-alerts", {}), 404, "not_found")
    # A variation of another product, of nothing, or an inactive product.
    assert_error_shape(me.api.post(f"/api/products/{sold_out}/stock-alerts",
                                   {"variation_id": variation_ids(tenant.id, tent)[0]}), 404, "not_found")
    assert_error_shape(me.api.post(f"/api/products/{sold_out}/stock-alerts", {"variation_id": 999999999}),
                       404, "not_found")
    set_product_status(tenant.id, sold_out, "archived")
    assert_error_shape(me.api.post(f"/api/products/{sold_out}/stock-alerts", {}), 404, "not_found")
    assert [a["id"] for a in alert_rows(tenant.id)] == [mine["id"]]


def test_alert_bad_input_and_auth(engagement_client, me, sold_out, tenant):
    for body, fields in (({"variation_id": "x"}, {"variation_id"}), ({"variation_id": 0}, {"variation_id"}),
                         ({"product_id": 1}, {"product_id"})):
        assert_fields(me.api.post(f"/api/products/{sold_out}/stock-alerts", body), *fields)
    assert_fields(me.api.get("/api/stock-alerts?limit=500"), "limit")
    anonymous = Api(engagement_client, tenant.api_key)
    for method, path in (("POST", f"/api/products/{sold_out}/stock-alerts"), ("GET", "/api/stock-alerts"),
                         ("DELETE", "/api/stock-alerts/1")):
        assert_error_shape(anonymous.request(method, path, {}), 401, "token_missing")
    assert alert_rows(tenant.id) == []


def test_a_customer_without_an_email_address_is_told_to_add_one(me, sold_out, tenant):
    get_db().session().execute("UPDATE users SET email = NULL WHERE tenant_id = %s AND id = %s",
                               (tenant.id, me.user_id))
    assert_error_shape(me.api.post(f"/api/products/{sold_out}/stock-alerts", {}), 409, "email_required")
    assert alert_rows(tenant.id) == []


# -- stock_returned -----------------------------------------------------------------------------------
def _emails_to(*people: Person) -> dict[str, list[str]]:
    return {p.email: [m["subject"] for m in sent_emails(to=p.email)] for p in people}


def test_stock_returned_emails_each_waiting_customer_once(engagement_client, tenant, sold_out):
    small = variation_ids(tenant.id, sold_out)[0]
    large = add_variation(tenant.id, sold_out, stock=0, name="Çift Kişilik")
    turkish, english, whole, both, waiting = (
        sign_in(engagement_client, tenant), sign_in(engagement_client, tenant, language="en"),
        sign_in(engagement_client, tenant), sign_in(engagement_client, tenant), sign_in(engagement_client, tenant))
    for person, body in ((turkish, {"variation_id": small}), (english, {"variation_id": small}), (whole, {}),
                         (both, {"variation_id": small}), (both, {}), (waiting, {"variation_id": large})):
        assert person.api.post(f"/api/products/{sold_out}/stock-alerts", body).status_code == 201

    set_stock(tenant.id, small, 4)
    assert stock_returned(tenant.id, [small]) == 4  # turkish, english, whole, both (once)
    assert stock_returned(tenant.id, [small]) == 0
    drain_notifications()
    assert stock_returned(tenant.id, [small, small]) == 0
    drain_notifications()

    emails = _emails_to(turkish, english, whole, both, waiting)
    assert emails == {turkish.email: ["Şişme Yatak yeniden stokta"], english.email: ["Şişme Yatak is back in stock"],
                      whole.email: ["Şişme Yatak yeniden stokta"], both.email: ["Şişme Yatak yeniden stokta"],
                      waiting.email: []}
    slug = rows("SELECT slug FROM products WHERE id = %s", (sold_out,))[0]["slug"]
    assert f"https://huglu.app/urun/{slug}" in sent_emails(to=english.email)[0]["text"]
    statuses = {(a["user_id"], a["variation_id"]): a["status"] for a in alert_rows(tenant.id)}
    assert statuses == {(turkish.user_id, small): "notified", (english.user_id, small): "notified",
                        (whole.user_id, None): "notified", (both.user_id, small): "notified",
                        (both.user_id, None): "notified", (waiting.user_id, large): "active"}
    mine = turkish.api.get("/api/stock-alerts").json["items"]
    assert mine[0]["status"] == "notified" and mine[0]["notified_at"] is not None

    # The other variation returning tells only who waited for it (product-level alerts are done).
    set_stock(tenant.id, large, 1)
    assert stock_returned(tenant.id, [large]) == 1
    drain_notifications()
    assert _emails_to(waiting, whole)[waiting.email] == ["Şişme Yatak yeniden stokta"]
    assert len(sent_emails(to=whole.email)) == 1


def test_concurrent_calls_still_send_one_email_each(engagement_client, tenant, sold_out):
    variation = variation_ids(tenant.id, sold_out)[0]
    people = [sign_in(engagement_client, tenant) for _ in range(4)]
    for person in people:
        person.api.post(f"/api/products/{sold_out}/stock-alerts", {"variation_id": variation})
    set_stock(tenant.id, variation, 3)
    results = simultaneously(*[lambda: stock_returned(tenant.id, [variation])] * 3)
    assert sum(results) == 4, results
    drain_notifications()
    assert all(len(sent_emails(to=p.email)) == 1 for p in people)


def test_nothing_is_sent_while_there_is_still_nothing_to_sell(me, tenant, sold_out):
    variation = variation_ids(tenant.id, sold_out)[0]
    me.api.post(f"/api/products/{sold_out}/stock-alerts", {"variation_id": variation})
    me.api.post(f"/api/products/{sold_out}/stock-alerts", {})
    set_stock(tenant.id, variation, 2, reserved=2)  # came back, but all of it is reserved already
    assert stock_returned(tenant.id, [variation]) == 0
    set_stock(tenant.id, variation, 2)
    set_product_status(tenant.id, sold_out, "draft")  # taken off sale meanwhile
    assert stock_returned(tenant.id, [variation]) == 0
    assert {a["status"] for a in alert_rows(tenant.id)} == {"active"}
    assert stock_returned(tenant.id, []) == 0


def test_stock_returned_stays_inside_its_tenant(engagement_client, tenant, sold_out):
    variation = variation_ids(tenant.id, sold_out)[0]
    person = sign_in(engagement_client, tenant)
    person.api.post(f"/api/products/{sold_out}/stock-alerts", {"variation_id": variation})
    set_stock(tenant.id, variation, 9)
    assert stock_returned(make_tenant().id, [variation]) == 0
    assert alert_rows(tenant.id)[0]["status"] == "active"
    assert stock_returned(tenant.id, [variation]) == 1


def test_customers_who_can_no_longer_get_email_are_skipped_and_their_alerts_closed(engagement_client, tenant,
                                                                                   sold_out):
    variation = variation_ids(tenant.id, sold_out)[0]
    gone, fine = sign_in(engagement_client, tenant), sign_in(engagement_client, tenant)
    for person in (gone, fine):
        person.api.post(f"/api/products/{sold_out}/stock-alerts", {})
    get_db().session().execute("UPDATE users SET status = 'deleted', email = %s WHERE id = %s",
                               (f"deleted-{uuid.uuid4().hex[:8]}@invalid", gone.user_id))
    set_stock(tenant.id, variation, 1)
    assert stock_returned(tenant.id, [variation]) == 1
    drain_notifications()
    assert len(sent_emails(to=fine.email)) == 1
    assert {a["user_id"]: a["status"] for a in alert_rows(tenant.id)} == {gone.user_id: "cancelled",
                                                                          fine.user_id: "notified"}


def test_a_notified_alert_can_be_armed_again(me, tenant, sold_out):
    variation = variation_ids(tenant.id, sold_out)[0]
    alert = me.api.post(f"/api/products/{sold_out}/stock-alerts", {}).json
    set_stock(tenant.id, variation, 1)
    assert stock_returned(tenant.id, [variation]) == 1
    set_stock(tenant.id, variation, 0)
    again = me.api.post(f"/api/products/{sold_out}/stock-alerts", {})
    assert again.json["id"] == alert["id"] and again.json["status"] == "active" and again.json["notified_at"] is None
    set_stock(tenant.id, variation, 1)
    assert stock_returned(tenant.id, [variation]) == 1
    drain_notifications()
    assert len(sent_emails(to=me.email)) == 2




def test_stock_returned_runs_from_another_transactions_after_commit_hook(engagement_client, tenant, sold_out):
    """The way the admin stock code calls it: the stock change commits, then the hook runs."""
    variation = variation_ids(tenant.id, sold_out)[0]
    person = sign_in(engagement_client, tenant)
    person.api.post(f"/api/products/{sold_out}/stock-alerts", {"variation_id": variation})
    queued: list[int] = []

    def restock(uow: Any) -> None:
        uow.execute("UPDATE product_variations SET stock = 5 WHERE tenant_id = %s AND id = %s", (tenant.id, variation))
        uow.on_commit(lambda: queued.append(stock_returned(tenant.id, [variation])))
        uow.commit()

    get_db().transaction(restock)
    assert queued == [1]
    drain_notifications()
    assert [m["subject"] for m in sent_emails(to=person.email)] == ["Şişme Yatak yeniden stokta"]
