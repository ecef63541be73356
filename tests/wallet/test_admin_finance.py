"""Admin finance (issue 11 item 9, AF) through app.py, and the wallet's tenant settings: the
wallet list and one wallet's ledger, adjustments (Idempotency-Key, never below zero, audited),
the ledger export, the reconcile command; bad input 400 with nothing changed, another tenant's
wallet 404."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import uuid

import pytest

from chalicelib.platform.db import get_db
from infra.local import reconcile as command
from tests.conftest import Api, make_tenant, make_user
from tests.e2e.test_pipeline import assert_error_shape
from tests.orders_kit import sign_in
from tests.wallet.test_wallet_api import signed_in
from tests.wallet.wallet_kit import BANK, WALLET_SETTINGS, D, assert_reconciled, credit, rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def shop():
    return make_tenant(settings=WALLET_SETTINGS)


@pytest.fixture
def finance(client, shop):
    return signed_in(client, shop, ["finance"])


def wallet_id(tenant_id: int, user_id: int) -> int:
    return rows("SELECT id FROM wallets WHERE tenant_id = %s AND user_id = %s", tenant_id, user_id)[0]["id"]


def funded(tenant, amount="100.00", **kw) -> tuple[int, int]:
    """A customer whose wallet holds `amount` of cash: (user id, wallet id)."""
    user_id = make_user(tenant, **kw)[0]
    credit(tenant.id, user_id, amount)
    return user_id, wallet_id(tenant.id, user_id)


def adjust(api: Api, wid: int, amount="25.00", account="cash", reason="Kargo gecikmesi telafisi", key=None, **kw):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return api.post(f"/api/admin/wallets/{wid}/adjustments",
                    {"amount": amount, "account": account, "reason": reason, **kw}, headers=headers)


# -- settings ------------------------------------------------------------------------------------
def test_wallet_settings_are_merged_key_by_key_and_used_by_the_wallet(client, shop):
    admin = signed_in(client, shop, ["super_admin"])
    sent = {"wallet": {"topup_min": "50.00", "transfer_max": 2500, "transfer_daily_max": "5000",
                       "bonus_earn_percent": "2.5", "bonus_max_per_order": "100", "bonus_expiry_days": 180,
                       "bank_accounts": [{**BANK, "iban": "tr33 0006 1005 1978 6457 8413 26"}]}}
    response = admin.put("/api/admin/settings", sent)
    assert response.status_code == 200, response.body
    shown = response.json["wallet"]
    assert shown["topup_min"] == "50.00" and shown["topup_max"] == "20000.00"  # kept from before
    assert shown["transfer_max"] == "2500.00" and shown["bonus_earn_percent"] == "2.50"
    assert shown["bank_accounts"] == [{**BANK, "iban": "TR330006100519786457841326"}]
    assert admin.get("/api/admin/settings").json["wallet"] == shown
    cleared = admin.put("/api/admin/settings", {"wallet": {"transfer_max": None}}).json["wallet"]
    assert cleared["transfer_max"] is None and cleared["topup_min"] == "50.00"  # null: the wallet's default
    customer = signed_in(client, shop)
    low = customer.post("/api/wallet/topups", {"amount": "20.00"})
    assert low.status_code == 400 and low.json["error"]["details"]["fields"][0]["limit"] == "50.00"
    made = customer.post("/api/wallet/topups", {"amount": "60.00"})
    assert made.status_code == 201 and made.json["bank_accounts"][0]["iban"] == "TR330006100519786457841326"
    logged = rows("SELECT action FROM admin_logs WHERE tenant_id = %s AND action = 'tenant.settings.update'", shop.id)
    assert len(logged) == 2


@pytest.mark.parametrize("wallet, field", [
    ({"bank_accounts": [{**BANK, "iban": "TR330006100519786457841327"}]}, "iban"),  # check digits
    ({"bank_accounts": [{**BANK, "iban": "DE89370400440532013000"}]}, "iban"),
    ({"bank_accounts": [{"iban": BANK["iban"]}]}, "bank"),
    ({"topup_min": "100", "topup_max": "50"}, "wallet"),
    ({"topup_max": "5.00"}, "wallet"),  # below the stored minimum
    ({"withdrawal_min": "0"}, "withdrawal_min"),
    ({"transfer_max": "-5"}, "transfer_max"),
    ({"transfer_daily_max": "1.001"}, "transfer_daily_max"),
    ({"bonus_earn_percent": "100.5"}, "bonus_earn_percent"),
    ({"bonus_expiry_days": 0}, "bonus_expiry_days"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_wallet_settings_are_400_and_change_nothing(client, wallet, field):
    shop = make_tenant(settings={"wallet": {"topup_min": "10.00", "topup_max": "20000.00"}})
    admin = signed_in(client, shop, ["super_admin"])
    before = admin.get("/api/admin/settings").json
    response = admin.put("/api/admin/settings", {"wallet": wallet})
    assert_error_shape(response, 400, "validation_failed")
    assert any(field in f["field"] for f in response.json["error"]["details"]["fields"]), response.json
    assert admin.get("/api/admin/settings").json == before


def test_a_minimum_sent_alone_is_checked_against_the_stored_maximum_in_turkish_too(client):
    shop = make_tenant(settings={"wallet": {"withdrawal_max": "300.00"}})
    admin = signed_in(client, shop, ["super_admin"])
    response = admin.put("/api/admin/settings", {"wallet": {"withdrawal_min": "500"}},
                         headers={"Accept-Language": "tr"})
    assert_error_shape(response, 400, "validation_failed")
    assert response.json["error"]["details"]["fields"][0]["message"] == \
        "withdrawal_min, withdrawal_max değerinden büyük olamaz."


# -- the wallet list and one wallet ---------------------------------------------------------------
def test_staff_list_wallets_by_status_balance_and_owner_in_keyset_pages(client, shop, finance, other_tenant):
    rich, rich_wallet = funded(shop, "900.00", email=f"zeynep-{uuid.uuid4().hex[:6]}@example.com")
    poor, poor_wallet = funded(shop, "5.00")
    funded(other_tenant, "5000.00")
    get_db().session().execute("UPDATE wallets SET status = 'frozen' WHERE tenant_id = %s AND id = %s",
                               (shop.id, poor_wallet))
    page = finance.get("/api/admin/wallets?limit=1")
    assert page.status_code == 200, page.body
    assert [w["id"] for w in page.json["items"]] == [poor_wallet] and page.json["next_cursor"]
    rest = finance.get(f"/api/admin/wallets?limit=1&cursor={page.json['next_cursor']}").json
    assert [w["id"] for w in rest["items"]] == [rich_wallet] and rest["next_cursor"] is None
    shown = rest["items"][0]
    assert shown["user_id"] == rich and shown["cash"] == {"balance": "900.00", "held": "0.00", "available": "900.00"}
    assert shown["balance"] == "900.00" and shown["last_name"] == "Yılmaz"
    assert ids(finance, "status=frozen") == [poor_wallet]
    assert ids(finance, "status=active&status=closed") == [rich_wallet]
    assert ids(finance, "min_balance=100") == [rich_wallet]
    assert ids(finance, "q=zeynep-") == []  # no '@': a name search
    assert ids(finance, f"q={shown['email'][:9]}%40") == [] and ids(finance, f"q={shown['email']}") == [rich_wallet]
    assert ids(finance, "q=ay%C5%9Fe%20y%C4%B1l") == [poor_wallet, rich_wallet]  # "ayşe yıl": both names
    assert ids(finance, "q=50%25_") == []  # LIKE wildcards are literal
    assert ids(finance, f"user_id={poor}") == [poor_wallet]


def ids(api: Api, query: str) -> list[int]:
    response = api.get(f"/api/admin/wallets?{query}")
    assert response.status_code == 200, response.body
    return [w["id"] for w in response.json["items"]]


@pytest.mark.parametrize("query, field", [
    ("status=open", "status"), ("min_balance=1.001", "min_balance"), ("min_balance=abc", "min_balance"),
    ("cursor=bm90LWEtY3Vyc29y", "cursor"), ("limit=0", "limit"), ("q=a", "q"), ("user_id=-1", "user_id"),
    ("surprise=1", "surprise"),
])
def test_bad_wallet_list_queries_are_400(finance, query, field):
    response = finance.get(f"/api/admin/wallets?{query}")
    assert_error_shape(response, 400, "validation_failed")
    assert field in json.dumps(response.json["error"]["details"])


def test_one_wallet_with_held_amounts_and_its_ledger_and_another_tenants_is_404(client, shop, finance,
                                                                               other_tenant):
    user_id, wid = funded(shop, "300.00")
    customer = Api(client, shop.api_key)
    customer.token = sign_in(shop.id, user_id)
    held = customer.post("/api/wallet/withdrawals", {"amount": "120.00", "iban": BANK["iban"],
                                                     "account_holder": "Ayşe Yılmaz"})
    assert held.status_code == 201, held.body
    shown = finance.get(f"/api/admin/wallets/{wid}").json
    assert shown["cash"] == {"balance": "300.00", "held": "120.00", "available": "180.00"}
    assert shown["available"] == "180.00" and shown["status"] == "active"
    lines = finance.get(f"/api/admin/wallets/{wid}/transactions?account=cash&direction=credit").json
    assert [(x["type"], x["amount"], x["balance_after"]) for x in lines["items"]] == [("card_topup", "300.00",
                                                                                     "300.00")]
    assert finance.get(f"/api/admin/wallets/{wid}/transactions?direction=debit").json["items"] == []
    assert_error_shape(finance.get(f"/api/admin/wallets/{wid}/transactions?type=nope"), 400, "validation_failed")
    _, theirs = funded(other_tenant, "10.00")
    for path in (f"/api/admin/wallets/{theirs}", f"/api/admin/wallets/{theirs}/transactions",
                 "/api/admin/wallets/999999999"):
        assert_error_shape(finance.get(path), 404, "wallet_not_found")
    assert_error_shape(adjust(finance, theirs), 404, "wallet_not_found")
    assert_error_shape(customer.get(f"/api/admin/wallets/{wid}"), 403, "forbidden")
    assert_error_shape(customer.get("/api/admin/wallets"), 403, "forbidden")


# -- adjustments ---------------------------------------------------------------------------------
def test_an_adjustment_credits_or_debits_against_the_adjustments_account_and_is_audited(shop, finance):
    user_id, wid = funded(shop, "40.00")
    up = adjust(finance, wid, "15.50", reason="Eksik iade farkı")
    assert up.status_code == 201, up.body
    assert up.json["wallet"]["cash"]["balance"] == "55.50" and up.json["amount"] == "15.50"
    down = adjust(finance, wid, "-5.50", reason="Çift yükleme düzeltmesi")
    assert down.status_code == 201 and down.json["wallet"]["cash"]["balance"] == "50.00"
    bonus = adjust(finance, wid, 7, account="bonus", reason="Kampanya puanı")
    assert bonus.status_code == 201 and bonus.json["wallet"]["bonus"]["balance"] == "7.00"
    system = rows("""SELECT balance FROM wallet_accounts WHERE tenant_id = %s AND code = 'adjustments'
                     AND wallet_id IS NULL""", shop.id)
    assert system == [{"balance": D("-17.00")}]
    entry = rows("SELECT journal_type, description, created_by, reference_type, reference_id FROM wallet_journals "
                 "WHERE tenant_id = %s AND id = %s", shop.id, up.json["entry_id"])[0]
    assert entry == {"journal_type": "adjustment", "description": "Eksik iade farkı", "created_by": finance.user_id,
                     "reference_type": "wallet", "reference_id": str(wid)}
    logged = rows("SELECT entity_id, before_data, after_data, user_id FROM admin_logs WHERE tenant_id = %s "
                  "AND action = 'wallet.adjust' ORDER BY id", shop.id)
    assert len(logged) == 3 and logged[0]["entity_id"] == str(wid) and logged[0]["user_id"] == finance.user_id
    assert json.loads(logged[1]["before_data"])["balance"] == "55.50"
    assert json.loads(logged[1]["after_data"])["reason"] == "Çift yükleme düzeltmesi"
    history = finance.get(f"/api/admin/wallets/{wid}/transactions?type=adjustment").json["items"]
    assert [x["amount"] for x in history] == ["7.00", "-5.50", "15.50"]
    assert_reconciled(shop.id)


def test_an_adjustment_below_zero_is_409_and_writes_nothing(shop, finance):
    _, wid = funded(shop, "30.00")
    entries = rows("SELECT COUNT(*) AS n FROM wallet_journals WHERE tenant_id = %s", shop.id)[0]["n"]
    for amount, account in (("-30.01", "cash"), ("-1.00", "bonus")):
        response = adjust(finance, wid, amount, account=account)
        assert_error_shape(response, 409, "insufficient_funds")
    assert rows("SELECT COUNT(*) AS n FROM wallet_journals WHERE tenant_id = %s", shop.id)[0]["n"] == entries
    assert rows("SELECT COUNT(*) AS n FROM admin_logs WHERE tenant_id = %s AND action = 'wallet.adjust'",
                shop.id)[0]["n"] == 0
    assert adjust(finance, wid, "-30.00").json["wallet"]["cash"]["balance"] == "0.00"  # all of it is fine
    assert_reconciled(shop.id)


def test_an_adjustment_replayed_with_its_key_acts_once_and_another_body_under_it_is_409(shop, finance):
    _, wid = funded(shop, "10.00")
    first = adjust(finance, wid, "12.00", key="adj-1")
    again = adjust(finance, wid, "12.00", key="adj-1")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert again.json["entry_id"] == first.json["entry_id"]
    assert again.json["wallet"]["cash"]["balance"] == "22.00"
    assert_error_shape(adjust(finance, wid, "13.00", key="adj-1"), 409, "idempotency_key_reused")
    assert rows("SELECT COUNT(*) AS n FROM wallet_journals WHERE tenant_id = %s AND journal_type = 'adjustment'",
                shop.id)[0]["n"] == 1


def test_concurrent_adjustments_with_one_key_act_once(shop, finance):
    from tests.helpers import simultaneously

    _, wid = funded(shop, "10.00")
    results = simultaneously(*[lambda: adjust(finance, wid, "-4.00", key="same") for _ in range(4)])
    assert sorted(r.status_code for r in results) in ([201, 201, 201, 201], [201, 201, 201, 409])
    assert finance.get(f"/api/admin/wallets/{wid}").json["cash"]["balance"] == "6.00"
    assert_reconciled(shop.id)


@pytest.mark.parametrize("body, field", [
    ({"amount": "0", "account": "cash", "reason": "Düzeltme"}, "amount"),
    ({"amount": "1.005", "account": "cash", "reason": "Düzeltme"}, "amount"),
    ({"amount": "1e3", "account": "cash", "reason": "Düzeltme"}, "amount"),
    ({"amount": True, "account": "cash", "reason": "Düzeltme"}, "amount"),
    ({"amount": "10", "account": "gift", "reason": "Düzeltme"}, "account"),
    ({"amount": "10", "account": "cash"}, "reason"),
    ({"amount": "10", "account": "cash", "reason": "  "}, "reason"),
    ({"amount": "10", "account": "cash", "reason": "a\u202eb düzelt"}, "reason"),
    ({"amount": "10", "account": "cash", "reason": "x" * 256}, "reason"),
    ({"amount": "10", "account": "cash", "reason": "Düzeltme", "extra": 1}, "extra"),
])
def test_bad_adjustments_are_400_and_change_nothing(shop, finance, body, field):
    _, wid = funded(shop, "10.00")
    response = finance.post(f"/api/admin/wallets/{wid}/adjustments", body, headers={"Idempotency-Key": "k"})
    assert_error_shape(response, 400, "validation_failed")
    assert field in json.dumps(response.json["error"]["details"])
    assert finance.get(f"/api/admin/wallets/{wid}").json["balance"] == "10.00"


def test_an_adjustment_needs_an_idempotency_key_and_finance_write(client, shop, finance):
    _, wid = funded(shop, "10.00")
    response = finance.post(f"/api/admin/wallets/{wid}/adjustments",
                            {"amount": "1", "account": "cash", "reason": "Düzeltme"})
    assert_error_shape(response, 400, "idempotency_key_required")
    assert adjust(finance, 2**63).status_code in (400, 404)  # beyond a BIGINT: never a 500
    editor = signed_in(client, shop, ["editor"])  # no finance permission
    assert_error_shape(adjust(editor, wid), 403, "forbidden")
    assert_error_shape(editor.get("/api/admin/wallet/ledger/export?date_from=2026-01-01&date_to=2026-01-01"), 403, "forbidden")


# -- export --------------------------------------------------------------------------------------
def test_the_ledger_export_has_every_line_of_the_range_as_csv_and_xlsx(client, shop, finance, other_tenant):
    user_id, wid = funded(shop, "100.00")
    assert adjust(finance, wid, "-20.00", reason="=HYPERLINK(\"http://x\")").status_code == 201
    funded(other_tenant, "77.00")
    today = dt.datetime.now(dt.UTC).date()
    response = finance.get(f"/api/admin/wallet/ledger/export?date_from={today}&date_to={today}")
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith("text/csv")
    assert f'ledger-{today}-{today}.csv' in response.headers["Content-Disposition"]
    text = response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["type"], r["account"], r["amount"]) for r in table] == [
        ("card_topup", "cash", "100.00"), ("card_topup", "card_clearing", "-100.00"),
        ("adjustment", "cash", "-20.00"), ("adjustment", "adjustments", "20.00")]
    assert {r["user_id"] for r in table if r["account"] == "cash"} == {str(user_id)}
    assert table[2]["description"].startswith("'=HYPERLINK")  # never a formula
    assert sum(D(r["amount"]) for r in table) == 0
    earlier = today - dt.timedelta(days=3)
    empty = finance.get(f"/api/admin/wallet/ledger/export?date_from={earlier}&date_to={earlier}")
    assert empty.body.decode("utf-8").strip("\ufeff\r\n").count("\n") == 0  # headers only

    refused = finance.get(f"/api/admin/wallet/ledger/export?format=xlsx&date_from={today}&date_to={today}",
                          headers={"Accept": "application/json"})
    assert_error_shape(refused, 406, "export_not_acceptable")
    xlsx = finance.get(f"/api/admin/wallet/ledger/export?format=xlsx&date_from={today}&date_to={today}",
                       headers={"Accept": XLSX})
    assert xlsx.status_code == 200 and xlsx.headers["Content-Type"] == XLSX
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.body)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("line_id", "entry_id", "transfer_id") and len(values) == 5
    assert [row[10] for row in values[1:]] == [100, -100, -20, 20]


@pytest.mark.parametrize("query", [
    "date_from=2026-01-02&date_to=2026-01-01", "date_from=2024-01-01&date_to=2025-06-01", "date_to=2026-01-01",
    "date_from=2026-01-01&date_to=2026-02-30", "format=pdf&date_from=2026-01-01&date_to=2026-01-01",
])
def test_bad_export_queries_are_400(finance, query):
    assert_error_shape(finance.get(f"/api/admin/wallet/ledger/export?{query}"), 400, "validation_failed")


def test_the_export_on_the_last_representable_day_is_empty_not_a_500(finance):
    response = finance.get("/api/admin/wallet/ledger/export?date_from=9999-12-31&date_to=9999-12-31")
    assert response.status_code == 200


# -- the reconcile command -----------------------------------------------------------------------
def test_the_reconcile_command_exits_0_when_the_ledger_holds_1_when_broken_2_for_no_tenant(shop, finance, capsys):
    _, wid = funded(shop, "50.00")
    adjust(finance, wid, "-10.00")
    capsys.readouterr()  # the request log lines of the calls above (stdout in a full run)
    assert command.main(["--tenant", shop.slug]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["ok"] is True and shown["entries"] == 2 and shown["customer_total"] == "40.00"
    # Break the invariant behind the ledger's back: a balance no longer equal to its lines.
    get_db().session().execute("""UPDATE wallet_accounts SET balance = balance + 1
                                   WHERE tenant_id = %s AND wallet_id = %s AND code = 'cash'""", (shop.id, wid))
    assert command.main(["--tenant", shop.slug]) == 1
    shown = json.loads(capsys.readouterr().out)
    assert shown["ok"] is False and any("balance 41.00 but its lines sum to 40.00" in p for p in shown["problems"])
    assert command.main(["--tenant", f"none-{uuid.uuid4().hex[:6]}"]) == 2


def test_the_reconcile_command_runs_from_the_shell(shop):
    credit(shop.id, make_user(shop)[0], "12.00")
    done = subprocess.run([sys.executable, "-m", "infra.local.reconcile", "--tenant", shop.slug], capture_output=True,
                          text=True, env=os.environ.copy(), timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True
