"""Lambda: /api/health, /api/openapi.json, /api/admin/settings, /api/admin/logs, /api/admin/queues..."""
from chalicelib.platform.app_factory import create_app
from chalicelib.system.queue_routes import router as queue_router
from chalicelib.system.routes import router

app = create_app("huglu-system", [router, queue_router])
