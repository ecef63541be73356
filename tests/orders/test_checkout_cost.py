"""What the cheaper checkout (issue 16 item 4) must keep: the statements it runs, the outbox's
one INSERT per transaction, the address and cart lines read as JSON columns giving the values
the wide rows gave, and the 201 equal to a later GET and a replay for a corporate billing
address (sealed tax number and TCKN)."""
from __future__ import annotations

import base64
import json
import uuid
from decimal import Decimal

import pytest

from chalicelib.platform import cache, outbox
from chalicelib.platform.db import UnitOfWork, get_db, stats
from tests.orders_kit import checkout, fill_cart, product, shopper

CORPORATE = {
    "type": "billing", "billing_kind": "corporate", "title": "İş", "first_name": "Mehmet", "last_name": "Demir",
    "phone": "+90 542 987 65 43", "company_name": "Huğlu Av Tüfekleri Kooperatifi", "tax_office": "Beyşehir",
    "tax_number": "4540536920", "il": "Konya", "ilce": "Beyşehir", "mahalle": "Huğlu",
    "address_line": "Huğlu Mahallesi Atatürk Cad. No 1", "posta_kodu": "42700",
}
# A checkout's statements: cart lines, the lines taken out of the cart, address, e-mail, order,
# items, timeline, stock hold, stock movements, the idempotency key with its answer, outbox rows
# (one INSERT for the order's two events).  After the commit the OrderPlaced
# event is published and marked in Redis, not in SQL: the relay settles the row.
CHECKOUT_STATEMENTS = 11


@pytest.fixture
def db():
    return get_db()


def test_a_checkout_runs_its_fixed_statements(client, tenant, db):
    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="100.00", stock=5)
    p2, v2 = product(db, tenant.id, price="50.00", stock=5, name="Çadır Kazığı")
    for _ in range(2):  # the first call also warms the caches (tenant, session, promotions)
        fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1), (p2, v2, 2)])
        before = stats.statements
        response = checkout(who)
        assert response.status_code == 201, response.body
    assert stats.statements - before == CHECKOUT_STATEMENTS
    rows = db.session().all("SELECT id, event_type, queue, status FROM outbox_events WHERE tenant_id = %s "
                            "AND aggregate_id = %s ORDER BY id", (tenant.id, str(response.json["id"])))
    assert [r["event_type"] for r in rows] == ["OrderPlaced"]
    assert rows[0]["status"] == "pending" and cache.redis_client().get(outbox._mark_key(rows[0]["id"]))


INDIVIDUAL_BILLING = {**CORPORATE, "billing_kind": "individual", "company_name": None, "tax_office": None,
                      "tax_number": None, "national_id": "10000000146"}


@pytest.mark.parametrize("billing, masks", [
    (CORPORATE, {"tax_number_masked": "*******920", "national_id_masked": None}),
    (INDIVIDUAL_BILLING, {"tax_number_masked": None, "national_id_masked": "*********46"}),
], ids=["corporate", "individual_with_tckn"])
def test_the_201_with_a_sealed_billing_address_is_the_get_and_the_replay(client, tenant, db, billing, masks):
    who = shopper(client, tenant)
    made = who.api.post("/api/addresses", {k: v for k, v in billing.items() if v is not None})
    assert made.status_code == 201, made.body
    p1, v1 = product(db, tenant.id, price="33.33", stock=5)
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 3)])
    key = uuid.uuid4().hex
    placed = checkout(who, key, billing_address_id=made.json["id"])
    assert placed.status_code == 201, placed.body
    read = who.api.get(f"/api/orders/{placed.json['id']}")
    replay = checkout(who, key, billing_address_id=made.json["id"])
    assert placed.json == read.json == replay.json
    shown = placed.json["billing_address"]
    assert {k: shown[k] for k in masks} == masks and "sealed" not in shown
    assert shown["first_name"] == "Mehmet" and shown["address_id"] == made.json["id"]
    # The stored snapshot keeps the sealed blobs exactly (base64 of the address's own ciphertext).
    stored = json.loads(db.session().scalar("SELECT billing_address FROM orders WHERE tenant_id = %s AND id = %s",
                                            (tenant.id, placed.json["id"])))
    row = db.session().one("SELECT phone_enc, tax_number_enc, national_id_enc FROM addresses "
                           "WHERE tenant_id = %s AND id = %s", (tenant.id, made.json["id"]))
    assert stored["sealed"] == {name: base64.b64encode(row[column]).decode() for name, column in
                                (("phone", "phone_enc"), ("tax_number", "tax_number_enc"),
                                 ("national_id", "national_id_enc")) if row[column] is not None}
    assert len(stored["sealed"]) == 2


