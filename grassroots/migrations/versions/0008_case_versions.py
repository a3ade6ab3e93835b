"""Case history records changes: one row per version of a case with the period it held.

Before: one case_history row per case per ledger that listed it (the state at D was the newest row
on or before D). After: one row per version, valid_from .. valid_to (NULL while current), with
listed false for a case its district's newest ledger left out and last_listed the date of the last
ledger that listed it; the state at D is a range lookup. The rows are carried over by replaying
every district's ledgers in order (as-of date, then id) through the merge's own rule
(grassroots.warehouse.history), so every figure at every past date stays the same.

Revision ID: 0008_case_versions
Revises: 0009_findings_column_index (0005_submission_late before main had 0009)
Create Date: 2026-12-01
"""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from alembic import op

revision = "0008_case_versions"
down_revision = "0009_findings_column_index"
branch_labels = None
depends_on = None

FIELDS = (
    "title", "source", "theme", "town", "paired_unit", "responsible_unit", "responsible_person",
    "lead_leader", "reported_on", "deadline", "status", "resolved_on", "progress_note", "funds_wan",
)
DATES = {"reported_on", "deadline", "resolved_on"}
OLD = "case_history_0005"
# the columns of the covering index the case figures read (grassroots.warehouse.schema.CASE_HISTORY_STATE)
STATE = ("district", "valid_from", "valid_to", "listed", "status", "deadline", "reported_on", "resolved_on",
         "source", "theme", "town", "paired_unit", "responsible_unit", "responsible_person")
LEDGER_KINDS = ("ledger", "ledger+visits")
BATCH = 20_000


def _fields() -> list[sa.Column]:
    return [sa.Column(n, sa.Date if n in DATES else sa.Double if n == "funds_wan" else sa.Text) for n in FIELDS]


def _old_table() -> sa.Table:
    return sa.Table(OLD, sa.MetaData(), sa.Column("district", sa.Text), sa.Column("case_id", sa.Text),
                    sa.Column("as_of", sa.Date), sa.Column("submission_id", sa.Integer), *_fields(),
                    sa.Column("source_sheet", sa.Text), sa.Column("source_row", sa.Integer))


def _new_columns() -> list[sa.Column]:
    return [
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("case_id", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("listed", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("last_listed", sa.Date),
        sa.Column("submission_id", sa.Integer, nullable=False),
        *_fields(),
        sa.Column("source_sheet", sa.Text),
        sa.Column("source_row", sa.Integer),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_case_history_lead_leader", table_name="case_history")
    op.rename_table("case_history", OLD)
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_case_history TO pk_{OLD}")
    new = op.create_table("case_history", *_new_columns(),
                          sa.PrimaryKeyConstraint("district", "case_id", "valid_from", name="pk_case_history"))
    _carry_over(bind, new)
    op.drop_table(OLD)
    op.create_index("ix_case_history_lead_leader", "case_history", ["lead_leader"])
    op.create_index("ix_case_history_state", "case_history", list(STATE))
    for name, columns, where in _partial_indexes():
        op.create_index(name, "case_history", columns, postgresql_where=where, sqlite_where=where)


def _partial_indexes():
    """The figures' partial indexes (declared in grassroots.warehouse.schema.CASE_HISTORY_INDEXES)."""
    return (
        ("ix_case_history_open_deadline", ["deadline", "valid_from", "valid_to"], sa.text("status <> '已办结'")),
        ("ix_case_history_resolved", ["district", "reported_on", "resolved_on", "valid_from", "valid_to"],
         sa.text("status = '已办结'")),
        ("ix_case_history_missing", ["district", "valid_from", "valid_to"], sa.text("NOT listed")),
    )


def _carry_over(bind, new: sa.Table) -> None:
    from grassroots.warehouse import history

    old = _old_table()
    subs = sa.table("submissions", sa.column("id", sa.Integer), sa.column("district", sa.Text),
                    sa.column("as_of", sa.Date), sa.column("fate", sa.Text), sa.column("state", sa.Text),
                    sa.column("kind", sa.Text))
    ledgers: dict[str, set] = {}
    for r in bind.execute(sa.select(subs.c.district, subs.c.as_of, subs.c.id).where(
            subs.c.fate == "accepted", subs.c.state.in_(("merged", "done")), subs.c.kind.in_(LEDGER_KINDS),
            subs.c.as_of.is_not(None))):
        ledgers.setdefault(r.district, set()).add((r.as_of, r.id))
    for r in bind.execute(sa.select(old.c.district, old.c.as_of, old.c.submission_id).distinct()):
        ledgers.setdefault(r.district, set()).add((r.as_of, r.submission_id))

    pending: list[dict] = []
    for district, listed_by in sorted(ledgers.items()):
        rows = bind.execute(sa.select(old).where(old.c.district == district)
                            .order_by(old.c.as_of, old.c.submission_id))
        by_ledger = {key: list(group) for key, group in itertools.groupby(rows, lambda r: (r.as_of, r.submission_id))}
        current: list = []
        previous = None
        for as_of, sid in sorted(listed_by):  # each ledger newer than the ones before: n is None
            listing = {r.case_id: history.Row(tuple(getattr(r, n) for n in FIELDS), r.source_sheet, r.source_row)
                       for r in by_ledger.pop((as_of, sid), ())}
            versions = history.apply_ledger(current, listing, submission_id=sid, as_of=as_of, next_as_of=None,
                                            previous_as_of=previous)
            current = [v for v in versions if v.valid_to is None]
            pending += [_row(district, v) for v in versions if v.valid_to is not None]
            previous = as_of
            if len(pending) >= BATCH:
                bind.execute(sa.insert(new), pending)
                pending.clear()
        pending += [_row(district, v) for v in current]
    if pending:
        bind.execute(sa.insert(new), pending)


def _row(district: str, v) -> dict:
    return {"district": district, "case_id": v.case_id, "valid_from": v.valid_from, "valid_to": v.valid_to,
            "listed": v.listed, "last_listed": v.last_listed, "submission_id": v.submission_id,
            **dict(zip(FIELDS, v.fields, strict=True)), "source_sheet": v.source_sheet, "source_row": v.source_row}


def downgrade() -> None:
    """Back to one row per listing as far as versions tell: each version becomes the row of its first ledger."""
    bind = op.get_bind()
    for name, _, _ in _partial_indexes():
        op.drop_index(name, table_name="case_history")
    op.drop_index("ix_case_history_state", table_name="case_history")
    op.drop_index("ix_case_history_lead_leader", table_name="case_history")
    op.rename_table("case_history", OLD)
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_case_history TO pk_{OLD}")
    op.create_table(
        "case_history",
        sa.Column("district", sa.Text, nullable=False), sa.Column("case_id", sa.Text, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False), sa.Column("submission_id", sa.Integer, nullable=False),
        *_fields(), sa.Column("source_sheet", sa.Text), sa.Column("source_row", sa.Integer),
        sa.PrimaryKeyConstraint("district", "case_id", "submission_id", name="pk_case_history"),
    )
    columns = ", ".join(FIELDS)
    op.execute(f"INSERT INTO case_history (district, case_id, as_of, submission_id, {columns}, source_sheet, source_row) "
               f"SELECT district, case_id, valid_from, submission_id, {columns}, source_sheet, source_row "
               f"FROM {OLD} WHERE listed")
    op.drop_table(OLD)
    op.create_index("ix_case_history_lead_leader", "case_history", ["lead_leader"])
