"""Lambda: /api/payment/bank-transfer..., /api/payment/history... (issue 12: EFT / havale, Y5)."""
from chalicelib.payments.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-payments", [router])
