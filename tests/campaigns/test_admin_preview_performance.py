"""Staff preview and performance of a campaign (issue 15, AK): a draft or future campaign priced as
if live without touching what customers see; the performance figures against real orders."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.campaigns.admin_kit import campaign_body, create, key, staff
from tests.conftest import make_user
from tests.orders_kit import checkout, fill_cart, pay, product, shopper

CAMPAIGNS = "/api/admin/campaigns"


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def test_preview_of_a_draft_prices_it_without_going_live(admin_api, client, tenant, db):
    p1, v1 = product(db, tenant.id, price="200.00")
    draft = create(admin_api, CAMPAIGNS, campaign_body(
        rules={"action": {"type": "percent_off", "value": "10"}, "conditions": {"min_quantity": 2}}))
    assert draft["status"] == "draft"
    preview = admin_api.post(f"{CAMPAIGNS}/{draft['id']}/preview", {"lines": [{"variation_id": v1, "quantity": 2}]})
    assert preview.status_code == 200, preview.body
    out = preview.json
    assert out["totals"]["subtotal"] == "400.00" and out["totals"]["discount_total"] == "40.00"
    assert [(a["campaign_id"], a["discount"]) for a in out["applied"]] == [(draft["id"], "40.00")]
    one = admin_api.post(f"{CAMPAIGNS}/{draft['id']}/preview", {"lines": [{"variation_id": v1, "quantity": 1}]}).json
    assert one["applied"] == [] and [(r["claim_key"], r["reason"]) for r in one["rejected"]] == \
        [(f"campaign:{draft['id']}", "min_quantity")]
    who = shopper(client, tenant)  # customers see nothing of the draft
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 2)])
    assert who.api.get("/api/cart").json["totals"]["discount_total"] == "0.00"


def test_preview_of_a_future_or_ended_campaign_moves_its_window(admin_api, tenant, db):
    _, v1 = product(db, tenant.id, price="100.00")
    now = _now()
    future = create(admin_api, CAMPAIGNS, campaign_body(
        status="active", starts_at=_iso(now + dt.timedelta(days=30)), ends_at=_iso(now + dt.timedelta(days=31)),
        rules={"action": {"type": "fixed_off", "value": "15"}}))
    lines = {"lines": [{"variation_id": v1, "quantity": 1}]}
    shown = admin_api.post(f"{CAMPAIGNS}/{future['id']}/preview", lines).json
    assert shown["totals"]["discount_total"] == "15.00"
    ended = create(admin_api, CAMPAIGNS, campaign_body(
        starts_at=_iso(now - dt.timedelta(days=10)), ends_at=_iso(now - dt.timedelta(days=9)),
        rules={"action": {"type": "bonus_percent", "value": "5"}}))
    later = admin_api.post(f"{CAMPAIGNS}/{ended['id']}/preview",
                           {**lines, "at": _iso(now + dt.timedelta(days=2))}).json
    assert later["bonus"] == "5.00" and later["totals"]["discount_total"] == "0.00"


def test_preview_of_a_code_campaign_applies_as_if_its_code_were_given(admin_api, tenant, db):
    _, v1 = product(db, tenant.id, price="100.00")
    coupon = create(admin_api, CAMPAIGNS, campaign_body(type="coupon",
                                                        rules={"action": {"type": "free_shipping"}}))
    out = admin_api.post(f"{CAMPAIGNS}/{coupon['id']}/preview",
                         {"lines": [{"variation_id": v1, "quantity": 1}], "payment_method": "card",
                          "channel": "web", "codes": ["nothing-here"]}).json
    assert out["free_shipping"] is True and out["applied"][0]["free_shipping"] is True


def test_preview_refuses_what_it_cannot_price(admin_api, tenant, other_tenant, db):
    cid = create(admin_api, CAMPAIGNS, campaign_body())["id"]
    _, mine = product(db, tenant.id, price="100.00")
    _, theirs = product(db, other_tenant.id, price="100.00")
    unknown = admin_api.post(f"{CAMPAIGNS}/{cid}/preview", {"lines": [{"variation_id": theirs, "quantity": 1}]})
    assert unknown.status_code == 400 and unknown.json["error"]["details"] == {"variation_ids": [theirs]}
    stranger, _, _ = make_user(other_tenant)
    who = admin_api.post(f"{CAMPAIGNS}/{cid}/preview", {"lines": [{"variation_id": mine, "quantity": 1}],
                                                       "user_id": stranger})
    assert who.status_code == 404
    for body in ({"lines": []}, {"lines": [{"variation_id": mine, "quantity": 1}] * 51},
                 {"lines": [{"variation_id": mine, "quantity": 0}]}, {"lines": None},
                 {"lines": [{"variation_id": mine, "quantity": 1}], "payment_method": "barter"},
                 {"lines": [{"variation_id": mine, "quantity": 1}], "codes": ["\u202eXYZ"]}):
        assert admin_api.post(f"{CAMPAIGNS}/{cid}/preview", body).status_code == 400, body
    assert admin_api.post(f"{CAMPAIGNS}/{10**12}/preview",
                          {"lines": [{"variation_id": mine, "quantity": 1}]}).status_code == 404


def _order(client, tenant, db, product_id, variation_id, quantity):
    who = shopper(client, tenant)
    fill_cart(db, tenant.id, who.user_id, [(product_id, variation_id, quantity)])
    placed = checkout(who, payment_method="eft")
    assert placed.status_code == 201, placed.body
    return who, placed.json


def test_performance_against_real_orders(admin_api, client, tenant, db):
    p1, v1 = product(db, tenant.id, price="200.00", stock=50)
    cid = create(admin_api, CAMPAIGNS, campaign_body(
        status="active", starts_at=_iso(_now() - dt.timedelta(minutes=5)), budget="1000.00", usage_limit=10,
        rules={"action": {"type": "percent_off", "value": "10"}, "conditions": {"min_subtotal": "300"}}))["id"]
    _, with_it = _order(client, tenant, db, p1, v1, 2)
    _, without = _order(client, tenant, db, p1, v1, 1)
    cancelled_by, cancelled = _order(client, tenant, db, p1, v1, 3)
    for order in (with_it, without):
        pay(db, tenant.id, order["id"])
    assert with_it["discount_total"] == "40.00" and without["discount_total"] == "0.00"
    assert cancelled_by.api.post(f"/api/orders/{cancelled['id']}/cancel", {}).status_code == 200
    figures = admin_api.get(f"{CAMPAIGNS}/{cid}/performance")
    assert figures.status_code == 200, figures.body
    out = figures.json
    grand_with, grand_without = Decimal(with_it["grand_total"]), Decimal(without["grand_total"])
    assert out["uses"] == {"claimed": 1, "released": 1}
    assert (out["discount_cost"], out["shipping_discount"], out["bonus"]) == ("40.00", "0.00", "0.00")
    assert Decimal(out["revenue"]) == grand_with
    assert out["with_campaign"] == {"orders": 1, "revenue": f"{grand_with:.2f}", "average_order_value":
                                    f"{grand_with:.2f}"}
    assert out["without_campaign"] == {"orders": 1, "revenue": f"{grand_without:.2f}",
                                       "average_order_value": f"{grand_without:.2f}"}
    assert (out["budget_left"], out["usage_left"]) == ("960.00", 9)
    fresh = create(admin_api, CAMPAIGNS, campaign_body())["id"]
    empty = admin_api.get(f"{CAMPAIGNS}/{fresh}/performance").json
    assert empty["uses"] == {"claimed": 0, "released": 0} and empty["with_campaign"]["average_order_value"] is None


def test_permissions(client, tenant, admin_api, db):
    cid = create(admin_api, CAMPAIGNS, campaign_body())["id"]
    _, v1 = product(db, tenant.id, price="100.00")
    support = staff(client, tenant, "support")
    assert support.get(f"{CAMPAIGNS}/{cid}/performance").status_code == 403
    assert support.post(f"{CAMPAIGNS}/{cid}/preview", {"lines": [{"variation_id": v1, "quantity": 1}]},
                        headers=key()).status_code == 403
