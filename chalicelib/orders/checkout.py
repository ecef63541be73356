"""POST /api/orders: the cart becomes an order, in one transaction (issue 5 item 2).

    1. read the user's cart and take exactly those lines out of it (cart.api.take_lines: the DELETE
       locks them and the carts row, so a second checkout of the same cart waits there, finds
       them gone and runs again to find the cart empty, and a cart change waits for the order;
       a refusal below rolls the removal back)
    2. live prices and the shop's promotions → cart.totals.compute with campaigns.api's
       CartPromotions (the very function and object the cart view shows totals with); the optional
       expected_total guards against a price or promotion change since the customer looked
    3. order, items (price/name/VAT snapshot; a promotion's gift item is a line of its own, all of it
       discounted), first timeline entry + OrderPlaced outbox event
    4. claim what the promotions gave (campaigns.api.claim: usage, budget, flash-deal units, coupon
       uses by conditional UPDATEs; one ran out → 409 and the whole transaction rolls back), then
       reserve stock last (inventory.api: variation-id order, conditional UPDATE; short → 409 and
       the whole transaction rolls back), so hot rows stay locked for the shortest time; several lines
       are held by one UPDATE, and should one fall short the transaction runs again holding line by
       line, which names it
    5. claim the Idempotency-Key with its answer (platform/idempotency.py's claim_answered, one
       INSERT at the end: the cart lines serialise retries) and commit.  A retry of an order that
       went through finds the cart empty, or filled again with something refused, and the refusal
       looks the key up: that order is answered again; a concurrent retry waits at the cart lines,
       then does the same; a retry that finds the cart filled again and fine meets the key at the
       end and answers the first order, rolling its own work back; another request under the key
       is 409 idempotency_key_reused either way.  Caches of the touched products are dropped
       after the commit.

The 201's order is built from what this transaction wrote (`Placed.detail`), not read back
after the commit (issue 16 item 4: three reads fewer per checkout): the ids come from the inserts
(orders.repository.insert_items), the timestamps are this request's clock - one value for
placed_at, created_at, updated_at and the first timeline entry - and the ML event takes the lines
from memory too.  A replay renders the order from the database as before.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pymysql

from chalicelib.campaigns import api as campaigns
from chalicelib.cart.api import CartChanged, Line, compute, grouped, money, read_user_cart, shipping_method, take_lines
from chalicelib.inventory import api as inventory
from chalicelib.platform import idempotency
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import ApiError, BadRequest, Conflict, NotFound
from chalicelib.platform.text import reference_number

from . import repository as repo
from . import service, states

if TYPE_CHECKING:  # typing only: nothing more to import on a cold start
    from chalicelib.cart.api import CheckoutLine
    from chalicelib.platform.context import Tenant

    from .schemas import CheckoutIn

DEFAULT_RESERVATION_MINUTES = 30
CART_CHANGED_RETRIES = 3  # a cart changing under three checkouts in a row is answered 409 cart_changed
CHECKOUT = idempotency.Operation("checkout")


@dataclass
class Placed:
    order_id: int
    replayed: bool
    detail: dict[str, Any] | None = None  # a new order: what orders.service.get_order would answer


def place_order(db: Database, tenant: Tenant, user_id: int, body: CheckoutIn, idempotency_key: str | None,
                *, ip: str | None = None, user_agent: str | None = None) -> Placed:
    key = idempotency.key(tenant.id, CHECKOUT, user_id, idempotency_key, body.model_dump(mode="json"))
    if key is None:  # the route requires the header; a caller that skipped the router still may not
        raise BadRequest("idempotency_key_required")

    line_by_line = False

    def work(uow: UnitOfWork) -> Placed:
        lines = read_user_cart(uow, tenant.id, user_id)
        if not lines:  # (a retry of an order that went through: answered below, from its key)
            raise Conflict("cart_empty")
        unsellable = [line.variation_id for line in lines if not line.sellable]
        if unsellable:
            raise Conflict("cart_item_unavailable", details={"variation_ids": unsellable})
        take_lines(uow, tenant.id, user_id, lines)  # out of the cart now (CartChanged: again); a refusal puts them back

        method = shipping_method(tenant.settings, body.shipping_method)
        promotions = campaigns.for_cart(tenant.id, tenant.settings, user_id, payment_method=body.payment_method,
                                        channel=body.source, shipping=method, session=uow)
        totals = compute([Line(line.variation_id, line.product_id, line.quantity, line.unit_price, line.vat_rate,
                               line.category_id, line.brand_id) for line in lines],
                         shipping=method, discounts=[promotions])
        if body.expected_total is not None and body.expected_total != totals.grand_total:
            raise Conflict("price_changed", details={"expected_total": body.expected_total,
                                                     "grand_total": totals.grand_total})
        ship_to = _address(uow, tenant.id, user_id, body.shipping_address_id, "shipping_address_id")
        bill_to = ship_to if body.billing_address_id in (None, body.shipping_address_id) else \
            _address(uow, tenant.id, user_id, body.billing_address_id, "billing_address_id")
        email = repo.user_email(uow, tenant.id, user_id)
        minutes = int(((tenant.settings or {}).get("orders") or {}).get("reservation_minutes",
                                                                          DEFAULT_RESERVATION_MINUTES))
        now = _utcnow_us()
        ship_text = json.dumps(ship_to, ensure_ascii=False)
        discounts = [{**a, "amount": str(a["amount"])} for a in grouped(totals.discounts)] if totals.discounts else None
        fields = {
            "tenant_id": tenant.id, "order_number": _order_number(), "user_id": user_id,
            "payment_method": body.payment_method, "currency": "TRY",
            "subtotal": totals.subtotal, "discount_total": totals.discount_total,
            "shipping_total": totals.shipping_total, "shipping_method": method.code, "vat_total": totals.vat_total,
            "grand_total": totals.grand_total,
            "discounts": json.dumps(discounts, ensure_ascii=False) if discounts is not None else None,
            "shipping_address_id": body.shipping_address_id,
            "billing_address_id": body.billing_address_id or body.shipping_address_id,
            "shipping_address": ship_text,
            "billing_address": ship_text if bill_to is ship_to else json.dumps(bill_to, ensure_ascii=False),
            "contact_email": email, "customer_note": body.customer_note,
            "reserved_until": now.replace(microsecond=0) + dt.timedelta(minutes=minutes),
            "source": body.source, "ip": ip, "user_agent": (user_agent or "")[:255] or None,
            "placed_at": now, "created_at": now, "updated_at": now,
        }
        order_id = _insert(uow, fields)
        snapshots = {line.variation_id: _snapshot(line) for line in lines} | {
            vid: _gift_snapshot(row) for vid, row in campaigns.gift_snapshots(promotions).items()}
        rows = [(tenant.id, order_id, t.product_id, t.variation_id, *snapshots[t.variation_id], money(t.unit_price),
                 money(t.vat_rate), t.quantity, money(t.discount_amount), money(t.vat_amount), money(t.line_total))
                for t in totals.lines]
        item_ids = repo.insert_items(uow, rows)
        order = {"id": order_id, "tenant_id": tenant.id, "order_number": fields["order_number"], "user_id": user_id}
        states.record(uow, order, None, states.PENDING_PAYMENT, states.Actor.customer(user_id),
                      event={"grand_total": totals.grand_total, "currency": "TRY"}, at=now,
                      items=[{"product_id": r[2], "quantity": r[12], "unit_price": r[10]} for r in rows])
        campaigns.claim(uow, tenant.id, order_id=order_id, user_id=user_id, promotions=promotions, totals=totals)
        inventory.reserve(uow, tenant.id, order_id, [(t.variation_id, t.product_id, t.quantity, snapshots[t.variation_id][0])
                                                     for t in totals.lines], user_id, one_statement=not line_by_line)
        earlier = idempotency.claim_answered(uow, key, 201, {"id": order_id})
        if earlier is not None:  # the key answered an order before (the cart was filled again): that one
            raise _AnsweredBefore(int(earlier.body["id"]))  # this transaction's work rolls back
        uow.commit()
        return Placed(order_id, replayed=False,
                      detail=_rendered(order_id, fields, discounts, ship_to, bill_to, item_ids, rows, user_id))

    try:
        for _ in range(CART_CHANGED_RETRIES):
            try:
                try:
                    return db.transaction(work)
                except inventory.ReserveLineByLine:  # a line fell short: again, line by line, to name it (or succeed)
                    line_by_line = True
                    return db.transaction(work)
            except CartChanged:  # another checkout took the lines, or a quantity changed: read the cart again
                continue
            except _AnsweredBefore as before:
                return Placed(before.order_id, replayed=True)
        raise Conflict("cart_changed")
    except ApiError:
        # Refused before the key was claimed (the key is claimed last): a retry of an order that went
        # through - its cart now empty, or filled again with something refused - is answered that
        # order, and another request under the key 409 idempotency_key_reused, as when the key was
        # claimed first; only a key nobody answered gets the refusal.  Costs a read on refusals only.
        answered = idempotency.lookup(db.session(), key)
        if answered is None:
            raise
        return Placed(int(answered.body["id"]), replayed=True)


class _AnsweredBefore(Exception):  # noqa: N818 - rolls the transaction back; the earlier order is the answer
    def __init__(self, order_id: int) -> None:
        super().__init__(order_id)
        self.order_id = order_id


# The order columns the database fills with their defaults on insert, as a new order has them.
_NEW_ORDER_DEFAULTS = {"status": states.PENDING_PAYMENT, "payment_status": "unpaid", "paid_total": money(0),
                       "refunded_total": money(0), "coupon_code": None, "paid_at": None, "shipped_at": None,
                       "delivered_at": None, "cancelled_at": None, "cancel_reason": None, "version": 0}
_MONEY = ("subtotal", "discount_total", "shipping_total", "vat_total", "grand_total")
_ITEM_KEYS = ("product_id", "variation_id", "name", "variation_name", "sku", "barcode", "options", "image_key",
              "unit_price", "vat_rate", "quantity", "discount_amount", "vat_amount", "line_total")


def _rendered(order_id: int, fields: dict[str, Any], discounts: list[dict[str, Any]] | None, ship_to: dict[str, Any],
              bill_to: dict[str, Any], item_ids: list[int], rows: list[tuple[Any, ...]], user_id: int) -> dict[str, Any]:
    """The new order rendered by orders.service.render - the renderer of a GET and a replay - from
    the values this transaction wrote: the order row as the database now holds it (the columns
    left to their defaults too; money rounded to the kuruş as the DECIMAL(14,2) columns keep it;
    the address snapshots, JSON values already, as their JSON text reads back), its items with the
    ids the insert gave, and the first timeline entry; no payments or shipments yet."""
    written = {**fields, **_NEW_ORDER_DEFAULTS, "id": order_id, **{k: money(fields[k]) for k in _MONEY},
               "shipping_address": ship_to, "billing_address": bill_to, "discounts": discounts}
    order = {name: written[name] for name in repo.ORDER_NAMES}
    items = [{"id": item_id, **dict(zip(_ITEM_KEYS, row[2:], strict=True)), "returned_quantity": 0}
             for item_id, row in zip(item_ids, rows, strict=True)]
    timeline = [{"from_status": None, "to_status": states.PENDING_PAYMENT, "actor_type": "customer",
                 "actor_user_id": user_id, "note": None, "created_at": fields["placed_at"]}]
    return service.render(order, items, timeline, payments=[], shipments=[])


def _snapshot(line: CheckoutLine) -> tuple[Any, ...]:
    """name, variation name, SKU, barcode, options, image of a cart line, as order_items keeps them."""
    return (line.name, line.variation_name, line.sku, line.barcode,
            json.dumps(line.options, ensure_ascii=False) if line.options is not None else None, line.image_key)


def _gift_snapshot(row: dict[str, Any]) -> tuple[Any, ...]:
    options = row.get("options")
    if options is not None and not isinstance(options, str):
        options = json.dumps(options, ensure_ascii=False)
    return (row["name"], row.get("variation_name"), row["sku"], row.get("barcode"), options, None)


def _address(uow: UnitOfWork, tenant_id: int, user_id: int, address_id: int, field: str) -> dict[str, Any]:
    from chalicelib.addresses.api import order_snapshot

    try:
        return order_snapshot(uow, tenant_id, user_id, address_id)
    except NotFound:
        raise NotFound("address_not_found", details={"field": field, "id": address_id}) from None


def _order_number() -> str:
    """S + UTC date + 6 random characters (24^6 ≈ 191 million per day): unguessable, short enough
    to read out on the phone; a collision (ux_order_number) is retried in _insert."""
    return reference_number("S", _utcnow())


def _insert(uow: UnitOfWork, fields: dict[str, Any]) -> int:
    for _ in range(5):
        try:
            return repo.insert_order(uow, fields)
        except pymysql.err.IntegrityError as exc:
            if "ux_order_number" not in str(exc):
                raise
            fields["order_number"] = _order_number()
    raise RuntimeError("could not allocate an order number")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _utcnow_us() -> dt.datetime:
    """UTC, naive, to the microsecond, as the DATETIME(6) columns' CURRENT_TIMESTAMP(6) default would be."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

