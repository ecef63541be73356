"""Lambda: /api/users/..., /api/auth/... (sign-in, profile, 2FA, biometric keys)."""
from chalicelib.accounts.profile_routes import router as profile_router
from chalicelib.accounts.routes import router
from chalicelib.accounts.security_routes import router as security_router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-accounts", [router, profile_router, security_router])
