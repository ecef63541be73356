"""Pure rules of the wallet: Turkish IBANs, the tenant's limits and bank accounts, diagram 20."""
from __future__ import annotations

import pytest

from chalicelib.platform.errors import BadRequest
from chalicelib.wallet import iban, rules, states
from chalicelib.wallet.errors import IllegalTransition
from tests.wallet.wallet_kit import BANK, D


@pytest.mark.parametrize("text", ["TR330006100519786457841326", "tr33 0006 1005 1978 6457 8413 26",
                                  iban.with_check_digits("TR", "0001000000000000000000")])
def test_valid_turkish_ibans(text):
    assert iban.is_valid(text)
    assert iban.normalise(text).startswith("TR") and len(iban.normalise(text)) == 26


@pytest.mark.parametrize("text", [
    "TR340006100519786457841326",  # check digits off by one
    "TR330006100519786457841362",  # two digits swapped
    "DE89370400440532013000",  # valid German IBAN: not Turkish
    "TR33000610051978645784132", "TR3300061005197864578413266", "TR33  0006100519786457841326",
    "TR33-0006-1005-1978-6457-8413-26", "TR33O006100519786457841326", "", "TR",
    "TR٣٣0006100519786457841326",  # Arabic-Indic digits
])
def test_invalid_ibans(text):
    assert not iban.is_valid(text)


def test_the_masked_iban_shows_the_last_four_digits_only():
    assert iban.masked("1326") == "TR********************1326"


def test_limits_come_from_the_tenant_or_fall_back():
    assert rules.limit(None, "topup_max") == D("50000.00")
    assert rules.limit({"wallet": {"topup_max": "750"}}, "topup_max") == D("750.00")
    for bad in ("abc", "-5", 0, "NaN", "Infinity", [], {"x": 1}):
        assert rules.limit({"wallet": {"topup_max": bad}}, "topup_max") == D("50000.00"), bad
    assert rules.limit({"wallet": "oops"}, "withdrawal_min") == D("10.00")
    rules.check_amount(None, "topup", D("50000.00"))
    with pytest.raises(BadRequest) as refused:
        rules.check_amount({"wallet": {"withdrawal_max": "100"}}, "withdrawal", D("100.01"))
    assert refused.value.details["fields"][0]["type"] == "amount_over_limit"


def test_only_usable_bank_accounts_are_shown():
    shown = rules.bank_accounts({"wallet": {"bank_accounts": [
        BANK, {"bank": "Garanti", "iban": "TR340006100519786457841326"}, {"iban": BANK["iban"]}, "x", None,
        {"bank": "  İş Bankası ", "iban": "tr33 0006 1005 1978 6457 8413 26", "account_holder": " "}]}})
    assert shown == [{**BANK}, {"bank": "İş Bankası", "iban": "TR330006100519786457841326",
                                "account_holder": None, "branch": None}]
    assert rules.bank_accounts(None) == [] and rules.bank_accounts({"wallet": {"bank_accounts": "x"}}) == []


def test_diagram_20_arrows_and_nothing_else():
    states.check(states.TOPUP_MOVES, states.REQUESTED, states.PENDING_APPROVAL)
    states.check(states.TOPUP_MOVES, states.PENDING_APPROVAL, states.APPROVED)
    states.check(states.WITHDRAWAL_MOVES, states.PENDING, states.REJECTED)
    for moves, current, target in [(states.TOPUP_MOVES, states.REQUESTED, states.APPROVED),
                                   (states.TOPUP_MOVES, states.APPROVED, states.REJECTED),
                                   (states.TOPUP_MOVES, states.REJECTED, states.PENDING_APPROVAL),
                                   (states.WITHDRAWAL_MOVES, states.APPROVED, states.PENDING),
                                   (states.WITHDRAWAL_MOVES, states.REJECTED, states.APPROVED)]:
        with pytest.raises(IllegalTransition):
            states.check(moves, current, target)
