"""Lambda: /api/orders/{order_id}/returns, /api/returns..., /api/admin/returns... (C8, AO returns queue)."""
from chalicelib.platform.app_factory import create_app
from chalicelib.returns.routes import router

app = create_app("huglu-returns", [router])
