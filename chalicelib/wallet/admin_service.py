"""Admin finance (AF): the tenant's wallets, one wallet and its ledger, manual adjustments and
the ledger export.  (The top-up and withdrawal queues are topups.py / withdrawals.py; the proof
is ledger.reconcile.)

An adjustment is one entry between the customer's account and the tenant's `adjustments`
system account, with staff's reason as its description and in the audit log.  It takes a
required Idempotency-Key, and its transfer id is made of the staff user and that key, so a
retry has one effect even after the key's row has expired.  A debit never takes an account
below what is available (409 insufficient_funds, nothing written).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.platform import audit, export, i18n, idempotency
from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import NotFound
from chalicelib.platform.export import ExportFile
from chalicelib.platform.keyset import Position

from . import accounts, history, ledger
from . import admin_repository as repo
from .ledger import Entry, Line

i18n.register(
    messages={
        "wallet_not_found": {"tr": "Cüzdan bulunamadı.", "en": "Wallet not found."},
        "ledger_export_too_large": {
            "tr": "Dışa aktarım tek yanıt için çok büyük; daha kısa bir tarih aralığı seçin.",
            "en": "The export is too large for one response; choose a shorter date range.",
        },
        # the same code and texts as the catalogue's export (a function may load either or both)
        "export_not_acceptable": {
            "tr": "XLSX indirmek için Accept başlığında {media_type} (veya */*) gönderin.",
            "en": "To download XLSX, send Accept: {media_type} (or */*).",
        },
    },
    field_messages_tr={
        "not_zero": "Sıfır olamaz.",
        "date_range": "Başlangıç tarihi bitiş tarihinden sonra olamaz.",
        "date_range_too_long": "Tarih aralığı en fazla {days} gün olabilir.",
        "query_too_short": "Arama metni en az 2 karakter olmalıdır.",
    },
)

ADJUSTMENT = idempotency.Operation("wallet_adjustment")
MAX_EXPORT_ROWS = 50_000
TOO_LARGE = "ledger_export_too_large"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
EXPORT_COLUMNS = ("line_id", "entry_id", "transfer_id", "created_at", "type", "account", "account_kind", "wallet_id",
                  "user_id", "direction", "amount", "balance_after", "currency", "reference_type", "reference_id",
                  "description", "created_by")
# A spreadsheet reads a cell starting with these as a formula (CSV injection): such text gets a
# leading apostrophe, which the spreadsheet shows as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class WalletNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("wallet_not_found")


# -- reads -----------------------------------------------------------------------------------------
def list_wallets(db: Database, tenant_id: int, *, statuses: Sequence[str] | None, min_balance: Decimal | None,
                 user_id: int | None, q: str | None, after: Position | None, limit: int) -> dict[str, Any]:
    filters = repo.WalletFilters(statuses=statuses or (), min_balance=min_balance, user_id=user_id,
                                 **_search(q))
    rows = repo.wallets(db.reader(), tenant_id, filters, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_view(r) for r in rows], "next_cursor": repo.WALLETS.encode_row(rows[-1]) if more else None}


def _search(q: str | None) -> dict[str, Any]:
    """An e-mail's start when `q` has an '@' (e-mails are stored lower-cased), else name starts."""
    if q is None:
        return {}
    if "@" in q:
        return {"email_prefix": q.lower()}
    return {"name_words": tuple(q.split()[:3])}


def get_wallet(db: Database, tenant_id: int, wallet_id: int) -> dict[str, Any]:
    row = repo.wallet(db.session(), tenant_id, wallet_id)
    if row is None:
        raise WalletNotFound()
    return _view(row)


def transactions(db: Database, tenant_id: int, wallet_id: int, **filters: Any) -> dict[str, Any]:
    """The wallet's history as its owner sees it (history.transactions), for staff."""
    wallet = get_wallet(db, tenant_id, wallet_id)
    return history.transactions(db.session(), tenant_id, wallet["user_id"], **filters)


def _view(row: dict[str, Any]) -> dict[str, Any]:
    parts = {code: {"balance": row[f"{code}_balance"], "held": row[f"{code}_held"],
                    "available": row[f"{code}_balance"] - row[f"{code}_held"]} for code in (accounts.CASH, accounts.BONUS)}
    return {"id": row["id"], "user_id": row["user_id"], "email": row["email"], "first_name": row["first_name"],
            "last_name": row["last_name"], "currency": row["currency"], "status": row["status"], **parts,
            "balance": parts["cash"]["balance"] + parts["bonus"]["balance"],
            "available": parts["cash"]["available"] + parts["bonus"]["available"], "created_at": row["created_at"]}


