"""Shipping (issue 5 item 6): carrier integration columns.

- shipments.status gains picked_up (the carrier has the parcel); the column comment lists
  the values chalicelib/shipping/states.py keeps.
- shipments.reference: our unique booking reference sent to the carrier, which answers a
  repeat with the first booking.  Derived from the admin's Idempotency-Key, so a retried
  "create shipment" finds its shipment here (ux_reference) and never books twice;
  request_hash tells a retry (same answer) from another request reusing the key (409).
- shipments.label_url: the carrier's link to the printable label (carriers host labels behind
  long unguessable links; label_key stays for a copy kept in S3 should a carrier expire them).
- shipments.poll_due_at / poll_failures: when the scheduled poll should next ask the carrier
  (NULL: never - delivered, returned, or a carrier handled by hand) and the failures in a row
  behind its back-off.  ix_poll_due starts with tenant_id like every index; the job reads one
  range of it per active tenant (shipping/repository.due_for_poll), so its cost grows with the
  shipments that are due, not with the delivered ones (their poll_due_at is NULL).
- shipment_events.source: who reported the event (carrier, admin, system), for the history.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD_STATUS_COMMENT = ("pending, label_created, in_transit, out_for_delivery, delivered, failed_delivery, "
                      "returned")
NEW_STATUS_COMMENT = ("pending, label_created, picked_up, in_transit, out_for_delivery, failed_delivery, "
                      "delivered, returned")


def upgrade() -> None:
    op.execute(
        f"""ALTER TABLE shipments
             MODIFY COLUMN status VARCHAR(32) NOT NULL DEFAULT 'pending' COMMENT '{NEW_STATUS_COMMENT}',
             ADD COLUMN reference VARCHAR(64) NULL AFTER tracking_url,
             ADD COLUMN request_hash CHAR(64) NULL AFTER reference,
             ADD COLUMN label_url VARCHAR(500) NULL AFTER label_key,
             ADD COLUMN poll_due_at DATETIME(6) NULL AFTER last_event_at,
             ADD COLUMN poll_failures SMALLINT UNSIGNED NOT NULL DEFAULT 0 AFTER poll_due_at,
             ADD UNIQUE KEY ux_reference (tenant_id, reference),
             ADD KEY ix_poll_due (tenant_id, poll_due_at)"""
    )
    op.execute(
        """ALTER TABLE shipment_events
             ADD COLUMN source VARCHAR(16) NOT NULL DEFAULT 'carrier' COMMENT 'carrier, admin, system'
             AFTER location"""
    )


def downgrade() -> None:
    op.execute("ALTER TABLE shipment_events DROP COLUMN source")
    op.execute(
        f"""ALTER TABLE shipments
             DROP KEY ix_poll_due, DROP KEY ux_reference,
             DROP COLUMN poll_failures, DROP COLUMN poll_due_at, DROP COLUMN label_url,
             DROP COLUMN request_hash, DROP COLUMN reference,
             MODIFY COLUMN status VARCHAR(32) NOT NULL DEFAULT 'pending' COMMENT '{OLD_STATUS_COMMENT}'"""
    )
