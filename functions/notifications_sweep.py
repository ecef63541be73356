"""Scheduled Lambda (every minute): deferred notifications re-queued when their wait is over (quiet
hours, long backoff), push receipts read from Expo and dead tokens pruned."""
from chalicelib.notifications.sweep_handlers import bp, sweep_notifications
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-notifications-sweep", [bp])
handler = sweep_notifications
