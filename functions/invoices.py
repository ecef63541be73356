"""Lambda: /api/orders/{order_id}/invoice, /api/admin/orders/{order_id}/invoice[/resend]."""
from chalicelib.invoices.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-invoices", [router])
