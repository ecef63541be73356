"""Shipment statuses, what customers read for each, and which event wins.

    label_created ─▶ picked_up ─▶ in_transit ─▶ out_for_delivery ─▶ delivered
                                                      │    ▲
                                                      ▼    │            (any) ─▶ returned
                                                failed_delivery

A shipment's status is the status of its latest event (by when it happened, not when it was
reported): carriers deliver webhooks at least once and out of order, and polls see the same
events again, so an older event joins the history without moving the shipment back.
delivered and returned are final: nothing moves a shipment out of them.  `pending` is the
column default for a row no code path creates today (kept so old rows stay readable).
"""
from __future__ import annotations

import datetime as dt

PENDING = "pending"
LABEL_CREATED = "label_created"
PICKED_UP = "picked_up"
IN_TRANSIT = "in_transit"
OUT_FOR_DELIVERY = "out_for_delivery"
FAILED_DELIVERY = "failed_delivery"
DELIVERED = "delivered"
RETURNED = "returned"

STATUSES = (PENDING, LABEL_CREATED, PICKED_UP, IN_TRANSIT, OUT_FOR_DELIVERY, FAILED_DELIVERY, DELIVERED, RETURNED)
FINAL = frozenset({DELIVERED, RETURNED})
# What an admin may set by hand (label_created comes with the shipment itself).
ADMIN_SETTABLE = (PICKED_UP, IN_TRANSIT, OUT_FOR_DELIVERY, FAILED_DELIVERY, DELIVERED, RETURNED)
# The parcel has left the shop once the carrier reports one of these (shipments.shipped_at).
WITH_CARRIER = frozenset({PICKED_UP, IN_TRANSIT, OUT_FOR_DELIVERY, FAILED_DELIVERY, DELIVERED})

# Only breaks ties between events stamped with the same instant (a carrier that reports
# "picked up" and "in transit" in one second): the further step wins.
_RANK = {PENDING: 0, LABEL_CREATED: 1, PICKED_UP: 2, IN_TRANSIT: 3, OUT_FOR_DELIVERY: 4, FAILED_DELIVERY: 5,
         DELIVERED: 6, RETURNED: 6}

# Customer-facing text of each status.
TEXT: dict[str, dict[str, str]] = {
    PENDING: {"tr": "Kargo hazırlanıyor", "en": "Shipment being prepared"},
    LABEL_CREATED: {"tr": "Kargoya verilmek üzere hazırlandı", "en": "Ready to hand over to the carrier"},
    PICKED_UP: {"tr": "Kargo firmasına teslim edildi", "en": "Picked up by the carrier"},
    IN_TRANSIT: {"tr": "Yolda", "en": "In transit"},
    OUT_FOR_DELIVERY: {"tr": "Dağıtıma çıktı", "en": "Out for delivery"},
    FAILED_DELIVERY: {"tr": "Teslim edilemedi, yeniden denenecek", "en": "Delivery attempt failed; it will be retried"},
    DELIVERED: {"tr": "Teslim edildi", "en": "Delivered"},
    RETURNED: {"tr": "Göndericiye iade edildi", "en": "Returned to sender"},
}

CARRIER_NAMES = {
    "yurtici": "Yurtiçi Kargo",
    "aras": "Aras Kargo",
    "mng": "MNG Kargo",
    "ptt": "PTT Kargo",
    "surat": "Sürat Kargo",
}


def text(status: str, lang: str) -> str:
    entry = TEXT.get(status) or {"tr": status, "en": status}
    return entry.get(lang) or entry["en"]


def supersedes(current: str, current_at: dt.datetime | None, new: str, new_at: dt.datetime) -> bool:
    """Does an event (`new` at `new_at`) become the shipment's status, given its `current`
    status set by an event at `current_at` (None: no event has set it yet)?"""
    if current in FINAL:
        return False
    if new in FINAL:
        return True  # a delivery reported late still ends the journey
    if current_at is None:
        return True
    if new_at != current_at:
        return new_at > current_at
    return _RANK[new] > _RANK[current]
