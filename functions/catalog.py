"""Lambda: /api/products..."""
from chalicelib.catalog.lookup_routes import router as lookup_router
from chalicelib.catalog.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-catalog", [router, lookup_router])
