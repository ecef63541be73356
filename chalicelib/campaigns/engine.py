"""The promotion engine (issue 15): one tenant's active promotions and flash deals → an Outcome.

Pure and standard-library only (the cart Lambda imports it); all datetimes naive UTC, all money
Decimal kuruş.  `PromotionSet` is built once per tenant cache load and indexes its promotions by
product, category and brand, so a basket only looks at the promotions that can touch its lines.

The stacking policy — the stages run in this order:

1. Flash deals (a price level).  Per line, the lowest deal price among the deals for its variation
   (or for its product, when a deal names no variation) that are open now — a customer with early
   access sees a deal `early_access_minutes` before it starts — and still have units for them:
   units = min(quantity, units left, per-customer limit − units already bought).  Units are shared
   by the lines of one deal in line order.  A line on a flash deal gets no catalogue promotion.
2. Catalogue promotions.  Per remaining line, the single best eligible one (largest amount; ties:
   higher priority, then lower id).  Never two on one line.  max_discount / budget cap each
   promotion over all its lines (lines in basket order).
3. Basket promotions: the automatic ones, and coupon / wheel / offer ones only when the context
   names an applied code of that campaign.  Each is gated (window, usage, budget, per-customer
   limit, segment, level, first order, payment method, channel), then ordered by (priority desc,
   id asc).  The candidates are S = every stackable one applied one after another, each on what the
   earlier ones left on its eligible lines (40 % and 70 % give 82 %), and E_i = each exclusive one
   alone.  min_subtotal / min_quantity are checked when a promotion applies, on what is left.  The
   option with the largest customer benefit (merchandise discount + the shipping fee if it makes
   shipping free + bonus) wins; ties go to the option holding the highest-priority promotion.  The
   promotions that applied in a losing option are rejected "not_combinable" (so is an exclusive one
   that cannot beat the best option found so far: it is not even run).
4. The floor.  On the list subtotal L the customer always pays at least
   F = min(L, max(ceil(L × (100 − max_discount_percent) / 100), min_payable)).  When the
   discounts exceed L − F the last-applied ones are cut first (basket, lowest priority first; then
   catalogue; then flash) and the Outcome is marked capped; a promotion cut to nothing with no
   other effect is dropped and rejected "floor".  Shipping, gifts and bonus are outside the floor.
   So a 100 % line promotion lands the line's full gross, but a 100 % basket coupon stops at F.

Rejections tell the customer why a promotion they could act on did not apply: every reason for a
promotion their code names; for automatic ones everything except the window, their segment /
level / first-order status and baskets without an eligible line (engine_basket.SILENT).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal

from .engine_allocate import Grant, apply_floor, build_outcome, floor_of
from .engine_basket import (
    SILENT,
    Option,
    Work,
    bound,
    cap,
    choose,
    eligible,
    gate,
    line_matches,
    run_option,
    thresholds,
)
from .model import (
    HUNDRED,
    ZERO,
    BasketLine,
    Context,
    CouponRef,
    FlashDeal,
    Outcome,
    Promotion,
    Rejection,
    money,
)


def _order(p: Promotion) -> tuple[int, int]:
    return (-p.priority, p.id)


class _Index:
    """Promotions by the product / category / brand they name; `every` for those naming none."""

    def __init__(self, promotions: Iterable[Promotion]) -> None:
        self.every: list[Promotion] = []
        self.by_product: dict[int, list[Promotion]] = defaultdict(list)
        self.by_category: dict[int, list[Promotion]] = defaultdict(list)
        self.by_brand: dict[int, list[Promotion]] = defaultdict(list)
        for p in promotions:
            c = p.conditions
            if not (c.products or c.categories or c.brands):
                self.every.append(p)
            for key, table in ((c.products, self.by_product), (c.categories, self.by_category),
                               (c.brands, self.by_brand)):
                for ident in key:
                    table[ident].append(p)

    def touching(self, lines: Iterable[BasketLine]) -> list[Promotion]:
        found: dict[int, Promotion] = {p.id: p for p in self.every}
        for line in lines:
            for p in self.by_product.get(line.product_id, ()):
                found[p.id] = p
            if line.category_id is not None:
                for p in self.by_category.get(line.category_id, ()):
                    found[p.id] = p
            if line.brand_id is not None:
                for p in self.by_brand.get(line.brand_id, ()):
                    found[p.id] = p
        return sorted(found.values(), key=_order)


class PromotionSet:
    """One tenant's active promotions and flash deals, indexed for `evaluate`."""

    def __init__(self, promotions: Iterable[Promotion], flash_deals: Iterable[FlashDeal] = ()) -> None:
        self.promotions: tuple[Promotion, ...] = tuple(sorted(promotions, key=_order))
        self.flash_deals: tuple[FlashDeal, ...] = tuple(sorted(flash_deals, key=lambda d: d.id))
        self._catalogue = _Index(p for p in self.promotions if p.level == "catalogue")
        basket = [p for p in self.promotions if p.level != "catalogue"]
        self._automatic = _Index(p for p in basket if not p.requires_coupon)
        self._by_id = {p.id: p for p in self.promotions}
        self._deals_by_variation: dict[int, list[FlashDeal]] = defaultdict(list)
        self._deals_by_product: dict[int, list[FlashDeal]] = defaultdict(list)
        for deal in self.flash_deals:
            if deal.variation_id is not None:
                self._deals_by_variation[deal.variation_id].append(deal)
            else:
                self._deals_by_product[deal.product_id].append(deal)

    def with_promotion(self, promotion: Promotion) -> PromotionSet:
        """A copy holding `promotion` too (replacing one with the same id): the admin preview."""
        others = [p for p in self.promotions if p.id != promotion.id]
        return PromotionSet([*others, promotion], self.flash_deals)

    def evaluate(self, lines: Sequence[BasketLine], ctx: Context) -> Outcome:
        lines = [line for line in lines if line.quantity > 0]
        rejected: dict[str, Rejection] = {}
        coupons = _coupons(ctx.coupons)
        work = Work(lines, [line.gross for line in lines], [False] * len(lines))
        grants = self._flash(work, ctx, rejected)
        grants += self._catalogue_stage(work, ctx, coupons, rejected)
        grants += self._basket_stage(work, ctx, coupons, rejected)
        floor = floor_of(lines, ctx.max_discount_percent, ctx.min_payable)
        subtotal = sum((line.gross for line in lines), ZERO)
        grants, dropped, capped = apply_floor(grants, subtotal - floor)
        for grant in dropped:
            code = coupons[grant.campaign_id].code if grant.coupon_id is not None and grant.campaign_id else None
            rejected[grant.claim_key] = Rejection(grant.claim_key, code, "floor")
        return build_outcome(lines, grants, list(rejected.values()), floor=floor, capped=capped,
                             customer_free_shipping=ctx.customer.free_shipping)

    # -- stage 1: flash deals ------------------------------------------------------------------

    def _flash(self, work: Work, ctx: Context, rejected: dict[str, Rejection]) -> list[Grant]:
        opens = ctx.now + timedelta(minutes=max(ctx.customer.early_access_minutes, 0))
        taken: dict[int, int] = defaultdict(int)
        grants: dict[int, Grant] = {}
        short: dict[int, str] = {}
        for i, line in enumerate(work.lines):
            deals = [d for d in (*self._deals_by_variation.get(line.variation_id, ()),
                                 *self._deals_by_product.get(line.product_id, ()))
                     if d.starts_at <= opens and ctx.now < d.ends_at and d.deal_price < line.unit_price]
            best: tuple[FlashDeal, int] | None = None
            for deal in sorted(deals, key=lambda d: (d.deal_price, d.id)):
                units, reason = _flash_units(deal, line.quantity, taken[deal.id], ctx)
                if units > 0:
                    best = (deal, units)
                    break
                short.setdefault(deal.id, reason)
            if best is None:
                continue
            deal, units = best
            taken[deal.id] += units
            amount = money((line.unit_price - money(deal.deal_price)) * units)
            grant = grants.setdefault(deal.id, Grant(f"flash:{deal.id}", deal.title or "Flaş fırsat",
                                                     flash_deal_id=deal.id, units=0))
            grant.amounts[i] = amount
            grant.units += units
            work.left[i] -= amount
            work.on_sale[i] = True
        for deal_id in sorted(set(short) - set(grants)):
            rejected[f"flash:{deal_id}"] = Rejection(f"flash:{deal_id}", None, short[deal_id])
        return [grants[k] for k in sorted(grants)]

    # -- stage 2: catalogue promotions ---------------------------------------------------------

    def _catalogue_stage(self, work: Work, ctx: Context, coupons: dict[int, CouponRef],
                         rejected: dict[str, Rejection]) -> list[Grant]:
        free = [i for i in range(len(work.lines)) if not work.on_sale[i]]
        offers: dict[int, list[tuple[Decimal, int, int, Promotion]]] = defaultdict(list)
        considered: list[Promotion] = []
        for p in self._candidates(self._catalogue, [work.lines[i] for i in free], coupons):
            indexes = [i for i in free if line_matches(p, work.lines[i], False)]
            reason = gate(p, ctx) or (thresholds(p, work, indexes) if indexes else "no_eligible_lines")
            if reason is not None:
                _reject(rejected, p, coupons, reason)
                continue
            considered.append(p)
            for i in indexes:
                amount = _catalogue_amount(p, work.lines[i], work.left[i])
                if amount > 0:
                    offers[i].append((amount, p.priority, -p.id, p))
        grants: dict[int, Grant] = {}
        room = {p.id: cap(p, sum(work.left, ZERO)) for p in considered}
        for i in sorted(offers):
            amount, _, _, p = max(offers[i], key=lambda o: o[:3])
            amount = min(amount, room[p.id])
            if amount <= 0:
                continue
            room[p.id] -= amount
            coupon = coupons.get(p.id)
            grant = grants.setdefault(p.id, Grant(f"campaign:{p.id}", p.name, campaign_id=p.id,
                                                  coupon_id=coupon.coupon_id if coupon else None))
            grant.amounts[i] = amount
            work.left[i] -= amount
        for p in considered:
            if p.id not in grants:
                _reject(rejected, p, coupons, "not_combinable")
        return [grants[p.id] for p in considered if p.id in grants]

    # -- stage 3: basket promotions ------------------------------------------------------------

    def _basket_stage(self, work: Work, ctx: Context, coupons: dict[int, CouponRef],
                      rejected: dict[str, Rejection]) -> list[Grant]:
        ready: list[Promotion] = []
        scope: dict[int, list[int]] = {}
        for p in self._candidates(self._automatic, work.lines, coupons, basket=True):
            reason = gate(p, ctx)
            if reason is None:
                scope[p.id] = eligible(p, work)
                reason = None if scope[p.id] else "no_eligible_lines"
            if reason is not None:
                _reject(rejected, p, coupons, reason)
            else:
                ready.append(p)
        if not ready:
            return []
        options = [run_option([p for p in ready if p.stackable], coupons, work, ctx, scope)]
        beaten = self._exclusive_options(ready, work, ctx, coupons, scope, options, rejected)
        winner = choose(options)
        for p in beaten:
            _reject(rejected, p, coupons, "not_combinable")
        for option in options:
            for p, reason in option.failures:
                _reject(rejected, p, coupons, reason)
            if option is not winner:
                for grant in option.grants:
                    _reject(rejected, self._by_id[grant.campaign_id or 0], coupons, "not_combinable")
        for grant in winner.grants:
            for i, amount in grant.amounts.items():
                work.left[i] -= amount
        return winner.grants

    def _exclusive_options(self, ready: list[Promotion], work: Work, ctx: Context, coupons: dict[int, CouponRef],
                           scope: dict[int, list[int]], options: list[Option],
                           rejected: dict[str, Rejection]) -> list[Promotion]:
        """E_i for each exclusive promotion, most promising first; one whose best possible benefit is
        below the best option so far cannot win and is not run (returned as beaten)."""
        bounds = {p.id: bound(p, work, scope[p.id], ctx) for p in ready if not p.stackable}
        best = options[0].benefit
        beaten: list[Promotion] = []
        for p in sorted((p for p in ready if not p.stackable), key=lambda p: (-bounds[p.id], *_order(p))):
            reason = thresholds(p, work, scope[p.id])
            if reason is not None:
                _reject(rejected, p, coupons, reason)
            elif bounds[p.id] < best:
                beaten.append(p)
            else:
                options.append(run_option([p], coupons, work, ctx, scope))
                best = max(best, options[-1].benefit)
        return beaten

    def _candidates(self, index: _Index, lines: Sequence[BasketLine], coupons: dict[int, CouponRef],
                    basket: bool = False) -> list[Promotion]:
        """Automatic promotions touching the lines, plus those a code names (priority order)."""
        found = {p.id: p for p in index.touching(lines) if not p.requires_coupon}
        for campaign_id in coupons:
            p = self._by_id.get(campaign_id)
            if p is not None and p.requires_coupon and (p.level != "catalogue") is basket:
                found[p.id] = p
        return sorted(found.values(), key=_order)


