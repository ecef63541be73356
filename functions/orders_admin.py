"""Lambda: /api/admin/orders... (list, summary, cancellations, detail, status, mark-paid, cancel, note)."""
from chalicelib.orders.admin_routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-orders-admin", [router])
