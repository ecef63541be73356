"""Lambda: /api/admin/feeds..., /api/admin/feed-runs... (issue 13 item 1, product-feed sources and runs)."""
from chalicelib.feeds.routes import router
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-feeds", [router])
