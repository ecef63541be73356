"""totals.compute: the one place cart and order totals come from (VAT-inclusive Turkish prices).

Numbers are worked by hand in the comments: VAT inside a gross amount is gross - gross / (1 + rate/100),
rounded half-up to kuruş per line, and totals are sums of rounded lines."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from chalicelib.cart.totals import Adjustment, Line, ShippingMethod, compute, money, vat_inside

D = Decimal
STANDARD = ShippingMethod("standard", "Standart Kargo", D("49.90"), D("750.00"), 2, 4)
EXPRESS = ShippingMethod("express", "Hızlı Kargo", D("99.90"), None, 1, 2)


def line(variation_id: int, price: str, quantity: int = 1, rate: str = "20.00") -> Line:
    return Line(variation_id, variation_id * 10, quantity, D(price), D(rate))


@dataclass
class FakeDiscount:
    """A campaign stand-in: hands back fixed adjustments and records what it was shown."""

    adjustments_: list[Adjustment]
    seen: list[tuple[int, Decimal]] = field(default_factory=list)

    def adjustments(self, lines: Sequence[Line], subtotal: Decimal) -> list[Adjustment]:
        self.seen.append((len(lines), subtotal))
        return list(self.adjustments_)


def order_off(amount: str, code: str = "coupon:KAMP") -> FakeDiscount:
    return FakeDiscount([Adjustment(code, code, D(amount))])


def line_off(variation_id: int, amount: str) -> FakeDiscount:
    return FakeDiscount([Adjustment(f"flash:{variation_id}", "Flaş", D(amount), variation_id)])


def assert_adds_up(totals) -> None:
    """What an invoice needs: lines add up to the totals, bases + VAT to the grand total."""
    assert sum((ln.line_total for ln in totals.lines), D(0)) == totals.subtotal - totals.discount_total
    assert sum((ln.discount_amount for ln in totals.lines), D(0)) == totals.discount_total
    assert totals.grand_total == totals.subtotal - totals.discount_total + totals.shipping_total
    parts = totals.vat_breakdown.values()
    assert sum((p["vat"] for p in parts), D(0)) == totals.vat_total
    assert sum((p["base"] + p["vat"] for p in parts), D(0)) == totals.grand_total


# -- VAT inside a VAT-inclusive amount ------------------------------------------------------------
@pytest.mark.parametrize(("gross", "rate", "vat"), [
    ("120.00", "20", "20.00"),
    ("110.00", "10", "10.00"),
    ("101.00", "1", "1.00"),
    ("100.00", "20", "16.67"),  # 16.6666…
    ("100.00", "10", "9.09"),  # 9.0909…
    ("100.00", "1", "0.99"),  # 0.990099…
    ("0.05", "20", "0.01"),  # 0.008333… rounds up, half-up
    ("0.02", "20", "0.00"),  # 0.00333…
    ("100.00", "0", "0.00"),
    ("0.00", "20", "0.00"),
])
def test_vat_inside_back_calculates_per_rate(gross, rate, vat):
    assert vat_inside(D(gross), D(rate)) == D(vat)


def test_money_rounds_half_up_to_kurus():
    assert (money("2.345"), money("2.344"), money("-2.345"), money(D("10"))) == (
        D("2.35"), D("2.34"), D("-2.35"), D("10.00"))


def test_lines_of_several_rates_each_carry_their_own_vat():
    totals = compute([line(1, "100.00"), line(2, "50.00", 2, rate="10.00"), line(3, "101.00", rate="1.00")])
    assert [(ln.line_total, ln.vat_amount) for ln in totals.lines] == [
        (D("100.00"), D("16.67")), (D("100.00"), D("9.09")), (D("101.00"), D("1.00"))]
    assert totals.vat_breakdown == {
        "20.00": {"base": D("83.33"), "vat": D("16.67")},
        "10.00": {"base": D("90.91"), "vat": D("9.09")},
        "1.00": {"base": D("100.00"), "vat": D("1.00")},
    }
    assert (totals.subtotal, totals.vat_total, totals.grand_total, totals.item_count) == (
        D("301.00"), D("26.76"), D("301.00"), 4)
    assert totals.shipping_method is None and totals.shipping_total == D("0.00")
    assert_adds_up(totals)


def test_vat_is_rounded_per_line_so_lines_add_up_to_the_total():
    # Three 10.00 lines: 1.6666… each → 1.67 each → 5.01 in total, where 30.00 at once would be 5.00.
    # The invoice shows lines, so the total is their sum (5.01), never a separately rounded 5.00.
    totals = compute([line(1, "10.00"), line(2, "10.00"), line(3, "10.00")])
    assert [ln.vat_amount for ln in totals.lines] == [D("1.67")] * 3
    assert totals.vat_total == D("5.01")
    assert totals.vat_breakdown == {"20.00": {"base": D("24.99"), "vat": D("5.01")}}
    assert_adds_up(totals)


def test_quantity_times_price_is_the_line_gross():
    totals = compute([line(1, "3499.90", 3)])
    assert (totals.lines[0].line_total, totals.lines[0].vat_amount) == (D("10499.70"), D("1749.95"))
    assert_adds_up(totals)


# -- discounts --------------------------------------------------------------------------------------
def test_an_order_discount_is_spread_by_line_value():
    discount = order_off("30.00")
    totals = compute([line(1, "100.00"), line(2, "50.00")], discounts=[discount])
    assert discount.seen == [(2, D("150.00"))]
    assert [ln.discount_amount for ln in totals.lines] == [D("20.00"), D("10.00")]
    assert [ln.line_total for ln in totals.lines] == [D("80.00"), D("40.00")]
    # The VAT base shrinks with the discount: 80 → 13.33, 40 → 6.67.
    assert [ln.vat_amount for ln in totals.lines] == [D("13.33"), D("6.67")]
    assert (totals.discount_total, totals.grand_total) == (D("30.00"), D("120.00"))
    assert [(a.code, a.amount) for a in totals.discounts] == [("coupon:KAMP", D("30.00"))]
    assert_adds_up(totals)


def test_the_rounding_remainder_of_a_spread_lands_on_one_line():
    # 10.00 over three equal lines: 3.33 × 3 = 9.99, the remaining kuruş goes to the largest (first).
    totals = compute([line(1, "10.00"), line(2, "10.00"), line(3, "10.00")], discounts=[order_off("10.00")])
    assert [ln.discount_amount for ln in totals.lines] == [D("3.34"), D("3.33"), D("3.33")]
    assert totals.discount_total == D("10.00")
    assert_adds_up(totals)


def test_discounts_are_capped_at_the_merchandise_and_never_eat_shipping():
    totals = compute([line(1, "100.00"), line(2, "50.00")], shipping=EXPRESS, discounts=[order_off("500.00")])
    assert [ln.line_total for ln in totals.lines] == [D("0.00"), D("0.00")]
    assert (totals.discount_total, totals.shipping_total, totals.grand_total) == (D("150.00"), D("99.90"), D("99.90"))
    assert [a.amount for a in totals.discounts] == [D("150.00")]
    # Only the shipping's VAT is left: 99.90 → 16.65.
    assert totals.vat_breakdown == {"20.00": {"base": D("83.25"), "vat": D("16.65")}}
    assert_adds_up(totals)


def test_later_discounts_get_only_what_is_left():
    totals = compute([line(1, "100.00"), line(2, "50.00")],
                     discounts=[order_off("100.00", "coupon:A"), order_off("100.00", "coupon:B"), order_off("5.00", "c:C")])
    assert [(a.code, a.amount) for a in totals.discounts] == [("coupon:A", D("100.00")), ("coupon:B", D("50.00"))]
    assert totals.discount_total == D("150.00") and totals.grand_total == D("0.00")
    assert_adds_up(totals)


def test_zero_and_negative_adjustments_are_ignored():
    totals = compute([line(1, "100.00")], discounts=[order_off("0.00"), order_off("-5.00")])
    assert totals.discounts == [] and totals.discount_total == D("0.00")


def test_a_line_discount_stays_on_its_line_and_within_it():
    totals = compute([line(1, "100.00"), line(2, "50.00")], discounts=[line_off(2, "15.00")])
    assert [ln.discount_amount for ln in totals.lines] == [D("0.00"), D("15.00")]
    assert [ln.vat_amount for ln in totals.lines] == [D("16.67"), D("5.83")]  # 35.00 → 5.8333…
    assert_adds_up(totals)

    capped = compute([line(1, "100.00"), line(2, "50.00")], discounts=[line_off(2, "80.00")])
    assert [ln.line_total for ln in capped.lines] == [D("100.00"), D("0.00")]
    assert capped.discount_total == D("50.00")
    assert_adds_up(capped)


def test_an_order_discount_after_a_line_discount_spreads_over_what_is_left():
    totals = compute([line(1, "100.00"), line(2, "100.00")], discounts=[line_off(1, "50.00"), order_off("30.00")])
    # Open amounts 50 and 100 → the 30 splits 10 / 20.
    assert [ln.discount_amount for ln in totals.lines] == [D("60.00"), D("20.00")]
    assert totals.discount_total == D("80.00")
    assert_adds_up(totals)


# -- shipping ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("price", "discount", "fee"), [
    ("800.00", None, "0.00"),  # over the threshold
    ("750.00", None, "0.00"),  # at it: free
    ("749.99", None, "49.90"),
    ("800.00", "100.00", "49.90"),  # the threshold counts the discounted amount (700)
    ("800.00", "50.00", "0.00"),  # 750 after the discount
])
def test_free_shipping_is_decided_on_the_discounted_amount(price, discount, fee):
    discounts = [order_off(discount)] if discount else []
    totals = compute([line(1, price)], shipping=STANDARD, discounts=discounts)
    assert (totals.shipping_total, totals.shipping_method) == (D(fee), "standard")
    assert_adds_up(totals)


def test_shipping_carries_20_percent_vat_whatever_the_goods_rate():
    totals = compute([line(1, "100.00", rate="10.00")], shipping=STANDARD)
    # 100 at 10 % → 9.09; shipping 49.90 at 20 % → 8.3166… → 8.32.
    assert totals.vat_breakdown == {"10.00": {"base": D("90.91"), "vat": D("9.09")},
                                    "20.00": {"base": D("41.58"), "vat": D("8.32")}}
    assert (totals.vat_total, totals.grand_total) == (D("17.41"), D("149.90"))
    assert_adds_up(totals)


def test_shipping_vat_joins_goods_at_the_same_rate():
    totals = compute([line(1, "100.00")], shipping=STANDARD)
    assert totals.vat_breakdown == {"20.00": {"base": D("124.91"), "vat": D("24.99")}}
    assert_adds_up(totals)


def test_an_empty_cart_pays_no_shipping():
    totals = compute([], shipping=EXPRESS)
    assert (totals.subtotal, totals.shipping_total, totals.grand_total, totals.vat_breakdown, totals.item_count) == (
        D("0.00"), D("0.00"), D("0.00"), {}, 0)
    assert totals.shipping_method == "express"


def test_as_dict_is_what_the_api_shows():
    totals = compute([line(1, "100.00")], shipping=STANDARD, discounts=[order_off("10.00")])
    assert totals.as_dict() == {
        "subtotal": D("100.00"), "discount_total": D("10.00"), "shipping_total": D("49.90"),
        "vat_total": D("23.32"), "grand_total": D("139.90"), "item_count": 1, "shipping_method": "standard",
        "discounts": [{"code": "coupon:KAMP", "label": "coupon:KAMP", "amount": D("10.00")}],
        "shipping_discount": D("0.00"),
        # 90 → 15.00 VAT; 49.90 → 8.32
        "vat_breakdown": {"20.00": {"base": D("116.58"), "vat": D("23.32")}},
    }


def test_one_discount_spread_over_lines_is_one_entry_and_a_waiver_frees_shipping():
    """A promotion landing on three lines shows once, with the sum; Effects add a gift line and waive
    the shipping fee (what campaigns.api's CartPromotions does), outside discount_total."""
    from chalicelib.cart.totals import Adjustment, Effects, Line

    class Promo:
        def effects(self, lines):
            return Effects(gifts=(Line(9, 9, 1, D("40.00"), D("20.00"), gift=True),),
                           free_shipping=Adjustment("campaign:2", "Kargo", D("0")))

        def adjustments(self, lines, subtotal):
            return [Adjustment("campaign:1", "Kış", D("1.00"), 1), Adjustment("campaign:1", "Kış", D("2.00"), 2),
                    Adjustment("campaign:3", "Hediye", D("40.00"), 9)]

    totals = compute([line(1, "100.00"), line(2, "50.00")], shipping=STANDARD, discounts=[Promo()])
    assert totals.as_dict()["discounts"] == [{"code": "campaign:1", "label": "Kış", "amount": D("3.00")},
                                             {"code": "campaign:3", "label": "Hediye", "amount": D("40.00")}]
    assert totals.subtotal == D("190.00") and totals.discount_total == D("43.00")
    assert totals.shipping_total == D("0.00") and totals.shipping_discount == D("49.90")
    assert totals.grand_total == D("147.00")
    assert [(t.variation_id, t.gift, t.line_total) for t in totals.lines][-1] == (9, True, D("0.00"))
