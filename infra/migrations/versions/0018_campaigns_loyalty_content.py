"""Campaigns, loyalty, referrals and content (issue 15).

Campaigns (the promotion engine, chalicelib/campaigns):
- campaigns gains the counters the checkout claims atomically: usage_limit / used_count (the CHECK
  makes `used_count + 1` fail past the limit, as coupons already had), usage_limit_per_user, and a
  CHECK that spent_amount never passes the budget; `type` names the kind of campaign (promotion,
  coupon, flash, wheel, offer); `rules` holds the conditions and the action (campaigns/model.py);
  deleted_at keeps a deleted campaign's history for its performance figures.
- coupons: a code of a campaign (the campaign's rules decide the discount, so the old per-coupon
  discount columns become optional); batch_id for bulk unique codes; source says who made it.
- coupon_batches: one bulk generation; its codes are exported once (exported_at).
- campaign_customer_uses: per-customer use counters (scope campaign / coupon / flash deal), raised
  by a conditional UPDATE that fails past the per-customer limit.
- campaign_redemptions: what one order claimed (a campaign, a coupon, a flash deal's units, the
  discount, the bonus it earns), released with relative decrements when the order is cancelled.
  It replaces coupon_redemptions (never written; dropped).
- cart_coupons: the codes a signed-in customer applied to their cart.
- wheel_prizes and discount_wheel_spins.period_key: the wheel's weighted prizes with stock, one
  spin per customer per period (day, week or the campaign).
- campaign_sends / campaign_send_recipients: e-mail, SMS and push campaigns to a segment.
Loyalty (chalicelib/loyalty): loyalty_members (a customer's level and since when), loyalty_points
(points per delivered order, reversed on return; one row per order and kind).
Referrals (chalicelib/referrals): referral_codes (one share code per customer), referrals gains
the qualifying order, fraud flags and reversal.
Content (chalicelib/content): story_views (unique viewers per story), popup_impressions (the
frequency cap per viewer and period).

Revision ID: 0018
Revises: 0017
"""
from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
TR = "CHARACTER SET utf8mb4 COLLATE utf8mb4_turkish_ci"
CREATED = "created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
UPDATED = "updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)"


def _tenant_fk(table: str) -> str:
    return f"CONSTRAINT fk_{table}_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)"



NEW_TABLES = ["popup_impressions", "story_views", "referral_codes", "loyalty_points", "loyalty_members",
              "campaign_send_recipients", "campaign_sends", "wheel_prizes", "cart_coupons", "campaign_redemptions",
              "campaign_customer_uses", "coupon_batches"]


# 0001's table, dropped by the upgrade (never written: campaign_redemptions took its place)
COUPON_REDEMPTIONS = f"""CREATE TABLE coupon_redemptions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tenant_id BIGINT UNSIGNED NOT NULL,
  coupon_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NULL,
  order_id BIGINT UNSIGNED NULL,
  discount_amount DECIMAL(14,2) NOT NULL,
  status ENUM('applied','reverted') NOT NULL DEFAULT 'applied',
  {CREATED},
  reverted_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY ux_coupon_order (tenant_id, coupon_id, order_id),
  KEY ix_coupon_user (tenant_id, coupon_id, user_id),
  KEY ix_user (tenant_id, user_id),
  KEY ix_order (tenant_id, order_id),
  {_tenant_fk("coupon_redemptions")},
  CONSTRAINT fk_coupon_redemptions_coupon FOREIGN KEY (tenant_id, coupon_id) REFERENCES coupons (tenant_id, id),
  CONSTRAINT fk_coupon_redemptions_order FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
  CONSTRAINT ck_coupon_redemptions_amount CHECK (discount_amount >= 0)
) {OPTIONS}"""


