"""Helpers of the wallet tests: customers, money moved through the published api, the proof."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from chalicelib.platform.db import get_db
from chalicelib.wallet import api as wallet
from tests.conftest import TenantInfo, make_user

D = Decimal
BANK = {"bank": "Ziraat Bankası", "iban": "TR330006100519786457841326", "account_holder": "Huğlu Av Tüfekleri",
        "branch": "Hüyük"}
WALLET_SETTINGS = {"wallet": {"bank_accounts": [BANK], "topup_max": "20000.00", "withdrawal_max": "10000.00"}}


def customers(tenant: TenantInfo, n: int) -> list[int]:
    return [make_user(tenant)[0] for _ in range(n)]


def tid(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def run(work: Any) -> Any:
    """work(uow) in a retried transaction, committed."""

    def body(uow: Any) -> Any:
        result = work(uow)
        uow.commit()
        return result

    return get_db().transaction(body, retries=10)


def credit(tenant_id: int, user_id: int, amount: str, *, transfer_id: str | None = None, purpose: str = "card_topup",
           account: str = wallet.CASH) -> wallet.Posted:
    return run(lambda uow: wallet.credit(uow, tenant_id, user_id, D(amount), transfer_id=transfer_id or tid("c"),
                                         purpose=purpose, account=account))


def cash(tenant_id: int, user_id: int) -> wallet.AccountBalance:
    return wallet.balance(get_db().session(), tenant_id, user_id).cash


def assert_reconciled(tenant_id: int) -> wallet.Reconciliation:
    report = wallet.reconcile(get_db().session(), tenant_id)
    assert report.ok, report.problems
    return report


def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    return get_db().session().all(sql, params)
