"""What the referrals area publishes to other areas (issue 15, R1-R3).

    QUEUE = "referral-events"   the queue whose consumer (events.py) rewards referrals: orders.api's
                                REWARD_QUEUES sends it the orders' OrderBonusStatus events

Nothing else: customers and staff reach referrals over HTTP, and the area reaches the wallet through
wallet.api.  Everything else under chalicelib/referrals/ is private.
"""
from __future__ import annotations

__all__ = ["QUEUE"]

QUEUE = "referral-events"
