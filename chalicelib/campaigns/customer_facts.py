"""Where the cart's pricing keeps a customer's facts in Redis (pricing.py reads and fills it), and the
one way to forget them when they change: an order placed or cancelled (claims), a code applied or
removed (coupons_service).  Its own module so that the coupon routes forget without importing the
engine."""
from __future__ import annotations

from chalicelib.platform.cache import redis_client, redis_errors, tenant_key

FACTS_SECONDS = 300


def facts_key(tenant_id: int, user_id: int) -> str:
    return tenant_key(tenant_id, "campaigns", "customer", user_id)


def forget_customer(tenant_id: int, user_id: int) -> None:
    try:
        redis_client().delete(facts_key(tenant_id, user_id))
    except redis_errors():
        pass  # the facts run out after FACTS_SECONDS; the checkout's claims re-check every limit
