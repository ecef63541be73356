"""Categories and brands: create, change, move, delete, each audited in its own transaction.

Tree rules (categories):
- `path` ('/1/5/12/') and `depth` are materialised; moving a category (new parent_id) rewrites
  both for its whole subtree in the same transaction, and the products under it get their
  search text recomputed (it holds the category path's names);
- a category cannot move under itself or one of its descendants (400, field parent_id);
- every tree change first locks all the tenant's category rows (repository.lock_categories),
  so two concurrent moves cannot together build a loop;
- a category is deleted only when it has neither sub-categories nor products (409); products
  of any status count, as orders keep referring to archived products.
Slugs: generated from the Turkish name (slugify: 'Şişme Yatak' → 'sisme-yatak'), unique per
tenant with -2, -3 ... on a clash; a slug given explicitly must be free (409 otherwise).
Renaming keeps the slug so published links keep working; send `slug` to change it.
"""
from __future__ import annotations

from typing import Any

from chalicelib.catalog.api import Effects
from chalicelib.platform import audit
from chalicelib.platform.db import Database, Session, UnitOfWork
from chalicelib.platform.errors import NotFound

from . import naming
from . import product_repository as prepo
from . import repository as repo
from .common import run
from .errors import InUse, Taken, invalid, unknown_category

PATH_MAX = 500  # categories.path VARCHAR(500)


# -- categories ----------------------------------------------------------------------------------
def _category_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "is_active": bool(row["is_active"]), "product_count": int(row["product_count"]),
            "child_count": int(row["child_count"])}


def _audited_category(view: dict[str, Any]) -> dict[str, Any]:
    return {k: view[k] for k in ("id", "parent_id", "name", "slug", "description", "image_key", "path", "depth",
                                 "sort_order", "is_active")}


def _load_category(session: Session, tenant_id: int, category_id: int) -> dict[str, Any]:
    row = repo.get_category(session, tenant_id, category_id)
    if row is None:
        raise NotFound()
    return _category_view(row)


def _category_slug(uow: UnitOfWork, tenant_id: int, given: str | None, name: str, except_id: int | None = None) -> str:
    if given is not None:
        if repo.category_slug_exists(uow, tenant_id, given, except_id):
            raise Taken("slug", "slug", given)
        return given
    base = naming.base_slug(name, "kategori")
    return naming.next_free(base, repo.category_slugs_like(uow, tenant_id, base))


def _parent(uow: UnitOfWork, tenant_id: int, parent_id: int | None) -> dict[str, Any] | None:
    if parent_id is None:
        return None
    parent = repo.get_category(uow, tenant_id, parent_id)
    if parent is None:
        raise unknown_category("parent_id")
    return parent


def _too_deep() -> Exception:
    return invalid("parent_id", "category_too_deep", "The category tree cannot be that deep.")


def list_categories(db: Database, tenant_id: int) -> list[dict[str, Any]]:
    return [_category_view(r) for r in repo.list_categories(db.reader(), tenant_id)]


def create_category(db: Database, tenant_id: int, body: dict[str, Any]) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        repo.lock_categories(uow, tenant_id)
        parent = _parent(uow, tenant_id, body.get("parent_id"))
        if parent is not None and len(parent["path"]) + 21 > PATH_MAX:
            raise _too_deep()
        fields = {**body, "slug": _category_slug(uow, tenant_id, body.get("slug"), body["name"])}
        category_id = repo.insert_category(uow, tenant_id, parent, fields)
        view = _load_category(uow, tenant_id, category_id)
        audit.record(uow, tenant_id, "category.create", entity_type="category", entity_id=category_id,
                     after=_audited_category(view))
        Effects(tenant_id, catalog=True).schedule(uow)
        uow.commit()
        return view

    return run(db, work)


def _move(uow: UnitOfWork, tenant_id: int, current: dict[str, Any], parent_id: int | None) -> str:
    """Re-parent `current` with its subtree; returns its new path."""
    new_parent = _parent(uow, tenant_id, parent_id)
    if new_parent is not None and new_parent["path"].startswith(current["path"]):
        raise invalid("parent_id", "category_cycle",
                      "A category cannot move under itself or one of its own sub-categories.")
    old_path = current["path"]
    new_path = f"{new_parent['path'] if new_parent else '/'}{current['id']}/"
    longest = repo.longest_path_in(uow, tenant_id, old_path)
    if longest - len(old_path) + len(new_path) > PATH_MAX:
        raise _too_deep()
    depth_shift = (new_parent["depth"] + 1 if new_parent else 0) - current["depth"]
    repo.move_subtree(uow, tenant_id, current["id"], new_parent, old_path, new_path, depth_shift)
    return new_path


