"""HPay bonus (W8): earned once when an order is delivered (through the orders' outbox and the
wallet-bonus consumer), spent soonest-expiring first, expired by the sweep, taken back on a
return; never below zero, the ledger reconciled after each."""
from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.orders import api as orders
from chalicelib.platform import outbox
from chalicelib.platform.db import get_db
from chalicelib.wallet import api as wallet
from chalicelib.wallet import bonus, events, handlers
from tests.conftest import make_tenant, make_user
from tests.helpers import simultaneously
from tests.orders_kit import checkout, drain, fill_cart, product, shopper
from tests.wallet.wallet_kit import D, assert_reconciled, credit, rows, run

SETTINGS = {"wallet": {"bonus_earn_percent": "10", "bonus_max_per_order": "100.00", "bonus_expiry_days": 30}}


@pytest.fixture
def shop():
    return make_tenant(settings=SETTINGS)


def placed(client, tenant, *, price="500.00", who=None, quantity=1):
    who = who or shopper(client, tenant)
    db = get_db()
    p, v = product(db, tenant.id, price=price, stock=10)
    fill_cart(db, tenant.id, who.user_id, [(p, v, quantity)])
    response = checkout(who)
    assert response.status_code == 201, response.body
    return who, response.json


def card_paid(tenant_id, order_id):
    def work(uow):
        order = orders.lock_order(uow, tenant_id, order_id)
        due = order["grand_total"] - order["paid_total"]
        orders.record_payment(uow, tenant_id, order_id, provider="iyzico", method="card", amount=due)
        orders.mark_paid(uow, tenant_id, order_id, amount=due, method="card")
        return due

    return run(work)


def move(tenant_id, order_id, *statuses):
    for status in statuses:
        run(lambda uow, status=status: orders.transition(uow, orders.lock_order(uow, tenant_id, order_id), status,
                                                         orders.SYSTEM))


def give_back(tenant_id, order_id, units=None):
    """A return of `units` of the order's first line (all of every line: None) received, and the
    order moved on to returned as returns/settle.py does."""
    def work(uow):
        order = orders.lock_order(uow, tenant_id, order_id)
        lines = uow.all("SELECT id, quantity, returned_quantity FROM order_items WHERE tenant_id = %s "
                        "AND order_id = %s ORDER BY id", (tenant_id, order_id))
        back = ({lines[0]["id"]: units} if units is not None else
                {line["id"]: line["quantity"] - line["returned_quantity"] for line in lines})
        orders.book_returned(uow, tenant_id, order_id, back)
        for status in (orders.RETURN_REQUESTED, orders.RETURNED):
            order = orders.transition(uow, order, status, orders.SYSTEM)

    run(work)


def delivered(client, tenant, **kwargs):
    who, order = placed(client, tenant, **kwargs)
    paid = card_paid(tenant.id, order["id"])
    move(tenant.id, order["id"], orders.PREPARING, orders.SHIPPED, orders.DELIVERED)
    return who, order, paid


def bonus_events_of(tenant_id, order_id):
    found = rows("SELECT id, tenant_id, queue, event_type, aggregate_type, aggregate_id, payload FROM outbox_events "
                 "WHERE tenant_id = %s AND queue = 'wallet-bonus' AND aggregate_id = %s ORDER BY id",
                 tenant_id, str(order_id))
    return [outbox.message({**e, "payload": json.loads(e["payload"])}) for e in found]


def bonus_of(tenant_id, user_id):
    return wallet.balance(get_db().session(), tenant_id, user_id).bonus


def grants(tenant_id):
    return rows("SELECT id, transfer_id, order_id, amount, remaining, status, expires_at, note "
                "FROM wallet_bonus_grants WHERE tenant_id = %s ORDER BY id", tenant_id)


def journals(tenant_id, kind):
    return [r["transfer_id"] for r in rows("SELECT transfer_id FROM wallet_journals WHERE tenant_id = %s "
                                           "AND journal_type = %s ORDER BY id", tenant_id, kind)]


