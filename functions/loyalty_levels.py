"""Scheduled Lambda (daily): re-evaluate the members whose kept level ran out (the downgrade rule)."""
from chalicelib.loyalty.handlers import bp, loyalty_levels
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-loyalty-levels", [bp])
handler = loyalty_levels
