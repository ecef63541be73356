"""Lambda: the `notifications` queue consumer (e-mail via SES, SMS via SNS)."""
from chalicelib.notifications.handlers import bp, deliver_notifications
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-notifications", [bp])
handler = deliver_notifications
