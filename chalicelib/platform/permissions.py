"""Admin permissions and the roles every tenant starts with.

A permission is `<area>.<read|write>`; '*' grants everything.  Roles and their permissions are
rows (roles, role_permissions) so a tenant can define its own; these are the defaults created
with each tenant.  Tokens carry the permissions resolved at login (valid for the access
token's 15 minutes).
"""
from __future__ import annotations

ALL = "*"

SETTINGS_READ = "settings.read"
SETTINGS_WRITE = "settings.write"
AUDIT_READ = "audit.read"
USERS_READ = "users.read"
USERS_WRITE = "users.write"
ROLES_READ = "roles.read"
ROLES_WRITE = "roles.write"
API_KEYS_READ = "api_keys.read"
API_KEYS_WRITE = "api_keys.write"
PRODUCTS_READ = "products.read"
PRODUCTS_WRITE = "products.write"
ORDERS_READ = "orders.read"
ORDERS_WRITE = "orders.write"
FINANCE_READ = "finance.read"
FINANCE_WRITE = "finance.write"
# Campaigns, coupons, flash deals, the wheel, offers and campaign sends; loyalty tiers and referrals
# (issue 15); the apps' content (stories, sliders, popups).
CAMPAIGNS_READ = "campaigns.read"
CAMPAIGNS_WRITE = "campaigns.write"
CONTENT_READ = "content.read"
CONTENT_WRITE = "content.write"
SUPPORT_WRITE = "support.write"
# The ML service's staff views (models, stats, segments, anomalies) and its actions (train,
# activate, roll back, review an anomaly).
ML_READ = "ml.read"
ML_WRITE = "ml.write"
# Platform operations (queues and their dead letters): deliberately not in CATALOGUE, so no
# tenant-defined role can be given it - only '*' (super_admin) holds it.  The queues are shared by
# every tenant, so the routes behind it still show a tenant only its own messages.
PLATFORM_QUEUES = "platform.queues"

CATALOGUE = sorted(
    {
        SETTINGS_READ, SETTINGS_WRITE, AUDIT_READ, USERS_READ, USERS_WRITE, ROLES_READ, ROLES_WRITE,
        API_KEYS_READ, API_KEYS_WRITE, PRODUCTS_READ, PRODUCTS_WRITE, ORDERS_READ, ORDERS_WRITE, FINANCE_READ,
        FINANCE_WRITE, CAMPAIGNS_READ, CAMPAIGNS_WRITE, CONTENT_READ, CONTENT_WRITE, SUPPORT_WRITE, ML_READ,
        ML_WRITE,
    }
)

DEFAULT_ROLES: dict[str, tuple[str, list[str]]] = {
    "super_admin": ("Tüm yetkiler / everything", [ALL]),
    "admin": (
        "Mağaza yöneticisi / store manager",
        [p for p in CATALOGUE if p not in {ROLES_WRITE, API_KEYS_WRITE}],
    ),
    "editor": ("Katalog editörü / catalogue editor", [PRODUCTS_READ, PRODUCTS_WRITE, CAMPAIGNS_READ, CAMPAIGNS_WRITE,
                                                          CONTENT_READ, CONTENT_WRITE]),
    "support": ("Müşteri desteği / customer support", [USERS_READ, ORDERS_READ, SUPPORT_WRITE]),
    "finance": ("Finans / finance", [ORDERS_READ, FINANCE_READ, FINANCE_WRITE]),
}
