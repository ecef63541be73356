"""Test helpers for tests/e2e/test_invoices.py: paid orders written straight into the tables (the
checkout is built in parallel), outbox-shaped OrderPaid messages, S3 reads, and reading the
text back out of a PDF.

Orders are shaped by the real totals engine (cart.totals.compute), so their lines, VAT and
totals are exactly what the checkout will store; billing snapshots have the shape of
addresses.service.order_snapshot (VKN / TCKN sealed under the addresses area's field names).
"""
from __future__ import annotations

import base64
import json
import re
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.cart.totals import Adjustment, Line, ShippingMethod, compute
from chalicelib.platform.crypto import seal
from chalicelib.platform.db import Database
from tests.helpers import insert_product

CORPORATE_VKN = "4540536920"
STANDARD = ShippingMethod("standard", "Standart Kargo", Decimal("49.90"), Decimal("750.00"))


@dataclass(frozen=True)
class Item:
    name: str
    price: str
    quantity: int = 1
    vat_rate: str = "20.00"
    variation: str | None = None


@dataclass(frozen=True)
class OrderDiscount:
    """An order-level discount, as the campaign engine will plug into cart.totals."""

    label: str
    amount: Decimal

    def adjustments(self, lines: Sequence[Line], subtotal: Decimal) -> list[Adjustment]:
        return [Adjustment(f"coupon:{self.label}", self.label, self.amount)]


def corporate_billing() -> dict[str, Any]:
    return {
        "address_id": 1, "type": "billing", "billing_kind": "corporate", "title": "İş", "first_name": "Mehmet",
        "last_name": "Demir", "company_name": "Şişme Kamp Ürünleri Ltd. Şti.", "tax_office": "Kadıköy",
        "il": "İstanbul", "ilce": "Kadıköy", "mahalle": "Caferağa", "address_line": "Moda Cad. No 5 D 3",
        "posta_kodu": "34710", "country_code": "TR", "phone_masked": "+90 *** *** 45 67",
        "tax_number_masked": "*******920", "national_id_masked": None,
        "sealed": {"tax_number": base64.b64encode(seal(CORPORATE_VKN, "address.tax_number")).decode()},
    }


def individual_billing(national_id: str | None = "10000000146") -> dict[str, Any]:
    snapshot: dict[str, Any] = {
        "address_id": 2, "type": "billing", "billing_kind": "individual", "title": "Ev", "first_name": "Ayşe",
        "last_name": "Yılmaz", "company_name": None, "tax_office": None, "il": "Konya", "ilce": "Beyşehir",
        "mahalle": "Huğlu", "address_line": "Atatürk Cad. No 1", "posta_kodu": "42700", "country_code": "TR",
        "phone_masked": "+90 *** *** 45 67", "tax_number_masked": None, "sealed": {},
        "national_id_masked": None if national_id is None else "*" * 9 + national_id[-2:],
    }
    if national_id is not None:
        snapshot["sealed"]["national_id"] = base64.b64encode(seal(national_id, "address.national_id")).decode()
    return snapshot


def insert_order(db: Database, tenant_id: int, user_id: int | None, items: Sequence[Item], *,
                 status: str = "paid", payment_status: str = "paid", billing: dict[str, Any] | None = None,
                 discount: OrderDiscount | None = None, shipping: ShippingMethod | None = STANDARD,
                 contact_email: str | None = None, payment_method: str = "card") -> int:
    """A paid order with its lines, totals from cart.totals.compute; returns its id."""
    session = db.session()
    products = [_variation(db, tenant_id, item) for item in items]
    lines = [Line(variation_id=v, product_id=p, quantity=i.quantity, unit_price=Decimal(i.price),
                  vat_rate=Decimal(i.vat_rate)) for (p, v), i in zip(products, items, strict=True)]
    totals = compute(lines, shipping=shipping, discounts=[discount] if discount else [])
    order_id = session.insert(
        """INSERT INTO orders (tenant_id, order_number, user_id, status, payment_status, payment_method, currency,
                               subtotal, discount_total, shipping_total, shipping_method, vat_total, grand_total,
                               paid_total, discounts, billing_address, shipping_address, contact_email, paid_at)
           VALUES (%s, %s, %s, %s, %s, %s, 'TRY', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, UTC_TIMESTAMP(6))""",
        (tenant_id, f"SP-{uuid.uuid4().hex[:10].upper()}", user_id, status, payment_status, payment_method,
         totals.subtotal, totals.discount_total, totals.shipping_total, totals.shipping_method, totals.vat_total,
         totals.grand_total, totals.grand_total if payment_status == "paid" else 0,
         json.dumps(totals.as_dict()["discounts"], default=str), json.dumps(billing) if billing else None,
         json.dumps(individual_billing(None) | {"type": "delivery"}), contact_email))
    session.executemany(
        """INSERT INTO order_items (tenant_id, order_id, product_id, variation_id, name, variation_name, sku,
                                    unit_price, vat_rate, quantity, discount_amount, vat_amount, line_total)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        [(tenant_id, order_id, line.product_id, line.variation_id, item.name, item.variation,
          f"SKU-{line.variation_id}", line.unit_price, line.vat_rate, line.quantity, line.discount_amount,
          line.vat_amount, line.line_total) for line, item in zip(totals.lines, items, strict=True)])
    return order_id


def _variation(db: Database, tenant_id: int, item: Item) -> tuple[int, int]:
    product_id = insert_product(db, tenant_id, item.name, price=item.price)
    variation_id = db.session().scalar(
        "SELECT id FROM product_variations WHERE tenant_id = %s AND product_id = %s", (tenant_id, product_id))
    return product_id, int(variation_id)


def order_paid(tenant_id: int, order_id: int, message_id: str | None = None) -> dict[str, Any]:
    """The SQS body the orders area's outbox publishes (platform/outbox.message)."""
    # Tenant ids are unique across test sessions, so this id can't meet a done-key an earlier
    # session left in the shared Redis (as outbox.message puts the tenant in its ids).
    return {"id": message_id or f"outbox-{tenant_id}-{uuid.uuid4().hex[:12]}", "type": "OrderPaid", "tenant_id": tenant_id,
            "aggregate_type": "order", "aggregate_id": str(order_id),
            "payload": {"order_id": order_id, "order_number": "SP-X", "user_id": None}}


def sqs_event(*bodies: dict[str, Any]) -> dict[str, Any]:
    """An SQS event as Lambda delivers it (a fresh messageId per record, as on redelivery)."""
    return {"Records": [{
        "messageId": str(uuid.uuid4()), "receiptHandle": "rh", "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
        "eventSource": "aws:sqs", "awsRegion": "eu-central-1",
        "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:huglu-test-invoices",
    } for body in bodies]}


def s3_object(key: str) -> bytes | None:
    from chalicelib.invoices.storage import bucket_name
    from chalicelib.platform.aws import client

    try:
        return bytes(client("s3").get_object(Bucket=bucket_name(), Key=key)["Body"].read())
    except client("s3").exceptions.NoSuchKey:
        return None


# -- reading text back out of a PDF ---------------------------------------------------------------
# Enough of PDF for what fpdf2 writes: Type0 fonts with Identity-H (2-byte codes) and a
# ToUnicode CMap each, text shown with Tj / TJ in Flate-compressed content streams.  No
# third-party PDF reader is installed; this reads the same structures a viewer's copy/search does.
_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"^(.*?)stream\r?\n(.*?)\r?\nendstream", re.S)


