"""Lambda: the customers' campaign routes (issue 15) - /api/campaigns (live promotions), /api/flash-deals,
/api/campaigns/coupons (applied codes), /api/campaigns/wheel (the discount wheel), /api/campaigns/offers
(personal offers)."""
from chalicelib.campaigns.coupons_routes import router as coupons
from chalicelib.campaigns.offers_routes import router as offers
from chalicelib.campaigns.public_routes import router as public
from chalicelib.campaigns.wheel_routes import router as wheel
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-campaigns", [public, coupons, wheel, offers])
