"""Promotion cases (issue 15): the cart view with no promotions and with 200 live ones, and a
checkout with the 200 (some of which apply and are claimed).  Registered into bench.cases.CASES on
import, last (cases.py), so the cases before them meet no promotions.

The 200 are bench campaigns (name "bench-promo-NNN") in the shop tenant, written once and switched
between paused (no promotions) and active; the shop's set-up (orders_env._prepare_shop) pauses them,
so a run that died half-way does not leave them on.  What the 200 look like, as a shop would have
them: 110 aimed at products outside the cart, 40 at categories (some the cart's), 20 for segments
or levels, 15 with a basket minimum the cart does not reach, 5 needing a coupon nobody applied,
and 10 that apply to the cart (percent off its category, free shipping, a bonus, a limited
promotion with a per-customer limit, a stackable fixed amount); plus 5 flash deals on other products.
"""
from __future__ import annotations

import itertools
import json
from typing import Any

from .cases import Plan, case
from .environment import BenchEnv
from .events import api_event, fresh, response_json
from .orders_cases import cart_app, orders_app
from .orders_env import CART_BASE, CART_ROTATION, CART_SHOPPER, CHECKOUT_ROTATION, OrderEvents, ShopEnv, fill_cart, shop

PREFIX = "bench-promo-"
PROMOTIONS = 200
CHECKOUT_SHOPPER = 4  # a shopper of its own: the checkout case's lines and claims stay apart


def _session() -> Any:
    from chalicelib.platform.db import get_db

    return get_db().session()


def pause(tenant_id: int) -> None:
    """No bench promotion live (the shop's set-up, and the 'none' case)."""
    from chalicelib.campaigns.active import invalidate

    session = _session()
    session.execute("UPDATE campaigns SET status = 'paused' WHERE tenant_id = %s AND name LIKE %s",
                    (tenant_id, PREFIX + "%"))
    session.execute("UPDATE flash_deals SET is_active = 0 WHERE tenant_id = %s AND title LIKE %s",
                    (tenant_id, PREFIX + "%"))
    invalidate(tenant_id)


def _activate(s: ShopEnv) -> dict[str, int]:
    from chalicelib.campaigns.active import invalidate

    session = _session()
    have = int(session.scalar("SELECT COUNT(*) FROM campaigns WHERE tenant_id = %s AND name LIKE %s",
                              (s.tenant_id, PREFIX + "%")) or 0)
    if have < PROMOTIONS:
        session.execute("DELETE FROM flash_deals WHERE tenant_id = %s AND title LIKE %s", (s.tenant_id, PREFIX + "%"))
        _write(s)
    session.execute("UPDATE campaigns SET status = 'active' WHERE tenant_id = %s AND name LIKE %s",
                    (s.tenant_id, PREFIX + "%"))
    session.execute("""UPDATE flash_deals SET is_active = 1, starts_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR,
                              ends_at = UTC_TIMESTAMP(6) + INTERVAL 1 DAY WHERE tenant_id = %s AND title LIKE %s""",
                    (s.tenant_id, PREFIX + "%"))
    invalidate(s.tenant_id)
    from chalicelib.campaigns.active import live

    held = live(s.tenant_id)
    return {"live_promotions": len(held.by_id), "live_flash_deals": len(held.deals)}


def _write(s: ShopEnv) -> None:
    session = _session()
    cart = [p for p, _ in s.pool[CART_BASE]] + [p for p, _ in s.pool[CHECKOUT_ROTATION]]
    far = [p for p, _ in s.pool[150:260]]
    cats = [int(r["category_id"]) for r in session.all(
        "SELECT DISTINCT category_id FROM products WHERE tenant_id = %s ORDER BY category_id LIMIT 40", (s.tenant_id,))]
    cart_category = int(session.scalar("SELECT category_id FROM products WHERE tenant_id = %s AND id = %s",
                                       (s.tenant_id, cart[0])))
    rows: list[tuple[str, str, dict[str, Any], int, int | None, int | None]] = []

    def add(kind: str, conditions: dict[str, Any], action: dict[str, Any], *, level: str = "basket",
            stackable: int = 1, usage_limit: int | None = None, per_user: int | None = None) -> None:
        rules = {"level": level, "conditions": conditions, "action": action}
        rows.append((f"{PREFIX}{len(rows):03d}", kind, rules, stackable, usage_limit, per_user))

    for i, product_id in enumerate(far):  # 110 aimed at products outside the cart
        add("promotion", {"products": [product_id]}, {"type": "percent_off", "value": str(5 + i % 20)},
            level="catalogue" if i % 2 else "basket")
    for category_id in itertools.islice(itertools.cycle(cats), 40):
        add("promotion", {"categories": [category_id], "min_quantity": 3}, {"type": "fixed_off", "value": "15"})
    for i in range(20):
        add("promotion", {"segments": ["champions"]} if i % 2 else {"levels": ["gold"]},
            {"type": "percent_off", "value": "12"})
    for _ in range(15):
        add("promotion", {"min_subtotal": "250000.00"}, {"type": "fixed_off", "value": "500"})
    for _ in range(5):
        add("coupon", {}, {"type": "percent_off", "value": "30"}, stackable=0)
    # the ten that apply
    add("promotion", {"categories": [cart_category]}, {"type": "percent_off", "value": "10"}, level="catalogue")
    add("promotion", {}, {"type": "free_shipping"})
    add("promotion", {}, {"type": "bonus_percent", "value": "2"})
    add("promotion", {}, {"type": "fixed_off", "value": "5"}, usage_limit=10_000_000, per_user=1_000_000)
    for _ in range(6):
        add("promotion", {"min_subtotal": "10.00"}, {"type": "fixed_off", "value": "1"})
    for name, kind, rules, stackable, usage_limit, per_user in rows[:PROMOTIONS]:
        session.execute(
            """INSERT INTO campaigns (tenant_id, name, type, rules, priority, is_stackable, status, usage_limit,
                                      usage_limit_per_user) VALUES (%s, %s, %s, %s, 0, %s, 'paused', %s, %s)""",
            (s.tenant_id, name, kind, json.dumps(rules), stackable, usage_limit, per_user))
    for product_id, variation_id in s.pool[262:267]:
        price = session.scalar("SELECT price FROM product_variations WHERE tenant_id = %s AND id = %s",
                               (s.tenant_id, variation_id))
        session.execute("""INSERT INTO flash_deals (tenant_id, product_id, variation_id, title, deal_price, starts_at,
                                                    ends_at, is_active)
                           VALUES (%s, %s, %s, %s, %s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1 DAY, 0)""",
                        (s.tenant_id, product_id, variation_id, PREFIX + "deal", price * 8 / 10))


