"""Scheduled Lambda (every minute): release wallet holds past their expiry."""
from chalicelib.platform.app_factory import create_app
from chalicelib.wallet.handlers import bp, expire_wallet_holds

app = create_app("huglu-wallet-holds", [bp])
handler = expire_wallet_holds
