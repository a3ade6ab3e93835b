"""The warehouse tables, defined once (SQLAlchemy Core); Alembic migrates databases to match.

Names follow notes/SCHEMA.md exactly: the metrics and report SQL is written against them.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from grassroots import clock
from grassroots.warehouse.lifecycle import Fate, State

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on both databases (SQLite keeps no zone, so we add it back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # a timestamp written by raw SQL on SQLite
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utc_now() -> dt.datetime:
    return clock.now()


Text = sa.Text
Date = sa.Date

# --- reference data (replaced as a whole) ---------------------------------------------------

districts = sa.Table(
    "districts", metadata,
    sa.Column("name", Text, primary_key=True),
    sa.Column("code", Text),
)

towns = sa.Table(
    "towns", metadata,
    sa.Column("name", Text, primary_key=True),
    sa.Column("district", Text, nullable=False),
)

units = sa.Table(
    "units", metadata,
    sa.Column("name", Text, primary_key=True),
)

pairings = sa.Table(
    "pairings", metadata,
    sa.Column("unit", Text, primary_key=True),
    sa.Column("town", Text, nullable=False, unique=True),
)

leaders = sa.Table(
    "leaders", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", Text, nullable=False),
    sa.Column("title", Text),
    sa.Column("unit", Text),
)

recipients = sa.Table(
    "recipients", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", Text, nullable=False),
    sa.Column("email", Text, nullable=False),
    sa.Column("scope", Text, nullable=False),
)

REFERENCE_TABLES = (districts, towns, units, pairings, leaders, recipients)

# --- submissions ----------------------------------------------------------------------------

submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("checksum", Text, nullable=False, unique=True),
    sa.Column("district", Text, nullable=False),
    sa.Column("inbox_path", Text),
    sa.Column("file_name", Text),
    sa.Column("archive_path", Text),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("received_at", UTCDateTime),
    sa.Column("kind", Text),
    sa.Column("as_of", Date),
    sa.Column("as_of_source", Text),
    sa.Column("late", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("state", Text, nullable=False, server_default=State.RECEIVED.value),
    sa.Column("fate", Text, nullable=False, server_default=Fate.PENDING.value),
    sa.Column("reason", Text),
    sa.Column("rows_total", sa.Integer),
    sa.Column("rows_accepted", sa.Integer),
    sa.Column("errors", sa.Integer),
    sa.Column("warnings", sa.Integer),
    sa.Column("receipt_path", Text),
    sa.Column("datadocs_path", Text),
    sa.Column("updated_at", UTCDateTime),
    sa.Index(None, "district", "state"),
)

# A receipt mailed to a district's contacts: queued when the receipt is written (sent_at empty),
# stamped once the mail server took it, so no file's receipt is ever mailed twice to an address.
receipt_mails = sa.Table(
    "receipt_mails", metadata,
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), primary_key=True),
    sa.Column("email", Text, primary_key=True),
    sa.Column("district", Text, nullable=False),
    sa.Column("queued_at", UTCDateTime, nullable=False),
    sa.Column("message_id", Text),
    sa.Column("sent_at", UTCDateTime),
)

findings = sa.Table(
    "findings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False, index=True),
    sa.Column("severity", Text, nullable=False),
    sa.Column("code", Text, nullable=False),
    sa.Column("sheet", Text),
    sa.Column("row", sa.Integer),
    sa.Column("column_name", Text),
    sa.Column("column_index", sa.Integer),  # 0-based position in the sheet: the receipt marks that cell
    sa.Column("value", Text),
    sa.Column("reason", Text),
    sa.Column("fix", Text),
)

# --- cases ----------------------------------------------------------------------------------
# submission_id in cases, case_history and visits is the lineage to the file (and source_row to
# its Excel row). It has no FOREIGN KEY on purpose: the merge writes the submission it claimed in
# the same transaction, so it is right by construction, and a per-row RI trigger would make a
# 100k-row merge about a third slower.

# Every field of a ledger row, in contract order (district and case_id are the key).
CASE_FIELDS = (
    "title", "source", "theme", "town", "paired_unit", "responsible_unit", "responsible_person",
    "lead_leader", "reported_on", "deadline", "status", "resolved_on", "progress_note", "funds_wan",
    "exemplary",
)


def _case_field_columns() -> list[sa.Column]:
    dates = {"reported_on", "deadline", "resolved_on"}
    cols = []
    for name in CASE_FIELDS:
        if name in dates:
            cols.append(sa.Column(name, Date))
        elif name == "funds_wan":
            cols.append(sa.Column(name, sa.Double))
        else:
            cols.append(sa.Column(name, Text))
    return cols


cases = sa.Table(
    "cases", metadata,
    sa.Column("district", Text, primary_key=True),
    sa.Column("case_id", Text, primary_key=True),
    *_case_field_columns(),
    sa.Column("as_of", Date, nullable=False),
    sa.Column("submission_id", sa.Integer, nullable=False),
    sa.Column("source_row", sa.Integer),
    sa.Column("first_as_of", Date, nullable=False),
    sa.Column("missing_since", Date),
    sa.Column("updated_at", UTCDateTime),
)

case_history = sa.Table(
    "case_history", metadata,
    sa.Column("district", Text, primary_key=True),
    sa.Column("case_id", Text, primary_key=True),
    sa.Column("valid_from", Date, primary_key=True),
    sa.Column("valid_to", Date),
    sa.Column("listed", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("last_listed", Date),
    sa.Column("submission_id", sa.Integer, nullable=False),
    *_case_field_columns(),
    sa.Column("source_sheet", Text),
    sa.Column("source_row", sa.Integer),
    sa.Column("row_hash", sa.BigInteger),
)
"""One row per version of a case: the state it held from valid_from (the as-of date of the ledger
that first gave it) until valid_to (the next version's, NULL while current), so the state at D is
the row with valid_from <= D < valid_to. A version with listed false is the case left out of its
district's newest ledger: it keeps the last state, and last_listed is the as-of date of the last
ledger that listed it. submission_id and source_sheet/source_row name the file and row the state
came from (the lineage). row_hash is the hash of the version's CASE_FIELDS (warehouse.row_hash), NULL
for versions written before revision 0011 (unknown: the merge compares those field by field)."""

# --- visits ---------------------------------------------------------------------------------

VISIT_FIELDS = (
    "visit_id", "visit_date", "unit", "leader", "leader_title", "town", "target", "target_type",
    "activity", "participants", "problems_collected", "note",
)

visits = sa.Table(
    "visits", metadata,
    sa.Column("district", Text, primary_key=True),
    sa.Column("visit_key", Text, primary_key=True),
    sa.Column("visit_id", Text),
    sa.Column("visit_date", Date),
    sa.Column("unit", Text),
    sa.Column("leader", Text),
    sa.Column("leader_title", Text),
    sa.Column("town", Text),
    sa.Column("target", Text),
    sa.Column("target_type", Text),
    sa.Column("activity", Text),
    sa.Column("participants", sa.Integer),
    sa.Column("problems_collected", sa.Integer),
    sa.Column("note", Text),
    sa.Column("submission_id", sa.Integer, nullable=False),
    sa.Column("source_sheet", Text),
    sa.Column("source_row", sa.Integer),
    sa.Column("first_as_of", Date, nullable=False),
)

visit_cases = sa.Table(
    "visit_cases", metadata,
    sa.Column("district", Text, primary_key=True),
    sa.Column("visit_key", Text, primary_key=True),
    sa.Column("case_id", Text, primary_key=True),
    sa.ForeignKeyConstraint(["district", "visit_key"], ["visits.district", "visits.visit_key"]),
)

WAREHOUSE_TABLES = (*REFERENCE_TABLES, submissions, findings, cases, case_history, visits, visit_cases)

# --- the figures and the mail: what was computed and sent ---------------------------------------

metric_snapshots = sa.Table(
    "metric_snapshots", metadata,
    sa.Column("period", Text, primary_key=True),
    sa.Column("as_of", Date, primary_key=True),
    sa.Column("scope", Text, primary_key=True),
    sa.Column("figures", Text, nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
)
"""The figures a report said, per (period, as-of date, scope), as JSON text (grassroots.metrics.snapshots)."""

sent_reports = sa.Table(
    "sent_reports", metadata,
    sa.Column("period", Text, primary_key=True),
    sa.Column("as_of", Date, primary_key=True),
    sa.Column("scope", Text, primary_key=True),
    sa.Column("email", Text, primary_key=True),
    sa.Column("message_id", Text, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=False),
)
"""Every address a report reached, recorded when the mail server took it: a retry mails nobody twice."""

reminders_sent = sa.Table(
    "reminders_sent", metadata,
    sa.Column("period", Text, primary_key=True),
    sa.Column("period_end", Date, primary_key=True),
    sa.Column("district", Text, primary_key=True),
    sa.Column("email", Text, primary_key=True),
    sa.Column("message_id", Text, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=False),
)
"""Every address reminded per district and period: a district is reminded once per period."""

# Indexes on case_history for the figures (created by revision 0008): a covering one with what the
# case figures read, and partial ones for the figures that need a few cases, not every one: the
# open cases by deadline (overdue, due soon; a district's by district then deadline), the resolved ones with what the median needs (read from the
# index alone), and the versions of cases left out of their newest ledger (missing).
_h = case_history.c
_OPEN, _RESOLVED = _h.status != "已办结", _h.status == "已办结"
CASE_STATE_COUNTED = ("district", "source", "theme", "town", "paired_unit", "responsible_unit", "valid_from",
                      "valid_to", "status", "deadline", "reported_on", "resolved_on", "responsible_person")
"""What the breakdown reads of a version (select_case_breakdown.sql), which groups the state as its
two parts: the current versions (valid_to NULL), read in the grain's order from
ix_case_history_current_state (a district's: one range, grouped without sorting), and the closed
versions covering the date (valid_to after it: none at the newest date), one range of
ix_case_history_closed_state, which leads with valid_to. Together the two index every version once
(valid_to is in the current one too: SQLite reads the state's predicate from the index alone).
Between them they replace the one covering index of every version (ix_case_history_state, dropped
by revision 0013), so a merge writes no more index entries than before."""
OPEN_CASE_LISTED = ("district", "case_id", "title", "town", "responsible_unit", "responsible_person", "lead_leader",
                    "status")
"""What the overdue and due-soon lists show of a case: the open cases' deadline index carries them,
so the city's tens of thousands are read from the index, not from all over the table."""
CASE_HISTORY_INDEXES = (
    sa.Index("ix_case_history_current_state", *(_h[name] for name in CASE_STATE_COUNTED),
             postgresql_where=_h.valid_to.is_(None), sqlite_where=_h.valid_to.is_(None)),
    sa.Index("ix_case_history_closed_state", _h.valid_to, *(_h[name] for name in CASE_STATE_COUNTED if name != "valid_to"),
             postgresql_where=_h.valid_to.isnot(None), sqlite_where=_h.valid_to.isnot(None)),
    sa.Index("ix_case_history_open_deadline", _h.deadline, _h.valid_from, _h.valid_to,
             *(_h[name] for name in OPEN_CASE_LISTED), postgresql_where=_OPEN, sqlite_where=_OPEN),
    sa.Index("ix_case_history_open_district", _h.district, _h.deadline, _h.valid_from, _h.valid_to,
             postgresql_where=_OPEN, sqlite_where=_OPEN),
    sa.Index("ix_case_history_resolved", _h.district, _h.reported_on, _h.resolved_on, _h.valid_from, _h.valid_to,
             postgresql_where=_RESOLVED, sqlite_where=_RESOLVED),
    sa.Index("ix_case_history_missing", _h.district, _h.valid_from, _h.valid_to,
             postgresql_where=~_h.listed, sqlite_where=~_h.listed),
)

CASE_HISTORY_CURRENT = sa.Index("ix_case_history_current", _h.district, _h.case_id, _h.row_hash, _h.listed,
                                postgresql_where=_h.valid_to.is_(None), sqlite_where=_h.valid_to.is_(None))
"""A district's current versions, one per case: the merge reads (case_id, row_hash, listed) from
this index alone to find what a ledger changes, and looks a staged case's current version up in it."""

# The indexes the metrics SQL (include/sql/) relies on.
METRICS_INDEXES = (
    sa.Index("ix_cases_as_of", cases.c.as_of),
    sa.Index("ix_cases_district_as_of", cases.c.district, cases.c.as_of, cases.c.submission_id),
    sa.Index("ix_cases_lead_leader", cases.c.lead_leader),
    sa.Index("ix_case_history_lead_leader", case_history.c.lead_leader),
    *CASE_HISTORY_INDEXES,
    sa.Index("ix_visits_unit_town", visits.c.unit, visits.c.town, visits.c.visit_date),
    sa.Index("ix_visits_town", visits.c.town, visits.c.visit_date),
    sa.Index("ix_visits_leader_unit", visits.c.leader, visits.c.unit, visits.c.visit_date),
    sa.Index("ix_visits_district_dates", visits.c.district, visits.c.visit_date, visits.c.first_as_of),
)
