"""Scheduled Lambda (every 15 minutes): awaited bank transfers of orders no longer payable → expired."""
from chalicelib.payments.handlers import bp, expire_bank_transfers
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-payments-sweep", [bp])
handler = expire_bank_transfers