def _cart_plan(env: BenchEnv, live: bool) -> Plan:
    s = shop(env)
    who = s.shoppers[CART_SHOPPER]
    app, source = cart_app()
    info = _activate(s) if live else (pause(s.tenant_id) or {"live_promotions": 0})
    lines = s.pool[CART_BASE] + s.pool[CART_ROTATION][:1]
    _session().execute("DELETE FROM cart_items WHERE tenant_id = %s AND cart_id = %s", (s.tenant_id, who.cart_id))
    fill_cart(_session(), s.tenant_id, who.cart_id, [(p, v, 1) for p, v in lines])
    event = api_event("GET", "/api/cart", api_key=s.api_key, bearer=who.token)

    def after(response: dict[str, Any]) -> None:
        promotions = response_json(response).get("promotions") or {}
        if live and len(promotions.get("applied") or []) < 5:
            raise AssertionError(f"expected the bench promotions to apply: {str(promotions)[:300]}")

    return Plan(app, lambda: fresh(event), after=after, info={"app": source, "lines": len(lines), **info})


@case("cart_view_promotions_none", iterations=1000, quick=200, warmup=50)
def cart_view_no_promotions(env: BenchEnv) -> Plan:
    """GET /api/cart (signed in, 3 lines) with no promotion live: the baseline of the next case."""
    return _cart_plan(env, live=False)


@case("cart_view_promotions_200", iterations=1000, quick=200, warmup=50)
def cart_view_200_promotions(env: BenchEnv) -> Plan:
    """GET /api/cart (the same cart) with 200 live promotions and 5 flash deals (module docstring): the
    engine, the customer facts they ask for (segment, level, uses) and the summary."""
    return _cart_plan(env, live=True)


@case("checkout_promotions", iterations=500, quick=100, warmup=20)
def checkout_promotions(env: BenchEnv) -> Plan:
    """POST /api/orders with the 200 live promotions: totals with the ten that apply, the claims (a
    limited campaign's conditional UPDATE, per-customer counter, redemption rows) and the rest of
    the checkout case."""
    s = shop(env, shoppers=CHECKOUT_SHOPPER + 1)
    who = s.shoppers[CHECKOUT_SHOPPER]
    info = _activate(s)
    products = s.pool[CHECKOUT_ROTATION]
    baskets = itertools.cycle([[(*products[i], 1), (*products[i + 1], 2)] for i in range(0, len(products), 2)])
    session = _session()
    events = OrderEvents()
    events.drain()
    calls = itertools.count()

    def next_event() -> dict[str, Any]:
        if next(calls) % 10 == 0:
            events.drain()
        fill_cart(session, s.tenant_id, who.cart_id, next(baskets))
        from .orders_env import checkout_event

        return checkout_event(s, who.token, who.address_id)

    def after(response: dict[str, Any]) -> None:
        body = response_json(response)
        if body["discount_total"] in ("0.00", "0") or body["shipping_total"] not in ("0.00", "0"):
            raise AssertionError(f"expected promotions on the order: {str(body)[:300]}")

    return Plan(orders_app(), next_event, expect=201, after=after, info={"lines_per_order": 2, **info})


def promotions_target(cases: dict[str, Any]) -> dict[str, Any]:
    none, many = cases.get("cart_view_promotions_none"), cases.get("cart_view_promotions_200")
    if not none or not many or "p50_ms" not in none or "p50_ms" not in many:
        return {}
    delta = round(many["p50_ms"] - none["p50_ms"], 3)
    return {"cart_view_200_promotions_extra_p50_ms": delta, "cart_view_200_promotions_within_2ms": delta <= 2.0}