def upgrade() -> None:
    # The statements sit in the function itself: tests/e2e/test_boundaries.py reads the tables an
    # upgrade creates and drops from its body.
    statements = [
        # -- campaigns ------------------------------------------------------------------------------
        """ALTER TABLE campaigns
             ADD COLUMN usage_limit INT NULL AFTER spent_amount,
             ADD COLUMN used_count INT NOT NULL DEFAULT 0 AFTER usage_limit,
             ADD COLUMN usage_limit_per_user INT NULL AFTER used_count,
             ADD COLUMN deleted_at DATETIME(6) NULL,
             ADD CONSTRAINT ck_campaigns_usage CHECK (used_count >= 0 AND (usage_limit IS NULL OR used_count <= usage_limit)),
             ADD CONSTRAINT ck_campaigns_budget CHECK (spent_amount >= 0 AND (budget IS NULL OR spent_amount <= budget)),
             MODIFY COLUMN type VARCHAR(32) NOT NULL COMMENT 'promotion, coupon, flash, wheel, offer'""",
        """ALTER TABLE coupons
             MODIFY COLUMN discount_type ENUM('percentage','fixed_amount','free_shipping') NULL
               COMMENT 'unused: the campaign rules decide the discount',
             ADD COLUMN batch_id BIGINT UNSIGNED NULL AFTER campaign_id,
             ADD COLUMN source VARCHAR(16) NOT NULL DEFAULT 'manual' COMMENT 'manual, bulk, offer, wheel',
             ADD KEY ix_batch (tenant_id, batch_id)""",
        f"""CREATE TABLE coupon_batches (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              campaign_id BIGINT UNSIGNED NOT NULL,
              prefix VARCHAR(16) NOT NULL DEFAULT '',
              quantity INT NOT NULL,
              usage_limit_per_code INT NOT NULL DEFAULT 1,
              created_by BIGINT UNSIGNED NULL,
              exported_at DATETIME(6) NULL COMMENT 'the codes are handed out once',
              exported_by BIGINT UNSIGNED NULL,
              {CREATED},
              PRIMARY KEY (id),
              KEY ix_campaign (tenant_id, campaign_id, id),
              {_tenant_fk("coupon_batches")},
              CONSTRAINT fk_coupon_batches_campaign FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id),
              CONSTRAINT ck_coupon_batches_quantity CHECK (quantity > 0)
            ) {OPTIONS}""",
        f"""CREATE TABLE campaign_customer_uses (
              tenant_id BIGINT UNSIGNED NOT NULL,
              scope ENUM('campaign','coupon','flash') NOT NULL,
              scope_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              uses INT NOT NULL DEFAULT 0,
              {UPDATED},
              PRIMARY KEY (tenant_id, scope, scope_id, user_id),
              KEY ix_user (tenant_id, user_id),
              {_tenant_fk("campaign_customer_uses")},
              CONSTRAINT ck_campaign_customer_uses CHECK (uses >= 0)
            ) {OPTIONS}""",
        f"""CREATE TABLE campaign_redemptions (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              order_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NULL,
              claim_key VARCHAR(40) NOT NULL COMMENT 'campaign:<id>, coupon:<id>, flash:<id>',
              campaign_id BIGINT UNSIGNED NULL,
              coupon_id BIGINT UNSIGNED NULL,
              flash_deal_id BIGINT UNSIGNED NULL,
              quantity INT NOT NULL DEFAULT 1 COMMENT 'uses claimed (units for a flash deal)',
              discount_amount DECIMAL(14,2) NOT NULL DEFAULT 0,
              shipping_discount DECIMAL(14,2) NOT NULL DEFAULT 0,
              bonus_amount DECIMAL(14,2) NOT NULL DEFAULT 0 COMMENT 'credited on delivery',
              order_total DECIMAL(14,2) NOT NULL COMMENT 'the grand total of the order when placed',
              status ENUM('claimed','released') NOT NULL DEFAULT 'claimed',
              bonus_status ENUM('none','pending','granted','reversed') NOT NULL DEFAULT 'none',
              {CREATED},
              released_at DATETIME(6) NULL,
              PRIMARY KEY (id),
              UNIQUE KEY ux_order_claim (tenant_id, order_id, claim_key),
              KEY ix_campaign (tenant_id, campaign_id, created_at),
              KEY ix_coupon (tenant_id, coupon_id),
              KEY ix_user (tenant_id, user_id, created_at),
              {_tenant_fk("campaign_redemptions")},
              CONSTRAINT ck_campaign_redemptions_amounts CHECK (discount_amount >= 0 AND shipping_discount >= 0
                                                                 AND bonus_amount >= 0 AND quantity > 0)
            ) {OPTIONS}""",
        "DROP TABLE coupon_redemptions",
        f"""CREATE TABLE cart_coupons (
              tenant_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              coupon_id BIGINT UNSIGNED NOT NULL,
              {CREATED},
              PRIMARY KEY (tenant_id, user_id, coupon_id),
              KEY ix_coupon (tenant_id, coupon_id),
              {_tenant_fk("cart_coupons")},
              CONSTRAINT fk_cart_coupons_coupon FOREIGN KEY (tenant_id, coupon_id) REFERENCES coupons (tenant_id, id)
                ON DELETE CASCADE
            ) {OPTIONS}""",
        f"""CREATE TABLE wheel_prizes (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              campaign_id BIGINT UNSIGNED NOT NULL,
              label VARCHAR(100) {TR} NOT NULL,
              kind VARCHAR(20) NOT NULL COMMENT 'percent_coupon, fixed_coupon, free_shipping, bonus, nothing',
              value DECIMAL(14,2) NOT NULL DEFAULT 0,
              prize_campaign_id BIGINT UNSIGNED NULL COMMENT 'the hidden campaign whose rules a won coupon follows',
              weight INT NOT NULL,
              stock INT NULL COMMENT 'NULL: unlimited',
              awarded INT NOT NULL DEFAULT 0,
              valid_days INT NOT NULL DEFAULT 7 COMMENT 'a won coupon or bonus lasts this long',
              sort_order INT NOT NULL DEFAULT 0,
              is_active TINYINT(1) NOT NULL DEFAULT 1,
              {CREATED},
              {UPDATED},
              PRIMARY KEY (id),
              KEY ix_campaign (tenant_id, campaign_id, sort_order),
              KEY ix_prize_campaign (tenant_id, prize_campaign_id),
              {_tenant_fk("wheel_prizes")},
              CONSTRAINT fk_wheel_prizes_campaign FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id)
                ON DELETE CASCADE,
              CONSTRAINT fk_wheel_prizes_prize_campaign FOREIGN KEY (tenant_id, prize_campaign_id)
                REFERENCES campaigns (tenant_id, id),
              CONSTRAINT ck_wheel_prizes CHECK (weight > 0 AND value >= 0 AND awarded >= 0
                                                 AND (stock IS NULL OR awarded <= stock))
            ) {OPTIONS}""",
        """ALTER TABLE discount_wheel_spins
             ADD COLUMN period_key VARCHAR(16) NOT NULL DEFAULT '' AFTER spin_date,
             ADD COLUMN prize_id BIGINT UNSIGNED NULL AFTER prize,
             ADD UNIQUE KEY ux_period (tenant_id, campaign_id, user_id, period_key),
             DROP KEY ux_daily""",
        f"""CREATE TABLE campaign_sends (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              campaign_id BIGINT UNSIGNED NULL,
              name VARCHAR(200) {TR} NOT NULL,
              channels JSON NOT NULL COMMENT 'email, sms, push',
              audience JSON NOT NULL COMMENT 'segments, levels',
              title VARCHAR(200) {TR} NOT NULL,
              body TEXT {TR} NOT NULL,
              deep_link VARCHAR(500) NULL,
              scheduled_at DATETIME(6) NULL,
              status VARCHAR(16) NOT NULL DEFAULT 'draft' COMMENT 'draft, scheduled, sending, sent, cancelled',
              audience_count INT NOT NULL DEFAULT 0,
              queued_count INT NOT NULL DEFAULT 0,
              skipped_count INT NOT NULL DEFAULT 0,
              created_by BIGINT UNSIGNED NULL,
              started_at DATETIME(6) NULL,
              finished_at DATETIME(6) NULL,
              {CREATED},
              {UPDATED},
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              KEY ix_status (tenant_id, status, scheduled_at),
              KEY ix_campaign (tenant_id, campaign_id),
              {_tenant_fk("campaign_sends")}
            ) {OPTIONS}""",
        f"""CREATE TABLE campaign_send_recipients (
              tenant_id BIGINT UNSIGNED NOT NULL,
              send_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              message_id VARCHAR(64) NULL,
              status VARCHAR(16) NOT NULL COMMENT 'queued, skipped',
              reason VARCHAR(64) NULL,
              {CREATED},
              PRIMARY KEY (tenant_id, send_id, user_id),
              KEY ix_user (tenant_id, user_id, created_at),
              {_tenant_fk("campaign_send_recipients")},
              CONSTRAINT fk_campaign_send_recipients_send FOREIGN KEY (tenant_id, send_id)
                REFERENCES campaign_sends (tenant_id, id) ON DELETE CASCADE
            ) {OPTIONS}""",
        # -- loyalty --------------------------------------------------------------------------------
        f"""CREATE TABLE loyalty_members (
              tenant_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              level_id BIGINT UNSIGNED NULL,
              level_since DATETIME(6) NULL,
              retained_until DATETIME(6) NULL COMMENT 'the level is kept at least until then',
              {UPDATED},
              PRIMARY KEY (tenant_id, user_id),
              KEY ix_level (tenant_id, level_id),
              {_tenant_fk("loyalty_members")},
              CONSTRAINT fk_loyalty_members_level FOREIGN KEY (level_id) REFERENCES user_levels (id)
            ) {OPTIONS}""",
        f"""CREATE TABLE loyalty_points (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              order_id BIGINT UNSIGNED NULL,
              kind VARCHAR(16) NOT NULL COMMENT 'earn, reverse, adjust',
              points INT NOT NULL COMMENT 'negative for reverse',
              earned_at DATETIME(6) NOT NULL,
              note VARCHAR(255) NULL,
              {CREATED},
              PRIMARY KEY (id),
              UNIQUE KEY ux_order_kind (tenant_id, order_id, kind),
              KEY ix_user (tenant_id, user_id, earned_at),
              {_tenant_fk("loyalty_points")}
            ) {OPTIONS}""",
        # -- referrals ------------------------------------------------------------------------------
        f"""CREATE TABLE referral_codes (
              tenant_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              code VARCHAR(16) NOT NULL,
              {CREATED},
              PRIMARY KEY (tenant_id, user_id),
              UNIQUE KEY ux_code (tenant_id, code),
              {_tenant_fk("referral_codes")}
            ) {OPTIONS}""",
        """ALTER TABLE referrals
             ADD COLUMN order_id BIGINT UNSIGNED NULL COMMENT 'the referee''s first order',
             ADD COLUMN fraud_flags JSON NULL COMMENT 'same device, address, phone or card',
             ADD COLUMN reversed_at DATETIME(6) NULL,
             MODIFY COLUMN status VARCHAR(32) NOT NULL DEFAULT 'registered'
               COMMENT 'registered, qualified, rewarded, rejected, reversed'""",
        # -- content --------------------------------------------------------------------------------
        # the children's tenant-scoped foreign keys need (tenant_id, id) keys on their parents
        "ALTER TABLE stories ADD UNIQUE KEY ux_tenant_id (tenant_id, id)",
        "ALTER TABLE popups ADD UNIQUE KEY ux_tenant_id (tenant_id, id)",
        f"""CREATE TABLE story_views (
              tenant_id BIGINT UNSIGNED NOT NULL,
              story_id BIGINT UNSIGNED NOT NULL,
              viewer_key VARCHAR(80) NOT NULL COMMENT 'u:<user id> or d:<device id>',
              viewed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              PRIMARY KEY (tenant_id, story_id, viewer_key),
              {_tenant_fk("story_views")},
              CONSTRAINT fk_story_views_story FOREIGN KEY (tenant_id, story_id) REFERENCES stories (tenant_id, id)
                ON DELETE CASCADE
            ) {OPTIONS}""",
        f"""CREATE TABLE popup_impressions (
              tenant_id BIGINT UNSIGNED NOT NULL,
              popup_id BIGINT UNSIGNED NOT NULL,
              viewer_key VARCHAR(80) NOT NULL,
              period_key VARCHAR(16) NOT NULL COMMENT 'once: "", daily: the date',
              shown INT NOT NULL DEFAULT 0,
              last_shown_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              PRIMARY KEY (tenant_id, popup_id, viewer_key, period_key),
              {_tenant_fk("popup_impressions")},
              CONSTRAINT fk_popup_impressions_popup FOREIGN KEY (tenant_id, popup_id) REFERENCES popups (tenant_id, id)
                ON DELETE CASCADE
            ) {OPTIONS}""",
    ]
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    for name in NEW_TABLES:
        op.execute(f"DROP TABLE IF EXISTS {name}")
    op.execute("""ALTER TABLE referrals DROP COLUMN order_id, DROP COLUMN fraud_flags, DROP COLUMN reversed_at""")
    op.execute("""ALTER TABLE discount_wheel_spins ADD UNIQUE KEY ux_daily (tenant_id, campaign_id, user_id, spin_date),
                    DROP KEY ux_period, DROP COLUMN period_key, DROP COLUMN prize_id""")
    op.execute("ALTER TABLE stories DROP KEY ux_tenant_id")
    op.execute("ALTER TABLE popups DROP KEY ux_tenant_id")
    op.execute(COUPON_REDEMPTIONS)
    op.execute("ALTER TABLE coupons DROP KEY ix_batch, DROP COLUMN batch_id, DROP COLUMN source")
    op.execute("""ALTER TABLE campaigns DROP CONSTRAINT ck_campaigns_usage, DROP CONSTRAINT ck_campaigns_budget,
                    DROP COLUMN usage_limit, DROP COLUMN used_count, DROP COLUMN usage_limit_per_user,
                    DROP COLUMN deleted_at""")
