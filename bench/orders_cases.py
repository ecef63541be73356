"""Cart and order cases (issue 5): add to cart (signed in and guest), the cart view, checkout,
order detail and order history.  Registered into bench.cases.CASES on import (cases.py imports
this module at its end).

All of them run in the shop tenant (bench/orders_env.py), each with a shopper of its own.
Whatever a call needs in place is put there untimed in `next_event` (a cart refilled, surplus
lines dropped); the runner times only the Lambda call and counts only its SQL statements.
"""
from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

from .cases import LambdaApp, Plan, case
from .environment import BenchEnv
from .events import api_event, fresh, response_json
from .orders_env import (
    CART_BASE,
    CART_ROTATION,
    CART_SHOPPER,
    CHECKOUT_ROTATION,
    CHECKOUT_SHOPPER,
    READER_ROTATION,
    READER_SHOPPER,
    OrderEvents,
    ShopEnv,
    checkout_event,
    fill_cart,
    shop,
)

HISTORY_ORDERS = 25  # the history's first page holds 20 (the default limit), with a next cursor
DETAIL_ORDERS = 10

_cart_app: LambdaApp | None = None
_cart_app_source = ""


def cart_app() -> tuple[LambdaApp, str]:
    """The cart function's app: functions/cart.py once it exists, else built the way every
    functions/<area>.py builds its app (one per process: Chalice registers a blueprint once)."""
    global _cart_app, _cart_app_source
    if _cart_app is None:
        try:
            from functions.cart import app

            _cart_app, _cart_app_source = app, "functions.cart"
        except ModuleNotFoundError as exc:
            if exc.name != "functions.cart":
                raise
            from chalicelib.cart.routes import router
            from chalicelib.platform.app_factory import create_app

            _cart_app = create_app("huglu-cart", [router])
            _cart_app_source = 'create_app("huglu-cart", [chalicelib.cart.routes.router]) (no functions/cart.py yet)'
    return _cart_app, _cart_app_source


def _session() -> Any:
    from chalicelib.platform.db import get_db

    return get_db().session()


def _trim_cart(tenant_id: int, cart_id: int, keep: list[int]) -> None:
    """Drop every line but the base ones (untimed), so each measured add meets the same cart."""
    spared = f" AND variation_id NOT IN ({', '.join(['%s'] * len(keep))})" if keep else ""
    _session().execute(f"DELETE FROM cart_items WHERE tenant_id = %s AND cart_id = %s{spared}",
                       (tenant_id, cart_id, *keep))


def _add_plan(s: ShopEnv, cart_id: int, make_event: Callable[[int], dict[str, Any]], info: dict[str, Any]) -> Plan:
    app, source = cart_app()
    base = s.pool[CART_BASE]
    fill_cart(_session(), s.tenant_id, cart_id, [(p, v, 1) for p, v in base])
    keep = [v for _, v in base]
    rotation = itertools.cycle([v for _, v in s.pool[CART_ROTATION]])

    def next_event() -> dict[str, Any]:
        _trim_cart(s.tenant_id, cart_id, keep)
        return make_event(next(rotation))

    def after(response: dict[str, Any]) -> None:
        lines = len(response_json(response)["items"])
        if lines != len(base) + 1:
            raise AssertionError(f"cart has {lines} lines after the add, expected {len(base) + 1}")

    return Plan(app, next_event, after=after, info={
        "app": source, "lines_in_cart_before_add": len(base), "variations_rotated": len(s.pool[CART_ROTATION]),
        **info})


@case("cart_add", iterations=1000, quick=200, warmup=50)
def cart_add(env: BenchEnv) -> Plan:
    """POST /api/cart/items (signed in): a new line (quantity 1) into a cart of 2 lines; the
    answer is the whole priced cart.  20 variations in rotation; the line is dropped untimed."""
    s = shop(env)
    who = s.shoppers[CART_SHOPPER]

    def make_event(variation_id: int) -> dict[str, Any]:
        return api_event("POST", "/api/cart/items", api_key=s.api_key, bearer=who.token,
                         body={"variation_id": variation_id, "quantity": 1})

    return _add_plan(s, who.cart_id, make_event, {"owner": "signed-in customer (Bearer)"})


@case("cart_add_guest", iterations=1000, quick=200, warmup=50)
def cart_add_guest(env: BenchEnv) -> Plan:
    """POST /api/cart/items as a guest (X-Device-Id): the add_cart case for a guest cart."""
    s = shop(env)
    app, _ = cart_app()
    device = f"bench-device-{uuid.uuid4().hex[:16]}"  # a new guest cart per run

    def make_event(variation_id: int) -> dict[str, Any]:
        return api_event("POST", "/api/cart/items", api_key=s.api_key, headers={"X-Device-Id": device},
                         body={"variation_id": variation_id, "quantity": 1})

    first = app(make_event(s.pool[CART_BASE][0][1]), None)  # untimed: creates the guest cart
    if first["statusCode"] != 200:
        raise RuntimeError(f"guest cart: {first['statusCode']} {first.get('body')}")
    cart_id = int(response_json(first)["id"])
    return _add_plan(s, cart_id, make_event, {"owner": "guest (X-Device-Id)"})


@case("cart_view", iterations=1000, quick=200, warmup=50)
def cart_view(env: BenchEnv) -> Plan:
    """GET /api/cart (signed in): 3 lines with live prices and stock, totals, default shipping quote."""
    s = shop(env)
    who = s.shoppers[CART_SHOPPER]
    app, source = cart_app()
    lines = s.pool[CART_BASE] + s.pool[CART_ROTATION][:1]
    _trim_cart(s.tenant_id, who.cart_id, [])
    fill_cart(_session(), s.tenant_id, who.cart_id, [(p, v, 1) for p, v in lines])
    event = api_event("GET", "/api/cart", api_key=s.api_key, bearer=who.token)
    return Plan(app, lambda: fresh(event), info={"app": source, "lines": len(lines)})


