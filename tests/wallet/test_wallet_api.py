"""The wallet through app.py (W1-W3, W5; AF top-ups and withdrawals): diagram 20's arrows and
nothing else, bad input in the one error shape with nothing changed, other customers' and other
tenants' ids 404, Idempotency-Key replays, concurrent requests that never overdraw."""
from __future__ import annotations

import json
import re

import pytest

from chalicelib.platform.db import get_db
from tests.conftest import Api, make_tenant, make_user
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import simultaneously
from tests.orders_kit import sign_in
from tests.wallet.wallet_kit import BANK, WALLET_SETTINGS, D, assert_reconciled, credit, rows

IBAN = "TR33 0006 1005 1978 6457 8413 26"
OTHER_IBAN = "TR320010009999901234567890"  # valid check digits, another bank


@pytest.fixture
def shop():
    return make_tenant(settings=WALLET_SETTINGS)


def signed_in(client, tenant, roles=None) -> Api:
    user_id, _, _ = make_user(tenant, roles=roles)
    api = Api(client, tenant.api_key)
    api.token = sign_in(tenant.id, user_id)
    api.user_id = user_id  # type: ignore[attr-defined]
    return api


@pytest.fixture
def ayse(client, shop):
    return signed_in(client, shop)


@pytest.fixture
def finance(client, shop):
    return signed_in(client, shop, ["finance"])


def count(table: str, tenant_id: int) -> int:
    return rows(f"SELECT COUNT(*) AS n FROM {table} WHERE tenant_id = %s", tenant_id)[0]["n"]


def topup(api: Api, amount="250.00", **body):
    return api.post("/api/wallet/topups", {"amount": amount, **body})


def sent(api: Api, topup_id: int, **body):
    return api.post(f"/api/wallet/topups/{topup_id}/sent", {"sender_name": "Ayşe Yılmaz", **body})


def withdraw(api: Api, amount="200.00", iban=IBAN, **body):
    return api.post("/api/wallet/withdrawals", {"amount": amount, "iban": iban, "account_holder": "Ayşe Yılmaz",
                                                **body})


def balance(api: Api) -> dict:
    response = api.get("/api/wallet")
    assert response.status_code == 200, response.body
    return response.json


# -- balance -----------------------------------------------------------------------------------
def test_a_new_customer_sees_an_empty_wallet_and_reading_it_creates_nothing(shop, ayse):
    shown = balance(ayse)
    assert shown == {"currency": "TRY", "status": "active", "available": "0.00",
                     "cash": {"balance": "0.00", "held": "0.00", "available": "0.00"},
                     "bonus": {"balance": "0.00", "held": "0.00", "available": "0.00"}}
    assert ayse.get("/api/wallet/transactions").json == {"items": [], "next_cursor": None}
    assert count("wallets", shop.id) == 0
    assert_error_shape(Api(ayse.client, shop.api_key).get("/api/wallet"), 401, "token_missing")


