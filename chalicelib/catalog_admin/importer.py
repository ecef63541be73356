"""Spreadsheet import: validate every row, then apply all of it in one transaction or nothing.

1. read: base64 → CSV / XLSX → header + rows (spreadsheet.py documents the columns);
2. parse each row on its own (SKU, barcode checksum, money "1.249,90" / "1249.90", stock, status);
3. resolve against the database (brands, categories, existing SKUs and barcodes), group rows
   into products (an existing SKU's product; else the `urun_slug` column; else one new product
   per row) and check that rows of one product agree;
4. any bad row → 400 `import_invalid` listing EVERY bad row (row number as in the spreadsheet,
   field, column header, value, message) and nothing is written;
5. dry_run → the summary of what would change, nothing written;
6. apply (importer_apply.py): upsert by SKU, writing only what differs, with stock movements
   (reason 'import'), price history (source 'import'), one audit row and the cache effects.

The whole import runs in one transaction that locks the variations it touches (id order) and
then their products (id order), so it cannot interleave with a stock adjustment or a sale.
Limits: API Gateway / Lambda cap a request near 6 MB, so the file (base64 in JSON) is limited to
MAX_IMPORT_BYTES (~4.4 MB, tens of thousands of rows) and MAX_ROWS rows; larger files would go
through S3 (a presigned upload and an S3-event job) later.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic_core import PydanticCustomError

from chalicelib.platform.db import Database, UnitOfWork
from chalicelib.platform.errors import ApiError
from chalicelib.platform.fields import clean_text
from chalicelib.platform.text import fold, is_valid_ean13, slugify

from . import product_repository as prepo
from . import repository as repo
from . import spreadsheet as sheetmod
from .bulk_schemas import MAX_IMPORT_BYTES
from .common import Actor, run
from .errors import ImportInvalid, field_problem
from .naming import category_path_names
from .values import ValueProblem, parse_money, parse_stock, status_from_text, valid_sku

MAX_ROWS = 20_000
PRODUCT_FIELDS = ("name", "brand_id", "category_id", "status", "slug")


@dataclass
class Row:
    number: int
    sku: str
    barcode: str | None = None
    slug: str | None = None
    name: str | None = None
    variant: str | None = None
    brand: str | None = None
    category: str | None = None
    price: Decimal | None = None
    stock: int | None = None
    status: str | None = None
    brand_id: int | None = None
    category_id: int | None = None


@dataclass
class Group:
    """The rows of one product: an existing one (`existing`) or one to create."""

    key: str
    existing: dict[str, Any] | None
    rows: list[Row] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # product fields the file sets


class Report:
    def __init__(self, sheet: sheetmod.Sheet) -> None:
        self.errors: list[dict[str, Any]] = []
        self.headers = {c: sheet.header_row[i] for c, i in sheet.columns.items()}

    def add(self, row: int, column: str, error_type: str, english: str, value: Any = None) -> None:
        self.errors.append({"row": row, "column": self.headers.get(column, column),
                            "value": sheetmod.cell_text(value), **field_problem(column, error_type, english)})

    def bad(self, row: int) -> bool:
        return any(e["row"] == row for e in self.errors)


# -- 1. read -------------------------------------------------------------------------------------
def read(fmt: str, content: str) -> sheetmod.Sheet:
    try:
        data = base64.b64decode(content.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError("validation_failed", status=400, details={"fields": [
            field_problem("content", "base64_invalid", "Not valid base64.")]}) from None
    if len(data) > MAX_IMPORT_BYTES:
        raise _too_large(f"{MAX_IMPORT_BYTES // 1_000_000} MB")
    try:
        sheet = sheetmod.read_xlsx(data, MAX_ROWS) if fmt == "xlsx" else sheetmod.read_csv(data, MAX_ROWS)
    except sheetmod.Unreadable:
        raise ApiError("import_unreadable", status=400, params={"format": fmt.upper()},
                       details={"format": fmt}) from None
    if len(sheet.rows) > MAX_ROWS:
        raise _too_large(f"{MAX_ROWS} rows")
    return sheet


def _too_large(limit: str) -> ApiError:
    return ApiError("import_too_large", status=413, params={"limit": limit}, details={"limit": limit})


def check_header(sheet: sheetmod.Sheet, report: Report) -> None:
    if "sku" not in sheet.columns:
        report.add(1, "sku", "column_missing", "The sku column is required.")
    for header in sheet.duplicates:
        report.add(1, sheetmod.column_of(header) or header, "column_duplicate", "This column appears twice.", header)
    if not sheet.rows and not report.errors:
        report.add(2, "sku", "empty_file", "The file has no data rows.")


# -- 2. parse ------------------------------------------------------------------------------------
def parse_rows(sheet: sheetmod.Sheet, report: Report) -> list[Row]:
    rows: list[Row] = []
    first_sku: dict[str, int] = {}
    first_barcode: dict[str, int] = {}
    for number, cells in sheet.rows:
        def cell(column: str, cells: list[Any] = cells) -> Any:
            index = sheet.columns.get(column)
            return cells[index] if index is not None and index < len(cells) else None

        row = _parse_row(number, cell, report)
        if row is None:
            continue
        if row.sku in first_sku:
            report.add(number, "sku", "duplicate_in_file", f"Already in row {first_sku[row.sku]}.", row.sku)
            continue
        first_sku[row.sku] = number
        if row.barcode is not None:
            if row.barcode in first_barcode:
                report.add(number, "barcode", "duplicate_in_file", f"Already in row {first_barcode[row.barcode]}.",
                           row.barcode)
            first_barcode[row.barcode] = number
        rows.append(row)
    return rows


def _line(number: int, column: str, value: Any, report: Report) -> str | None:
    """A text cell as the JSON API's `Line` takes it: NFC, no control / bidi-override characters."""
    text = sheetmod.cell_text(value)
    if text is None:
        return None
    try:
        return clean_text(text, multiline=False) or None
    except PydanticCustomError as exc:
        report.add(number, column, exc.type, exc.message(), text)
        return None


