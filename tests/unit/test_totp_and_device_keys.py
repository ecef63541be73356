"""The pure parts of 2FA and biometric sign-in: TOTP windows, recovery codes, device keys."""
from __future__ import annotations

import base64
import re

import pyotp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.accounts import device_keys, totp

NOW = 1_700_000_015.0  # 15 s into a step


def test_matching_step_accepts_one_step_either_side_and_nothing_further():
    secret = totp.new_secret()
    gen = pyotp.TOTP(secret)
    step = int(NOW // 30)
    for offset in (-1, 0, 1):
        assert totp.matching_step(secret, gen.at(NOW + 30 * offset), now=NOW) == step + offset
    for offset in (-3, -2, 2, 3):
        code = gen.at(NOW + 30 * offset)
        if code not in {gen.at(NOW + 30 * k) for k in (-1, 0, 1)}:  # a 1-in-a-million collision
            assert totp.matching_step(secret, code, now=NOW) is None


def test_provisioning_uri_names_issuer_and_account():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", label="ayse@example.com", issuer="Huğlu Av")
    assert uri.startswith("otpauth://totp/") and "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri
    assert "issuer=Hu%C4%9Flu%20Av" in uri and "ayse%40example.com" in uri


def test_recovery_codes_are_ten_distinct_readable_codes():
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    assert all(re.fullmatch(r"[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}", c) for c in codes)


def test_recovery_code_hash_is_keyed_per_user_and_ignores_typing_noise():
    h = totp.recovery_code_hash(1, 2, "abcd-efgh")
    assert len(h) == 64 and h == totp.recovery_code_hash(1, 2, " ABCD EFGH ") == totp.recovery_code_hash(1, 2, "abcdefgh")
    assert h != totp.recovery_code_hash(1, 3, "abcd-efgh") != totp.recovery_code_hash(9, 2, "abcd-efgh")


def _spki(key: ec.EllipticCurvePrivateKey, encoding: serialization.Encoding) -> bytes:
    return key.public_key().public_bytes(encoding, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_p256_keys_load_from_pem_and_base64_der_to_one_fingerprint():
    key = ec.generate_private_key(ec.SECP256R1())
    der = _spki(key, serialization.Encoding.DER)
    from_pem = device_keys.load_p256_public_key(_spki(key, serialization.Encoding.PEM).decode())
    from_der = device_keys.load_p256_public_key(base64.b64encode(der).decode())
    from_urlsafe = device_keys.load_p256_public_key(base64.urlsafe_b64encode(der).decode().rstrip("="))
    assert from_pem == from_der == from_urlsafe


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP521R1(), ec.SECP256K1()])
def test_other_curves_are_rejected(curve):
    key = ec.generate_private_key(curve)
    with pytest.raises(device_keys.KeyRejected, match="P-256"):
        device_keys.load_p256_public_key(_spki(key, serialization.Encoding.PEM).decode())


def test_signature_check():
    key = ec.generate_private_key(ec.SECP256R1())
    pem = device_keys.load_p256_public_key(_spki(key, serialization.Encoding.PEM).decode()).pem
    signature = base64.b64encode(key.sign(b"challenge", ec.ECDSA(hashes.SHA256()))).decode()
    assert device_keys.signature_valid(pem, b"challenge", signature)
    assert not device_keys.signature_valid(pem, b"challengE", signature)
    assert not device_keys.signature_valid(pem, b"challenge", "bm90IGEgc2lnbmF0dXJl")
    assert not device_keys.signature_valid(pem, b"challenge", "%%%")
