"""Lambda: /api/admin/payments..., /api/admin/payment-tasks... (issue 12, AF payment transactions;
card refunds and cancels, the reconciliation report)."""
from chalicelib.payments.admin_routes import router
from chalicelib.payments.card_routes import admin_router as card_review
from chalicelib.payments.refund_routes import router as refund_routes
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-payments-admin", [router, card_review, refund_routes])
