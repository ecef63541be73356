"""Addresses (issue 3 items 7 and 8): the recipient's phone encrypted at rest, and the
geocoding outcome so a retry job can find addresses still without coordinates.

- `phone_enc` holds the E.164 number sealed with crypto.seal(field="address.phone").  The
  existing `phone` column keeps only the masked display form (+90 532 *** ** 67), so listing
  addresses needs no decryption and the column can never leak a number.
- `geocode_status`: ok, manual (coordinates picked by the user), not_found (the geocoder knows
  no such place), pending (the geocoder was unreachable / over quota: retry), failed (it
  refused the request, e.g. a bad key: retry after fixing the configuration).  Rows from
  before this migration have no coordinates, hence the default 'pending'.
- `geocode_precision`: the geocoder's location type (ROOFTOP ... APPROXIMATE), so delivery can
  tell a building from a town centre.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """ALTER TABLE addresses
             MODIFY phone VARCHAR(20) NOT NULL
               COMMENT 'masked for display only, e.g. +90 532 *** ** 67 - the number is in phone_enc',
             ADD COLUMN phone_enc VARBINARY(512) NULL
               COMMENT 'E.164 number, crypto.seal field address.phone' AFTER phone,
             ADD COLUMN geocode_status VARCHAR(32) NOT NULL DEFAULT 'pending'
               COMMENT 'ok, manual, not_found, pending, failed' AFTER place_id,
             ADD COLUMN geocode_precision VARCHAR(32) NULL
               COMMENT 'geocoder location type - ROOFTOP, RANGE_INTERPOLATED, GEOMETRIC_CENTER, APPROXIMATE'
               AFTER geocode_status,
             ADD KEY ix_geocode_status (tenant_id, geocode_status)"""
    )


def downgrade() -> None:
    # The sealed numbers cannot be decrypted in SQL: after a downgrade only the masked form is left.
    op.execute(
        """ALTER TABLE addresses
             DROP KEY ix_geocode_status,
             DROP COLUMN geocode_precision,
             DROP COLUMN geocode_status,
             DROP COLUMN phone_enc,
             MODIFY phone VARCHAR(20) NOT NULL"""
    )
