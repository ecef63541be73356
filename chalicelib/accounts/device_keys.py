"""Device public keys for biometric sign-in: parsing, fingerprints, signature checks.

A phone keeps an EC P-256 private key in its secure hardware (iOS Secure Enclave, Android
Keystore), unlocked only by a biometric prompt; the server stores the public half.  P-256 with
SHA-256 is the one combination both platforms' secure hardware offers, so nothing else is
accepted.  `cryptography` is imported on first use (cold start, see ARCHITECTURE.md).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass


class KeyRejected(ValueError):
    """Not a usable EC P-256 public key (the message is safe to show the client)."""


@dataclass(frozen=True)
class DeviceKey:
    pem: str  # canonical SubjectPublicKeyInfo PEM, what we store
    fingerprint: str  # SHA-256 of the DER encoding, hex


def b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional (phones send either)."""
    cleaned = "".join(text.split()).replace("-", "+").replace("_", "/")
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)


def load_p256_public_key(text: str) -> DeviceKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        if text.lstrip().startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.strip().encode())
        else:
            key = serialization.load_der_public_key(b64decode(text))
    except (ValueError, TypeError, binascii.Error, UnicodeError) as exc:
        raise KeyRejected("not a PEM or base64 DER SubjectPublicKeyInfo") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyRejected("must be an EC P-256 (secp256r1) public key")
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return DeviceKey(pem=pem.decode(), fingerprint=hashlib.sha256(der).hexdigest())


def signature_valid(public_key_pem: str, message: bytes, signature_b64: str) -> bool:
    """ECDSA-SHA256 over `message` with a DER signature; any malformation is simply False."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        signature = b64decode(signature_b64)
        key = serialization.load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, ec.EllipticCurvePublicKey):  # only P-256 keys are ever stored
            return False
        key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