# -- top-ups along diagram 20 ------------------------------------------------------------------
def test_a_bank_top_up_goes_requested_sent_approved_and_is_credited_once(shop, ayse, finance):
    made = topup(ayse, note="Maaş")
    assert made.status_code == 201, made.body
    body = made.json
    assert re.fullmatch(r"W\d{6}-[A-Z0-9]{6}", body["reference_code"])
    assert (body["status"], body["amount"], body["can_report_sent"]) == ("requested", "250.00", True)
    assert body["bank_accounts"] == [{**BANK, "iban": "TR330006100519786457841326"}]
    url = f"/api/admin/wallet/topups/{body['id']}"

    # Staff cannot approve what the customer has not reported sent: not an arrow of diagram 20.
    error = assert_error_shape(finance.post(f"{url}/approve", {}), 409, "illegal_wallet_transition")
    assert error["details"] == {"from": "requested", "to": "approved", "allowed": ["pending_approval"]}

    reported = sent(ayse, body["id"], bank_reference="ZR-2026-118")
    assert reported.status_code == 200 and reported.json["status"] == "pending_approval"
    assert reported.json["bank_accounts"] == [] and reported.json["sent_at"]
    again = sent(ayse, body["id"])
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"

    approved = finance.post(f"{url}/approve", {"note": "Hesaba geçti"})
    assert approved.status_code == 200, approved.body
    assert (approved.json["status"], approved.json["staff_note"]) == ("approved", "Hesaba geçti")
    assert approved.json["journal_id"] and approved.json["reviewed_by"] == finance.user_id
    replay = finance.post(f"{url}/approve", {})
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    assert_error_shape(finance.post(f"{url}/reject", {"note": "geç"}), 409, "illegal_wallet_transition")
    assert_error_shape(sent(ayse, body["id"]), 409, "illegal_wallet_transition")

    assert balance(ayse)["cash"] == {"balance": "250.00", "held": "0.00", "available": "250.00"}
    lines = ayse.get("/api/wallet/transactions").json["items"]
    assert [(x["type"], x["direction"], x["amount"], x["balance_after"], x["reference"]) for x in lines] == [
        ("bank_topup", "credit", "250.00", "250.00", {"type": "topup_request", "id": str(body["id"])})]
    audit = rows("SELECT action, after_data FROM admin_logs WHERE tenant_id = %s AND entity_id = %s",
                 shop.id, str(body["id"]))
    assert [a["action"] for a in audit] == ["wallet_topup.approve"]
    assert json.loads(audit[0]["after_data"])["status"] == "approved"
    report = finance.get("/api/admin/wallet/reconciliation").json
    assert report["ok"] and report["customer_total"] == "250.00" and report["entries"] == 1


def test_a_rejected_top_up_credits_nothing_and_the_customer_reads_why(shop, ayse, finance):
    made = topup(ayse, "75.50").json
    sent(ayse, made["id"])
    rejected = finance.post(f"/api/admin/wallet/topups/{made['id']}/reject", {"note": "Havale gelmedi"})
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert_error_shape(finance.post(f"/api/admin/wallet/topups/{made['id']}/approve", {}), 409,
                       "illegal_wallet_transition")
    mine = ayse.get(f"/api/wallet/topups/{made['id']}").json
    assert (mine["status"], mine["staff_note"]) == ("rejected", "Havale gelmedi")
    assert "user_id" not in mine and "journal_id" not in mine
    assert balance(ayse)["cash"]["balance"] == "0.00" and count("wallet_journals", shop.id) == 0
    assert_error_shape(finance.post(f"/api/admin/wallet/topups/{made['id']}/reject", {}), 400, "validation_failed")


@pytest.mark.parametrize("amount, field_type", [
    ("-1.00", "negative"), (-5, "negative"), ("0", "greater_than"), (0, "greater_than"),
    ("10.001", "too_many_decimals"), (12.345, "too_many_decimals"), ("abc", "money_invalid"),
    ("1.249,90", "money_invalid"), (True, "money_invalid"), (None, "money_invalid"),
    ("20000.01", "amount_over_limit"), ("9.99", "amount_too_small"), ("1e3", "money_invalid"),
])
def test_bad_top_up_amounts_are_400_and_change_nothing(shop, ayse, amount, field_type):
    error = assert_error_shape(topup(ayse, amount), 400, "validation_failed")
    assert [(f["field"], f["type"]) for f in error["details"]["fields"]] == [("amount", field_type)], error
    assert count("wallet_topup_requests", shop.id) == 0 and count("wallets", shop.id) == 0


def test_limit_errors_speak_the_callers_language(shop, ayse):
    error = assert_error_shape(ayse.post("/api/wallet/topups", {"amount": "20000.01"},
                                         headers={"Accept-Language": "tr"}), 400, "validation_failed")
    assert error["details"]["fields"][0]["message"] == "Tutar en fazla 20000.00 olabilir."
    error = assert_error_shape(ayse.post("/api/wallet/topups", {"amount": "5"}, headers={"Accept-Language": "en"}),
                               400, "validation_failed")
    assert error["details"]["fields"][0]["message"] == "Must be at least 10.00."