def _parse_row(number: int, cell: Any, report: Report) -> Row | None:
    sku = sheetmod.cell_text(cell("sku"))
    if sku is None:
        report.add(number, "sku", "required", "The SKU is required.")
        return None
    if not valid_sku(sku):
        report.add(number, "sku", "sku_invalid", "Letters, digits and . _ - / only (at most 64).", sku)
        return None
    row = Row(number, sku)
    barcode = sheetmod.cell_text(cell("barcode"))
    if barcode is not None and not is_valid_ean13(barcode):
        report.add(number, "barcode", "barcode_invalid", "Not a valid EAN-13 barcode.", barcode)
    row.barcode = barcode
    slug = sheetmod.cell_text(cell("slug"))
    row.slug = slugify(slug, max_length=270) if slug else None
    if slug and not row.slug:
        report.add(number, "slug", "slug_invalid", "Lower-case letters, digits and '-' only.", slug)
    for column, limit in (("name", 255), ("variant", 150), ("brand", 150), ("category", 500)):
        text = _line(number, column, cell(column), report)
        if text is not None and len(text) > limit:
            report.add(number, column, "string_too_long", f"At most {limit} characters.", text)
        setattr(row, column, text)
    for column, parse in (("price", parse_money), ("stock", parse_stock), ("status", status_from_text)):
        raw = cell(column)
        if sheetmod.cell_text(raw) is None:
            continue
        try:
            setattr(row, column, parse(raw if column != "status" else str(raw)))
        except ValueProblem as exc:
            report.add(number, column, exc.type, exc.message, raw)
    return row


# -- 3. resolve ----------------------------------------------------------------------------------
def _brand_lookup(uow: UnitOfWork, tenant_id: int) -> dict[str, int]:
    lookup: dict[str, int] = {}
    for b in repo.all_brands(uow, tenant_id):
        lookup.setdefault(fold(b["name"]), int(b["id"]))
        lookup.setdefault(fold(b["slug"]), int(b["id"]))
    return lookup


