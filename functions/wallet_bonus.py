"""Lambda (SQS wallet-bonus): HPay bonus earned on delivered orders, taken back on returns."""
from chalicelib.platform.app_factory import create_app
from chalicelib.wallet.events import bonus_bp, wallet_bonus

app = create_app("huglu-wallet-bonus", [bonus_bp])
handler = wallet_bonus
