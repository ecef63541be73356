"""The cart's and the checkout's promotions: the engine's outcome plugged into the cart's totals
(issue 15; cart/totals.py `compute` asks a Promotions object for its effects, then its adjustments).

`CartPromotions` is built per request for one customer (or a guest) and evaluates the tenant's
cached PromotionSet (active.py) once per set of lines:
    effects(lines)      gift lines to add (priced from the catalogue, stock permitting) and the
                        free-shipping waiver
    adjustments(...)    the engine's line discounts, plus each gift's full price
    summary()           what the cart view shows: applied, rejected and why, gifts, bonus, floor
    outcome, gift_rows  what the checkout claims and snapshots into the order

The customer facts a promotion may ask for are read only when some live promotion asks for them
(active.needs_of): the segment (audience.py: ML segment, else RFM in SQL), the loyalty level and its
benefits (loyalty.api), whether this is a first order, the customer's use counters (claims.py) and
the codes they applied (coupons_service.py).  A guest has none of them: promotions that need them
do not apply to a guest cart.

Channels and payment methods are named as the orders area names them (source mobile | web; payment
card | eft | wallet) and translated to the rules' words here (app | web; card, bank_transfer, wallet).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalicelib.cart.api import Adjustment, Effects, Line, ShippingMethod, Totals, compute
from chalicelib.platform.cache import dumps, loads, redis_client, redis_errors
from chalicelib.platform.db import Session, get_db
from chalicelib.platform.sql import marks

from . import active
from .claims import customer_uses
from .customer_facts import FACTS_SECONDS, facts_key
from .model import BasketLine, Context, CouponRef, Customer, Outcome, Promotion

CHANNELS = {"mobile": "app", "web": "web"}
PAYMENT_METHODS = {"card": "card", "eft": "bank_transfer", "wallet": "wallet"}
GIFT_LABEL = "Hediye / Gift"


@dataclass
class CartPromotions:
    """A totals.Promotions for one customer's cart (see the module docstring)."""

    tenant_id: int
    settings: dict[str, Any]
    user_id: int | None
    session: Session
    payment_method: str | None = None
    channel: str | None = None
    shipping: ShippingMethod | None = None
    codes: tuple[str, ...] | None = None  # preview: these codes instead of the customer's applied ones
    extra: Promotion | None = None  # preview: this campaign as if live
    now: dt.datetime = field(default_factory=lambda: _utcnow())
    outcome: Outcome = field(default_factory=Outcome)
    gift_rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    live: active.Live | None = None
    _coupons: tuple[CouponRef, ...] = ()
    _gift_adjustments: list[Adjustment] = field(default_factory=list)
    _unavailable_gifts: list[tuple[str, int]] = field(default_factory=list)

    # -- totals.Promotions ----------------------------------------------------------------------
    def effects(self, lines: Sequence[Line]) -> Effects:
        current, (cached,) = active.read(self.tenant_id, facts_key(self.tenant_id, self.user_id or 0))
        self.live = live = active.live(self.tenant_id, current)
        promotions, needs = live.promotions, live.needs
        if self.extra is not None:
            promotions = promotions.with_promotion(self.extra)
            needs = needs | active.needs_of([self.extra], [])
        ctx = self._context(needs, cached)
        basket = [BasketLine(line.variation_id, line.product_id, line.quantity, line.unit_price, line.category_id,
                             line.brand_id) for line in lines if line.quantity > 0]
        self.outcome = promotions.evaluate(basket, ctx)
        return Effects(gifts=tuple(self._gifts(lines)),
                       free_shipping=Adjustment("free_shipping", "Ücretsiz kargo / Free shipping", Decimal(0))
                       if self.outcome.free_shipping else None)

    def adjustments(self, lines: Sequence[Line], subtotal: Decimal) -> list[Adjustment]:
        return [Adjustment(d.claim_key, d.label, d.amount, d.variation_id) for d in self.outcome.discounts] \
            + self._gift_adjustments

    def summary(self) -> dict[str, Any]:
        by_campaign: dict[int | None, str] = {c.campaign_id: c.code for c in self._coupons}
        out = self.outcome
        return {
            "applied": [{"code": a.claim_key, "label": a.label, "coupon": by_campaign.get(a.campaign_id),
                         "discount": a.discount, "free_shipping": a.free_shipping, "bonus": a.bonus}
                        for a in out.applied],
            "rejected": [{"code": r.claim_key, "coupon": r.code, "reason": r.reason} for r in out.rejected]
            + [{"code": key, "coupon": None, "reason": "gift_unavailable"} for key, _ in self._unavailable_gifts],
            "gifts": [{"variation_id": vid, "product_id": row["product_id"], "quantity": row["quantity"],
                       "value": Decimal(row["price"]) * row["quantity"]} for vid, row in self.gift_rows.items()],
            "bonus": out.bonus, "floor": out.floor, "capped": out.capped,
        }

    # -- the customer ---------------------------------------------------------------------------
    def _context(self, needs: frozenset[str], cached: bytes | None) -> Context:
        customer = Customer()
        if self.user_id is not None:
            customer, has_codes = _customer(self.session, self.tenant_id, self.user_id, needs, cached)
            self._coupons = self._codes(needs, has_codes)
        conf = (self.settings or {}).get("campaigns") or {}
        return Context(
            now=self.now, customer=customer, payment_method=PAYMENT_METHODS.get(self.payment_method or ""),
            channel=CHANNELS.get(self.channel or "web"), coupons=self._coupons,
            shipping_fee=self.shipping.price if self.shipping is not None else Decimal(0),
            max_discount_percent=_setting(conf, "max_discount_percent", "90"),
            min_payable=_setting(conf, "min_payable", "1.00"))

    def _codes(self, needs: frozenset[str], has_codes: bool) -> tuple[CouponRef, ...]:
        assert self.user_id is not None
        if self.codes is not None:
            return tuple(_coupon_refs(self.session, self.tenant_id, self.codes))
        if "coupons" not in needs or not has_codes:
            return ()
        from .coupons_service import applied_coupons

        return tuple(applied_coupons(self.session, self.tenant_id, self.user_id, self.now))

    # -- gifts ----------------------------------------------------------------------------------
    def _gifts(self, lines: Sequence[Line]) -> list[Line]:
        """A gift already in the basket is made free there (up to its quantity); any other is a new
        line, priced from the catalogue, when the variation is on sale and in stock."""
        self.gift_rows, self._gift_adjustments, self._unavailable_gifts = {}, [], []
        if not self.outcome.gifts:
            return []
        in_basket = {line.variation_id: line for line in lines}
        wanted = [g for g in self.outcome.gifts if g.variation_id not in in_basket]
        rows = _variations(self.session, self.tenant_id, [g.variation_id for g in wanted])
        added: list[Line] = []
        for gift in self.outcome.gifts:
            line = in_basket.get(gift.variation_id)
            if line is not None:
                free = min(gift.quantity, line.quantity)
                self._gift_adjustments.append(Adjustment(gift.claim_key, GIFT_LABEL, line.unit_price * free,
                                                         gift.variation_id))
                continue
            row = rows.get(gift.variation_id)
            if row is None or int(row["available"]) < gift.quantity or gift.variation_id in self.gift_rows:
                self._unavailable_gifts.append((gift.claim_key, gift.variation_id))
                continue
            self.gift_rows[gift.variation_id] = {**row, "quantity": gift.quantity, "claim_key": gift.claim_key}
            new = Line(gift.variation_id, int(row["product_id"]), gift.quantity, Decimal(row["price"]),
                       Decimal(row["vat_rate"]), row["category_id"], row["brand_id"], gift=True)
            added.append(new)
            self._gift_adjustments.append(Adjustment(gift.claim_key, GIFT_LABEL, new.gross, gift.variation_id))
        return added