def _category_lookup(uow: UnitOfWork, tenant_id: int) -> tuple[dict[str, int], dict[str, list[int]]]:
    """(folded full path or slug → id, folded bare name → ids)."""
    rows = repo.all_categories(uow, tenant_id)
    names = {int(r["id"]): (r["name"], r["path"]) for r in rows}
    exact: dict[str, int] = {}
    by_name: dict[str, list[int]] = {}
    for r in rows:
        exact[_path_key(category_path_names(int(r["id"]), names))] = int(r["id"])
        exact.setdefault("slug:" + r["slug"], int(r["id"]))
        by_name.setdefault(fold(r["name"]), []).append(int(r["id"]))
    return exact, by_name


def _path_key(parts: list[str]) -> str:
    return " > ".join(fold(p) for p in parts)


def category_path_text(category_id: int, names: dict[int, tuple[str, str]]) -> str:
    return sheetmod.CATEGORY_SEPARATOR.join(category_path_names(category_id, names))


def resolve_names(uow: UnitOfWork, tenant_id: int, rows: list[Row], report: Report) -> None:
    brands = _brand_lookup(uow, tenant_id)
    exact, by_name = _category_lookup(uow, tenant_id)
    for row in rows:
        if row.brand is not None:
            row.brand_id = brands.get(fold(row.brand))
            if row.brand_id is None:
                report.add(row.number, "brand", "brand_unknown", "No brand with this name.", row.brand)
        if row.category is not None:
            # The whole path from the root; else a name only one category has; else a slug.
            parts = [p.strip() for p in row.category.split(">") if p.strip()]
            row.category_id = exact.get(_path_key(parts))
            if row.category_id is None and len(parts) == 1:
                matches = by_name.get(fold(parts[0]), [])
                if len(matches) > 1:
                    report.add(row.number, "category", "category_ambiguous", "Several categories have this name; "
                               "write the whole path (Kamp > Uyku).", row.category)
                    continue
                row.category_id = matches[0] if matches else exact.get("slug:" + parts[0])
            if row.category_id is None:
                report.add(row.number, "category", "category_unknown", "No such category.", row.category)


@dataclass
class Plan:
    rows: list[Row]
    variations: dict[str, dict[str, Any]]  # sku → existing variation (locked)
    groups: dict[str, Group]
    group_of: dict[str, str]  # sku → group key


def build_plan(uow: UnitOfWork, tenant_id: int, rows: list[Row], report: Report, *, lock: bool) -> Plan:
    """Existing variations (locked, id order), their products and slug-named products (locked,
    id order), then rows grouped by product with the product fields they agree on."""
    existing = {v["sku"]: v for v in prepo.lock_variations_by_sku(uow, tenant_id, [r.sku for r in rows], lock=lock)}
    slugs = sorted({r.slug for r in rows if r.slug})
    by_slug = prepo.products_by_slug(uow, tenant_id, slugs)
    product_ids = {int(v["product_id"]) for v in existing.values()} | {int(p["id"]) for p in by_slug.values()}
    products = {int(p["id"]): p for p in prepo.lock_products(uow, tenant_id, sorted(product_ids), lock=lock)}
    plan = Plan(rows, existing, {}, {})
    for row in rows:
        if row.sku in existing:
            product = products[int(existing[row.sku]["product_id"])]
            key = f"id:{product['id']}"
        elif row.slug and row.slug in by_slug:
            product = products[int(by_slug[row.slug]["id"])]
            key = f"id:{product['id']}"
        else:
            product = None
            key = f"slug:{row.slug}" if row.slug else f"row:{row.number}"
        group = plan.groups.setdefault(key, Group(key, product))
        group.rows.append(row)
        plan.group_of[row.sku] = key
        _agree(group, row, report)
    _check_barcodes(uow, tenant_id, plan, report)
    _check_slugs(uow, tenant_id, plan, report)
    return plan


