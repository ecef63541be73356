"""Scheduled Lambda (every minute): cancel unpaid orders past their hold, stock back."""
from chalicelib.orders.handlers import bp, release_expired_reservations
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-release-reservations", [bp])
handler = release_expired_reservations
