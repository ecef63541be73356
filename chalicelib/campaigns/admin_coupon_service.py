"""Staff rules of coupon codes (issue 15, AK).

- Only coupon, offer and wheel campaigns take codes (409 campaign_takes_no_codes); a deleted
  campaign takes none (409 campaign_deleted).  A code is unique in the shop (409 coupon_code_taken,
  also when two requests race: the unique key decides).  A personal code's customer is this shop's.
- PUT never lowers usage_limit below used_count (409).  DELETE deactivates a used code (its uses
  stay countable) and deletes an unused one.
- Bulk batches: `quantity` unique codes of `prefix` plus a random part drawn with `secrets` from an
  alphabet without look-alikes (no 0/O, 1/I/L), at least 10 characters in all and never fewer than
  8 random ones (31^8 ≈ 8.5e11: a guesser finds one of 100,000 codes once in ~8.5 million tries).
  Codes go in with multi-row INSERT IGNORE in chunks; a code that collided with an existing one is
  skipped and topped up with fresh ones until the batch is complete.
- Export: the batch's codes as CSV exactly once.  One atomic UPDATE ... WHERE exported_at IS NULL
  decides who gets them; everyone after is 410 coupon_batch_exported.
- Audit rows in the transaction; active.invalidate after the commit.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pymysql
from pydantic_core import PydanticCustomError

from chalicelib.platform import audit, export, idempotency
from chalicelib.platform.db import Database, Session, UnitOfWork

from . import active
from . import admin_coupon_repository as repo
from . import admin_repository as campaigns
from .admin_coupon_schemas import BatchIn, CouponIn
from .admin_schemas import field_error, window_ok
from .admin_service import paged
from .errors import (
    CampaignDeleted,
    CampaignNotFound,
    CampaignTakesNoCodes,
    CouponBatchExported,
    CouponBatchNotFound,
    CouponCodeTaken,
    CouponNotFound,
    CouponUsageBelowUsed,
    CustomerNotFound,
)
from .model import CODE_KINDS

CREATE = idempotency.Operation("campaigns_coupon_create")
CREATE_BATCH = idempotency.Operation("campaigns_coupon_batch_create")
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MIN_LENGTH, MIN_RANDOM = 10, 8
CHUNK = 1000
MAX_ROUNDS = 20
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Made:
    id: int
    replayed: bool


def shown(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "is_active": bool(row["is_active"]), "code": None if row["batch_id"] is not None else row["code"]}


def _campaign_for_codes(session: Session, tenant_id: int, campaign_id: int) -> dict[str, Any]:
    row = campaigns.get(session, tenant_id, campaign_id)
    if row is None:
        raise CampaignNotFound()
    if row["deleted_at"] is not None:
        raise CampaignDeleted()
    if row["type"] not in CODE_KINDS:
        raise CampaignTakesNoCodes()
    return row


def _check_user(session: Session, tenant_id: int, user_id: int | None) -> None:
    if user_id is not None and not campaigns.customer_exists(session, tenant_id, user_id):
        raise CustomerNotFound()


# -- single codes ---------------------------------------------------------------------------------
def get(db: Database, tenant_id: int, coupon_id: int) -> dict[str, Any]:
    row = repo.get(db.session(), tenant_id, coupon_id)
    if row is None:
        raise CouponNotFound()
    return shown(row)


def _campaign_session(db: Database, tenant_id: int, campaign_id: int) -> Session:
    session = db.session()
    if campaigns.get(session, tenant_id, campaign_id) is None:
        raise CampaignNotFound()
    return session


def page(db: Database, tenant_id: int, campaign_id: int, after: Any, limit: int) -> dict[str, Any]:
    session = _campaign_session(db, tenant_id, campaign_id)
    return paged(repo.page(session, tenant_id, campaign_id, after, limit + 1), limit, repo.COUPONS, shown)


def create(db: Database, tenant_id: int, staff_id: int, campaign_id: int, body: CouponIn,
           header: str | None) -> Made:
    key = idempotency.key(tenant_id, CREATE, staff_id, header, {"campaign_id": campaign_id,
                                                                 **body.model_dump(mode="json")})
    fields = body.model_dump()

    def work(uow: UnitOfWork) -> Made:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Made(int(earlier.body["id"]), True)
        _campaign_for_codes(uow, tenant_id, campaign_id)
        _check_user(uow, tenant_id, body.user_id)
        if repo.code_taken(uow, tenant_id, body.code):
            raise CouponCodeTaken()
        try:
            coupon_id = repo.insert(uow, tenant_id, campaign_id, fields, staff_id)
        except pymysql.err.IntegrityError as exc:  # a concurrent request took the code first
            if exc.args and exc.args[0] == repo.DUPLICATE_KEY:
                raise CouponCodeTaken() from None
            raise
        idempotency.record(uow, key, 201, {"id": coupon_id})
        audit.record(uow, tenant_id, "campaigns.coupon.create", entity_type="coupon", entity_id=coupon_id,
                     after={**fields, "campaign_id": campaign_id})
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()
        return Made(coupon_id, False)

    return db.transaction(work)


def update(db: Database, tenant_id: int, coupon_id: int, changes: dict[str, Any]) -> None:
    def work(uow: UnitOfWork) -> None:
        row = repo.lock(uow, tenant_id, coupon_id)
        if row is None:
            raise CouponNotFound()
        merged = {**row, **changes}
        try:
            window_ok(merged["starts_at"], merged["ends_at"])
        except PydanticCustomError as exc:
            raise field_error("CouponPatch", "ends_at", merged["ends_at"], exc) from None
        limit = changes.get("usage_limit")
        if limit is not None and limit < row["used_count"]:
            raise CouponUsageBelowUsed(row["used_count"])
        _check_user(uow, tenant_id, changes.get("user_id"))
        repo.update(uow, tenant_id, coupon_id, changes)
        audit.record(uow, tenant_id, "campaigns.coupon.update", entity_type="coupon", entity_id=coupon_id,
                     before={k: row[k] for k in changes}, after=changes)
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()

    db.transaction(work)


def delete(db: Database, tenant_id: int, coupon_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        row = repo.lock(uow, tenant_id, coupon_id)
        if row is None:
            raise CouponNotFound()
        used = row["used_count"] > 0
        if used:
            repo.deactivate(uow, tenant_id, coupon_id)
        else:
            repo.delete(uow, tenant_id, coupon_id)
        audit.record(uow, tenant_id, "campaigns.coupon.delete", entity_type="coupon", entity_id=coupon_id,
                     before={"code": row["code"], "used_count": row["used_count"]},
                     after={"deactivated": True} if used else None)
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()

    db.transaction(work)


# -- bulk batches ---------------------------------------------------------------------------------
def new_code(prefix: str) -> str:
    size = max(MIN_RANDOM, MIN_LENGTH - len(prefix))
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(size))


def _fill(uow: UnitOfWork, tenant_id: int, campaign_id: int, batch_id: int, body: BatchIn, staff_id: int) -> None:
    """Insert body.quantity unique codes, topping up those a collision skipped."""
    missing, tried = body.quantity, set()
    for _ in range(MAX_ROUNDS):
        if missing == 0:
            return
        codes: list[str] = []
        while len(codes) < missing:
            code = new_code(body.prefix)
            if code not in tried:
                tried.add(code)
                codes.append(code)
        for start in range(0, len(codes), CHUNK):
            rows = [(tenant_id, campaign_id, batch_id, code, body.usage_limit_per_code, body.starts_at, body.ends_at,
                     staff_id) for code in codes[start:start + CHUNK]]
            missing -= repo.insert_codes(uow, rows)
    if missing:
        raise RuntimeError(f"coupon batch {batch_id}: {missing} codes still colliding after {MAX_ROUNDS} rounds")


def create_batch(db: Database, tenant_id: int, staff_id: int, campaign_id: int, body: BatchIn,
                 header: str | None) -> Made:
    key = idempotency.key(tenant_id, CREATE_BATCH, staff_id, header, {"campaign_id": campaign_id,
                                                                       **body.model_dump(mode="json")})

    def work(uow: UnitOfWork) -> Made:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Made(int(earlier.body["id"]), True)
        _campaign_for_codes(uow, tenant_id, campaign_id)
        batch_id = repo.insert_batch(uow, tenant_id, campaign_id, body.prefix, body.quantity,
                                     body.usage_limit_per_code, staff_id)
        _fill(uow, tenant_id, campaign_id, batch_id, body, staff_id)
        idempotency.record(uow, key, 201, {"id": batch_id})
        audit.record(uow, tenant_id, "campaigns.coupon_batch.create", entity_type="coupon_batch", entity_id=batch_id,
                     after={**body.model_dump(mode="json"), "campaign_id": campaign_id})
        uow.on_commit(lambda: active.invalidate(tenant_id))
        uow.commit()
        return Made(batch_id, False)

    return db.transaction(work)


def get_batch(db: Database, tenant_id: int, batch_id: int) -> dict[str, Any]:
    row = repo.get_batch(db.session(), tenant_id, batch_id)
    if row is None:
        raise CouponBatchNotFound()
    return row


def batches(db: Database, tenant_id: int, campaign_id: int, after: Any, limit: int) -> dict[str, Any]:
    session = _campaign_session(db, tenant_id, campaign_id)
    return paged(repo.batches(session, tenant_id, campaign_id, after, limit + 1), limit, repo.BATCHES)


def export_batch(db: Database, tenant_id: int, staff_id: int, batch_id: int) -> export.ExportFile:
    """The batch's codes as CSV, once: the first caller's UPDATE takes the export, with the codes
    read in the same transaction; every later call (or a concurrent loser) is 410."""
    def work(uow: UnitOfWork) -> list[str]:
        if not repo.mark_exported(uow, tenant_id, batch_id, staff_id):
            if repo.get_batch(uow, tenant_id, batch_id) is None:
                raise CouponBatchNotFound()
            raise CouponBatchExported()
        codes = repo.batch_codes(uow, tenant_id, batch_id)
        audit.record(uow, tenant_id, "campaigns.coupon_batch.export", entity_type="coupon_batch", entity_id=batch_id,
                     after={"codes": len(codes)})
        uow.commit()
        return codes

    codes = db.transaction(work)
    body = "code\r\n" + "".join(f"{code}\r\n" for code in codes)
    # At most 100,000 codes of at most 16 characters: about 1.8 MB, well under export.MAX_BYTES.
    return export.ExportFile(body, CSV_MEDIA_TYPE, f"coupon-batch-{batch_id}.csv")
