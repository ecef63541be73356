"""Lambda: /api/admin/permissions, /api/admin/roles..., /api/admin/users..., /api/admin/api-keys..."""
from chalicelib.admin_access.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-admin-access", [router])
