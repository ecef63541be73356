"""Bulk upsert of product-feed rows (issue 13 item 1), under the spreadsheet import's rules.

A batch of rows the feeds area already checked (SKU, price, stock, VAT, barcode checksum) goes
through the importer's own steps - names resolved to brands and categories, existing SKUs and
barcodes looked up and locked, the product rules checked (a new product needs a name and a
category, stock never below what open orders hold) - and then, unlike a spreadsheet, a bad row
does not stop the batch: it is answered back with its reason and the others are written, with
price history (source 'import'), stock movements (reason 'import', through inventory.api), one
audit row and the cache effects of the whole batch after its commit.

Runs inside the caller's transaction (the feeds consumer records the batch in the same one).
A dry run reads without locks and writes nothing.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.catalog.api import Effects
from chalicelib.platform import audit
from chalicelib.platform.db import UnitOfWork

from . import repository as repo
from .common import Actor
from .feed_create import create_single_variation_products
from .importer import Plan, Report, Row, build_plan, check_rows, resolve_names
from .importer_apply import AUDIT_ROWS, Changes, apply, summarise
from .values import valid_sku

PASSES = 3  # dropping a bad row can only remove conflicts; a third pass is never needed in practice


class _BatchReport(Report):
    """The importer's report without a spreadsheet header: fields are named as the feed names them."""

    def __init__(self) -> None:
        self.errors = []
        self.headers = {}

    def add(self, row: int, column: str, error_type: str, english: str, value: Any = None) -> None:
        self.errors.append({"row": row, "field": column, "type": error_type, "message": english})


def upsert_rows(uow: UnitOfWork, tenant_id: int, rows: list[dict[str, Any]], *, actor_id: int | None,
                dry_run: bool, currency: str = "TRY") -> dict[str, Any]:
    report = _BatchReport()
    parsed = _rows(uow, tenant_id, rows, report)
    good = [r for r in parsed if not report.bad(r.number)]
    plan = Plan([], {}, {}, {})
    for _ in range(PASSES):
        plan = build_plan(uow, tenant_id, good, report, lock=not dry_run)
        check_rows(plan, report)
        bad = {e["row"] for e in report.errors}
        if not any(r.number in bad for r in good):
            break
        good = [r for r in good if r.number not in bad]
    else:
        plan = build_plan(uow, tenant_id, [], report, lock=False)
        good = []
    _vat(plan, rows)
    created = sum(1 for r in good if r.sku not in plan.variations)
    changes = summarise(uow, tenant_id, plan)
    if not dry_run:
        _write(uow, tenant_id, Actor(actor_id), plan, changes, currency)
    unchanged = changes.unchanged_rows
    rejected = [{"index": e["row"], "field": e["field"], "reason": f"{e['type']}: {e['message']}"}
                for e in sorted(report.errors, key=lambda e: e["row"])]
    return {"created": created, "updated": len(good) - created - unchanged, "unchanged": unchanged,
            "rejected": rejected}


def _rows(uow: UnitOfWork, tenant_id: int, rows: list[dict[str, Any]], report: _BatchReport) -> list[Row]:
    categories = set(repo.category_names(uow, tenant_id))
    brands = {int(b["id"]) for b in repo.all_brands(uow, tenant_id)}
    parsed = []
    for index, given in enumerate(rows):
        row = Row(index, str(given["sku"]), barcode=given.get("barcode"), name=given.get("name"),
                  brand=given.get("brand"), category=given.get("category"), price=Decimal(given["price"]),
                  stock=given.get("stock"), category_id=given.get("category_id"), brand_id=given.get("brand_id"))
        if not valid_sku(row.sku):
            report.add(index, "sku", "sku_invalid", "Letters, digits and . _ - / only (at most 64).")
        if row.category_id is not None and row.category_id not in categories:
            report.add(index, "category", "category_unknown", "The mapping names no category of this shop.")
        if row.brand_id is not None and row.brand_id not in brands:
            report.add(index, "brand", "brand_unknown", "The mapping names no brand of this shop.")
        parsed.append(row)
    resolve_names(uow, tenant_id, [r for r in parsed if not report.bad(r.number)], report)
    return parsed


def _vat(plan: Plan, rows: list[dict[str, Any]]) -> None:
    """A row's VAT rate is its product's (products.vat_rate), compared and written like its name."""
    for group in plan.groups.values():
        for row in group.rows:
            rate = rows[row.number].get("vat")
            if rate is not None:
                group.values.setdefault("vat_rate", (Decimal(rate), row.number))


def _write(uow: UnitOfWork, tenant_id: int, actor: Actor, plan: Plan, changes: Changes, currency: str) -> None:
    """The importer's apply for changes and multi-row products; one-variation new products (a feed's
    items) created set-wise (feed_create.py), with their audit row and cache effects."""
    single = [g for g in changes.new_groups if len(g.rows) == 1]
    changes.new_groups = [g for g in changes.new_groups if len(g.rows) != 1]
    if changes.any():
        apply(uow, tenant_id, actor, plan, changes, currency)
    if single:
        created = create_single_variation_products(uow, tenant_id, actor, single, currency)
        Effects.of(uow, tenant_id).products_of(created)
        audit.record(uow, tenant_id, "product.import", entity_type="product", before=None,
                     after={"products_created": len(created), "created_product_ids": created[:AUDIT_ROWS],
                            "new_skus": [g.rows[0].sku for g in single][:AUDIT_ROWS]})
