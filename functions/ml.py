"""Lambda: /api/ml/*, /api/recommendations, /api/admin/ml..., /api/admin/recommendations,
/api/admin/segments... (issue 14: the API side of the ML service; popularity when it is down)."""
from chalicelib.ml.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-ml", [router])
