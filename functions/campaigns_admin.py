"""Lambda: the staff's campaign routes (issue 15) - /api/admin/campaigns (CRUD, preview, performance,
coupons and bulk batches, wheel prizes, personal offers), /api/admin/flash-deals, /api/admin/coupon*,
/api/admin/prizes, /api/admin/campaign-sends."""
from chalicelib.campaigns.admin_coupon_routes import router as coupons
from chalicelib.campaigns.admin_flash_routes import router as flash_deals
from chalicelib.campaigns.admin_routes import router as campaigns
from chalicelib.campaigns.offers_routes import admin_router as offers
from chalicelib.campaigns.sends_routes import router as sends
from chalicelib.campaigns.wheel_routes import admin_router as prizes
from chalicelib.platform.app_factory import create_app

app = create_app("huglu-campaigns-admin", [campaigns, flash_deals, coupons, prizes, offers, sends])
