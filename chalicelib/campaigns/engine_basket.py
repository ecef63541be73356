"""Stage 3 of the promotion engine: basket promotions, their actions and the stacking choice.

Standard library only.  `Work` is the basket as the earlier stages left it: `left[i]` is what line i
still costs after flash deals, catalogue promotions and the basket promotions applied so far.
Every promotion is applied on what is left on its ELIGIBLE lines, so stacked percentages compound
(40 % then 70 % is 82 % off, never 110 %) and no line ever goes below zero.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .engine_allocate import Grant, allocate
from .model import HUNDRED, ZERO, Action, BasketLine, Context, CouponRef, Gift, Promotion, canonical, money

# Reasons an AUTOMATIC promotion fails without telling the customer (they did not ask for it and
# cannot act on it); a promotion a customer's code names reports every reason.
SILENT = frozenset({"not_started", "ended", "segment", "level", "first_order", "no_eligible_lines"})


@dataclass
class Work:
    lines: Sequence[BasketLine]
    left: list[Decimal]
    on_sale: list[bool]  # priced by a flash deal

    def copy(self) -> Work:
        return Work(self.lines, list(self.left), self.on_sale)


def gate(p: Promotion, ctx: Context) -> str | None:
    """The reason `p` cannot apply to this customer at this moment, before looking at the lines."""
    now = ctx.now
    if p.starts_at is not None and now < p.starts_at:
        return "not_started"
    if p.ends_at is not None and now >= p.ends_at:
        return "ended"
    if p.usage_left is not None and p.usage_left <= 0:
        return "exhausted"
    if p.budget_left is not None and p.budget_left <= 0:
        return "budget_exhausted"
    customer = ctx.customer
    if p.per_user_limit is not None and customer.uses.get(("campaign", p.id), 0) >= p.per_user_limit:
        return "per_customer_limit"
    c = p.conditions
    if c.segments and customer.segment not in c.segments:
        return "segment"
    if c.levels and customer.level not in c.levels:
        return "level"
    if c.first_order is not None and customer.first_order is not c.first_order:
        return "first_order"
    if c.payment_methods and canonical(ctx.payment_method) not in {canonical(m) for m in c.payment_methods}:
        return "payment_method"
    if c.channels and canonical(ctx.channel) not in {canonical(m) for m in c.channels}:
        return "channel"
    return None


def line_matches(p: Promotion, line: BasketLine, on_sale: bool) -> bool:
    c = p.conditions
    if line.product_id in c.exclude_products or (on_sale and c.exclude_sale_items):
        return False
    if not (c.products or c.categories or c.brands):
        return True
    return line.product_id in c.products or line.category_id in c.categories or line.brand_id in c.brands


def eligible(p: Promotion, work: Work) -> list[int]:
    return [i for i, line in enumerate(work.lines) if line_matches(p, line, work.on_sale[i])]


def thresholds(p: Promotion, work: Work, indexes: Sequence[int]) -> str | None:
    """min_quantity / min_subtotal on the eligible lines, on what is left at this moment."""
    c = p.conditions
    if c.min_quantity is not None and sum(work.lines[i].quantity for i in indexes) < c.min_quantity:
        return "min_quantity"
    if c.min_subtotal is not None and sum((work.left[i] for i in indexes), ZERO) < c.min_subtotal:
        return "min_subtotal"
    return None


def cap(p: Promotion, amount: Decimal) -> Decimal:
    """max_discount and budget_left cap one promotion's amount."""
    if p.action.max_discount is not None:
        amount = min(amount, p.action.max_discount)
    if p.budget_left is not None:
        amount = min(amount, money(p.budget_left))
    return max(amount, ZERO)


def _spread(p: Promotion, work: Work, indexes: Sequence[int], total: Decimal) -> dict[int, Decimal]:
    shares = allocate(cap(p, total), [work.left[i] for i in indexes])
    return {i: s for i, s in zip(indexes, shares, strict=True) if s > 0}


def _fixed(p: Promotion, work: Work, indexes: Sequence[int]) -> dict[int, Decimal]:
    value = p.action.value
    if not p.action.per_unit:
        return _spread(p, work, indexes, min(value, sum((work.left[i] for i in indexes), ZERO)))
    per_line = [min(money(value * work.lines[i].quantity), work.left[i]) for i in indexes]
    shares = allocate(cap(p, sum(per_line, ZERO)), per_line)
    return {i: s for i, s in zip(indexes, shares, strict=True) if s > 0}


def _get_lines(p: Promotion, work: Work, indexes: Sequence[int]) -> list[int]:
    a = p.action
    if not (a.get_products or a.get_categories):
        return list(indexes)
    c = p.conditions
    return [i for i, line in enumerate(work.lines)
            if (line.product_id in a.get_products or line.category_id in a.get_categories)
            and line.product_id not in c.exclude_products and not (c.exclude_sale_items and work.on_sale[i])]


