"""Catalogue administration (issue 4 item 9, the admin side of item 1, the cache-invalidation
half of item 4, and item 10): categories, brands, products, variations, stock and price with
their history, bulk changes, CSV / XLSX import and export.

Modules: routes.py (HTTP) → taxonomy.py (categories, brands), products.py, variations.py
(stock, price), bulk.py, importer.py + importer_apply.py, exporter.py (services) →
repository.py, product_repository.py (SQL).  spreadsheet.py and values.py are pure helpers
(file formats, Turkish numbers, price rounding); chalicelib/catalog/effects.py (shared with
the orders' stock moves) runs what follows a commit (cache invalidation through
chalicelib.catalog.service, back-in-stock through chalicelib.engagement.service); errors.py
holds this area's messages.

Decisions worth knowing:
- Nothing is hard-deleted that orders may refer to: DELETE of a product archives it, DELETE of
  a variation deactivates it.  Categories and brands are deleted only when unused (409).
- Stock changes only by atomic conditional updates, never below the reserved quantity; every
  change writes a stock movement and moves products.total_stock by the same delta.
- Money is Decimal from the JSON parser to the DECIMAL column; "1.249,90" and "1249.90" both
  parse.  Barcodes must be valid EAN-13 (send a 12-digit UPC-A with a leading 0).
"""
