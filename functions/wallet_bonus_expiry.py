"""Scheduled Lambda (hourly): expire what remains of HPay bonus grants past their expiry."""
from chalicelib.platform.app_factory import create_app
from chalicelib.wallet.handlers import bonus_bp, expire_wallet_bonus

app = create_app("huglu-wallet-bonus-expiry", [bonus_bp])
handler = expire_wallet_bonus