def test_cart_lines_read_as_json_keep_their_types(client, tenant, db):
    from chalicelib.cart.api import read_user_cart

    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="1249.90", stock=5, vat_rate="10.00")
    db.session().execute("UPDATE product_variations SET options = %s WHERE tenant_id = %s AND id = %s",
                         ('{"renk": "kırmızı", "beden": "L"}', tenant.id, v1))
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 2)])
    with db.uow() as uow:
        lines = read_user_cart(uow, tenant.id, who.user_id)
    [line] = lines
    assert (line.variation_id, line.product_id, line.quantity) == (v1, p1, 2)
    assert line.unit_price == Decimal("1249.90") and isinstance(line.unit_price, Decimal)
    assert line.vat_rate == Decimal("10.00") and isinstance(line.vat_rate, Decimal)
    assert line.options == {"renk": "kırmızı", "beden": "L"} and line.sellable is True


def _events(db, tenant_id: int, kind: str) -> list[dict]:
    return db.session().all("SELECT id, event_type, payload, status FROM outbox_events WHERE tenant_id = %s "
                            "AND event_type LIKE %s ORDER BY id", (tenant_id, kind + "%"))


def test_a_transactions_events_are_one_insert_just_before_its_commit(tenant, db, monkeypatch):
    published: list[list[dict]] = []
    monkeypatch.setattr(outbox, "_publish_after_commit", lambda events: published.append(events))
    kind = f"Test{uuid.uuid4().hex[:8]}"

    def work(uow: UnitOfWork) -> None:
        before = stats.statements
        outbox.add(uow, tenant.id, kind + "A", {"n": 1, "ş": "ğ"}, queue="order-events")
        outbox.add(uow, tenant.id, kind + "B", {"n": 2}, queue="events", deferred=True)
        outbox.add(uow, tenant.id, kind + "C", {"n": Decimal("3.10")}, queue="order-events")
        assert stats.statements == before  # nothing written yet
        assert _events(db, tenant.id, kind) == []
        uow.commit()
        assert stats.statements - before in (1, 2)  # the INSERT (and, on a new connection, the autoinc setting)

    db.transaction(work)
    rows = _events(db, tenant.id, kind)
    assert [r["event_type"] for r in rows] == [kind + "A", kind + "B", kind + "C"]
    assert [json.loads(r["payload"]) for r in rows] == [{"n": 1, "ş": "ğ"}, {"n": 2}, {"n": "3.10"}]  # Decimals as text (cache.dumps)
    # Only the events not deferred are published after the commit, under their own row ids.
    [events] = published
    assert [(e["id"], e["event_type"]) for e in events] == [(rows[0]["id"], kind + "A"), (rows[2]["id"], kind + "C")]
    for event in events:  # the SQS body carries the payload's text as it was written
        assert outbox._body(event) == cache.dumps(outbox.message(event))


def test_events_of_a_rolled_back_transaction_are_never_written(tenant, db, monkeypatch):
    published: list[list[dict]] = []
    monkeypatch.setattr(outbox, "_publish_after_commit", lambda events: published.append(events))
    kind = f"Test{uuid.uuid4().hex[:8]}"
    with db.uow() as uow:
        outbox.add(uow, tenant.id, kind, {"n": 1}, queue="order-events")
    assert _events(db, tenant.id, kind) == [] and published == []


