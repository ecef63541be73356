"""Lambda: /api/users/..., /api/auth/..."""
from chalicelib.accounts.profile_routes import router as profile_router
from chalicelib.accounts.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-accounts", [router, profile_router])
