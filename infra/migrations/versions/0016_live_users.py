"""live users (issue 13 item 3): no tables, on purpose.

Presence, the per-minute counts, the staff WebSocket registry and the activity events all live in
Redis (chalicelib/live/presence.py, connections.py, activity.py): each is short-lived state with
its own expiry (presence: the TTL; counts: 25 h; activity: a capped stream per device kept 7 days),
written on the app's most frequent calls, where a MySQL write per heartbeat or screen view would
load the writer with rows nobody keeps.  The revision stays so the chain 0015 → 0016 → … holds.

Revision ID: 0016
Revises: 0015
"""
from __future__ import annotations

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # nothing in MySQL: see the docstring


def downgrade() -> None:
    pass
