"""Lambda: /api/cart... (guest and signed-in carts, quotes)."""
from chalicelib.cart.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-cart", [router])
