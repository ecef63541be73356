"""Lambda (SQS feed-runs): fetch, parse and check one product-feed run; valid rows go out in batches."""
from chalicelib.feeds.handlers import feeds_fetch, fetch_bp
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-feeds-fetch", [fetch_bp])
handler = feeds_fetch