def test_without_consecutive_ids_each_event_is_its_own_insert(tenant, db, monkeypatch):
    """innodb_autoinc_lock_mode 2 (MySQL 8's default) does not promise a multi-row INSERT
    consecutive ids: the rows are then written one by one, each with the id the server gave."""
    published: list[list[dict]] = []
    monkeypatch.setattr(outbox, "_publish_after_commit", lambda events: published.append(events))
    monkeypatch.setattr(UnitOfWork, "consecutive_ids", lambda self: None)
    kind = f"Test{uuid.uuid4().hex[:8]}"

    def work(uow: UnitOfWork) -> None:
        for n in range(3):
            outbox.add(uow, tenant.id, kind, {"n": n}, queue="order-events")
        before = stats.statements
        uow.commit()
        assert stats.statements - before == 3

    db.transaction(work)
    rows = _events(db, tenant.id, kind)
    assert [e["id"] for e in published[0]] == [r["id"] for r in rows]
    assert [json.loads(r["payload"])["n"] for r in rows] == [0, 1, 2]


def test_a_failing_before_commit_step_commits_nothing(tenant, db):
    kind = f"Test{uuid.uuid4().hex[:8]}"

    def boom() -> None:
        raise RuntimeError("before commit")

    with pytest.raises(RuntimeError), db.uow() as uow:
        outbox.add(uow, tenant.id, kind, {"n": 1}, queue="order-events")
        uow.execute("INSERT INTO outbox_events (tenant_id, queue, event_type, payload) VALUES (%s, %s, %s, %s)",
                    (tenant.id, "order-events", kind + "Direct", "{}"))
        uow.before_commit(boom)
        uow.commit()
    assert _events(db, tenant.id, kind) == []


def test_an_event_added_after_the_commit_is_still_written_and_published(tenant, db, monkeypatch):
    published: list[list[dict]] = []
    monkeypatch.setattr(outbox, "_publish_after_commit", lambda events: published.append(events))
    kind = f"Test{uuid.uuid4().hex[:8]}"
    with db.uow() as uow:
        outbox.add(uow, tenant.id, kind + "A", {"n": 1}, queue="order-events")
        uow.commit()
        outbox.add(uow, tenant.id, kind + "B", {"n": 2}, queue="order-events")
    rows = _events(db, tenant.id, kind)
    assert [r["event_type"] for r in rows] == [kind + "A", kind + "B"]
    assert sorted(e["id"] for batch in published for e in batch) == [r["id"] for r in rows]


def _image(db, tenant_id: int, product_id: int, key: str, sort_order: int, variation_id: int | None = None) -> None:
    db.session().execute("INSERT INTO product_images (tenant_id, product_id, variation_id, s3_key, sort_order) "
                         "VALUES (%s, %s, %s, %s, %s)", (tenant_id, product_id, variation_id, key, sort_order))


def test_a_lines_image_is_its_variations_first_else_its_products_first(client, tenant, db):
    from chalicelib.cart.api import read_user_cart

    who = shopper(client, tenant)
    p1, v1 = product(db, tenant.id, price="10.00", stock=5)
    p2, v2 = product(db, tenant.id, price="20.00", stock=5)
    p3, v3 = product(db, tenant.id, price="30.00", stock=5)
    # (the helper gives each product one image of its own, no variation's)
    _image(db, tenant.id, p1, "p1/second", -2)
    _image(db, tenant.id, p1, "p1/first", -3)
    _image(db, tenant.id, p1, "p1/own-late", 5, v1)  # the variation's own image wins over earlier ones
    _image(db, tenant.id, p1, "p1/own-later", 7, v1)
    _image(db, tenant.id, p2, "p2/b", -1)
    _image(db, tenant.id, p2, "p2/a", -1)  # same sort_order: the lower id (inserted first) wins
    p3_first = db.session().scalar("SELECT s3_key FROM product_images WHERE tenant_id = %s AND product_id = %s "
                                   "ORDER BY sort_order, id LIMIT 1", (tenant.id, p3))
    fill_cart(db, tenant.id, who.user_id, [(p1, v1, 1), (p2, v2, 1), (p3, v3, 1)])
    with db.uow() as uow:
        lines = read_user_cart(uow, tenant.id, who.user_id)
    assert {line.variation_id: line.image_key for line in lines} == {v1: "p1/own-late", v2: "p2/b", v3: p3_first}


