"""Lambda (SQS referral-events): a referee's first delivered order rewards both sides (after the fraud
checks); that order returned takes the rewards back."""
from chalicelib.platform.app_factory import create_app
from chalicelib.referrals.events import bp, referral_events

app = create_app("huglu-referral-events", [bp])
handler = referral_events