def applications(a: Action, buy_units: int, get_units: int, both_units: int) -> int:
    """How many times buy X get Y applies: buy units, get units and units that may be either."""
    step = a.buy_quantity + a.get_quantity
    n = min((buy_units + both_units) // a.buy_quantity, (get_units + both_units) // a.get_quantity,
            (buy_units + get_units + both_units) // step)
    return min(n, a.max_applications) if a.max_applications is not None else n


def _buy_x_get_y(p: Promotion, work: Work, indexes: Sequence[int]) -> dict[int, Decimal]:
    a = p.action
    gets = _get_lines(p, work, indexes)
    get_set, buy_set = set(gets), set(indexes)
    units = {i: work.lines[i].quantity for i in buy_set | get_set}
    n = applications(a, sum(units[i] for i in buy_set - get_set), sum(units[i] for i in get_set - buy_set),
                     sum(units[i] for i in buy_set & get_set))
    free = n * a.get_quantity
    amounts: dict[int, Decimal] = {}
    # cheapest units first: by what one unit of the line still costs, then line order
    for i in sorted(gets, key=lambda i: (work.left[i] / units[i], i)):
        if free <= 0:
            break
        take = min(free, units[i])
        free -= take
        amount = min(money(work.left[i] * take * a.get_percent / (units[i] * HUNDRED)), work.left[i])
        if amount > 0:
            amounts[i] = amount
    total = sum(amounts.values(), ZERO)
    capped = cap(p, total)
    if capped < total:
        keys = sorted(amounts)
        amounts = dict(zip(keys, allocate(capped, [amounts[k] for k in keys]), strict=True))
    return {i: s for i, s in amounts.items() if s > 0}


def bound(p: Promotion, work: Work, indexes: Sequence[int], ctx: Context) -> Decimal:
    """The most customer benefit `p` alone can give on `work` (no less than what it gives)."""
    a = p.action
    if a.type == "free_shipping":
        return ZERO if ctx.customer.free_shipping else money(ctx.shipping_fee)
    if a.type == "gift_item":
        return ZERO
    if a.type == "bonus_fixed":
        return cap(p, a.value)
    left = sum((work.left[i] for i in indexes), ZERO)
    if a.type in ("percent_off", "bonus_percent"):
        return cap(p, money(left * a.value / HUNDRED))
    return cap(p, left)


def _merchandise(p: Promotion, work: Work, indexes: Sequence[int]) -> dict[int, Decimal]:
    kind = p.action.type
    if kind == "percent_off":
        left = sum((work.left[i] for i in indexes), ZERO)
        return _spread(p, work, indexes, money(left * p.action.value / HUNDRED))
    if kind == "fixed_off":
        return _fixed(p, work, indexes)
    if kind == "buy_x_get_y":
        return _buy_x_get_y(p, work, indexes)
    return {}


def apply_one(p: Promotion, coupon: CouponRef | None, work: Work, indexes: Sequence[int]) -> Grant | str:
    """Apply `p` on what `work` has left on its eligible lines `indexes` (mutating it); a Grant, or the
    reason it did not apply."""
    if not indexes:
        return "no_eligible_lines"
    reason = thresholds(p, work, indexes)
    if reason is not None:
        return reason
    grant = Grant(f"campaign:{p.id}", p.name, campaign_id=p.id, coupon_id=coupon.coupon_id if coupon else None)
    a = p.action
    if a.type == "free_shipping":
        grant.free_shipping = True
    elif a.type == "gift_item" and a.gift_variation_id is not None:
        grant.gift = Gift(grant.claim_key, a.gift_variation_id, a.gift_quantity)
    elif a.type == "bonus_percent":
        grant.bonus = cap(p, money(sum((work.left[i] for i in indexes), ZERO) * a.value / HUNDRED))
    elif a.type == "bonus_fixed":
        grant.bonus = cap(p, a.value)
    else:
        grant.amounts = _merchandise(p, work, indexes)
    if not grant.amounts and not grant.has_other_effect:
        return "min_quantity" if a.type == "buy_x_get_y" else "no_eligible_lines"
    for i, amount in grant.amounts.items():
        work.left[i] -= amount
    return grant


@dataclass
class Option:
    grants: list[Grant]
    failures: list[tuple[Promotion, str]]
    benefit: Decimal
    top: tuple[int, int]  # (priority, -id) of its highest-priority applied promotion


def run_option(promos: Sequence[Promotion], coupons: dict[int, CouponRef], work: Work, ctx: Context,
               scope: dict[int, list[int]]) -> Option:
    """Apply `promos` one after another (already in priority order) on a copy of `work`; `scope` holds
    each promotion's eligible lines."""
    mine = work.copy()
    grants: list[Grant] = []
    failures: list[tuple[Promotion, str]] = []
    top = (-(2**63), 0)
    for p in promos:
        result = apply_one(p, coupons.get(p.id), mine, scope[p.id])
        if isinstance(result, str):
            failures.append((p, result))
            continue
        grants.append(result)
        top = max(top, (p.priority, -p.id))
    benefit = sum((g.discount + g.bonus for g in grants), ZERO)
    if not ctx.customer.free_shipping and any(g.free_shipping for g in grants):
        benefit += money(ctx.shipping_fee)
    return Option(grants, failures, benefit, top)


def choose(options: Sequence[Option]) -> Option:
    """The largest customer benefit; ties → the option holding the highest-priority promotion."""
    best = options[0]
    for option in options[1:]:
        if (option.benefit, option.top) > (best.benefit, best.top):
            best = option
    return best