def _coupons(refs: Sequence[CouponRef]) -> dict[int, CouponRef]:
    """The first applied code of each campaign."""
    out: dict[int, CouponRef] = {}
    for ref in refs:
        out.setdefault(ref.campaign_id, ref)
    return out


def _reject(rejected: dict[str, Rejection], p: Promotion, coupons: dict[int, CouponRef], reason: str) -> None:
    """One rejection per promotion (the first reason found)."""
    coupon = coupons.get(p.id) if p.requires_coupon else None
    if coupon is None and reason in SILENT:
        return
    claim_key = f"campaign:{p.id}"
    if claim_key not in rejected:
        rejected[claim_key] = Rejection(claim_key, coupon.code if coupon else None, reason)


def _flash_units(deal: FlashDeal, quantity: int, taken: int, ctx: Context) -> tuple[int, str]:
    units = quantity
    reason = "exhausted"
    if deal.units_left is not None:
        units = min(units, deal.units_left - taken)
    if deal.per_user_limit is not None:
        mine = deal.per_user_limit - ctx.customer.uses.get(("flash", deal.id), 0) - taken
        if mine < units:
            units, reason = mine, "per_customer_limit"
    return max(units, 0), reason


def _catalogue_amount(p: Promotion, line: BasketLine, left: Decimal) -> Decimal:
    a = p.action
    if a.type == "percent_off":
        amount = money(left * a.value / HUNDRED)
    elif a.type == "fixed_off":
        amount = money(a.value * line.quantity)
    else:
        return ZERO
    return min(cap(p, amount), left)
