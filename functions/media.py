"""Lambda: /api/admin/products/{product_id}/images..., /api/admin/images/{image_id}."""
from chalicelib.media.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-media", [router])
