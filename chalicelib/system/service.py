"""Rules for health, tenant settings and the audit log."""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from chalicelib.platform import audit, i18n, idempotency, tenancy
from chalicelib.platform.context import current
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import BadRequest, NotFound

from . import repository as repo

if TYPE_CHECKING:  # typing only: nothing more to import on a cold start
    from .schemas import AdminLogQuery


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
        status, error = "up", None
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        status, error = "down", type(exc).__name__
    return {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 2), "error": error}


def _check_mysql(db: Database) -> None:
    db.session().scalar("SELECT 1")


def _check_redis() -> None:
    from chalicelib.platform.cache import redis_client

    redis_client().ping()


AWS_CHECK_SECONDS = 30.0
_aws_checked_at = 0.0


def _check_aws() -> None:
    """STS is a real, throttled AWS API: a warm container asks it at most every 30 s."""
    global _aws_checked_at
    if time.monotonic() - _aws_checked_at < AWS_CHECK_SECONDS:
        return
    from chalicelib.platform.aws import client

    client("sts").get_caller_identity()
    _aws_checked_at = time.monotonic()


def health(db: Database) -> dict[str, Any]:
    checks = {"mysql": _timed(lambda: _check_mysql(db)), "redis": _timed(_check_redis), "aws": _timed(_check_aws)}
    ok = all(c["status"] == "up" for c in checks.values())
    return {"status": "ok" if ok else "degraded", "checks": checks}


# Sections other areas read from tenants.settings (shipping methods, reservation minutes, return
# window, invoice seller details, the wallet's limits and bank accounts); validated by
# schemas.TenantSettingsIn.
_COMMERCE = ("shipping", "orders", "returns", "invoice", "wallet", "payments", "campaigns", "loyalty", "referrals")


def _settings_view(row: dict[str, Any], origins: list[str]) -> dict[str, Any]:
    stored = row["settings"]
    return {
        "id": row["id"],
        "slug": row["slug"],
        "name": row["name"],
        "domain": row["domain"],
        "default_language": row["default_language"],
        "currency": row["currency"],
        "cors_origins": origins,
        "rate_limit": stored.get("rate_limit") or {},
        "security": stored.get("security") or {},
        **{key: stored.get(key) for key in _COMMERCE},
    }


def get_settings(db: Database, tenant_id: int) -> dict[str, Any]:
    session = db.reader()
    row = repo.get_tenant(session, tenant_id)
    if row is None:
        raise NotFound()
    return _settings_view(row, repo.cors_origins(session, tenant_id))


def update_settings(db: Database, tenant_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply a partial update, audit it (before/after) and drop cached tenant data after commit.
    The row and its origins are the tenants area's: read here, written through its api."""
    from chalicelib.tenants import api as tenants  # lazy: only the settings write needs it

    def work(uow: UnitOfWork) -> dict[str, Any]:
        row = repo.get_tenant(uow, tenant_id, for_update=True)
        if row is None:
            raise NotFound()
        before = _settings_view(row, repo.cors_origins(uow, tenant_id))
        columns: dict[str, Any] = {k: changes[k] for k in ("name", "domain", "default_language") if k in changes}
        stored = dict(row["settings"])
        for key in ("rate_limit", "security", *_COMMERCE):
            if key in changes:  # merged key by key: a section sent in part keeps the rest
                stored[key] = {**(stored.get(key) or {}), **changes[key]}
        if "wallet" in changes:  # a minimum sent alone must still fit the stored maximum
            _check_wallet(stored["wallet"])
        if stored != row["settings"]:
            columns["settings"] = stored
        tenants.update_tenant(uow, tenant_id, columns)
        if "cors_origins" in changes:
            tenants.replace_cors_origins(uow, tenant_id, changes["cors_origins"])
        after = _settings_view(repo.get_tenant(uow, tenant_id) or row, repo.cors_origins(uow, tenant_id))
        audit.record(uow, tenant_id, "tenant.settings.update", entity_type="tenant",
                     entity_id=tenant_id, before=before, after=after)
        uow.on_commit(lambda: tenancy.forget_tenant(db.session(), tenant_id))
        uow.commit()
        return after

    return db.transaction(work)


def _check_wallet(section: dict[str, Any]) -> None:
    from pydantic_core import PydanticCustomError

    from .schemas import check_wallet_ranges

    try:
        check_wallet_ranges(section)
    except PydanticCustomError as exc:
        text = i18n.field_message(exc.type, exc.message_template, current().lang).format(**(exc.context or {}))
        raise BadRequest("validation_failed", details={"fields": [
            {"field": "wallet", "message": text, "type": exc.type}]}) from None


def admin_logs(db: Database, tenant_id: int, query: AdminLogQuery) -> dict[str, Any]:
    rows = repo.list_admin_logs(
        db.reader(), tenant_id, action=query.action, entity_type=query.entity_type,
        user_id=query.user_id, before_id=query.cursor, limit=query.limit + 1,
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    items = [
        {
            **{k: r[k] for k in ("id", "user_id", "action", "entity_type", "entity_id", "request_id", "ip", "created_at")},
            "before": json.loads(r["before_data"]) if r["before_data"] else None,
            "after": json.loads(r["after_data"]) if r["after_data"] else None,
        }
        for r in rows
    ]
    return {"items": items, "next_cursor": rows[-1]["id"] if more and rows else None}


PURGE_BATCH = 5000


def purge_expired(db: Database) -> dict[str, int]:
    """Housekeeping across tenants (the only global writes; bounded batches, index-driven), each
    table by its owner: the platform's idempotency keys, accounts' refresh tokens, cart's guest carts."""
    # Imported here: the system Lambda's API cold start should not load the other areas.
    from chalicelib.accounts.api import purge_expired_tokens
    from chalicelib.cart.api import purge_expired_guest_carts

    session = db.session()
    return {"idempotency_keys": idempotency.purge_expired(session, batch=PURGE_BATCH),
            "refresh_tokens": purge_expired_tokens(session, batch=PURGE_BATCH),
            "guest_carts": purge_expired_guest_carts(db, PURGE_BATCH)}


def openapi_document_path() -> str:
    import os

    return os.path.join(os.path.dirname(__file__), "openapi.json")

