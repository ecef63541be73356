"""Lambda (SQS feed-sync): apply one batch of a product feed's rows to the catalogue."""
from chalicelib.feeds.handlers import feeds_rows, rows_bp
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-feeds-rows", [rows_bp])
handler = feeds_rows
