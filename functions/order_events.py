"""Lambda (SQS order-events): e-mails customers what happened to their orders."""
from chalicelib.orders.events import bp, order_events
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-order-events", [bp])
handler = order_events
