"""Case versions carry a hash of their fields, so a weekly ledger stages only the rows that changed.

case_history.row_hash (BIGINT, grassroots.warehouse.row_hash) and the partial index of the current
versions (district, case_id, row_hash, listed WHERE valid_to IS NULL) that the merge reads them from.
No data is rewritten: the versions already there keep row_hash NULL, which means "unknown, treat as
changed": the next newest-ledger merge stages those cases' rows in full, compares them field by
field as before (so no version is added for an unchanged case) and fills in the hash of each
unchanged current version; a changed one gets a new version with its hash.

Revision ID: 0011_case_row_hash
Revises: 0007_receipt_mails
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_case_row_hash"
down_revision = "0007_receipt_mails"
branch_labels = None
depends_on = None

CURRENT = sa.text("valid_to IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("case_history") as batch:
        batch.add_column(sa.Column("row_hash", sa.BigInteger))
    op.create_index("ix_case_history_current", "case_history", ["district", "case_id", "row_hash", "listed"],
                    postgresql_where=CURRENT, sqlite_where=CURRENT)


def downgrade() -> None:
    op.drop_index("ix_case_history_current", table_name="case_history")
    with op.batch_alter_table("case_history") as batch:
        batch.drop_column("row_hash")
