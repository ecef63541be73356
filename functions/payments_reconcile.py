"""Scheduled Lambda (every 5 minutes): card payments whose outcome was not heard (unknown, stuck
initiated, 3-D Secure / checkout-form sessions past expiry) looked up at iyzico and settled."""
from chalicelib.payments.reconcile_handlers import bp, reconcile_card_payments
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-payments-reconcile", [bp])
handler = reconcile_card_payments
