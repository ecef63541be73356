"""Seed one tenant with a realistic Turkish outdoor-goods catalogue (local dev, demos, benchmarks).

    from infra.local.seed_catalog import seed_catalog
    counts = seed_catalog(conn, tenant_id, products=240, seed=7)

or from the shell (creates the tenant by slug when missing):

    python -m infra.local.seed_catalog --tenant-slug huglu --products 240

What it writes for the tenant: a category tree (up to three levels: Av > Av Tüfekleri >
Yarı Otomatik, Kamp > Uyku > Şişme Yatak, ...), eleven brands, `products` products with Turkish
names, descriptions, attributes and a Turkish-folded search_text, their variations (size and
colour for apparel and boots, calibre and barrel for shotguns, one default variation for
products without options; each with SKU, valid EAN-13 barcode, price and stock), 1-4 images per
product, and one 'initial' stock movement per stocked variation.  Prices are TRY with VAT
included (shotguns 15,000-90,000; other goods 150-8,000), VAT 20 or 10 (apparel, footwear).

Deterministic: the same seed gives the same catalogue (names, slugs, SKUs, barcodes, prices,
stock); only created_at is relative to the time of the run.  Bulk inserts use executemany,
which pymysql turns into multi-row INSERTs, so 10,000 products take seconds.
"""
from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.catalog import api as catalogue
from chalicelib.platform.db import Session
from chalicelib.platform.text import ean13_check_digit, fold, slugify
from infra.local.turkish import (
    BRANDS,
    CATEGORY_TREE,
    CLOSING_SENTENCES,
    COLOURS,
    EDITIONS,
    IMAGE_VIEWS,
    PRODUCT_TYPES,
    SERIES,
    Brand,
    ProductType,
)

BARCODE_PREFIX = "869"  # GS1 Türkiye
SHOTGUN_MIN_PRICE = 10_000  # types priced above this round to whole hundreds
IMAGE_SIZE = 1200

# One variation: (options or None, display name, SKU suffix, price uplift as a fraction).
Variation = tuple[dict[str, str] | None, str, str, float]


class CatalogueExists(ValueError):
    """The tenant already has categories; seeding twice would collide on slugs."""


def seed_catalog(conn: Any, tenant_id: int, *, products: int = 240, seed: int = 7) -> dict:
    """Insert the catalogue for `tenant_id` in one transaction and return row counts."""
    if products < 1:
        raise ValueError("products must be at least 1")
    rng = random.Random(seed)
    cur = conn.cursor(_tuple_cursor_class())  # tuple rows whatever the connection's default
    try:
        _check_tenant(cur, tenant_id)
        categories = _insert_categories(cur, tenant_id)
        brands = _insert_brands(cur, tenant_id)
        plan = list(_plan_products(rng, products))
        # New products only: the catalogue's derived rows (search words, facet cells, attribute
        # values) are written set-wise after the block, not row by row by the triggers.
        with catalogue.created_in_bulk(Session(conn), tenant_id) as created:
            product_ids = _insert_products(cur, tenant_id, plan, categories, brands)
            variations = _insert_variations(cur, tenant_id, plan, product_ids)
            created.extend(product_ids.values())
        images = _insert_images(cur, tenant_id, plan, product_ids)
        movements = _insert_stock_movements(cur, tenant_id)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        cur.close()
    active = sum(1 for p in plan if p["status"] == "active")
    return {
        "categories": len(categories),
        "brands": len(brands),
        "products": len(plan),
        "active_products": active,
        "variations": variations,
        "images": images,
        "stock_movements": movements,
    }


def _tuple_cursor_class() -> Any:
    import pymysql.cursors

    return pymysql.cursors.Cursor


def _check_tenant(cur: Any, tenant_id: int) -> None:
    cur.execute("SELECT COUNT(*) FROM tenants WHERE id = %s", (tenant_id,))
    if cur.fetchone()[0] == 0:
        raise ValueError(f"tenant {tenant_id} does not exist")
    cur.execute("SELECT COUNT(*) FROM categories WHERE tenant_id = %s", (tenant_id,))
    if cur.fetchone()[0]:
        raise CatalogueExists(f"tenant {tenant_id} already has a catalogue")


