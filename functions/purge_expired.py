"""Scheduled Lambda (hourly): purge expired idempotency keys and refresh tokens."""
from chalicelib.platform.app_factory import create_app
from chalicelib.system.handlers import bp, purge_expired

app = create_app("huglu-purge-expired", [bp])
handler = purge_expired
