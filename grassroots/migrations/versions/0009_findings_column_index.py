"""Findings: the column's position in the sheet, so the receipt reads its findings from the table
(they were also kept in a file beside the staged tables).

Revision ID: 0009_findings_column_index
Revises: 0005_submission_late
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_findings_column_index"
down_revision = "0005_submission_late"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("column_index", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("column_index")