# -- checkout ---------------------------------------------------------------------------------------
def orders_app() -> LambdaApp:
    from functions.orders import app

    return app  # type: ignore[no-any-return]


@case("checkout", iterations=1000, quick=200, warmup=30)
def checkout(env: BenchEnv) -> Plan:
    """POST /api/orders: a 2-line cart (quantities 1 and 2, refilled untimed before each call)
    becomes an order: the cart's lines read and taken out, totals, address snapshot, order +
    items + timeline + outbox row, stock reserved, the idempotency key with its answer, commit;
    then the OrderPlaced event to SQS (moto) with its Redis sent mark and the product cache
    drops.  The 201 is rendered from what the transaction wrote."""
    from .campaigns_cases import pause

    s = shop(env)
    # No promotion live, whatever ran before: the promotion cases leave their 200 live, and the
    # checkout_cost case (these calls, later in the run) measured a promotion checkout (19
    # statements, not 11) in a full `make bench` until this pause.
    pause(s.tenant_id)
    who = s.shoppers[CHECKOUT_SHOPPER]
    products = s.pool[CHECKOUT_ROTATION]
    baskets = itertools.cycle([[(*products[i], 1), (*products[i + 1], 2)] for i in range(0, len(products), 2)])
    session = _session()
    events = OrderEvents()
    events.drain()
    calls = itertools.count()

    def next_event() -> dict[str, Any]:
        if next(calls) % 10 == 0:
            events.drain()  # untimed: keeps moto's queue as short as the deployed consumer would
        fill_cart(session, s.tenant_id, who.cart_id, next(baskets))
        return checkout_event(s, who.token, who.address_id)

    def after(response: dict[str, Any]) -> None:
        body = response_json(response)
        if len(body["items"]) != 2 or body["status"] != "pending_payment":
            raise AssertionError(f"unexpected order: {str(body)[:300]}")

    return Plan(orders_app(), next_event, expect=201, after=after, info={
        "lines_per_order": 2, "units_per_order": 3, "distinct_products_rotated": len(products),
        "idempotency_key": "new per call", "stock_per_variation": s.setup.get("stock_per_variation"),
        "cart_refill": "untimed, one INSERT into cart_items (like tests/orders_kit.fill_cart)",
        "order_events_queue": "drained untimed every 10 calls (moto's send slows with queue depth)",
        "target_p50_ms": 30})


def _reader_orders(s: ShopEnv, count: int) -> list[int]:
    """The reader's orders (newest first), placed through the orders function until there are `count`."""
    who = s.shoppers[READER_SHOPPER]
    session = _session()
    ids = [int(r["id"]) for r in session.all("SELECT id FROM orders WHERE tenant_id = %s AND user_id = %s "
                                             "ORDER BY id DESC", (s.tenant_id, who.user_id))]
    products = s.pool[READER_ROTATION]
    app = orders_app()
    while len(ids) < count:
        first, second = products[len(ids) % len(products)], products[(len(ids) + 1) % len(products)]
        fill_cart(session, s.tenant_id, who.cart_id, [(*first, 1), (*second, 1)])
        response = app(checkout_event(s, who.token, who.address_id), None)
        if response["statusCode"] != 201:
            raise RuntimeError(f"reader checkout: {response['statusCode']} {response.get('body')}")
        ids.insert(0, int(response_json(response)["id"]))
    return ids


@case("order_detail", iterations=1000, quick=200, warmup=50)
def order_detail(env: BenchEnv) -> Plan:
    """GET /api/orders/{id}: an order of 2 lines with its payments, shipments and timeline (10 orders in rotation)."""
    s = shop(env)
    who = s.shoppers[READER_SHOPPER]
    ids = _reader_orders(s, HISTORY_ORDERS)[:DETAIL_ORDERS]
    events = [api_event("GET", "/api/orders/{order_id}", path_params={"order_id": i}, api_key=s.api_key,
                        bearer=who.token) for i in ids]
    cycle = itertools.cycle(events)
    return Plan(orders_app(), lambda: fresh(next(cycle)), info={"orders_rotated": len(ids), "lines_per_order": 2})


@case("order_history", iterations=1000, quick=200, warmup=50)
def order_history(env: BenchEnv) -> Plan:
    """GET /api/orders: the first page (20 of the customer's 25 orders, newest first, with a next cursor)."""
    s = shop(env)
    who = s.shoppers[READER_SHOPPER]
    total = len(_reader_orders(s, HISTORY_ORDERS))
    event = api_event("GET", "/api/orders", api_key=s.api_key, bearer=who.token)

    def after(response: dict[str, Any]) -> None:
        body = response_json(response)
        if len(body["items"]) != 20 or body["next_cursor"] is None:
            raise AssertionError(f"unexpected page: {len(body['items'])} items, cursor {body['next_cursor']}")

    return Plan(orders_app(), lambda: fresh(event), after=after, info={"orders_of_customer": total, "page_size": 20})


# -- numbers derived from the cases -----------------------------------------------------------------
def checkout_target(cases: dict[str, Any]) -> dict[str, Any]:
    result = cases.get("checkout")
    if not result or "p50_ms" not in result:
        return {}
    return {"checkout_p50_under_30ms": result["p50_ms"] < 30}