# -- categories and brands ----------------------------------------------------------------------
def _insert_categories(cur: Any, tenant_id: int) -> dict[tuple[str, ...], int]:
    """Insert the tree depth-first; returns {name path: id}.  Few rows, so one at a time."""
    ids: dict[tuple[str, ...], int] = {}
    used_slugs: set[str] = set()

    def walk(nodes: Sequence, parent: tuple[str, ...], parent_path: str) -> None:
        for order, (name, description, children) in enumerate(nodes):
            path_names = parent + (name,)
            slug = slugify(name)
            if slug in used_slugs and parent:  # e.g. a second "Bot": qualify with the parent
                slug = slugify(f"{parent[-1]} {name}")
            slug = _unique_slug(slug, used_slugs)
            cur.execute(
                "INSERT INTO categories (tenant_id, parent_id, name, slug, description, "
                "image_key, path, depth, sort_order, is_active) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 1)",
                (tenant_id, ids.get(parent), name, slug, description,
                 f"tenants/{tenant_id}/categories/{slug}.jpg", "/", len(parent), order),
            )
            category_id = cur.lastrowid
            path = f"{parent_path}{category_id}/"
            cur.execute("UPDATE categories SET path = %s WHERE id = %s", (path, category_id))
            ids[path_names] = category_id
            walk(children, path_names, path)

    walk(CATEGORY_TREE, (), "/")
    return ids


def _insert_brands(cur: Any, tenant_id: int) -> dict[str, int]:
    rows = [
        (tenant_id, b.name, slugify(b.name), b.description,
         f"tenants/{tenant_id}/brands/{slugify(b.name)}.png", order)
        for order, b in enumerate(BRANDS)
    ]
    cur.executemany(
        "INSERT INTO brands (tenant_id, name, slug, description, logo_key, sort_order) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        rows,
    )
    cur.execute("SELECT slug, id FROM brands WHERE tenant_id = %s", (tenant_id,))
    by_slug = dict(cur.fetchall())
    return {b.key: by_slug[slugify(b.name)] for b in BRANDS}