def _sends(monkeypatch) -> list[int]:
    """The ids outbox._publish is asked to send from now on (it still sends them)."""
    asked: list[int] = []
    original = outbox._publish

    def publish(events):
        asked.extend(e["id"] for e in events)
        return original(events)

    monkeypatch.setattr(outbox, "_publish", publish)
    return asked


def _add(db, tenant_id: int, kind: str, n: int = 1) -> list[dict]:
    def work(uow: UnitOfWork) -> None:
        for i in range(n):
            outbox.add(uow, tenant_id, kind, {"n": i}, queue="order-events")
        uow.commit()

    db.transaction(work)
    return db.session().all("SELECT id, status, created_at, sent_at FROM outbox_events WHERE tenant_id = %s "
                            "AND event_type = %s ORDER BY id", (tenant_id, kind))


def test_a_published_event_is_marked_and_the_relay_settles_it_without_sending_it_again(tenant, db, monkeypatch):
    asked = _sends(monkeypatch)
    kind = f"Test{uuid.uuid4().hex[:8]}"
    rows = _add(db, tenant.id, kind, n=3)
    ids = [r["id"] for r in rows]
    assert asked == ids  # published once, after the commit
    assert {r["status"] for r in rows} == {"pending"}  # no UPDATE per request: a mark each in Redis
    mark = cache.redis_client().get(outbox._mark_key(ids[0])).decode()
    assert mark.split(" ")[0] == rows[0]["created_at"].isoformat()
    result = outbox.relay(db, grace_seconds=0, limit=2)  # rounds of two: one call settles all three
    assert result["settled"] >= 3
    assert [i for i in asked if i in ids] == ids  # never sent again
    settled = db.session().all("SELECT id, status, sent_at, attempts FROM outbox_events WHERE id IN (%s, %s, %s)", ids)
    assert {(r["status"], r["attempts"]) for r in settled} == {("sent", 1)}
    assert settled[0]["sent_at"].isoformat() == mark.split(" ")[1]  # when the commit callback sent it
    assert cache.redis_client().exists(*[outbox._mark_key(i) for i in ids]) == 0  # settled: marks dropped


def test_a_mark_left_by_another_row_with_the_same_id_settles_nothing(tenant, db, monkeypatch):
    """A rebuilt or restored database numbers its rows again; a stale mark names another created_at."""
    monkeypatch.setattr(outbox, "_mark", lambda events: None)  # the commit callback's mark is lost
    kind = f"Test{uuid.uuid4().hex[:8]}"
    [row] = _add(db, tenant.id, kind)
    cache.redis_client().set(outbox._mark_key(row["id"]), "2020-01-01T00:00:00.000001 2020-01-01T00:00:01", ex=60)
    asked = _sends(monkeypatch)
    result = outbox.relay(db, grace_seconds=0)
    assert row["id"] in asked and result["published"] >= 1  # published again, not settled on a stranger's mark
    assert db.session().scalar("SELECT status FROM outbox_events WHERE id = %s", (row["id"],)) == "sent"


def test_without_redis_the_event_is_published_and_the_relay_publishes_it_again(tenant, db, monkeypatch):
    import redis

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise redis.ConnectionError("down")
            return fail

    monkeypatch.setattr(cache, "redis_client", lambda: Down())
    asked = _sends(monkeypatch)
    kind = f"Test{uuid.uuid4().hex[:8]}"
    [row] = _add(db, tenant.id, kind)  # the commit still answers; the mark is not written
    assert asked == [row["id"]]
    outbox.relay(db, grace_seconds=0)  # cannot read marks either: publishes the row again
    assert asked.count(row["id"]) == 2
    assert db.session().scalar("SELECT status FROM outbox_events WHERE id = %s", (row["id"],)) == "sent"