def for_cart(tenant_id: int, settings: dict[str, Any], user_id: int | None, *, payment_method: str | None = None,
             channel: str | None = None, shipping: ShippingMethod | None = None,
             session: Session | None = None) -> CartPromotions:
    return CartPromotions(tenant_id, settings, user_id, session or get_db().session(), payment_method=payment_method,
                          channel=channel, shipping=shipping)


@dataclass
class Quote:
    totals: dict[str, Any]
    outcome: Outcome
    promotions: dict[str, Any]


def basket_lines(session: Session, tenant_id: int, items: Sequence[tuple[int, int]]) -> list[BasketLine]:
    """(variation id, quantity) pairs as the engine's lines, live prices; inactive or unknown ids left out."""
    rows = _variations(session, tenant_id, [vid for vid, _ in items])
    return [BasketLine(vid, int(rows[vid]["product_id"]), qty, Decimal(rows[vid]["price"]), rows[vid]["category_id"],
                       rows[vid]["brand_id"]) for vid, qty in items if vid in rows]


def quote(session: Session, tenant: Any, *, lines: list[BasketLine], user_id: int | None, codes: list[str],
          payment_method: str | None, channel: str | None, shipping_method: str | None,
          extra: Promotion | None = None, now: dt.datetime | None = None) -> Quote:
    """Totals of a simulated cart (the staff preview): the cart's own compute() with the promotions."""
    from chalicelib.cart.api import shipping_method as method_of

    method = method_of(tenant.settings, shipping_method)
    rows = _variations(session, tenant.id, [line.variation_id for line in lines])
    cart_lines = [Line(b.variation_id, b.product_id, b.quantity, b.unit_price, Decimal(rows[b.variation_id]["vat_rate"]),
                       b.category_id, b.brand_id) for b in lines if b.variation_id in rows]
    promos = CartPromotions(tenant.id, tenant.settings, user_id, session, payment_method=payment_method,
                            channel=channel, shipping=method, codes=tuple(codes), extra=extra,
                            now=now or _utcnow())
    totals: Totals = compute(cart_lines, shipping=method, discounts=[promos])
    return Quote(totals.as_dict(), promos.outcome, promos.summary())


