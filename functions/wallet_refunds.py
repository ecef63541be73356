"""Lambda (SQS wallet-refunds): refunds paid back into the wallet and confirmed to orders."""
from chalicelib.platform.app_factory import create_app
from chalicelib.wallet.events import bp, wallet_refunds

app = create_app("huglu-wallet-refunds", [bp])
handler = wallet_refunds
