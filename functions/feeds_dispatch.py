"""Lambda (schedule, every 5 minutes): start the product-feed runs whose schedule is due."""
from chalicelib.feeds.handlers import dispatch_bp, feeds_dispatch
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-feeds-dispatch", [dispatch_bp])
handler = feeds_dispatch
