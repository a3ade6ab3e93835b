"""Report: the sent_reports table (grassroots.warehouse.schema), one row per address a report reached.

Revision ID: 0003_sent_reports
Revises: 0002_metric_snapshots
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sent_reports"
down_revision = "0002_metric_snapshots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sent_reports",
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", "as_of", "scope", "email", name="pk_sent_reports"),
    )


def downgrade() -> None:
    op.drop_table("sent_reports")
