"""HTTP routes of the wallet (issue 11: W1, W2, W3, W5 and AF's top-up and withdrawal queues).

Customer (signed in; another customer's request is 404):
    GET  /api/wallet                                   cash, HPay bonus, held, available
    GET  /api/wallet/transactions                      history: filters, keyset pages, running balance
    POST /api/wallet/topups                            bank-transfer top-up request (Idempotency-Key optional)
    GET  /api/wallet/topups, /api/wallet/topups/{topup_id}
    POST /api/wallet/topups/{topup_id}/sent            requested → pending_approval
    POST /api/wallet/withdrawals                       withdrawal request, amount held (Idempotency-Key optional)
    GET  /api/wallet/withdrawals, /api/wallet/withdrawals/{withdrawal_id}
Staff (finance.read / finance.write; every decision audited):
    GET  /api/admin/wallet/topups, /api/admin/wallet/topups/{topup_id}
    POST /api/admin/wallet/topups/{topup_id}/approve        pending_approval → approved (credited)
    POST /api/admin/wallet/topups/{topup_id}/reject         pending_approval → rejected
    GET  /api/admin/wallet/withdrawals, /api/admin/wallet/withdrawals/{withdrawal_id}
    POST /api/admin/wallet/withdrawals/{withdrawal_id}/approve   pending → approved (hold posted)
    POST /api/admin/wallet/withdrawals/{withdrawal_id}/reject    pending → rejected (hold voided)
    GET  /api/admin/wallet/reconciliation              the ledger's invariants, proved for the tenant

A decision repeated on a request already in its status answers it unchanged with
`Idempotent-Replayed: true`; any other move off diagram 20's arrows is 409.
"""
from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.platform import idempotency
from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, USER, Call, Router

from . import history, ledger, topups, withdrawals
from .schemas import (
    AdminTopupOut,
    AdminTopupPage,
    AdminTopupQuery,
    AdminWithdrawalOut,
    AdminWithdrawalPage,
    AdminWithdrawalQuery,
    ApproveIn,
    ReconciliationOut,
    RejectIn,
    TopupIn,
    TopupOut,
    TopupPage,
    TopupQuery,
    TopupSentIn,
    TransactionPage,
    TransactionQuery,
    WalletOut,
    WithdrawalIn,
    WithdrawalOut,
    WithdrawalPage,
    WithdrawalQuery,
)

router = Router(tag="wallet")
WRITE_LIMIT = (20, 900)


def _answer(model: type[TopupOut] | type[WithdrawalOut], result: tuple[dict[str, Any], bool]) -> Response:
    shown, changed = result
    return json_response(model.model_validate(shown), 200, idempotency.headers(not changed))


# -- customer ----------------------------------------------------------------------------------
@router.get("/api/wallet", auth=USER, response=WalletOut)
def wallet(call: Call) -> WalletOut:
    """Your wallet: cash and HPay bonus, each with what is held (pending withdrawals, payments)
    and what is available."""
    return WalletOut.model_validate(history.balance(get_db().session(), call.tenant.id, call.principal.user_id,
                                                    call.tenant.currency))


@router.get("/api/wallet/transactions", auth=USER, query=TransactionQuery, response=TransactionPage)
def transactions(call: Call) -> TransactionPage:
    """Your wallet's movements, newest first, each with the account's balance after it and
    what it was for; filter by account, type, direction and dates."""
    q: TransactionQuery = call.query
    return TransactionPage.model_validate(history.transactions(
        get_db().session(), call.tenant.id, call.principal.user_id, account=q.account, kinds=q.type,
        direction=q.direction, date_from=q.date_from, date_to=q.date_to, after=q.position, limit=q.limit))


@router.post("/api/wallet/topups", auth=USER, body=TopupIn, response=TopupOut, status=201, idempotent=True,
             rate_limit=WRITE_LIMIT, errors=(409,))
def request_topup(call: Call) -> Response:
    """Top up by bank transfer: the answer has a reference code to write on the transfer and
    the shop's bank accounts.  Staff credit the wallet once the money has arrived (after you
    report it sent).  409 when the shop has no bank account set up.  With an Idempotency-Key
    the same request answers the same top-up (Idempotent-Replayed: true)."""
    body: TopupIn = call.body
    db = get_db()
    made = topups.request_topup(db, call.tenant, call.principal.user_id, body.amount, body.note,
                                call.header("idempotency-key"))
    shown = topups.get_topup(db, call.tenant.id, made.id, user_id=call.principal.user_id,
                             tenant_settings=call.tenant.settings)
    return json_response(TopupOut.model_validate(shown), 201, idempotency.headers(made.replayed))


