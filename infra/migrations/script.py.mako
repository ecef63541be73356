"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

Write explicit DDL that both MySQL 8 and MariaDB 10.11 accept: InnoDB, utf8mb4 with
utf8mb4_unicode_ci (utf8mb4_turkish_ci for Turkish human text), tenant_id first in every index.
"""
from __future__ import annotations

from alembic import op
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
