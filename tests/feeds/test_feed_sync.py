"""Feed sync end to end: each format, conditional GET, dry run, bad rows with line and reason,
unsafe XML refused, exactly-once batches, partial batch failures, a 5,000-row feed."""
from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from chalicelib.feeds import handlers, service
from chalicelib.feeds.report import bucket_name
from chalicelib.platform.aws import client
from infra.local.fakes.feed_origin import FeedOrigin
from tests.catalog_kit import Shop
from tests.feeds import feed_kit as kit


@pytest.fixture
def origin():
    server = FeedOrigin().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _empty_queues():
    kit.drain("feed-runs")
    kit.drain("feed-sync")
    kit.drain("notifications")
    yield


@pytest.fixture
def shop(db, tenant):
    s = Shop(db, tenant.id)
    s.category("Kamp")
    s.category("Uyku", parent="Kamp")
    s.brand("Huğlu")
    return s


def _items(n=3, **over):
    items = [{"sku": f"SKU-{i}", "name": f"Çadır {i}", "price": f"1{i}9.90", "stock": str(5 + i), "vat": "20",
              "barcode": kit.gtin13(f"86900000000{i}"), "brand": "Huğlu", "category": "Kamp > Uyku"} for i in range(n)]
    for i, changes in over.items():
        items[int(i[1:])].update(changes)
    return items


def _source(db, tenant, origin, document, fmt="plain_xml", path="/feed.xml", **fields):
    origin.put(path, document)
    return service.create_source(db, tenant.id, {"name": f"Besleme {path}", "kind": "http", "url": origin.url(path),
                                                 "format": fmt, "report_email": "katalog@example.com", **fields})


def _run(db, tenant, source, dry_run=False):
    run = service.run_now(db, tenant.id, source["id"], dry_run=dry_run, actor_id=None)
    kit.run_queues()
    return service.get_run(db, tenant.id, run["id"])


def _variations(db, tenant_id):
    return {r["sku"]: r for r in db.session().all(
        "SELECT v.sku, v.price, v.stock, v.barcode, p.name, p.vat_rate, p.category_id, p.brand_id FROM product_variations v "
        "JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id WHERE v.tenant_id = %s", (tenant_id,))}


@pytest.mark.parametrize("fmt,writer", [("plain_xml", kit.plain_xml), ("google_merchant_rss", kit.google_rss),
                                        ("atom", kit.atom)])
def test_each_format_creates_the_products_with_price_and_stock_history(db, tenant, shop, origin, fmt, writer):
    source = _source(db, tenant, origin, writer(_items(3, i1={"vat": "10"})), fmt=fmt)
    run = _run(db, tenant, source)
    assert run["status"] == "succeeded", run
    assert (run["seen_count"], run["valid_count"], run["invalid_count"], run["created_count"]) == (3, 3, 0, 3)
    rows = _variations(db, tenant.id)
    assert rows["SKU-1"]["price"] == Decimal("119.90") and rows["SKU-1"]["stock"] == 6
    assert rows["SKU-1"]["vat_rate"] == Decimal("10.00") and rows["SKU-0"]["vat_rate"] == Decimal("20.00")
    assert rows["SKU-2"]["category_id"] == shop.categories["Uyku"] and rows["SKU-2"]["brand_id"] == shop.brands["Huğlu"]
    assert rows["SKU-0"]["name"] == "Çadır 0"
    session = db.session()
    assert session.scalar("SELECT COUNT(*) FROM stock_movements WHERE tenant_id = %s AND reason = 'import'",
                          (tenant.id,)) == 3
    # a second feed: a new price and stock → price history and a stock movement; the rest unchanged
    origin.put("/feed.xml", writer(_items(3, i0={"price": "99.00", "stock": "1"}, i1={"vat": "10"})))
    run = _run(db, tenant, source)
    assert (run["created_count"], run["updated_count"], run["unchanged_count"]) == (0, 1, 2), run
    assert _variations(db, tenant.id)["SKU-0"]["price"] == Decimal("99.00")
    assert session.scalar("SELECT COUNT(*) FROM price_history WHERE tenant_id = %s AND new_price = 99.00",
                          (tenant.id,)) == 1
    assert session.scalar("SELECT COUNT(*) FROM stock_movements WHERE tenant_id = %s AND reason = 'import'",
                          (tenant.id,)) == 4


