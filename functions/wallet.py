"""Lambda: /api/wallet..., /api/admin/wallet... (W1-W3, W5; AF top-ups and withdrawals)."""
from chalicelib.platform.app_factory import create_app
from chalicelib.wallet.routes import router

app = create_app("huglu-wallet", [router])
