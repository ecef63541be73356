"""Lambda: POST /api/payment/wallet (W4: an order paid from the wallet)."""
from chalicelib.platform.app_factory import create_app
from chalicelib.wallet.payment_routes import router

app = create_app("huglu-wallet-payments", [router])
