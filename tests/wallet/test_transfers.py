"""Transfers between customers (W7) through app.py: by e-mail, phone and user code, the tenant's
limits, bad input in the one error shape with nothing changed, other customers' and tenants'
transfers 404, Idempotency-Key required and replayed, e-mails to both sides, and transfers both
ways between two customers from many threads that never overdraw and always reconcile."""
from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest

from chalicelib.platform import crypto
from chalicelib.platform.context import Tenant
from chalicelib.platform.db import get_db
from chalicelib.wallet import transfers
from chalicelib.wallet.errors import InsufficientFunds
from tests.conftest import Api, make_tenant
from tests.e2e.test_pipeline import assert_error_shape
from tests.notifications_outbox import drain_notifications, sent_emails
from tests.wallet.test_wallet_api import signed_in
from tests.wallet.wallet_kit import D, assert_reconciled, cash, credit, rows

SETTINGS = {"wallet": {"transfer_max": "1000.00", "transfer_daily_max": "1500.00"}}


@pytest.fixture
def shop():
    return make_tenant(settings=SETTINGS)


@pytest.fixture
def ayse(client, shop):
    api = signed_in(client, shop)
    credit(shop.id, api.user_id, "3000.00")
    return api


@pytest.fixture
def mehmet(client, shop):
    return signed_in(client, shop)


def email_of(user_id: int) -> str:
    return rows("SELECT email FROM users WHERE id = %s", user_id)[0]["email"]


def send(api: Api, body: dict, key: str | None = None):
    return api.post("/api/wallet/transfers", body, headers={"Idempotency-Key": key or uuid.uuid4().hex})


def count(tenant_id: int) -> int:
    return rows("SELECT COUNT(*) AS n FROM wallet_transfers WHERE tenant_id = %s", tenant_id)[0]["n"]


def test_a_transfer_by_e_mail_moves_cash_once_and_tells_both_sides(shop, ayse, mehmet):
    body = {"amount": "150.00", "email": email_of(mehmet.user_id).upper(), "note": "Kira payı 🏠"}
    first = send(ayse, body, "k-1")
    assert first.status_code == 201, first.body
    shown = first.json
    assert (shown["direction"], shown["amount"], shown["note"], shown["counterparty"]) == (
        "sent", "150.00", "Kira payı 🏠", "Ayşe Y.")
    again = send(ayse, body, "k-1")
    assert (again.status_code, again.headers.get("Idempotent-Replayed"), again.json["id"]) == (201, "true", shown["id"])
    assert assert_error_shape(send(ayse, {**body, "amount": "1.00"}, "k-1"), 409, "idempotency_key_reused")
    assert cash(shop.id, ayse.user_id).balance == D("2850.00")
    assert cash(shop.id, mehmet.user_id).balance == D("150.00")
    received = mehmet.get(f"/api/wallet/transfers/{shown['id']}").json
    assert (received["direction"], received["amount"]) == ("received", "150.00")
    entry = rows("SELECT journal_type, transfer_id FROM wallet_journals WHERE tenant_id = %s AND reference_type = "
                 "'wallet_transfer'", shop.id)
    assert entry == [{"journal_type": "transfer", "transfer_id": f"transfer-{shown['id']}"}]
    drain_notifications()
    assert [m["subject"] for m in sent_emails() if m["to"] == email_of(mehmet.user_id)] == ["150.00 TRY aldınız"]
    assert [m["subject"] for m in sent_emails() if m["to"] == email_of(ayse.user_id)] == ["150.00 TRY gönderdiniz"]
    assert_reconciled(shop.id)


def test_by_user_code_and_by_phone(shop, ayse, mehmet):
    code = mehmet.get("/api/wallet/transfers/code").json["user_code"]
    assert transfers.user_of_code(code.lower()) == mehmet.user_id
    assert send(ayse, {"amount": "10.00", "user_code": code}).status_code == 201
    get_db().session().execute("UPDATE users SET phone_hash = %s WHERE id = %s",
                               (crypto.lookup_hash("+905321234567", "user.phone"), mehmet.user_id))
    made = send(ayse, {"amount": "20.00", "phone": "0532 123 45 67"})
    assert made.status_code == 201, made.body
    assert cash(shop.id, mehmet.user_id).balance == D("30.00")
    page = ayse.get("/api/wallet/transfers?limit=1").json
    assert page["items"][0]["amount"] == "20.00" and page["next_cursor"]
    rest = ayse.get(f"/api/wallet/transfers?cursor={page['next_cursor']}").json
    assert [t["amount"] for t in rest["items"]] == ["10.00"] and rest["next_cursor"] is None


