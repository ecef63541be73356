"""Staff rules of campaigns (issue 15, AK): create, edit, delete, list, preview, performance.

- Rules arrive validated by admin_rules.py and are stored in the engine's canonical form
  (model.rules_json of model.parse_rules); a gift_item's variation must be this shop's (400).
- PUT never lowers usage_limit below used_count nor budget below spent_amount (409), checked on
  the locked row; a deleted campaign cannot be changed (409).
- DELETE is soft: status ended, deleted_at set; the row, its coupons and its redemptions stay for
  the performance figures.  Deleting again changes nothing.
- Every write records an audit row in its transaction and, after the commit, bumps the tenant's
  campaigns version (active.invalidate) so no process keeps applying what changed.
- Creation takes an Idempotency-Key (required by the route): a retry answers the first campaign.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from pydantic_core import PydanticCustomError

from chalicelib.platform import audit, idempotency
from chalicelib.platform.context import Tenant
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.keyset import Keyset

from . import active, pricing
from . import admin_repository as repo
from .admin_rules import RulesIn
from .admin_schemas import CampaignIn, field_error, rules_fit, window_ok
from .errors import (
    CampaignDeleted,
    CampaignLimitBelowUse,
    CampaignNotFound,
    CustomerNotFound,
    GiftVariationNotFound,
    PreviewVariationUnknown,
)
from .model import parse_rules, rules_json

CREATE = idempotency.Operation("campaigns_create")
ZERO = Decimal("0.00")


# -- shaping ------------------------------------------------------------------------------------
def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A campaigns row as the API shows it."""
    rules = row["rules"]
    budget, limit = row["budget"], row["usage_limit"]
    return {**row, "rules": json.loads(rules) if isinstance(rules, str | bytes) else rules,
            "stackable": bool(row["is_stackable"]),
            "budget_left": None if budget is None else max(ZERO, budget - row["spent_amount"]),
            "usage_left": None if limit is None else max(0, limit - row["used_count"])}


def canonical(rules: RulesIn | dict[str, Any] | None) -> dict[str, Any] | None:
    if rules is None:
        return None
    document = rules.document() if isinstance(rules, RulesIn) else rules
    return rules_json(*parse_rules(document))


def _check_gift(uow: UnitOfWork, tenant_id: int, rules: dict[str, Any] | None) -> None:
    gift = (rules or {}).get("action", {}).get("gift_variation_id")
    if gift is not None and not repo.variation_exists(uow, tenant_id, int(gift)):
        raise GiftVariationNotFound()


