"""Pending uploads: short-lived state in Redis, keyed by tenant.

An upload lives UPLOAD_TTL_SECONDS (the presigned POST itself only 10 minutes): long enough to
finish a slow upload and call `complete`, short enough that nothing needs sweeping.  Losing
Redis loses only uploads in flight (the admin uploads again), so no table is needed.

    t:{tenant}:media:upload:{upload_id}   the declared upload (JSON), `image_id` once completed
    t:{tenant}:media:rejected:{uuid}      why the thumbnails function refused the file

Upload ids are random 53-bit integers (exact in JavaScript, unguessable, and numeric because
`*_id` path parameters are), reserved with SET NX so two uploads never share one.
"""
from __future__ import annotations

import secrets
from typing import Any

from chalicelib.platform import cache
from chalicelib.platform.errors import ServiceUnavailable

UPLOAD_TTL_SECONDS = 3600
REJECTION_TTL_SECONDS = 24 * 3600
_ID_BITS = 53


def _upload_key(tenant_id: int, upload_id: int) -> str:
    return cache.tenant_key(tenant_id, "media", "upload", upload_id)


def _rejected_key(tenant_id: int, uuid: str) -> str:
    return cache.tenant_key(tenant_id, "media", "rejected", uuid)


def _redis() -> Any:
    return cache.redis_client()


def create(tenant_id: int, record: dict[str, Any]) -> int:
    """Store a declared upload; returns the new upload id."""
    try:
        redis = _redis()
        while True:
            upload_id = secrets.randbits(_ID_BITS) or 1
            if redis.set(_upload_key(tenant_id, upload_id), cache.dumps(record), nx=True, ex=UPLOAD_TTL_SECONDS):
                return upload_id
    except cache.redis_errors() as exc:
        raise ServiceUnavailable() from exc


def get(tenant_id: int, upload_id: int) -> dict[str, Any] | None:
    try:
        raw = _redis().get(_upload_key(tenant_id, upload_id))
    except cache.redis_errors() as exc:
        raise ServiceUnavailable() from exc
    return None if raw is None else dict(cache.loads(raw))


def mark_completed(tenant_id: int, upload_id: int, record: dict[str, Any], image_id: int) -> None:
    """Remember the image a completed upload made, so a retried `complete` answers the same.
    Best effort: the row itself is found by its key when this is lost."""
    try:
        _redis().set(_upload_key(tenant_id, upload_id), cache.dumps({**record, "image_id": image_id}),
                     xx=True, keepttl=True)
    except cache.redis_errors():
        pass


def reject(tenant_id: int, uuid: str, reason: str) -> None:
    try:
        _redis().set(_rejected_key(tenant_id, uuid), reason, ex=REJECTION_TTL_SECONDS)
    except cache.redis_errors():
        pass  # `complete` then reports the missing file instead of the reason


def rejection(tenant_id: int, uuid: str) -> str | None:
    try:
        raw = _redis().get(_rejected_key(tenant_id, uuid))
    except cache.redis_errors() as exc:
        raise ServiceUnavailable() from exc
    return None if raw is None else raw.decode()
