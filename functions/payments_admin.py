"""Lambda: /api/admin/payments..., /api/admin/payment-tasks... (issue 12, AF payment transactions)."""
from chalicelib.payments.admin_routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-payments-admin", [router])
