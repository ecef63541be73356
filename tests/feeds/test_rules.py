"""The item checks on their own: GTIN check digits, prices, stock, VAT, mappings; the parser's
lines, field mapping and caps."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest

from chalicelib.feeds import rules, xmlstream

MAPS = rules.Mappings.of({"Outdoor": 5}, {"HUĞLU": 7})


@pytest.mark.parametrize("code,ok", [
    ("8690000000012", True), ("8690000000011", False),  # EAN-13
    ("96385074", True), ("96385075", False),  # EAN-8
    ("036000291452", True), ("036000291453", False),  # UPC-A
    ("10012345678902", True), ("10012345678903", False),  # GTIN-14
    ("869000000001", False), ("86900000000١1", False), ("", False), ("12345678901234567", False),
])
def test_gtin_check_digits(code, ok):
    assert rules.gtin_valid(code) is ok


@pytest.mark.parametrize("text,value", [("12.90 TRY", "12.90"), ("1.249,90", "1249.90"), ("5", "5.00"),
                                        ("₺7,5", "7.50")])
def test_prices_as_feeds_write_them(text, value):
    assert rules.price(text) == Decimal(value)


@pytest.mark.parametrize("text", ["0", "-1", "1.999", "abc", "NaN", "Infinity", "1e400", "9999999999999"])
def test_bad_prices(text):
    with pytest.raises(rules.Problem) as caught:
        rules.price(text)
    assert caught.value.field == "price"


def test_stock_vat_and_mapping():
    row = rules.check({"sku": "A-1", "name": " Çadır  ", "price": "10", "stock": "3", "vat": "%10",
                       "category": "outdoor", "brand": "huğlu"}, MAPS)
    assert row == {"sku": "A-1", "name": "Çadır", "price": "10.00", "stock": 3, "vat": 10, "category_id": 5,
                   "brand_id": 7}
    assert rules.check({"sku": "A", "name": "x", "price": "1", "category": "Kamp", "availability": "out of stock"},
                       MAPS)["stock"] == 0
    for fields, field in [({"stock": "-1"}, "stock"), ({"stock": "1.5"}, "stock"), ({"vat": "18"}, "vat"),
                          ({"vat": "10.5"}, "vat"), ({"sku": "a b"}, "sku"), ({"name": "a\u202eb"}, "name"),
                          ({"category": ""}, "category")]:
        with pytest.raises(rules.Problem) as caught:
            rules.check({"sku": "A", "name": "x", "price": "1", "category": "Kamp", **fields}, MAPS)
        assert caught.value.field == field


def test_the_parser_names_lines_takes_a_field_mapping_and_caps_text():
    feed = (b"<catalog>\n<urun>\n<kod>A</kod><ad>" + b"x" * 20000 + b"</ad>\n</urun>\n<urun><kod>B</kod></urun>"
            b"</catalog>")
    got = list(xmlstream.items(io.BytesIO(feed), "plain_xml", {"item": "urun", "sku": "kod", "name": ["ad"]}))
    assert [(line, f["sku"]) for line, f in got] == [(2, "A"), (5, "B")]
    assert len(got[0][1]["name"]) == xmlstream.MAX_TEXT


def test_the_parser_refuses_entities_and_dtds():
    for document in (b'<!DOCTYPE x [<!ENTITY a "b">]><products/>',
                     b'<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><products/>'):
        with pytest.raises(xmlstream.FeedUnsafe):
            list(xmlstream.items(io.BytesIO(document), "plain_xml"))


def test_the_fetch_adapter_refuses_the_metadata_address_and_other_schemes():
    from chalicelib.adapters import feed_source

    for url in ("http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "ftp://example.com/x.xml"):
        with pytest.raises(feed_source.FeedFetchError):
            with feed_source.open_feed(feed_source.Location("http", url), etag=None, last_modified=None):
                pass


def test_batches_stay_under_the_sqs_message_limit_whatever_the_rows_hold(monkeypatch):
    from chalicelib.feeds import sync

    sent: list[int] = []
    from chalicelib.platform import cache

    # what queue.send puts on the wire: cache.dumps (UTF-8, not \u-escaped), measured in bytes
    monkeypatch.setattr(sync.queue, "send", lambda queue, message: sent.append(len(cache.dumps(message).encode())))
    sender = sync._Sender(None, 1, {"id": 1, "dry_run": False})  # type: ignore[arg-type]
    long = {"sku": "A", "name": "ğ" * 255, "price": "1", "category": "Kamp > " + "Ş" * 490}
    for i in range(1200):
        sender.item(i + 1, {**long, "sku": f"A{i}"}, MAPS)
    sender.send()
    assert sum(1 for _ in sent) == sender.batches > 1200 // 500
    assert max(sent) < 256 * 1024
