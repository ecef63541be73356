"""Lambda: shipments (admin, customer tracking) and signed carrier webhooks."""
from chalicelib.platform.app_factory import create_app
from chalicelib.shipping.routes import router

app = create_app("huglu-shipping", [router])
