"""The tenant's live promotions and flash deals, loaded once and kept in the process (issue 15).

A cart view with 200 active promotions must cost about what one with none costs, so the rows are
not read per request: each process keeps one `PromotionSet` per tenant (engine.py indexes it)
and checks, with one Redis GET, that the tenant's campaigns version is still the one it loaded.
Staff writes (`invalidate`) and the checkout's claims that use up a promotion or a flash deal
(claims.py) bump the version, so every process reloads on its next request; a process that cannot
reach Redis reloads after RELOAD_AFTER_S at the latest.  Counters in the cached set (uses and
budget left) can lag: the checkout's conditional UPDATEs are the truth and refuse what ran out
(claims.py), then bump the version.

What is loaded: campaigns active and not deleted whose window has not ended (upcoming ones too:
the engine checks the window against `now`), and active flash deals not yet ended.  A category
condition is expanded here to the category and all its descendants (categories.path), so the
engine matches a product's one category id against a set.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from chalicelib.platform.cache import redis_client, redis_errors, tenant_key
from chalicelib.platform.db import Session, get_db

from .engine import PromotionSet
from .model import FlashDeal, Promotion, parse_rules

RELOAD_AFTER_S = 60.0
_lock = threading.Lock()


@dataclass(frozen=True)
class Live:
    """A tenant's live set as one process holds it."""

    version: str
    at: float
    promotions: PromotionSet
    needs: frozenset[str]  # the customer facts to read: segment, level, benefits, first_order, uses, coupons
    by_id: dict[int, Promotion]  # the claims' limits
    deals: dict[int, FlashDeal]


_loaded: dict[int, Live] = {}


def _version_key(tenant_id: int) -> str:
    return tenant_key(tenant_id, "campaigns", "version")


def version(tenant_id: int) -> str:
    """The tenant's campaigns version ("0" before any change; "?" when Redis is unreachable)."""
    return read(tenant_id)[0]


def read(tenant_id: int, *keys: str) -> tuple[str, list[bytes | None]]:
    """The tenant's campaigns version and the values of `keys`, in ONE Redis round trip (the cart
    view also wants the customer's facts: pricing.py)."""
    try:
        raw = redis_client().mget([_version_key(tenant_id), *keys])
    except redis_errors():
        return "?", [None] * len(keys)
    return (raw[0].decode() if raw[0] is not None else "0"), list(raw[1:])


def invalidate(tenant_id: int) -> None:
    """A campaign, coupon, flash deal or prize changed: every process reloads the set."""
    try:
        redis_client().incr(_version_key(tenant_id))
    except redis_errors():
        pass  # the processes reload after RELOAD_AFTER_S anyway
    _loaded.pop(tenant_id, None)


def live(tenant_id: int, current: str | None = None) -> Live:
    """The tenant's live promotions and flash deals (one Redis GET when the process holds them;
    none when the caller read the version already: `current`)."""
    current = version(tenant_id) if current is None else current
    held = _loaded.get(tenant_id)
    if held is not None and time.monotonic() - held.at < RELOAD_AFTER_S and current in (held.version, "?"):
        return held
    with _lock:
        promotions, deals = load(get_db().session(), tenant_id, _utcnow())
        loaded = Live(current, time.monotonic(), PromotionSet(promotions, deals), needs_of(promotions, deals),
                      {p.id: p for p in promotions}, {d.id: d for d in deals})
        _loaded[tenant_id] = loaded
    return loaded


def forget_all() -> None:
    """Tests: drop every process-held set."""
    _loaded.clear()


# -- loading ----------------------------------------------------------------------------------
def load(session: Session, tenant_id: int, now: dt.datetime) -> tuple[list[Promotion], list[FlashDeal]]:
    rows = session.all(
        """SELECT id, name, type, rules, priority, is_stackable, starts_at, ends_at, budget, spent_amount,
                  usage_limit, used_count, usage_limit_per_user
             FROM campaigns
            WHERE tenant_id = %s AND status = 'active' AND deleted_at IS NULL AND (ends_at IS NULL OR ends_at > %s)
            ORDER BY id""", (tenant_id, now))
    tree = _category_tree(session, tenant_id) if any(_has_categories(row) for row in rows) else {}
    promotions = [promotion for promotion in (_promotion(row, tree) for row in rows) if promotion is not None]
    deals = session.all(
        """SELECT id, product_id, variation_id, deal_price, starts_at, ends_at, stock_limit, sold_count,
                  per_user_limit, title
             FROM flash_deals
            WHERE tenant_id = %s AND is_active = 1 AND ends_at > %s
            ORDER BY id""", (tenant_id, now))
    return promotions, [_deal(row) for row in deals]