def update_category(db: Database, tenant_id: int, category_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        repo.lock_categories(uow, tenant_id)
        current = _load_category(uow, tenant_id, category_id)
        fields: dict[str, Any] = {}
        for key in ("name", "sort_order", "is_active"):  # not nullable: null means "unchanged"
            if changes.get(key) is not None and changes[key] != current[key]:
                fields[key] = changes[key]
        for key in ("description", "image_key"):
            if key in changes and changes[key] != current[key]:
                fields[key] = changes[key]
        if changes.get("slug") is not None and changes["slug"] != current["slug"]:
            fields["slug"] = _category_slug(uow, tenant_id, changes["slug"], current["name"], category_id)
        repo.update_category(uow, tenant_id, category_id, fields)
        path = current["path"]
        moved = "parent_id" in changes and changes["parent_id"] != current["parent_id"]
        if moved:
            path = _move(uow, tenant_id, current, changes["parent_id"])
        if moved or "name" in fields:  # the search text of every product below holds the path's names
            naming.refresh_search_texts(uow, tenant_id, category_path=path)
        after = _load_category(uow, tenant_id, category_id)
        if _audited_category(after) == _audited_category(current):
            return after  # nothing changed: nothing to write or audit
        audit.record(uow, tenant_id, "category.update", entity_type="category", entity_id=category_id,
                     before=_audited_category(current), after=_audited_category(after))
        Effects(tenant_id, catalog=True).schedule(uow)
        uow.commit()
        return after

    return run(db, work)


def delete_category(db: Database, tenant_id: int, category_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        repo.lock_categories(uow, tenant_id)
        current = _load_category(uow, tenant_id, category_id)
        if current["child_count"]:
            raise InUse("category_has_children", current["child_count"])
        if current["product_count"]:
            raise InUse("category_in_use", current["product_count"])
        repo.delete_category(uow, tenant_id, category_id)
        audit.record(uow, tenant_id, "category.delete", entity_type="category", entity_id=category_id,
                     before=_audited_category(current))
        Effects(tenant_id, catalog=True).schedule(uow)
        uow.commit()

    run(db, work)


# -- brands --------------------------------------------------------------------------------------
def _brand_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "is_active": bool(row["is_active"]), "product_count": int(row["product_count"])}


def _audited_brand(view: dict[str, Any]) -> dict[str, Any]:
    return {k: view[k] for k in ("id", "name", "slug", "description", "logo_key", "sort_order", "is_active")}


def _load_brand(session: Session, tenant_id: int, brand_id: int, *, for_update: bool = False) -> dict[str, Any]:
    row = repo.get_brand(session, tenant_id, brand_id, for_update=for_update)
    if row is None:
        raise NotFound()
    return _brand_view(row)


def _brand_slug(uow: UnitOfWork, tenant_id: int, given: str | None, name: str, except_id: int | None = None) -> str:
    if given is not None:
        if repo.brand_slug_exists(uow, tenant_id, given, except_id):
            raise Taken("slug", "slug", given)
        return given
    base = naming.base_slug(name, "marka")
    return naming.next_free(base, repo.brand_slugs_like(uow, tenant_id, base))


def list_brands(db: Database, tenant_id: int) -> list[dict[str, Any]]:
    return [_brand_view(r) for r in repo.list_brands(db.reader(), tenant_id)]


def create_brand(db: Database, tenant_id: int, body: dict[str, Any]) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        fields = {**body, "slug": _brand_slug(uow, tenant_id, body.get("slug"), body["name"])}
        brand_id = repo.insert_brand(uow, tenant_id, fields)
        view = _load_brand(uow, tenant_id, brand_id)
        audit.record(uow, tenant_id, "brand.create", entity_type="brand", entity_id=brand_id,
                     after=_audited_brand(view))
        Effects(tenant_id, catalog=True).schedule(uow)
        uow.commit()
        return view

    return run(db, work)


def update_brand(db: Database, tenant_id: int, brand_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        current = _load_brand(uow, tenant_id, brand_id, for_update=True)
        fields: dict[str, Any] = {}
        for key in ("name", "sort_order", "is_active"):
            if changes.get(key) is not None and changes[key] != current[key]:
                fields[key] = changes[key]
        for key in ("description", "logo_key"):
            if key in changes and changes[key] != current[key]:
                fields[key] = changes[key]
        if changes.get("slug") is not None and changes["slug"] != current["slug"]:
            fields["slug"] = _brand_slug(uow, tenant_id, changes["slug"], current["name"], brand_id)
        if not fields:
            return current
        repo.update_brand(uow, tenant_id, brand_id, fields)
        effects = Effects(tenant_id, catalog=True)
        if "name" in fields:  # product details show the brand's name; search text holds it
            naming.refresh_search_texts(uow, tenant_id, brand_id=brand_id)
            effects.products_of(prepo.product_ids_of_brand(uow, tenant_id, brand_id))
        after = _load_brand(uow, tenant_id, brand_id)
        audit.record(uow, tenant_id, "brand.update", entity_type="brand", entity_id=brand_id,
                     before=_audited_brand(current), after=_audited_brand(after))
        effects.schedule(uow)
        uow.commit()
        return after

    return run(db, work)


def delete_brand(db: Database, tenant_id: int, brand_id: int) -> None:
    def work(uow: UnitOfWork) -> None:
        current = _load_brand(uow, tenant_id, brand_id, for_update=True)
        if current["product_count"]:
            raise InUse("brand_in_use", current["product_count"])
        repo.delete_brand(uow, tenant_id, brand_id)
        audit.record(uow, tenant_id, "brand.delete", entity_type="brand", entity_id=brand_id,
                     before=_audited_brand(current))
        Effects(tenant_id, catalog=True).schedule(uow)
        uow.commit()

    run(db, work)
