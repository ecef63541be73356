"""Scheduled Lambda (every 15 minutes): ask carriers for news of shipments still on their way."""
from chalicelib.platform.app_factory import create_app
from chalicelib.shipping.handlers import bp, poll_carriers

app = create_app("huglu-shipping-poll", [bp])
handler = poll_carriers
