"""Short one-time codes (e-mail / SMS verification) kept in Redis.

A code is 6 digits, valid for CODE_TTL seconds, checked at most MAX_ATTEMPTS times, and
deleted on success: it works once.  Only its keyed hash is stored, next to whatever the flow
needs to finish (the pending registration, the new e-mail), under a random verification id.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from chalicelib.platform import cache
from chalicelib.platform.config import settings
from chalicelib.platform.errors import ApiError

CODE_TTL = 15 * 60
MAX_ATTEMPTS = 5

# Compare-and-consume in one step, so two concurrent guesses can't both win or both count once.
_CHECK = """
local raw = redis.call('GET', KEYS[1])
if not raw then return {-1, ''} end
local state = cjson.decode(raw)
if state.code_hash == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {1, raw}
end
state.attempts = (state.attempts or 0) + 1
if state.attempts >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return {0, ''}
end
redis.call('SET', KEYS[1], cjson.encode(state), 'KEEPTTL')
return {0, ''}
"""
_script: Any = None


def _key(tenant_id: int, purpose: str, verification_id: str) -> str:
    return f"otc:{tenant_id}:{purpose}:{verification_id}"


def _hash(code: str) -> str:
    return hmac.new(settings().jwt_secret.encode(), code.encode(), hashlib.sha256).hexdigest()


def issue(tenant_id: int, purpose: str, data: dict[str, Any], *, verification_id: str | None = None) -> tuple[str, str]:
    """Store `data` under a new (or given) verification id; returns (verification_id, code)."""
    verification_id = verification_id or secrets.token_urlsafe(18)
    code = f"{secrets.randbelow(1_000_000):06d}"
    state = {"code_hash": _hash(code), "attempts": 0, "data": data}
    cache.redis_client().set(_key(tenant_id, purpose, verification_id), cache.dumps(state), ex=CODE_TTL)
    return verification_id, code


def peek(tenant_id: int, purpose: str, verification_id: str) -> dict[str, Any] | None:
    raw = cache.redis_client().get(_key(tenant_id, purpose, verification_id))
    return json.loads(raw)["data"] if raw else None


def consume(tenant_id: int, purpose: str, verification_id: str, code: str) -> dict[str, Any]:
    """The stored data when `code` is right (and the code is spent); 400 otherwise."""
    global _script
    client = cache.redis_client()
    if _script is None or _script.registered_client is not client:
        _script = client.register_script(_CHECK)
    status, raw = _script(keys=[_key(tenant_id, purpose, verification_id)], args=[_hash(code.strip()), MAX_ATTEMPTS])
    if int(status) != 1:
        raise code_invalid()
    return json.loads(raw)["data"]  # type: ignore[no-any-return]


def code_invalid() -> ApiError:
    """Wrong, expired, used-up or unknown: one answer for all of them."""
    return ApiError("code_invalid", status=400, details={"fields": [
        {"field": "code", "message": "Kod hatalı veya süresi dolmuş.", "type": "code_invalid"}]})
