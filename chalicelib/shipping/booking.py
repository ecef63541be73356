"""Booking a shipment with the carrier: the order's delivery address and the lines to send,
in the adapter's terms, and the carrier's failures in ours.

Runs before the shipment's transaction (an HTTP call of seconds must not hold the order's row
lock).  The booking reference is unique per admin request and idempotent at the carrier, so a
retry gets the first booking back rather than a second label.
"""
from __future__ import annotations

import base64
import binascii
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.adapters.carrier import Booking, CarrierError, Parcel, Recipient, ShipmentRequest, carrier_for
from chalicelib.platform.logging import get_logger

from .errors import CarrierNotIntegrated, CarrierRejected, CarrierUnavailable

log = get_logger("shipping.booking")

# The associated datum addresses seal the phone with (chalicelib/addresses/service.py
# PHONE_FIELD); order snapshots carry the sealed blob base64-encoded under "sealed".
ADDRESS_PHONE_FIELD = "address.phone"
CENT = Decimal("0.01")


def book(order: dict[str, Any], order_items: list[dict[str, Any]], lines: list[dict[str, int]], *,
         carrier_code: str, reference: str) -> Booking:
    carrier = carrier_for(carrier_code)
    if carrier is None:
        raise CarrierNotIntegrated(carrier_code)
    request = ShipmentRequest(reference=reference, carrier=carrier_code, recipient=recipient(order),
                              items=parcels(order_items, lines), declared_value=declared_value(order_items, lines),
                              currency=order["currency"] or "TRY")
    try:
        return carrier.create_shipment(request)
    except CarrierError as exc:
        log.warning("carrier booking failed", extra={"carrier": carrier_code, "reason": exc.reason,
                                                     "retryable": exc.retryable})
        if exc.retryable:
            raise CarrierUnavailable(exc.reason) from None
        raise CarrierRejected(exc.reason, exc.fields) from None


def void(carrier_code: str, tracking_number: str) -> None:
    """Best effort: a label booked for a shipment we then could not record is cancelled, so it
    is not billed.  A failure is logged for someone to void it by hand."""
    carrier = carrier_for(carrier_code)
    if carrier is None:
        return
    try:
        carrier.cancel_shipment(tracking_number)
    except CarrierError as exc:
        log.error("could not void an unrecorded carrier booking",
                  extra={"carrier": carrier_code, "tracking_number": tracking_number, "reason": exc.reason})


def recipient(order: dict[str, Any]) -> Recipient:
    address = order.get("shipping_address") or {}
    if isinstance(address, (str, bytes)):
        address = json.loads(address)
    name = " ".join(p for p in (address.get("first_name"), address.get("last_name")) if p)
    return Recipient(
        name=name or address.get("company_name") or "",
        phone=_phone(address) or order.get("contact_phone"),
        email=order.get("contact_email"),
        address_line=", ".join(p for p in (address.get("mahalle"), address.get("address_line")) if p),
        district=address.get("ilce") or "",
        city=address.get("il") or "",
        postal_code=address.get("posta_kodu"),
        country=address.get("country_code") or "TR",
    )


def _phone(address: dict[str, Any]) -> str | None:
    sealed = (address.get("sealed") or {}).get("phone")
    if not sealed:
        return None
    from chalicelib.platform.crypto import CryptoError, open_sealed

    try:
        return open_sealed(base64.b64decode(sealed), ADDRESS_PHONE_FIELD)
    except (CryptoError, binascii.Error, ValueError):
        log.warning("order address phone could not be opened; using the order's contact phone")
        return None


def parcels(order_items: list[dict[str, Any]], lines: list[dict[str, int]]) -> tuple[Parcel, ...]:
    by_id = {item["id"]: item for item in order_items}
    out = []
    for line in lines:
        item = by_id[line["order_item_id"]]
        name = item["name"] + (f" - {item['variation_name']}" if item.get("variation_name") else "")
        out.append(Parcel(sku=item["sku"], name=name[:200], quantity=line["quantity"]))
    return tuple(out)


def declared_value(order_items: list[dict[str, Any]], lines: list[dict[str, int]]) -> Decimal:
    """What the goods in this parcel cost the customer (their share of each line's total)."""
    by_id = {item["id"]: item for item in order_items}
    total = Decimal("0")
    for line in lines:
        item = by_id[line["order_item_id"]]
        total += Decimal(item["line_total"]) * line["quantity"] / item["quantity"]
    return total.quantize(CENT, rounding=ROUND_HALF_UP)
