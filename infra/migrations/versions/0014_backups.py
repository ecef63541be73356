"""backups (issue 13 item 2): no tables, on purpose.

The catalogue of backups (kind, status, size, checksums, row counts, verification) lives in the
backup bucket beside the backups themselves (chalicelib/backups/store.py): the list of backups is
needed most when the database is lost, so it must not be inside it, and restoring an old backup must
not rewrite the catalogue of the newer ones.  The revision stays so the chain keeps its numbers.

Revision ID: 0014
Revises: 0013
"""
from __future__ import annotations

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the catalogue is in S3 (see the docstring)


def downgrade() -> None:
    pass
