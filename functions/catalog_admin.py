"""Lambda: /api/admin/categories..., /api/admin/brands..., /api/admin/products..., /api/admin/variations..."""
from chalicelib.catalog_admin.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-catalog-admin", [router])
