"""Lambda: /api/health, /api/openapi.json, /api/admin/settings, /api/admin/logs."""
from chalicelib.platform.app_factory import create_app
from chalicelib.system.routes import router

app = create_app("huglu-system", [router])
