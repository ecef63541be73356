"""Scheduled Lambda (every minute): live-user presences that expired without an unregister → "left" pushes."""
from chalicelib.live.handlers import bp, live_sweep
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-live-sweep", [bp])
handler = live_sweep