# -- adjustments -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Adjusted:
    entry_id: int
    replayed: bool


def adjust(db: Database, tenant_id: int, staff_id: int, wallet_id: int, *, amount: Decimal, account: str,
           reason: str, header: str | None) -> Adjusted:
    """Credit (amount > 0) or debit (< 0) the wallet's `account` against the adjustments account."""
    session = db.session()
    if repo.wallet(session, tenant_id, wallet_id) is None:
        raise WalletNotFound()
    key = idempotency.key(tenant_id, ADJUSTMENT, staff_id, header,
                          {"wallet_id": wallet_id, "amount": amount, "account": account, "reason": reason})
    assert key is not None  # the route requires the header
    mine = accounts.wallet_of(session, tenant_id, wallet_id).account(account)
    other = accounts.system_account(session, tenant_id, accounts.ADJUSTMENTS)

    def work(uow: UnitOfWork) -> Adjusted:
        earlier = idempotency.claim(uow, key)
        if earlier is not None:
            return Adjusted(int(earlier.body["entry_id"]), replayed=True)
        posted = ledger.post(uow, tenant_id, Entry(
            f"adjustment-{staff_id}-{key.value}", "adjustment", (Line(mine, amount), Line(other, -amount)),
            "wallet", str(wallet_id), reason, staff_id))
        if not posted.replayed:
            after = repo.wallet(uow, tenant_id, wallet_id) or {}
            balance = after.get(f"{account}_balance", Decimal(0))
            audit.record(uow, tenant_id, "wallet.adjust", entity_type="wallet", entity_id=wallet_id,
                         before={"account": account, "balance": balance - amount},
                         after={"account": account, "balance": balance, "amount": amount, "reason": reason,
                                "entry_id": posted.journal_id})
        idempotency.record(uow, key, 201, {"entry_id": posted.journal_id})
        uow.commit()
        return Adjusted(posted.journal_id, posted.replayed)

    return db.transaction(work)


# -- export ----------------------------------------------------------------------------------------
def export_ledger(db: Database, tenant_id: int, fmt: str, date_from: dt.date, date_to: dt.date) -> ExportFile:
    """The tenant's ledger lines of the entries made from `date_from` to `date_to` (UTC days,
    both included), in entry order, as CSV (UTF-8 with a BOM, ',' and '.') or XLSX."""
    start = dt.datetime.combine(date_from, dt.time())
    end = dt.datetime.max if date_to == dt.date.max else dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time())
    rows = repo.ledger_lines(db.reader(), tenant_id, start, end, MAX_EXPORT_ROWS + 1)
    export.check_rows(rows, MAX_EXPORT_ROWS, TOO_LARGE)
    table = [_export_row(r) for r in rows]
    name = f"ledger-{date_from.isoformat()}-{date_to.isoformat()}.{fmt}"
    if fmt == "xlsx":
        body: str | bytes = _xlsx(table)
        media_type = XLSX_MEDIA_TYPE
    else:
        body, media_type = _csv(table), CSV_MEDIA_TYPE
    return export.file(body, media_type, name, code=TOO_LARGE, max_rows=MAX_EXPORT_ROWS)


def _export_row(row: dict[str, Any]) -> list[Any]:
    values = {**row, "line_id": row["id"], "entry_id": row["journal_id"], "type": row["journal_type"],
              "account_kind": row["kind"], "created_at": row["created_at"].strftime("%Y-%m-%d %H:%M:%S")}
    return [_safe(values[c]) for c in EXPORT_COLUMNS]


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(table: list[list[Any]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows([["" if v is None else v for v in row] for row in table])
    return "\ufeff" + out.getvalue()


def _xlsx(table: list[list[Any]]) -> bytes:
    from openpyxl import Workbook  # lazy: only an XLSX export needs it (a heavy import)
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("ledger")
    sheet.append(list(EXPORT_COLUMNS))
    for row in table:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "#,##0.00"
                cells.append(cell)
            else:
                cells.append(value)  # ids stay numbers, text stays text
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