def give(tenant_id, user_id, amount, days, transfer_id=None):
    return run(lambda uow: bonus.grant(uow, tenant_id, user_id, D(amount), days=days,
                                       transfer_id=transfer_id or f"bonus-test-{uuid.uuid4().hex[:12]}"))


def expire_now(tenant_id, grant_id):
    run(lambda uow: uow.execute("UPDATE wallet_bonus_grants SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                                "WHERE tenant_id = %s AND id = %s", (tenant_id, grant_id)))


# -- earning ---------------------------------------------------------------------------------------
def test_a_delivered_order_earns_its_bonus_once(client, shop):
    who, order, paid = delivered(client, shop)
    expected = bonus.earned(paid, D(10))
    assert expected > 0
    (message,) = bonus_events_of(shop.id, order["id"])  # delivered; the earlier moves write none
    assert message["type"] == orders.WALLET_BONUS_EVENT and message["payload"]["to"] == orders.DELIVERED
    assert drain("wallet-bonus", events.wallet_bonus) >= 1
    events.handle_bonus_event(message)  # a redelivery past the consumer's memory of handled ids
    simultaneously(*[lambda: events.handle_bonus_event(message) for _ in range(4)])
    assert bonus_of(shop.id, who.user_id).balance == expected
    assert journals(shop.id, "bonus") == [f"bonus-order-{order['id']}"]
    (grant,) = grants(shop.id)
    assert (grant["order_id"], grant["amount"], grant["remaining"], grant["status"]) == (
        order["id"], expected, expected, "active")
    history = who.api.get("/api/wallet/transactions").json["items"]
    assert history[0]["type"] == "bonus" and history[0]["account"] == "bonus"
    assert_reconciled(shop.id)


def test_a_delivery_again_after_rejected_returns_earns_nothing_more(client, shop):
    who, order, paid = delivered(client, shop)
    move(shop.id, order["id"], orders.RETURN_REQUESTED, orders.DELIVERED)
    for message in bonus_events_of(shop.id, order["id"]):
        events.handle_bonus_event(message)
    assert bonus_of(shop.id, who.user_id).balance == bonus.earned(paid, D(10))
    assert len(grants(shop.id)) == 1
    assert_reconciled(shop.id)


def test_without_an_earn_percent_no_bonus_is_earned(client):
    tenant = make_tenant()
    who, order, _ = delivered(client, tenant)
    for message in bonus_events_of(tenant.id, order["id"]):
        events.handle_bonus_event(message)
    assert bonus_of(tenant.id, who.user_id).balance == D("0.00")
    assert grants(tenant.id) == []


@pytest.mark.parametrize("raw, percent", [(None, 0), ("abc", 0), ("-5", 0), ("101", 0), ("2.5", D("2.5")),
                                          (7, 7), ("NaN", 0)])
def test_the_earn_percent_setting_falls_back_to_off(raw, percent):
    assert bonus.earn_percent({"wallet": {"bonus_earn_percent": raw}}) == percent


@pytest.mark.parametrize("raw, days", [(None, 365), ("30", 365), (0, 365), (True, 365), (30, 30)])
def test_the_expiry_setting_falls_back_to_a_year(raw, days):
    assert bonus.expiry_days({"wallet": {"bonus_expiry_days": raw}}) == days


def test_earned_rounds_down_to_the_cent():
    assert bonus.earned(D("99.99"), D("2.5")) == D("2.49")


# -- spending --------------------------------------------------------------------------------------
def test_an_order_spends_the_soonest_expiring_bonus_first(client, shop):
    who, order = placed(client, shop)
    later = give(shop.id, who.user_id, "60.00", days=60)
    sooner = give(shop.id, who.user_id, "80.00", days=5)
    assert not later.replayed and not sooner.replayed
    credit(shop.id, who.user_id, "2000.00")
    response = who.api.post("/api/payment/wallet", {"order_id": order["id"]},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.body
    assert D(response.json["bonus"]) == D("100.00")
    first, second = grants(shop.id)  # the 60 lasting 60 days, the 80 lasting 5
    assert (first["remaining"], second["remaining"]) == (D("40.00"), D("0.00"))
    assert bonus_of(shop.id, who.user_id).balance == D("40.00")
    assert_reconciled(shop.id)


def test_a_held_bonus_comes_off_the_grants_when_the_card_succeeds(client, shop):
    who, order = placed(client, shop)
    give(shop.id, who.user_id, "30.00", days=10)
    credit(shop.id, who.user_id, "20.00")
    held = run(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D("50.00"), attempt="a1",
                                                 tenant_settings=SETTINGS))
    assert held.bonus is not None and held.bonus.amount == D("30.00")
    assert grants(shop.id)[0]["remaining"] == D("30.00")  # held, not spent yet
    run(lambda uow: wallet.capture_for_order(uow, shop.id, order["id"], attempt="a1"))
    assert grants(shop.id)[0]["remaining"] == D("0.00")
    assert_reconciled(shop.id)


# -- expiry ----------------------------------------------------------------------------------------
def test_the_sweep_expires_what_remains_of_an_expired_grant(client, shop):
    who, order = placed(client, shop)
    give(shop.id, who.user_id, "150.00", days=1)
    keep = give(shop.id, who.user_id, "25.00", days=90)
    credit(shop.id, who.user_id, "2000.00")
    who.api.post("/api/payment/wallet", {"order_id": order["id"]}, headers={"Idempotency-Key": uuid.uuid4().hex})
    expiring, kept = grants(shop.id)
    assert expiring["remaining"] == D("50.00") and kept["remaining"] == D("25.00")
    expire_now(shop.id, expiring["id"])
    assert handlers.expire_wallet_bonus.func({})["expired"] >= 1  # the sweep covers every tenant
    bonus.expire_grants(get_db())  # again: nothing more
    assert journals(shop.id, "bonus_expiry") == [f"bonus-expiry-{expiring['id']}"]
    assert bonus_of(shop.id, who.user_id).balance == D("25.00")
    expiring, kept = grants(shop.id)
    assert (expiring["status"], expiring["remaining"], expiring["note"]) == ("expired", D("0.00"), None)
    assert (kept["status"], kept["remaining"]) == ("active", D("25.00"))
    assert keep.journal_id
    assert_reconciled(shop.id)


def test_the_sweep_never_takes_an_account_below_zero(client, shop):
    who = shopper(client, shop)
    give(shop.id, who.user_id, "40.00", days=1)
    # bonus that left the account outside a payment (no grant knows): only 10.00 remains
    run(lambda uow: wallet.debit(uow, shop.id, who.user_id, D("30.00"), transfer_id=f"x-{uuid.uuid4().hex[:8]}",
                                 purpose="bonus_expiry", account=wallet.BONUS))
    (grant,) = grants(shop.id)
    expire_now(shop.id, grant["id"])
    assert bonus.expire_grants(get_db()) >= 1
    assert bonus_of(shop.id, who.user_id).balance == D("0.00")
    (grant,) = grants(shop.id)
    assert grant["status"] == "expired" and "30.00 of 40.00" in grant["note"]
    assert_reconciled(shop.id)


def test_the_sweep_leaves_held_bonus_alone(client, shop):
    who, order = placed(client, shop)
    give(shop.id, who.user_id, "30.00", days=1)
    credit(shop.id, who.user_id, "20.00")
    run(lambda uow: wallet.hold_for_order(uow, shop.id, who.user_id, order["id"], D("50.00"), attempt="a1",
                                          tenant_settings=SETTINGS))
    expire_now(shop.id, grants(shop.id)[0]["id"])
    assert bonus.expire_grants(get_db()) >= 1
    assert journals(shop.id, "bonus_expiry") == []  # all of it was held for the order
    assert bonus_of(shop.id, who.user_id).balance == D("30.00")
    assert_reconciled(shop.id)


# -- reversal --------------------------------------------------------------------------------------
def test_a_returned_order_gives_back_what_remains_of_its_bonus_once(client, shop):
    who, order, paid = delivered(client, shop)
    for message in bonus_events_of(shop.id, order["id"]):
        events.handle_bonus_event(message)
    earned = bonus.earned(paid, D(10))
    give_back(shop.id, order["id"])
    returned = bonus_events_of(shop.id, order["id"])[-1]
    assert returned["payload"]["to"] == orders.RETURNED
    assert drain("wallet-bonus", events.wallet_bonus) >= 1
    events.handle_bonus_event(returned)  # redelivered
    events.handle_bonus_event({**returned, "payload": {**returned["payload"], "to": orders.REFUNDED}})
    assert journals(shop.id, "bonus_reversal") == [f"bonus-reverse-{order['id']}"]
    assert bonus_of(shop.id, who.user_id).balance == D("0.00")
    (grant,) = grants(shop.id)
    assert (grant["status"], grant["remaining"], grant["note"]) == ("reversed", D("0.00"), None)
    assert earned > 0
    assert_reconciled(shop.id)


def test_a_reversal_after_the_bonus_was_spent_takes_what_remains_and_notes_the_shortfall(client, shop):
    who, order, paid = delivered(client, shop, price="800.00")
    for message in bonus_events_of(shop.id, order["id"]):
        events.handle_bonus_event(message)
    earned = bonus.earned(paid, D(10))
    assert earned > D("30.00")
    _, second = placed(client, shop, price="30.00", who=who)
    credit(shop.id, who.user_id, "500.00")
    response = who.api.post("/api/payment/wallet", {"order_id": second["id"]},
                            headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.body
    spent = D(response.json["bonus"])
    assert spent > 0
    give_back(shop.id, order["id"])
    assert bonus.reverse(get_db(), shop.id, order["id"]) == earned - spent
    assert bonus.reverse(get_db(), shop.id, order["id"]) == D(0)  # once
    assert bonus_of(shop.id, who.user_id).balance == D("0.00")
    (grant,) = grants(shop.id)
    assert grant["status"] == "reversed" and f"{spent} of {earned}" in grant["note"]
    (entry,) = rows("SELECT description FROM wallet_journals WHERE tenant_id = %s AND transfer_id = %s",
                    shop.id, f"bonus-reverse-{order['id']}")
    assert f"{spent} of {earned}" in entry["description"]
    assert_reconciled(shop.id)


def test_a_partial_return_keeps_the_bonus_of_the_goods_kept_and_a_later_return_takes_its_share(client, shop):
    who, order, paid = delivered(client, shop, price="300.00", quantity=3)
    for message in bonus_events_of(shop.id, order["id"]):
        events.handle_bonus_event(message)
    earned = bonus.earned(paid, D(10))
    give_back(shop.id, order["id"], units=1)
    first = bonus_events_of(shop.id, order["id"])[-1]
    assert (first["payload"]["returned_total"], first["payload"]["items_total"]) == ("300.00", "900.00")
    events.handle_bonus_event(first)
    events.handle_bonus_event(first)  # redelivered: nothing more
    keep = bonus.kept(earned, D("300.00"), D("900.00"))
    assert bonus_of(shop.id, who.user_id).balance == keep == (earned * 2 / 3).quantize(D("0.01"), rounding="ROUND_DOWN")
    (grant,) = grants(shop.id)
    assert (grant["status"], grant["remaining"]) == ("active", keep)
    give_back(shop.id, order["id"], units=2)  # the rest comes back later
    for message in bonus_events_of(shop.id, order["id"])[-1:]:
        events.handle_bonus_event(message)
    assert bonus_of(shop.id, who.user_id).balance == D("0.00")
    assert journals(shop.id, "bonus_reversal") == [f"bonus-reverse-{order['id']}", f"bonus-reverse-{order['id']}-2"]
    (grant,) = grants(shop.id)
    assert (grant["status"], grant["remaining"], grant["note"]) == ("reversed", D("0.00"), None)
    assert_reconciled(shop.id)


@pytest.mark.parametrize(("returned", "of", "keep"), [
    (None, None, "0"), ("0", "900", "30.00"), ("300", "900", "20.00"), ("900", "900", "0"), ("950", "900", "0"),
    ("1", "3", "20.00"), ("100", "0", "0"), ("-5", "900", "30.00")])
def test_the_bonus_kept_is_in_proportion_to_the_goods_kept(returned, of, keep):
    assert bonus.kept(D("30.00"), None if returned is None else D(returned), None if of is None else D(of)) == D(keep)


def test_the_published_grant_is_the_bonus_rules_one_credit_operation(shop):
    user, _, _ = make_user(shop)
    get_db().transaction(lambda uow: (wallet.grant_bonus(uow, shop.id, user, D("12.50"), transfer_id="referral-7",
                                                         days=10, description="referral reward"), uow.commit()))
    again = get_db().transaction(lambda uow: wallet.grant_bonus(uow, shop.id, user, D("12.50"),
                                                                transfer_id="referral-7", days=10))
    assert again.replayed
    (grant,) = grants(shop.id)
    assert (grant["transfer_id"], grant["amount"], grant["remaining"]) == ("referral-7", D("12.50"), D("12.50"))
    assert bonus_of(shop.id, user).balance == D("12.50")
    for days, amount in ((0, "1.00"), (3651, "1.00"), (10, "0.001"), (10, "-1.00")):
        with pytest.raises(wallet.LedgerError):
            run(lambda uow, days=days, amount=amount: wallet.grant_bonus(uow, shop.id, user, D(amount),
                                                                         transfer_id="referral-8", days=days))
    assert len(grants(shop.id)) == 1
    assert_reconciled(shop.id)


def test_reconcile_finds_grants_that_promise_more_than_the_account_holds(shop):
    user, _, _ = make_user(shop)
    give(shop.id, user, "40.00", 30)
    assert wallet.reconcile(get_db().session(), shop.id).ok
    (grant,) = grants(shop.id)
    run(lambda uow: uow.execute("UPDATE wallet_bonus_grants SET remaining = 45.00, amount = 45.00 "
                                "WHERE tenant_id = %s AND id = %s", (shop.id, grant["id"])))
    report = wallet.reconcile(get_db().session(), shop.id)
    assert not report.ok and any("grants promise 45.00 but it holds 40.00" in p for p in report.problems)
    run(lambda uow: uow.execute("UPDATE wallet_bonus_grants SET remaining = 5.00, amount = 45.00, status = 'expired' "
                                "WHERE tenant_id = %s AND id = %s", (shop.id, grant["id"])))
    report = wallet.reconcile(get_db().session(), shop.id)
    assert any("1 ended grants keep a rest" in p for p in report.problems)


def test_a_return_of_an_order_that_earned_nothing_changes_nothing(client):
    tenant = make_tenant()
    who, order, _ = delivered(client, tenant)
    move(tenant.id, order["id"], orders.RETURN_REQUESTED, orders.RETURNED)
    for message in bonus_events_of(tenant.id, order["id"]):
        events.handle_bonus_event(message)
    events.handle_bonus_event({"type": "SomethingElse", "tenant_id": tenant.id, "payload": {}})
    assert journals(tenant.id, "bonus_reversal") == []


def test_the_orders_api_names_the_queue_its_state_machine_uses():
    from chalicelib.orders import states

    assert (orders.WALLET_BONUS_QUEUE, orders.WALLET_BONUS_EVENT) == (states.WALLET_BONUS_QUEUE,
                                                                       states.WALLET_BONUS_EVENT)
