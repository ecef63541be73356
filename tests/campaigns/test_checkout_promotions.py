"""Promotions through the cart and the checkout (issue 15): the cart shows what the order is made
with; claims are atomic under concurrent checkouts (a coupon with N uses, a flash deal with N units,
a budget), released on cancel without losing a concurrent claim; gifts, free shipping, bonus credit."""
from __future__ import annotations

from decimal import Decimal

from tests.campaigns.kit import apply_coupon, campaign, coupon, flash_deal, redemptions, row
from tests.helpers import simultaneously
from tests.orders_kit import checkout, fill_cart, product, shopper


def _cart(who):
    response = who.api.get("/api/cart")
    assert response.status_code == 200, response.body
    return response.json


def test_cart_shows_the_promotion_and_the_order_is_made_with_it(client, tenant, db):
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="100.00", stock=5)
    p2, v2 = product(db, tenant.id, price="33.33", stock=5, name="Matara")
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1), (p2, v2, 3)])
    cid = campaign(db, tenant.id, {"type": "percent_off", "value": "10"}, conditions={"min_subtotal": "150.00"})
    cart = _cart(who)
    assert cart["totals"]["subtotal"] == "199.99"
    assert cart["totals"]["discount_total"] == "20.00"
    assert cart["totals"]["discounts"] == [{"code": f"campaign:{cid}", "label": "Kış İndirimi", "amount": "20.00"}]
    assert cart["promotions"]["applied"][0]["discount"] == "20.00"
    lines = {item["variation_id"]: item for item in cart["items"]}
    assert Decimal(lines[v1]["discount_amount"]) + Decimal(lines[v2]["discount_amount"]) == Decimal("20.00")
    placed = checkout(who, expected_total=cart["totals"]["grand_total"])
    assert placed.status_code == 201, placed.body
    order = placed.json
    assert order["discount_total"] == "20.00" and order["grand_total"] == cart["totals"]["grand_total"]
    claims = redemptions(db, tenant.id, order_id=order["id"])
    assert [(c["claim_key"], c["discount_amount"], c["status"]) for c in claims] == \
        [(f"campaign:{cid}", Decimal("20.00"), "claimed")]


def test_min_subtotal_counts_the_sale_price_not_the_list_price(client, tenant, db):
    """saleor #4082: a 500 minimum met only before the flash deal's price cut does not apply."""
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="600.00", stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    flash_deal(db, tenant.id, p1, "450.00")
    campaign(db, tenant.id, {"type": "fixed_off", "value": "50"}, conditions={"min_subtotal": "500.00"})
    cart = _cart(who)
    assert cart["totals"]["discount_total"] == "150.00"  # only the deal
    assert [r["reason"] for r in cart["promotions"]["rejected"]] == ["min_subtotal"]


def test_a_coupon_with_n_uses_left_ends_with_exactly_n_orders(client, tenant, db):
    cid = campaign(db, tenant.id, {"type": "fixed_off", "value": "25"}, type="coupon", stackable=False)
    coupon_id = coupon(db, tenant.id, cid, "KIS25", usage_limit=3)
    p1, v1 = product(db, tenant.id, price="200.00", stock=50)
    shoppers = [shopper(client, tenant) for _ in range(8)]
    seen = []
    for who in shoppers:
        fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
        apply_coupon(db, tenant.id, who.user_id, coupon_id)
        cart = _cart(who)
        assert cart["totals"]["discount_total"] == "25.00"
        seen.append(cart["totals"]["grand_total"])
    # each pays what their cart showed (expected_total): a checkout that comes after the last use
    # is refused (promotion_unavailable while it raced, price_changed once the coupon is gone),
    # never charged the full price silently
    results = simultaneously(*[(lambda w=w, t=t: checkout(w, expected_total=t)) for w, t in zip(shoppers, seen, strict=True)])
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 3, [r.body for r in results]
    refused = [r for r in results if r.status_code != 201]
    assert {r.json["error"]["code"] for r in refused} <= {"promotion_unavailable", "price_changed"}
    assert row(db, "coupons", tenant.id, coupon_id)["used_count"] == 3
    assert len(redemptions(db, tenant.id, coupon_id=coupon_id, status="claimed")) == 3
    # the refused ones see the cart without the coupon now and can buy at the full price
    later = refused[0]
    who = shoppers[[r is later for r in results].index(True)]
    assert _cart(who)["totals"]["discount_total"] == "0.00"
    assert checkout(who).status_code == 201


