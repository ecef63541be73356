"""Lambda: /api/wallet..., /api/admin/wallet..., /api/admin/wallets... (W1-W3, W5-W7; AF)."""
from chalicelib.platform.app_factory import create_app
from chalicelib.wallet.admin_routes import BINARY_TYPES
from chalicelib.wallet.admin_routes import router as admin_router
from chalicelib.wallet.giftcard_routes import router as gift_card_router
from chalicelib.wallet.routes import router
from chalicelib.wallet.transfer_routes import router as transfer_router

app = create_app("huglu-wallet", [router, transfer_router, gift_card_router, admin_router])
app.api.binary_types.extend(BINARY_TYPES)  # the ledger export's XLSX goes out base64-encoded