def _audit_view(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("name", "type", "rules", "priority", "is_stackable", "status", "starts_at", "ends_at", "budget",
            "usage_limit", "usage_limit_per_user", "deleted_at")
    return {k: row[k] for k in keep}


# -- reads --------------------------------------------------------------------------------------
def get(db: Database, tenant_id: int, campaign_id: int) -> dict[str, Any]:
    row = repo.get(db.session(), tenant_id, campaign_id)
    if row is None:
        raise CampaignNotFound()
    return shown(row)


def paged(rows: list[dict[str, Any]], limit: int, keyset: Keyset,
          shape: Callable[[dict[str, Any]], dict[str, Any]] = dict) -> dict[str, Any]:
    """A page from `limit + 1` rows read: the first `limit` shaped, and the cursor when there are more."""
    items = rows[:limit]
    return {"items": [shape(r) for r in items],
            "next_cursor": keyset.encode_row(items[-1]) if len(rows) > limit else None}


def page(db: Database, tenant_id: int, **filters: Any) -> dict[str, Any]:
    limit = filters.pop("limit")
    return paged(repo.page(db.session(), tenant_id, limit=limit + 1, **filters), limit, repo.CAMPAIGNS, shown)


# -- writes -------------------------------------------------------------------------------------
def create(db: Database, tenant_id: int, staff_id: int, body: CampaignIn, header: str | None) -> tuple[int, bool]:
    """(the campaign's id, whether this answers an earlier request with the same key)."""
    payload = body.model_dump(mode="json")
    key = idempotency.key(tenant_id, CREATE, staff_id, header, payload)
    fields = body.model_dump(exclude={"rules"})
    fields["rules"] = canonical(body.rules)

    def work(uow: UnitOfWork) -> tuple[int, bool]:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return int(earlier.body["id"]), True
        _check_gift(uow, tenant_id, fields["rules"])
        campaign_id = repo.insert(uow, tenant_id, fields, staff_id)
        idempotency.record(uow, key, 201, {"id": campaign_id})
        audit.record(uow, tenant_id, "campaigns.create", entity_type="campaign", entity_id=campaign_id,
                     after=fields)
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()
        return campaign_id, False

    return db.transaction(work)


def _merged_checks(row: dict[str, Any], changes: dict[str, Any]) -> None:
    merged = {**row, **changes}
    try:
        window_ok(merged["starts_at"], merged["ends_at"])
    except PydanticCustomError as exc:
        raise field_error("CampaignPatch", "ends_at", merged["ends_at"], exc) from None
    try:
        rules_fit(row["type"], merged["rules"])
    except PydanticCustomError as exc:
        raise field_error("CampaignPatch", "rules", merged["rules"], exc) from None
    if "usage_limit" in changes and changes["usage_limit"] is not None \
            and changes["usage_limit"] < row["used_count"]:
        raise CampaignLimitBelowUse("usage_limit", row["used_count"])
    if "budget" in changes and changes["budget"] is not None and changes["budget"] < row["spent_amount"]:
        raise CampaignLimitBelowUse("budget", row["spent_amount"])


def update(db: Database, tenant_id: int, campaign_id: int, changes: dict[str, Any]) -> None:
    """Apply a PUT's fields (already validated one by one) to the locked row."""
    if "rules" in changes:
        changes["rules"] = canonical(changes["rules"])

    def work(uow: UnitOfWork) -> None:
        row = repo.lock(uow, tenant_id, campaign_id)
        if row is None:
            raise CampaignNotFound()
        if row["deleted_at"] is not None:
            raise CampaignDeleted()
        current = shown(row)
        _merged_checks(current, changes)
        if "rules" in changes:
            _check_gift(uow, tenant_id, changes["rules"])
        repo.update(uow, tenant_id, campaign_id, changes)
        audit.record(uow, tenant_id, "campaigns.update", entity_type="campaign", entity_id=campaign_id,
                     before={k: current[k] for k in changes}, after=changes)
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()

    db.transaction(work)


def delete(db: Database, tenant_id: int, campaign_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        row = repo.lock(uow, tenant_id, campaign_id)
        if row is None:
            raise CampaignNotFound()
        if row["deleted_at"] is not None:
            return  # deleted already: the same outcome
        repo.soft_delete(uow, tenant_id, campaign_id)
        audit.record(uow, tenant_id, "campaigns.delete", entity_type="campaign", entity_id=campaign_id,
                     before={"status": row["status"]}, after={"status": "ended", "deleted": True})
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()

    db.transaction(work)


# -- preview ------------------------------------------------------------------------------------
def _as_active(row: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    """The row as if it were live at `at`: its window moved to include that moment."""
    starts, ends = row["starts_at"], row["ends_at"]
    if starts is not None and starts > at:
        starts = at
    if ends is not None and ends <= at:
        ends = at + dt.timedelta(seconds=1)
    return {**row, "status": "active", "deleted_at": None, "starts_at": starts, "ends_at": ends}


def preview(db: Database, tenant: Tenant, campaign_id: int, body: Any) -> dict[str, Any]:
    """The basket priced with the tenant's live promotions plus this campaign as if it were active
    at `at` (a draft, a future or a paused one alike).  A code campaign is priced as if its code
    were applied: the preview shows what the campaign gives, not whether a code exists yet."""
    session = db.session()
    row = repo.get(session, tenant.id, campaign_id)
    if row is None:
        raise CampaignNotFound()
    if body.user_id is not None and not repo.customer_exists(session, tenant.id, body.user_id):
        raise CustomerNotFound()
    at = body.at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    extra = None
    if row["rules"] is not None:
        extra = active.to_promotion(_as_active(row, at), session)
        if extra.requires_coupon:
            extra = replace(extra, kind="promotion")
    wanted = [(line.variation_id, line.quantity) for line in body.lines]
    lines = pricing.basket_lines(session, tenant.id, wanted)
    unknown = sorted({v for v, _ in wanted} - {line.variation_id for line in lines})
    if unknown:
        raise PreviewVariationUnknown(unknown)
    quote = pricing.quote(session, tenant, lines=lines, user_id=body.user_id, codes=list(body.codes),
                          payment_method=body.payment_method, channel=body.channel,
                          shipping_method=body.shipping_method, extra=extra, now=at)
    outcome = quote.outcome
    return {"totals": quote.totals, "applied": [vars(a) for a in outcome.applied],
            "rejected": [vars(r) for r in outcome.rejected], "gifts": [vars(g) for g in outcome.gifts],
            "free_shipping": outcome.free_shipping, "bonus": outcome.bonus, "capped": outcome.capped}


# -- performance --------------------------------------------------------------------------------
def _figures(group: dict[str, Any] | None) -> dict[str, Any]:
    orders = int(group["orders"]) if group else 0
    revenue = Decimal(group["revenue"]) if group else ZERO
    average = (revenue / orders).quantize(Decimal("0.01")) if orders else None
    return {"orders": orders, "revenue": revenue, "average_order_value": average}


def performance(db: Database, tenant_id: int, campaign_id: int) -> dict[str, Any]:
    """What the campaign cost and brought: its uses and amounts from the redemptions, and the
    orders placed in its window (start or creation → end, deletion or now) with and without it."""
    session = db.session()
    row = repo.get(session, tenant_id, campaign_id)
    if row is None:
        raise CampaignNotFound()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    start = row["starts_at"] or row["created_at"]
    end = min(t for t in (row["ends_at"], row["deleted_at"], now) if t is not None)
    end = max(end, start)
    totals = repo.redemption_totals(session, tenant_id, campaign_id)
    groups = repo.orders_in_window(session, tenant_id, campaign_id, start, end)
    view = shown(row)
    return {"campaign_id": campaign_id, "window_from": start, "window_to": end,
            "uses": {"claimed": int(totals["claimed"]), "released": int(totals["released"])},
            "discount_cost": totals["discount_cost"], "shipping_discount": totals["shipping_discount"],
            "bonus": totals["bonus"], "revenue": totals["revenue"],
            "with_campaign": _figures(groups.get(True)), "without_campaign": _figures(groups.get(False)),
            "budget_left": view["budget_left"], "usage_left": view["usage_left"]}
