"""New products of a feed batch, created set-wise: the same rows the importer's `_create` writes
(product, its price-history row, the variation, its price-history row, the opening stock with its
movement and the product's total through inventory.api), in a handful of multi-row statements per
batch instead of eight statements per product - a 100,000-product feed is mostly new products.
The catalogue's derived rows of the new products are written set-wise too (catalog.api.created_in_bulk).

Slugs: the product's name and SKU ("cadir-2-kisilik-sku-12"), unique in practice because the SKU is;
the few already taken fall back to the importer's next-free rule one by one.
"""
from __future__ import annotations

from typing import Any

from chalicelib.catalog import api as catalogue
from chalicelib.inventory import api as inventory
from chalicelib.platform.db import UnitOfWork

from . import naming
from . import product_repository as prepo
from . import repository as repo
from .common import Actor
from .importer import Group
from .products import product_slug
from .values import DRAFT, REASON_IMPORT, SOURCE_IMPORT


def create_single_variation_products(uow: UnitOfWork, tenant_id: int, actor: Actor, groups: list[Group],
                                     currency: str) -> list[int]:
    """Products of one variation each (a feed's items); returns their ids in the groups' order."""
    if not groups:
        return []
    categories = repo.category_names(uow, tenant_id)
    brands = {int(b["id"]): b["name"] for b in repo.all_brands(uow, tenant_id)}
    wanted = [naming.base_slug(f"{g.values['name'][0]} {g.rows[0].sku}", "urun") for g in groups]
    taken = set(prepo.products_by_slug(uow, tenant_id, sorted(set(wanted))))
    slugs, seen = [], set()
    for group, slug in zip(groups, wanted, strict=True):
        if slug in taken or slug in seen:
            slug = product_slug(uow, tenant_id, None, f"{group.values['name'][0]} {group.rows[0].sku}")
        seen.add(slug)
        slugs.append(slug)
    products = []
    for group, slug in zip(groups, slugs, strict=True):
        values = {k: v for k, (v, _) in group.values.items()}
        row = group.rows[0]
        assert row.price is not None  # check_rows: a new variation needs a price
        products.append((tenant_id, values["category_id"], values.get("brand_id"), values["name"], slug,
                         naming.search_text(values["name"], brands.get(values.get("brand_id") or 0),
                                            values["category_id"], categories),
                         values.get("status") or DRAFT, row.price, currency, values.get("vat_rate", 20)))
    # The catalogue's derived rows (search words, facet cells, attribute values) of the new
    # products are written set-wise after the block, not by the per-row triggers (migration 0025).
    with catalogue.created_in_bulk(uow, tenant_id) as created:
        product_ids = _create(uow, tenant_id, actor, groups, currency, products, slugs)
        created.extend(product_ids)
    return product_ids


def _create(uow: UnitOfWork, tenant_id: int, actor: Actor, groups: list[Group], currency: str,
            products: list[tuple[Any, ...]], slugs: list[str]) -> list[int]:
    prepo.insert_products(uow, products)
    ids = {p["slug"]: int(p["id"]) for p in prepo.products_by_slug(uow, tenant_id, slugs).values()}
    product_ids = [ids[s] for s in slugs]
    prepo.insert_variations(uow, [(tenant_id, pid, g.rows[0].sku, g.rows[0].barcode, g.rows[0].variant,
                                   g.rows[0].price) for pid, g in zip(product_ids, groups, strict=True)])
    variation_ids = {v["sku"]: int(v["id"]) for v in prepo.lock_variations_by_sku(
        uow, tenant_id, [g.rows[0].sku for g in groups], lock=False)}
    prices: list[tuple[Any, ...]] = []
    opening = []
    for pid, group in zip(product_ids, groups, strict=True):
        row = group.rows[0]
        prices.append((tenant_id, pid, None, None, row.price, currency, SOURCE_IMPORT, actor.user_id))
        prices.append((tenant_id, pid, variation_ids[row.sku], None, row.price, currency, SOURCE_IMPORT,
                       actor.user_id))
        opening.append((pid, variation_ids[row.sku], int(row.stock or 0)))
    prepo.insert_price_history(uow, prices)
    inventory.open_new_products(uow, tenant_id, opening, reason=REASON_IMPORT, actor_id=actor.user_id)
    return product_ids
