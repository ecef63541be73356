"""The payments area (issue 12): the provider-integration side of paying an order or a top-up.

The money actually taken and given back stays in `payments` / `payment_refunds` (owned by
orders, written only through orders.api).  These tables record how we got there:

- payment_attempts: one row per try to pay (a card charge, a 3-D Secure or checkout-form
  session, a bank transfer awaited).  `amount` is what the provider is to charge; a split
  payment holds `wallet_amount` in the wallet meanwhile (`wallet_hold_ref`).  conversation_id is
  our id sent to iyzico (ux_conversation: one attempt per id, so a callback finds its attempt);
  reference_code is the short code a customer writes on a bank transfer (ux_reference).  Once it
  succeeds, payment_id names the orders' payments row.  raw_response never holds card data.
  ix_sweep is global on purpose: the expiry sweep reads the awaiting transfers of every tenant.
- payment_attempt_items: the basket lines sent to iyzico, each with its paymentTransactionId
  (iyzico refunds per item) and how much of it was refunded.
- payment_cards: saved cards, only as iyzico's tokens (card numbers are never stored).
- payment_webhook_events: iyzico's notifications, keyed by iyziReferenceCode so a retried
  delivery is recognised and processed once.
- payment_tasks: work for staff the code cannot finish (a card that cannot be refunded, a late
  bank transfer to pay back, a fraud review); ux_refund / ux_attempt make one task per cause.

Revision ID: 0012
Revises: 0011
"""
from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
ASCII = "CHARACTER SET ascii COLLATE ascii_bin"