def test_a_flash_deal_with_n_units_is_never_oversold(client, tenant, db):
    p1, v1 = product(db, tenant.id, price="1000.00", stock=100)
    deal = flash_deal(db, tenant.id, p1, "499.00", stock_limit=4)
    shoppers = [shopper(client, tenant) for _ in range(10)]
    seen = []
    for who in shoppers:
        fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
        seen.append(_cart(who)["totals"]["grand_total"])
    results = simultaneously(*[(lambda w=w, t=t: checkout(w, expected_total=t)) for w, t in zip(shoppers, seen, strict=True)])
    won = [r for r in results if r.status_code == 201]
    assert len(won) == 4, [r.body for r in results]
    assert all(Decimal(r.json["discount_total"]) == Decimal("501.00") for r in won)
    assert {r.json["error"]["code"] for r in results if r.status_code != 201} <= {"flash_deal_sold_out",
                                                                                  "price_changed"}
    assert row(db, "flash_deals", tenant.id, deal)["sold_count"] == 4


def test_a_budget_is_never_overspent_under_concurrency(client, tenant, db):
    cid = campaign(db, tenant.id, {"type": "fixed_off", "value": "40"}, budget="100.00")
    p1, v1 = product(db, tenant.id, price="300.00", stock=50)
    shoppers = [shopper(client, tenant) for _ in range(6)]
    for who in shoppers:
        fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    results = simultaneously(*[(lambda w=w: checkout(w)) for w in shoppers])
    assert sum(r.status_code == 201 for r in results) >= 2
    spent = row(db, "campaigns", tenant.id, cid)["spent_amount"]
    assert spent <= Decimal("100.00")
    assert spent == sum((c["discount_amount"] for c in redemptions(db, tenant.id, campaign_id=cid)), Decimal(0))


def test_cancel_gives_the_use_back_and_a_concurrent_claim_keeps_its_own(client, tenant, db):
    """medusa #16595: a revert must not write back a count read before another checkout's claim."""
    cid = campaign(db, tenant.id, {"type": "percent_off", "value": "5"}, usage_limit=10)
    p1, v1 = product(db, tenant.id, price="100.00", stock=50)
    first = shopper(client, tenant)
    fill_cart(db, tenant.id, first.user_id, [(p1, v1, 1)])
    order = checkout(first).json
    others = [shopper(client, tenant) for _ in range(4)]
    for who in others:
        fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    cancel = lambda: first.api.post(f"/api/orders/{order['id']}/cancel", {})  # noqa: E731
    results = simultaneously(cancel, *[(lambda w=w: checkout(w)) for w in others])
    assert results[0].status_code == 200, results[0].body
    assert all(r.status_code == 201 for r in results[1:])
    assert row(db, "campaigns", tenant.id, cid)["used_count"] == 4
    assert [c["status"] for c in redemptions(db, tenant.id, order_id=order["id"])] == ["released"]
    # a second cancel path (already cancelled) releases nothing more
    from chalicelib.campaigns import api as campaigns

    assert db.transaction(lambda uow: campaigns.release(uow, tenant.id, order["id"])) == 0
    assert row(db, "campaigns", tenant.id, cid)["used_count"] == 4


def test_per_customer_limit(client, tenant, db):
    campaign(db, tenant.id, {"type": "fixed_off", "value": "10"}, usage_limit_per_user=1)
    p1, v1 = product(db, tenant.id, price="100.00", stock=50)
    who = shopper(client, tenant)
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    assert checkout(who).json["discount_total"] == "10.00"
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    cart = _cart(who)
    assert cart["totals"]["discount_total"] == "0.00"
    assert [r["reason"] for r in cart["promotions"]["rejected"]] == ["per_customer_limit"]


