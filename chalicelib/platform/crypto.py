"""Sensitive data at rest (phone, national id, tax number, IBAN): AES-256-GCM with key ids,
and keyed hashes for lookups.

Keys come from configuration (DATA_KEYS, a Secrets Manager secret in AWS) as
`kid:base64key[,kid:base64key...]`; DATA_KEY_ID names the key new values are sealed with.
Every ciphertext starts with its key id, so old values stay readable after a rotation and can be
re-sealed lazily (`needs_rotation`).  The field name is bound as associated data: a phone
ciphertext pasted into the IBAN column fails to open.

Lookups by value ("is this phone registered?") use `lookup_hash`, an HMAC-SHA256 under a
separate key (DATA_HASH_KEY), over a normalised value; never the ciphertext.

Format: b"v1:" + kid + b":" + nonce(12) + ciphertext+tag
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from .config import settings

VERSION = b"v1"
NONCE_BYTES = 12


class CryptoError(Exception):
    """A value could not be opened: wrong key, wrong field, or tampered with."""


@lru_cache(maxsize=8)
def _keys(spec: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for part in spec.split(","):
        kid, _, b64 = part.strip().partition(":")
        key = base64.b64decode(b64)
        if len(key) != 32 or not kid.isalnum():
            raise ValueError(f"DATA_KEYS entry {kid!r} must be an alphanumeric id and a 32-byte key")
        keys[kid] = key
    return keys


def _aead(key: bytes):  # type: ignore[no-untyped-def]
    # Imported lazily: `cryptography` costs ~50 ms of cold start; only areas that seal pay it.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def seal(plaintext: str, field: str) -> bytes:
    cfg = settings()
    key = _keys(cfg.data_keys)[cfg.data_key_id]
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(key).encrypt(nonce, plaintext.encode("utf-8"), field.encode())
    return VERSION + b":" + cfg.data_key_id.encode() + b":" + nonce + sealed


def open_sealed(blob: bytes | None, field: str) -> str | None:
    if blob is None:
        return None
    try:
        version, kid, rest = bytes(blob).split(b":", 2)
    except ValueError as exc:
        raise CryptoError("malformed ciphertext") from exc
    if version != VERSION:
        raise CryptoError("unknown ciphertext version")
    key = _keys(settings().data_keys).get(kid.decode())
    if key is None:
        raise CryptoError(f"unknown key id {kid.decode()!r}")
    from cryptography.exceptions import InvalidTag

    try:
        return _aead(key).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], field.encode()).decode("utf-8")
    except InvalidTag as exc:
        raise CryptoError("ciphertext does not open under its key for this field") from exc


def needs_rotation(blob: bytes | None) -> bool:
    return blob is not None and not bytes(blob).startswith(VERSION + b":" + settings().data_key_id.encode() + b":")


def lookup_hash(value: str, field: str) -> bytes:
    """32-byte keyed hash for equality lookups (store in a BINARY(32) column)."""
    key = base64.b64decode(settings().data_hash_key)
    return hmac.new(key, f"{field}\x00{value}".encode(), hashlib.sha256).digest()
