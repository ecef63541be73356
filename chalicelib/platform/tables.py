"""Which area owns each table of the schema, and who else reads it (issue 10 item 2).

OWNERS: every table of infra/migrations/versions → its one owning area.  Only the owner's code
writes the table (INSERT, UPDATE, DELETE, REPLACE); other areas change it by calling the owner's
`chalicelib/<area>/api.py`.  "platform" owns the tables of the shared mechanisms (idempotency,
outbox, audit log).  An owner in PLANNED is an area still to come whose tables the first
migration already holds: a new area (the wallet, say) finds its tables here and owns them.

COLUMN_OWNERS: (table, column) → the area that owns those columns of another area's table.  A
write that assigns an owned column (an UPDATE's SET, an INSERT's column list) is that area's
to make, whoever owns the table; the table's owner writes the other columns and inserts rows
without the owned ones (they start at their defaults).  The owned columns are the inventory's
stock figures on the catalogue's product and variation rows.

READ_MODELS: table → {reading area: why}.  Reading another area's table is allowed only as a
declared read model: a join or a lookup the owner's interface could not serve as cheaply
(listing pages, locked reads inside the reader's transaction, sweeps).  Reads change nothing,
so they do not move ownership; declaring them keeps the picture of who depends on which
columns complete, for whoever changes the table.

tests/e2e/test_boundaries.py scans the SQL of every area against both declarations; the writes
that break ownership today are listed there (KNOWN_VIOLATIONS) with the issue item that removes
them.  Nothing imports this module at run time: it is a declaration, kept beside the platform
so that every area sees the same one.
"""
from __future__ import annotations

# Areas the schema already has tables for, which are not under chalicelib/ yet.
PLANNED = frozenset({
    "custom_production", "dealership", "support", "analytics", "integrations",
})

OWNERS: dict[str, str] = {
    # -- tenancy and the platform's shared mechanisms
    "tenants": "tenants",
    "tenant_cors_origins": "tenants",
    "api_keys": "tenants",
    "idempotency_keys": "platform",  # platform/idempotency.py
    "outbox_events": "platform",  # platform/outbox.py
    "admin_logs": "platform",  # platform/audit.py
    # -- identity and access
    "users": "accounts",
    "refresh_tokens": "accounts",
    "user_tokens": "accounts",
    "user_devices": "accounts",
    "user_recovery_codes": "accounts",
    "biometric_keys": "accounts",
    "roles": "admin_access",
    "role_permissions": "admin_access",
    # Which roles a user holds: granted with the user and erased with their account by accounts,
    # so admin_access (the roles themselves, and who may grant them) calls accounts.api and the
    # dependency stays one-way.
    "user_roles": "accounts",
    "user_levels": "loyalty",
    "loyalty_members": "loyalty",
    "loyalty_points": "loyalty",
    "addresses": "addresses",
    # -- catalogue (catalog is the read side; catalog_admin writes)
    "categories": "catalog_admin",
    "brands": "catalog_admin",
    "products": "catalog_admin",
    # Written only by the triggers on products (migration 0020), read by the listing's facets.
    "product_facet_counts": "catalog",
    # Written only by the triggers on products and product_variations (migration 0021), read by
    # the listing's attribute filters.
    "product_attribute_values": "catalog",
    "product_attribute_facet_counts": "catalog",
    # Written only by the triggers on products (migration 0024), read by search and its facets.
    "product_search_words": "catalog",
    "product_variations": "catalog_admin",
    "price_history": "catalog_admin",
    "product_images": "media",
    "stock_movements": "inventory",
    # -- engagement
    "reviews": "engagement",
    "favorites": "engagement",
    "back_in_stock_subscriptions": "engagement",
    # -- campaigns
    "campaigns": "campaigns",
    "coupons": "campaigns",
    "flash_deals": "campaigns",
    "discount_wheel_spins": "campaigns",
    # issue 15: the engine's counters, what an order claimed, applied codes, the wheel, sends
    "coupon_batches": "campaigns",
    "campaign_customer_uses": "campaigns",
    "campaign_redemptions": "campaigns",
    "cart_coupons": "campaigns",
    "wheel_prizes": "campaigns",
    "campaign_sends": "campaigns",
    "campaign_send_recipients": "campaigns",
    # -- cart, orders and what follows an order
    "carts": "cart",
    "cart_items": "cart",
    "orders": "orders",
    "order_items": "orders",
    "order_status_history": "orders",
    # Money paid for orders: written by orders/payments.py, the payment side's entry points, until a
    # payments area (iyzico) takes them over with its own api.
    "payments": "orders",
    "payment_refunds": "orders",
    "returns": "returns",
    "return_items": "returns",
    "invoice_sequences": "invoices",
    "invoices": "invoices",
    "shipments": "shipping",
    "shipment_events": "shipping",
    "notifications": "notifications",
    # -- notification channels (issue 13): push devices, preferences, İYS consent, the delivery log
    "push_devices": "notifications",
    "notification_preferences": "notifications",
    "marketing_consents": "notifications",
    "notification_deliveries": "notifications",
    "push_tickets": "notifications",
    # -- the wallet ledger (issue 11)
    "wallets": "wallet",
    "wallet_accounts": "wallet",
    "wallet_journals": "wallet",
    "wallet_ledger_entries": "wallet",
    "wallet_holds": "wallet",
    "wallet_topup_requests": "wallet",
    "wallet_withdrawal_requests": "wallet",
    "wallet_transfers": "wallet",
    "wallet_bonus_grants": "wallet",
    "gift_cards": "wallet",
    # -- the payments area (issue 12): the provider side; the money taken stays in payments above
    "payment_attempts": "payments",
    "payment_attempt_items": "payments",
    "payment_cards": "payments",
    "payment_webhook_events": "payments",
    "payment_tasks": "payments",
    # -- XML product-feed sync (issue 13)
    "feed_sources": "feeds",
    "feed_runs": "feeds",
    "feed_run_batches": "feeds",
    "feed_run_errors": "feeds",
    # -- areas to come
    "referrals": "referrals",
    "referral_codes": "referrals",
    "referral_earnings": "referrals",
    "custom_production_requests": "custom_production",
    "custom_production_messages": "custom_production",
    "dealership_applications": "dealership",
    "chat_sessions": "support",
    "chat_messages": "support",
    "faqs": "support",
    "stores": "support",
    # -- the ML service (issue 14): its realtime processor (ml_container) writes the app events it
    # consumes into user_events and the customers' segments into user_data.segment; the API's ml
    # area reads them and owns the anomalies staff review.
    "user_events": "ml",
    "user_data": "ml",
    "ml_anomalies": "ml",
    "user_specific_data": "analytics",
    "integrations": "integrations",
    "integration_sync_runs": "integrations",
    "stories": "content",
    "sliders": "content",
    "popups": "content",
    "story_views": "content",
    "popup_impressions": "content",
}

