"""The vocabulary of channel-aware notifications (issue 13): categories, channels, delivery
statuses and the İYS codes, in one place.

A delivery (one message on one channel) moves
    queued → sending → sent → delivered (push receipt ok)
                     ↘ failed (reason)            ↘ failed (receipt error)
    queued → suppressed (preference_off, no_consent, no_device, no_address, user_inactive)
    sending → deferred (quiet_hours; the sweep re-queues it at the window's end) → queued
    sending → queued (rate_limited / retry: re-sent with an SQS delay; attempts counts retries)
"""
from __future__ import annotations

CATEGORIES = ("order", "campaign", "stock", "account")
# Commercial messages: only with consent (İYS), never in quiet hours, off by default.
MARKETING = frozenset({"campaign"})
CHANNELS = ("email", "sms", "push")

QUEUED, SENDING, DEFERRED = "queued", "sending", "deferred"
SENT, DELIVERED, FAILED, SUPPRESSED = "sent", "delivered", "failed", "suppressed"
STATUSES = (QUEUED, SENDING, DEFERRED, SENT, DELIVERED, FAILED, SUPPRESSED)
# A consumer may take a delivery in these (a duplicate message finds it in any other and stops).
CLAIMABLE = (QUEUED, DEFERRED)

MAX_ATTEMPTS = 5  # provider failures before a delivery is failed for good
LEASE_SECONDS = 300  # a claimed delivery another consumer may take over after this

# İYS (İleti Yönetim Sistemi): our channel → İYS consent type; push is not an İYS channel.
IYS_TYPES: dict[str, str | None] = {"email": "EPOSTA", "sms": "MESAJ", "push": None}
# Where a consent was given (ours) → İYS's source code (HS_*: "hizmet sağlayıcı" sources).
CONSENT_SOURCES = {
    "mobile_app_settings": "HS_MOBIL",
    "mobile_app_signup": "HS_MOBIL",
    "web_settings": "HS_WEB",
    "web_signup": "HS_WEB",
    "checkout": "HS_WEB",
    "call_center": "HS_CAGRI_MERKEZI",
}
ONAY, RET = "ONAY", "RET"


def default_enabled(category: str) -> bool:
    """Transactional categories are on until the user turns them off; marketing is off until consent."""
    return category not in MARKETING
