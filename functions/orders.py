"""Lambda: /api/orders... (checkout, history, detail, tracking, cancel)."""
from chalicelib.orders.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-orders", [router])