def test_gift_item_is_an_order_line_of_its_own_with_stock_reserved(client, tenant, db):
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="250.00", stock=5)
    p2, v2 = product(db, tenant.id, price="40.00", stock=2, name="Kamp Kupası")
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    campaign(db, tenant.id, {"type": "gift_item", "gift_variation_id": v2, "gift_quantity": 1},
             conditions={"min_subtotal": "200.00"})
    cart = _cart(who)
    assert cart["promotions"]["gifts"] == [{"variation_id": v2, "product_id": p2, "quantity": 1, "value": "40.00"}]
    assert cart["totals"]["subtotal"] == "290.00" and cart["totals"]["grand_total"].startswith("250.00") is False \
        or Decimal(cart["totals"]["discount_total"]) == Decimal("40.00")
    order = checkout(who).json
    items = {item["variation_id"]: item for item in order["items"]}
    assert items[v2]["line_total"] == "0.00" and items[v2]["discount_amount"] == "40.00"
    reserved = db.session().scalar("SELECT reserved FROM product_variations WHERE tenant_id = %s AND id = %s",
                                   (tenant.id, v2))
    assert reserved == 1


def test_free_shipping_waives_the_fee_and_is_recorded(client, tenant, db):
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="100.00", stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    before = _cart(who)["totals"]
    assert Decimal(before["shipping_total"]) > 0
    campaign(db, tenant.id, {"type": "free_shipping"})
    after = _cart(who)["totals"]
    assert after["shipping_total"] == "0.00" and after["shipping_discount"] == before["shipping_total"]
    order = checkout(who).json
    assert order["shipping_total"] == "0.00"
    assert redemptions(db, tenant.id, order_id=order["id"])[0]["shipping_discount"] == Decimal(before["shipping_total"])


def test_bonus_credit_is_granted_once_on_delivery(client, tenant, db):
    from chalicelib.campaigns.rewards_handlers import handle_event
    from chalicelib.wallet import api as wallet

    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="200.00", stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    campaign(db, tenant.id, {"type": "bonus_percent", "value": "5"})
    order = checkout(who).json
    assert _bonus(db, tenant.id, order["id"]) == (Decimal("10.00"), "pending")
    message = {"type": "OrderBonusStatus", "tenant_id": tenant.id,
               "payload": {"order_id": order["id"], "user_id": who.user_id, "to": "delivered"}}
    handle_event(message)
    handle_event(message)  # redelivered
    assert _bonus(db, tenant.id, order["id"]) == (Decimal("10.00"), "granted")
    assert wallet.balance(db.session(), tenant.id, who.user_id).bonus.balance == Decimal("10.00")


def _bonus(db, tenant_id, order_id):
    claimed = redemptions(db, tenant_id, order_id=order_id)[0]
    return claimed["bonus_amount"], claimed["bonus_status"]


def test_another_tenants_promotions_never_apply(client, tenant, other_tenant, db):
    campaign(db, other_tenant.id, {"type": "percent_off", "value": "50"})
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="100.00", stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    assert _cart(who)["totals"]["discount_total"] == "0.00"


def test_the_shop_sets_its_floor_through_the_settings_api(client, tenant, db, admin_api):
    """settings.campaigns (PUT /api/admin/settings): a shop allowing at most 50 % off gets at most 50 %
    off whatever its promotions stack to; bad values are 400 and change nothing."""
    bad = admin_api.put("/api/admin/settings", {"campaigns": {"max_discount_percent": "150"}})
    assert bad.status_code == 400, bad.body
    assert admin_api.put("/api/admin/settings", {"campaigns": {"min_payable": "0.00"}}).status_code == 400
    done = admin_api.put("/api/admin/settings", {"campaigns": {"max_discount_percent": "50", "wheel_period": "week"},
                                                 "loyalty": {"points_per_try": "2"},
                                                 "referrals": {"referrer_bonus": "10.00"}})
    assert done.status_code == 200, done.body
    shown = admin_api.get("/api/admin/settings").json
    def set_keys(section):
        return {k: v for k, v in shown[section].items() if v is not None}

    assert set_keys("campaigns") == {"max_discount_percent": "50.00", "wheel_period": "week"}
    assert set_keys("loyalty") == {"points_per_try": "2.00"} and set_keys("referrals") == {"referrer_bonus": "10.00"}
    campaign(db, tenant.id, {"type": "percent_off", "value": "60"})
    campaign(db, tenant.id, {"type": "percent_off", "value": "40"})
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="200.00", stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    cart = _cart(who)
    assert cart["totals"]["discount_total"] == "100.00" and cart["promotions"]["capped"] is True
