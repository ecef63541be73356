"""Lambda (SQS payment-refunds): card refunds and cancels carried out at iyzico and confirmed to orders."""
from chalicelib.payments.refund_handlers import bp, payments_refunds
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-payments-refunds", [bp])
handler = payments_refunds
