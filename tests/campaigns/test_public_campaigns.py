"""The apps' public lists (K1 reads): running promotions with badges and countdowns, cached per
tenant and following every staff write; flash deals live / upcoming with prices, units and
countdowns, early access through the customer's loyalty level."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from chalicelib.campaigns import public_service
from chalicelib.campaigns.active import invalidate
from chalicelib.campaigns.model import parse_rules
from tests.campaigns.kit import campaign, flash_deal, utcnow
from tests.conftest import Api
from tests.orders_kit import product, shopper

PERCENT = {"type": "percent_off", "value": "10"}


def _names(response):
    assert response.status_code == 200, response.body
    return [i["name"] for i in response.json["items"]]


def test_running_automatic_campaigns_are_listed_with_badges_and_countdowns(client, tenant, other_tenant, db):
    now = utcnow()
    guest = Api(client, tenant.api_key)
    campaign(db, tenant.id, PERCENT, name="Yüzde", priority=5, ends_at=now + dt.timedelta(hours=1))
    campaign(db, tenant.id, {"type": "free_shipping"}, name="Kargo")
    campaign(db, tenant.id, PERCENT, name="Kuponlu", type="coupon")
    campaign(db, tenant.id, PERCENT, name="Çark", type="wheel")
    campaign(db, tenant.id, PERCENT, name="Duran", status="paused")
    campaign(db, tenant.id, PERCENT, name="Gelecek", starts_at=now + dt.timedelta(hours=1))
    campaign(db, tenant.id, PERCENT, name="Biten", starts_at=now - dt.timedelta(days=2),
             ends_at=now - dt.timedelta(days=1))
    flash = campaign(db, tenant.id, PERCENT, name="Flaş Günleri", type="flash")
    db.session().execute("UPDATE campaigns SET rules = NULL WHERE id = %s", (flash,))
    deleted = campaign(db, tenant.id, PERCENT, name="Silinen")
    db.session().execute("UPDATE campaigns SET deleted_at = %s WHERE id = %s", (now, deleted))
    campaign(db, other_tenant.id, PERCENT, name="Başka Mağaza")
    invalidate(tenant.id)
    response = guest.get("/api/campaigns")
    assert _names(response) == ["Yüzde", "Kargo", "Flaş Günleri"]
    first, second, third = response.json["items"]
    assert first["badge"] == "%10 indirim" and first["level"] == "basket" and first["uses_left"] is None
    assert 3590 <= first["seconds_left"] <= 3600 and first["ends_at"].endswith("Z")
    assert second["badge"] == "Kargo bedava" and second["seconds_left"] is None
    assert third["type"] == "flash" and third["badge"] is None and third["level"] is None
    assert response.json["server_time"].endswith("Z")
    english = guest.get("/api/campaigns", headers={"Accept-Language": "en"}).json["items"]
    assert [i["badge"] for i in english[:2]] == ["10% off", "Free shipping"]


def test_the_list_is_cached_and_follows_staff_writes(client, tenant, db):
    guest = Api(client, tenant.api_key)
    cid = campaign(db, tenant.id, PERCENT, name="İlk")
    assert _names(guest.get("/api/campaigns")) == ["İlk"]
    db.session().execute("UPDATE campaigns SET name = 'Gizli Değişiklik' WHERE id = %s", (cid,))
    assert _names(guest.get("/api/campaigns")) == ["İlk"]  # served from the cache
    invalidate(tenant.id)  # what every staff write does
    assert _names(guest.get("/api/campaigns")) == ["Gizli Değişiklik"]
    campaign(db, tenant.id, PERCENT, name="İkinci")  # kit.campaign invalidates as the admin API does
    assert sorted(_names(guest.get("/api/campaigns"))) == ["Gizli Değişiklik", "İkinci"]


def test_cached_rows_are_judged_against_the_clock(db, tenant):
    now = utcnow()
    campaign(db, tenant.id, PERCENT, name="Kısa", ends_at=now + dt.timedelta(minutes=10))
    campaign(db, tenant.id, PERCENT, name="Sonra", starts_at=now + dt.timedelta(minutes=5))
    assert [i["name"] for i in public_service.campaigns(db, tenant.id, None, "tr", now)["items"]] == ["Kısa"]
    later = public_service.campaigns(db, tenant.id, None, "tr", now + dt.timedelta(minutes=7))["items"]
    assert [i["name"] for i in later] == ["Kısa", "Sonra"]
    assert [i["name"] for i in public_service.campaigns(db, tenant.id, None, "tr",
                                                         now + dt.timedelta(minutes=11))["items"]] == ["Sonra"]


def test_signed_in_customers_see_their_uses_left(client, tenant, db):
    cid = campaign(db, tenant.id, PERCENT, name="Üç Kez", usage_limit_per_user=3)
    who = shopper(client, tenant)
    db.session().execute("INSERT INTO campaign_customer_uses (tenant_id, scope, scope_id, user_id, uses) VALUES "
                         "(%s, 'campaign', %s, %s, 1)", (tenant.id, cid, who.user_id))
    assert who.api.get("/api/campaigns").json["items"][0]["uses_left"] == 2
    assert Api(client, tenant.api_key).get("/api/campaigns").json["items"][0]["uses_left"] is None


@pytest.mark.parametrize(("action", "tr", "en"), [
    ({"type": "percent_off", "value": "12.5"}, "%12.5 indirim", "12.5% off"),
    ({"type": "fixed_off", "value": "1250"}, "1.250,00 TL indirim", "1.250,00 TL off"),
    ({"type": "bonus_percent", "value": "5"}, "%5 bonus", "5% bonus"),
    ({"type": "bonus_fixed", "value": "20"}, "20,00 TL bonus", "20,00 TL bonus"),
    ({"type": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1}, "3 al 2 öde", "Buy 3, pay 2"),
    ({"type": "buy_x_get_y", "buy_quantity": 1, "get_quantity": 1, "get_percent": "50"}, "1 alana %50 indirim",
     "Buy 1, 50% off the next"),
])
def test_badges(action, tr, en):
    _, _, parsed = parse_rules({"level": "basket", "conditions": {}, "action": action})
    assert (public_service.badge(parsed, "tr"), public_service.badge(parsed, "en")) == (tr, en)


# -- flash deals -------------------------------------------------------------------------------------
def _deals(api, status=None):
    response = api.get("/api/flash-deals" + (f"?status={status}" if status else ""))
    assert response.status_code == 200, response.body
    return response.json


def test_live_and_upcoming_deals_with_prices_units_and_countdowns(client, tenant, other_tenant, db):
    now = utcnow()
    guest = Api(client, tenant.api_key)
    p1, _ = product(db, tenant.id, price="1000.00", name="Çadır")
    p2, v2 = product(db, tenant.id, price="200.00", name="Matara")
    db.session().execute("UPDATE product_variations SET price = 250.00 WHERE id = %s", (v2,))
    live = flash_deal(db, tenant.id, p1, "750.00", stock_limit=10, ends_at=now + dt.timedelta(hours=2))
    db.session().execute("UPDATE flash_deals SET sold_count = 4 WHERE id = %s", (live,))
    upcoming = flash_deal(db, tenant.id, p2, "199.99", variation_id=v2, starts_at=now + dt.timedelta(hours=1),
                          ends_at=now + dt.timedelta(hours=3))
    off = flash_deal(db, tenant.id, p1, "700.00")
    db.session().execute("UPDATE flash_deals SET is_active = 0 WHERE id = %s", (off,))
    flash_deal(db, tenant.id, p1, "700.00", starts_at=now - dt.timedelta(hours=2), ends_at=now - dt.timedelta(hours=1))
    hidden_product, _ = product(db, tenant.id, name="Taslak")
    db.session().execute("UPDATE products SET status = 'draft' WHERE id = %s", (hidden_product,))
    flash_deal(db, tenant.id, hidden_product, "1.00")
    p_other, _ = product(db, other_tenant.id)
    flash_deal(db, other_tenant.id, p_other, "1.00")
    body = _deals(guest)
    assert body["status"] == "live" and body["early_access_minutes"] == 0
    [deal] = body["items"]
    assert deal["id"] == live and deal["product"]["id"] == p1 and deal["product"]["name"] == "Çadır"
    assert (deal["deal_price"], deal["original_price"], deal["discount_percent"]) == ("750.00", "1000.00", "25.00")
    assert deal["units_left"] == 6 and deal["your_units_left"] is None and deal["early_access"] is False
    assert deal["seconds_to_start"] == 0 and 7190 <= deal["seconds_left"] <= 7200
    [soon] = _deals(guest, "upcoming")["items"]
    assert soon["id"] == upcoming and soon["variation_id"] == v2
    assert (soon["original_price"], soon["discount_percent"]) == ("250.00", "20.00")
    assert 3590 <= soon["seconds_to_start"] <= 3600 and soon["units_left"] is None


def test_per_customer_units_left(client, tenant, db):
    p1, _ = product(db, tenant.id, price="100.00")
    deal = flash_deal(db, tenant.id, p1, "80.00", per_user_limit=3)
    who = shopper(client, tenant)
    db.session().execute("INSERT INTO campaign_customer_uses (tenant_id, scope, scope_id, user_id, uses) VALUES "
                         "(%s, 'flash', %s, %s, 2)", (tenant.id, deal, who.user_id))
    assert _deals(who.api)["items"][0]["your_units_left"] == 1
    assert _deals(Api(client, tenant.api_key))["items"][0]["your_units_left"] is None


def test_early_access_through_the_loyalty_level(client, tenant, db):
    now = utcnow()
    p1, _ = product(db, tenant.id)
    deal = flash_deal(db, tenant.id, p1, "999.00", starts_at=now + dt.timedelta(minutes=60),
                      ends_at=now + dt.timedelta(hours=5))
    gold = db.session().insert("INSERT INTO user_levels (tenant_id, code, name, benefits) VALUES (%s, 'gold', 'Altın', %s)",
                               (tenant.id, json.dumps({"early_access_minutes": 90})))
    vip, plain = shopper(client, tenant), shopper(client, tenant)
    db.session().execute("INSERT INTO loyalty_members (tenant_id, user_id, level_id) VALUES (%s, %s, %s)",
                         (tenant.id, vip.user_id, gold))
    mine = _deals(vip.api)
    assert mine["early_access_minutes"] == 90
    assert [(d["id"], d["early_access"]) for d in mine["items"]] == [(deal, True)]
    assert _deals(vip.api, "upcoming")["items"] == []
    assert _deals(plain.api)["items"] == []
    assert [d["id"] for d in _deals(plain.api, "upcoming")["items"]] == [deal]


@pytest.mark.parametrize("query", ["status=soon", "status=", "status=%E2%80%AE", "status=live&extra=1",
                                   "status=LIVE"])
def test_bad_queries_are_400(client, tenant, query):
    response = Api(client, tenant.api_key).get(f"/api/flash-deals?{query}")
    assert response.status_code == 400, response.body


def test_an_api_key_is_needed(client):
    assert Api(client, None).get("/api/campaigns").status_code == 401
    assert Api(client, None).get("/api/flash-deals").status_code == 401


def test_discount_percent_rounds_half_up():
    deal = public_service._deal(
        {"id": 1, "campaign_id": None, "title": None, "variation_id": None, "variation_price": None,
         "deal_price": Decimal("66.66"), "stock_limit": None, "sold_count": 0, "per_user_limit": None,
         "starts_at": dt.datetime(2026, 1, 1), "ends_at": dt.datetime(2026, 1, 2)},
        {"price": Decimal("99.99")}, None, dt.datetime(2026, 1, 1, 12))
    assert deal["discount_percent"] == Decimal("33.33") and deal["seconds_left"] == 43200
