"""Popups: highest priority first, frequency caps per viewer (once, daily by the Turkish calendar
day, every visit), impressions as one atomic upsert, and targeting by platform, new customers,
ML segment and loyalty level."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import Api
from tests.content.kit import at, guest, make, now
from tests.helpers import simultaneously
from tests.orders_kit import checkout, fill_cart, pay, product, shopper


def _ids(api: Api, query: str = "") -> list[int]:
    response = api.get(f"/api/popups{query}")
    assert response.status_code == 200, response.body
    return [p["id"] for p in response.json["items"]]


def test_popups_by_priority_and_capped_per_viewer(admin_api: Api, api: Api) -> None:
    once = make(admin_api, "popups", priority=5, frequency="once")
    daily = make(admin_api, "popups", priority=9, frequency="daily")
    always = make(admin_api, "popups", priority=1, frequency="every_visit")
    make(admin_api, "popups", priority=20, starts_at=at(hours=2))  # scheduled
    make(admin_api, "popups", priority=30, is_active=False)
    viewer, other = guest(api), guest(api)
    assert _ids(viewer) == [daily["id"], once["id"], always["id"]]
    for popup in (once, daily, always):
        shown = viewer.post(f"/api/popups/{popup['id']}/impressions")
        assert shown.status_code == 200, shown.body
        assert shown.json == {"popup_id": popup["id"], "shown": 1, "capped": popup["frequency"] != "every_visit"}
    assert _ids(viewer) == [always["id"]]
    assert _ids(other) == [daily["id"], once["id"], always["id"]]
    assert viewer.post(f"/api/popups/{always['id']}/impressions").json["shown"] == 2
    assert _ids(viewer, "?limit=1") == [always["id"]]
    listed = viewer.get("/api/popups").json["items"][0]
    assert "audience" not in listed and listed["frequency"] == "every_visit"


def test_daily_popups_come_back_the_next_turkish_day(admin_api: Api, db: Any, tenant: Any) -> None:
    from chalicelib.content import feed

    daily = make(admin_api, "popups", frequency="daily")
    once = make(admin_api, "popups", frequency="once")
    viewer = feed.Viewer(None, "daily-device-1")
    today = now()
    for popup in (daily, once):
        feed.record_impression(db, tenant.id, popup["id"], viewer, today)
    assert feed.popups(db, tenant.id, viewer, None, 10, today) == []
    tomorrow = today + timedelta(days=1)
    assert [p["id"] for p in feed.popups(db, tenant.id, viewer, None, 10, tomorrow)] == [daily["id"]]
    # the day turns at midnight in Turkey (21:00 UTC)
    assert feed.period_key("daily", today.replace(hour=20, minute=59)) != feed.period_key(
        "daily", today.replace(hour=21, minute=0))


def test_impressions_are_one_atomic_upsert(admin_api: Api, db: Any, tenant: Any) -> None:
    from chalicelib.content import feed

    popup = make(admin_api, "popups", frequency="every_visit")
    viewer = feed.Viewer(None, "busy-device-1")
    simultaneously(*[lambda: feed.record_impression(db, tenant.id, popup["id"], viewer) for _ in range(8)])
    assert db.session().scalar("SELECT shown FROM popup_impressions WHERE tenant_id = %s AND popup_id = %s",
                               (tenant.id, popup["id"])) == 8


def test_popups_need_a_viewer_and_the_tenants_live_popup(admin_api: Api, api: Api, client: Any,
                                                         other_tenant: Any) -> None:
    popup = make(admin_api, "popups")
    ended = make(admin_api, "popups", starts_at=at(days=-2), ends_at=at(days=-1))
    assert api.get("/api/popups").json["error"]["code"] == "viewer_required"
    assert api.post(f"/api/popups/{popup['id']}/impressions").status_code == 400
    assert guest(api).post(f"/api/popups/{ended['id']}/impressions").json["error"]["code"] == "popup_not_found"
    elsewhere = guest(Api(client, other_tenant.api_key))
    assert elsewhere.post(f"/api/popups/{popup['id']}/impressions").status_code == 404
    assert _ids(elsewhere) == []
    assert guest(api).get("/api/popups?platform=symbian").status_code == 400
    assert guest(api).get("/api/popups?limit=0").status_code == 400


def test_targeting_by_platform_and_new_customers(admin_api: Api, api: Api, client: Any, tenant: Any,
                                                 db: Any) -> None:
    ios = make(admin_api, "popups", audience={"platforms": ["ios"]}, priority=3)
    newcomers = make(admin_api, "popups", audience={"new_customers": True}, priority=2)
    returning = make(admin_api, "popups", audience={"new_customers": False}, priority=1)
    visitor = guest(api)
    assert _ids(visitor) == [newcomers["id"]]
    assert _ids(visitor, "?platform=ios") == [ios["id"], newcomers["id"]]
    assert _ids(visitor, "?platform=android") == [newcomers["id"]]
    buyer = shopper(client, tenant)
    assert _ids(buyer.api) == [newcomers["id"]]
    product_id, variation_id = product(db, tenant.id)
    fill_cart(db, tenant.id, buyer.user_id, [(product_id, variation_id, 1)])
    placed = checkout(buyer)
    assert placed.status_code == 201, placed.body
    assert _ids(buyer.api) == [newcomers["id"]]  # not paid yet: still new
    pay(db, tenant.id, placed.json["id"])
    assert _ids(buyer.api) == [returning["id"]]


def test_targeting_by_segment_and_level(admin_api: Api, customer_api: Api, api: Api, db: Any, tenant: Any) -> None:
    champions = make(admin_api, "popups", audience={"segments": ["champions"]}, priority=2)
    gold = make(admin_api, "popups", audience={"levels": ["gold", "platinum"]}, priority=1)
    both = make(admin_api, "popups", audience={"segments": ["champions"], "levels": ["gold"]}, priority=0)
    from chalicelib.platform.auth import decode_access_token

    user_id = decode_access_token(customer_api.token or "").user_id
    assert _ids(customer_api) == []
    session = db.session()
    session.execute("""INSERT INTO user_data (tenant_id, user_id, segment, segment_updated_at)
                       VALUES (%s, %s, 'champions', NOW(6))""", (tenant.id, user_id))
    assert _ids(customer_api) == [champions["id"]]
    level_id = session.insert("INSERT INTO user_levels (tenant_id, code, name) VALUES (%s, 'gold', 'Altın')",
                              (tenant.id,))
    session.execute("INSERT INTO loyalty_members (tenant_id, user_id, level_id) VALUES (%s, %s, %s)",
                    (tenant.id, user_id, level_id))
    assert _ids(customer_api) == [champions["id"], gold["id"], both["id"]]
    assert _ids(guest(api)) == []  # a guest has no segment or level
