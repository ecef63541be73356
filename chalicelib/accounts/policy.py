"""Account rules that are not SQL: password policy, identifiers, login-failure lockout.

Lockout counters are keyed by the *identifier typed* (normalised e-mail or phone), not by the
account, so a locked response looks the same whether or not the account exists.
"""
from __future__ import annotations

import hashlib
import re
import time

from pydantic_core import PydanticCustomError

from chalicelib.platform import cache
from chalicelib.platform.errors import ApiError, BadRequest, TooManyRequests
from chalicelib.platform.text import normalise_tr_mobile

from .passwords import TOO_LONG_EN, TOO_LONG_TR, too_long

# One e-mail pattern for every schema that takes an address (accounts and admin_access), also
# written into the OpenAPI document (ECMA-262 and Python read it alike).  Besides "@" and
# whitespace it keeps out control characters (NUL, ...), line separators, the BOM and
# bidirectional overrides (issue 9, text hygiene), and the characters the notifications area
# refuses in a recipient (<>,;:"()[]\), so an address accepted here can always be written to.
_NOT_IN_EMAIL = r'@\s<>,;:"()\[\]\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\u202a-\u202e\u2066-\u2069'
EMAIL_PATTERN = rf"^[^{_NOT_IN_EMAIL}]{{1,64}}@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]{{2,}}$"
EMAIL = re.compile(EMAIL_PATTERN)


def stripped(pattern: str) -> str:
    """`pattern` (anchored ^...$) as the schema must state it for a field whose surrounding
    whitespace the model strips before checking: text the server accepts, the document must
    not call invalid (issue 9: the fuzzer's negative cases find such drift)."""
    assert pattern.startswith("^") and pattern.endswith("$")
    return rf"^\s*(?:{pattern[1:-1]})\s*$"


MAX_EMAIL = 254  # users.email VARCHAR(254)
MIN_PASSWORD = 10
COMMON_PASSWORDS = {
    "1234567890", "12345678910", "qwertyuiop", "password123", "sifre12345", "parola1234",
    "abc1234567", "galatasaray", "fenerbahce", "besiktas1903", "1q2w3e4r5t", "asdfghjkl1",
}

# Login failures: per identifier (the account being guessed) and per IP (one client guessing many).
ACCOUNT_FAILURES, ACCOUNT_LOCK_SECONDS = 5, 15 * 60
IP_FAILURES, IP_WINDOW_SECONDS = 30, 15 * 60


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"en az {MIN_PASSWORD} karakter / at least {MIN_PASSWORD} characters")
    if not re.search(r"[^\W\d_]", password) or not re.search(r"\d", password):
        problems.append("harf ve rakam içermeli / must contain letters and digits")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (email and email.split("@")[0].lower() in lowered and len(email) > 4):
        problems.append("çok kolay tahmin edilir / too easy to guess")
    return problems


def check_password(password: str, *, email: str | None = None, field: str = "password") -> None:
    """A new password's strength, and the byte rule of passwords.py (the schemas check that
    too, with `NewPassword`; this keeps callers that skip the schemas from reaching bcrypt)."""
    if too_long(password):
        from chalicelib.platform.context import current

        raise BadRequest("validation_failed", details={"fields": [
            {"field": field, "message": TOO_LONG_TR if current().lang == "tr" else TOO_LONG_EN,
             "type": "password_too_long"}]})
    problems = password_problems(password, email=email)
    if problems:
        raise BadRequest("weak_password", details={"fields": [
            {"field": field, "message": "; ".join(problems), "type": "weak_password"}]})


def canonical_email(value: str) -> str:
    """An address as it is stored and looked up: stripped and lower-cased.  Lower-casing can
    lengthen text ("İ" becomes "i" + U+0307), so the column's limit is checked on the result."""
    email = value.strip().lower()
    if len(email) > MAX_EMAIL:
        raise PydanticCustomError("string_too_long", "String should have at most {max_length} characters",
                                  {"max_length": MAX_EMAIL})
    return email


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if not EMAIL.match(email):
        raise BadRequest("validation_failed", details={"fields": [
            {"field": "email", "message": "Geçerli bir e-posta adresi girin.", "type": "value_error"}]})
    return email


def normalise_phone(raw: str, field: str = "phone") -> str:
    phone = normalise_tr_mobile(raw)
    if phone is None:
        raise BadRequest("validation_failed", details={"fields": [
            {"field": field, "message": "Geçerli bir cep telefonu numarası girin (05XX XXX XX XX).",
             "type": "value_error"}]})
    return phone


def _identifier_key(tenant_id: int, identifier: str) -> str:
    digest = hashlib.sha256(identifier.encode()).hexdigest()[:32]  # no e-mails in Redis keys
    return f"lf:{tenant_id}:id:{digest}"


def ensure_not_locked(tenant_id: int, identifier: str, ip: str) -> None:
    redis = cache.redis_client()
    try:
        account_failures, ip_failures = redis.mget(_identifier_key(tenant_id, identifier), f"lf:{tenant_id}:ip:{ip}")
        ttl = redis.ttl(_identifier_key(tenant_id, identifier))
    except cache.redis_errors():
        return  # counters unavailable: bcrypt's cost still bounds guessing
    if account_failures is not None and int(account_failures) >= ACCOUNT_FAILURES:
        wait = max(int(ttl), 1)
        raise ApiError("login_locked", status=429, headers={"Retry-After": str(wait)},
                       params={"minutes": max(1, round(wait / 60))}, details={"retry_after": wait})
    if ip_failures is not None and int(ip_failures) >= IP_FAILURES:
        raise TooManyRequests(headers={"Retry-After": str(IP_WINDOW_SECONDS)},
                              params={"retry_after": IP_WINDOW_SECONDS}, details={"retry_after": IP_WINDOW_SECONDS})


def record_failure(tenant_id: int, identifier: str, ip: str) -> None:
    try:
        pipe = cache.redis_client().pipeline()
        key = _identifier_key(tenant_id, identifier)
        pipe.incr(key)
        pipe.expire(key, ACCOUNT_LOCK_SECONDS)  # each failure extends the lock window
        pipe.incr(f"lf:{tenant_id}:ip:{ip}")
        pipe.expire(f"lf:{tenant_id}:ip:{ip}", IP_WINDOW_SECONDS, nx=True)
        pipe.execute()
    except cache.redis_errors():
        pass


def clear_failures(tenant_id: int, identifier: str) -> None:
    try:
        cache.redis_client().delete(_identifier_key(tenant_id, identifier))
    except cache.redis_errors():
        pass


def now() -> float:
    return time.time()
