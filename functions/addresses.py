"""Lambda: /api/addresses..."""
from chalicelib.addresses.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-addresses", [router])
