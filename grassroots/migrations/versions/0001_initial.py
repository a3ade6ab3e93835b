"""The warehouse: reference data, submissions and findings, cases with history, visits.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

CASE_FIELDS = (
    ("title", sa.Text), ("source", sa.Text), ("theme", sa.Text), ("town", sa.Text), ("paired_unit", sa.Text),
    ("responsible_unit", sa.Text), ("responsible_person", sa.Text), ("lead_leader", sa.Text),
    ("reported_on", sa.Date), ("deadline", sa.Date), ("status", sa.Text), ("resolved_on", sa.Date),
    ("progress_note", sa.Text), ("funds_wan", sa.Double),
)


def _case_fields() -> list[sa.Column]:
    return [sa.Column(name, type_()) for name, type_ in CASE_FIELDS]


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("code", sa.Text),
        sa.PrimaryKeyConstraint("name", name="pk_districts"),
    )
    op.create_table(
        "towns",
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("district", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_towns"),
    )
    op.create_table(
        "units",
        sa.Column("name", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_units"),
    )
    op.create_table(
        "pairings",
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("town", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("unit", name="pk_pairings"),
        sa.UniqueConstraint("town", name="uq_pairings_town"),
    )
    op.create_table(
        "leaders",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("unit", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_leaders"),
    )
    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recipients"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("checksum", sa.Text, nullable=False),
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("inbox_path", sa.Text),
        sa.Column("file_name", sa.Text),
        sa.Column("archive_path", sa.Text),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("received_at", TZ),
        sa.Column("kind", sa.Text),
        sa.Column("as_of", sa.Date),
        sa.Column("as_of_source", sa.Text),
        sa.Column("state", sa.Text, nullable=False, server_default="received"),
        sa.Column("fate", sa.Text, nullable=False, server_default="pending"),
        sa.Column("reason", sa.Text),
        sa.Column("rows_total", sa.Integer),
        sa.Column("rows_accepted", sa.Integer),
        sa.Column("errors", sa.Integer),
        sa.Column("warnings", sa.Integer),
        sa.Column("receipt_path", sa.Text),
        sa.Column("datadocs_path", sa.Text),
        sa.Column("updated_at", TZ),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
        sa.UniqueConstraint("checksum", name="uq_submissions_checksum"),
    )
    op.create_index("ix_submissions_district_state", "submissions", ["district", "state"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("submission_id", sa.Integer, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("sheet", sa.Text),
        sa.Column("row", sa.Integer),
        sa.Column("column_name", sa.Text),
        sa.Column("value", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("fix", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], name="fk_findings_submission_id_submissions"),
    )
    op.create_index("ix_findings_submission_id", "findings", ["submission_id"])
    op.create_table(
        "cases",
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("case_id", sa.Text, nullable=False),
        *_case_fields(),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("submission_id", sa.Integer, nullable=False),
        sa.Column("source_row", sa.Integer),
        sa.Column("first_as_of", sa.Date, nullable=False),
        sa.Column("missing_since", sa.Date),
        sa.Column("updated_at", TZ),
        sa.PrimaryKeyConstraint("district", "case_id", name="pk_cases"),
    )
    op.create_table(
        "case_history",
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("case_id", sa.Text, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("submission_id", sa.Integer, nullable=False),
        *_case_fields(),
        sa.Column("source_sheet", sa.Text),
        sa.Column("source_row", sa.Integer),
        sa.PrimaryKeyConstraint("district", "case_id", "submission_id", name="pk_case_history"),
    )
    op.create_table(
        "visits",
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("visit_key", sa.Text, nullable=False),
        sa.Column("visit_id", sa.Text),
        sa.Column("visit_date", sa.Date),
        sa.Column("unit", sa.Text),
        sa.Column("leader", sa.Text),
        sa.Column("leader_title", sa.Text),
        sa.Column("town", sa.Text),
        sa.Column("target", sa.Text),
        sa.Column("target_type", sa.Text),
        sa.Column("activity", sa.Text),
        sa.Column("participants", sa.Integer),
        sa.Column("problems_collected", sa.Integer),
        sa.Column("note", sa.Text),
        sa.Column("submission_id", sa.Integer, nullable=False),
        sa.Column("source_sheet", sa.Text),
        sa.Column("source_row", sa.Integer),
        sa.Column("first_as_of", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("district", "visit_key", name="pk_visits"),
    )
    op.create_table(
        "visit_cases",
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("visit_key", sa.Text, nullable=False),
        sa.Column("case_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("district", "visit_key", "case_id", name="pk_visit_cases"),
        sa.ForeignKeyConstraint(["district", "visit_key"], ["visits.district", "visits.visit_key"],
                                name="fk_visit_cases_district_visits"),
    )


def downgrade() -> None:
    for table in ("visit_cases", "visits", "case_history", "cases", "findings", "submissions",
                  "recipients", "leaders", "pairings", "units", "towns", "districts"):
        op.drop_table(table)
