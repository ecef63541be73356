"""Passwords: the one length rule, and bcrypt hashing (cost from BCRYPT_ROUNDS, 12 by default
and never less in production).

The rule (issue 9): bcrypt reads at most 72 *bytes* (bcrypt 5 refuses longer input instead of
silently cutting it), so a password is at most MAX_PASSWORD_BYTES bytes in UTF-8 - a Turkish
letter such as "ş" counts 2, most emoji 4:
- a *new* password (registration, reset, change, staff creation) that is longer is a 400 with
  the field error `password_too_long` (`NewPassword`);
- a password given to be *checked* (login, re-authentication, account deletion, the current
  password of a change) that is longer can never match - no password was ever stored that long -
  so it gets the same answer, in the same time, as a wrong password (`verify_password`).
"""
from __future__ import annotations

from typing import Annotated, Any

import bcrypt
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from chalicelib.platform import i18n
from chalicelib.platform.config import settings

MAX_PASSWORD_BYTES = 72  # what bcrypt reads
RULE = f"at most {MAX_PASSWORD_BYTES} bytes in UTF-8 (a Turkish letter such as 'ş' counts 2, an emoji 4)"

TOO_LONG_TR = (f"Şifre UTF-8 olarak en fazla {MAX_PASSWORD_BYTES} bayt olabilir "
               "(ş gibi Türkçe harfler 2, emojiler 4 bayt sayılır).")
TOO_LONG_EN = f"The password must be {RULE}."
i18n.register(field_messages_tr={"password_too_long": TOO_LONG_TR,
                                 "string_unicode": "Geçerli Unicode metin olmalıdır."})

# Verified against when the account does not exist, so a miss costs the same time as a hit
# and response timing does not reveal which e-mails have accounts.  The cost-12 hash is a
# constant so even the first miss in a container costs one bcrypt, like a hit.
_DUMMY_HASHES: dict[int, bytes] = {
    12: b"$2b$12$0stCcM0DA4sIfbtYKop1TO6O3TljIDBU5YS03bsc9MkZR1XeJXk.e",
}


def _utf8(password: str) -> bytes:
    # surrogatepass: a lone surrogate (valid in JSON as "\ud800") must not raise here; such a
    # password is refused as a new one (below) and simply never matches as a given one.
    return password.encode("utf-8", "surrogatepass")


def too_long(password: str) -> bool:
    return len(_utf8(password)) > MAX_PASSWORD_BYTES


def _new_password(value: Any) -> Any:
    # On the text as sent, before surrounding whitespace is stripped: the schema's maxLength
    # speaks of the raw value too, so what it calls too long is refused here as well.
    if isinstance(value, str) and too_long(value):
        raise PydanticCustomError("password_too_long", TOO_LONG_EN, {"max_bytes": MAX_PASSWORD_BYTES})
    return value


def _valid_unicode(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("string_unicode", "Must be valid Unicode text (no lone surrogates).") from None
    return value


def _given_length(value: Any) -> Any:
    if isinstance(value, str) and len(value) > GIVEN_MAX_CHARS:
        raise PydanticCustomError("string_too_long", "String should have at most {max_length} characters",
                                  {"max_length": GIVEN_MAX_CHARS})
    return value


# A password being set.  The schema's maxLength (characters) is the loose bound of the byte
# rule.  Surrounding whitespace is stripped afterwards, as at login (GivenPassword), so a
# password is compared as it was stored whatever the model's configuration.
NewPassword = Annotated[str, BeforeValidator(_new_password), StringConstraints(strip_whitespace=True),
                        AfterValidator(_valid_unicode),
                        Field(description=f"The new password: {RULE}.",
                              json_schema_extra={"maxLength": MAX_PASSWORD_BYTES})]
# A password being checked: longer than the rule allows is simply wrong (verify_password).
GIVEN_MAX_CHARS = 128
GivenPassword = Annotated[str, BeforeValidator(_given_length), StringConstraints(strip_whitespace=True, min_length=1),
                          Field(description=f"The account's password. One longer than {MAX_PASSWORD_BYTES} "
                                            "UTF-8 bytes never matches.",
                                json_schema_extra={"maxLength": GIVEN_MAX_CHARS})]


class PasswordTooLong(ValueError):
    """hash_password was given a password the schemas should have refused (a programming error)."""


def hash_password(password: str) -> str:
    if too_long(password):
        raise PasswordTooLong(f"a password is {RULE}; validate it with NewPassword first")
    return bcrypt.hashpw(_utf8(password), bcrypt.gensalt(rounds=settings().bcrypt_rounds)).decode()


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when `password` matches.  Always costs one bcrypt verification at the stored hash's
    cost (the dummy hash's when there is no account), whatever the input, so timing reveals
    neither whether the account exists nor how long the password was."""
    candidate = _utf8(password)
    target = password_hash.encode() if password_hash else _dummy_hash()
    if len(candidate) > MAX_PASSWORD_BYTES:
        bcrypt.checkpw(candidate[:MAX_PASSWORD_BYTES], target)  # the same work; the answer is no
        return False
    matched = bcrypt.checkpw(candidate, target)
    return matched and password_hash is not None


def _dummy_hash() -> bytes:
    rounds = settings().bcrypt_rounds
    if rounds not in _DUMMY_HASHES:
        _DUMMY_HASHES[rounds] = bcrypt.hashpw(b"timing-equaliser", bcrypt.gensalt(rounds=rounds))
    return _DUMMY_HASHES[rounds]
