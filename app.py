"""The whole application: every area's routes and event handlers on one Chalice app.

Used by `chalice local` (make dev), `chalice.test.Client` and a monolithic deploy.  The
deployed functions are built per area from functions/ (README: "Deployment").
"""
from chalicelib.accounts.profile_routes import router as accounts_profile
from chalicelib.accounts.routes import router as accounts
from chalicelib.accounts.security_routes import router as accounts_security
from chalicelib.addresses.routes import router as addresses
from chalicelib.admin_access.routes import router as admin_access
from chalicelib.backups.handlers import daily_bp as backup_daily
from chalicelib.backups.handlers import jobs_bp as backup_jobs
from chalicelib.backups.routes import router as backups
from chalicelib.campaigns.admin_coupon_routes import router as campaigns_admin_coupons
from chalicelib.campaigns.admin_flash_routes import router as campaigns_admin_flash
from chalicelib.campaigns.admin_routes import router as campaigns_admin
from chalicelib.campaigns.coupons_routes import router as campaigns_coupons
from chalicelib.campaigns.offers_routes import admin_router as campaigns_admin_offers
from chalicelib.campaigns.offers_routes import router as campaigns_offers
from chalicelib.campaigns.public_routes import router as campaigns_public
from chalicelib.campaigns.rewards_handlers import bp as campaign_rewards
from chalicelib.campaigns.sends_handlers import bp as campaign_sends_jobs
from chalicelib.campaigns.sends_routes import router as campaigns_admin_sends
from chalicelib.campaigns.wheel_routes import admin_router as campaigns_admin_wheel
from chalicelib.campaigns.wheel_routes import router as campaigns_wheel
from chalicelib.cart.routes import router as cart
from chalicelib.catalog.lookup_routes import router as catalog_lookup
from chalicelib.catalog.routes import router as catalog
from chalicelib.catalog_admin.routes import router as catalog_admin
from chalicelib.content.admin_routes import router as content_admin
from chalicelib.content.routes import router as content
from chalicelib.engagement.events import bp as stock_events
from chalicelib.engagement.routes import router as engagement
from chalicelib.feeds.handlers import dispatch_bp as feed_dispatch
from chalicelib.feeds.handlers import fetch_bp as feed_fetch
from chalicelib.feeds.handlers import rows_bp as feed_rows
from chalicelib.feeds.routes import router as feeds
from chalicelib.invoices.handlers import bp as invoice_jobs
from chalicelib.invoices.routes import router as invoices
from chalicelib.live.handlers import bp as live_jobs
from chalicelib.live.routes import router as live
from chalicelib.loyalty.events import bp as loyalty_events
from chalicelib.loyalty.handlers import bp as loyalty_levels
from chalicelib.loyalty.routes import router as loyalty
from chalicelib.media.handlers import bp as media_jobs
from chalicelib.media.routes import router as media
from chalicelib.ml.routes import router as ml
from chalicelib.notifications.admin_routes import router as notifications_admin
from chalicelib.notifications.handlers import bp as notification_jobs
from chalicelib.notifications.routes import router as notifications
from chalicelib.notifications.sweep_handlers import bp as notification_sweep
from chalicelib.orders.admin_routes import router as orders_admin
from chalicelib.orders.events import bp as order_events
from chalicelib.orders.handlers import bp as reservation_jobs
from chalicelib.orders.routes import router as orders
from chalicelib.payments.admin_routes import router as payments_admin
from chalicelib.payments.callback_routes import router as payment_callbacks
from chalicelib.payments.card_routes import admin_router as payment_card_review
from chalicelib.payments.card_routes import router as payment_card_routes
from chalicelib.payments.cards_routes import router as payment_cards
from chalicelib.payments.handlers import bp as payment_jobs
from chalicelib.payments.reconcile_handlers import bp as payment_reconcile_jobs
from chalicelib.payments.refund_handlers import bp as payment_refunds
from chalicelib.payments.refund_routes import router as payment_refund_routes
from chalicelib.payments.routes import router as payments
from chalicelib.platform.app_factory import create_app
from chalicelib.referrals.events import bp as referral_events
from chalicelib.referrals.routes import router as referrals
from chalicelib.returns.routes import router as returns
from chalicelib.shipping.handlers import bp as shipping_jobs
from chalicelib.shipping.routes import router as shipping
from chalicelib.system.handlers import bp as system_jobs
from chalicelib.system.queue_routes import router as system_queues
from chalicelib.system.relay import bp as outbox_relay
from chalicelib.system.routes import router as system
from chalicelib.wallet.admin_routes import router as wallet_admin
from chalicelib.wallet.events import bonus_bp as wallet_bonus
from chalicelib.wallet.events import bp as wallet_refunds
from chalicelib.wallet.giftcard_routes import router as wallet_gift_cards
from chalicelib.wallet.handlers import bonus_bp as wallet_bonus_jobs
from chalicelib.wallet.handlers import bp as wallet_jobs
from chalicelib.wallet.payment_routes import router as wallet_payments
from chalicelib.wallet.routes import router as wallet
from chalicelib.wallet.transfer_routes import router as wallet_transfers

app = create_app(
    "huglu",
    [
        system, system_queues, accounts, accounts_profile, accounts_security, addresses, admin_access,
        catalog, catalog_lookup, catalog_admin, engagement, media,
        cart, orders, orders_admin, returns, shipping, invoices, wallet, wallet_transfers, wallet_payments, wallet_admin,
        wallet_gift_cards, payments, payments_admin, payment_cards, payment_card_routes, payment_callbacks,
        payment_card_review, payment_refund_routes,
        notifications, notifications_admin, notification_sweep,
        system_jobs, notification_jobs, media_jobs, order_events, reservation_jobs, outbox_relay, wallet_jobs,
        shipping_jobs, invoice_jobs, stock_events, wallet_refunds, wallet_bonus, wallet_bonus_jobs,
        payment_jobs, payment_reconcile_jobs, payment_refunds, backups, backup_daily, backup_jobs,
        live, live_jobs, ml, content, content_admin,
        campaigns_admin, campaigns_admin_flash, campaigns_admin_coupons,
        campaigns_coupons, campaigns_public, campaigns_wheel, campaigns_admin_wheel,
        campaigns_offers, campaigns_admin_offers, campaigns_admin_sends, campaign_sends_jobs,
        campaign_rewards,
        feeds, feed_dispatch, feed_fetch, feed_rows,
        loyalty, loyalty_events, loyalty_levels, referrals, referral_events,
    ],
)
