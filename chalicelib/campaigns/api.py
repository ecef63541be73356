"""What the campaigns area publishes to other areas (issue 15).

The cart and the checkout price a basket with the shop's promotions through one object:
    for_cart(tenant_id, settings, user_id, payment_method=, channel=, shipping=, session=)
        → CartPromotions: pass it to cart.api.compute(lines, shipping=, discounts=[it]); it adds gift
          lines and waives shipping (cart totals' Effects), discounts lines to the kuruş, and
          `.summary()` says what applied and why the others did not.  In the checkout pass the
          transaction's unit of work as `session`, so the customer facts are read in it.
    claim(uow, tenant_id, order_id=, user_id=, promotions=, totals=)
        the order takes what its promotions gave: usage, budget, flash units, coupon uses, per-customer
        counters — conditional UPDATEs in the checkout's transaction; 409 promotion_unavailable /
        flash_deal_sold_out when one ran out meanwhile (the checkout rolls back, nothing is charged);
        then the customer's applied codes are cleared
    release(uow, tenant_id, order_id) → int
        the order was cancelled: every claim goes back with relative decrements (call it in the
        cancel's transaction; a second call releases nothing)
    gift_snapshots(promotions) → {variation_id: {product_id, quantity, price, vat_rate, name, ...}}
        the gift lines' catalogue data, for the order lines the checkout writes
    REWARDS_QUEUE  the queue of the orders' reward events this area consumes (bonus credit on
                   delivery: rewards_handlers.py)
Errors: PromotionUnavailable 409, FlashDealSoldOut 409.

Everything else under chalicelib/campaigns/ is private.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import FlashDealSoldOut, PromotionUnavailable
from .pricing import CartPromotions, for_cart

if TYPE_CHECKING:
    from chalicelib.cart.api import Totals
    from chalicelib.platform.db import UnitOfWork

REWARDS_QUEUE = "campaign-rewards"

__all__ = ["REWARDS_QUEUE", "CartPromotions", "FlashDealSoldOut", "PromotionUnavailable", "claim", "for_cart",
           "gift_snapshots", "release"]


def claim(uow: UnitOfWork, tenant_id: int, *, order_id: int, user_id: int | None, promotions: CartPromotions,
          totals: Totals) -> None:
    from . import claims
    from .customer_facts import forget_customer

    live = promotions.live
    # An order changes the customer's facts a promotion may look at: use counters (when one applied)
    # and "first order" (when a live promotion asks): forget them after commit.  Otherwise the cached
    # facts stay right and the next cart view reads none.
    if user_id is not None and (promotions.outcome.applied or (live is not None and "first_order" in live.needs)):
        uow.on_commit(lambda: forget_customer(tenant_id, user_id))
    if not promotions.outcome.applied:
        return
    claims.claim(uow, tenant_id, order_id=order_id, user_id=user_id, outcome=promotions.outcome,
                 order_total=totals.grand_total, shipping_discount=totals.shipping_discount, now=promotions.now,
                 promotions=live.by_id if live is not None else {}, deals=live.deals if live is not None else {})
    if user_id is not None and any(a.coupon_id is not None for a in promotions.outcome.applied):
        from .coupons_service import clear_applied

        clear_applied(uow, tenant_id, user_id)


def release(uow: UnitOfWork, tenant_id: int, order_id: int) -> int:
    from . import claims

    return claims.release(uow, tenant_id, order_id)


def gift_snapshots(promotions: CartPromotions) -> dict[int, dict[str, Any]]:
    return dict(promotions.gift_rows)