@pytest.mark.parametrize("body", [{}, {"amount": "50", "extra": 1}, {"amount": "50", "note": "a\u202eb"},
                                  {"amount": "50", "note": "x" * 501}, [], {"amount": {"v": 1}}])
def test_malformed_top_up_bodies_are_400(shop, ayse, body):
    assert_error_shape(ayse.post("/api/wallet/topups", body), 400, "validation_failed")
    assert count("wallet_topup_requests", shop.id) == 0


def test_a_shop_without_bank_accounts_takes_no_bank_top_ups(client, tenant):
    api = signed_in(client, tenant)
    assert_error_shape(topup(api), 409, "bank_transfer_unavailable")
    assert count("wallet_topup_requests", tenant.id) == 0


def test_an_idempotency_key_replays_the_same_top_up(shop, ayse):
    first = ayse.post("/api/wallet/topups", {"amount": "100.00"}, headers={"Idempotency-Key": "k-1"})
    again = ayse.post("/api/wallet/topups", {"amount": "100.00"}, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert_error_shape(ayse.post("/api/wallet/topups", {"amount": "101.00"}, headers={"Idempotency-Key": "k-1"}),
                       409, "idempotency_key_reused")
    assert count("wallet_topup_requests", shop.id) == 1


def test_other_customers_and_other_tenants_ids_are_404(client, shop, ayse, finance, other_tenant):
    made = topup(ayse).json
    mehmet = signed_in(client, shop)
    assert_error_shape(mehmet.get(f"/api/wallet/topups/{made['id']}"), 404, "topup_not_found")
    assert_error_shape(sent(mehmet, made["id"]), 404, "topup_not_found")
    assert mehmet.get("/api/wallet/topups").json["items"] == []
    stranger = signed_in(client, other_tenant, ["finance"])
    for path in (f"/api/admin/wallet/topups/{made['id']}/approve", f"/api/admin/wallet/topups/{made['id']}/reject"):
        assert_error_shape(stranger.post(path, {"note": "x"}), 404, "topup_not_found")
    assert_error_shape(stranger.get(f"/api/admin/wallet/topups/{made['id']}"), 404, "topup_not_found")
    assert_error_shape(finance.get("/api/admin/wallet/topups/999999999"), 404, "topup_not_found")
    assert_error_shape(finance.get("/api/admin/wallet/topups/abc"), 404, "not_found")
    assert ayse.get(f"/api/wallet/topups/{made['id']}").json["status"] == "requested"


def test_staff_need_the_finance_permission(client, shop, ayse):
    support = signed_in(client, shop, ["support"])
    for api in (ayse, support):
        assert_error_shape(api.get("/api/admin/wallet/topups"), 403, "forbidden")
        assert_error_shape(api.get("/api/admin/wallet/reconciliation"), 403, "forbidden")


# -- withdrawals -------------------------------------------------------------------------------
def test_a_withdrawal_holds_the_amount_then_approval_pays_it_out(shop, ayse, finance):
    credit(shop.id, ayse.user_id, "500.00")
    made = withdraw(ayse, note="Kira")
    assert made.status_code == 201, made.body
    body = made.json
    assert (body["status"], body["amount"], body["iban"]) == ("pending", "200.00", "TR" + "*" * 20 + "1326")
    assert balance(ayse)["cash"] == {"balance": "500.00", "held": "200.00", "available": "300.00"}
    stored = rows("SELECT iban_enc, iban_last4 FROM wallet_withdrawal_requests WHERE id = %s", body["id"])[0]
    assert b"0006100519786457841326" not in bytes(stored["iban_enc"]) and stored["iban_last4"] == "1326"

    error = assert_error_shape(withdraw(ayse, "300.01"), 409, "insufficient_funds")
    assert error["details"] == {"available": "300.00", "requested": "300.01"}
    assert count("wallet_withdrawal_requests", shop.id) == 1 and count("wallet_holds", shop.id) == 1

    url = f"/api/admin/wallet/withdrawals/{body['id']}"
    seen = finance.get(url).json
    assert seen["iban"] == "TR330006100519786457841326" and seen["hold_id"]
    approved = finance.post(f"{url}/approve", {})
    assert approved.status_code == 200 and approved.json["status"] == "approved" and approved.json["paid_at"]
    assert finance.post(f"{url}/approve", {}).headers.get("Idempotent-Replayed") == "true"
    assert_error_shape(finance.post(f"{url}/reject", {"note": "geç"}), 409, "illegal_wallet_transition")
    assert balance(ayse)["cash"] == {"balance": "300.00", "held": "0.00", "available": "300.00"}
    newest = ayse.get("/api/wallet/transactions").json["items"][0]
    assert (newest["type"], newest["amount"], newest["balance_after"]) == ("withdrawal", "-200.00", "300.00")
    assert_reconciled(shop.id)


def test_a_rejected_withdrawal_releases_the_hold(shop, ayse, finance):
    credit(shop.id, ayse.user_id, "100.00")
    made = withdraw(ayse, "100.00", OTHER_IBAN).json
    assert balance(ayse)["cash"]["available"] == "0.00"
    rejected = finance.post(f"/api/admin/wallet/withdrawals/{made['id']}/reject", {"note": "IBAN sahibi farklı"})
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"
    assert balance(ayse)["cash"] == {"balance": "100.00", "held": "0.00", "available": "100.00"}
    assert_error_shape(finance.post(f"/api/admin/wallet/withdrawals/{made['id']}/approve", {}), 409,
                       "illegal_wallet_transition")
    assert rows("SELECT status FROM wallet_holds WHERE tenant_id = %s", shop.id)[0]["status"] == "voided"
    assert ayse.get("/api/wallet/withdrawals").json["items"][0]["staff_note"] == "IBAN sahibi farklı"
    assert_reconciled(shop.id)


@pytest.mark.parametrize("overrides, field, field_type", [
    ({"iban": "TR340006100519786457841326"}, "iban", "iban_invalid"),  # a wrong check digit
    ({"iban": "DE89370400440532013000"}, "iban", "string_pattern_mismatch"),
    ({"iban": "TR33000610051978645784132"}, "iban", "string_pattern_mismatch"),
    ({"iban": " TR330006100519786457841326"}, "iban", "string_pattern_mismatch"),
    ({"amount": "10000.01"}, "amount", "amount_over_limit"),
    ({"amount": "0.00"}, "amount", "greater_than"),
    ({"amount": "-200"}, "amount", "negative"),
    ({"amount": "50.505"}, "amount", "too_many_decimals"),
    ({"account_holder": "  "}, "account_holder", "string_too_short"),
])
def test_bad_withdrawals_are_400_and_hold_nothing(shop, ayse, overrides, field, field_type):
    credit(shop.id, ayse.user_id, "500.00")
    error = assert_error_shape(withdraw(ayse, **overrides), 400, "validation_failed")
    assert [(f["field"], f["type"]) for f in error["details"]["fields"]] == [(field, field_type)], error
    assert count("wallet_withdrawal_requests", shop.id) == 0 and count("wallet_holds", shop.id) == 0
    assert balance(ayse)["cash"]["held"] == "0.00"


def test_withdrawing_from_an_empty_wallet_is_409(shop, ayse):
    assert_error_shape(withdraw(ayse, "10.00"), 409, "insufficient_funds")
    assert count("wallet_withdrawal_requests", shop.id) == 0


def test_withdrawal_ids_of_others_are_404(client, shop, ayse, other_tenant):
    credit(shop.id, ayse.user_id, "50.00")
    made = withdraw(ayse, "50.00").json
    mehmet = signed_in(client, shop)
    assert_error_shape(mehmet.get(f"/api/wallet/withdrawals/{made['id']}"), 404, "withdrawal_not_found")
    stranger = signed_in(client, other_tenant, ["finance"])
    assert_error_shape(stranger.post(f"/api/admin/wallet/withdrawals/{made['id']}/approve", {}), 404,
                       "withdrawal_not_found")
    assert balance(ayse)["cash"]["held"] == "50.00"


def test_an_idempotency_key_replays_the_same_withdrawal_and_holds_once(shop, ayse):
    credit(shop.id, ayse.user_id, "300.00")
    key = {"Idempotency-Key": "w-1"}
    first = ayse.post("/api/wallet/withdrawals", {"amount": "100.00", "iban": IBAN, "account_holder": "Ayşe"},
                      headers=key)
    again = ayse.post("/api/wallet/withdrawals", {"amount": "100.00", "iban": IBAN, "account_holder": "Ayşe"},
                      headers=key)
    assert first.status_code == again.status_code == 201 and again.json["id"] == first.json["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert balance(ayse)["cash"]["held"] == "100.00" and count("wallet_holds", shop.id) == 1


def test_concurrent_withdrawals_never_exceed_the_balance(shop, ayse):
    credit(shop.id, ayse.user_id, "100.00")
    results = simultaneously(*[lambda: withdraw(ayse, "30.00") for _ in range(6)])
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 201, 201, 409, 409, 409], [r.body for r in results]
    assert balance(ayse)["cash"] == {"balance": "100.00", "held": "90.00", "available": "10.00"}
    assert_reconciled(shop.id)


def test_two_staff_approving_one_top_up_at_once_credit_it_once(client, shop, ayse, finance):
    made = topup(ayse, "40.00").json
    sent(ayse, made["id"])
    other = signed_in(client, shop, ["finance"])
    results = simultaneously(*[lambda api=api: api.post(f"/api/admin/wallet/topups/{made['id']}/approve", {})
                               for api in (finance, other, finance, other)])
    assert [r.status_code for r in results] == [200] * 4
    assert sum(r.headers.get("Idempotent-Replayed") != "true" for r in results) == 1
    assert balance(ayse)["cash"]["balance"] == "40.00"
    assert_reconciled(shop.id)


# -- history -----------------------------------------------------------------------------------
def test_history_pages_by_cursor_and_filters(shop, ayse, finance):
    for amount in ("10.00", "20.00", "30.00"):
        credit(shop.id, ayse.user_id, amount)
    credit(shop.id, ayse.user_id, "5.00", purpose="bonus", account="bonus")
    withdraw(ayse, "15.00")
    seen, cursor = [], None
    while True:
        page = ayse.get("/api/wallet/transactions?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [(x["type"], x["account"], x["amount"], x["balance_after"]) for x in seen] == [
        ("bonus", "bonus", "5.00", "5.00"), ("card_topup", "cash", "30.00", "60.00"),
        ("card_topup", "cash", "20.00", "30.00"), ("card_topup", "cash", "10.00", "10.00")]
    assert len({x["id"] for x in seen}) == 4
    only = ayse.get("/api/wallet/transactions?account=bonus").json["items"]
    assert [x["account"] for x in only] == ["bonus"]
    assert len(ayse.get("/api/wallet/transactions?type=card_topup&type=bonus").json["items"]) == 4
    assert ayse.get("/api/wallet/transactions?direction=debit").json["items"] == []
    assert ayse.get("/api/wallet/transactions?date_to=2000-01-01").json["items"] == []
    assert_error_shape(ayse.get("/api/wallet/transactions?cursor=bm90LWEtY3Vyc29y"), 400, "validation_failed")
    assert_error_shape(ayse.get("/api/wallet/transactions?type=gift"), 400, "validation_failed")
    assert_error_shape(ayse.get("/api/wallet/transactions?date_from=2026-02-02&date_to=2026-02-01"), 400,
                       "validation_failed")
    queue = finance.get("/api/admin/wallet/withdrawals?status=pending").json["items"]
    assert [(w["user_id"], w["amount"]) for w in queue] == [(ayse.user_id, "15.00")]
    assert get_db().session().scalar("SELECT COUNT(*) FROM wallet_ledger_entries WHERE tenant_id = %s",
                                     (shop.id,)) == 8
    assert D(balance(ayse)["available"]) == D("50.00")