def test_an_unchanged_feed_is_not_fetched_again(db, tenant, shop, origin):
    source = _source(db, tenant, origin, kit.plain_xml(_items(2)))
    assert _run(db, tenant, source)["status"] == "succeeded"
    run = _run(db, tenant, source)
    assert run["status"] == "not_modified" and run["seen_count"] == 0
    assert origin.requests[-1][1].get("If-None-Match") == service.get_source(db, tenant.id, source["id"])["etag"]
    assert origin.requests[-1][1].get("If-Modified-Since")
    origin.put("/feed.xml", kit.plain_xml(_items(3)), modified=1_800_000_000)
    assert _run(db, tenant, source)["created_count"] == 1


def test_a_dry_run_reports_and_changes_nothing(db, tenant, shop, origin):
    source = _source(db, tenant, origin, kit.plain_xml(_items(3, i2={"price": "0"})))
    run = _run(db, tenant, source, dry_run=True)
    assert run["status"] == "succeeded" and run["dry_run"]
    assert (run["valid_count"], run["invalid_count"], run["created_count"]) == (2, 1, 2)
    assert _variations(db, tenant.id) == {}
    assert service.get_source(db, tenant.id, source["id"])["etag"] is None  # a real run still fetches it all
    assert _run(db, tenant, source)["created_count"] == 2


def test_bad_rows_are_reported_with_line_and_reason_in_s3_and_by_email(db, tenant, shop, origin, admin_api):
    items = _items(9, i1={"price": "12.999"}, i2={"stock": "-3"}, i3={"vat": "18"},
                   i4={"barcode": "8690000000049"}, i5={"category": "Yok Böyle"}, i6={"brand": "Bilinmeyen"},
                   i7={"sku": "SKU-0"})
    items[8].pop("name")
    source = _source(db, tenant, origin, kit.plain_xml(items))
    run = _run(db, tenant, source)
    assert run["status"] == "succeeded"
    assert (run["seen_count"], run["valid_count"], run["invalid_count"]) == (9, 1, 8)
    report = admin_api.get(f"/api/admin/feed-runs/{run['id']}/report").json
    by_line = {r["line"]: r for r in report["rows"]}
    assert sorted(by_line) == list(range(4, 12))  # item i sits on line i + 3
    assert by_line[4]["field"] == "price" and "2 decimal" in by_line[4]["reason"]
    assert by_line[5]["field"] == "stock"
    assert by_line[6]["field"] == "vat"
    assert by_line[7]["field"] == "barcode" and "check digit" in by_line[7]["reason"]
    assert by_line[8]["field"] == "category" and "category_unknown" in by_line[8]["reason"]
    assert by_line[9]["field"] == "brand" and "brand_unknown" in by_line[9]["reason"]
    assert by_line[10]["field"] == "sku" and "earlier" in by_line[10]["reason"]
    assert by_line[11]["field"] == "name"
    body = client("s3").get_object(Bucket=bucket_name(), Key=report["key"])["Body"].read().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[0] == ["line", "sku", "field", "reason"] and [int(r[0]) for r in lines[1:]] == list(range(4, 12))
    assert report["download_url"].startswith("http")
    mails = [kit.body(r) for r in kit.drain("notifications")]
    assert [(m["to"], m["template"]) for m in mails] == [("katalog@example.com", "feed_sync_report")]
    assert "Hatalı: 8" in mails[0]["text"] and report["key"] in mails[0]["text"]


