"""Inventory (issue 10 item 3): stock, reservations and the stock movement log.

The area owns stock_movements and, as columns, product_variations.stock / reserved and
products.total_stock / sold_count (chalicelib/platform/tables.py COLUMN_OWNERS); the catalogue
admin owns the rest of those rows.  Orders reserve, release, sell and restock through api.py,
returns restock, the catalogue admin adjusts and counts; when a variation is available again a
StockReturned event goes out through the outbox (engagement's back-in-stock alerts consume it).

api.py (the published interface) → moves.py (orders' moves), counts.py (the admin's changes)
→ tracking.py (cache effects + StockReturned) → repository.py (SQL); errors.py (messages).
"""