def to_promotion(row: dict[str, Any], session: Session | None = None) -> Promotion:
    """A campaigns row as the engine's Promotion, its categories expanded (the staff preview's way
    to price a draft or future campaign).  Raises ValueError for rules the engine cannot read."""
    tree = _category_tree(session or get_db().session(), int(row["tenant_id"])) if _has_categories(row) else {}
    promotion = _promotion(row, tree, strict=True)
    assert promotion is not None
    return promotion


def needs_of(promotions: list[Promotion], deals: list[FlashDeal]) -> frozenset[str]:
    needs: set[str] = set()
    for p in promotions:
        c = p.conditions
        if c.segments:
            needs.add("segment")
        if c.levels:
            needs.add("level")
        if c.first_order is not None:
            needs.add("first_order")
        if p.per_user_limit is not None:
            needs.add("uses")
        if p.requires_coupon:
            needs.add("coupons")
    if any(d.per_user_limit is not None for d in deals):
        needs.add("uses")
    needs.add("benefits")  # a level's free shipping, and early access to flash deals: one read by key
    return frozenset(needs)


def _promotion(row: dict[str, Any], tree: dict[int, str], *, strict: bool = False) -> Promotion | None:
    try:
        level, conditions, action = parse_rules(_json(row.get("rules")))
    except ValueError:
        if strict:
            raise
        return None  # a row the admin API would not have accepted: never apply what cannot be read
    if conditions.categories:
        conditions = replace(conditions, categories=_expand(conditions.categories, tree))
    if action.get_categories:
        action = replace(action, get_categories=_expand(action.get_categories, tree))
    budget = row.get("budget")
    usage_limit = row.get("usage_limit")
    return Promotion(
        id=int(row["id"]), name=str(row["name"]), kind=str(row["type"]), level=level,
        priority=int(row.get("priority") or 0), stackable=bool(row.get("is_stackable")),
        starts_at=row.get("starts_at"), ends_at=row.get("ends_at"), conditions=conditions, action=action,
        usage_left=None if usage_limit is None else max(0, int(usage_limit) - int(row.get("used_count") or 0)),
        budget_left=None if budget is None else max(Decimal(0), Decimal(budget) - Decimal(row.get("spent_amount") or 0)),
        per_user_limit=None if row.get("usage_limit_per_user") is None else int(row["usage_limit_per_user"]))


def _deal(row: dict[str, Any]) -> FlashDeal:
    limit = row["stock_limit"]
    return FlashDeal(
        id=int(row["id"]), product_id=int(row["product_id"]),
        variation_id=None if row["variation_id"] is None else int(row["variation_id"]),
        deal_price=Decimal(row["deal_price"]), starts_at=row["starts_at"], ends_at=row["ends_at"],
        units_left=None if limit is None else max(0, int(limit) - int(row["sold_count"])),
        per_user_limit=None if row["per_user_limit"] is None else int(row["per_user_limit"]), title=row["title"])


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _has_categories(row: dict[str, Any]) -> bool:
    raw = row.get("rules")
    text = raw.decode() if isinstance(raw, bytes) else str(raw or "")
    return "categories" in text


def _category_tree(session: Session, tenant_id: int) -> dict[int, str]:
    return {int(r["id"]): r["path"] for r in session.all("SELECT id, path FROM categories WHERE tenant_id = %s",
                                                          (tenant_id,))}


def _expand(ids: frozenset[int], tree: dict[int, str]) -> frozenset[int]:
    """The categories and every descendant (a path holds the ids from the root: /1/5/12/)."""
    marks = tuple(f"/{i}/" for i in ids)
    return frozenset(ids) | frozenset(cid for cid, path in tree.items() if any(m in path for m in marks))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
