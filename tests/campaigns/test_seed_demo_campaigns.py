"""`make dev`'s demo campaigns (infra/local/seed_campaigns.py) are ones the engine and the apps accept:
the cart shows them, the coupon applies, the flash deal, levels and content are listed."""
from __future__ import annotations

from infra.local.seed_campaigns import seed_campaigns
from tests.orders_kit import fill_cart, product, shopper


def test_demo_campaigns_work_end_to_end(client, tenant, db):
    p1, v1 = product(db, tenant.id, price="1200.00", stock=50)
    product(db, tenant.id, price="90.00", stock=50, name="Matara")
    done = seed_campaigns(db, tenant.id)
    assert done["campaigns"] == 4 and done["coupon"] == "HUGLU50"
    assert seed_campaigns(db, tenant.id) == {"skipped": "the tenant has campaigns"}
    who = shopper(client, tenant)
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1)])
    assert who.api.post("/api/campaigns/coupons", {"code": "huglu50"}).status_code in (200, 201)
    cart = who.api.get("/api/cart").json
    # the flash deal (20 % off the first product), then the exclusive coupon beats the stackable
    # ones: 10 % needs 1,000 TL after the deal, free shipping is worth nothing over the shop's 750 TL
    applied = {a["label"]: a["discount"] for a in cart["promotions"]["applied"]}
    assert applied == {"Flaş fırsat": "240.00", "Hoş geldin kuponu": "50.00"}
    assert cart["totals"]["discount_total"] == "290.00" and cart["totals"]["shipping_total"] == "0.00"
    assert len(who.api.get("/api/flash-deals").json["items"]) == 1
    assert len(who.api.get("/api/levels").json["items"]) == 3
    assert len(who.api.get("/api/stories").json["items"]) == 1
    assert len(who.api.get("/api/sliders?placement=home").json["items"]) == 1
