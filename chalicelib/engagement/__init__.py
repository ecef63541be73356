"""Engagement (P9 reviews and ratings, P10 favourites, N4 back-in-stock alerts; issue 4 items 7-8).

Decisions worth knowing:
- "Verified purchase" = a delivered order (orders.status 'delivered') of the customer with an
  order_items row for the product; the order is stored on the review.
- The products' rating_avg / rating_count count approved reviews only, recomputed in the same
  transaction as every approve / reject / edit / delete under the product row's lock
  (reviews.py) and stored on the product through catalog_admin.api (the product row's owner),
  then the cached product detail is dropped after commit.
- Review text is stored as plain text with all markup removed (plaintext.py).
- Back-in-stock alerts go out by e-mail (template back_in_stock), once per alert, from
  `service.stock_returned(tenant_id, variation_ids)`, which the stock-events consumer
  (events.py) calls for each StockReturned event of the inventory area (outbox → SQS).  An
  alert without a variation is for the product as a whole (migration 0004).
"""