@router.get("/api/wallet/topups", auth=USER, query=TopupQuery, response=TopupPage)
def my_topups(call: Call) -> TopupPage:
    """Your top-up requests, newest first."""
    q: TopupQuery = call.query
    return TopupPage.model_validate(topups.list_topups(
        get_db(), call.tenant.id, user_id=call.principal.user_id, statuses=q.status, after=q.position,
        limit=q.limit, admin=False, tenant_settings=call.tenant.settings))


@router.get("/api/wallet/topups/{topup_id}", auth=USER, response=TopupOut)
def my_topup(call: Call) -> TopupOut:
    """One of your top-up requests."""
    return TopupOut.model_validate(topups.get_topup(get_db(), call.tenant.id, call.path["topup_id"],
                                                    user_id=call.principal.user_id,
                                                    tenant_settings=call.tenant.settings))


@router.post("/api/wallet/topups/{topup_id}/sent", auth=USER, body=TopupSentIn, response=TopupOut, errors=(409,),
             rate_limit=WRITE_LIMIT)
def report_sent(call: Call) -> Response:
    """Tell staff the transfer is on its way (requested → pending_approval)."""
    body: TopupSentIn = call.body
    return _answer(TopupOut, topups.report_sent(get_db(), call.tenant.id, call.principal.user_id,
                                                call.path["topup_id"], sender_name=body.sender_name,
                                                bank_reference=body.bank_reference, note=body.note))


@router.post("/api/wallet/withdrawals", auth=USER, body=WithdrawalIn, response=WithdrawalOut, status=201,
             idempotent=True, rate_limit=WRITE_LIMIT, errors=(409,))
def request_withdrawal(call: Call) -> Response:
    """Withdraw cash to a Turkish IBAN: the amount is held at once (never more than is
    available: 409) and paid out when staff approve; a rejection releases it.  With an
    Idempotency-Key the same request answers the same withdrawal."""
    body: WithdrawalIn = call.body
    db = get_db()
    made = withdrawals.request_withdrawal(db, call.tenant, call.principal.user_id, amount=body.amount,
                                          iban=body.iban, account_holder=body.account_holder, note=body.note,
                                          header=call.header("idempotency-key"))
    shown = withdrawals.get_withdrawal(db, call.tenant.id, made.id, user_id=call.principal.user_id)
    return json_response(WithdrawalOut.model_validate(shown), 201, idempotency.headers(made.replayed))


@router.get("/api/wallet/withdrawals", auth=USER, query=WithdrawalQuery, response=WithdrawalPage)
def my_withdrawals(call: Call) -> WithdrawalPage:
    """Your withdrawal requests, newest first."""
    q: WithdrawalQuery = call.query
    return WithdrawalPage.model_validate(withdrawals.list_withdrawals(
        get_db(), call.tenant.id, user_id=call.principal.user_id, statuses=q.status, after=q.position,
        limit=q.limit, admin=False))


@router.get("/api/wallet/withdrawals/{withdrawal_id}", auth=USER, response=WithdrawalOut)
def my_withdrawal(call: Call) -> WithdrawalOut:
    """One of your withdrawal requests."""
    return WithdrawalOut.model_validate(withdrawals.get_withdrawal(get_db(), call.tenant.id,
                                                                   call.path["withdrawal_id"],
                                                                   user_id=call.principal.user_id))


# -- staff -------------------------------------------------------------------------------------
@router.get("/api/admin/wallet/topups", auth=ADMIN, permission=perm.FINANCE_READ, query=AdminTopupQuery,
            response=AdminTopupPage)
def topup_queue(call: Call) -> AdminTopupPage:
    """Top-up requests newest first, by status (repeatable) and customer."""
    q: AdminTopupQuery = call.query
    return AdminTopupPage.model_validate(topups.list_topups(
        get_db(), call.tenant.id, user_id=q.user_id, statuses=q.status, after=q.position, limit=q.limit,
        admin=True, tenant_settings=call.tenant.settings))


