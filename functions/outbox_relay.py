"""Scheduled Lambda (every minute): publish outbox events the after-commit publish missed."""
from chalicelib.platform.app_factory import create_app
from chalicelib.system.handlers import outbox_relay, relay_bp

app = create_app("huglu-outbox-relay", [relay_bp])
handler = outbox_relay