def test_category_and_brand_mappings_name_our_ids(db, tenant, shop, origin):
    items = _items(2, i0={"category": "Outdoor/Sleeping", "brand": "HUGLU"}, i1={"category": "Outdoor/Sleeping"})
    source = _source(db, tenant, origin, kit.plain_xml(items),
                     category_mapping={"outdoor/sleeping": shop.categories["Uyku"]},
                     brand_mapping={"huglu": shop.brands["Huğlu"]})
    run = _run(db, tenant, source)
    assert run["valid_count"] == 2, service.run_report(db, tenant.id, run["id"])["rows"]
    assert {r["category_id"] for r in _variations(db, tenant.id).values()} == {shop.categories["Uyku"]}


def test_a_mapping_to_another_tenants_category_is_a_bad_row(db, tenant, other_tenant, shop, origin):
    theirs = Shop(db, other_tenant.id).category("Onların")
    source = _source(db, tenant, origin, kit.plain_xml(_items(1, i0={"category": "X"})),
                     category_mapping={"X": theirs})
    run = _run(db, tenant, source)
    assert run["invalid_count"] == 1 and _variations(db, tenant.id) == {}


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<products><product><sku>A</sku><name>&lol9;</name><price>1</price><category>Kamp</category></product></products>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<products><product><sku>A</sku><name>&xxe;</name><price>1</price><category>Kamp</category></product></products>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE products SYSTEM "http://127.0.0.1:9/evil.dtd">
<products><product><sku>A</sku><name>x</name><price>1</price><category>Kamp</category></product></products>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE, EXTERNAL_DTD], ids=["billion-laughs", "xxe", "dtd"])
def test_unsafe_xml_is_refused_without_harm(db, tenant, shop, origin, document):
    source = _source(db, tenant, origin, document)
    run = _run(db, tenant, source)
    assert run["status"] == "failed" and run["failure"].startswith("unsafe XML refused: DTDForbidden")
    assert run["seen_count"] == 0 and _variations(db, tenant.id) == {}
    assert len(origin.requests) == 1  # nothing else was fetched (no external entity, no DTD)
    assert run["report_key"]


def test_malformed_xml_fails_the_run_naming_the_line(db, tenant, shop, origin):
    source = _source(db, tenant, origin, b"<products>\n<product><sku>A</sku>\n</products>")
    run = _run(db, tenant, source)
    assert run["status"] == "failed" and "line 3" in run["failure"]


def test_an_unreachable_origin_fails_the_run(db, tenant, shop, origin):
    source = _source(db, tenant, origin, b"<products/>")
    origin.status_override["/feed.xml"] = 500
    run = _run(db, tenant, source)
    assert run["status"] == "failed" and "HTTP 500" in run["failure"]


def test_an_s3_source_is_read_with_its_validators(db, tenant, shop):
    s3 = client("s3")
    s3.put_object(Bucket=bucket_name(), Key="incoming/feed.xml", Body=kit.plain_xml(_items(2)))
    source = service.create_source(db, tenant.id, {"name": "S3 besleme", "kind": "s3", "bucket": bucket_name(),
                                                   "object_key": "incoming/feed.xml", "format": "plain_xml"})
    assert _run(db, tenant, source)["created_count"] == 2
    assert _run(db, tenant, source)["status"] == "not_modified"


def test_the_same_batch_delivered_twice_has_one_effect(db, tenant, shop, origin):
    source = _source(db, tenant, origin, kit.plain_xml(_items(3)))
    run = service.run_now(db, tenant.id, source["id"], dry_run=False, actor_id=None)
    for record in kit.drain("feed-runs"):
        handlers.feeds_fetch({"Records": [record]}, None)
    [record] = kit.drain("feed-sync")
    twin = {**record, "messageId": "another-delivery"}
    assert handlers.feeds_rows({"Records": [record]}, None) == {"batchItemFailures": []}
    from chalicelib.platform import cache
    cache.redis_client().delete(*cache.redis_client().keys("q:feed-sync:msg:*"))  # the queue's memory lost too
    assert handlers.feeds_rows({"Records": [twin]}, None) == {"batchItemFailures": []}
    after = service.get_run(db, tenant.id, run["id"])
    assert (after["created_count"], after["batches_done"], after["status"]) == (3, 1, "succeeded")
    assert db.session().scalar("SELECT COUNT(*) FROM stock_movements WHERE tenant_id = %s", (tenant.id,)) == 3


