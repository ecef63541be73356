"""The promotion engine (chalicelib/campaigns/engine.py): the stacking policy, worked by hand.

One named test per anchor failure of issue 15 (other engines' bugs we must not repeat), then the
stages one by one and the rules reader.  Every expected number is worked out in the comments.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.campaigns.engine import PromotionSet
from chalicelib.campaigns.engine_allocate import allocate
from chalicelib.campaigns.model import (
    Action,
    BasketLine,
    Conditions,
    Context,
    CouponRef,
    Customer,
    FlashDeal,
    Outcome,
    Promotion,
    parse_rules,
    rules_json,
)

D = Decimal
NOW = datetime(2026, 6, 1, 12, 0)


def promo(pid: int, type_: str, value: str = "0", *, level: str = "basket", kind: str = "promotion",
          priority: int = 0, stackable: bool = True, starts_at: datetime | None = None,
          ends_at: datetime | None = None, usage_left: int | None = None, budget_left: str | None = None,
          per_user_limit: int | None = None, **more: Any) -> Promotion:
    cond_keys = set(Conditions.__dataclass_fields__)
    cond = {k: v for k, v in more.items() if k in cond_keys}
    act = {k: v for k, v in more.items() if k not in cond_keys}
    return Promotion(
        id=pid, name=f"P{pid}", kind=kind, level=level, priority=priority, stackable=stackable,
        starts_at=starts_at, ends_at=ends_at, conditions=Conditions(**cond), action=Action(type_, D(value), **act),
        usage_left=usage_left, budget_left=None if budget_left is None else D(budget_left),
        per_user_limit=per_user_limit)


def line(variation_id: int, price: str, quantity: int = 1, *, product_id: int | None = None,
         category_id: int | None = None, brand_id: int | None = None) -> BasketLine:
    return BasketLine(variation_id, product_id or variation_id * 10, quantity, D(price), category_id, brand_id)


def ctx(**kw: Any) -> Context:
    return Context(now=NOW, **kw)


def coupon(campaign_id: int, code: str = "KOD", coupon_id: int | None = None) -> CouponRef:
    return CouponRef(coupon_id or campaign_id * 100, code, campaign_id)


def by_line(outcome: Outcome) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for d in outcome.discounts:
        out[d.variation_id] = out.get(d.variation_id, D(0)) + d.amount
    return out


def keys(outcome: Outcome) -> list[str]:
    return [a.claim_key for a in outcome.applied]


def reasons(outcome: Outcome) -> dict[str, str]:
    return {r.claim_key: r.reason for r in outcome.rejected}


def evaluate(promotions: list[Promotion], lines: list[BasketLine], context: Context | None = None,
             deals: list[FlashDeal] | None = None) -> Outcome:
    return PromotionSet(promotions, deals or []).evaluate(lines, context or ctx())


# -- anchor failures ------------------------------------------------------------------------------

def test_saleor_17453_voucher_70_on_promotion_40_compounds_to_82() -> None:
    # 100.00 line: catalogue 40 % → 60.00 left; the 70 % voucher takes 70 % of 60.00 = 42.00.
    promotions = [promo(1, "percent_off", "40", level="catalogue"),
                  promo(2, "percent_off", "70", kind="coupon")]
    out = evaluate(promotions, [line(1, "100.00")], ctx(coupons=(coupon(2, "YUZDE70"),)))
    assert out.discount_total == D("82.00")
    assert [(a.claim_key, a.discount, a.coupon_id) for a in out.applied] == [
        ("campaign:1", D("40.00"), None), ("campaign:2", D("42.00"), 200)]
    # two stackable basket percentages compound the same way, never 110 %
    both = evaluate([promo(3, "percent_off", "40", priority=2), promo(4, "percent_off", "70", priority=1)],
                    [line(1, "100.00")])
    assert both.discount_total == D("82.00") and not both.capped


def test_saleor_4082_min_spend_is_checked_on_the_discounted_amount() -> None:
    # 600.00 list, 20 % catalogue → 480.00 left < 500.00 minimum: the coupon does not apply.
    promotions = [promo(1, "percent_off", "20", level="catalogue"),
                  promo(2, "fixed_off", "50", kind="coupon", min_subtotal=D("500.00"))]
    out = evaluate(promotions, [line(1, "600.00")], ctx(coupons=(coupon(2, "ELLI"),)))
    assert keys(out) == ["campaign:1"]
    assert out.rejected[0].code == "ELLI" and reasons(out) == {"campaign:2": "min_subtotal"}
    # 700.00 → 560.00 left ≥ 500.00: 140.00 + 50.00
    out = evaluate(promotions, [line(1, "700.00")], ctx(coupons=(coupon(2, "ELLI"),)))
    assert out.discount_total == D("190.00") and keys(out) == ["campaign:1", "campaign:2"]


def test_medusa_12429_hundred_percent_line_promotion_lands_exactly_the_gross() -> None:
    # 2 × 249.99 = 499.98 at 100 %; the other line keeps L − discount = 100.00 ≥ floor 60.00 (10 % of 599.98).
    out = evaluate([promo(1, "percent_off", "100", level="catalogue", products=frozenset({10}))],
                   [line(1, "249.99", 2), line(2, "100.00")])
    assert by_line(out) == {1: D("499.98")}
    assert out.floor == D("60.00") and not out.capped


def test_medusa_12429_hundred_percent_basket_coupon_stops_at_the_floor() -> None:
    # L = 599.98; F = max(ceil(59.998) = 60.00, 1.00); a 100 % coupon is cut to L − F = 539.98 (documented).
    out = evaluate([promo(1, "percent_off", "100", kind="coupon")],
                   [line(1, "249.99", 2), line(2, "100.00")], ctx(coupons=(coupon(1),)))
    assert out.capped and out.floor == D("60.00")
    assert out.discount_total == D("539.98") and out.applied[0].discount == D("539.98")
    # with no percentage floor the min_payable still keeps the order from being free
    out = evaluate([promo(1, "percent_off", "100", kind="coupon")], [line(1, "80.00")],
                   ctx(coupons=(coupon(1),), max_discount_percent=D("100")))
    assert out.discount_total == D("79.00") and out.floor == D("1.00")


def test_medusa_13129_allocation_only_eligible_lines_exact_kurus() -> None:
    # 10.00 over three eligible 33.33 lines: 1000 kuruş × 3333 / 9999 = 333 each, 1 kuruş left over,
    # equal remainders and weights → the first line; the ineligible line gets nothing.
    out = evaluate([promo(1, "fixed_off", "10.00", brands=frozenset({7}))],
                   [line(1, "33.33", brand_id=7), line(2, "33.33", brand_id=7), line(3, "33.33", brand_id=7),
                    line(4, "500.00", brand_id=8)])
    assert by_line(out) == {1: D("3.34"), 2: D("3.33"), 3: D("3.33")}
    assert out.applied[0].discount == D("10.00") == out.discount_total


def test_allocation_remainder_goes_to_largest_remainder_and_never_above_what_is_left() -> None:
    # 10.00 over 1.00 / 2.00 / 7.00: exact shares, nothing left over
    assert allocate(D("10.00"), [D("1.00"), D("2.00"), D("7.00")]) == [D("1.00"), D("2.00"), D("7.00")]
    # 1.00 over 3 × 0.01 + 1.00: shares capped by weight, total exact
    shares = allocate(D("1.00"), [D("0.01"), D("0.01"), D("0.01"), D("1.00")])
    assert sum(shares) == D("1.00") and all(s <= w for s, w in zip(shares, [D("0.01")] * 3 + [D("1")], strict=True))
    # 0.05 over 0.10 and 0.20: 5 × 10 / 30 = 1.67 → 1 + remainder; 5 × 20 / 30 = 3.33 → 3; leftover 1 → line 0
    assert allocate(D("0.05"), [D("0.10"), D("0.20")]) == [D("0.02"), D("0.03")]
    assert allocate(D("5.00"), [D("1.00"), D("2.00")]) == [D("1.00"), D("2.00")]  # cut to Σ weights
    # one kuruş over 1.00 and 2.00: remainders 100 and 200 (of 300) → the line with most left
    assert allocate(D("0.01"), [D("1.00"), D("2.00")]) == [D("0.00"), D("0.01")]


def test_medusa_13431_buy_x_get_y_same_set_cheapest_units() -> None:
    # buy 2 get 1 over 100.00, 50.00, 30.00: 3 units → 1 application → the 30.00 unit is free
    p = promo(1, "buy_x_get_y", buy_quantity=2, get_quantity=1)
    out = evaluate([p], [line(1, "100.00"), line(2, "50.00"), line(3, "30.00")])
    assert by_line(out) == {3: D("30.00")}
    # exactly at the threshold with one line of 3 units: one unit of 40.00 free
    assert by_line(evaluate([p], [line(1, "40.00", 3)])) == {1: D("40.00")}
    # one unit short: nothing, rejected min_quantity
    short = evaluate([p], [line(1, "40.00", 2)])
    assert short.discounts == [] and reasons(short) == {"campaign:1": "min_quantity"}


def test_medusa_13431_buy_x_get_y_max_applications_and_get_percent() -> None:
    # 9 units of 20.00 → 3 applications, capped at 2 → 2 units at 50 % = 20.00
    p = promo(1, "buy_x_get_y", buy_quantity=2, get_quantity=1, max_applications=2, get_percent=D("50"))
    out = evaluate([p], [line(1, "20.00", 9)])
    assert out.discount_total == D("20.00")


def test_medusa_13431_buy_x_get_y_distinct_sets() -> None:
    # buy 2 of product 10, get 1 of product 20 free: 4 × A and 3 × B (15.00) → min(4 // 2, 3 // 1) = 2
    p = promo(1, "buy_x_get_y", products=frozenset({10}), buy_quantity=2, get_quantity=1,
              get_products=frozenset({20}))
    out = evaluate([p], [line(1, "80.00", 4), line(2, "15.00", 3)])
    assert by_line(out) == {2: D("30.00")}
    # only 1 × A: no application
    assert evaluate([p], [line(1, "80.00"), line(2, "15.00", 3)]).discounts == []
    # the get units are the cheapest ones of the get set: two B variations 15.00 and 9.00
    p2 = promo(1, "buy_x_get_y", products=frozenset({10}), buy_quantity=2, get_quantity=1,
               get_categories=frozenset({5}))
    out = evaluate([p2], [line(1, "80.00", 2), line(2, "15.00", category_id=5), line(3, "9.00", category_id=5)])
    assert by_line(out) == {3: D("9.00")}


def test_vendure_2385_discounts_never_make_a_negative_total() -> None:
    # 120.00 basket: catalogue 5.00 a unit (10.00), then 100.00 and 10.00 off what is left = 120.00 in all;
    # the floor 12.00 cuts 12.00: the last-applied 10.00 goes entirely, the 100.00 becomes 98.00
    promotions = [promo(1, "fixed_off", "100", priority=3), promo(2, "fixed_off", "10", priority=2),
                  promo(3, "fixed_off", "5", priority=1, level="catalogue")]
    lines = [line(1, "70.00"), line(2, "50.00")]
    out = evaluate(promotions, lines)
    assert out.floor == D("12.00") and out.capped
    assert D("120.00") - out.discount_total == D("12.00")
    assert all(d.amount > 0 for d in out.discounts)
    assert sum(a.discount for a in out.applied) == out.discount_total
    # the last-applied basket promotion (lowest priority) was cut away first: dropped and rejected "floor"
    assert reasons(out) == {"campaign:2": "floor"} and keys(out) == ["campaign:3", "campaign:1"]
    assert [a.discount for a in out.applied] == [D("10.00"), D("98.00")]
    # a single 500.00 off a 120.00 basket: taken only up to what the floor leaves
    alone = evaluate([promo(1, "fixed_off", "500")], lines)
    assert alone.discount_total == D("108.00") and alone.capped


def test_medusa_15360_no_duplicate_adjustments_and_same_result_twice() -> None:
    promotions = [promo(1, "percent_off", "10", level="catalogue"), promo(2, "fixed_off", "15", kind="coupon"),
                  promo(3, "free_shipping")]
    pset = PromotionSet(promotions, [])
    lines = [line(1, "40.00", 2), line(2, "60.00"), line(3, "25.50", 3)]
    context = ctx(coupons=(coupon(2, "ONBES"), coupon(2, "ONBES")), shipping_fee=D("49.90"))
    first, second = pset.evaluate(lines, context), pset.evaluate(lines, context)
    assert first == second
    assert sorted(keys(first)) == ["campaign:1", "campaign:2", "campaign:3"]
    # one LineDiscount per (promotion, line), one Applied per promotion
    pairs = [(d.claim_key, d.variation_id) for d in first.discounts]
    assert len(pairs) == len(set(pairs))


# -- stage 1: flash deals ---------------------------------------------------------------------------

def deal(did: int, price: str, *, product_id: int = 10, variation_id: int | None = None, starts: int = -60,
         ends: int = 60, units_left: int | None = None, per_user_limit: int | None = None) -> FlashDeal:
    return FlashDeal(did, product_id, variation_id, D(price), NOW + timedelta(minutes=starts),
                     NOW + timedelta(minutes=ends), units_left, per_user_limit, f"Deal {did}")


def test_flash_lowest_open_deal_wins_and_blocks_catalogue() -> None:
    deals = [deal(1, "80.00"), deal(2, "70.00", variation_id=1), deal(3, "10.00", starts=5)]
    out = evaluate([promo(9, "percent_off", "50", level="catalogue")], [line(1, "100.00", 2)], deals=deals)
    assert keys(out) == ["flash:2"] and out.applied[0].units == 2 and out.applied[0].flash_deal_id == 2
    assert out.discount_total == D("60.00")
    # with 10 minutes' early access the 10.00 deal opening in 5 minutes is open for this customer
    early = evaluate([], [line(1, "100.00")], ctx(customer=Customer(early_access_minutes=10)), deals=deals)
    assert keys(early) == ["flash:3"] and early.discount_total == D("90.00")


def test_flash_units_left_and_per_customer_limit_shared_across_lines() -> None:
    deals = [deal(1, "50.00", units_left=3, per_user_limit=5)]
    out = evaluate([], [line(1, "100.00", 2, product_id=10), line(2, "100.00", 2, product_id=10)], deals=deals)
    assert out.applied[0].units == 3 and out.discount_total == D("150.00")
    bought = ctx(customer=Customer(user_id=1, uses={("flash", 1): 4}))
    out = evaluate([], [line(1, "100.00", 2, product_id=10)], bought, deals=deals)
    assert out.applied[0].units == 1 and out.discount_total == D("50.00")
    done = ctx(customer=Customer(user_id=1, uses={("flash", 1): 5}))
    out = evaluate([], [line(1, "100.00", 2, product_id=10)], done, deals=deals)
    assert out.applied == [] and reasons(out) == {"flash:1": "per_customer_limit"}
    gone = evaluate([], [line(1, "100.00")], deals=[deal(1, "50.00", units_left=0)])
    assert reasons(gone) == {"flash:1": "exhausted"}


def test_exclude_sale_items_skips_flash_lines() -> None:
    p = promo(1, "percent_off", "10", exclude_sale_items=True)
    out = evaluate([p], [line(1, "100.00"), line(2, "200.00")], deals=[deal(1, "90.00")])
    assert by_line(out) == {1: D("10.00"), 2: D("20.00")}
    assert [d.claim_key for d in out.discounts] == ["flash:1", "campaign:1"]


# -- stage 2: catalogue ---------------------------------------------------------------------------

def test_catalogue_best_single_promotion_per_line_with_ties_by_priority() -> None:
    promotions = [promo(1, "percent_off", "10", level="catalogue"),
                  promo(2, "fixed_off", "15", level="catalogue", products=frozenset({20})),
                  promo(3, "percent_off", "10", level="catalogue", priority=5, categories=frozenset({4}))]
    out = evaluate(promotions, [line(1, "100.00", category_id=4), line(2, "100.00"), line(3, "100.00")])
    # line 1: 10 % by 1 and 3 tie → priority 5 wins; line 2: 15.00 per unit > 10.00; line 3: only promotion 1
    assert sorted((d.claim_key, d.variation_id, d.amount) for d in out.discounts) == [
        ("campaign:1", 3, D("10.00")), ("campaign:2", 2, D("15.00")), ("campaign:3", 1, D("10.00"))]
    # applied in priority order: 3 (priority 5), then 1 and 2 by id
    assert keys(out) == ["campaign:3", "campaign:1", "campaign:2"]


def test_catalogue_max_discount_caps_over_all_lines() -> None:
    p = promo(1, "percent_off", "50", level="catalogue", max_discount=D("60.00"))
    out = evaluate([p], [line(1, "100.00"), line(2, "100.00")])
    assert by_line(out) == {1: D("50.00"), 2: D("10.00")}


# -- stage 3: basket --------------------------------------------------------------------------------

def test_exclusive_wins_over_stack_when_larger_and_losers_are_not_combinable() -> None:
    promotions = [promo(1, "percent_off", "10", priority=5), promo(2, "percent_off", "5", priority=4),
                  promo(3, "fixed_off", "30", stackable=False), promo(4, "fixed_off", "10", stackable=False)]
    out = evaluate(promotions, [line(1, "200.00")])
    # S: 20.00 then 5 % of 180.00 = 9.00 → 29.00 < E3 = 30.00
    assert keys(out) == ["campaign:3"] and out.discount_total == D("30.00")
    assert reasons(out) == {"campaign:1": "not_combinable", "campaign:2": "not_combinable",
                            "campaign:4": "not_combinable"}


def test_free_shipping_counts_the_shipping_fee_in_the_benefit() -> None:
    promotions = [promo(1, "free_shipping", stackable=False), promo(2, "fixed_off", "20", stackable=False)]
    out = evaluate(promotions, [line(1, "100.00")], ctx(shipping_fee=D("29.90")))
    assert keys(out) == ["campaign:1"] and out.free_shipping and out.discount_total == 0
    # a customer who ships free anyway gains nothing from it: the 20.00 wins
    out = evaluate(promotions, [line(1, "100.00")], ctx(shipping_fee=D("29.90"),
                                                         customer=Customer(free_shipping=True)))
    assert keys(out) == ["campaign:2"] and out.free_shipping


def test_tie_goes_to_the_highest_priority_option() -> None:
    promotions = [promo(1, "fixed_off", "10", stackable=False, priority=1),
                  promo(2, "fixed_off", "10", stackable=False, priority=3)]
    assert keys(evaluate(promotions, [line(1, "100.00")])) == ["campaign:2"]


def test_gates_window_usage_budget_limit_and_customer_conditions() -> None:
    lines = [line(1, "100.00")]
    assert evaluate([promo(1, "percent_off", "10", ends_at=NOW)], lines).applied == []
    assert evaluate([promo(1, "percent_off", "10", starts_at=NOW + timedelta(seconds=1))], lines).applied == []
    assert keys(evaluate([promo(1, "percent_off", "10", starts_at=NOW)], lines)) == ["campaign:1"]
    out = evaluate([promo(1, "percent_off", "10", usage_left=0), promo(2, "percent_off", "10", budget_left="0"),
                    promo(3, "percent_off", "10", per_user_limit=1)],
                   lines, ctx(customer=Customer(user_id=5, uses={("campaign", 3): 1})))
    assert out.applied == [] and reasons(out) == {
        "campaign:1": "exhausted", "campaign:2": "budget_exhausted", "campaign:3": "per_customer_limit"}
    gated = [promo(1, "percent_off", "10", segments=frozenset({"champions"})),
             promo(2, "percent_off", "10", levels=frozenset({"gold"})),
             promo(3, "percent_off", "10", first_order=True),
             promo(4, "percent_off", "10", payment_methods=frozenset({"bank_transfer"})),
             promo(5, "percent_off", "10", channels=frozenset({"app"}))]
    nobody = evaluate(gated, lines, ctx(payment_method="card", channel="web"))
    assert nobody.applied == [] and reasons(nobody) == {"campaign:4": "payment_method", "campaign:5": "channel"}
    fits = ctx(payment_method="eft", channel="mobile",
               customer=Customer(user_id=1, segment="champions", level="gold", first_order=True))
    assert sorted(keys(evaluate(gated, lines, fits))) == [f"campaign:{i}" for i in range(1, 6)]


def test_coupon_campaigns_apply_only_with_their_code() -> None:
    promotions = [promo(1, "fixed_off", "10", kind="coupon"), promo(2, "fixed_off", "5", kind="wheel"),
                  promo(3, "fixed_off", "7", kind="offer")]
    assert evaluate(promotions, [line(1, "100.00")]).applied == []
    out = evaluate(promotions, [line(1, "100.00")], ctx(coupons=(coupon(3, "TEKLIF"),)))
    assert [(a.claim_key, a.coupon_id) for a in out.applied] == [("campaign:3", 300)]
    late = evaluate([promo(1, "fixed_off", "10", kind="coupon", ends_at=NOW)], [line(1, "100.00")],
                    ctx(coupons=(coupon(1, "GEC"),)))
    assert [(r.code, r.reason) for r in late.rejected] == [("GEC", "ended")]


def test_budget_and_max_discount_cap_a_basket_promotion() -> None:
    out = evaluate([promo(1, "percent_off", "50", max_discount=D("40.00")),
                    promo(2, "fixed_off", "30", budget_left="12.50")], [line(1, "100.00"), line(2, "100.00")])
    assert [a.discount for a in out.applied] == [D("40.00"), D("12.50")]


def test_per_unit_fixed_off_and_gift_and_bonus() -> None:
    promotions = [promo(1, "fixed_off", "3", per_unit=True, products=frozenset({10})),
                  promo(2, "gift_item", gift_variation_id=55, gift_quantity=2),
                  promo(3, "bonus_percent", "5"), promo(4, "bonus_fixed", "7.5")]
    out = evaluate(promotions, [line(1, "10.00", 4), line(2, "2.00", 1)])
    # 3.00 × 4 units = 12.00 on line 1; bonus 5 % of what is left (28.00 + 2.00 = 30.00) = 1.50, + 7.50
    assert by_line(out) == {1: D("12.00")}
    assert [(g.variation_id, g.quantity) for g in out.gifts] == [(55, 2)]
    assert out.bonus == D("9.00")


def test_with_promotion_replaces_or_adds_for_preview() -> None:
    base = PromotionSet([promo(1, "percent_off", "10")], [])
    assert base.evaluate([line(1, "100.00")], ctx()).discount_total == D("10.00")
    assert base.with_promotion(promo(1, "percent_off", "20")).evaluate([line(1, "100.00")], ctx()).discount_total \
        == D("20.00")
    assert base.with_promotion(promo(2, "fixed_off", "5")).evaluate([line(1, "100.00")], ctx()).discount_total \
        == D("15.00")
    assert base.evaluate([line(1, "100.00")], ctx()).discount_total == D("10.00")


def test_empty_basket_and_tiny_basket() -> None:
    out = evaluate([promo(1, "percent_off", "50")], [])
    assert out.discounts == [] and out.floor == 0
    # 0.50 basket below min_payable: F = L, nothing may be taken off
    tiny = evaluate([promo(1, "percent_off", "50")], [line(1, "0.50")])
    assert tiny.discounts == [] and tiny.floor == D("0.50") and reasons(tiny) == {"campaign:1": "floor"}


# -- rules JSON ---------------------------------------------------------------------------------------

def test_parse_rules_round_trip() -> None:
    rules = {"level": "basket",
             "conditions": {"segments": ["champions"], "min_subtotal": "500", "min_quantity": 2,
                            "categories": [4, 2], "exclude_sale_items": True, "payment_methods": ["card"],
                            "first_order": None, "brands": []},
             "action": {"type": "percent_off", "value": "12.5", "max_discount": 200}}
    level, conditions, action = parse_rules(rules)
    assert level == "basket" and conditions.min_subtotal == D("500.00") and conditions.categories == {2, 4}
    assert action.value == D("12.50") and action.max_discount == D("200.00")
    assert parse_rules(rules_json(level, conditions, action)) == (level, conditions, action)
    catalogue = parse_rules({"level": "catalogue", "action": {"type": "fixed_off", "value": "5"}})
    assert catalogue[2].per_unit is True
    assert parse_rules({"action": {"type": "free_shipping"}})[0] == "basket"


@pytest.mark.parametrize("rules", [
    None, [], {"action": None}, {"action": {"type": "nope"}}, {"level": "x", "action": {"type": "free_shipping"}},
    {"level": "catalogue", "action": {"type": "free_shipping"}},
    {"action": {"type": "percent_off", "value": "0"}}, {"action": {"type": "percent_off", "value": "100.01"}},
    {"action": {"type": "percent_off", "value": "NaN"}}, {"action": {"type": "percent_off", "value": True}},
    {"action": {"type": "fixed_off", "value": "-1"}}, {"action": {"type": "fixed_off", "value": "1e20"}},
    {"action": {"type": "gift_item"}}, {"action": {"type": "buy_x_get_y", "buy_quantity": 2}},
    {"action": {"type": "free_shipping", "surprise": 1}},
    {"action": {"type": "free_shipping"}, "conditions": {"products": ["1"]}},
    {"action": {"type": "free_shipping"}, "conditions": {"products": [0]}},
    {"action": {"type": "free_shipping"}, "conditions": {"channels": ["fax"]}},
    {"action": {"type": "free_shipping"}, "conditions": {"first_order": "yes"}},
    {"action": {"type": "free_shipping"}, "conditions": {"segments": [" "]}},
    {"action": {"type": "free_shipping"}, "conditions": "x"},
    {"action": {"type": "fixed_off", "value": "5", "max_discount": "0"}},
])
def test_parse_rules_rejects_malformed(rules: Any) -> None:
    with pytest.raises(ValueError):
        parse_rules(rules)
