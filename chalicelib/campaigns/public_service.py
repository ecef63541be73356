"""The apps' public campaign lists (K1 reads): running promotions and flash deals with countdowns.

Campaigns: active automatic promotions and flash campaigns (types promotion and flash; coupon,
offer and wheel campaigns apply only with a code and are not listed), with a badge text made from
the campaign's action.  The list is cached per tenant under the campaigns version that
active.invalidate bumps on every staff write, so it follows a change at once; rows are cached
with their windows and filtered against the clock on every request, so a campaign that starts or
ends between two loads appears or goes on time.  A signed-in customer also gets `uses_left` of
campaigns with a per-customer limit.

Flash deals are read on each request (one indexed query and the catalogue's cards): units left
and countdowns must be the current ones.  `live`: open now - for a signed-in customer whose
loyalty level gives early access, from starts_at minus those minutes (`early_access` marks such a
deal); `upcoming`: starting later.  Deals of products that are not active are left out.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.catalog import api as catalog
from chalicelib.platform import cache
from chalicelib.platform.db import Database, Session
from chalicelib.platform.text import format_try

from . import active
from . import public_repository as repo
from .model import Action, parse_rules

CACHE_TTL = 300
CENT = Decimal("0.01")


# -- campaigns -----------------------------------------------------------------------------------
def campaigns(db: Database, tenant_id: int, user_id: int | None, lang: str,
              now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    key = cache.tenant_key(tenant_id, "campaigns", "public", active.version(tenant_id))
    rows = cache.get_or_load(key, CACHE_TTL, lambda: _load(db.session(), tenant_id, now)) or []
    items = [_shown(row, lang, now) for row in rows]
    items = [i for i in items if _running(i, now)]
    if user_id is not None:
        limited = [i["id"] for i in items if i["per_user_limit"] is not None]
        used = repo.uses(db.session(), tenant_id, user_id, "campaign", limited)
        for item in items:
            if item["per_user_limit"] is not None:
                item["uses_left"] = max(0, item["per_user_limit"] - used.get(item["id"], 0))
    return {"items": items, "server_time": now}


def _load(session: Session, tenant_id: int, now: dt.datetime) -> list[dict[str, Any]]:
    """The rows worth caching: readable rules (the engine skips the others too), badges made."""
    out = []
    for row in repo.campaigns(session, tenant_id, now):
        raw = row["rules"]
        try:
            level, _, action = parse_rules(json.loads(raw) if isinstance(raw, (str, bytes)) else raw)
        except ValueError:
            level, action = None, None
        if action is None and row["type"] != "flash":
            continue
        out.append({"id": row["id"], "name": row["name"], "description": row["description"], "type": row["type"],
                    "level": level, "badge": {lang: badge(action, lang) for lang in ("tr", "en")},
                    "starts_at": _text(row["starts_at"]), "ends_at": _text(row["ends_at"]),
                    "per_user_limit": row["usage_limit_per_user"]})
    return out


def _text(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: str | None) -> dt.datetime | None:
    """A cached time back as naive UTC (the cache writes naive datetimes with a trailing Z)."""
    return None if value is None else dt.datetime.fromisoformat(value.removesuffix("Z"))


def _shown(row: dict[str, Any], lang: str, now: dt.datetime) -> dict[str, Any]:
    starts, ends = _time(row["starts_at"]), _time(row["ends_at"])
    return {**row, "badge": row["badge"].get(lang) or row["badge"].get("tr"), "starts_at": starts, "ends_at": ends,
            "seconds_left": None if ends is None else max(0, int((ends - now).total_seconds())), "uses_left": None}


def _running(item: dict[str, Any], now: dt.datetime) -> bool:
    return (item["starts_at"] is None or item["starts_at"] <= now) and (item["ends_at"] is None or item["ends_at"] > now)


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def badge(action: Action | None, lang: str) -> str | None:
    """A short label of what the campaign gives, in Turkish or English."""
    if action is None:
        return None
    tr = lang != "en"
    kind, value = action.type, action.value
    if kind in ("percent_off", "bonus_percent"):
        word = ("indirim" if tr else "off") if kind == "percent_off" else "bonus"
        return f"%{_number(value)} {word}" if tr else f"{_number(value)}% {word}"
    if kind in ("fixed_off", "bonus_fixed"):
        word = ("indirim" if tr else "off") if kind == "fixed_off" else "bonus"
        return f"{format_try(value)} {word}"
    if kind == "free_shipping":
        return "Kargo bedava" if tr else "Free shipping"
    if kind == "gift_item":
        return "Hediye ürün" if tr else "Free gift"
    if kind == "buy_x_get_y":
        total = action.buy_quantity + action.get_quantity
        if action.get_percent == 100:
            return f"{total} al {action.buy_quantity} öde" if tr else f"Buy {total}, pay {action.buy_quantity}"
        return f"{action.buy_quantity} alana %{_number(action.get_percent)} indirim" if tr else \
            f"Buy {action.buy_quantity}, {_number(action.get_percent)}% off the next"
    return None


# -- flash deals ---------------------------------------------------------------------------------
def flash_deals(db: Database, tenant_id: int, user_id: int | None, status: str,
                now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    session = db.reader()
    early = _early_access_minutes(db, tenant_id, user_id) if user_id is not None else 0
    rows = repo.flash_deals(session, tenant_id, now, status == "live", dt.timedelta(minutes=early))
    cards = catalog.product_cards(tenant_id, [int(r["product_id"]) for r in rows]) if rows else {}
    used = repo.uses(db.session(), tenant_id, user_id, "flash", [int(r["id"]) for r in rows]) if user_id else {}
    items = [_deal(r, cards[int(r["product_id"])], used.get(int(r["id"]), 0) if user_id else None, now)
             for r in rows if int(r["product_id"]) in cards]
    return {"items": items, "status": status, "early_access_minutes": early, "server_time": now}


def _deal(row: dict[str, Any], card: dict[str, Any], used: int | None, now: dt.datetime) -> dict[str, Any]:
    original = Decimal(row["variation_price"] if row["variation_price"] is not None else card["price"])
    deal = Decimal(row["deal_price"])
    percent = ((original - deal) * 100 / original).quantize(CENT, ROUND_HALF_UP) if original > deal else Decimal(0)
    limit, per_user = row["stock_limit"], row["per_user_limit"]
    return {"id": row["id"], "campaign_id": row["campaign_id"], "title": row["title"], "product": card,
            "variation_id": row["variation_id"], "deal_price": deal, "original_price": original,
            "discount_percent": percent,
            "units_left": None if limit is None else max(0, int(limit) - int(row["sold_count"])),
            "per_user_limit": per_user,
            "your_units_left": None if per_user is None or used is None else max(0, int(per_user) - used),
            "starts_at": row["starts_at"], "ends_at": row["ends_at"], "early_access": row["starts_at"] > now,
            "seconds_to_start": max(0, int((row["starts_at"] - now).total_seconds())),
            "seconds_left": max(0, int((row["ends_at"] - now).total_seconds()))}


def _early_access_minutes(db: Database, tenant_id: int, user_id: int) -> int:
    """The customer's loyalty level's early access to flash deals (0 without a level)."""
    from chalicelib.loyalty import api as loyalty

    return max(0, int(loyalty.benefits(db.session(), tenant_id, user_id).early_access_minutes))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
