"""Read models of other areas' tables for the referral rules (platform/tables.py READ_MODELS),
each a bounded, tenant-scoped lookup on an index that starts with the tenant:

- users (accounts): the referee's registration time (the claim window) and each side's verified
  phone (phone_hash: unique per shop, so it is compared with the phones of the other's addresses);
- orders (orders): whether the referee has placed any order yet;
- user_devices (accounts): a device id both accounts signed in from;
- addresses (addresses): an address both hold (normalised line + postcode), and the phones given
  with them (Turkish mobiles normalised, then hashed the way users.phone_hash is);
- payment_cards (payments): a saved card both hold (same BIN and last four digits: iyzico's card
  tokens differ per customer, so the token cannot tell).

`fraud_flags` answers the list of what matched: same_device, same_phone, same_address, same_card.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from chalicelib.platform import crypto
from chalicelib.platform.db import Session
from chalicelib.platform.text import fold, normalise_tr_mobile

SAME_DEVICE, SAME_PHONE, SAME_ADDRESS, SAME_CARD = "same_device", "same_phone", "same_address", "same_card"
MAX_ROWS = 50  # addresses / cards looked at per customer
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def registered_at(session: Session, tenant_id: int, user_id: int) -> dt.datetime | None:
    found = session.scalar("SELECT created_at FROM users WHERE tenant_id = %s AND id = %s", (tenant_id, user_id))
    return found if isinstance(found, dt.datetime) else None


def has_orders(session: Session, tenant_id: int, user_id: int) -> bool:
    return session.scalar("SELECT 1 FROM orders WHERE tenant_id = %s AND user_id = %s LIMIT 1",
                          (tenant_id, user_id)) is not None


def _same_device(session: Session, tenant_id: int, a: int, b: int) -> bool:
    return session.scalar(
        """SELECT 1 FROM user_devices x
             JOIN user_devices y ON y.tenant_id = x.tenant_id AND y.user_id = %s AND y.device_id = x.device_id
            WHERE x.tenant_id = %s AND x.user_id = %s LIMIT 1""", (b, tenant_id, a)) is not None


def _phones(session: Session, tenant_id: int, user_id: int, addresses: list[dict[str, Any]]) -> set[bytes]:
    """The user's verified phone hash and the hashes of the mobiles on their addresses."""
    found = session.scalar("SELECT phone_hash FROM users WHERE tenant_id = %s AND id = %s", (tenant_id, user_id))
    hashes = {bytes(found)} if found else set()
    for row in addresses:
        mobile = normalise_tr_mobile(row["phone"] or "")
        if mobile:
            hashes.add(crypto.lookup_hash(mobile, "user.phone"))
    return hashes


def address_key(line: str | None, postcode: str | None) -> str:
    """An address as compared: Turkish-folded, punctuation and spacing dropped, with the postcode."""
    return _NOT_WORD.sub("", fold(line or "")) + "|" + (postcode or "").strip()


def _addresses(session: Session, tenant_id: int, user_id: int) -> list[dict[str, Any]]:
    return session.all("SELECT address_line, posta_kodu, phone FROM addresses WHERE tenant_id = %s AND user_id = %s "
                       "ORDER BY id DESC LIMIT %s", (tenant_id, user_id, MAX_ROWS))


def _places(rows: list[dict[str, Any]]) -> set[str]:
    return {address_key(r["address_line"], r["posta_kodu"]) for r in rows if r["address_line"]}


def _cards(session: Session, tenant_id: int, user_id: int) -> set[tuple[str, str]]:
    rows = session.all("SELECT bin_number, last4 FROM payment_cards WHERE tenant_id = %s AND user_id = %s "
                       "ORDER BY id DESC LIMIT %s", (tenant_id, user_id, MAX_ROWS))
    return {(str(r["bin_number"]), str(r["last4"])) for r in rows if r["bin_number"] and r["last4"]}


def fraud_flags(session: Session, tenant_id: int, referrer: int, referee: int) -> list[str]:
    flags = []
    if _same_device(session, tenant_id, referrer, referee):
        flags.append(SAME_DEVICE)
    mine, theirs = _addresses(session, tenant_id, referrer), _addresses(session, tenant_id, referee)
    if _phones(session, tenant_id, referrer, mine) & _phones(session, tenant_id, referee, theirs):
        flags.append(SAME_PHONE)
    if _places(mine) & _places(theirs):
        flags.append(SAME_ADDRESS)
    if _cards(session, tenant_id, referrer) & _cards(session, tenant_id, referee):
        flags.append(SAME_CARD)
    return flags


def masked_name(row: dict[str, Any]) -> str:
    """"Ayşe Yılmaz" → "Ay*** Y***": enough for the referrer to recognise, not to identify."""
    parts = [p for p in (row.get("first_name") or "", row.get("last_name") or "") if p.strip()]
    if not parts:
        return "***"
    first = parts[0].strip()
    shown = [first[:2] + "***"] + [p.strip()[:1] + "***" for p in parts[1:]]
    return " ".join(shown)
