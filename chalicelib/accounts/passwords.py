"""bcrypt password hashing (cost from BCRYPT_ROUNDS, 12 by default and never less in production)."""
from __future__ import annotations

import bcrypt

from chalicelib.platform.config import settings

# Verified against when the account does not exist, so a miss costs the same time as a hit
# and response timing does not reveal which e-mails have accounts.  The cost-12 hash is a
# constant so even the first miss in a container costs one bcrypt, like a hit.
_DUMMY_HASHES: dict[int, bytes] = {
    12: b"$2b$12$0stCcM0DA4sIfbtYKop1TO6O3TljIDBU5YS03bsc9MkZR1XeJXk.e",
}


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=settings().bcrypt_rounds)).decode()


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        bcrypt.checkpw(password.encode("utf-8"), _dummy_hash())
        return False
    return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode())


def _dummy_hash() -> bytes:
    rounds = settings().bcrypt_rounds
    if rounds not in _DUMMY_HASHES:
        _DUMMY_HASHES[rounds] = bcrypt.hashpw(b"timing-equaliser", bcrypt.gensalt(rounds=rounds))
    return _DUMMY_HASHES[rounds]
