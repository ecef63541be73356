"""Lambda (SQS loyalty-events): points earned on delivered orders (and the level's extra HPay bonus),
taken back on returns."""
from chalicelib.loyalty.events import bp, loyalty_events
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-loyalty-events", [bp])
handler = loyalty_events