def pdf_text(data: bytes) -> str:
    """The PDF's text, one shown string per line, in drawing order."""
    assert data.startswith(b"%PDF-"), data[:16]
    dicts: dict[int, bytes] = {}
    streams: dict[int, bytes] = {}
    for match in _OBJECT.finditer(data):
        number, body = int(match.group(1)), match.group(2)
        stream = _STREAM.match(body)
        if stream is None:
            dicts[number] = body
            continue
        dicts[number] = stream.group(1)
        # The stream's bytes by its /Length: a compressed stream may itself end in b"\r", which the
        # pattern's optional \r before "endstream" would take away (a 1-in-256 truncation).
        length = re.search(rb"/Length (\d+)", stream.group(1))
        raw = body[stream.start(2):stream.start(2) + int(length.group(1))] if length else stream.group(2)
        streams[number] = zlib.decompress(raw) if b"/FlateDecode" in stream.group(1) else raw
    cmaps = {number: _cmap(streams[int(ref)]) for number, body in dicts.items()
             if (ref := _ref(body, b"/ToUnicode")) is not None}
    fonts: dict[bytes, dict[int, str]] = {}
    for body in dicts.values():
        for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            if int(ref) in cmaps:
                fonts[name] = cmaps[int(ref)]
    contents = [int(ref) for body in dicts.values() for ref in re.findall(rb"/Contents (\d+) 0 R", body)]
    return "\n".join(text for number in contents for text in _shown(streams[number], fonts))


def _ref(body: bytes, key: bytes) -> int | None:
    match = re.search(re.escape(key) + rb" (\d+) 0 R", body)
    return int(match.group(1)) if match else None


def _cmap(stream: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for code, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
        for low, high, start in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int(start, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def _shown(content: bytes, fonts: dict[bytes, dict[int, str]]) -> list[str]:
    """Strings drawn by Tj / TJ, decoded through the current font's ToUnicode map."""
    out: list[str] = []
    font: dict[int, str] = {}
    pending: list[bytes] = []
    last_name = b""
    i = 0
    while i < len(content):
        ch = content[i:i + 1]
        if ch == b"(":
            literal, i = _literal(content, i)
            pending.append(literal)
            continue
        if ch == b"<" and content[i:i + 2] != b"<<":
            end = content.index(b">", i)
            pending.append(bytes.fromhex(content[i + 1:end].decode()))
            i = end + 1
            continue
        if ch == b"/":
            match = re.match(rb"/(\w+)", content[i:])
            assert match is not None
            last_name = match.group(1)
            i += match.end()
            continue
        word = re.match(rb"[A-Za-z*'\"]+", content[i:])
        if word is None:
            i += 1
            continue
        op = word.group(0)
        if op == b"Tf":
            font = fonts[last_name]
        elif op in (b"Tj", b"TJ", b"'", b'"'):
            out.append("".join(_decode(s, font) for s in pending))
        if op in (b"Tj", b"TJ", b"'", b'"', b"ET", b"BT"):
            pending = []
        i += word.end()
    return out


def _decode(codes: bytes, font: dict[int, str]) -> str:
    return "".join(font.get(int.from_bytes(codes[k:k + 2], "big"), "\ufffd") for k in range(0, len(codes) - 1, 2))


_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _literal(content: bytes, start: int) -> tuple[bytes, int]:
    """A PDF literal string from its '(' (escapes, octal codes, nested parentheses); (bytes, next index)."""
    out = bytearray()
    depth, i = 1, start + 1
    while True:
        ch = content[i:i + 1]
        if ch == b"\\":
            nxt = content[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", content[i + 1:i + 4])
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += 1 + octal.end()
                continue
            out += _ESCAPES.get(nxt, b"" if nxt in (b"\n", b"\r") else nxt)
            i += 2
            continue
        if ch == b"(":
            depth += 1
        elif ch == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += ch
        i += 1
