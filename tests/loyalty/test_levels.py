"""User levels (L1-L3): staff tiers, points from the orders' reward events (loyalty-events), the
level bonus through the wallet, the customer's view, and the downgrade rule with time shifted."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from chalicelib.loyalty import api as loyalty
from chalicelib.loyalty import events, points, service
from chalicelib.platform.db import get_db
from chalicelib.wallet import api as wallet
from tests.conftest import Api, make_tenant, make_user
from tests.orders_kit import sign_in

D = Decimal
GOLD = {"code": "gold", "name": "Altın", "sort_order": 2, "min_points": 1000,
        "benefits": {"free_shipping": True, "extra_bonus_percent": "5", "early_access_minutes": 60}}
SILVER = {"code": "silver", "name": "Gümüş", "sort_order": 1, "min_points": 300,
          "benefits": {"free_shipping": False, "extra_bonus_percent": "2.5", "early_access_minutes": 15}}


def message(tenant_id, order_id, user_id, to, paid="0", **extra):
    payload = {"order_id": order_id, "user_id": user_id, "to": to, "paid_total": paid, "currency": "TRY", **extra}
    return {"id": uuid.uuid4().hex, "type": "OrderBonusStatus", "tenant_id": tenant_id, "payload": payload}


def customer(client, tenant):
    user_id, _, _ = make_user(tenant)
    a = Api(client, tenant.api_key)
    a.token = sign_in(tenant.id, user_id)
    return user_id, a


def point_rows(tenant_id, user_id):
    return get_db().session().all("SELECT order_id, kind, points, earned_at FROM loyalty_points WHERE tenant_id = %s "
                                  "AND user_id = %s ORDER BY id", (tenant_id, user_id))


def bonus(tenant_id, user_id):
    return wallet.balance(get_db().session(), tenant_id, user_id).bonus.balance


@pytest.fixture
def tiers(admin_api):
    made = [admin_api.post("/api/admin/levels", body) for body in (GOLD, SILVER)]
    assert [r.status_code for r in made] == [201, 201], [r.body for r in made]
    return {r.json["code"]: r.json for r in made}


# -- staff CRUD --------------------------------------------------------------------------------------
def test_staff_manage_levels(admin_api, api, tiers):
    listed = admin_api.get("/api/admin/levels").json["items"]
    assert [t["code"] for t in listed] == ["silver", "gold"]  # lowest first
    assert listed[1]["benefits"] == {"free_shipping": True, "extra_bonus_percent": "5", "early_access_minutes": 60}
    public = api.get("/api/levels")
    assert public.status_code == 200 and [t["code"] for t in public.json["items"]] == ["silver", "gold"]

    changed = admin_api.put(f"/api/admin/levels/{tiers['gold']['id']}", {**GOLD, "min_points": 1200, "name": "Altın+"})
    assert changed.status_code == 200 and changed.json["min_points"] == 1200 and changed.json["name"] == "Altın+"
    assert admin_api.put(f"/api/admin/levels/{tiers['gold']['id']}", {**GOLD, "code": "silver"}).status_code == 409
    assert admin_api.post("/api/admin/levels", SILVER).json["error"]["code"] == "level_code_taken"
    assert admin_api.delete(f"/api/admin/levels/{tiers['silver']['id']}").status_code == 204
    assert [t["code"] for t in admin_api.get("/api/admin/levels").json["items"]] == ["gold"]


@pytest.mark.parametrize("bad", [
    {"benefits": {"extra_bonus_percent": "101"}},
    {"benefits": {"extra_bonus_percent": "-1"}},
    {"benefits": {"extra_bonus_percent": 5}},
    {"benefits": {"early_access_minutes": 1441}},
    {"benefits": {"free_shipping": "yes"}},
    {"benefits": {"surprise": True}},
    {"benefits": None},
    {"min_points": -1},
    {"min_points": None},
    {"code": "Gold Tier"},
    {"name": "\u202eevil"},
    {"name": None},
    {"extra": 1},
])
def test_bad_levels_are_400_and_change_nothing(admin_api, bad):
    response = admin_api.post("/api/admin/levels", {**GOLD, **bad})
    assert response.status_code == 400, response.body
    assert response.json["error"]["code"] == "validation_failed"
    assert admin_api.get("/api/admin/levels").json["items"] == []


def test_levels_are_the_shops_own(client, admin_api, tiers):
    other = make_tenant()
    _, email, password = make_user(other, roles=["super_admin"])
    staff = Api(client, other.api_key)
    staff.token = staff.post("/api/users/login", {"email": email, "password": password}).json["access_token"]
    gold_id = tiers["gold"]["id"]
    assert staff.put(f"/api/admin/levels/{gold_id}", GOLD).status_code == 404
    assert staff.delete(f"/api/admin/levels/{gold_id}").status_code == 404
    assert staff.get("/api/admin/levels").json["items"] == []
    assert admin_api.get("/api/admin/levels").json["items"][1]["id"] == gold_id


def test_customers_cannot_manage_levels(customer_api):
    assert customer_api.get("/api/admin/levels").status_code == 403
    assert customer_api.post("/api/admin/levels", GOLD).status_code == 403


def test_a_shop_without_levels_says_so(client, tenant):
    user_id, me = customer(client, tenant)
    events.handle_event(message(tenant.id, 9001, user_id, "delivered", "250.00"))
    view = me.get("/api/loyalty/level")
    assert view.status_code == 200
    assert view.json["levels_configured"] is False and view.json["level"] is None
    assert view.json["points_12m"] == 250 and view.json["benefits"]["free_shipping"] is False
    assert loyalty.benefits(get_db().session(), tenant.id, user_id) == loyalty.NO_BENEFITS


# -- points and levels ---------------------------------------------------------------------------------
def test_delivered_orders_earn_points_levels_and_the_level_bonus_once(client, tenant, tiers):
    user_id, me = customer(client, tenant)
    events.handle_event(message(tenant.id, 501, user_id, "delivered", "399.99"))
    view = me.get("/api/loyalty/level").json
    assert view["points_12m"] == 399 and view["level"]["code"] == "silver"
    assert view["next_level"]["code"] == "gold" and view["points_to_next"] == 601
    assert view["progress_percent"] == (399 - 300) * 100 // 700
    assert bonus(tenant.id, user_id) == D("10.00")  # 2.5 % of 399.99, silver held once this order counted

    again = message(tenant.id, 501, user_id, "delivered", "399.99")
    events.handle_event(again)
    events.handle_event(again)
    assert [r["points"] for r in point_rows(tenant.id, user_id)] == [399]
    assert bonus(tenant.id, user_id) == D("10.00")

    events.handle_event(message(tenant.id, 502, user_id, "delivered", "700.00"))
    view = me.get("/api/loyalty/level").json
    assert view["level"]["code"] == "gold" and view["points_12m"] == 1099 and view["next_level"] is None
    assert view["progress_percent"] == 100 and view["benefits"]["free_shipping"] is True
    assert [h["order_id"] for h in view["history"]] == [502, 501]
    assert bonus(tenant.id, user_id) == D("45.00")  # + 5 % of 700
    found = loyalty.benefits(get_db().session(), tenant.id, user_id)
    assert found == loyalty.Benefits("gold", True, D("5"), 60)
    assert loyalty.level_code(get_db().session(), tenant.id, user_id) == "gold"
    assert wallet.reconcile(get_db().session(), tenant.id).ok


def test_points_per_lira_follow_the_shop_setting(client):
    shop = make_tenant(settings={"loyalty": {"points_per_try": "0.5"}})
    user_id, _ = customer(client, shop)
    events.handle_event(message(shop.id, 77, user_id, "delivered", "101.00"))
    assert [r["points"] for r in point_rows(shop.id, user_id)] == [50]


def test_returns_take_back_their_share_once(client, tenant, tiers):
    user_id, me = customer(client, tenant)
    events.handle_event(message(tenant.id, 601, user_id, "delivered", "1000.00"))
    half = message(tenant.id, 601, user_id, "returned", "1000.00", items_total="1000.00", returned_total="250.00")
    events.handle_event(half)
    events.handle_event(half)
    assert [(r["kind"], r["points"]) for r in point_rows(tenant.id, user_id)] == [("earn", 1000), ("reverse", -250)]
    rows = point_rows(tenant.id, user_id)
    assert rows[1]["earned_at"] == rows[0]["earned_at"]  # leaves the 365-day window with its order
    view = me.get("/api/loyalty/level").json
    assert view["points_12m"] == 750
    assert view["level"]["code"] == "gold"  # kept until retained_until: no downgrade before then
    events.handle_event(message(tenant.id, 601, user_id, "refunded", "1000.00"))  # the rest (shares unknown)
    assert [r["points"] for r in point_rows(tenant.id, user_id)] == [1000, -1000]
    assert me.get("/api/loyalty/level").json["level"]["code"] == "gold"
    assert bonus(tenant.id, user_id) == D("50.00")  # the level bonus is not taken back (documented)


def test_another_customers_points_are_not_mine(client, tenant, tiers):
    user_id, _ = customer(client, tenant)
    _, other = customer(client, tenant)
    events.handle_event(message(tenant.id, 701, user_id, "delivered", "2000.00"))
    view = other.get("/api/loyalty/level").json
    assert view["points_12m"] == 0 and view["level"] is None and view["history"] == []
    assert view["next_level"]["code"] == "silver" and view["points_to_next"] == 300


def test_a_held_level_cannot_be_deleted(client, tenant, tiers, admin_api):
    user_id, _ = customer(client, tenant)
    events.handle_event(message(tenant.id, 801, user_id, "delivered", "350.00"))
    response = admin_api.delete(f"/api/admin/levels/{tiers['silver']['id']}")
    assert response.status_code == 409 and response.json["error"]["code"] == "level_in_use"


# -- the downgrade rule --------------------------------------------------------------------------------
def test_downgrade_only_after_retention_and_by_rolling_points(client, tenant, tiers):
    db = get_db()
    user_id, _ = customer(client, tenant)
    start = service.utcnow() - dt.timedelta(days=700)

    def day(n):
        return start + dt.timedelta(days=n)

    def standing():
        row = db.session().one("SELECT l.code, m.retained_until FROM loyalty_members m LEFT JOIN user_levels l "
                               "ON l.tenant_id = m.tenant_id AND l.id = m.level_id WHERE m.tenant_id = %s "
                               "AND m.user_id = %s", (tenant.id, user_id))
        return row["code"], row["retained_until"]

    points.earn(db, tenant.id, 901, user_id, D("1200.00"), now=day(0))
    assert standing() == ("gold", day(365))
    points.reverse(db, tenant.id, 901, now=day(50))  # all of it came back: 0 points, gold kept
    points.earn(db, tenant.id, 902, user_id, D("400.00"), now=day(100))  # silver points: gold still kept
    assert standing() == ("gold", day(365))
    service.sweep_retained(db, now=day(200))  # retention not over: nothing to do
    assert standing() == ("gold", day(365))
    service.sweep_retained(db, now=day(366))  # over: the rolling 400 points make silver
    assert standing() == ("silver", day(366 + 365))
    # A year after order 902 nothing is in the window; silver is kept until day 731, then none.
    service.sweep_retained(db, now=day(700))
    assert standing() == ("silver", day(731))
    service.sweep_retained(db, now=day(732))
    assert standing() == (None, None)


def test_the_daily_job_runs_through_the_scheduled_handler(client, tenant, tiers):
    user_id, _ = customer(client, tenant)
    points.earn(get_db(), tenant.id, 950, user_id, D("500.00"), now=service.utcnow() - dt.timedelta(days=400))
    result = client.lambda_.invoke("loyalty_levels", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[], region="eu-central-1"))
    assert result.payload["evaluated"] >= 1
    assert loyalty.level_code(get_db().session(), tenant.id, user_id) is None


def test_the_consumer_reports_nothing_failed_and_skips_other_events(client, tenant, tiers):
    user_id, _ = customer(client, tenant)
    bodies = [message(tenant.id, 1001, user_id, "delivered", "300.00"),
              {"id": uuid.uuid4().hex, "type": "OrderPlaced", "tenant_id": tenant.id, "payload": {"order_id": 1}}]
    event = client.events.generate_sqs_event(message_bodies=[json.dumps(b) for b in bodies],
                                             queue_name=loyalty.QUEUE)
    assert client.lambda_.invoke("loyalty_events", event).payload == {"batchItemFailures": []}
    assert client.lambda_.invoke("loyalty_events", event).payload == {"batchItemFailures": []}  # redelivered
    assert [r["points"] for r in point_rows(tenant.id, user_id)] == [300]
    assert loyalty.level_code(get_db().session(), tenant.id, user_id) == "silver"


def test_concurrent_redeliveries_earn_once(client, tenant, tiers):
    from tests.helpers import simultaneously

    user_id, _ = customer(client, tenant)
    body = message(tenant.id, 1101, user_id, "delivered", "500.00")
    simultaneously(*[lambda: events.handle_event(body) for _ in range(4)])
    assert [r["points"] for r in point_rows(tenant.id, user_id)] == [500]
    assert bonus(tenant.id, user_id) == D("12.50")
    assert wallet.reconcile(get_db().session(), tenant.id).ok
