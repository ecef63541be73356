"""Lambda: /api/payment/bank-transfer..., /api/payment/history..., /api/payment/installments, /api/payment/cards...
/api/payment/process, /api/payment/topup,
/api/payment/attempts/..., the open 3-D Secure / checkout-form callbacks and iyzico webhooks
(issue 12: EFT / havale, Y5, installments and saved cards, card payments)."""
from chalicelib.payments.callback_routes import router as callbacks
from chalicelib.payments.card_routes import router as card_payments
from chalicelib.payments.cards_routes import router as cards
from chalicelib.payments.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-payments", [router, cards, card_payments, callbacks])
