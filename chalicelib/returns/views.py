"""Returns as the API shows them (schemas.ReturnOut / AdminReturnOut), built from a few reads:
the rows, then their lines and refunds for all of them at once (no query per return)."""
from __future__ import annotations

import json
from typing import Any

from chalicelib.platform.db import Session

from . import photos, states
from . import repository as repo
from .settle import share

_ADMIN_ONLY = ("user_id", "contact_email", "resolved_by")


def build(session: Session, tenant_id: int, rows: list[dict[str, Any]], *, admin: bool) -> list[dict[str, Any]]:
    ids = [int(r["id"]) for r in rows]
    lines: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for item in repo.items_of(session, tenant_id, ids):
        lines[int(item["return_id"])].append(_line(item))
    refunds: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for refund in repo.refunds_of(session, tenant_id, ids):
        refunds[int(refund["return_id"])].append({k: v for k, v in refund.items() if k != "return_id"})
    return [_one(row, lines[int(row["id"])], refunds[int(row["id"])], admin) for row in rows]


def _one(row: dict[str, Any], lines: list[dict[str, Any]], refunds: list[dict[str, Any]],
         admin: bool) -> dict[str, Any]:
    keys = row["photo_keys"]
    keys = json.loads(keys) if isinstance(keys, (str, bytes)) else (keys or [])
    shown = {
        "id": row["id"], "return_number": row["return_number"], "order_id": row["order_id"],
        "order_number": row["order_number"], "order_status": row["order_status"], "status": row["status"],
        "reason": row["reason"], "description": row["description"], "refund_method": row["refund_method"],
        "refund_amount": row["refund_amount"], "currency": row["currency"],
        "return_shipping_code": row["return_shipping_code"], "note": row["admin_note"],
        "items": lines, "photos": photos.links(keys), "refunds": refunds,
        "can_cancel": row["status"] in states.CUSTOMER_MOVES,
        "resolved_at": row["resolved_at"], "created_at": row["created_at"], "updated_at": row["updated_at"],
    }
    if admin:
        shown.update({k: row[k] for k in _ADMIN_ONLY})
    return shown


def _line(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"], "order_item_id": item["order_item_id"], "product_id": item["product_id"],
        "variation_id": item["variation_id"], "name": item["name"], "variation_name": item["variation_name"],
        "sku": item["sku"], "image_key": item["image_key"], "unit_price": item["unit_price"],
        "quantity": item["quantity"], "ordered_quantity": item["ordered_quantity"],
        "value": share(item["line_total"], int(item["ordered_quantity"]), 0, int(item["quantity"])),
        "reason": item["reason"], "condition": item["item_condition"],
    }
