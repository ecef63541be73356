"""Lambda: /api/products..."""
from chalicelib.catalog.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-catalog", [router])
