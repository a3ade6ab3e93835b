"""Reminders: the reminders_sent table (grassroots.warehouse.schema), one row per address reminded per period.

Revision ID: 0004_reminders_sent
Revises: 0003_sent_reports
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_reminders_sent"
down_revision = "0003_sent_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", "period_end", "district", "email", name="pk_reminders_sent"),
    )


def downgrade() -> None:
    op.drop_table("reminders_sent")