@router.get("/api/admin/wallet/topups/{topup_id}", auth=ADMIN, permission=perm.FINANCE_READ, response=AdminTopupOut)
def admin_topup(call: Call) -> AdminTopupOut:
    """One top-up request."""
    return AdminTopupOut.model_validate(topups.get_topup(get_db(), call.tenant.id, call.path["topup_id"], admin=True,
                                                         tenant_settings=call.tenant.settings))


@router.post("/api/admin/wallet/topups/{topup_id}/approve", auth=ADMIN, permission=perm.FINANCE_WRITE, body=ApproveIn,
             response=AdminTopupOut, errors=(409,))
def approve_topup(call: Call) -> Response:
    """The money is on the bank statement: credit the wallet (pending_approval → approved)."""
    body: ApproveIn = call.body
    return _answer(AdminTopupOut, topups.approve(get_db(), call.tenant.id, call.principal.user_id,
                                                 call.path["topup_id"], body.note))


@router.post("/api/admin/wallet/topups/{topup_id}/reject", auth=ADMIN, permission=perm.FINANCE_WRITE, body=RejectIn,
             response=AdminTopupOut, errors=(409,))
def reject_topup(call: Call) -> Response:
    """No such money arrived (pending_approval → rejected); the note tells the customer why."""
    body: RejectIn = call.body
    return _answer(AdminTopupOut, topups.reject(get_db(), call.tenant.id, call.principal.user_id,
                                                call.path["topup_id"], body.note))


@router.get("/api/admin/wallet/withdrawals", auth=ADMIN, permission=perm.FINANCE_READ, query=AdminWithdrawalQuery,
            response=AdminWithdrawalPage)
def withdrawal_queue(call: Call) -> AdminWithdrawalPage:
    """Withdrawal requests newest first, by status (repeatable) and customer, IBANs in full."""
    q: AdminWithdrawalQuery = call.query
    return AdminWithdrawalPage.model_validate(withdrawals.list_withdrawals(
        get_db(), call.tenant.id, user_id=q.user_id, statuses=q.status, after=q.position, limit=q.limit, admin=True))


@router.get("/api/admin/wallet/withdrawals/{withdrawal_id}", auth=ADMIN, permission=perm.FINANCE_READ,
            response=AdminWithdrawalOut)
def admin_withdrawal(call: Call) -> AdminWithdrawalOut:
    """One withdrawal request, the IBAN in full."""
    return AdminWithdrawalOut.model_validate(withdrawals.get_withdrawal(get_db(), call.tenant.id,
                                                                        call.path["withdrawal_id"], admin=True))


@router.post("/api/admin/wallet/withdrawals/{withdrawal_id}/approve", auth=ADMIN, permission=perm.FINANCE_WRITE,
             body=ApproveIn, response=AdminWithdrawalOut, errors=(409,))
def approve_withdrawal(call: Call) -> Response:
    """Paid out to the IBAN: the held amount leaves the wallet (pending → approved)."""
    body: ApproveIn = call.body
    return _answer(AdminWithdrawalOut, withdrawals.approve(get_db(), call.tenant.id, call.principal.user_id,
                                                           call.path["withdrawal_id"], body.note))


@router.post("/api/admin/wallet/withdrawals/{withdrawal_id}/reject", auth=ADMIN, permission=perm.FINANCE_WRITE,
             body=RejectIn, response=AdminWithdrawalOut, errors=(409,))
def reject_withdrawal(call: Call) -> Response:
    """Not paid out (pending → rejected): the held amount is available again."""
    body: RejectIn = call.body
    return _answer(AdminWithdrawalOut, withdrawals.reject(get_db(), call.tenant.id, call.principal.user_id,
                                                          call.path["withdrawal_id"], body.note))


@router.get("/api/admin/wallet/reconciliation", auth=ADMIN, permission=perm.FINANCE_READ, response=ReconciliationOut)
def reconciliation(call: Call) -> ReconciliationOut:
    """Prove the tenant's ledger: each balance equals its lines, pending amounts equal the
    pending holds, every entry and all lines sum to zero, running balances add up, no
    customer below zero.  Reads the whole ledger: for finance, not for every page view."""
    report = ledger.reconcile(get_db().session(), call.tenant.id)
    return ReconciliationOut(ok=report.ok, accounts=report.accounts, entries=report.entries, lines=report.lines,
                             pending_holds=report.pending_holds, customer_total=report.customer_total,
                             problems=report.problems)
