"""API keys: list, issue, rotate with a grace period, revoke.  Key storage and hashing belong
to the tenants area; this adds the guards and the audit trail, in the same transaction.

A raw key exists only in the response that creates it: audit rows and listings carry the id,
name and display prefix, never the key or its hash.  The tenant cache (platform/tenancy) is
told after commit (tenants.service registers it), so a revocation or a shortened expiry bites
on the next request, not after the 5-minute cache.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib.platform import audit
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import Conflict, NotFound

from .service import Actor

_AUDITED = ("id", "name", "prefix", "status", "expires_at", "revoked_at")


def _tenants() -> Any:
    from chalicelib.tenants import api  # lazy: see routes.py

    return api


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # the database keeps naive UTC


def _naive_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(timezone.utc).replace(tzinfo=None)


def _view(row: dict[str, Any]) -> dict[str, Any]:
    if row["status"] == "revoked":
        status = "revoked"
    elif row["expires_at"] is not None and row["expires_at"] <= _utc_now():
        status = "expired"
    else:
        status = "active"
    return {"id": row["id"], "name": row["name"], "prefix": row["key_prefix"], "status": status,
            "created_by": row["created_by"], "last_used_at": row["last_used_at"], "expires_at": row["expires_at"],
            "revoked_at": row["revoked_at"], "created_at": row["created_at"]}


def _audited(view: dict[str, Any]) -> dict[str, Any]:
    return {k: view[k] for k in _AUDITED}


def _locked(uow: UnitOfWork, tenant_id: int, key_id: int) -> dict[str, Any]:
    row = _tenants().get_api_key(uow, tenant_id, key_id, for_update=True)
    if row is None:
        raise NotFound()
    return _view(row)


def list_keys(db: Database, tenant_id: int) -> list[dict[str, Any]]:
    return [_view(r) for r in _tenants().list_api_keys(db.reader(), tenant_id)]


def create_key(db: Database, tenant_id: int, actor: Actor, *, name: str,
               expires_at: datetime | None) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        issued = _tenants().issue_api_key(uow, tenant_id, name=name, created_by=actor.user_id,
                                          expires_at=_naive_utc(expires_at))
        view = _locked(uow, tenant_id, issued.key_id)
        audit.record(uow, tenant_id, "api_key.create", entity_type="api_key", entity_id=issued.key_id,
                     after=_audited(view))
        uow.commit()
        return {**view, "api_key": issued.api_key}

    return db.transaction(work)


def rotate_key(db: Database, tenant_id: int, actor: Actor, key_id: int, *, grace_seconds: int,
               expires_at: datetime | None) -> dict[str, Any]:
    """A new key with the same name; the old one works for `grace_seconds` more (never longer
    than it would have anyway), so clients can switch without an outage."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        tenants = _tenants()
        old = _locked(uow, tenant_id, key_id)
        if old["status"] != "active":
            raise Conflict(details={"reason": "key_not_active", "status": old["status"]})
        until = _utc_now() + timedelta(seconds=grace_seconds)
        if old["expires_at"] is None or until < old["expires_at"]:
            tenants.expire_api_key(uow, tenant_id, key_id, until)
        issued = tenants.issue_api_key(uow, tenant_id, name=old["name"], created_by=actor.user_id,
                                       expires_at=_naive_utc(expires_at))
        previous, new = _locked(uow, tenant_id, key_id), _locked(uow, tenant_id, issued.key_id)
        audit.record(uow, tenant_id, "api_key.rotate", entity_type="api_key", entity_id=key_id,
                     before=_audited(old), after={"previous": _audited(previous), "new": _audited(new)})
        uow.commit()
        return {"new": {**new, "api_key": issued.api_key}, "previous": previous}

    return db.transaction(work)


def revoke_key(db: Database, tenant_id: int, key_id: int, *, current_key_id: int, force: bool) -> None:
    """Revoke now.  The key serving this very request needs `force`: revoking it by accident
    would lock the admin panel out of its own tenant."""

    def work(uow: UnitOfWork) -> None:
        current = _locked(uow, tenant_id, key_id)
        if key_id == current_key_id and not force:
            raise Conflict(details={"reason": "key_in_use_by_this_request"})
        if current["status"] == "revoked":
            return  # already done: DELETE stays idempotent, nothing to write or audit
        _tenants().revoke_api_key_in(uow, tenant_id, key_id)
        after = _locked(uow, tenant_id, key_id)
        audit.record(uow, tenant_id, "api_key.revoke", entity_type="api_key", entity_id=key_id,
                     before=_audited(current), after=_audited(after))
        uow.commit()

    db.transaction(work)
