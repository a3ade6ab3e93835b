"""Metrics: the metric_snapshots table (grassroots.warehouse.schema) and the indexes the metrics SQL uses.

Revision ID: 0002_metric_snapshots
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_metric_snapshots"
down_revision = "0001"
branch_labels = None
depends_on = None

# The indexes the metrics SQL relies on (also declared in grassroots.warehouse.schema):
INDEXES = (
    # cases changed after a past as-of date (looked up in case_history); a district's cases by date,
    # and those missing from its newest ledger (an older as_of or submission than that ledger's)
    ("ix_cases_as_of", "cases", ("as_of",)),
    ("ix_cases_district_as_of", "cases", ("district", "as_of", "submission_id")),
    # leaders named as lead leader, in the current state and in the history
    ("ix_cases_lead_leader", "cases", ("lead_leader",)),
    ("ix_case_history_lead_leader", "case_history", ("lead_leader",)),
    # a pair (unit, town) in contact; a town covered; a leader's own visits
    ("ix_visits_unit_town", "visits", ("unit", "town", "visit_date")),
    ("ix_visits_town", "visits", ("town", "visit_date")),
    ("ix_visits_leader_unit", "visits", ("leader", "unit", "visit_date")),
)


def upgrade() -> None:
    op.create_table(
        "metric_snapshots",
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("figures", sa.Text, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", "as_of", "scope", name="pk_metric_snapshots"),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, list(columns))


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_table("metric_snapshots")