def _unique_slug(slug: str, used: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in used:
        candidate, n = f"{slug}-{n}", n + 1
    used.add(candidate)
    return candidate


# -- product plan (pure, deterministic) ---------------------------------------------------------
def _plan_products(rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    """Yield `count` product plans.  Types take turns; within a type every (brand, series,
    edition) combination is used once before any is reused with a series number."""
    brands = {b.key: b for b in BRANDS}
    types = list(PRODUCT_TYPES)
    rng.shuffle(types)
    names = {t.code: _name_stream(rng, t, brands) for t in types}
    used_slugs: set[str] = set()
    barcode_counter = 0
    for index in range(count):
        ptype = types[index % len(types)]
        brand, series, name = next(names[ptype.code])
        variations = _options_for(ptype.options, rng)
        base_price = _price(ptype, ptype.price[0] + (ptype.price[1] - ptype.price[0])
                            * rng.random() ** 1.6)
        stocked = []
        for options, var_name, suffix, uplift in variations:
            barcode_counter += 1
            stocked.append({
                "options": options,
                "name": var_name,
                "sku": f"{brand.code}-{ptype.code}-{index + 1:05d}-{suffix}",
                "barcode": _barcode(barcode_counter),
                "nfc_tag": _nfc_tag(barcode_counter) if ptype.options == "shotgun" else None,
                "price": _price(ptype, float(base_price) * (1 + uplift)),
                "stock": _stock(rng, ptype),
                "low_stock_threshold": 2 if ptype.options == "shotgun" else 5,
            })
        yield {
            "index": index,
            "type": ptype,
            "brand": brand,
            "series": series,
            "name": name,
            "slug": _unique_slug(slugify(name, max_length=270), used_slugs),
            "status": _status(index),
            "base_price": base_price,
            "compare_at_price": _compare_at(rng, ptype, base_price),
            "description": _description(rng, ptype, brand, series, name),
            "attributes": _attributes(rng, ptype, brand),
            "weight_grams": rng.randint(*ptype.weight_grams),
            "age_minutes": rng.randint(0, 540 * 24 * 60),
            "image_count": rng.randint(1, 4),
            "variations": stocked,
        }


def _name_stream(rng: random.Random, ptype: ProductType,
                 brands: dict[str, Brand]) -> Iterator[tuple[Brand, str, str]]:
    combos = [(b, s, e) for b in ptype.brands for s in SERIES for e in EDITIONS]
    rng.shuffle(combos)
    generation = 1
    while True:
        for brand_key, series, edition in combos:
            brand = brands[brand_key]
            model = series if generation == 1 else f"{series} {generation}"
            words = [brand.name, model, edition, ptype.name]
            yield brand, series, " ".join(w for w in words if w)
        generation += 1


def _status(index: int) -> str:
    if index % 53 == 52:
        return "archived"
    if index % 41 == 40:
        return "draft"
    return "active"


def _price(ptype: ProductType, value: float) -> Decimal:
    low, high = ptype.price
    if low >= SHOTGUN_MIN_PRICE:
        price = Decimal(int(value // 100) * 100)
        return min(max(price, Decimal(low)), Decimal(high))
    # Shelf prices end in 9.90 (1.249,90 TL) and stay inside the type's range.
    price = Decimal(int(value // 10) * 10) + Decimal("9.90")
    return min(price, Decimal(high) - Decimal("0.10"))


def _compare_at(rng: random.Random, ptype: ProductType, base: Decimal) -> Decimal | None:
    if rng.random() >= 0.25:
        return None
    value = float(base) * rng.uniform(1.10, 1.40)
    if ptype.price[0] >= SHOTGUN_MIN_PRICE:
        return Decimal(int(value // 100) * 100)
    return Decimal(int(value // 10) * 10) + Decimal("9.90")


def _stock(rng: random.Random, ptype: ProductType) -> int:
    roll = rng.random()
    if roll < 0.10:
        return 0
    if roll < 0.22:
        return rng.randint(1, 4)  # below the low-stock threshold
    return rng.randint(3, 15) if ptype.options == "shotgun" else rng.randint(5, 150)


def _barcode(n: int) -> str:
    first12 = f"{BARCODE_PREFIX}{n:09d}"
    return first12 + str(ean13_check_digit(first12))


def _nfc_tag(n: int) -> str:
    # NTAG-style 7-byte UID; multiplying by an odd constant mod 2**48 is a bijection, so unique.
    return f"04{(n * 0x9E3779B97F4A7C15) % (1 << 48):012X}"


def _description(rng: random.Random, ptype: ProductType, brand: Brand, series: str,
                 name: str) -> str:
    features = rng.sample(ptype.features, min(2, len(ptype.features)))
    closing = rng.choice(CLOSING_SENTENCES)
    return (f"{name}, {ptype.blurb} {' '.join(features)} "
            f"{brand.name} {series} serisinin bir parçasıdır. {closing}")


def _attributes(rng: random.Random, ptype: ProductType, brand: Brand) -> dict[str, str]:
    attributes = {key: rng.choice(values) for key, values in ptype.attributes}
    attributes.setdefault("mensei", brand.origin)
    return attributes


# -- options ------------------------------------------------------------------------------------
_APPAREL_SIZES = ("S", "M", "L", "XL", "XXL", "3XL")
_GLOVE_SIZES = ("S", "M", "L", "XL")
_SHOE_SIZES = tuple(str(n) for n in range(39, 47))


def _options_for(kind: str | None, rng: random.Random) -> list[Variation]:
    """The variations of one product.  Products without options get one default variation."""
    if kind in ("apparel", "gloves"):
        sizes = _APPAREL_SIZES if kind == "apparel" else _GLOVE_SIZES
        start = rng.choice((0, 0, 1))
        chosen = sizes[start:start + rng.randint(3, len(sizes) - start)]
        return [({"beden": s, "renk": c}, f"{s} / {c}", f"{s}-{code}",
                 0.05 if s in ("XXL", "3XL") else 0.0)
                for c, code in _colours(rng, 3 if kind == "apparel" else 2) for s in chosen]
    if kind == "boots":
        start = rng.randint(0, 1)
        chosen = _SHOE_SIZES[start:start + rng.randint(5, len(_SHOE_SIZES) - start)]
        return [({"numara": s, "renk": c}, f"{s} / {c}", f"{s}-{code}", 0.0)
                for c, code in _colours(rng, 2) for s in chosen]
    if kind == "colour":
        return [({"renk": c}, c, code, 0.0) for c, code in _colours(rng, 3)]
    if kind == "shotgun":
        calibres = sorted(rng.sample(("12", "20"), rng.randint(1, 2)))
        barrels = sorted(rng.sample(("66", "71", "76"), rng.randint(1, 2)))
        return [({"kalibre": cal, "namlu": f"{bar} cm"}, f"{cal} Kalibre / {bar} cm",
                 f"{cal}-{bar}", 0.015 * (int(bar) - 66) / 5)
                for cal in calibres for bar in barrels]
    if kind == "gauge":
        return [({"kalibre": cal}, f"{cal} Kalibre", cal, 0.0)
                for cal in sorted(rng.sample(("12", "20"), rng.randint(1, 2)))]
    ladders = {
        "capacity": ("kapasite", ("2 Kişilik", "3 Kişilik", "4 Kişilik", "6 Kişilik"), 0.20),
        "bed": ("boyut", ("Tek Kişilik", "Çift Kişilik"), 0.40),
        "volume": ("hacim", ("500 ml", "750 ml", "1 L", "1,5 L"), 0.15),
        "volume_small": ("hacim", ("100 ml", "250 ml", "400 ml"), 0.30),
    }
    if kind in ladders:
        key, steps, uplift = ladders[kind]
        start = rng.randint(0, len(steps) - 1)
        chosen = steps[start:start + rng.randint(1, 3)]
        return [({key: v}, v, slugify(v).upper(), uplift * i) for i, v in enumerate(chosen)]
    if kind is None:
        return [(None, "Standart", "STD", 0.0)]
    raise ValueError(f"unknown option kind {kind!r}")


def _colours(rng: random.Random, most: int) -> list[tuple[str, str]]:
    return rng.sample(COLOURS, rng.randint(1, most))


# -- bulk inserts -------------------------------------------------------------------------------
def _insert_products(cur: Any, tenant_id: int, plan: list[dict[str, Any]],
                     categories: dict[tuple[str, ...], int],
                     brands: dict[str, int]) -> dict[str, int]:
    now = datetime.now().replace(microsecond=0)
    rows = []
    for p in plan:
        ptype: ProductType = p["type"]
        created = now - timedelta(minutes=p["age_minutes"])
        search = fold(" ".join((p["name"], p["brand"].name) + ptype.category))
        rows.append((
            tenant_id, categories[ptype.category], brands[p["brand"].key], p["name"], p["slug"],
            p["description"], search, p["status"], p["base_price"], p["compare_at_price"],
            Decimal(ptype.vat), sum(v["stock"] for v in p["variations"]), p["weight_grams"],
            json.dumps(p["attributes"], ensure_ascii=False), created, created,
        ))
    cur.executemany(
        "INSERT INTO products (tenant_id, category_id, brand_id, name, slug, description, "
        "search_text, status, base_price, compare_at_price, vat_rate, total_stock, "
        "weight_grams, attributes, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        rows,
    )
    cur.execute("SELECT slug, id FROM products WHERE tenant_id = %s", (tenant_id,))
    return dict(cur.fetchall())


def _insert_variations(cur: Any, tenant_id: int, plan: list[dict[str, Any]],
                       product_ids: dict[str, int]) -> int:
    rows = [
        (tenant_id, product_ids[p["slug"]], v["sku"], v["barcode"], v["name"],
         json.dumps(v["options"], ensure_ascii=False) if v["options"] else None,
         v["price"], v["stock"], v["low_stock_threshold"], v["nfc_tag"])
        for p in plan for v in p["variations"]
    ]
    cur.executemany(
        "INSERT INTO product_variations (tenant_id, product_id, sku, barcode, name, options, "
        "price, stock, low_stock_threshold, nfc_tag) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        rows,
    )
    return len(rows)


def _insert_images(cur: Any, tenant_id: int, plan: list[dict[str, Any]],
                   product_ids: dict[str, int]) -> int:
    rows = []
    for p in plan:
        product_id = product_ids[p["slug"]]
        prefix = f"tenants/{tenant_id}/products/{product_id}"
        for n in range(1, p["image_count"] + 1):
            rows.append((tenant_id, product_id, f"{prefix}/{n}.jpg", f"{prefix}/thumbs/{n}.jpg",
                         f"{p['name']} - {IMAGE_VIEWS[n - 1]}", n - 1, IMAGE_SIZE, IMAGE_SIZE))
    cur.executemany(
        "INSERT INTO product_images (tenant_id, product_id, s3_key, thumb_key, alt_text, "
        "sort_order, width, height) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        rows,
    )
    return len(rows)


def _insert_stock_movements(cur: Any, tenant_id: int) -> int:
    cur.execute(
        "SELECT product_id, id, stock FROM product_variations "
        "WHERE tenant_id = %s AND stock > 0 ORDER BY id",
        (tenant_id,),
    )
    rows = [(tenant_id, product_id, variation_id, stock, stock, "initial", "seed",
             "Başlangıç stoğu") for product_id, variation_id, stock in cur.fetchall()]
    # Placeholders only: pymysql batches executemany into multi-row INSERTs just in that case.
    cur.executemany(
        "INSERT INTO stock_movements (tenant_id, product_id, variation_id, delta, stock_after, "
        "reason, reference_type, note) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        rows,
    )
    return len(rows)


# -- command line -------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import os
    import time

    import pymysql

    from infra.migrations.runner import DEFAULT_DATABASE_URL, connect_args

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                        or DEFAULT_DATABASE_URL)
    parser.add_argument("--tenant-slug", default="huglu")
    parser.add_argument("--tenant-name", default="Huğlu Av ve Outdoor")
    parser.add_argument("--products", type=int, default=240)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    server, database = connect_args(args.database_url)
    conn = pymysql.connect(database=database, autocommit=False, **server)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM tenants WHERE slug = %s", (args.tenant_slug,))
            row = cur.fetchone()
            if row is None:
                cur.execute("INSERT INTO tenants (slug, name) VALUES (%s, %s)",
                            (args.tenant_slug, args.tenant_name))
                tenant_id = cur.lastrowid
                conn.commit()
            else:
                tenant_id = row[0]
        started = time.perf_counter()
        counts = seed_catalog(conn, tenant_id, products=args.products, seed=args.seed)
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    print(json.dumps({"tenant_id": tenant_id, **counts, "seconds": round(elapsed, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
