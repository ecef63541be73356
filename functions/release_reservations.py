"""Scheduled Lambda (every minute): cancel unpaid orders past their hold, stock back."""
from chalicelib.orders.handlers import release_expired_reservations, reservations_bp
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-release-reservations", [reservations_bp])
handler = release_expired_reservations
