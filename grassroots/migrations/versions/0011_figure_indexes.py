"""Figure indexes: the open cases' deadline index carries what the lists show, a district's open
cases by deadline, and its visits by date, all read from the index.

On PostgreSQL ix_case_history_open_deadline gets the columns the overdue and due-soon lists show
(INCLUDE), so the city's lists are index-only scans instead of tens of thousands of table reads.
The figures of one district read its overdue and due-soon cases (ix_case_history_open_district:
district, then deadline, of the open versions) and count its visits known at a date
(ix_visits_district_dates, index-only); without them each scanned the whole district.

Revision ID: 0011_figure_indexes
Revises: 0007_receipt_mails
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_figure_indexes"
down_revision = "0007_receipt_mails"
branch_labels = None
depends_on = None

OPEN = sa.text("status <> '已办结'")
DEADLINE = ["deadline", "valid_from", "valid_to"]
LISTED = ["district", "case_id", "title", "town", "responsible_unit", "responsible_person", "lead_leader", "status"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_case_history_open_deadline", table_name="case_history")
        op.create_index("ix_case_history_open_deadline", "case_history", DEADLINE, postgresql_where=OPEN,
                        postgresql_include=LISTED)
    op.create_index("ix_case_history_open_district", "case_history", ["district", "deadline", "valid_from", "valid_to"],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_visits_district_dates", "visits", ["district", "visit_date", "first_as_of"])


def downgrade() -> None:
    op.drop_index("ix_visits_district_dates", table_name="visits")
    op.drop_index("ix_case_history_open_district", table_name="case_history")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_case_history_open_deadline", table_name="case_history")
        op.create_index("ix_case_history_open_deadline", "case_history", DEADLINE, postgresql_where=OPEN)
