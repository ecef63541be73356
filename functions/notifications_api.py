"""Lambda: /api/notifications/devices|preferences and /api/admin/notifications/deliveries
(issue 13: push devices, preferences and İYS consent, the staff delivery log)."""
from chalicelib.notifications.admin_routes import router as admin_router
from chalicelib.notifications.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-notifications-api", [router, admin_router])
