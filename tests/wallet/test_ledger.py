"""The ledger core over real MariaDB: entries that balance, one effect per transfer id, balance
rows equal to their lines, never below zero, holds, the sweeper, and a reconcile that catches
every broken invariant it claims to prove."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pymysql
import pytest

from chalicelib.platform.db import get_db
from chalicelib.wallet import accounts, api, ledger
from chalicelib.wallet.errors import LedgerError
from chalicelib.wallet.ledger import Entry, Line
from tests.wallet.wallet_kit import D, assert_reconciled, cash, credit, customers, rows, run, tid

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pair(tenant):
    return tenant.id, *customers(tenant, 2)


def test_a_credit_is_one_balanced_entry_with_running_balances(pair):
    tenant_id, ayse, _ = pair
    first = credit(tenant_id, ayse, "100.00")
    credit(tenant_id, ayse, "50.25")
    assert not first.replayed
    assert cash(tenant_id, ayse) == api.AccountBalance(D("150.25"), D("0.00"), D("150.25"))
    lines = rows("""SELECT l.direction, l.amount, l.balance_after, a.code FROM wallet_ledger_entries l
                     JOIN wallet_accounts a ON a.id = l.account_id WHERE l.tenant_id = %s ORDER BY l.id""", tenant_id)
    assert [(r["code"], r["direction"], r["amount"], r["balance_after"]) for r in lines] == [
        ("cash", "credit", D("100.00"), D("100.00")), ("card_clearing", "debit", D("100.00"), D("-100.00")),
        ("cash", "credit", D("50.25"), D("150.25")), ("card_clearing", "debit", D("50.25"), D("-150.25"))]
    report = assert_reconciled(tenant_id)
    assert (report.entries, report.lines, report.customer_total) == (2, 4, D("150.25"))


def test_a_transfer_id_has_at_most_one_effect(pair):
    tenant_id, ayse, _ = pair
    first = credit(tenant_id, ayse, "80.00", transfer_id="payment-1")
    again = credit(tenant_id, ayse, "80.00", transfer_id="payment-1")
    assert again == api.Posted(first.journal_id, replayed=True)
    with pytest.raises(api.TransferIdReused):
        credit(tenant_id, ayse, "81.00", transfer_id="payment-1")
    with pytest.raises(api.TransferIdReused):  # same lines, another purpose: another movement
        credit(tenant_id, ayse, "80.00", transfer_id="payment-1", purpose="order_refund")
    assert cash(tenant_id, ayse).balance == D("80.00")
    assert rows("SELECT COUNT(*) AS n FROM wallet_journals WHERE tenant_id = %s", tenant_id)[0]["n"] == 1
    assert_reconciled(tenant_id)


def test_transfer_ids_are_ascii_compared_byte_for_byte(pair):
    tenant_id, ayse, _ = pair
    assert credit(tenant_id, ayse, "1.00", transfer_id="Pay-1").journal_id != credit(
        tenant_id, ayse, "1.00", transfer_id="pay-1").journal_id
    for bad in ("ödeme-1", "x" * 129, "tab\there"):
        with pytest.raises(LedgerError):
            credit(tenant_id, ayse, "1.00", transfer_id=bad)
    assert cash(tenant_id, ayse).balance == D("2.00")


def test_never_below_zero_and_a_refusal_leaves_nothing(pair):
    tenant_id, ayse, mehmet = pair
    credit(tenant_id, ayse, "30.00")
    with pytest.raises(api.InsufficientFunds) as refused:
        run(lambda uow: api.debit(uow, tenant_id, ayse, D("30.01"), transfer_id="pay-1", purpose="order_payment"))
    assert refused.value.status == 409 and refused.value.details == {"available": "30.00", "requested": "30.01"}
    with pytest.raises(api.InsufficientFunds):  # no wallet at all
        run(lambda uow: api.transfer(uow, tenant_id, mehmet, ayse, D("1.00"), transfer_id=tid()))
    assert rows("SELECT COUNT(*) AS n FROM wallet_journals WHERE tenant_id = %s AND transfer_id = 'pay-1'",
                tenant_id)[0]["n"] == 0
    run(lambda uow: api.debit(uow, tenant_id, ayse, D("30.00"), transfer_id="pay-1", purpose="order_payment"))
    assert cash(tenant_id, ayse).balance == D("0.00")
    assert_reconciled(tenant_id)


def test_the_database_refuses_a_negative_customer_balance_even_without_the_code(pair):
    tenant_id, ayse, _ = pair
    credit(tenant_id, ayse, "10.00")
    account = accounts.find_wallet(get_db().session(), tenant_id, ayse).cash
    with pytest.raises(pymysql.MySQLError) as exc:
        get_db().session().execute("UPDATE wallet_accounts SET balance = balance - 10.01 WHERE id = %s",
                                   (account.id,))
    assert exc.value.args[0] in (3819, 4025)  # CHECK failed (MySQL, MariaDB)


@pytest.mark.parametrize("amounts", [("10.00", "-9.99"), ("10.00", "-10.00", "0.00"), ("0.001", "-0.001")])
def test_malformed_entries_are_refused_before_anything_is_written(pair, amounts):
    tenant_id, ayse, mehmet = pair
    credit(tenant_id, ayse, "10.00")
    credit(tenant_id, mehmet, "10.00")
    wallets = [accounts.find_wallet(get_db().session(), tenant_id, u).cash for u in (ayse, mehmet, ayse)]
    entry = Entry(tid(), "transfer", tuple(Line(a, D(x)) for a, x in zip(wallets, amounts, strict=False)))
    with pytest.raises(LedgerError):
        run(lambda uow: ledger.post(uow, tenant_id, entry))
    with pytest.raises(LedgerError):
        run(lambda uow: api.credit(uow, tenant_id, ayse, D("-5.00"), transfer_id=tid(), purpose="card_topup"))
    with pytest.raises(LedgerError):
        run(lambda uow: api.credit(uow, tenant_id, ayse, D("5.00"), transfer_id=tid(), purpose="free_money"))
    assert rows("SELECT COUNT(*) AS n FROM wallet_journals WHERE tenant_id = %s", tenant_id)[0]["n"] == 2
    assert_reconciled(tenant_id)


def test_cash_and_bonus_are_separate_accounts(pair):
    tenant_id, ayse, _ = pair
    credit(tenant_id, ayse, "20.00")
    credit(tenant_id, ayse, "5.00", purpose="bonus", account=api.BONUS)
    shown = api.balance(get_db().session(), tenant_id, ayse)
    assert (shown.cash.balance, shown.bonus.balance) == (D("20.00"), D("5.00"))
    with pytest.raises(api.InsufficientFunds):
        run(lambda uow: api.debit(uow, tenant_id, ayse, D("5.01"), transfer_id=tid(), purpose="order_payment",
                                  account=api.BONUS))
    assert_reconciled(tenant_id)


def test_transfers_move_cash_between_customers_and_not_to_oneself(pair):
    tenant_id, ayse, mehmet = pair
    credit(tenant_id, ayse, "40.00")
    run(lambda uow: api.transfer(uow, tenant_id, ayse, mehmet, D("15.50"), transfer_id="tr-1"))
    assert (cash(tenant_id, ayse).balance, cash(tenant_id, mehmet).balance) == (D("24.50"), D("15.50"))
    with pytest.raises(api.SelfTransfer):
        run(lambda uow: api.transfer(uow, tenant_id, ayse, ayse, D("1.00"), transfer_id="tr-2"))
    assert_reconciled(tenant_id)


# -- holds -------------------------------------------------------------------------------------------
def _hold(tenant_id, user_id, amount, *, transfer_id=None, expires_in=None):
    return run(lambda uow: api.hold(uow, tenant_id, user_id, D(amount), transfer_id=transfer_id or tid("h"),
                                    purpose="order_payment", expires_in=expires_in))


def test_a_hold_is_unavailable_at_once_then_posted_or_voided(pair):
    tenant_id, ayse, _ = pair
    credit(tenant_id, ayse, "100.00")
    first = _hold(tenant_id, ayse, "60.00", transfer_id="order-7")
    assert cash(tenant_id, ayse) == api.AccountBalance(D("100.00"), D("60.00"), D("40.00"))
    assert _hold(tenant_id, ayse, "60.00", transfer_id="order-7") == api.Hold(first.id, "pending", D("60.00"), None,
                                                                               None, replayed=True)
    with pytest.raises(api.InsufficientFunds):  # 40 left
        _hold(tenant_id, ayse, "40.01")
    with pytest.raises(api.InsufficientFunds):  # a debit cannot take held money either
        run(lambda uow: api.debit(uow, tenant_id, ayse, D("40.01"), transfer_id=tid(), purpose="order_payment"))

    posted = run(lambda uow: api.post_hold(uow, tenant_id, first.id, D("45.00")))  # less: the rest is released
    assert (posted.status, posted.posted_amount) == ("posted", D("45.00"))
    assert cash(tenant_id, ayse) == api.AccountBalance(D("55.00"), D("0.00"), D("55.00"))
    assert run(lambda uow: api.post_hold(uow, tenant_id, first.id)).replayed
    with pytest.raises(api.HoldNotPending):
        run(lambda uow: api.void_hold(uow, tenant_id, first.id))
    entry = rows("SELECT id, transfer_id, journal_type FROM wallet_journals WHERE id = %s", posted.journal_id)[0]
    assert (entry["transfer_id"], entry["journal_type"]) == ("order-7", "order_payment")

    second = _hold(tenant_id, ayse, "55.00")
    voided = run(lambda uow: api.void_hold(uow, tenant_id, second.id))
    assert voided.status == "voided" and run(lambda uow: api.void_hold(uow, tenant_id, second.id)).replayed
    with pytest.raises(api.HoldNotPending):
        run(lambda uow: api.post_hold(uow, tenant_id, second.id))
    assert cash(tenant_id, ayse) == api.AccountBalance(D("55.00"), D("0.00"), D("55.00"))
    assert_reconciled(tenant_id)


def test_expired_holds_cannot_be_posted_and_the_sweeper_releases_them(pair, other_tenant):
    tenant_id, ayse, _ = pair
    credit(tenant_id, ayse, "30.00")
    late = _hold(tenant_id, ayse, "20.00", expires_in=dt.timedelta(minutes=15))
    get_db().session().execute("UPDATE wallet_holds SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                               "WHERE id = %s", (late.id,))
    kept = _hold(tenant_id, ayse, "5.00", expires_in=dt.timedelta(minutes=15))
    with pytest.raises(api.HoldExpired):
        run(lambda uow: api.post_hold(uow, tenant_id, late.id))
    assert ledger.expire_holds(get_db()) >= 1
    assert rows("SELECT status FROM wallet_holds WHERE id = %s", late.id)[0]["status"] == "expired"
    assert rows("SELECT status FROM wallet_holds WHERE id = %s", kept.id)[0]["status"] == "pending"
    assert cash(tenant_id, ayse) == api.AccountBalance(D("30.00"), D("5.00"), D("25.00"))
    assert run(lambda uow: api.void_hold(uow, tenant_id, late.id)).replayed
    with pytest.raises(api.HoldNotFound):  # another tenant's hold
        run(lambda uow: api.void_hold(uow, other_tenant.id, kept.id))
    assert_reconciled(tenant_id)


# -- the proof -----------------------------------------------------------------------------------------
def test_reconcile_catches_each_broken_invariant(pair):
    tenant_id, ayse, mehmet = pair
    credit(tenant_id, ayse, "70.00")
    run(lambda uow: api.transfer(uow, tenant_id, ayse, mehmet, D("20.00"), transfer_id=tid()))
    _hold(tenant_id, ayse, "10.00")
    assert_reconciled(tenant_id)
    session = get_db().session()
    wallet = accounts.find_wallet(session, tenant_id, ayse)

    def broken(sql: str, *params: object) -> list[str]:
        session.execute("START TRANSACTION")
        try:
            session.execute(sql, params)
            return api.reconcile(session, tenant_id).problems
        finally:
            session.execute("ROLLBACK")

    assert re.search(r"balance 50.01 but its lines sum to 50.00",
                     " ".join(broken("UPDATE wallet_accounts SET balance = balance + 0.01 WHERE id = %s",
                                     wallet.cash.id)))
    assert any("pending" in p for p in broken("UPDATE wallet_accounts SET pending_debit = 0 WHERE id = %s",
                                              wallet.cash.id))
    found = broken("UPDATE wallet_ledger_entries SET amount = amount + 1 WHERE tenant_id = %s ORDER BY id LIMIT 1",
                   tenant_id)
    assert any("lines summing to" in p for p in found) and any("not zero" in p for p in found)
    assert any("running sum" in p for p in broken(
        "UPDATE wallet_ledger_entries SET balance_after = balance_after + 1 WHERE tenant_id = %s ORDER BY id LIMIT 1",
        tenant_id))
    assert_reconciled(tenant_id)


def test_entries_and_lines_are_never_changed_by_the_code():
    """Immutability: no UPDATE or DELETE of the journal or its lines anywhere in the code."""
    offenders = []
    for path in (ROOT / "chalicelib").rglob("*.py"):
        text = path.read_text()
        for match in re.finditer(r"\b(UPDATE|DELETE\s+FROM)\s+(wallet_journals|wallet_ledger_entries)\b", text):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == []
