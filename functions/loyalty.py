"""Lambda: /api/levels, /api/loyalty/level, /api/admin/levels... (issue 15: user levels)."""
from chalicelib.loyalty.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-loyalty", [router])
