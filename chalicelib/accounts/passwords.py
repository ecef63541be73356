"""bcrypt password hashing (cost from BCRYPT_ROUNDS, 12 by default and never less in production)."""
from __future__ import annotations

import bcrypt

from chalicelib.platform.config import settings

# Verified against when the account does not exist, so a miss costs the same time as a hit
# and response timing does not reveal which e-mails have accounts.
_DUMMY_HASH = bcrypt.hashpw(b"timing-equaliser", bcrypt.gensalt(rounds=4))


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=settings().bcrypt_rounds)).decode()


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        bcrypt.checkpw(password.encode("utf-8"), _dummy_hash())
        return False
    return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode())


def _dummy_hash() -> bytes:
    global _DUMMY_HASH
    rounds = settings().bcrypt_rounds
    if int(_DUMMY_HASH.split(b"$")[2]) != rounds:
        _DUMMY_HASH = bcrypt.hashpw(b"timing-equaliser", bcrypt.gensalt(rounds=rounds))
    return _DUMMY_HASH