def _agree(group: Group, row: Row, report: Report) -> None:
    """Rows of one product must not disagree on its name, brand, category, status or slug."""
    for name, column in (("name", "name"), ("brand_id", "brand"), ("category_id", "category"),
                         ("status", "status"), ("slug", "slug")):
        value = getattr(row, name)
        if value is None:
            continue
        first = group.values.setdefault(name, (value, row.number))
        if first[0] != value:
            report.add(row.number, column, "conflicting_values",
                       f"Row {first[1]} of the same product says otherwise.", getattr(row, column))


def _check_barcodes(uow: UnitOfWork, tenant_id: int, plan: Plan, report: Report) -> None:
    barcodes = sorted({r.barcode for r in plan.rows if r.barcode})
    holders = prepo.taken_values(uow, tenant_id, "barcode", barcodes)
    for row in plan.rows:
        holder = holders.get(row.barcode or "")
        own = plan.variations.get(row.sku)
        if holder is not None and (own is None or int(own["id"]) != holder):
            report.add(row.number, "barcode", "barcode_taken", "Another variation already has this barcode.",
                       row.barcode)


def _check_slugs(uow: UnitOfWork, tenant_id: int, plan: Plan, report: Report) -> None:
    for group in plan.groups.values():
        wanted = group.values.get("slug")
        if wanted is None or group.existing is None or wanted[0] == group.existing["slug"]:
            continue  # new groups are keyed by their slug, existing ones keep theirs
        if prepo.product_slug_exists(uow, tenant_id, wanted[0], int(group.existing["id"])):
            report.add(wanted[1], "slug", "slug_taken", "Another product already has this slug.", wanted[0])


def check_rows(plan: Plan, report: Report) -> None:
    """What new products need, and stock that would fall below what orders hold."""
    for group in plan.groups.values():
        if group.existing is None:
            first = group.rows[0].number
            if "name" not in group.values:
                report.add(first, "name", "required", "A new product needs a name.")
            if "category_id" not in group.values and not any(r.category for r in group.rows):
                report.add(first, "category", "required", "A new product needs a category.")
        for row in group.rows:
            current = plan.variations.get(row.sku)
            if current is None and row.price is None and group.existing is None:
                report.add(row.number, "price", "required", "A new variation needs a price.")
            if current is not None and row.stock is not None and row.stock < current["reserved"]:
                report.add(row.number, "stock", "stock_below_reserved",
                           f"Open orders hold {current['reserved']} of this variation.", row.stock)


def prepare(db: Database, uow: UnitOfWork, tenant_id: int, fmt: str, content: str, *, lock: bool
            ) -> tuple[Plan, sheetmod.Sheet]:
    """Steps 1-4: raises ImportInvalid listing every bad row, else returns the plan."""
    sheet = read(fmt, content)
    report = Report(sheet)
    check_header(sheet, report)
    if report.errors:
        raise ImportInvalid(report.errors, len(sheet.rows))
    rows = parse_rows(sheet, report)
    resolve_names(uow, tenant_id, rows, report)
    plan = build_plan(uow, tenant_id, [r for r in rows if not report.bad(r.number)], report, lock=lock)
    check_rows(plan, report)
    if report.errors:
        raise ImportInvalid(sorted(report.errors, key=lambda e: (e["row"], e["field"])), len(sheet.rows))
    return plan, sheet


def import_products(db: Database, tenant_id: int, actor: Actor, *, fmt: str, content: str, dry_run: bool,
                    currency: str = "TRY") -> dict[str, Any]:
    from .importer_apply import apply, summarise

    def work(uow: UnitOfWork) -> dict[str, Any]:
        plan, sheet = prepare(db, uow, tenant_id, fmt, content, lock=not dry_run)
        changes = summarise(uow, tenant_id, plan)
        result = {"dry_run": dry_run, "rows": len(sheet.rows), "ignored_columns": sheet.ignored, **changes.counts()}
        if dry_run or not changes.any():
            return result  # leaving the block rolls back: nothing written
        apply(uow, tenant_id, actor, plan, changes, currency)
        uow.commit()
        return result

    return run(db, work)
