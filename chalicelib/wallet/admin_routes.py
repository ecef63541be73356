"""HTTP routes of admin finance (issue 11 item 9, AF): staff (finance.read / finance.write, as the
top-up and withdrawal queues in routes.py); another tenant's wallet is 404.

    GET  /api/admin/wallets                              wallets: status, minimum balance, owner search; keyset pages
    GET  /api/admin/wallets/{wallet_id}                  one wallet: cash and bonus, held, available
    GET  /api/admin/wallets/{wallet_id}/transactions     its ledger, with the customer history's filters
    POST /api/admin/wallets/{wallet_id}/adjustments      a manual correction with a reason (Idempotency-Key
                                                         required; audited)
    GET  /api/admin/wallet/ledger/export                 the tenant's ledger lines in a date range, CSV or XLSX

XLSX goes out base64-encoded (isBase64Encoded), so the app serving it must list its media type
in binary_types: functions/wallet.py does (BINARY_TYPES), app.py has it from the catalogue export.
"""
from __future__ import annotations

from chalice import Response

from chalicelib.platform import idempotency
from chalicelib.platform import permissions as perm
from chalicelib.platform.db import get_db
from chalicelib.platform.errors import ApiError
from chalicelib.platform.http import json_response
from chalicelib.platform.routing import ADMIN, Call, Router

from . import admin_service as service
from .admin_schemas import (
    AdjustmentIn,
    AdjustmentOut,
    AdminWalletOut,
    AdminWalletPage,
    LedgerExportFile,
    LedgerExportQuery,
    WalletListQuery,
)
from .schemas import TransactionPage, TransactionQuery

router = Router(tag="wallet")
BINARY_TYPES = (service.XLSX_MEDIA_TYPE,)


@router.get("/api/admin/wallets", auth=ADMIN, permission=perm.FINANCE_READ, query=WalletListQuery,
            response=AdminWalletPage)
def wallets(call: Call) -> AdminWalletPage:
    """The tenant's wallets, newest first: by status (repeatable), a minimum balance (cash and
    bonus together), the owner's id, or `q` (an e-mail's start, or the starts of their names)."""
    q: WalletListQuery = call.query
    return AdminWalletPage.model_validate(service.list_wallets(
        get_db(), call.tenant.id, statuses=q.status, min_balance=q.min_balance, user_id=q.user_id, q=q.q,
        after=q.position, limit=q.limit))


@router.get("/api/admin/wallets/{wallet_id}", auth=ADMIN, permission=perm.FINANCE_READ, response=AdminWalletOut)
def wallet(call: Call) -> AdminWalletOut:
    """One wallet: its owner, cash and HPay bonus, each with what is held and what is available."""
    return AdminWalletOut.model_validate(service.get_wallet(get_db(), call.tenant.id, call.path["wallet_id"]))


@router.get("/api/admin/wallets/{wallet_id}/transactions", auth=ADMIN, permission=perm.FINANCE_READ,
            query=TransactionQuery, response=TransactionPage)
def wallet_transactions(call: Call) -> TransactionPage:
    """The wallet's movements, newest first, as its owner sees them: account, type, direction and
    dates, keyset pages, each line's running balance and what it was for."""
    q: TransactionQuery = call.query
    return TransactionPage.model_validate(service.transactions(
        get_db(), call.tenant.id, call.path["wallet_id"], account=q.account, kinds=q.type, direction=q.direction,
        date_from=q.date_from, date_to=q.date_to, after=q.position, limit=q.limit))


@router.post("/api/admin/wallets/{wallet_id}/adjustments", auth=ADMIN, permission=perm.FINANCE_WRITE,
             body=AdjustmentIn, response=AdjustmentOut, status=201, idempotent="required", errors=(409,))
def adjust(call: Call) -> Response:
    """Correct a wallet by hand: a signed amount on cash or HPay bonus against the shop's
    adjustments account, with a mandatory reason (on the entry and in the audit log).  A debit
    never takes the account below what is available (409).  The same Idempotency-Key again
    answers the first adjustment (Idempotent-Replayed: true)."""
    body: AdjustmentIn = call.body
    db = get_db()
    made = service.adjust(db, call.tenant.id, call.principal.user_id, call.path["wallet_id"], amount=body.amount,
                          account=body.account, reason=body.reason, header=call.header("idempotency-key"))
    shown = AdjustmentOut(entry_id=made.entry_id, amount=body.amount, account=body.account, reason=body.reason,
                          wallet=AdminWalletOut.model_validate(service.get_wallet(db, call.tenant.id,
                                                                                  call.path["wallet_id"])))
    return json_response(shown, 201, idempotency.headers(made.replayed))


@router.get("/api/admin/wallet/ledger/export", auth=ADMIN, permission=perm.FINANCE_READ, query=LedgerExportQuery,
            response=LedgerExportFile, content_type="text/csv", also_content_types=(service.XLSX_MEDIA_TYPE,),
            errors=(406, 413))
def export_ledger(call: Call) -> Response:
    """The tenant's ledger lines of the entries made in a date range (UTC days, both included;
    at most a year), one row per line with its entry, account, wallet owner and signed amount:
    CSV (UTF-8 with a BOM) or XLSX.  XLSX comes base64-encoded through API Gateway: send
    Accept: */* or the XLSX type."""
    q: LedgerExportQuery = call.query
    if q.format == "xlsx":
        accept = (call.header("accept") or "").lower()
        if "*/*" not in accept and service.XLSX_MEDIA_TYPE not in accept:
            raise ApiError("export_not_acceptable", status=406, params={"media_type": service.XLSX_MEDIA_TYPE})
    file = service.export_ledger(get_db(), call.tenant.id, q.format, q.date_from, q.date_to)
    return Response(body=file.body, status_code=200, headers={
        "Content-Type": file.media_type, "Content-Disposition": f'attachment; filename="{file.filename}"'})
