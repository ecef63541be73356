"""Map a live app session's events to the UCI Online Shoppers feature dict (the "AI customer finder").

The purchase model is trained on the UCI Online Shoppers Purchasing Intention data (Google Analytics
sessions of one shop). Our apps send ``screen``, ``product_view``, ``search`` and ``add_to_cart`` events;
this module turns one session of those into the same 13 features the model reads, so a live session is
scored by the model trained on the public data. The mapping is an approximation, documented per feature:

- **Administrative / Informational / ProductRelated (+ _Duration)**: every ``screen``, ``product_view``
  and ``search`` event is one page view. ``product_view`` and ``search`` are product-related pages;
  ``screen`` events are classified by screen name (account/settings/orders -> Administrative,
  FAQ/about/contact -> Informational, product list/detail/search/cart/home -> ProductRelated; unknown
  screens count as ProductRelated because the shop's other screens all show products). A page's
  duration is the gap to the next page view (an ``add_to_cart`` happens on the page and does not end
  it), capped at 30 minutes (Google Analytics' session timeout); the last page gets the gap to the
  session's last event, usually 0 (GA cannot time the exit page either, and UCI durations behave so).
- **BounceRates / ExitRates**: in UCI these are site-wide per-page rates averaged over the pages the
  session saw, which one session cannot know. We use their measured mean in UCI for sessions with the
  same number of page views (``_RATE_TABLE``, measured on the full data set), and 0.2 / 0.2 (the UCI
  value of a bounced session) for a single page view without an ``add_to_cart``.
- **PageValues**: in UCI the average value of the pages seen before a transaction (0 in 78 % of
  sessions). We set it to the median positive UCI PageValues (16.66) when the session put something in
  the cart (or reached checkout), else 0. It is the strongest feature, and it partly leaks the outcome
  in UCI; here it comes from a real in-session signal (the cart), which is what it stands for.
- **Month / Weekend**: from the session's first event in the shop's local time (Europe/Istanbul by default).
- **VisitorType**: ``Returning_Visitor`` when the user is known (an event carries a ``user_id``, or
  ``known_user=True``), else ``New_Visitor``.
- **SpecialDay**: 0 (we do not model holiday proximity).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

ADMINISTRATIVE_SCREENS = frozenset(
    {
        "account", "profile", "settings", "orders", "order", "order_detail", "order_history", "addresses",
        "address", "login", "register", "signup", "password", "wallet", "payment_methods", "notifications",
        "preferences", "returns", "coupons", "loyalty",
    }
)  # fmt: skip
INFORMATIONAL_SCREENS = frozenset(
    {
        "faq", "help", "about", "contact", "support", "terms", "privacy", "kvkk", "shipping_info",
        "return_policy", "stores", "store_locator", "blog", "info", "chat",
    }
)  # fmt: skip
CART_SCREENS = frozenset({"checkout", "payment"})

PAGE_EVENT_TYPES = frozenset({"screen", "product_view", "search"})
MAX_PAGE_SECONDS = 1800.0
POSITIVE_PAGE_VALUE = 16.66  # median PageValues among UCI sessions with PageValues > 0

# (max page views, mean BounceRates, mean ExitRates) for UCI sessions with that many page views.
_RATE_TABLE: tuple[tuple[int, float, float], ...] = (
    (1, 0.181, 0.189),
    (2, 0.059, 0.119),
    (3, 0.041, 0.090),
    (5, 0.030, 0.068),
    (10, 0.017, 0.045),
    (20, 0.011, 0.031),
    (40, 0.009, 0.025),
    (80, 0.007, 0.021),
)
_RATE_TAIL = (0.006, 0.019)
BOUNCE_RATE = 0.2


def _at(value: Any) -> datetime:
    """Event time as an aware datetime; naive values are UTC (the queue's convention)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(float(value), tz=timezone.utc)
    else:
        raise ValueError(f"event time must be a datetime or ISO-8601 string, got {type(value).__name__}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _page_kind(event: Mapping[str, Any]) -> str:
    etype = event.get("type")
    if etype in ("product_view", "search"):
        return "ProductRelated"
    screen = str(event.get("screen") or (event.get("payload") or {}).get("screen") or "").strip().lower()
    screen = screen.replace("-", "_").replace(" ", "_")
    if screen in ADMINISTRATIVE_SCREENS:
        return "Administrative"
    if screen in INFORMATIONAL_SCREENS:
        return "Informational"
    return "ProductRelated"


def _rates(pages: int) -> tuple[float, float]:
    for limit, bounce, exit_rate in _RATE_TABLE:
        if pages <= limit:
            return bounce, exit_rate
    return _RATE_TAIL


def session_features(
    events: Iterable[Mapping[str, Any]], *, known_user: bool | None = None, tz: str = "Europe/Istanbul"
) -> dict[str, Any]:
    """The UCI feature dict of one live session (see the module docstring for each approximation).

    ``events``: dicts with ``type`` and ``at`` (datetime or ISO-8601; naive = UTC) and optionally
    ``screen`` / ``user_id`` / ``payload``; any order. Events of other types only extend the last page.
    """
    timed = sorted(((_at(e.get("at")), e) for e in events), key=lambda pair: pair[0])
    counts = {"Administrative": 0, "Informational": 0, "ProductRelated": 0}
    durations = {"Administrative": 0.0, "Informational": 0.0, "ProductRelated": 0.0}
    carted = False
    for _, event in timed:
        screen = str(event.get("screen") or "").strip().lower()
        if event.get("type") == "add_to_cart" or screen in CART_SCREENS:
            carted = True
    views = [(moment, event) for moment, event in timed if event.get("type") in PAGE_EVENT_TYPES]
    for index, (moment, event) in enumerate(views):
        kind = _page_kind(event)
        counts[kind] += 1
        until = views[index + 1][0] if index + 1 < len(views) else timed[-1][0]
        durations[kind] += min(max((until - moment).total_seconds(), 0.0), MAX_PAGE_SECONDS)
    pages = sum(counts.values())
    if pages <= 1 and not carted:
        bounce, exit_rate = BOUNCE_RATE, BOUNCE_RATE
    else:
        bounce, exit_rate = _rates(max(pages, 1))
    start = timed[0][0] if timed else datetime.now(timezone.utc)
    local = start.astimezone(ZoneInfo(tz))
    if known_user is None:
        known_user = any(event.get("user_id") is not None for _, event in timed)
    return {
        "Administrative": counts["Administrative"],
        "Administrative_Duration": round(durations["Administrative"], 3),
        "Informational": counts["Informational"],
        "Informational_Duration": round(durations["Informational"], 3),
        "ProductRelated": counts["ProductRelated"],
        "ProductRelated_Duration": round(durations["ProductRelated"], 3),
        "BounceRates": bounce,
        "ExitRates": exit_rate,
        "PageValues": POSITIVE_PAGE_VALUE if carted else 0.0,
        "SpecialDay": 0.0,
        "Month": MONTHS[local.month - 1],
        "VisitorType": "Returning_Visitor" if known_user else "New_Visitor",
        "Weekend": local.weekday() >= 5,
    }
