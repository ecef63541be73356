"""Helpers of the content tests: times relative to now, staff-made content, guests by device."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def at(**delta: float) -> str:
    """An ISO time relative to now, with an offset (the API converts it to UTC)."""
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def guest(api: Api, device: str | None = None) -> Api:
    """The same client (signed in when `api` is) sending its own X-Device-Id."""
    g = Api(api.client, api.api_key)
    g.token = api.token
    device_id = device or f"dev-{uuid.uuid4().hex[:16]}"
    original = g.request

    def request(method: str, path: str, body: Any = None, **kw: Any) -> Any:
        kw["headers"] = {"X-Device-Id": device_id, **(kw.get("headers") or {})}
        return original(method, path, body, **kw)

    g.request = request  # type: ignore[method-assign]
    return g


def make(admin: Api, plural: str, **fields: Any) -> dict[str, Any]:
    body = {**DEFAULTS[plural], **fields}
    response = admin.post(f"/api/admin/{plural}", body)
    assert response.status_code == 201, response.body
    return response.json  # type: ignore[no-any-return]


DEFAULTS: dict[str, dict[str, Any]] = {
    "stories": {"title": "Yeni Sezon", "media_key": "stories/yeni-sezon.jpg"},
    "sliders": {"title": "Kamp Haftası", "image_key": "sliders/kamp.jpg"},
    "popups": {"title": "Hoş geldiniz", "body": "İlk siparişe özel kargo bedava."},
}
