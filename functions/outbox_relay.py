"""Scheduled Lambda (every minute): publish outbox events the after-commit publish missed."""
from chalicelib.platform.app_factory import create_app
from chalicelib.system.relay import bp, outbox_relay

app = create_app("huglu-outbox-relay", [bp])
handler = outbox_relay
