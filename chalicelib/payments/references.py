"""The short codes a customer writes on a bank transfer ("HG-7K3M9Q2X") and our ids for a
provider (conversation ids).

Crockford base32 (no I, L, O, U: nothing to misread on a bank statement), 8 symbols from the
OS's CSPRNG: 40 bits, so a code cannot be guessed from another, and a collision in the tenant's
ux_reference is rare enough to just draw again.
"""
from __future__ import annotations

import secrets
import uuid

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "HG-"
LENGTH = 8


def transfer_code() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def conversation_id() -> str:
    """Our id of an attempt at the provider (iyzico's conversationId): unique, not guessable."""
    return uuid.uuid4().hex
