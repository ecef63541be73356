"""The shop the cart and checkout cases buy in (issue 5): a tenant of its own, products with stock
that cannot run out during a run, shoppers with an address and a fresh access token, and the
untimed helpers around the timed calls (refilling a cart, clearing what the run bought).

Why a tenant of its own ("bench-shop", 400 products): checkouts drop product caches and move
stock; on the catalogue tenant they would change what the catalogue cases measure.  Its settings
switch rate limiting off, including POST /api/orders' own route limit (30 a minute per user),
as the catalogue tenant does for every route: the limiter's cost is measured once, by
rate_limited_request.

Everything here is bench-only setup.  It goes through the application where that is the thing
a shopper does (addresses through POST /api/addresses; tokens through accounts.complete_login,
what a password login runs after the bcrypt check), and straight into the tables where the
tests do the same (tests/orders_kit.fill_cart) or where it only makes room for the run (stock).
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from typing import Any

from .environment import BenchEnv, _ensure_tenant, log

SHOP_SLUG = "bench-shop"
SHOP_PRODUCTS = 400
BENCH_STOCK = 1_000_000  # per variation the cases buy: no run gets anywhere near it
SHOPPER_EMAIL = "bench.shopper.{n}@example.com"
SHOPPER_LIKE = "bench.shopper.%%"
SHOPPER_PASSWORD = "Bench-Shopper-2024!"
SHOP_SETTINGS: dict[str, Any] = {
    "rate_limit": {
        "default": {"limit": 0, "window": 900},
        "routes": {"POST /api/orders": {"limit": 0, "window": 60},
                   "POST /api/payment/wallet": {"limit": 0, "window": 900}},  # bench/wallet_cases.py
    }
}
ADDRESS = {
    "type": "delivery", "title": "Ev", "first_name": "Ayşe", "last_name": "Yılmaz", "phone": "0532 123 45 67",
    "il": "istanbul", "ilce": "Kadıköy", "mahalle": "Caferağa", "address_line": "Moda Cad. No 5 D 3",
    "posta_kodu": "34710",
    # A pin from the map: the address is stored as it is, without a geocoder round trip.
    "lat": "40.985100", "lng": "29.025600",
}
# Cases keep their shoppers apart (a cart belongs to its user): 0 cart cases, 1 checkout,
# 2 detail / history, 3.. the throughput workers.
CART_SHOPPER, CHECKOUT_SHOPPER, READER_SHOPPER, FIRST_WORKER_SHOPPER = 0, 1, 2, 3
# Disjoint slices of the shop's stocked products (ShopEnv.pool), so no case's rows are another's.
CART_BASE = slice(0, 2)  # the two lines every measured add-to-cart finds in the cart
CART_ROTATION = slice(2, 22)  # what the adds add, one after the other
CHECKOUT_ROTATION = slice(22, 62)  # checkout baskets: consecutive pairs
READER_ROTATION = slice(62, 72)  # the orders the detail / history cases read
THROUGHPUT_POOL = slice(100, None)  # bench/throughput.py: per-process slices of this


@dataclass(frozen=True)
class Shopper:
    user_id: int
    token: str
    address_id: int
    cart_id: int


@dataclass
class ShopEnv:
    """Picklable: the throughput workers (spawned processes) receive it whole."""

    tenant_id: int
    api_key: str
    hot: tuple[int, int]  # (product_id, variation_id) everyone buys in the hot-product run
    pool: list[tuple[int, int]]  # other stocked (product_id, variation_id), one per product
    shoppers: list[Shopper] = field(default_factory=list)
    setup: dict[str, Any] = field(default_factory=dict)


_cached: ShopEnv | None = None


def shop(env: BenchEnv, shoppers: int = FIRST_WORKER_SHOPPER) -> ShopEnv:
    """The shop with at least `shoppers` signed-in shoppers (made once per run, grown on demand)."""
    global _cached
    if _cached is None:
        _cached = _prepare_shop()
    if len(_cached.shoppers) < shoppers:
        _cached.shoppers.extend(_shopper(_cached.tenant_id, _cached.api_key, n)
                                for n in range(len(_cached.shoppers), shoppers))
    return _cached


def _prepare_shop() -> ShopEnv:
    from chalicelib.platform.db import get_db
    from infra.local.aws_resources import create_local_resources

    # The order events leave through the outbox to SQS after each commit, as deployed: the
    # queues must exist on the emulator (under the bench's own prefix, see configure_process_env).
    create_local_resources()
    report: dict[str, Any] = {}
    tenant_id, api_key = _ensure_tenant(os.environ["DATABASE_URL"], SHOP_SLUG, "Huğlu Bench Shop", SHOP_SETTINGS,
                                        SHOP_PRODUCTS, report)
    session = get_db().session()
    count = int(session.scalar("SELECT COUNT(*) FROM products WHERE tenant_id = %s", (tenant_id,)) or 0)
    if count < SHOP_PRODUCTS:
        raise RuntimeError(f"tenant {SHOP_SLUG} has {count} products, expected {SHOP_PRODUCTS}: "
                           "drop the bench database (DROP DATABASE huglu_bench) and run again")
    from .orders_seed import ensure_background

    report[SHOP_SLUG] = {**report.get(SHOP_SLUG, {}), **ensure_background(tenant_id)}
    released = clean_orders(tenant_id)  # a run that died half-way leaves its orders behind
    from .campaigns_cases import pause

    pause(tenant_id)  # and the promotion cases' 200 promotions live: the cases before them meet none
    # The first active variation of each active product, in product order: stable across runs.
    rows = session.all(
        """SELECT p.id AS product_id, MIN(v.id) AS variation_id
             FROM products p JOIN product_variations v ON v.tenant_id = p.tenant_id AND v.product_id = p.id
            WHERE p.tenant_id = %s AND p.status = 'active' AND v.is_active = 1
            GROUP BY p.id ORDER BY p.id""", (tenant_id,))
    stocked = [(int(r["product_id"]), int(r["variation_id"])) for r in rows]
    _stock_up(tenant_id, stocked)
    log(f"shop tenant {tenant_id}: {len(stocked)} products stocked at {BENCH_STOCK:,}")
    return ShopEnv(tenant_id=tenant_id, api_key=api_key, hot=stocked[0], pool=stocked[1:],
                   setup={**report.get(SHOP_SLUG, {}), "stocked_products": len(stocked),
                          "stock_per_variation": BENCH_STOCK, "orders_cleaned_at_start": released})


def _stock_up(tenant_id: int, stocked: list[tuple[int, int]]) -> None:
    """Stock that no run exhausts; products.total_stock follows (it is the sum of its variations)."""
    from chalicelib.platform.db import get_db

    session = get_db().session()
    marks = ", ".join(["%s"] * len(stocked))
    session.execute(f"UPDATE product_variations SET stock = %s, reserved = 0 WHERE tenant_id = %s AND id IN ({marks})",
                    (BENCH_STOCK, tenant_id, *[v for _, v in stocked]))
    session.execute(
        f"""UPDATE products p SET total_stock = (SELECT SUM(v.stock) FROM product_variations v
                                                 WHERE v.tenant_id = p.tenant_id AND v.product_id = p.id)
             WHERE p.tenant_id = %s AND p.id IN ({marks})""", (tenant_id, *[p for p, _ in stocked]))


def _shopper(tenant_id: int, api_key: str, n: int) -> Shopper:
    """Shopper n: a user (created once, at the production bcrypt cost), one delivery address
    (created once, through the addresses function), a cart row, and a new access token."""
    from chalicelib.accounts import repository as users
    from chalicelib.accounts.service import Client, complete_login, create_user
    from chalicelib.platform.db import get_db

    db = get_db()
    session = db.session()
    email = SHOPPER_EMAIL.format(n=n)
    user = users.user_by_email(session, tenant_id, email)
    if user is None:
        create_user(db, tenant_id, email=email, password=SHOPPER_PASSWORD, first_name="Alıcı",
                    last_name=f"Bench {n}", language="tr")
        user = users.user_by_email(session, tenant_id, email)
    assert user is not None
    user_id = int(user["id"])
    # What a password login does after checking the password, without paying bcrypt for each shopper.
    token = str(complete_login(db, tenant_id, user, Client(device_name="bench"), amr=("pwd",))["access_token"])
    address_id = session.scalar("SELECT MIN(id) FROM addresses WHERE tenant_id = %s AND user_id = %s",
                                (tenant_id, user_id))
    if address_id is None:
        address_id = _create_address(api_key, token)
    session.execute("INSERT IGNORE INTO carts (tenant_id, user_id) VALUES (%s, %s)", (tenant_id, user_id))
    cart_id = session.scalar("SELECT id FROM carts WHERE tenant_id = %s AND user_id = %s", (tenant_id, user_id))
    session.execute("DELETE FROM cart_items WHERE tenant_id = %s AND cart_id = %s", (tenant_id, cart_id))
    return Shopper(user_id, token, int(address_id), int(cart_id))


def _create_address(api_key: str, token: str) -> int:
    from functions.addresses import app

    from .events import api_event, response_json

    response = app(api_event("POST", "/api/addresses", api_key=api_key, bearer=token, body=ADDRESS), None)
    if response["statusCode"] != 201:
        raise RuntimeError(f"bench address: {response['statusCode']} {response.get('body')}")
    return int(response_json(response)["id"])


# -- untimed helpers around the timed calls ------------------------------------------------------
def fill_cart(session: Any, tenant_id: int, cart_id: int, lines: list[tuple[int, int, int]]) -> None:
    """Put (product_id, variation_id, quantity) lines in a cart straight in the table, one
    statement (tests/orders_kit.fill_cart without the cart lookup: the bench knows the cart)."""
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(lines))
    params: list[Any] = []
    for product_id, variation_id, quantity in lines:
        params += [tenant_id, cart_id, product_id, variation_id, quantity]
    import pymysql

    from chalicelib.platform.db import RETRYABLE

    for attempt in range(5):
        try:
            session.execute(f"""INSERT INTO cart_items (tenant_id, cart_id, product_id, variation_id, quantity)
                                VALUES {values} ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)""", params)
            return
        except pymysql.err.OperationalError as exc:
            # The hot-product run: this INSERT's foreign-key checks (shared locks on the one product and
            # variation) can meet the other workers' checkouts in a deadlock; the cart service retries
            # such a victim (Database.transaction), and so does the harness, instead of failing the run.
            if not exc.args or exc.args[0] not in RETRYABLE or attempt == 4:
                raise


def checkout_event(s: ShopEnv, token: str, address_id: int) -> dict[str, Any]:
    """POST /api/orders with a new Idempotency-Key (a new order, never a replay)."""
    from .events import api_event

    return api_event("POST", "/api/orders", api_key=s.api_key, bearer=token,
                     headers={"Idempotency-Key": uuid.uuid4().hex}, body={"shipping_address_id": address_id})


def clean_orders(tenant_id: int, *, purge_queue: bool = False) -> dict[str, int]:
    """Take back everything the bench's shoppers bought: their orders (items and timeline go with
    them, ON DELETE CASCADE), the stock movements and outbox rows, and every reservation.
    Bench-only and untimed: the shop's stock is held by bench orders alone, so setting reserved
    to 0 is exactly what expiring them all would do, in three statements instead of thousands
    of transactions.  Keeps the bench database the same size from run to run."""
    from chalicelib.platform.db import get_db

    session = get_db().session()
    mine = f"tenant_id = %s AND user_id IN (SELECT id FROM users WHERE tenant_id = %s AND email LIKE '{SHOPPER_LIKE}')"
    orders = int(session.scalar(f"SELECT COUNT(*) FROM orders WHERE {mine}", (tenant_id, tenant_id)) or 0)
    pending = int(session.scalar(f"SELECT COUNT(*) FROM orders WHERE {mine} AND status = 'pending_payment'",
                                 (tenant_id, tenant_id)) or 0)
    reserved = int(session.scalar("SELECT COALESCE(SUM(reserved), 0) FROM product_variations WHERE tenant_id = %s",
                                  (tenant_id,)) or 0)
    # The background orders (bench/orders_seed.py) have no stock movements, outbox rows or holds.
    session.execute("DELETE FROM stock_movements WHERE tenant_id = %s AND reference_type = 'order'", (tenant_id,))
    session.execute("DELETE FROM outbox_events WHERE tenant_id = %s", (tenant_id,))
    # What paying them left (bench/payments_cases.py, wallet_cases.py): it holds the orders (no cascade).
    for table in ("payment_attempt_items", "payment_attempts"):
        session.execute(f"DELETE FROM {table} WHERE tenant_id = %s", (tenant_id,))
    session.execute(f"""DELETE r FROM payment_refunds r JOIN payments p ON p.tenant_id = r.tenant_id AND p.id = r.payment_id
                         WHERE p.tenant_id = %s AND p.order_id IN (SELECT id FROM orders WHERE {mine})""",
                    (tenant_id, tenant_id, tenant_id))
    session.execute(f"DELETE FROM payments WHERE tenant_id = %s AND order_id IN (SELECT id FROM orders WHERE {mine})",
                    (tenant_id, tenant_id, tenant_id))
    session.execute(f"DELETE FROM orders WHERE {mine}", (tenant_id, tenant_id))
    session.execute("UPDATE product_variations SET reserved = 0 WHERE tenant_id = %s AND reserved <> 0", (tenant_id,))
    if purge_queue:
        _purge_order_queue()
    return {"orders_deleted": orders, "pending_payment": pending, "units_unreserved": reserved}


class OrderEvents:
    """Consumes the order-events queue the way the deployed consumer (functions/order_events.py)
    keeps it short: receive, delete, nothing else (the bench measures the checkout, not the
    e-mails).  Needed because moto's SQS send walks every message in the queue (each send
    reads Queue.attributes, which counts the visible messages): left to pile up, a publish
    costs ~3 ms more per 100 waiting messages and the checkout's latency would grow with the
    run's length.  AWS's cost does not depend on the depth.

    `drain()` untimed between calls; `start()` / `stop()` as a thread in the parent during the
    throughput runs (its CPU and moto's are reported with the run)."""

    def __init__(self) -> None:
        import threading

        from chalicelib.platform.aws import client
        from chalicelib.platform.queue import queue_url

        self._sqs = client("sqs")
        self._url = queue_url("order-events")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.removed = 0
        self.cpu_seconds = 0.0

    def drain(self, max_batches: int = 100) -> int:
        removed = 0
        for _ in range(max_batches):
            got = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                            VisibilityTimeout=60).get("Messages", [])
            if not got:
                break
            self._sqs.delete_message_batch(QueueUrl=self._url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
            removed += len(got)
        self.removed += removed
        return removed

    def start(self) -> None:
        import threading

        def loop() -> None:
            import time

            started = time.thread_time()
            while not self._stop.is_set():
                if not self.drain(max_batches=10):
                    self._stop.wait(0.25)  # idle polls cost moto and this thread ~2.5 ms CPU each
            self.cpu_seconds = time.thread_time() - started

        self._thread = threading.Thread(target=loop, name="bench-order-events-drain", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.drain()


def _purge_order_queue() -> None:
    """The OrderPlaced events the checkouts published: nobody consumes them in the bench (SQS
    allows one purge a minute per queue: a second run within the minute leaves them to moto)."""
    try:
        from chalicelib.platform.aws import client
        from chalicelib.platform.queue import queue_url

        client("sqs").purge_queue(QueueUrl=queue_url("order-events"))
    except Exception as exc:  # noqa: BLE001 - housekeeping only; moto forgets them when it stops
        log(f"could not purge the order-events queue: {exc}")


def finish() -> dict[str, Any] | None:
    """End of a run: clean up what it bought, if it used the shop at all."""
    if _cached is None:
        return None
    return clean_orders(_cached.tenant_id, purge_queue=True)


def shop_setup() -> dict[str, Any]:
    """What preparing the shop did (for results.json's setup)."""
    return dict(_cached.setup) if _cached is not None else {}
