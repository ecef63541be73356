"""Feeds for the tests and the bench: XML writers for each format (a generator streams 100,000
products to a file), and the drive of a run the way the queues would (fetch, then the batches)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from chalicelib.feeds import handlers
from chalicelib.platform import queue
from chalicelib.platform.aws import client

G = "http://base.google.com/ns/1.0"


def gtin13(body12: str) -> str:
    digits = [int(c) for c in body12]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return body12 + str((10 - total % 10) % 10)


def _elements(item: dict[str, Any], prefix: str) -> str:
    return "".join(f"<{prefix}{k}>{escape(str(v))}</{prefix}{k}>" for k, v in item.items() if v is not None)


def plain_xml(items: list[dict[str, Any]]) -> bytes:
    """items: {sku, name, price, stock, vat, barcode, brand, category}"""
    body = "\n".join(f"  <product>{_elements(i, '')}</product>" for i in items)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<products>\n{body}\n</products>\n'.encode()


def _google(item: dict[str, Any]) -> dict[str, Any]:
    names = {"sku": "id", "name": "title", "price": "price", "stock": "quantity", "vat": "vat_rate",
             "barcode": "gtin", "brand": "brand", "category": "product_type"}
    return {names[k]: v for k, v in item.items()}


def google_rss(items: list[dict[str, Any]]) -> bytes:
    body = "\n".join(f"<item>{_elements(_google(i), 'g:')}</item>" for i in items)
    return (f'<?xml version="1.0"?>\n<rss version="2.0" xmlns:g="{G}"><channel><title>Mağaza</title>\n'
            f"{body}\n</channel></rss>\n").encode()


def atom(items: list[dict[str, Any]]) -> bytes:
    body = "\n".join(f"<entry>{_elements(_google(i), 'g:')}</entry>" for i in items)
    return (f'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="{G}">'
            f"<title>Mağaza</title>\n{body}\n</feed>\n").encode()


def generated_items(count: int, *, category: str, brand: str, bad_every: int = 0, seed: str = "P"
                    ) -> Iterator[dict[str, Any]]:
    """`count` products; with bad_every=n every n-th one is broken in one of four ways."""
    for i in range(count):
        item: dict[str, Any] = {"sku": f"{seed}-{i:07d}", "name": f"Ürün {i} çğış", "price": f"{10 + i % 500}.90",
                                "stock": str(i % 40), "vat": "20", "barcode": gtin13(f"869{i:09d}"),
                                "brand": brand, "category": category}
        if bad_every and i % bad_every == bad_every - 1:
            kind = (i // bad_every) % 4
            if kind == 0:
                item["price"] = "-5"
            elif kind == 1:
                item["barcode"] = item["barcode"][:-1] + str((int(item["barcode"][-1]) + 1) % 10)
            elif kind == 2:
                item["vat"] = "18"
            else:
                item["stock"] = "-1"
        yield item


def write_generated(path: Path, count: int, **kw: Any) -> Path:
    """A plain_xml feed of `count` products, streamed to `path` (never held whole in memory)."""
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<products>\n')
        for item in generated_items(count, **kw):
            f.write(f"  <product>{_elements(item, '')}</product>\n")
        f.write("</products>\n")
    return path


# -- driving the queues --------------------------------------------------------------------------
def drain(short: str, max_messages: int = 10_000) -> list[dict[str, Any]]:
    """Take every message off a queue (as SQS records), deleting them."""
    sqs, url = client("sqs"), queue.queue_url(short)
    records: list[dict[str, Any]] = []
    while len(records) < max_messages:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            break
        for m in got:
            records.append({"messageId": m["MessageId"], "body": m["Body"]})
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(got)])
    return records


def run_queues(batch_size: int = 5) -> dict[str, int]:
    """Drive feed-runs then feed-sync the way Lambda would, until both are empty."""
    counts = {"runs": 0, "batches": 0}
    while True:
        runs = drain("feed-runs")
        for record in runs:
            assert handlers.feeds_fetch({"Records": [record]}, None) == {"batchItemFailures": []}
        batches = drain("feed-sync")
        for start in range(0, len(batches), batch_size):
            answer = handlers.feeds_rows({"Records": batches[start:start + batch_size]}, None)
            assert answer == {"batchItemFailures": []}, answer
        counts["runs"] += len(runs)
        counts["batches"] += len(batches)
        if not runs and not batches:
            return counts


def body(record: dict[str, Any]) -> dict[str, Any]:
    return json.loads(record["body"])  # type: ignore[no-any-return]
