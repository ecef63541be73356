"""Referrals (R1-R3): the share code, the claim and its refusals, the reward on the referee's first
delivered order (referral-events), the fraud checks one by one, staff's approval, the reversal on
return (never below zero), the history and staff's list."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from chalicelib.platform import crypto
from chalicelib.platform.db import get_db
from chalicelib.referrals import api as referrals_api
from chalicelib.referrals import events
from chalicelib.referrals.service import ALPHABET
from chalicelib.wallet import api as wallet
from tests.conftest import Api, make_tenant, make_user
from tests.helpers import simultaneously
from tests.orders_kit import checkout, fill_cart, product, shopper, sign_in

D = Decimal


def customer(client, tenant):
    user_id, _, _ = make_user(tenant)
    a = Api(client, tenant.api_key)
    a.token = sign_in(tenant.id, user_id)
    a.user_id = user_id
    return a


def code_of(who):
    response = who.get("/api/referrals/code")
    assert response.status_code == 200, response.body
    return response.json["code"]


def delivered(tenant_id, user_id, order_id, to="delivered"):
    payload = {"order_id": order_id, "user_id": user_id, "to": to, "paid_total": "500.00", "currency": "TRY"}
    events.handle_event({"id": uuid.uuid4().hex, "type": "OrderBonusStatus", "tenant_id": tenant_id,
                         "payload": payload})


def referral(tenant_id, referee):
    row = get_db().session().one("SELECT id, status, order_id, fraud_flags FROM referrals WHERE tenant_id = %s "
                                 "AND referred_user_id = %s", (tenant_id, referee))
    if row and isinstance(row["fraud_flags"], (str, bytes)):
        row["fraud_flags"] = json.loads(row["fraud_flags"])
    return row


def bonus(tenant_id, user_id):
    return wallet.balance(get_db().session(), tenant_id, user_id).bonus.balance


def earnings(tenant_id, referral_id):
    return get_db().session().all("SELECT role, amount, status, journal_id, reversed_amount FROM referral_earnings "
                                  "WHERE tenant_id = %s AND referral_id = %s ORDER BY role", (tenant_id, referral_id))


@pytest.fixture
def pair(client, tenant):
    """A referrer and a referee attached to them."""
    referrer, referee = customer(client, tenant), customer(client, tenant)
    response = referee.post("/api/referrals/claim", {"code": code_of(referrer)})
    assert response.status_code == 201, response.body
    return referrer, referee


# -- the code ------------------------------------------------------------------------------------------
def test_the_code_is_made_once_and_shared_by_link(client, tenant):
    me, other = customer(client, tenant), customer(client, tenant)
    first = me.get("/api/referrals/code").json
    assert len(first["code"]) == 8 and set(first["code"]) <= set(ALPHABET)
    assert first["share_url"] == f"https://huglu.app/r/{first['code']}"
    assert me.get("/api/referrals/code").json == first
    assert code_of(other) != first["code"]
    assert Api(client, tenant.api_key).get("/api/referrals/code").status_code == 401


# -- the claim -----------------------------------------------------------------------------------------
def test_claim_attaches_once_and_again_is_harmless(client, tenant, pair):
    referrer, referee = pair
    code = code_of(referrer)
    again = referee.post("/api/referrals/claim", {"code": f"  {code.lower()} "})
    assert again.status_code == 200 and again.json["status"] == "registered"
    third = customer(client, tenant)
    other_code = code_of(third)
    refused = referee.post("/api/referrals/claim", {"code": other_code})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "referral_already_referred"
    assert referral(tenant.id, referee.user_id)["status"] == "registered"


def test_claim_refusals(client, tenant):
    me = customer(client, tenant)
    own = me.post("/api/referrals/claim", {"code": code_of(me)})
    assert own.status_code == 409 and own.json["error"]["code"] == "referral_self"
    unknown = me.post("/api/referrals/claim", {"code": "ZZZZZZZZ"})
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "referral_code_not_found"
    # another shop's code is unknown here
    elsewhere = make_tenant()
    stranger = customer(client, elsewhere)
    assert me.post("/api/referrals/claim", {"code": code_of(stranger)}).status_code == 404


def test_an_old_account_cannot_claim(client, tenant):
    referrer, late = customer(client, tenant), customer(client, tenant)
    get_db().session().execute("UPDATE users SET created_at = %s WHERE tenant_id = %s AND id = %s",
                               (dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=31), tenant.id,
                                late.user_id))
    response = late.post("/api/referrals/claim", {"code": code_of(referrer)})
    assert response.status_code == 409 and response.json["error"]["code"] == "referral_claim_expired"
    assert response.json["error"]["details"] == {"claim_days": 30}
    assert referral(tenant.id, late.user_id) is None


def test_a_customer_with_an_order_cannot_claim(client, tenant):
    referrer = customer(client, tenant)
    buyer = shopper(client, tenant)
    db = get_db()
    p, v = product(db, tenant.id, price="100.00")
    fill_cart(db, tenant.id, buyer.user_id, [(p, v, 1)])
    assert checkout(buyer).status_code == 201
    response = buyer.api.post("/api/referrals/claim", {"code": code_of(referrer)})
    assert response.status_code == 409 and response.json["error"]["code"] == "referral_has_orders"


@pytest.mark.parametrize("body", [{}, {"code": None}, {"code": ""}, {"code": "ab"}, {"code": "ŞŞŞŞŞŞŞŞ"},
                                  {"code": "A" * 17}, {"code": 12345678}, {"code": "ABCDEFGH", "x": 1},
                                  {"code": "ABC\u202eDEF"}])
def test_bad_claims_are_400(client, tenant, body):
    me = customer(client, tenant)
    response = me.post("/api/referrals/claim", body)
    assert response.status_code == 400, response.body
    assert referral(tenant.id, me.user_id) is None


def test_failed_claims_are_rate_limited(client, tenant):
    guesser = customer(client, tenant)
    answers = [guesser.post("/api/referrals/claim", {"code": f"ZZZZZZZ{c}"}).status_code for c in "ACDEFH"]
    assert answers == [404] * 5 + [429]


# -- the reward ------------------------------------------------------------------------------------------
def test_first_delivered_order_rewards_both_sides_once(client, tenant, pair):
    referrer, referee = pair
    delivered(tenant.id, referee.user_id, 4001)
    delivered(tenant.id, referee.user_id, 4001)  # redelivered
    delivered(tenant.id, referee.user_id, 4002)  # a later order earns nothing more
    found = referral(tenant.id, referee.user_id)
    assert found["status"] == "rewarded" and found["order_id"] == 4001 and found["fraud_flags"] == []
    assert bonus(tenant.id, referrer.user_id) == D("50.00") and bonus(tenant.id, referee.user_id) == D("25.00")
    rows = earnings(tenant.id, found["id"])
    assert [(r["role"], r["amount"], r["status"]) for r in rows] == [("referee", D("25.00"), "credited"),
                                                                     ("referrer", D("50.00"), "credited")]
    assert all(r["journal_id"] for r in rows)
    assert wallet.reconcile(get_db().session(), tenant.id).ok


def test_bonus_amounts_follow_the_shop_settings(client):
    shop = make_tenant(settings={"referrals": {"referrer_bonus": "10.50", "referee_bonus": "0"}})
    referrer, referee = customer(client, shop), customer(client, shop)
    assert referee.post("/api/referrals/claim", {"code": code_of(referrer)}).status_code == 201
    delivered(shop.id, referee.user_id, 11)
    assert bonus(shop.id, referrer.user_id) == D("10.50") and bonus(shop.id, referee.user_id) == D("0")


def test_the_consumer_function_reports_no_failures(client, tenant, pair):
    referrer, referee = pair
    body = {"id": uuid.uuid4().hex, "type": "OrderBonusStatus", "tenant_id": tenant.id,
            "payload": {"order_id": 77, "user_id": referee.user_id, "to": "delivered", "paid_total": "10.00"}}
    event = client.events.generate_sqs_event(message_bodies=[json.dumps(body)], queue_name=referrals_api.QUEUE)
    assert client.lambda_.invoke("referral_events", event).payload == {"batchItemFailures": []}
    assert referral(tenant.id, referee.user_id)["status"] == "rewarded"


def test_return_takes_the_rewards_back_never_below_zero(client, tenant, pair):
    referrer, referee = pair
    delivered(tenant.id, referee.user_id, 5001)
    delivered(tenant.id, referee.user_id, 5002, to="returned")  # not the qualifying order: nothing
    assert referral(tenant.id, referee.user_id)["status"] == "rewarded"

    def spend(uow):  # the referee spent 20.00 of the 25.00 meanwhile
        wallet.debit(uow, tenant.id, referee.user_id, D("20.00"), transfer_id=f"t-{uuid.uuid4().hex}",
                     purpose="order_payment", account=wallet.BONUS)
        uow.commit()

    get_db().transaction(spend)
    delivered(tenant.id, referee.user_id, 5001, to="returned")
    delivered(tenant.id, referee.user_id, 5001, to="refunded")  # again: nothing more
    found = referral(tenant.id, referee.user_id)
    assert found["status"] == "reversed"
    assert bonus(tenant.id, referrer.user_id) == D("0.00") and bonus(tenant.id, referee.user_id) == D("0.00")
    rows = {r["role"]: r for r in earnings(tenant.id, found["id"])}
    assert rows["referrer"]["reversed_amount"] == D("50.00") and rows["referee"]["reversed_amount"] == D("5.00")
    assert {r["status"] for r in rows.values()} == {"reversed"}
    assert wallet.reconcile(get_db().session(), tenant.id).ok
    history = referrer.get("/api/referrals").json
    assert history["earnings"]["credited"] == "0.00" and history["earnings"]["reversed"] == "50.00"


# -- fraud checks ------------------------------------------------------------------------------------------
def _same_device(tenant_id, a, b):
    for user_id in (a, b):
        get_db().session().execute("INSERT INTO user_devices (tenant_id, user_id, device_id, platform) "
                                   "VALUES (%s, %s, 'dev-shared-1', 'ios')", (tenant_id, user_id))


def _address(tenant_id, user_id, line, phone, postcode="34710"):
    get_db().session().execute(
        """INSERT INTO addresses (tenant_id, user_id, address_type, first_name, last_name, phone, il, ilce,
                                  address_line, posta_kodu)
           VALUES (%s, %s, 'delivery', 'Ayşe', 'Yılmaz', %s, 'İstanbul', 'Kadıköy', %s, %s)""",
        (tenant_id, user_id, phone, line, postcode))


def _same_phone(tenant_id, a, b):
    """The referrer's verified phone is the phone on the referee's address."""
    get_db().session().execute("UPDATE users SET phone_hash = %s WHERE tenant_id = %s AND id = %s",
                               (crypto.lookup_hash("+905321234567", "user.phone"), tenant_id, a))
    _address(tenant_id, b, "Bağdat Cad. 10", "0532 123 45 67", "34728")


def _same_address(tenant_id, a, b):
    _address(tenant_id, a, "Moda Cad. No 5, D 3", "05320000001")
    _address(tenant_id, b, "MODA CAD NO 5 D 3", "05320000002")


def _same_card(tenant_id, a, b):
    for user_id in (a, b):
        get_db().session().execute(
            """INSERT INTO payment_cards (tenant_id, user_id, card_user_key, card_token, bin_number, last4)
               VALUES (%s, %s, %s, %s, '55287900', '0008')""",
            (tenant_id, user_id, f"cuk-{user_id}", f"tok-{uuid.uuid4().hex}"))


@pytest.mark.parametrize(("shared", "flag"), [(_same_device, "same_device"), (_same_phone, "same_phone"),
                                              (_same_address, "same_address"), (_same_card, "same_card")])
def test_fraud_checks_reject_without_reward(tenant, pair, shared, flag):
    referrer, referee = pair
    shared(tenant.id, referrer.user_id, referee.user_id)
    delivered(tenant.id, referee.user_id, 6001)
    found = referral(tenant.id, referee.user_id)
    assert found["status"] == "rejected" and found["fraud_flags"] == [flag] and found["order_id"] == 6001
    assert earnings(tenant.id, found["id"]) == []
    assert bonus(tenant.id, referrer.user_id) == 0 and bonus(tenant.id, referee.user_id) == 0


def test_different_details_raise_no_flag(client, tenant, pair):
    referrer, referee = pair
    _same_card(tenant.id, referrer.user_id, customer(client, tenant).user_id)  # someone else's card
    get_db().session().execute("INSERT INTO user_devices (tenant_id, user_id, device_id, platform) "
                               "VALUES (%s, %s, 'dev-a', 'ios'), (%s, %s, 'dev-b', 'android')",
                               (tenant.id, referrer.user_id, tenant.id, referee.user_id))
    delivered(tenant.id, referee.user_id, 6101)
    assert referral(tenant.id, referee.user_id)["status"] == "rewarded"


# -- staff -----------------------------------------------------------------------------------------------
def test_staff_list_and_approve_a_rejected_referral(client, tenant, pair, admin_api):
    referrer, referee = pair
    _same_phone(tenant.id, referrer.user_id, referee.user_id)
    delivered(tenant.id, referee.user_id, 7001)
    listed = admin_api.get("/api/admin/referrals?status=rejected")
    assert listed.status_code == 200 and [r["fraud_flags"] for r in listed.json["items"]] == [["same_phone"]]
    assert admin_api.get("/api/admin/referrals?status=rewarded").json["items"] == []
    referral_id = listed.json["items"][0]["id"]

    approved = admin_api.post(f"/api/admin/referrals/{referral_id}/approve")
    assert approved.status_code == 200, approved.body
    assert approved.json["status"] == "rewarded" and len(approved.json["earnings"]) == 2
    again = admin_api.post(f"/api/admin/referrals/{referral_id}/approve")
    assert again.status_code == 200 and again.json == approved.json
    assert bonus(tenant.id, referrer.user_id) == D("50.00") and bonus(tenant.id, referee.user_id) == D("25.00")
    audit = get_db().session().scalar("SELECT COUNT(*) FROM admin_logs WHERE tenant_id = %s AND action = %s",
                                      (tenant.id, "referrals.approved"))
    assert audit == 1


def test_staff_cannot_approve_what_is_not_rejected_or_not_theirs(client, tenant, pair, admin_api):
    _, referee = pair
    referral_id = referral(tenant.id, referee.user_id)["id"]
    refused = admin_api.post(f"/api/admin/referrals/{referral_id}/approve")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "referral_not_rejected"
    other = make_tenant()
    _, email, password = make_user(other, roles=["super_admin"])
    staff = Api(client, other.api_key)
    staff.token = staff.post("/api/users/login", {"email": email, "password": password}).json["access_token"]
    assert staff.post(f"/api/admin/referrals/{referral_id}/approve").status_code == 404
    assert staff.get("/api/admin/referrals").json["items"] == []
    assert referee.get("/api/admin/referrals").status_code == 403
    assert admin_api.get("/api/admin/referrals?status=won").status_code == 400


# -- history ---------------------------------------------------------------------------------------------
def test_history_pages_masked_referees_and_earnings(client, tenant):
    referrer = customer(client, tenant)
    code = code_of(referrer)
    referees = [customer(client, tenant) for _ in range(3)]
    for r in referees:
        assert r.post("/api/referrals/claim", {"code": code}).status_code == 201
    delivered(tenant.id, referees[0].user_id, 8001)
    first = referrer.get("/api/referrals?limit=2")
    assert first.status_code == 200, first.body
    assert first.json["code"] == code and len(first.json["items"]) == 2
    assert first.json["items"][0]["name"] == "Ay*** Y***"
    assert first.json["earnings"] == {"credited": "50.00", "pending": "100.00", "reversed": "0.00", "currency": "TRY"}
    second = referrer.get(f"/api/referrals?limit=2&cursor={first.json['next_cursor']}")
    assert second.json["next_cursor"] is None
    ids = [i["id"] for i in first.json["items"] + second.json["items"]]
    assert len(set(ids)) == 3
    assert referrer.get("/api/referrals?cursor=bm90LWEtY3Vyc29y").status_code == 400
    # the referee sees their own (empty) list and their 25.00, not the referrer's
    mine = referees[0].get("/api/referrals").json
    assert mine["items"] == [] and mine["earnings"]["credited"] == "25.00"


# -- concurrency ---------------------------------------------------------------------------------------
def test_concurrent_claims_and_deliveries_reward_once(client, tenant):
    from chalicelib.referrals import rewards, service

    first, second, referee = customer(client, tenant), customer(client, tenant), customer(client, tenant)
    codes = [code_of(first), code_of(second)]

    def claim(code):
        try:
            return service.claim(tenant.id, referee.user_id, code, {})[1]
        except Exception as exc:  # noqa: BLE001 - the loser's refusal is the point
            return getattr(exc, "code", repr(exc))

    outcomes = simultaneously(*[lambda c=c: claim(c) for c in codes])
    assert sorted(map(str, outcomes)) == ["True", "referral_already_referred"]
    assert get_db().session().scalar("SELECT COUNT(*) FROM referrals WHERE tenant_id = %s AND referred_user_id = %s",
                                     (tenant.id, referee.user_id)) == 1
    results = simultaneously(*[lambda o=o: rewards.qualify(get_db(), tenant.id, referee.user_id, o)
                               for o in (9101, 9102, 9101, 9103)])
    assert sorted(map(str, results)) == ["None", "None", "None", "rewarded"]
    total = bonus(tenant.id, first.user_id) + bonus(tenant.id, second.user_id)
    assert total == D("50.00") and bonus(tenant.id, referee.user_id) == D("25.00")
    assert wallet.reconcile(get_db().session(), tenant.id).ok


def test_concurrent_first_asks_make_one_code(client, tenant):
    me = customer(client, tenant)
    from chalicelib.referrals import service

    codes = simultaneously(*[lambda: service.my_code(tenant.id, me.user_id, None)["code"] for _ in range(4)])
    assert len(set(codes)) == 1 and code_of(me) == codes[0]
