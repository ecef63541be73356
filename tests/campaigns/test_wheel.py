"""The discount wheel (K4) through HTTP: staff prizes, the customer's wheel and spin, one spin per
period under concurrent calls, stock that ends exactly at its limit over hundreds of spins, and a
won prize becoming a personal coupon or wallet bonus."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from chalicelib.campaigns import wheel_service
from tests.campaigns.kit import campaign, utcnow
from tests.conftest import Api
from tests.helpers import simultaneously
from tests.live.kit import staff_api
from tests.orders_kit import shopper

WHEEL = "/api/campaigns/wheel"
SPIN = "/api/campaigns/wheel/spin"


def _wheel(db, tenant_id, **kw):
    """A wheel campaign as staff make it: no rules of its own (its prizes carry them)."""
    from chalicelib.campaigns.active import invalidate

    wid = campaign(db, tenant_id, {"type": "percent_off", "value": "1"}, type="wheel", name="Şans Çarkı",
                   stackable=False, **kw)
    db.session().execute("UPDATE campaigns SET rules = NULL WHERE tenant_id = %s AND id = %s", (tenant_id, wid))
    invalidate(tenant_id)
    return wid


def _prize(admin, campaign_id, **body):
    payload = {"label": "Boş", "kind": "nothing", "weight": 10, **body}
    response = admin.post(f"/api/admin/campaigns/{campaign_id}/prizes", payload)
    assert response.status_code == 201, response.body
    return response.json


def _spin(who, key=None):
    return who.api.post(SPIN, headers={"Idempotency-Key": key or uuid.uuid4().hex})


# -- staff ---------------------------------------------------------------------------------------
def test_staff_prizes_crud_with_hidden_campaigns_audit_and_odds(admin_api, tenant, db):
    wid = _wheel(db, tenant.id)
    pct = _prize(admin_api, wid, label="%10 indirim", kind="percent_coupon", value="10", weight=30, stock=5,
                 sort_order=1)
    empty = _prize(admin_api, wid, label="Tekrar dene", kind="nothing", weight=10, sort_order=2)
    bonus = _prize(admin_api, wid, label="25 TL bonus", kind="bonus", value="25", weight=10, sort_order=3)
    assert empty["prize_campaign_id"] is None and bonus["prize_campaign_id"] is None
    hidden = db.session().one("SELECT type, status, rules, is_stackable FROM campaigns WHERE id = %s",
                              (pct["prize_campaign_id"],))
    assert hidden["type"] == "wheel" and hidden["status"] == "active" and not hidden["is_stackable"]
    assert '"percent_off"' in hidden["rules"]
    listed = admin_api.get(f"/api/admin/campaigns/{wid}/prizes").json["items"]
    assert [p["id"] for p in listed] == [pct["id"], empty["id"], bonus["id"]]
    assert [p["odds_percent"] for p in listed] == ["60.00", "20.00", "20.00"]
    same = admin_api.put(f"/api/admin/prizes/{pct['id']}", {"label": "%10 indirim!", "kind": "percent_coupon",
                                                              "value": "10", "weight": 30, "stock": 5})
    assert same.status_code == 200 and same.json["prize_campaign_id"] == pct["prize_campaign_id"]
    changed = admin_api.put(f"/api/admin/prizes/{pct['id']}", {"label": "%15 indirim", "kind": "percent_coupon",
                                                                 "value": "15", "weight": 30, "stock": 5})
    assert changed.status_code == 200
    assert changed.json["prize_campaign_id"] not in (None, pct["prize_campaign_id"])  # won coupons keep 10 %
    assert admin_api.delete(f"/api/admin/prizes/{empty['id']}").status_code == 204
    assert [p["id"] for p in admin_api.get(f"/api/admin/campaigns/{wid}/prizes").json["items"]] == [pct["id"],
                                                                                                     bonus["id"]]
    assert admin_api.delete(f"/api/admin/prizes/{empty['id']}").status_code == 404
    actions = [r["action"] for r in db.session().all(
        "SELECT action FROM admin_logs WHERE tenant_id = %s AND entity_type = 'wheel_prize' ORDER BY id", (tenant.id,))]
    assert actions == ["campaigns.prize_created"] * 3 + ["campaigns.prize_updated"] * 2 + ["campaigns.prize_deleted"]


def test_staff_prize_refusals(client, admin_api, tenant, other_tenant, db):
    wid = _wheel(db, tenant.id)
    promo = campaign(db, tenant.id, {"type": "percent_off", "value": "5"})
    base = {"label": "x", "kind": "nothing", "weight": 1}
    for bad in ({**base, "kind": "percent_coupon", "value": "150"}, {**base, "kind": "bonus", "value": "0"},
                {**base, "value": "5"}, {**base, "weight": 0}, {**base, "label": None}, {**base, "extra": 1},
                {**base, "kind": "jackpot"}, {**base, "stock": -1}, {**base, "label": "\u202e"}, {}):
        response = admin_api.post(f"/api/admin/campaigns/{wid}/prizes", bad)
        assert response.status_code == 400, (bad, response.body)
    assert admin_api.post(f"/api/admin/campaigns/{promo}/prizes", base).json["error"]["code"] == "campaign_not_wheel"
    assert admin_api.post("/api/admin/campaigns/999999999/prizes", base).status_code == 404
    theirs = _wheel(db, other_tenant.id)
    assert admin_api.post(f"/api/admin/campaigns/{theirs}/prizes", base).status_code == 404
    prize = _prize(admin_api, wid, kind="fixed_coupon", value="50", stock=1)
    db.session().execute("UPDATE wheel_prizes SET awarded = 1 WHERE id = %s", (prize["id"],))
    below = admin_api.put(f"/api/admin/prizes/{prize['id']}", {**base, "stock": 0})
    assert below.status_code == 409 and below.json["error"]["code"] == "prize_stock_below_awarded"
    hidden = _prize(admin_api, wid, kind="free_shipping")["prize_campaign_id"]
    assert admin_api.post(f"/api/admin/campaigns/{hidden}/prizes", base).json["error"]["code"] == "campaign_not_wheel"
    customer = shopper(client, tenant).api
    assert customer.get(f"/api/admin/campaigns/{wid}/prizes").status_code == 403
    support = staff_api(client, tenant, ["support"])
    assert support.post(f"/api/admin/campaigns/{wid}/prizes", base).status_code == 403


# -- the customer's wheel ----------------------------------------------------------------------------
def test_wheel_shows_slots_without_weights_and_who_may_spin(client, admin_api, tenant, db):
    guest = Api(client, tenant.api_key)
    assert guest.get(WHEEL).json["error"]["code"] == "wheel_not_found"
    wid = _wheel(db, tenant.id)
    a = _prize(admin_api, wid, label="%10", kind="percent_coupon", value="10", sort_order=2)
    b = _prize(admin_api, wid, label="Boş", kind="nothing", sort_order=1)
    shown = guest.get(WHEEL)
    assert shown.status_code == 200, shown.body
    assert [(s["index"], s["prize_id"]) for s in shown.json["slots"]] == [(0, b["id"]), (1, a["id"])]
    assert "weight" not in shown.body.decode() and shown.json["can_spin"] is False
    who = shopper(client, tenant)
    mine = who.api.get(WHEEL).json
    assert mine["can_spin"] is True and mine["next_spin_at"] is None and mine["period"] == "day"
    assert _spin(who).status_code == 201
    after = who.api.get(WHEEL).json
    assert after["can_spin"] is False
    _, _, next_start = wheel_service.period_of("day", utcnow())
    assert next_start is not None and after["next_spin_at"] == next_start.isoformat() + "Z"


def test_spin_gives_a_personal_coupon_and_replays_by_key(client, admin_api, tenant, db):
    wid = _wheel(db, tenant.id)
    prize = _prize(admin_api, wid, label="%20 indirim", kind="percent_coupon", value="20", valid_days=3)
    who = shopper(client, tenant)
    assert who.api.post(SPIN).status_code == 400  # Idempotency-Key required
    key = uuid.uuid4().hex
    won = _spin(who, key)
    assert won.status_code == 201, won.body
    body = won.json
    assert body["slot_index"] == 0 and body["prize"]["id"] == prize["id"] and body["prize"]["kind"] == "percent_coupon"
    code = body["coupon"]["code"]
    row = db.session().one("SELECT * FROM coupons WHERE tenant_id = %s AND code = %s", (tenant.id, code))
    assert row["user_id"] == who.user_id and row["usage_limit"] == 1 and row["source"] == "wheel"
    assert row["campaign_id"] == prize["prize_campaign_id"]
    assert dt.timedelta(days=3) - dt.timedelta(seconds=5) < row["ends_at"] - row["starts_at"] <= dt.timedelta(days=3)
    again = _spin(who, key)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["spin_id"] == body["spin_id"] and again.json["coupon"]["code"] == code
    second = _spin(who)
    assert second.status_code == 409 and second.json["error"]["code"] == "wheel_already_spun"
    assert second.json["error"]["details"]["next_spin_at"].endswith("Z")
    applied = who.api.post("/api/campaigns/coupons", {"code": code})
    assert applied.status_code == 200 and applied.json["valid"] is True
    stranger = shopper(client, tenant)
    assert stranger.api.post("/api/campaigns/coupons", {"code": code}).status_code == 404
    assert db.session().scalar("SELECT awarded FROM wheel_prizes WHERE id = %s", (prize["id"],)) == 1


def test_a_bonus_prize_goes_to_the_wallet(client, admin_api, tenant, db):
    from chalicelib.wallet import api as wallet

    wid = _wheel(db, tenant.id)
    _prize(admin_api, wid, label="25 TL bonus", kind="bonus", value="25.50", valid_days=30)
    who = shopper(client, tenant)
    won = _spin(who)
    assert won.status_code == 201, won.body
    assert won.json["bonus"] == "25.50" and won.json["coupon"] is None
    assert wallet.balance(db.session(), tenant.id, who.user_id).bonus.balance == Decimal("25.50")


def test_concurrent_spins_of_one_customer_give_exactly_one_prize(client, admin_api, tenant, db):
    wid = _wheel(db, tenant.id)
    prize = _prize(admin_api, wid, kind="fixed_coupon", value="30")
    who = shopper(client, tenant)
    statuses = simultaneously(*[lambda: _spin(who).status_code for _ in range(8)])
    assert sorted(statuses) == [201] + [409] * 7
    assert db.session().scalar("SELECT COUNT(*) FROM discount_wheel_spins WHERE tenant_id = %s AND user_id = %s",
                               (tenant.id, who.user_id)) == 1
    assert db.session().scalar("SELECT awarded FROM wheel_prizes WHERE id = %s", (prize["id"],)) == 1
    assert db.session().scalar("SELECT COUNT(*) FROM coupons WHERE tenant_id = %s AND user_id = %s",
                               (tenant.id, who.user_id)) == 1


def test_stock_ends_exactly_at_its_limit_over_hundreds_of_spins(client, admin_api, tenant, db):
    wid = _wheel(db, tenant.id)
    coupons = _prize(admin_api, wid, label="%10", kind="percent_coupon", value="10", weight=50, stock=40)
    rare = _prize(admin_api, wid, label="Şapka", kind="nothing", weight=50, stock=25)
    rest = _prize(admin_api, wid, label="Boş", kind="nothing", weight=10)
    shoppers = [shopper(client, tenant) for _ in range(300)]
    won: list[int] = []
    for batch in range(0, 90, 30):  # the stocked prizes mostly run out here, under concurrent claims
        answers = simultaneously(*[lambda w=w: _spin(w) for w in shoppers[batch:batch + 30]])
        assert [a.status_code for a in answers] == [201] * 30, [a.body for a in answers if a.status_code != 201]
        won += [a.json["prize"]["id"] for a in answers]
    for w in shoppers[90:]:
        answer = _spin(w)
        assert answer.status_code == 201, answer.body
        won.append(answer.json["prize"]["id"])
    awarded = {r["id"]: r["awarded"] for r in db.session().all(
        "SELECT id, awarded FROM wheel_prizes WHERE tenant_id = %s", (tenant.id,))}
    assert awarded == {coupons["id"]: 40, rare["id"]: 25, rest["id"]: 235}
    assert won.count(coupons["id"]) == 40 and won.count(rare["id"]) == 25
    assert db.session().scalar("SELECT COUNT(*) FROM coupons WHERE tenant_id = %s AND source = 'wheel'",
                               (tenant.id,)) == 40
    odds = {p["id"]: p["odds_percent"] for p in admin_api.get(f"/api/admin/campaigns/{wid}/prizes").json["items"]}
    assert odds == {coupons["id"]: "0.00", rare["id"]: "0.00", rest["id"]: "100.00"}


def test_a_sold_out_wheel_refuses_and_records_nothing(client, admin_api, tenant, db):
    wid = _wheel(db, tenant.id)
    only = _prize(admin_api, wid, kind="free_shipping", stock=1)
    assert _spin(shopper(client, tenant)).status_code == 201
    who = shopper(client, tenant)
    refused = _spin(who)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "wheel_sold_out"
    assert db.session().scalar("SELECT COUNT(*) FROM discount_wheel_spins WHERE tenant_id = %s AND user_id = %s",
                               (tenant.id, who.user_id)) == 0
    admin_api.put(f"/api/admin/prizes/{only['id']}", {"label": "Kargo", "kind": "free_shipping", "weight": 1,
                                                        "stock": 2})
    assert _spin(who).status_code == 201  # restocked: the refused customer spins after all


def test_other_tenants_wheel_is_not_seen(client, admin_api, tenant, other_tenant, db):
    theirs = _wheel(db, other_tenant.id)
    db.session().execute("INSERT INTO wheel_prizes (tenant_id, campaign_id, label, kind, weight) VALUES "
                         "(%s, %s, 'x', 'nothing', 1)", (other_tenant.id, theirs))
    who = shopper(client, tenant)
    assert who.api.get(WHEEL).status_code == 404
    assert _spin(who).json["error"]["code"] == "wheel_not_found"
    assert admin_api.get(f"/api/admin/campaigns/{theirs}/prizes").status_code == 404


def test_ended_or_paused_wheels_do_not_run(client, admin_api, tenant, db):
    wid = _wheel(db, tenant.id, ends_at=utcnow() + dt.timedelta(hours=1))
    _prize(admin_api, wid)
    db.session().execute("UPDATE campaigns SET ends_at = %s WHERE id = %s", (utcnow() - dt.timedelta(seconds=1), wid))
    assert Api(client, tenant.api_key).get(WHEEL).status_code == 404
    db.session().execute("UPDATE campaigns SET ends_at = NULL, status = 'paused' WHERE id = %s", (wid,))
    assert _spin(shopper(client, tenant)).status_code == 404


# -- periods ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("period", "now", "key", "next_start"), [
    ("day", dt.datetime(2026, 12, 6, 20, 59), "2026-12-06", dt.datetime(2026, 12, 6, 21, 0)),
    ("day", dt.datetime(2026, 12, 6, 21, 0), "2026-12-07", dt.datetime(2026, 12, 7, 21, 0)),
    ("week", dt.datetime(2026, 12, 6, 20, 59), "2026-W49", dt.datetime(2026, 12, 6, 21, 0)),
    ("week", dt.datetime(2026, 12, 6, 21, 30), "2026-W50", dt.datetime(2026, 12, 13, 21, 0)),
    ("week", dt.datetime(2026, 12, 31, 22, 0), "2026-W53", dt.datetime(2027, 1, 3, 21, 0)),
    ("campaign", dt.datetime(2026, 12, 6, 12, 0), "campaign", None),
])
def test_periods_in_turkish_time(period, now, key, next_start):
    got_key, _, got_next = wheel_service.period_of(period, now)
    assert (got_key, got_next) == (key, next_start)


def test_period_setting():
    assert wheel_service.wheel_period(None) == "day"
    assert wheel_service.wheel_period({"campaigns": {"wheel_period": "week"}}) == "week"
    assert wheel_service.wheel_period({"campaigns": {"wheel_period": "month"}}) == "day"


def test_a_won_coupon_discounts_the_cart(client, admin_api, tenant, db):
    from tests.orders_kit import fill_cart, product

    wid = _wheel(db, tenant.id)
    _prize(admin_api, wid, label="%20 indirim", kind="percent_coupon", value="20")
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="100.00", stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 2)])
    code = _spin(who).json["coupon"]["code"]
    assert who.api.post("/api/campaigns/coupons", {"code": code}).status_code == 200
    cart = who.api.get("/api/cart")
    assert cart.status_code == 200, cart.body
    assert cart.json["totals"]["discount_total"] == "40.00"
