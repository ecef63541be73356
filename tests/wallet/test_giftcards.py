"""Gift cards (W6) through app.py: staff issue single cards and batches whose codes are shown
once and stored only as a keyed hash; customers redeem a code into their wallet's cash exactly
once, even from twenty threads at the same moment; unknown, used, voided, expired and other
tenants' codes are one indistinguishable 404; wrong guesses are rate limited per user and per
IP; bad input is 400 in the one error shape."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid

import pytest

from chalicelib.platform import crypto
from chalicelib.wallet import giftcards
from tests.conftest import Api, make_tenant
from tests.e2e.test_pipeline import assert_error_shape
from tests.helpers import simultaneously
from tests.wallet.test_wallet_api import signed_in
from tests.wallet.wallet_kit import D, assert_reconciled, cash, rows

CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){3}$")
ISSUE = "/api/admin/wallet/gift-cards"
REDEEM = "/api/wallet/gift-cards/redeem"


def later(days: int = 30) -> str:
    return (giftcards.today() + dt.timedelta(days=days)).isoformat()


@pytest.fixture
def shop():
    return make_tenant()


@pytest.fixture
def finance(client, shop):
    return signed_in(client, shop, ["finance"])


@pytest.fixture
def ayse(client, shop):
    return signed_in(client, shop)


def issue(staff: Api, amount: str = "250.00", count: int = 1, key: str | None = None, **extra):
    response = staff.post(ISSUE, {"amount": amount, "expires_on": later(), "count": count, **extra},
                          headers={"Idempotency-Key": key or uuid.uuid4().hex})
    assert response.status_code == 201, response.body
    return response


def one_code(staff: Api, amount: str = "250.00") -> tuple[int, str]:
    item = issue(staff, amount).json["items"][0]
    return item["id"], item["code"]


def redeem(api: Api, code: str, key: str | None = None):
    return api.post(REDEEM, {"code": code}, headers={"Idempotency-Key": key} if key else None)


def test_staff_issue_a_card_and_a_customer_redeems_it_into_cash_once(shop, finance, ayse):
    first = issue(finance, "250.00", note="Yılbaşı kampanyası 🎁")
    item = first.json["items"][0]
    assert first.json["count"] == 1 and CODE.match(item["code"])
    assert item["status"] == "active" and item["initial_amount"] == "250.00" and item["currency"] == "TRY"
    assert item["code_hint"] == "…" + item["code"][-4:]

    done = redeem(ayse, item["code"].lower().replace("-", " "))  # typed loosely: still the code
    assert done.status_code == 201, done.body
    assert done.json["amount"] == "250.00" and done.json["wallet"]["cash"]["balance"] == "250.00"
    assert cash(shop.id, ayse.user_id).balance == D("250.00")
    entry = rows("SELECT journal_type, reference_type, reference_id FROM wallet_journals "
                 "WHERE tenant_id = %s AND transfer_id = %s", shop.id, f"giftcard-{item['id']}")
    assert entry == [{"journal_type": "gift_card", "reference_type": "gift_card", "reference_id": str(item["id"])}]
    shown = finance.get(f"{ISSUE}/{item['id']}").json
    assert shown["status"] == "redeemed" and shown["redeemed_by_user_id"] == ayse.user_id and "code" not in shown
    assert_error_shape(redeem(ayse, item["code"]), 404, "gift_card_not_found")
    assert cash(shop.id, ayse.user_id).balance == D("250.00")
    assert_reconciled(shop.id)


def test_a_batch_has_distinct_codes_shown_once_and_stored_only_as_a_keyed_hash(shop, finance):
    first = issue(finance, "50.00", count=25, key="batch-1")
    codes = [i["code"] for i in first.json["items"]]
    assert first.json["count"] == 25 and len(set(codes)) == 25 and all(CODE.match(c) for c in codes)
    stored = rows("SELECT * FROM gift_cards WHERE tenant_id = %s", shop.id)
    assert len(stored) == 25
    dump = repr(stored)
    for code in codes:
        plain = code.replace("-", "")
        assert code not in dump and plain not in dump and hashlib.sha256(plain.encode()).hexdigest() not in dump
    assert {r["code_hash"] for r in stored} == {crypto.lookup_hash(c.replace("-", ""), "gift_card.code").hex()
                                                for c in codes}
    again = issue(finance, "50.00", count=25, key="batch-1")  # a retry: the same cards, no codes
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [i["id"] for i in again.json["items"]] == [i["id"] for i in first.json["items"]]
    assert {i["code"] for i in again.json["items"]} == {None}
    assert rows("SELECT COUNT(*) AS n FROM gift_cards WHERE tenant_id = %s", shop.id)[0]["n"] == 25
    page = finance.get(f"{ISSUE}?limit=10&status=active").json
    assert len(page["items"]) == 10 and page["next_cursor"] and all("code" not in i for i in page["items"])
    rest = finance.get(f"{ISSUE}?limit=100&status=active&cursor={page['next_cursor']}").json
    assert len(rest["items"]) == 15 and rest["next_cursor"] is None


def test_twenty_devices_redeeming_one_code_credit_it_once(client, shop, finance):
    card_id, code = one_code(finance, "100.00")
    users = [signed_in(client, shop) for _ in range(4)]
    results = simultaneously(*[lambda api=users[i % 4]: redeem(api, code) for i in range(20)])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [404] * 19, [r.body for r in results]
    assert sum(cash(shop.id, u.user_id).balance for u in users) == D("100.00")
    assert rows("SELECT COUNT(*) AS n FROM wallet_journals WHERE tenant_id = %s AND transfer_id = %s",
                shop.id, f"giftcard-{card_id}")[0]["n"] == 1
    assert_reconciled(shop.id)


def test_unknown_used_voided_expired_and_other_tenants_codes_answer_alike(client, shop, finance, ayse):
    _, used = one_code(finance)
    assert redeem(ayse, used).status_code == 201
    expired_id, expired = one_code(finance)
    rows("UPDATE gift_cards SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = %s", expired_id)
    voided_id, voided = one_code(finance)
    assert finance.post(f"{ISSUE}/{voided_id}/void").json["status"] == "voided"
    other = make_tenant()
    _, theirs = one_code(signed_in(client, other, ["finance"]))
    bob = signed_in(client, shop)
    answers = [assert_error_shape(redeem(bob, c), 404, "gift_card_not_found")
               for c in (giftcards.new_code(), used, expired, voided, theirs, "x")]
    assert all(a == answers[0] for a in answers), answers
    assert cash(shop.id, bob.user_id).balance == D(0)
    assert finance.get(f"{ISSUE}/{expired_id}").json["status"] == "expired"
    assert [i["id"] for i in finance.get(f"{ISSUE}?status=expired").json["items"]] == [expired_id]


def test_staff_void_an_unused_card_but_not_a_redeemed_one(client, shop, finance, ayse):
    card_id, code = one_code(finance)
    assert redeem(ayse, code).status_code == 201
    assert_error_shape(finance.post(f"{ISSUE}/{card_id}/void"), 409, "gift_card_not_active")
    fresh_id, _ = one_code(finance)
    assert finance.post(f"{ISSUE}/{fresh_id}/void").json["status"] == "voided"
    assert finance.post(f"{ISSUE}/{fresh_id}/void").json["status"] == "voided"  # again: the same
    other_staff = signed_in(client, make_tenant(), ["finance"])
    assert_error_shape(other_staff.post(f"{ISSUE}/{fresh_id}/void"), 404, "gift_card_not_found")
    assert_error_shape(other_staff.get(f"{ISSUE}/{card_id}"), 404, "gift_card_not_found")
    assert other_staff.get(ISSUE).json["items"] == []
    assert finance.get(f"{ISSUE}?status=voided").json["items"][0]["id"] == fresh_id


def test_wrong_guesses_are_limited_per_user_then_even_a_right_code_waits(shop, finance, ayse):
    _, code = one_code(finance)
    for _ in range(giftcards.USER_FAILURES):
        assert redeem(ayse, giftcards.new_code()).status_code == 404
    blocked = assert_error_shape(redeem(ayse, code), 429, "gift_card_attempts")
    assert blocked["details"]["retry_after"] > 0
    assert cash(shop.id, ayse.user_id).balance == D(0)


def test_wrong_guesses_are_limited_per_ip_across_users(client, shop, finance):
    _, code = one_code(finance)
    per_user = giftcards.USER_FAILURES - 1
    for _ in range(-(-giftcards.IP_FAILURES // per_user)):
        guesser = signed_in(client, shop)
        for _ in range(per_user):
            redeem(guesser, giftcards.new_code())
    assert_error_shape(redeem(signed_in(client, shop), code), 429, "gift_card_attempts")


def test_a_redemption_retried_with_its_key_answers_the_first(shop, finance, ayse):
    _, code = one_code(finance, "75.50")
    first = redeem(ayse, code, "r-1")
    again = redeem(ayse, code, "r-1")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json["amount"] == "75.50"
    assert cash(shop.id, ayse.user_id).balance == D("75.50")


@pytest.mark.parametrize("body", [
    {"amount": "0"}, {"amount": "-5"}, {"amount": "10.001"}, {"amount": "1.249,90"}, {"amount": None},
    {"count": 0}, {"count": 501}, {"count": "many"}, {"currency": "USD"}, {"expires_on": "2020-01-01"},
    {"expires_on": "yarın"}, {"expires_on": None}, {"note": "a\u202eb"}, {"extra": 1},
])
def test_bad_issue_input_is_400_and_issues_nothing(shop, finance, body):
    sent = {"amount": "10.00", "expires_on": later(), **body}
    response = finance.post(ISSUE, sent, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert_error_shape(response, 400, "validation_failed")
    assert rows("SELECT COUNT(*) AS n FROM gift_cards WHERE tenant_id = %s", shop.id)[0]["n"] == 0


def test_issue_needs_a_key_and_finance_staff(client, shop, finance, ayse):
    body = {"amount": "10.00", "expires_on": later()}
    assert finance.post(ISSUE, body).status_code == 400
    assert ayse.post(ISSUE, body, headers={"Idempotency-Key": "k"}).status_code in (401, 403)
    assert signed_in(client, shop, ["support"]).get(ISSUE).status_code == 403


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": None}, {"code": "A" * 41}, {"code": "\u0000"},
                                  {"code": 12}, {"code": "ABCD", "x": 1}])
def test_bad_redeem_input_is_400(shop, ayse, body):
    response = ayse.post(REDEEM, body)
    assert_error_shape(response, 400, response.json["error"]["code"])
    assert response.json["error"]["code"] in ("validation_failed", "invalid_text")


def test_odd_unicode_codes_are_just_not_found(shop, ayse):
    for code in ("ŞĞÜ-İÖÇ", "🎁🎁🎁🎁", "ＡＢＣＤ"):
        assert_error_shape(redeem(ayse, code), 404, "gift_card_not_found")


def test_cursor_and_status_filters_are_checked(shop, finance):
    assert_error_shape(finance.get(f"{ISSUE}?cursor=nonsense"), 400, "validation_failed")
    assert_error_shape(finance.get(f"{ISSUE}?status=lost"), 400, "validation_failed")
