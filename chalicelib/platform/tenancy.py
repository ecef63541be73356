"""Tenant resolution from the X-API-Key header (the seed's tenant middleware).

Only an HMAC-SHA256 of each key (peppered with API_KEY_PEPPER) is stored.  A resolved key is
cached twice: in Redis (shared, TENANT_REDIS_TTL) and in the warm container
(settings.tenant_cache_seconds, a few seconds, to save the Redis round trip on hot paths).
Revoking a key or changing a tenant deletes the Redis entries at once; warm containers follow
within the local TTL.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from . import cache
from .config import settings
from .context import Tenant
from .db import Session, get_db
from .errors import Unauthorized

TENANT_REDIS_TTL = 300
KEY_PREFIX = "hk_"

# Bounded: keys come from callers (random `hk_...` strings), so a flood of bad keys must not
# grow the container's memory.  Oldest entries go first.
LOCAL_CACHE_MAX = 1024
_local: dict[str, tuple[float, Tenant | None]] = {}


def _remember(store: dict[str, Any], key: str, value: Any) -> None:
    if len(store) >= LOCAL_CACHE_MAX:
        for old in list(store)[: LOCAL_CACHE_MAX // 4]:
            store.pop(old, None)
    store[key] = value


def hash_api_key(raw_key: str) -> str:
    return hmac.new(settings().api_key_pepper.encode(), raw_key.encode(), hashlib.sha256).hexdigest()


def generate_api_key() -> tuple[str, str, str]:
    """A new key: (raw key shown once, display prefix, stored hash)."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    return raw, raw[:11], hash_api_key(raw)


def _redis_key(key_hash: str) -> str:
    return f"apikey:{key_hash}"


def _load_from_db(session: Session, key_hash: str) -> dict[str, Any] | None:
    row = session.one(
        """SELECT k.id AS api_key_id, k.status AS key_status, k.expires_at,
                  t.id, t.slug, t.name, t.domain, t.status, t.default_language, t.currency, t.settings
             FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
            WHERE k.key_hash = %s""",
        (key_hash,),
    )
    if row is None:
        return None
    origins = session.all(
        "SELECT origin FROM tenant_cors_origins WHERE tenant_id = %s ORDER BY origin", (row["id"],)
    )
    expires_at = row["expires_at"]
    return {
        "api_key_id": row["api_key_id"],
        "active": row["key_status"] == "active" and row["status"] == "active",
        "expires_at": expires_at.timestamp() if expires_at else None,
        "tenant": {
            "id": row["id"],
            "slug": row["slug"],
            "name": row["name"],
            "domain": row["domain"],
            "status": row["status"],
            "default_language": row["default_language"],
            "currency": row["currency"],
            "settings": json.loads(row["settings"]) if row["settings"] else {},
            "cors_origins": [o["origin"] for o in origins],
        },
    }


def _to_tenant(entry: dict[str, Any]) -> Tenant | None:
    if not entry["active"]:
        return None
    if entry["expires_at"] is not None and entry["expires_at"] < time.time():
        return None
    t = entry["tenant"]
    return Tenant(
        id=t["id"],
        slug=t["slug"],
        name=t["name"],
        domain=t.get("domain"),
        status=t["status"],
        default_language=t["default_language"],
        currency=t["currency"],
        settings=t["settings"],
        cors_origins=tuple(t["cors_origins"]),
        api_key_id=entry["api_key_id"],
    )


# Guessing keys: an IP that presented BAD_KEY_LIMIT *different* unknown keys within the window
# gets 429 (with Retry-After) instead of 401 for its bad keys.  A valid key is never refused,
# so customers sharing a carrier-NAT address with a guesser are not locked out, and one
# misconfigured client repeating the same wrong key is not a guesser.  Unknown keys are cached
# as "missing", so a repeated key costs Redis, not MySQL.
BAD_KEY_LIMIT = 50
BAD_KEY_WINDOW = 900


def resolve(raw_key: str | None, client_ip: str = "unknown") -> Tenant:
    """The tenant behind a key, or 401.  Missing, unknown, revoked, expired or suspended: 401."""
    if not raw_key:
        raise Unauthorized("api_key_missing")
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 100:
        raise Unauthorized("api_key_invalid")
    key_hash = hash_api_key(raw_key)
    now = time.monotonic()
    hit = _local.get(key_hash)
    if hit is not None and hit[0] > now:
        tenant = hit[1]
    else:
        entry = cache.get_or_load(
            _redis_key(key_hash), TENANT_REDIS_TTL,
            lambda: _load_from_db(get_db().reader(), key_hash) or {"missing": True},
        )
        tenant = _to_tenant(entry) if entry and not entry.get("missing") else None
        _remember(_local, key_hash, (now + settings().tenant_cache_seconds, tenant))
    if tenant is None:
        _refuse_key_guessers(client_ip, key_hash)
        raise Unauthorized("api_key_invalid")
    return tenant


def _refuse_key_guessers(client_ip: str, key_hash: str) -> None:
    """Count this bad key for the IP (a HyperLogLog of distinct keys); 429 past the limit."""
    try:
        pipe = cache.redis_client().pipeline()
        pipe.pfadd(f"badkey:{client_ip}", key_hash)
        pipe.expire(f"badkey:{client_ip}", BAD_KEY_WINDOW, nx=True)
        pipe.pfcount(f"badkey:{client_ip}")
        distinct = pipe.execute()[2]
    except cache.redis_errors():
        return
    if int(distinct) > BAD_KEY_LIMIT:
        from .errors import TooManyRequests

        raise TooManyRequests(headers={"Retry-After": str(BAD_KEY_WINDOW)}, params={"retry_after": BAD_KEY_WINDOW},
                              details={"retry_after": BAD_KEY_WINDOW})


def forget_keys(key_hashes: list[str]) -> None:
    """Drop cached resolutions (call after commit when a key or its tenant changed)."""
    for key_hash in key_hashes:
        _local.pop(key_hash, None)
    cache.invalidate(*[_redis_key(h) for h in key_hashes])


def forget_tenant(session: Session, tenant_id: int) -> None:
    rows = session.all("SELECT key_hash FROM api_keys WHERE tenant_id = %s", (tenant_id,))
    forget_keys([r["key_hash"] for r in rows])


def clear_local_cache() -> None:
    _local.clear()
    _origins_local.clear()


# -- CORS preflight ----------------------------------------------------------------------------
# A browser's preflight carries no X-API-Key, so the origin itself is checked against every
# tenant's allowed origins (tenant_cors_origins has an index on origin for exactly this).
_origins_local: dict[str, tuple[float, bool]] = {}


def origin_known(origin: str) -> bool:
    if len(origin) > 255:
        return False
    now = time.monotonic()
    hit = _origins_local.get(origin)
    if hit is not None and hit[0] > now:
        return hit[1]
    known = bool(
        get_db().reader().scalar(
            "SELECT 1 FROM tenant_cors_origins WHERE origin = %s LIMIT 1", (origin,)
        )
    )
    _remember(_origins_local, origin, (now + 60, known))
    return known


# -- links into a tenant's shop (e-mails) ----------------------------------------------------------
DEFAULT_SHOP_HOST = "huglu.app"  # a tenant without its own domain


def shop_domain(session: Session, tenant_id: int) -> str | None:
    return session.scalar("SELECT domain FROM tenants WHERE id = %s", (tenant_id,))


def shop_link(domain: str | None, path: str) -> str:
    """https://<the tenant's domain, or the platform's>/<path> for links in e-mails."""
    return f"https://{domain or DEFAULT_SHOP_HOST}{path}"
