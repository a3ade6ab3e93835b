"""The case breakdown's indexes of the state's two parts: a district's figures at the newest date
read its current versions only, in the breakdown's grain order.

The breakdown groups the state at a date as the current versions (valid_to IS NULL) and the closed
versions still covering it (valid_to > as_of); "valid_to IS NULL OR valid_to > as_of" read every
version of the scope (2.1M for a million cases, about half of them closed).

- ix_case_history_current_state: the current versions in the grain's order (district, source,
  theme, town, paired unit, responsible unit), with what the breakdown counts (valid_to too: SQLite
  reads the state's predicate from the index alone).
- ix_case_history_closed_state: the closed versions by valid_to, the same columns after it.
- ix_case_history_state (every version, covering) is dropped: the two above hold every version once
  between them, and no query reads it any more; keeping it would write each version three times.

Revision ID: 0013_case_state_parts
Revises: 0012_figure_indexes
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_case_state_parts"
down_revision = "0012_figure_indexes"
branch_labels = None
depends_on = None

COUNTED = ["district", "source", "theme", "town", "paired_unit", "responsible_unit", "valid_from", "valid_to",
           "status", "deadline", "reported_on", "resolved_on", "responsible_person"]
STATE = ["district", "source", "theme", "town", "paired_unit", "responsible_unit", "valid_from", "valid_to", "listed",
         "status", "deadline", "reported_on", "resolved_on", "responsible_person"]  # 0012's, restored by downgrade
CURRENT, CLOSED = sa.text("valid_to IS NULL"), sa.text("valid_to IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_case_history_state", table_name="case_history")
    op.create_index("ix_case_history_current_state", "case_history", COUNTED,
                    postgresql_where=CURRENT, sqlite_where=CURRENT)
    op.create_index("ix_case_history_closed_state", "case_history", ["valid_to", *(c for c in COUNTED if c != "valid_to")],
                    postgresql_where=CLOSED, sqlite_where=CLOSED)


def downgrade() -> None:
    op.drop_index("ix_case_history_closed_state", table_name="case_history")
    op.drop_index("ix_case_history_current_state", table_name="case_history")
    op.create_index("ix_case_history_state", "case_history", STATE)
