"""Catalogue administration (issue 4 item 9, the admin side of item 1, the cache-invalidation
half of item 4, and item 10): categories, brands, products, variations, stock and price with
their history, bulk changes, CSV / XLSX import and export.

Modules: routes.py (HTTP) → taxonomy.py (categories, brands), products.py, variations.py
(stock, price), bulk.py, importer.py + importer_apply.py, exporter.py (services) →
repository.py, product_repository.py (SQL).  spreadsheet.py and values.py are pure helpers
(file formats, Turkish numbers, price rounding); catalog.api's Effects runs what follows a
commit (cache invalidation); errors.py holds this area's messages.  Stock itself - the stock
columns, their movements and StockReturned - is written through inventory.api: this area
validates, audits and reports.

Decisions worth knowing:
- Nothing is hard-deleted that orders may refer to: DELETE of a product archives it, DELETE of
  a variation deactivates it.  Categories and brands are deleted only when unused (409).
- Stock changes only by inventory's atomic conditional updates, never below the reserved
  quantity nor beyond the INT columns (a variation's stock, a product's total: 400 too_large);
  every change writes a stock movement and moves products.total_stock by the same delta.
- Money is Decimal from the JSON parser to the DECIMAL column.  JSON takes the platform's
  `Money` ("1249.90"; "12.345" and Turkish "1.249,90" are 400s); Turkish notation is read only
  from spreadsheet cells (values.parse_money, the import's parser).  A compare_at_price is
  never below the price.  Barcodes must be valid EAN-13 (send a 12-digit UPC-A with a leading 0).
- Partial updates are platform `Patch` bodies: null clears only the fields each lists in
  CLEARABLE; names are `Line`, descriptions `Text`; attributes are depth- and size-limited.
"""