def test_a_batch_with_one_bad_record_redelivers_only_that_record(db, tenant, shop, origin):
    source = _source(db, tenant, origin, kit.plain_xml(_items(3)))
    run = service.run_now(db, tenant.id, source["id"], dry_run=False, actor_id=None)
    for record in kit.drain("feed-runs"):
        handlers.feeds_fetch({"Records": [record]}, None)
    [good] = kit.drain("feed-sync")
    poison = {"messageId": "poison", "body": json.dumps({"id": "p1", "tenant_id": tenant.id, "run_id": run["id"],
                                                          "batch_no": 7, "rows": [{"sku": "X"}]})}
    garbage = {"messageId": "garbage", "body": "{not json"}
    answer = handlers.feeds_rows({"Records": [poison, good, garbage]}, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "poison"}, {"itemIdentifier": "garbage"}]}
    assert service.get_run(db, tenant.id, run["id"])["created_count"] == 3
    # the poison batch rolled back whole: no batch row for it
    assert db.session().scalar("SELECT COUNT(*) FROM feed_run_batches WHERE tenant_id = %s AND batch_no = 7",
                               (tenant.id,)) == 0


def test_the_dispatcher_starts_due_sources_once(db, tenant, shop, origin):
    from chalicelib.feeds import dispatch

    source = _source(db, tenant, origin, kit.plain_xml(_items(1)), interval_minutes=60)
    started = dispatch.dispatch(db)
    assert len(started) >= 1
    owner = "SELECT tenant_id, source_id FROM feed_runs WHERE id = %s"  # the dispatcher serves every tenant
    mine = [r for r in started if db.session().one(owner, (r,)) == {"tenant_id": tenant.id, "source_id": source["id"]}]
    assert len(mine) == 1
    assert not [r for r in dispatch.dispatch(db) if r in mine]  # next time is an hour away
    kit.run_queues()
    assert service.get_run(db, tenant.id, mine[0])["status"] == "succeeded"


def test_a_five_thousand_product_feed_syncs_in_batches_with_its_bad_rows(db, tenant, tmp_path, origin):
    shop = Shop(db, tenant.id)
    shop.category("Kamp")
    shop.brand("Huğlu")
    path = kit.write_generated(tmp_path / "feed.xml", 5000, category="Kamp", brand="Huğlu", bad_every=50)
    origin.put("/big.xml", path)
    source = service.create_source(db, tenant.id, {"name": "Büyük", "kind": "http", "url": origin.url("/big.xml"),
                                                   "format": "plain_xml"})
    run = _run(db, tenant, source)
    assert run["status"] == "succeeded" and run["progress"] == 1.0
    assert (run["seen_count"], run["valid_count"], run["invalid_count"], run["created_count"]) == (5000, 4900, 100,
                                                                                                   4900)
    assert run["batches_sent"] == 10  # 4,900 valid rows, 500 a batch
    lines = [r["line"] for r in service.run_report(db, tenant.id, run["id"])["rows"]]
    assert db.session().scalar("SELECT MAX(rows_count) FROM feed_run_batches WHERE tenant_id = %s", (tenant.id,)) == 500
    assert lines[:3] == [52, 102, 152]  # item i is on line i + 3; every 50th is bad
    assert db.session().scalar("SELECT COUNT(*) FROM product_variations WHERE tenant_id = %s", (tenant.id,)) == 4900
