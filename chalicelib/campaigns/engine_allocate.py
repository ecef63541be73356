"""Kuruş-exact allocation, the discount floor and the Outcome builder of the promotion engine.

Standard library only (the cart Lambda imports it).  Amounts are worked in integer kuruş here so
that spreading an order-level amount over lines is exact: every share is floor(total × w / W) and
the leftover kuruş go one each to the largest remainders (ties: the line with most weight, then
the earlier line).  A share never exceeds its weight when total ≤ Σ weights, so a line never gets
more discount than it has left.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .model import ZERO, Applied, BasketLine, Gift, LineDiscount, Outcome, Rejection, ceil_cents, money


def to_cents(amount: Decimal) -> int:
    return int(money(amount) * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` spread over `weights` in proportion, exact to the kuruş, no share above its weight.

    The caller caps `total` at Σ weights; a larger total is cut to it."""
    cents = [max(to_cents(w), 0) for w in weights]
    whole = sum(cents)
    amount = min(to_cents(total), whole)
    if amount <= 0 or whole <= 0:
        return [ZERO for _ in weights]
    shares = [amount * c // whole for c in cents]
    leftover = amount - sum(shares)
    order = sorted(range(len(cents)), key=lambda i: (-(amount * cents[i] % whole), -cents[i], i))
    for i in order[:leftover]:
        shares[i] += 1
    return [from_cents(s) for s in shares]


@dataclass
class Grant:
    """One applied flash deal or promotion while the engine works (amounts by line index)."""

    claim_key: str
    label: str
    campaign_id: int | None = None
    coupon_id: int | None = None
    flash_deal_id: int | None = None
    amounts: dict[int, Decimal] = field(default_factory=dict)
    free_shipping: bool = False
    bonus: Decimal = ZERO
    units: int = 1
    gift: Gift | None = None

    @property
    def discount(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    @property
    def has_other_effect(self) -> bool:
        return self.free_shipping or self.bonus > 0 or self.gift is not None


def floor_of(lines: Sequence[BasketLine], max_discount_percent: Decimal, min_payable: Decimal) -> Decimal:
    """F = min(L, max(ceil(L × (100 − p) / 100), min_payable)) on the list subtotal L."""
    subtotal = sum((line.gross for line in lines), ZERO)
    percent = min(max(Decimal(max_discount_percent), ZERO), Decimal(100))
    return min(subtotal, max(ceil_cents(subtotal * (100 - percent) / 100), money(min_payable)))


def apply_floor(grants: list[Grant], allowed: Decimal) -> tuple[list[Grant], list[Grant], bool]:
    """Cut the last-applied grants first until Σ discounts ≤ allowed.

    Returns (kept grants, grants dropped by the floor, capped)."""
    excess = sum((g.discount for g in grants), ZERO) - allowed
    if excess <= 0:
        return grants, [], False
    kept: list[Grant] = []
    dropped: list[Grant] = []
    for grant in reversed(grants):
        if excess > 0 and grant.discount > 0:
            cut = min(excess, grant.discount)
            excess -= cut
            _shrink(grant, grant.discount - cut)
            if not grant.amounts and not grant.has_other_effect:
                dropped.append(grant)
                continue
        kept.append(grant)
    kept.reverse()
    dropped.reverse()
    return kept, dropped, True


def _shrink(grant: Grant, new_total: Decimal) -> None:
    keys = sorted(grant.amounts)
    shares = allocate(new_total, [grant.amounts[k] for k in keys])
    grant.amounts = {k: s for k, s in zip(keys, shares, strict=True) if s > 0}


def build_outcome(lines: Sequence[BasketLine], grants: list[Grant], rejected: list[Rejection],
                  *, floor: Decimal, capped: bool, customer_free_shipping: bool) -> Outcome:
    outcome = Outcome(floor=floor, capped=capped, rejected=rejected)
    for grant in grants:
        for index in sorted(grant.amounts):
            amount = grant.amounts[index]
            if amount > 0:
                outcome.discounts.append(LineDiscount(grant.claim_key, grant.label, lines[index].variation_id, amount))
        if grant.gift is not None:
            outcome.gifts.append(grant.gift)
        outcome.bonus += grant.bonus
        outcome.applied.append(Applied(
            claim_key=grant.claim_key, label=grant.label, campaign_id=grant.campaign_id, coupon_id=grant.coupon_id,
            flash_deal_id=grant.flash_deal_id, discount=grant.discount, free_shipping=grant.free_shipping,
            bonus=grant.bonus, units=grant.units,
        ))
    outcome.free_shipping = customer_free_shipping or any(g.free_shipping for g in grants)
    return outcome
