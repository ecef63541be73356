"""Access tokens: short-lived HS256 JWTs carrying tenant, user, roles and permissions.

Refresh tokens are opaque, rotating and stored hashed (see chalicelib/accounts); this module
only signs and verifies access tokens.  PyJWT is imported on first use (~70-150 ms on this
machine, measured by `make bench`), which anonymous catalogue requests never need.
"""
from __future__ import annotations

import functools
import secrets
import time
from typing import Any

from .config import settings
from .context import Principal
from .errors import Unauthorized

ALGORITHM = "HS256"


def issue_access_token(principal: Principal, *, now: float | None = None) -> tuple[str, int]:
    """Returns (token, expires_in_seconds)."""
    import jwt

    cfg = settings()
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": cfg.jwt_issuer,
        "sub": str(principal.user_id),
        "tid": principal.tenant_id,
        "roles": list(principal.roles),
        "perms": sorted(principal.permissions),
        "staff": principal.is_staff,
        "sid": principal.session_id,
        "amr": list(principal.amr),
        "typ": "access",
        "iat": issued,
        "exp": issued + cfg.access_token_seconds,
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, cfg.jwt_secret, algorithm=ALGORITHM), cfg.access_token_seconds


LEEWAY_SECONDS = 5


def decode_access_token(token: str) -> Principal:
    """The token's principal, or 401 token_invalid (bad signature, expired, malformed claims).

    A warm container sees the same few tokens again and again (a shopper's app sends one for 15
    minutes), so a token verified once is remembered (`_verified`, keyed by the token's exact text
    and the secret and issuer it was checked against); each use still checks its expiry.  PyJWT's
    verification costs ~80 µs a request here (its base64 check walks the token in Python), the
    cache hit ~1 µs.  Revocation is not the token's business: the middleware asks the session
    registry on every request."""
    cfg = settings()
    principal, expires = _verified(token, cfg.jwt_secret, cfg.jwt_issuer)
    if time.time() > expires + LEEWAY_SECONDS:
        raise Unauthorized("token_invalid")
    return principal


@functools.lru_cache(maxsize=4096)  # a raised Unauthorized is not remembered: a bad token is checked each time
def _verified(token: str, secret: str, issuer: str) -> tuple[Principal, int]:
    import jwt

    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "tid"]},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized("token_invalid") from exc
    if claims.get("typ") != "access":
        raise Unauthorized("token_invalid")
    return _principal(claims), int(claims["exp"])  # PyJWT accepts a float exp too


def _principal(claims: dict[str, Any]) -> Principal:
    """The claims as a Principal, each checked for its type: a correctly signed token with a
    `sub` of 1.5, `roles` of "admin" or `perms` of {} is a forged or broken token (401), never
    a 500 somewhere downstream."""
    sub, tid = claims.get("sub"), claims.get("tid")
    if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and 0 < len(sub) <= 19):
        raise Unauthorized("token_invalid")
    if not (isinstance(tid, int) and not isinstance(tid, bool) and 0 < tid < 2**63):
        raise Unauthorized("token_invalid")
    roles, perms, amr = claims.get("roles", []), claims.get("perms", []), claims.get("amr", [])
    sid, staff = claims.get("sid"), claims.get("staff", False)
    if not all(_str_list(v) for v in (roles, perms, amr)) or not isinstance(staff, bool) \
            or not (sid is None or (isinstance(sid, str) and len(sid) <= 64)):
        raise Unauthorized("token_invalid")
    return Principal(user_id=int(sub), tenant_id=tid, roles=tuple(roles), permissions=frozenset(perms),
                     is_staff=staff, session_id=sid, amr=tuple(amr))


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) <= 256 and all(isinstance(v, str) for v in value)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("token_invalid")
    return token.strip()
