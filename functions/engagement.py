"""Lambda: /api/products/{product_id}/reviews, /api/reviews..., /api/admin/reviews...,
/api/favorites..., /api/products/{product_id}/stock-alerts, /api/stock-alerts..."""
from chalicelib.engagement.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-engagement", [router])
