"""Figure indexes for a million cases: the case state index in the breakdown's order, the open
cases' deadline index carrying what the lists show, a district's open cases and visits by district.

- ix_case_history_state leads with the breakdown's grain (district, source, theme, town, paired
  unit, responsible unit), so SQLite groups the cases as it reads the index instead of sorting them.
- ix_case_history_open_deadline carries the columns the overdue and due-soon lists show: the
  city's lists are read from the index, not from tens of thousands of places in the table.
- ix_case_history_open_district: one district's open cases by deadline.
- ix_visits_district_dates: one district's visits known at a date, counted from the index.

Revision ID: 0012_figure_indexes
Revises: 0011_case_row_hash
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_figure_indexes"
down_revision = "0011_case_row_hash"
branch_labels = None
depends_on = None

OPEN = sa.text("status <> '已办结'")
STATE_BEFORE = ["district", "valid_from", "valid_to", "listed", "status", "deadline", "reported_on", "resolved_on",
                "source", "theme", "town", "paired_unit", "responsible_unit", "responsible_person"]
STATE = ["district", "source", "theme", "town", "paired_unit", "responsible_unit", "valid_from", "valid_to", "listed",
         "status", "deadline", "reported_on", "resolved_on", "responsible_person"]
DEADLINE = ["deadline", "valid_from", "valid_to"]
LISTED = ["district", "case_id", "title", "town", "responsible_unit", "responsible_person", "lead_leader", "status"]


def upgrade() -> None:
    _replace("ix_case_history_state", STATE)
    _replace("ix_case_history_open_deadline", DEADLINE + LISTED, where=OPEN)
    op.create_index("ix_case_history_open_district", "case_history", ["district", *DEADLINE],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_visits_district_dates", "visits", ["district", "visit_date", "first_as_of"])


def downgrade() -> None:
    op.drop_index("ix_visits_district_dates", table_name="visits")
    op.drop_index("ix_case_history_open_district", table_name="case_history")
    _replace("ix_case_history_open_deadline", DEADLINE, where=OPEN)
    _replace("ix_case_history_state", STATE_BEFORE)


def _replace(name: str, columns: list[str], where=None) -> None:
    op.drop_index(name, table_name="case_history")
    op.create_index(name, "case_history", columns, postgresql_where=where, sqlite_where=where)
