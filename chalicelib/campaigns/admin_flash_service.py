"""Staff rules of flash deals (issue 15, AK).

- The product is this shop's and the variation (when named) that product's: else 404
  flash_deal_product_not_found; a named campaign is this shop's (404 campaign_not_found).
- The deal price is below the current price (the variation's, or for a whole-product deal the
  lowest active variation's): else 400 deal_price_not_lower.  Checked on create and whenever the
  price or window changes.
- No two active deals on the same variation (or one on the whole product) overlap in time: 409
  flash_deal_overlaps.  The product row is locked first, so two concurrent writes decide in turn.
- stock_limit never goes below sold_count (409).  DELETE removes a deal nothing was sold on and
  deactivates one with sales (their redemptions keep pointing at it).
- Audit row in the transaction; active.invalidate after the commit.
"""
from __future__ import annotations

from typing import Any

from pydantic_core import PydanticCustomError

from chalicelib.platform import audit, idempotency
from chalicelib.platform.db import Database, UnitOfWork

from . import active
from . import admin_flash_repository as repo
from .admin_flash_schemas import FlashDealIn
from .admin_schemas import field_error, window_ok
from .admin_service import paged
from .errors import (
    CampaignNotFound,
    DealPriceNotLower,
    FlashDealNotFound,
    FlashDealOverlaps,
    FlashDealProductNotFound,
    FlashDealStockBelowSold,
)

CREATE = idempotency.Operation("campaigns_flash_deal_create")


def shown(row: dict[str, Any]) -> dict[str, Any]:
    limit = row["stock_limit"]
    return {**row, "is_active": bool(row["is_active"]),
            "units_left": None if limit is None else max(0, limit - row["sold_count"])}


def get(db: Database, tenant_id: int, deal_id: int) -> dict[str, Any]:
    row = repo.get(db.session(), tenant_id, deal_id)
    if row is None:
        raise FlashDealNotFound()
    return shown(row)


def page(db: Database, tenant_id: int, **filters: Any) -> dict[str, Any]:
    limit = filters.pop("limit")
    return paged(repo.page(db.session(), tenant_id, limit=limit + 1, **filters), limit, repo.DEALS, shown)


def _check(uow: UnitOfWork, tenant_id: int, deal: dict[str, Any], except_id: int | None) -> None:
    """The product (locked), the campaign, the price and the overlap of a deal about to be written."""
    if not repo.lock_product(uow, tenant_id, deal["product_id"]):
        raise FlashDealProductNotFound()
    if deal.get("campaign_id") is not None and not repo.campaign_exists(uow, tenant_id, deal["campaign_id"]):
        raise CampaignNotFound()
    price = repo.current_price(uow, tenant_id, deal["product_id"], deal["variation_id"])
    if price is None:
        raise FlashDealProductNotFound()
    if deal["deal_price"] >= price:
        raise DealPriceNotLower(price)
    if deal["is_active"]:
        other = repo.overlapping(uow, tenant_id, product_id=deal["product_id"], variation_id=deal["variation_id"],
                                 starts_at=deal["starts_at"], ends_at=deal["ends_at"], except_id=except_id)
        if other is not None:
            raise FlashDealOverlaps(other)


def create(db: Database, tenant_id: int, staff_id: int, body: FlashDealIn, header: str | None) -> tuple[int, bool]:
    key = idempotency.key(tenant_id, CREATE, staff_id, header, body.model_dump(mode="json"))
    fields = body.model_dump()

    def work(uow: UnitOfWork) -> tuple[int, bool]:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return int(earlier.body["id"]), True
        _check(uow, tenant_id, fields, None)
        deal_id = repo.insert(uow, tenant_id, fields)
        idempotency.record(uow, key, 201, {"id": deal_id})
        audit.record(uow, tenant_id, "campaigns.flash_deal.create", entity_type="flash_deal", entity_id=deal_id,
                     after=fields)
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()
        return deal_id, False

    return db.transaction(work)


def update(db: Database, tenant_id: int, deal_id: int, changes: dict[str, Any]) -> None:
    def work(uow: UnitOfWork) -> None:
        found = repo.get(uow, tenant_id, deal_id)
        if found is None:
            raise FlashDealNotFound()
        # Lock order: the product (inside _check), then the deal.
        merged = {**found, **changes, "is_active": bool(changes.get("is_active", found["is_active"]))}
        try:
            window_ok(merged["starts_at"], merged["ends_at"])
        except PydanticCustomError as exc:
            raise field_error("FlashDealPatch", "ends_at", merged["ends_at"], exc) from None
        _check(uow, tenant_id, merged, deal_id)
        row = repo.lock(uow, tenant_id, deal_id)
        assert row is not None  # deals are deleted under the same product lock only by staff: 404 above
        limit = changes.get("stock_limit")
        if limit is not None and limit < row["sold_count"]:
            raise FlashDealStockBelowSold(row["sold_count"])
        repo.update(uow, tenant_id, deal_id, changes)
        audit.record(uow, tenant_id, "campaigns.flash_deal.update", entity_type="flash_deal", entity_id=deal_id,
                     before={k: row[k] for k in changes}, after=changes)
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()

    db.transaction(work)


def delete(db: Database, tenant_id: int, deal_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        row = repo.lock(uow, tenant_id, deal_id)
        if row is None:
            raise FlashDealNotFound()
        if row["sold_count"] > 0:
            repo.deactivate(uow, tenant_id, deal_id)
        else:
            repo.delete(uow, tenant_id, deal_id)
        audit.record(uow, tenant_id, "campaigns.flash_deal.delete", entity_type="flash_deal", entity_id=deal_id,
                     before=shown(row), after={"deactivated": True} if row["sold_count"] > 0 else None)
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()

    db.transaction(work)
