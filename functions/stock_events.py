"""Lambda (SQS stock-events): back-in-stock e-mails when a variation's stock returns."""
from chalicelib.engagement.events import bp, stock_events
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-stock-events", [bp])
handler = stock_events
