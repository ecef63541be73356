"""Lambda: /api/referrals..., /api/admin/referrals... (issue 15: referral codes, claims, history)."""
from chalicelib.platform.app_factory import create_app
from chalicelib.referrals.routes import router

app = create_app("huglu-referrals", [router])
