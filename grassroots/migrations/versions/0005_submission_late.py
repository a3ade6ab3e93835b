"""Submissions: the late flag (逾期报送), a file of a period that arrived after its deadline.

Revision ID: 0005_submission_late
Revises: 0004_reminders_sent
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_submission_late"
down_revision = "0004_reminders_sent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("late")