def upgrade() -> None:
    op.execute(
        f"""CREATE TABLE payment_attempts (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              order_id BIGINT UNSIGNED NULL COMMENT 'NULL for a wallet top-up',
              user_id BIGINT UNSIGNED NOT NULL,
              purpose ENUM('order','wallet_topup') NOT NULL DEFAULT 'order',
              flow ENUM('card','3ds','checkout_form','bank_transfer') NOT NULL,
              status VARCHAR(24) NOT NULL DEFAULT 'initiated'
                COMMENT 'initiated, pending_3ds, pending_form, awaiting_transfer, succeeded, failed, unknown, cancelled, expired, rejected',
              amount DECIMAL(14,2) NOT NULL COMMENT 'what the provider is to charge',
              wallet_amount DECIMAL(14,2) NOT NULL DEFAULT 0 COMMENT 'the part held in the wallet (split payment)',
              wallet_hold_ref VARCHAR(64) {ASCII} NULL COMMENT 'the wallet hold''s transfer id',
              currency CHAR(3) NOT NULL DEFAULT 'TRY',
              installment TINYINT UNSIGNED NOT NULL DEFAULT 1,
              conversation_id VARCHAR(64) {ASCII} NOT NULL COMMENT 'our id sent to iyzico',
              provider VARCHAR(16) NOT NULL COMMENT 'iyzico, bank_transfer',
              provider_payment_id VARCHAR(128) NULL,
              provider_token VARCHAR(255) NULL COMMENT '3-D Secure or checkout-form token',
              reference_code VARCHAR(20) {ASCII} NULL COMMENT 'bank transfer: the code written on the transfer',
              card_last4 CHAR(4) NULL COMMENT 'card numbers are never stored',
              bin_number CHAR(8) NULL,
              card_association VARCHAR(32) NULL,
              card_family VARCHAR(32) NULL,
              fraud_status TINYINT NULL COMMENT 'iyzico: 1 ok, 0 review, -1 rejected',
              failure_code VARCHAR(64) NULL,
              failure_message VARCHAR(500) NULL,
              payment_id BIGINT UNSIGNED NULL COMMENT 'the orders'' payments row once succeeded',
              raw_response JSON NULL COMMENT 'provider response without card data',
              sender_name VARCHAR(150) COLLATE utf8mb4_turkish_ci NULL COMMENT 'bank transfer: as the customer said',
              bank_reference VARCHAR(100) NULL COMMENT 'bank transfer: the bank''s reference, as the customer said',
              decided_by BIGINT UNSIGNED NULL COMMENT 'staff who confirmed or rejected',
              decided_at DATETIME(6) NULL,
              decision_note VARCHAR(500) COLLATE utf8mb4_turkish_ci NULL COMMENT 'confirm note or reject reason',
              expires_at DATETIME(6) NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              UNIQUE KEY ux_conversation (tenant_id, conversation_id),
              UNIQUE KEY ux_reference (tenant_id, reference_code),
              KEY ix_order (tenant_id, order_id),
              KEY ix_user (tenant_id, user_id, created_at),
              KEY ix_status (tenant_id, status, created_at),
              KEY ix_provider_payment (tenant_id, provider_payment_id),
              KEY ix_token (tenant_id, provider_token),
              KEY ix_payment (tenant_id, payment_id) COMMENT 'the history: a payments row that an attempt made',
              KEY ix_sweep (status, expires_at) COMMENT 'Global on purpose - the expiry sweep reads all tenants',
              CONSTRAINT fk_payment_attempts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
              CONSTRAINT fk_payment_attempts_order FOREIGN KEY (tenant_id, order_id)
                REFERENCES orders (tenant_id, id) ON DELETE RESTRICT,
              CONSTRAINT ck_payment_attempts_amounts CHECK (amount >= 0 AND wallet_amount >= 0)
            ) {OPTIONS}"""
    )
    op.execute(
        f"""CREATE TABLE payment_attempt_items (
              tenant_id BIGINT UNSIGNED NOT NULL,
              attempt_id BIGINT UNSIGNED NOT NULL,
              item_id VARCHAR(64) {ASCII} NOT NULL COMMENT 'the basket item id sent: an order_item id or shipping',
              order_item_id BIGINT UNSIGNED NULL,
              price DECIMAL(14,2) NOT NULL,
              paid_price DECIMAL(14,2) NOT NULL,
              provider_transaction_id VARCHAR(64) NULL COMMENT 'iyzico paymentTransactionId: refunds go per item',
              refunded_amount DECIMAL(14,2) NOT NULL DEFAULT 0,
              PRIMARY KEY (tenant_id, attempt_id, item_id),
              CONSTRAINT fk_payment_attempt_items_attempt FOREIGN KEY (tenant_id, attempt_id)
                REFERENCES payment_attempts (tenant_id, id) ON DELETE CASCADE,
              CONSTRAINT fk_payment_attempt_items_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
              CONSTRAINT ck_payment_attempt_items_amounts CHECK (price >= 0 AND paid_price >= 0
                AND refunded_amount BETWEEN 0 AND paid_price)
            ) {OPTIONS}"""
    )
    op.execute(
        f"""CREATE TABLE payment_cards (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              user_id BIGINT UNSIGNED NOT NULL,
              card_user_key VARCHAR(128) {ASCII} NOT NULL COMMENT 'iyzico''s key of the customer',
              card_token VARCHAR(128) {ASCII} NOT NULL COMMENT 'iyzico''s token of the card; never the number',
              alias VARCHAR(100) COLLATE utf8mb4_turkish_ci NULL,
              bin_number CHAR(8) NULL,
              last4 CHAR(4) NULL,
              association VARCHAR(32) NULL,
              family VARCHAR(32) NULL,
              bank_name VARCHAR(100) NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              UNIQUE KEY ux_card (tenant_id, user_id, card_token),
              CONSTRAINT fk_payment_cards_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )
    op.execute(
        f"""CREATE TABLE payment_webhook_events (
              tenant_id BIGINT UNSIGNED NOT NULL,
              reference_code VARCHAR(64) {ASCII} NOT NULL COMMENT 'iyziReferenceCode: a retried delivery collides',
              event_type VARCHAR(64) NULL,
              payment_id VARCHAR(128) NULL COMMENT 'iyzico paymentId',
              conversation_id VARCHAR(64) {ASCII} NULL,
              status VARCHAR(32) NULL,
              body JSON NULL,
              received_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              processed_at DATETIME(6) NULL,
              PRIMARY KEY (tenant_id, reference_code),
              KEY ix_conversation (tenant_id, conversation_id),
              CONSTRAINT fk_payment_webhook_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )
    op.execute(
        f"""CREATE TABLE payment_tasks (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              kind VARCHAR(32) NOT NULL COMMENT 'late_transfer_refund, card_refund_failed, fraud_review',
              status ENUM('open','done') NOT NULL DEFAULT 'open',
              order_id BIGINT UNSIGNED NULL,
              attempt_id BIGINT UNSIGNED NULL,
              refund_id BIGINT UNSIGNED NULL COMMENT 'the orders'' payment_refunds row',
              amount DECIMAL(14,2) NULL,
              currency CHAR(3) NOT NULL DEFAULT 'TRY',
              reason VARCHAR(500) COLLATE utf8mb4_turkish_ci NOT NULL,
              resolved_by BIGINT UNSIGNED NULL,
              resolved_at DATETIME(6) NULL,
              note VARCHAR(500) COLLATE utf8mb4_turkish_ci NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              UNIQUE KEY ux_refund (tenant_id, kind, refund_id) COMMENT 'one refund makes one task',
              UNIQUE KEY ux_attempt (tenant_id, kind, attempt_id) COMMENT 'one attempt makes one task of a kind',
              KEY ix_status (tenant_id, status, created_at),
              CONSTRAINT fk_payment_tasks_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
            ) {OPTIONS}"""
    )


def downgrade() -> None:
    for table in ("payment_tasks", "payment_webhook_events", "payment_cards", "payment_attempt_items",
                  "payment_attempts"):
        op.execute(f"DROP TABLE {table}")
