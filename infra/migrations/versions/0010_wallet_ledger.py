"""Wallet ledger (issue 11): accounts with balance rows, holds, and what 0001's wallet tables
need for a double-entry ledger with TigerBeetle's invariants.

- wallet_accounts (new): one row per account and its balance.  A customer's wallet has two
  (cash, bonus); each tenant has system accounts (shop_revenue, card_clearing, bank_clearing,
  gift_card_liability, bonus_expense, withdrawals_payable).  `balance` is credit-normal: the
  sum of the account's credits minus its debits, so what the shop owes a customer is positive
  and what it holds (bank, card clearing) is negative; all balances of a tenant sum to zero.
  pending_debit / pending_credit are the amounts pending holds will move.  A customer account
  can never go below zero, holds included (ck_wallet_accounts_customer): the services check
  under the row lock, and this is the last line of defence.  ux_system_code keeps one system
  account per code and tenant (wallet_id is NULL there, and a UNIQUE key ignores NULLs).
- wallets: the balance columns move to wallet_accounts (one truth, not two); the row stays
  the customer's wallet (one per user, its status).
- wallet_journals: an entry is immutable and named by its transfer id; UNIQUE (tenant_id,
  transfer_id) means one transfer id has at most one effect (the old dedupe_key, now required,
  and ASCII compared byte for byte: "Pay-1" and "pay-1" are two ids).
- wallet_ledger_entries: the lines of an entry, each on one account (account_id replaces the
  free-text account name) with the account's running balance after it (balance_after, now
  always set).  The lines of an entry sum to zero (checked when posted, proved by reconcile).
- wallet_holds (new): pending amounts (a withdrawal waiting for staff, a wallet + card payment
  waiting for the card) → posted (an entry) or voided / expired.  ix_expiry is global on
  purpose: the sweeper voids expired holds of every tenant in one range read.
- wallet_topup_requests: the reference code a customer writes on the bank transfer, when the
  customer reported it sent, the entry that credited it; statuses follow the seed's diagram 20.
- wallet_withdrawal_requests: the hold that reserves the amount, the entry that paid it out.
- The per-table idempotency_key columns of the two request tables go: Idempotency-Key lives in
  idempotency_keys (platform/idempotency.py), as 0009 did for orders.

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"


def upgrade() -> None:
    op.execute(
        f"""CREATE TABLE wallet_accounts (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              wallet_id BIGINT UNSIGNED NULL COMMENT 'the customer wallet; NULL for a system account',
              code VARCHAR(32) NOT NULL COMMENT 'cash, bonus; system shop_revenue, card_clearing, bank_clearing, gift_card_liability, bonus_expense, withdrawals_payable',
              kind ENUM('customer','system') NOT NULL,
              currency CHAR(3) NOT NULL DEFAULT 'TRY',
              balance DECIMAL(18,2) NOT NULL DEFAULT 0 COMMENT 'posted credits minus debits of its lines',
              pending_debit DECIMAL(18,2) NOT NULL DEFAULT 0 COMMENT 'pending holds that will debit it',
              pending_credit DECIMAL(18,2) NOT NULL DEFAULT 0 COMMENT 'pending holds that will credit it',
              version BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'one more on every change',
              system_code VARCHAR(32) GENERATED ALWAYS AS (IF(wallet_id IS NULL, code, NULL)) VIRTUAL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              UNIQUE KEY ux_wallet_code (tenant_id, wallet_id, code),
              UNIQUE KEY ux_system_code (tenant_id, system_code),
              CONSTRAINT fk_wallet_accounts_wallet FOREIGN KEY (tenant_id, wallet_id)
                REFERENCES wallets (tenant_id, id) ON DELETE RESTRICT,
              CONSTRAINT fk_wallet_accounts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
              CONSTRAINT ck_wallet_accounts_pending CHECK (pending_debit >= 0 AND pending_credit >= 0),
              CONSTRAINT ck_wallet_accounts_customer CHECK (kind = 'system' OR balance - pending_debit >= 0)
            ) {OPTIONS}"""
    )
    op.execute("ALTER TABLE wallets DROP CONSTRAINT ck_wallets_balances")
    op.execute("ALTER TABLE wallets DROP COLUMN balance, DROP COLUMN bonus_balance, DROP COLUMN held_balance")

    op.execute(
        """ALTER TABLE wallet_journals
             DROP KEY ux_dedupe,
             CHANGE dedupe_key transfer_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
               COMMENT 'the caller-chosen id of this movement; one id, at most one entry',
             MODIFY journal_type VARCHAR(32) NOT NULL COMMENT 'bank_topup, card_topup, withdrawal, order_payment, order_refund, transfer, bonus, bonus_expiry, gift_card, referral_reward, adjustment',
             ADD UNIQUE KEY ux_transfer (tenant_id, transfer_id)"""
    )
    op.execute(
        """ALTER TABLE wallet_ledger_entries
             DROP KEY ix_account,
             DROP COLUMN account,
             ADD COLUMN account_id BIGINT UNSIGNED NOT NULL AFTER journal_id,
             MODIFY balance_after DECIMAL(18,2) NOT NULL COMMENT 'the account balance after this line',
             ADD KEY ix_account (tenant_id, account_id, id),
             ADD CONSTRAINT fk_wallet_ledger_entries_account FOREIGN KEY (tenant_id, account_id)
               REFERENCES wallet_accounts (tenant_id, id) ON DELETE RESTRICT"""
    )

    op.execute(
        f"""CREATE TABLE wallet_holds (
              id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
              tenant_id BIGINT UNSIGNED NOT NULL,
              transfer_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'one id, at most one hold',
              debit_account_id BIGINT UNSIGNED NOT NULL,
              credit_account_id BIGINT UNSIGNED NOT NULL,
              amount DECIMAL(18,2) NOT NULL,
              currency CHAR(3) NOT NULL DEFAULT 'TRY',
              status VARCHAR(16) NOT NULL DEFAULT 'pending' COMMENT 'pending, posted, voided, expired',
              journal_type VARCHAR(32) NOT NULL COMMENT 'the kind of the entry a post makes',
              posted_amount DECIMAL(18,2) NULL,
              journal_id BIGINT UNSIGNED NULL COMMENT 'the entry that posted it',
              reference_type VARCHAR(32) NULL,
              reference_id VARCHAR(64) NULL,
              description VARCHAR(255) COLLATE utf8mb4_turkish_ci NULL,
              expires_at DATETIME(6) NULL COMMENT 'voided by the sweeper after this; NULL until staff decide',
              resolved_at DATETIME(6) NULL,
              created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
              updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
              PRIMARY KEY (id),
              UNIQUE KEY ux_tenant_id (tenant_id, id),
              UNIQUE KEY ux_transfer (tenant_id, transfer_id),
              KEY ix_debit (tenant_id, debit_account_id, status),
              KEY ix_credit (tenant_id, credit_account_id, status),
              KEY ix_journal (tenant_id, journal_id),
              KEY ix_expiry (status, expires_at) COMMENT 'Global on purpose - the hold sweeper scans all tenants',
              CONSTRAINT fk_wallet_holds_debit FOREIGN KEY (tenant_id, debit_account_id)
                REFERENCES wallet_accounts (tenant_id, id) ON DELETE RESTRICT,
              CONSTRAINT fk_wallet_holds_credit FOREIGN KEY (tenant_id, credit_account_id)
                REFERENCES wallet_accounts (tenant_id, id) ON DELETE RESTRICT,
              CONSTRAINT fk_wallet_holds_journal FOREIGN KEY (tenant_id, journal_id)
                REFERENCES wallet_journals (tenant_id, id) ON DELETE RESTRICT,
              CONSTRAINT fk_wallet_holds_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
              CONSTRAINT ck_wallet_holds_amounts CHECK (amount > 0
                AND (posted_amount IS NULL OR posted_amount BETWEEN 0 AND amount))
            ) {OPTIONS}"""
    )

    op.execute(
        """ALTER TABLE wallet_topup_requests
             DROP KEY ux_idempotency,
             DROP COLUMN idempotency_key,
             ADD COLUMN reference_code VARCHAR(20) NOT NULL
               COMMENT 'what the customer writes on the bank transfer' AFTER user_id,
             MODIFY status VARCHAR(32) NOT NULL DEFAULT 'requested'
               COMMENT 'requested, pending_approval, approved, rejected (seed diagram 20)',
             ADD COLUMN sent_at DATETIME(6) NULL COMMENT 'when the customer reported the transfer' AFTER user_note,
             ADD UNIQUE KEY ux_reference (tenant_id, reference_code),
             ADD KEY ix_journal (tenant_id, journal_id),
             ADD CONSTRAINT fk_wallet_topup_requests_journal FOREIGN KEY (tenant_id, journal_id)
               REFERENCES wallet_journals (tenant_id, id) ON DELETE RESTRICT"""
    )
    op.execute(
        """ALTER TABLE wallet_withdrawal_requests
             DROP KEY ux_idempotency,
             DROP COLUMN idempotency_key,
             MODIFY status VARCHAR(32) NOT NULL DEFAULT 'pending' COMMENT 'pending, approved, rejected (seed diagram 20)',
             ADD COLUMN hold_id BIGINT UNSIGNED NULL COMMENT 'the hold on the amount' AFTER journal_id,
             ADD KEY ix_hold (tenant_id, hold_id),
             ADD KEY ix_journal (tenant_id, journal_id),
             ADD CONSTRAINT fk_wallet_withdrawal_requests_hold FOREIGN KEY (tenant_id, hold_id)
               REFERENCES wallet_holds (tenant_id, id) ON DELETE RESTRICT,
             ADD CONSTRAINT fk_wallet_withdrawal_requests_journal FOREIGN KEY (tenant_id, journal_id)
               REFERENCES wallet_journals (tenant_id, id) ON DELETE RESTRICT"""
    )


def downgrade() -> None:
    op.execute(
        """ALTER TABLE wallet_withdrawal_requests
             DROP FOREIGN KEY fk_wallet_withdrawal_requests_journal,
             DROP FOREIGN KEY fk_wallet_withdrawal_requests_hold"""
    )
    op.execute(
        """ALTER TABLE wallet_withdrawal_requests
             DROP KEY ix_journal, DROP KEY ix_hold, DROP COLUMN hold_id,
             MODIFY status VARCHAR(32) NOT NULL DEFAULT 'pending'
               COMMENT 'pending, approved, paid, rejected, cancelled',
             ADD COLUMN idempotency_key VARCHAR(128) NULL AFTER journal_id,
             ADD UNIQUE KEY ux_idempotency (tenant_id, idempotency_key)"""
    )
    op.execute("ALTER TABLE wallet_topup_requests DROP FOREIGN KEY fk_wallet_topup_requests_journal")
    op.execute(
        """ALTER TABLE wallet_topup_requests
             DROP KEY ix_journal, DROP KEY ux_reference, DROP COLUMN sent_at, DROP COLUMN reference_code,
             MODIFY status VARCHAR(32) NOT NULL DEFAULT 'pending' COMMENT 'pending, approved, rejected, cancelled',
             ADD COLUMN idempotency_key VARCHAR(128) NULL AFTER journal_id,
             ADD UNIQUE KEY ux_idempotency (tenant_id, idempotency_key)"""
    )
    op.execute("DROP TABLE wallet_holds")
    op.execute("ALTER TABLE wallet_ledger_entries DROP FOREIGN KEY fk_wallet_ledger_entries_account")
    op.execute(
        """ALTER TABLE wallet_ledger_entries
             DROP KEY ix_account, DROP COLUMN account_id,
             MODIFY balance_after DECIMAL(18,2) NULL COMMENT 'wallet account balance after this entry',
             ADD COLUMN account VARCHAR(64) NOT NULL COMMENT 'wallet_cash, wallet_bonus, wallet_hold, platform_clearing, platform_revenue, ...' AFTER wallet_id,
             ADD KEY ix_account (tenant_id, account, id)"""
    )
    op.execute(
        """ALTER TABLE wallet_journals
             DROP KEY ux_transfer,
             CHANGE transfer_id dedupe_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL COMMENT 'e.g. topup-request-17, posts each event once',
             MODIFY journal_type VARCHAR(32) NOT NULL COMMENT 'topup, withdrawal, order_payment, refund, transfer, bonus, gift_card, referral_reward, adjustment',
             ADD UNIQUE KEY ux_dedupe (tenant_id, dedupe_key)"""
    )
    op.execute(
        """ALTER TABLE wallets
             ADD COLUMN balance DECIMAL(18,2) NOT NULL DEFAULT 0 AFTER currency,
             ADD COLUMN bonus_balance DECIMAL(18,2) NOT NULL DEFAULT 0 COMMENT 'HPay bonus' AFTER balance,
             ADD COLUMN held_balance DECIMAL(18,2) NOT NULL DEFAULT 0
               COMMENT 'reserved by pending withdrawals' AFTER bonus_balance,
             ADD CONSTRAINT ck_wallets_balances CHECK (balance >= 0 AND bonus_balance >= 0 AND held_balance >= 0)"""
    )
    op.execute("DROP TABLE wallet_accounts")
