"""What an order takes from its promotions, claimed in the checkout's transaction and given back on
cancel (issue 15: usage and budgets claimed atomically, released without losing concurrent updates).

claim(): for each Applied of the engine's outcome, in one fixed order (flash deals, campaigns,
coupons, each by id) so two checkouts never wait on each other in a cycle:
    flash deal   UPDATE ... sold_count = sold_count + units  WHERE the deal is live AND the cap holds
    campaign     only when it has a usage limit or a budget (an unlimited campaign's row is never
                 touched: no hot row for the popular promotion):
                 UPDATE ... used_count + 1, spent_amount + discount WHERE status active AND both hold
    coupon       UPDATE ... used_count + 1 WHERE active, in its window, its owner's, the limit holds
    per customer campaign_customer_uses: the row is made if missing, then
                 UPDATE ... uses = uses + n WHERE uses + n <= the limit
A refused UPDATE (0 rows) is a 409 and the checkout's whole transaction rolls back: nothing was
promised, no payment was taken (saleor PR #15855 claimed usage after payment and had to refund).
The CHECK constraints of 0018 hold the same limits in the database itself.  One
campaign_redemptions row per claim (UNIQUE per order and claim key: a claim cannot be doubled).

release(): the order's claimed redemptions, each flipped claimed → released by a conditional
UPDATE (only one release can win), then every counter goes down by a RELATIVE decrement
(`used_count = used_count - 1`), never by writing back a value read earlier, so a checkout
claiming at the same moment keeps its increment (medusa #16595 lost one that way).

A claim that used up a limit, and any release, bump the tenant's campaigns version after commit
(active.invalidate), so cart views stop (or start again) offering the promotion at once.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import Session, UnitOfWork
from chalicelib.platform.sql import BY_ID

from . import active
from .errors import FlashDealSoldOut, PromotionUnavailable
from .model import Applied, FlashDeal, Outcome, Promotion


def claim(uow: UnitOfWork, tenant_id: int, *, order_id: int, user_id: int | None, outcome: Outcome,
          order_total: Decimal, shipping_discount: Decimal, now: dt.datetime,
          promotions: Mapping[int, Promotion], deals: Mapping[int, FlashDeal]) -> list[Applied]:
    """Claim every Applied of `outcome` for the order (see the module docstring); returns them."""
    applied = sorted(outcome.applied, key=_claim_order)
    used_up = False
    for item in applied:
        if item.flash_deal_id is not None:
            used_up |= _claim_flash(uow, tenant_id, item, user_id, now, deals.get(item.flash_deal_id))
            continue
        if item.campaign_id is not None:
            used_up |= _claim_campaign(uow, tenant_id, item, user_id, promotions.get(item.campaign_id))
        if item.coupon_id is not None:
            used_up |= _claim_coupon(uow, tenant_id, item, user_id, now)
    if applied:
        _record(uow, tenant_id, order_id, user_id, applied, order_total, shipping_discount)
    if used_up:
        uow.on_commit(lambda: active.invalidate(tenant_id))
    return applied


def release(uow: UnitOfWork, tenant_id: int, order_id: int) -> int:
    """Give back what the order claimed (its cancel); returns how many claims were released.  A
    second call for the same order releases nothing."""
    rows = uow.all("""SELECT id, user_id, campaign_id, coupon_id, flash_deal_id, quantity, discount_amount
                        FROM campaign_redemptions
                       WHERE tenant_id = %s AND order_id = %s AND status = 'claimed' ORDER BY id FOR UPDATE""",
                   (tenant_id, order_id))
    released = 0
    for user_id in sorted({int(row["user_id"]) for row in rows if row["user_id"] is not None}):
        uow.on_commit(functools.partial(_forget, tenant_id, user_id))
    for row in rows:
        if not uow.execute(f"""UPDATE campaign_redemptions {BY_ID} SET status = 'released', released_at = UTC_TIMESTAMP(6)
                               WHERE tenant_id = %s AND id = %s AND status = 'claimed'""", (tenant_id, row["id"])):
            continue
        released += 1
        _give_back(uow, tenant_id, row)
    if released:
        uow.on_commit(lambda: active.invalidate(tenant_id))
    return released


def _forget(tenant_id: int, user_id: int) -> None:
    from .customer_facts import forget_customer

    forget_customer(tenant_id, user_id)


# -- claiming ---------------------------------------------------------------------------------
def _claim_order(item: Applied) -> tuple[int, int, int]:
    if item.flash_deal_id is not None:
        return 0, item.flash_deal_id, 0
    return (1, item.campaign_id or 0, item.coupon_id or 0) if item.campaign_id is not None \
        else (2, 0, item.coupon_id or 0)


def _claim_flash(uow: UnitOfWork, tenant_id: int, item: Applied, user_id: int | None, now: dt.datetime,
                 deal: FlashDeal | None) -> bool:
    assert item.flash_deal_id is not None
    if not uow.execute(
            f"""UPDATE flash_deals {BY_ID} SET sold_count = sold_count + %s
                WHERE tenant_id = %s AND id = %s AND is_active = 1 AND ends_at > %s
                  AND (stock_limit IS NULL OR sold_count + %s <= stock_limit)""",
            (item.units, tenant_id, item.flash_deal_id, now, item.units)):
        raise FlashDealSoldOut(details={"flash_deal_id": item.flash_deal_id})
    if deal is not None and deal.per_user_limit is not None and user_id is not None:
        if not _use(uow, tenant_id, "flash", item.flash_deal_id, user_id, item.units, deal.per_user_limit):
            raise FlashDealSoldOut(details={"flash_deal_id": item.flash_deal_id, "reason": "per_customer_limit"})
    row = uow.one("SELECT stock_limit, sold_count FROM flash_deals WHERE tenant_id = %s AND id = %s",
                  (tenant_id, item.flash_deal_id))
    return row is not None and row["stock_limit"] is not None and row["sold_count"] >= row["stock_limit"]


def _claim_campaign(uow: UnitOfWork, tenant_id: int, item: Applied, user_id: int | None,
                    promotion: Promotion | None) -> bool:
    assert item.campaign_id is not None
    limited = promotion is None or promotion.usage_left is not None or promotion.budget_left is not None
    used_up = False
    if limited:
        if not uow.execute(
                f"""UPDATE campaigns {BY_ID} SET used_count = used_count + 1, spent_amount = spent_amount + %s
                    WHERE tenant_id = %s AND id = %s AND status = 'active' AND deleted_at IS NULL
                      AND (usage_limit IS NULL OR used_count < usage_limit)
                      AND (budget IS NULL OR spent_amount + %s <= budget)""",
                (item.discount, tenant_id, item.campaign_id, item.discount)):
            raise PromotionUnavailable(details={"campaign_id": item.campaign_id})
        row = uow.one("SELECT usage_limit, used_count, budget, spent_amount FROM campaigns WHERE tenant_id = %s AND id = %s",
                      (tenant_id, item.campaign_id))
        used_up = row is not None and (
            (row["usage_limit"] is not None and row["used_count"] >= row["usage_limit"])
            or (row["budget"] is not None and row["spent_amount"] >= row["budget"]))
    limit = promotion.per_user_limit if promotion is not None else None
    if limit is not None and user_id is not None and not _use(uow, tenant_id, "campaign", item.campaign_id, user_id, 1,
                                                               limit):
        raise PromotionUnavailable(details={"campaign_id": item.campaign_id, "reason": "per_customer_limit"})
    return used_up


def _claim_coupon(uow: UnitOfWork, tenant_id: int, item: Applied, user_id: int | None, now: dt.datetime) -> bool:
    assert item.coupon_id is not None
    if not uow.execute(
            f"""UPDATE coupons {BY_ID} SET used_count = used_count + 1
                WHERE tenant_id = %s AND id = %s AND is_active = 1
                  AND (starts_at IS NULL OR starts_at <= %s) AND (ends_at IS NULL OR ends_at > %s)
                  AND (user_id IS NULL OR user_id = %s) AND (usage_limit IS NULL OR used_count < usage_limit)""",
            (tenant_id, item.coupon_id, now, now, user_id)):
        raise PromotionUnavailable(details={"coupon_id": item.coupon_id})
    row = uow.one("SELECT usage_limit, used_count, usage_limit_per_user FROM coupons WHERE tenant_id = %s AND id = %s",
                  (tenant_id, item.coupon_id))
    assert row is not None
    limit = row["usage_limit_per_user"]
    if limit is not None and user_id is not None and not _use(uow, tenant_id, "coupon", item.coupon_id, user_id, 1,
                                                               int(limit)):
        raise PromotionUnavailable(details={"coupon_id": item.coupon_id, "reason": "per_customer_limit"})
    return row["usage_limit"] is not None and row["used_count"] >= row["usage_limit"]


def _use(uow: UnitOfWork, tenant_id: int, scope: str, scope_id: int, user_id: int, n: int, limit: int) -> bool:
    """Raise the customer's use counter by n unless that passes `limit`; False when it would."""
    uow.execute("""INSERT INTO campaign_customer_uses (tenant_id, scope, scope_id, user_id, uses)
                   VALUES (%s, %s, %s, %s, 0) ON DUPLICATE KEY UPDATE uses = uses""",
                (tenant_id, scope, scope_id, user_id))
    return bool(uow.execute(f"""UPDATE campaign_customer_uses {BY_ID} SET uses = uses + %s
                                WHERE tenant_id = %s AND scope = %s AND scope_id = %s AND user_id = %s
                                  AND uses + %s <= %s""", (n, tenant_id, scope, scope_id, user_id, n, limit)))


