"""Demo campaigns, levels and content for `make dev` (issue 15): what a shop owner would have set up,
so the cart shows promotions and the apps have something to show.  Written once per tenant (a tenant
that already has campaigns is left alone); straight SQL like the other seeds, then the tenant's live
promotion set is invalidated."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Database, UnitOfWork


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _campaign(uow: UnitOfWork, tenant_id: int, name: str, kind: str, rules: dict[str, Any] | None, *,
              stackable: bool = True, priority: int = 0, ends_in_days: int = 60, budget: str | None = None) -> int:
    now = _utcnow()
    uow.execute("""INSERT INTO campaigns (tenant_id, name, type, rules, priority, is_stackable, status, starts_at,
                                          ends_at, budget) VALUES (%s, %s, %s, %s, %s, %s, 'active', %s, %s, %s)""",
                (tenant_id, name, kind, json.dumps(rules) if rules is not None else None, priority, int(stackable),
                 now - dt.timedelta(hours=1), now + dt.timedelta(days=ends_in_days),
                 None if budget is None else Decimal(budget)))
    return int(uow.scalar("SELECT LAST_INSERT_ID()"))


def seed_campaigns(db: Database, tenant_id: int) -> dict[str, Any]:
    if db.session().scalar("SELECT COUNT(*) FROM campaigns WHERE tenant_id = %s", (tenant_id,)):
        return {"skipped": "the tenant has campaigns"}
    products = db.session().all(
        """SELECT p.id, MIN(v.id) AS variation_id, MIN(v.price) AS price, p.category_id FROM products p
             JOIN product_variations v ON v.tenant_id = p.tenant_id AND v.product_id = p.id
            WHERE p.tenant_id = %s AND p.status = 'active' AND v.is_active = 1 GROUP BY p.id ORDER BY p.id LIMIT 5""",
        (tenant_id,))
    now = _utcnow()

    def work(uow: UnitOfWork) -> dict[str, Any]:
        basket = _campaign(uow, tenant_id, "Sezon indirimi: 1.000 TL üzeri %10", "promotion",
                           {"level": "basket", "conditions": {"min_subtotal": "1000.00"},
                            "action": {"type": "percent_off", "value": "10", "max_discount": "500.00"}},
                           budget="50000.00")
        shipping = _campaign(uow, tenant_id, "500 TL üzeri ücretsiz kargo", "promotion",
                             {"level": "basket", "conditions": {"min_subtotal": "500.00"},
                              "action": {"type": "free_shipping"}})
        coupon = _campaign(uow, tenant_id, "Hoş geldin kuponu", "coupon",
                           {"level": "basket", "conditions": {"min_subtotal": "300.00", "first_order": True},
                            "action": {"type": "fixed_off", "value": "50"}}, stackable=False, priority=10)
        uow.execute("""INSERT INTO coupons (tenant_id, campaign_id, code, usage_limit, usage_limit_per_user)
                       VALUES (%s, %s, 'HUGLU50', 1000, 1)""", (tenant_id, coupon))
        _campaign(uow, tenant_id, "Günün çarkı", "wheel", None)
        if products:
            first = products[0]
            uow.execute("""INSERT INTO flash_deals (tenant_id, product_id, variation_id, title, deal_price, stock_limit,
                                                    per_user_limit, starts_at, ends_at)
                           VALUES (%s, %s, %s, 'Flaş fırsat', %s, 20, 2, %s, %s)""",
                        (tenant_id, first["id"], first["variation_id"],
                         (Decimal(first["price"]) * Decimal("0.8")).quantize(Decimal("0.01")),
                         now - dt.timedelta(minutes=5), now + dt.timedelta(hours=24)))
        for code, name, order, points, benefits in (
                ("bronze", "Bronz", 1, 0, {}),
                ("silver", "Gümüş", 2, 1000, {"extra_bonus_percent": "1"}),
                ("gold", "Altın", 3, 5000, {"free_shipping": True, "extra_bonus_percent": "2",
                                            "early_access_minutes": 60})):
            uow.execute("""INSERT INTO user_levels (tenant_id, code, name, sort_order, min_points, benefits)
                           VALUES (%s, %s, %s, %s, %s, %s)""", (tenant_id, code, name, order, points,
                                                                json.dumps(benefits)))
        uow.execute("""INSERT INTO stories (tenant_id, title, media_key, link_type, link_target, sort_order, starts_at,
                                            ends_at) VALUES (%s, 'Yeni sezon av ürünleri', 'demo/stories/1.jpg',
                                            'campaign', %s, 1, %s, %s)""",
                    (tenant_id, str(basket), now - dt.timedelta(hours=1), now + dt.timedelta(days=7)))
        uow.execute("""INSERT INTO sliders (tenant_id, title, subtitle, image_key, placement, link_type, link_target,
                                            sort_order) VALUES (%s, 'Kampa hazır mısın?', '500 TL üzeri kargo bedava',
                                            'demo/sliders/1.jpg', 'home', 'campaign', %s, 1)""",
                    (tenant_id, str(shipping)))
        uow.execute("""INSERT INTO popups (tenant_id, title, body, cta_text, cta_link, audience, frequency, priority)
                       VALUES (%s, 'İlk siparişine 50 TL', 'HUGLU50 koduyla 300 TL üzeri ilk siparişinde 50 TL indirim.',
                               'Alışverişe başla', 'huglu://campaigns', %s, 'once', 10)""",
                    (tenant_id, json.dumps({"new_customers": True})))
        uow.commit()
        return {"campaigns": 4, "coupon": "HUGLU50", "flash_deals": 1 if products else 0, "levels": 3,
                "stories": 1, "sliders": 1, "popups": 1}

    done = db.transaction(work)
    from chalicelib.campaigns.active import invalidate

    invalidate(tenant_id)
    return done
