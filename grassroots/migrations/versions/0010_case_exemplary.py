"""Cases: the optional 典型案例 mark (exemplary), which puts a case first in the monthly 通报.

Revision ID: 0010_case_exemplary
Revises: 0008_case_versions
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_case_exemplary"
down_revision = "0008_case_versions"
branch_labels = None
depends_on = None

TABLES = ("cases", "case_history")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("exemplary", sa.Text))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("exemplary")