def _record(uow: UnitOfWork, tenant_id: int, order_id: int, user_id: int | None, applied: list[Applied],
            order_total: Decimal, shipping_discount: Decimal) -> None:
    rows: list[tuple[Any, ...]] = []
    shipping_left = shipping_discount
    for item in applied:
        shipped = shipping_left if item.free_shipping else Decimal("0.00")
        shipping_left -= shipped
        rows.append((tenant_id, order_id, user_id, item.claim_key, item.campaign_id, item.coupon_id, item.flash_deal_id,
                     max(item.units, 1), item.discount, shipped, item.bonus, order_total,
                     "pending" if item.bonus > 0 else "none"))
    uow.executemany(
        """INSERT INTO campaign_redemptions (tenant_id, order_id, user_id, claim_key, campaign_id, coupon_id,
                                            flash_deal_id, quantity, discount_amount, shipping_discount,
                                            bonus_amount, order_total, bonus_status)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""", rows)


# -- releasing --------------------------------------------------------------------------------
def _give_back(uow: UnitOfWork, tenant_id: int, row: dict[str, Any]) -> None:
    quantity, user_id = int(row["quantity"]), row["user_id"]
    if row["flash_deal_id"] is not None:
        uow.execute(f"UPDATE flash_deals {BY_ID} SET sold_count = GREATEST(sold_count - %s, 0) WHERE tenant_id = %s AND id = %s",
                    (quantity, tenant_id, row["flash_deal_id"]))
        _unuse(uow, tenant_id, "flash", row["flash_deal_id"], user_id, quantity)
        return
    if row["campaign_id"] is not None:
        uow.execute(f"""UPDATE campaigns {BY_ID} SET used_count = GREATEST(used_count - 1, 0),
                                            spent_amount = GREATEST(spent_amount - %s, 0)
                        WHERE tenant_id = %s AND id = %s AND (usage_limit IS NOT NULL OR budget IS NOT NULL)""",
                    (row["discount_amount"], tenant_id, row["campaign_id"]))
        _unuse(uow, tenant_id, "campaign", row["campaign_id"], user_id, 1)
    if row["coupon_id"] is not None:
        uow.execute(f"UPDATE coupons {BY_ID} SET used_count = GREATEST(used_count - 1, 0) WHERE tenant_id = %s AND id = %s",
                    (tenant_id, row["coupon_id"]))
        _unuse(uow, tenant_id, "coupon", row["coupon_id"], user_id, 1)


def _unuse(uow: UnitOfWork, tenant_id: int, scope: str, scope_id: int, user_id: int | None, n: int) -> None:
    if user_id is not None:
        uow.execute(f"""UPDATE campaign_customer_uses {BY_ID} SET uses = GREATEST(uses - %s, 0)
                        WHERE tenant_id = %s AND scope = %s AND scope_id = %s AND user_id = %s""",
                    (n, tenant_id, scope, scope_id, user_id))


def customer_uses(session: Session, tenant_id: int, user_id: int) -> dict[tuple[str, int], int]:
    """The customer's use counters: ("campaign" | "coupon" | "flash", id) → uses."""
    return {(r["scope"], int(r["scope_id"])): int(r["uses"]) for r in session.all(
        "SELECT scope, scope_id, uses FROM campaign_customer_uses WHERE tenant_id = %s AND user_id = %s",
        (tenant_id, user_id))}
