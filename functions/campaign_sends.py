"""Scheduled Lambda (every minute): campaign sends (e-mail, SMS, push) that are due, delivered in
batches through the notification pipeline (consent, preferences, quiet hours), resumable."""
from chalicelib.campaigns.sends_handlers import bp, deliver_campaign_sends
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-campaign-sends", [bp])
handler = deliver_campaign_sends