@pytest.mark.parametrize("body, status, code", [
    ({"amount": "0"}, 400, "validation_failed"),
    ({"amount": "-5.00"}, 400, "validation_failed"),
    ({"amount": "1.005"}, 400, "validation_failed"),
    ({"amount": None}, 400, "validation_failed"),
    ({"amount": "1000.01"}, 400, "validation_failed"),
    ({"amount": "10.00", "email": "nobody-here@example.com"}, 404, "recipient_not_found"),
    ({"amount": "10.00", "phone": "0599 999 99 99"}, 404, "recipient_not_found"),
    ({"amount": "10.00", "phone": "not a phone \u202e"}, 400, "validation_failed"),
    ({"amount": "10.00", "phone": "not a phone"}, 404, "recipient_not_found"),
    ({"amount": "10.00", "user_code": "H00001X"}, 404, "recipient_not_found"),
    ({"amount": "10.00", "user_code": "ŞĞÜ\u0000"}, 400, "invalid_text"),
    ({"amount": "10.00", "user_code": "ŞĞÜ"}, 404, "recipient_not_found"),
    ({"amount": "10.00", "email": "a@b.co", "user_code": "H000010"}, 400, "validation_failed"),
    ({"amount": "10.00"}, 400, "validation_failed"),
])
def test_bad_transfers_change_nothing(shop, ayse, mehmet, body, status, code):
    body = {"email": email_of(mehmet.user_id), **body} if set(body) == {"amount"} and body["amount"] != "10.00" \
        else body
    assert_error_shape(send(ayse, body), status, code)
    assert count(shop.id) == 0 and cash(shop.id, ayse.user_id).balance == D("3000.00")


def test_self_missing_key_other_tenant_and_too_much(client, shop, ayse, mehmet):
    assert_error_shape(send(ayse, {"amount": "5.00", "email": email_of(ayse.user_id)}), 400, "self_transfer")
    no_key = ayse.post("/api/wallet/transfers", {"amount": "5.00", "email": email_of(mehmet.user_id)})
    assert no_key.status_code == 400
    other = signed_in(client, make_tenant(settings=SETTINGS))
    assert_error_shape(send(ayse, {"amount": "5.00", "email": email_of(other.user_id)}), 404, "recipient_not_found")
    assert_error_shape(send(mehmet, {"amount": "5.00", "email": email_of(ayse.user_id)}), 409, "insufficient_funds")
    made = send(ayse, {"amount": "1000.00", "email": email_of(mehmet.user_id)}).json
    assert_error_shape(other.get(f"/api/wallet/transfers/{made['id']}"), 404, "transfer_not_found")
    assert_error_shape(signed_in(client, shop).get(f"/api/wallet/transfers/{made['id']}"), 404, "transfer_not_found")
    over = send(ayse, {"amount": "500.01", "email": email_of(mehmet.user_id)})
    error = assert_error_shape(over, 400, "validation_failed")
    assert error["details"]["fields"][0]["type"] == "transfer_daily_limit"
    assert error["details"]["fields"][0]["limit"] == "500.00"
    assert send(ayse, {"amount": "500.00", "email": email_of(mehmet.user_id)}).status_code == 201
    assert count(shop.id) == 2
    assert_reconciled(shop.id)


def test_transfers_both_ways_from_many_threads_never_overdraw(shop, ayse, mehmet):
    tenant = Tenant(shop.id, shop.slug, "Shop", "active", "tr", "TRY",
                    {"wallet": {"transfer_max": "1000.00", "transfer_daily_max": "1000000.00"}}, (), shop.api_key_id)
    credit(shop.id, mehmet.user_id, "100.00")
    codes = {ayse.user_id: transfers.user_code(mehmet.user_id), mehmet.user_id: transfers.user_code(ayse.user_id)}
    done, refused, failures = [], [], []

    def worker(sender: int, n: int) -> None:
        for i in range(n):
            amount = Decimal(f"{(i * 37) % 900 + 1}.{i % 100:02d}")
            try:
                made = transfers.send(get_db(), tenant, sender, amount=amount, phone=None, email=None,
                                      code=codes[sender], note=None, header=uuid.uuid4().hex)
                done.append((sender, amount, made.id))
            except InsufficientFunds:
                refused.append(sender)
            except Exception as exc:  # noqa: BLE001 - any other error fails the test below
                failures.append(exc)

    threads = [threading.Thread(target=worker, args=(sender, 15)) for sender in (ayse.user_id, mehmet.user_id) * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    assert len(done) + len(refused) == 120 and done
    net = sum((a if s == mehmet.user_id else -a for s, a, _ in done), D(0))
    assert cash(shop.id, ayse.user_id).balance == D("3000.00") + net
    assert cash(shop.id, mehmet.user_id).balance == D("100.00") - net
    assert count(shop.id) == len(done)
    report = assert_reconciled(shop.id)
    assert report.ok
