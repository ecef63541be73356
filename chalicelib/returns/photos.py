"""Return photos: the upload form, and the check a return request's photo keys must pass.

Nothing is written to MySQL for an upload: the key itself says whose it is
(tenants/{tenant}/returns/{user}/...), so a request may name only keys under the caller's own
prefix, and only objects that exist and really are the images they claim to be (a HEAD for
type and size, then the first bytes).  All S3 calls happen before the request's transaction
opens, never inside it.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from . import storage
from .errors import invalid, problem

MAX_PHOTOS = 5


def upload_form(tenant_id: int, user_id: int, content_type: str, size_bytes: int) -> dict[str, Any]:
    key = storage.new_key(tenant_id, user_id, content_type)
    form = storage.upload_form(key, content_type, size_bytes)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return {"key": key, "url": form["url"], "fields": form["fields"],
            "expires_at": now + timedelta(seconds=storage.FORM_SECONDS)}


def check_keys(tenant_id: int, user_id: int, keys: list[str]) -> list[str]:
    """The keys, in order, once each is the caller's and holds an image; else 400 with a
    `details.fields[]` entry per bad key (photo_keys.N)."""
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, key in enumerate(keys):
        field = f"photo_keys.{index}"
        if key in seen:
            problems.append(problem(field, "duplicate", "The same photo is named twice."))
            continue
        seen.add(key)
        if not storage.owned_by(key, tenant_id, user_id):
            problems.append(problem(field, "photo_not_yours", "The photo key is not one of your uploads."))
            continue
        reason = _object_problem(key)
        if reason is not None:
            problems.append(reason | {"field": field})
    if problems:
        raise invalid(problems)
    return keys


def _object_problem(key: str) -> dict[str, Any] | None:
    info = storage.head(key)
    if info is None:
        return problem("", "photo_not_found", "No photo was uploaded under this key.")
    declared = storage.expected_type(key)
    if info.content_type != declared or not 0 < info.size <= storage.MAX_PHOTO_BYTES:
        return problem("", "photo_invalid", "The file must be a JPEG, PNG or WebP photo of at most 10 MB.")
    head = storage.first_bytes(key)
    if head is None:
        return problem("", "photo_not_found", "No photo was uploaded under this key.")
    if storage.sniff(head) != declared:
        return problem("", "photo_invalid", "The file must be a JPEG, PNG or WebP photo of at most 10 MB.")
    return None


def links(keys: list[str]) -> list[dict[str, str]]:
    return [{"key": key, "url": storage.view_url(key)} for key in keys]