# Stock: the inventory area writes these columns (inventory.api); the catalogue admin owns the rest
# of the rows.  A stock UPDATE also bumps the variation's `version`, as any change of the row does.
COLUMN_OWNERS: dict[tuple[str, str], str] = {
    ("product_variations", "stock"): "inventory",
    ("product_variations", "reserved"): "inventory",
    ("products", "total_stock"): "inventory",
    ("products", "sold_count"): "inventory",
}

# Areas that read every table and write them back by names learnt from the server, outside the
# ownership rule: a backup copies the whole database (or one tenant's rows of every table), and a
# restore writes them into a restore target - a scratch database, an empty one, or the live one only
# from the command line after a typed confirmation.  Their SQL is exempt from the table check.
WHOLE_DATABASE: dict[str, str] = {
    "backups": "logical backups, their verification by restore, one tenant's export and restore (issue 13)",
}

_ORDER_ROWS = "the order's lines and totals, read with the reader's own rows in one statement"
_SHOP_ROWS = "live product name, price, status and stock joined into the reader's own listing"

READ_MODELS: dict[str, dict[str, str]] = {
    "tenants": {
        "platform": "the request pipeline resolves the tenant of an API key (tenancy.py)",
        "system": "the settings routes show the tenant's settings",
        "cart": "the guest-cart sweep walks the tenants one at a time",
        "engagement": "the shop domain for the links in back-in-stock e-mails",
        "invoices": "the seller block printed on an invoice",
        "shipping": "the carrier poll walks the active tenants",
        "wallet": "the HPay bonus consumer reads settings.wallet (earn percent, expiry days) of an order's tenant",
        "payments": "iyzico's callbacks and webhooks are open routes naming the tenant by slug (id, domain, status)",
        "notifications": "quiet hours and time zone of marketing messages (settings.notifications)",
        "loyalty": "the loyalty-events consumer reads settings.loyalty (points per lira) and the wallet's bonus expiry",
        "referrals": "the referral-events consumer and staff's approval read settings.referrals (bonus amounts)",
        "campaigns": "the campaign-rewards consumer reads settings.campaigns.bonus_days of the order's tenant; "
                     "the campaign-send scheduler walks the active shops' due sends",
    },
    "tenant_cors_origins": {
        "platform": "CORS answers only the tenant's allowed origins",
        "system": "the settings routes show and replace the allowed origins",
    },
    "api_keys": {"platform": "the request pipeline resolves an API key by its hash"},
    "admin_logs": {"system": "the audit-log route lists the audit rows"},
    "users": {
        "addresses": "locks the owner's users row so two writers of default addresses run in turn",
        "referrals": "a claim's account age (created_at); the same-phone fraud check (phone_hash); referees' names "
                     "shown masked on the referrer's history",
        "admin_access": "lists and shows staff users with their roles",
        "payments": "the customer's e-mail sent to iyzico's card storage when a card is saved; the buyer's name, "
                    "e-mail and registration date sent with a card payment",
        "engagement": "the reviewer's shown name; the alert recipient's e-mail, language and status",
        "invoices": "the buyer's e-mail and language when the order has no contact e-mail",
        "orders": "the buyer's contact details for order e-mails; the customer shown on an admin order and "
                  "searched by name",
        "returns": "the customer's language for the return e-mails",
        "notifications": "a channel-aware send's recipient at delivery: e-mail, phone (sealed), language, status",
        "ml": "a segment's customers shown to staff with their e-mail and name",
        "campaigns": "a campaign send to all customers walks the active, non-staff customers by id; a personal "
                     "coupon's and a staff preview's customer is this shop's",
        "wallet": "finds a transfer's recipient by e-mail, phone hash or user code; both sides' names, "
                  "e-mails and languages; admin finance lists wallets with their owners, searched by e-mail "
                  "or name",
    },
    "roles": {"accounts": "the roles and permissions a signed-in user's token carries"},
    "role_permissions": {"accounts": "the roles and permissions a signed-in user's token carries"},
    "user_roles": {"admin_access": "lists roles with their members, users with their roles, and the lock-out check"},
    "brands": {"catalog": "the public brand list and the brand shown on products"},
    "categories": {
        "catalog": "the public category tree",
        "campaigns": "a promotion's category condition covers the category's descendants (path)",
    },
    "products": {
        "catalog": "the public listing, search and detail",
        "cart": _SHOP_ROWS,
        "engagement": "reviews and favourites show, and lock, the product they are about",
        "media": "an image belongs to an existing product (locked while images are ordered)",
        "inventory": "its own total_stock after an adjustment",
        "ml": "the popularity fallback: active, in-stock best sellers and their categories",
        "campaigns": "a previewed basket's and a gift's product: category, brand, VAT rate, name, status; a flash "
                     "deal's product (base price), locked while staff check deals for overlaps",
    },
    "product_variations": {
        "catalog": "the public detail, attribute facets and barcode lookup",
        "cart": _SHOP_ROWS,
        "engagement": "whether an alert's variation is available again",
        "media": "a variation's image belongs to the same product",
        "inventory": "its own stock columns, with the variation's product and whether it is on sale",
        "campaigns": "a previewed basket's live prices; a gift item's price, SKU and stock left; a flash deal's "
                     "original price in the public flash-deal list; a flash deal's variation and current price (staff); a "
                     "gift_item's variation is this shop's",
    },
    "product_images": {
        "catalog": "the images of the public listing and detail",
        "cart": "the image a cart line shows",
        "catalog_admin": "the images shown with a product in the admin panel",
        "engagement": "the image a favourite shows",
    },
    "reviews": {"catalog": "the per-star rating distribution of the product detail"},
    "orders": {
        "engagement": "'verified purchase': a delivered order of the reviewer with the product",
        "invoices": "the order printed on the invoice",
        "returns": "the order a return belongs to, its totals and status",
        "shipping": "the order a shipment belongs to and its address",
        "payments": "the order number and status shown with an attempt; the sweep finds awaiting transfers "
                    "whose order is no longer payable",
        "ml": "the popularity fallback counts only orders that are sales (not cancelled, not unpaid)",
        "campaigns": "RFM segments (recency, frequency, monetary of paid orders) when the shop has no ML "
                     "segments; a send's conversions (recipients' paid orders within 7 days); first-order "
                     "promotions (has the customer an order that is not cancelled); a campaign's performance",
        "content": "popups aimed at new customers: whether the viewer has a paid order (one indexed lookup)",
        "referrals": "a referral code is claimed only before the referee's first order (one indexed lookup)",
    },
    "order_items": {
        "engagement": "'verified purchase': a delivered order of the reviewer with the product",
        "invoices": _ORDER_ROWS,
        "returns": "the lines a return is made of, and how many are left to return",
        "shipping": "the lines a shipment carries",
        "ml": "the popularity fallback: units sold per product in the last days, products bought together",
    },
    "payments": {
        "returns": "how much of the order is left to refund",
        "payments": "the customer's payment history lists the payments no attempt of its own made (the wallet's)",
    },
    "payment_refunds": {
        "returns": "the refunds asked for a return and their status",
        "payments": "the refunds of a payment still requested (what is left to refund), for the admin refund and "
                    "the reconciliation report",
    },
    "return_items": {
        "payments": "the lines of a return, so its card refund goes back on those basket items",
    },
    "returns": {"orders": "an order becomes refunded only when none of its returns is still open"},
    "shipments": {"orders": "the shipments summary on the customer's order page"},
    # Referral fraud checks (issue 15, R2): what the referrer and the referee share.
    "user_devices": {"referrals": "fraud check: a device id both accounts signed in from"},
    "addresses": {"referrals": "fraud checks: an address both hold (normalised line and postcode), the phones on them"},
    "payment_cards": {"referrals": "fraud check: a saved card both hold (BIN and last four digits)"},
}