def _setting(conf: dict[str, Any], name: str, default: str) -> Decimal:
    """settings.campaigns.<name> (validated by the settings API); unset or unreadable: the default."""
    raw = conf.get(name)
    try:
        value = Decimal(str(raw)) if raw is not None and not isinstance(raw, bool) else Decimal(default)
    except ArithmeticError:
        return Decimal(default)
    return value if value.is_finite() and value >= 0 else Decimal(default)


# -- the customer's facts -------------------------------------------------------------------------
def _customer(session: Session, tenant_id: int, user_id: int, needs: frozenset[str],
              cached: bytes | None) -> tuple[Customer, bool]:
    """The facts the live promotions ask about this customer, kept in Redis for FACTS_SECONDS (read
    with the campaigns version in one round trip).  Placing or cancelling an order forgets them
    (claims.py), so the use counters and "first order" are fresh after the customer's own orders; a
    new segment or level shows within FACTS_SECONDS.  The checkout's claims re-check every limit in
    SQL whatever these say.  Also kept: whether the customer has applied codes at all (applying or
    removing one forgets the facts), so a cart view without codes reads none."""
    if cached is not None:
        facts = loads(cached)
        if set(facts.get("needs") or ()) >= needs:
            return _from_facts(user_id, facts), bool(facts.get("has_codes", True))
    customer = _load_customer(session, tenant_id, user_id, needs)
    has_codes = "coupons" in needs and bool(session.scalar(
        "SELECT EXISTS(SELECT 1 FROM cart_coupons WHERE tenant_id = %s AND user_id = %s)", (tenant_id, user_id)))
    try:
        redis_client().set(facts_key(tenant_id, user_id), dumps({
            "needs": sorted(needs), "has_codes": has_codes, "segment": customer.segment, "level": customer.level,
            "first_order": customer.first_order, "early": customer.early_access_minutes,
            "free_shipping": customer.free_shipping,
            "uses": [[scope, scope_id, n] for (scope, scope_id), n in customer.uses.items()]}), ex=FACTS_SECONDS)
    except redis_errors():
        pass
    return customer, has_codes


def _from_facts(user_id: int, facts: dict[str, Any]) -> Customer:
    return Customer(user_id=user_id, segment=facts.get("segment"), level=facts.get("level"),
                    first_order=facts.get("first_order"), early_access_minutes=int(facts.get("early") or 0),
                    free_shipping=bool(facts.get("free_shipping")),
                    uses={(str(scope), int(scope_id)): int(n) for scope, scope_id, n in facts.get("uses") or ()})


def _load_customer(session: Session, tenant_id: int, user_id: int, needs: frozenset[str]) -> Customer:
    segment = level = None
    early, free_shipping = 0, False
    if "segment" in needs:
        from .audience import segment_for

        segment = segment_for(session, tenant_id, user_id)
    if needs & {"level", "benefits"}:
        from chalicelib.loyalty import api as loyalty

        benefits = loyalty.benefits(session, tenant_id, user_id)
        level, early, free_shipping = benefits.level_code, benefits.early_access_minutes, benefits.free_shipping
    first = None
    if "first_order" in needs:
        first = session.one("""SELECT EXISTS(SELECT 1 FROM orders WHERE tenant_id = %s AND user_id = %s
                                              AND status <> 'cancelled') AS ordered""", (tenant_id, user_id)) or {}
    return Customer(user_id=user_id, segment=segment, level=level,
                    first_order=None if first is None else not first.get("ordered"),
                    early_access_minutes=early, free_shipping=free_shipping,
                    uses=customer_uses(session, tenant_id, user_id) if "uses" in needs else {})


def _coupon_refs(session: Session, tenant_id: int, codes: Sequence[str]) -> list[CouponRef]:
    wanted = sorted({c.strip().upper() for c in codes if c and c.strip()})[:5]
    if not wanted:
        return []
    rows = session.all(f"""SELECT id, code, campaign_id FROM coupons
                            WHERE tenant_id = %s AND code IN ({marks(wanted)}) AND is_active = 1
                              AND campaign_id IS NOT NULL ORDER BY id""", (tenant_id, *wanted))
    return [CouponRef(int(r["id"]), r["code"], int(r["campaign_id"])) for r in rows]


def _variations(session: Session, tenant_id: int, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    ordered = sorted(set(ids))
    if not ordered:
        return {}
    rows = session.all(
        f"""SELECT v.id, v.product_id, v.price, v.stock - v.reserved AS available, p.vat_rate, p.category_id,
                   p.brand_id, v.sku, v.barcode, v.name AS variation_name, v.options, p.name
              FROM product_variations v JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id
             WHERE v.tenant_id = %s AND v.id IN ({marks(ordered)}) AND v.is_active = 1 AND p.status = 'active'""",
        (tenant_id, *ordered))
    return {int(r["id"]): r for r in rows}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
