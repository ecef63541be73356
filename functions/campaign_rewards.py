"""Lambda (SQS campaign-rewards): a promotion's bonus credit, granted when the order is delivered."""
from chalicelib.campaigns.rewards_handlers import bp, campaign_rewards
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-campaign-rewards", [bp])
handler = campaign_rewards
