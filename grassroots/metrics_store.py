"""Computed figures kept per (period, as-of date, scope): what a report said, for the record.

The table, and the indexes the metrics SQL relies on, are defined on the warehouse's `metadata`
(migrated by the Alembic revision 0002_metric_snapshots). Figures are stored as JSON text;
recomputing a past as-of date gives the same figures (they come from the cases' history), so a
stored snapshot can always be checked.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from grassroots import metrics
from grassroots.warehouse import db
from grassroots.warehouse.schema import UTCDateTime, case_history, cases, districts, metadata, utc_now, visits

metric_snapshots = sa.Table(
    "metric_snapshots", metadata,
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("scope", sa.Text, primary_key=True),
    sa.Column("figures", sa.Text, nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
)

# Indexes on case_history for the figures (created by revision 0008): a covering one with what the
# case figures read, and partial ones for the figures that need a few cases, not every one: the
# open cases by deadline (overdue), the resolved ones with what the median needs (read from the
# index alone), and the versions of cases left out of their newest ledger (missing).
_h = case_history.c
_OPEN, _RESOLVED = _h.status != "已办结", _h.status == "已办结"
CASE_HISTORY_STATE = ("district", "valid_from", "valid_to", "listed", "status", "deadline", "reported_on",
                      "resolved_on", "source", "theme", "town", "paired_unit", "responsible_unit", "responsible_person")
"""Every column the case figures read: the state at a date is read from this index alone (a
district's is a range of it), never from the wider table."""
CASE_HISTORY_INDEXES = (
    sa.Index("ix_case_history_state", *(_h[name] for name in CASE_HISTORY_STATE)),
    sa.Index("ix_case_history_open_deadline", _h.deadline, _h.valid_from, _h.valid_to,
             postgresql_where=_OPEN, sqlite_where=_OPEN),
    sa.Index("ix_case_history_resolved", _h.district, _h.reported_on, _h.resolved_on, _h.valid_from, _h.valid_to,
             postgresql_where=_RESOLVED, sqlite_where=_RESOLVED),
    sa.Index("ix_case_history_missing", _h.district, _h.valid_from, _h.valid_to,
             postgresql_where=~_h.listed, sqlite_where=~_h.listed),
)

# The indexes the metrics SQL relies on, on the warehouse's tables (created by the same revision).
METRICS_INDEXES = (
    sa.Index("ix_cases_as_of", cases.c.as_of),
    sa.Index("ix_cases_district_as_of", cases.c.district, cases.c.as_of, cases.c.submission_id),
    sa.Index("ix_cases_lead_leader", cases.c.lead_leader),
    sa.Index("ix_case_history_lead_leader", case_history.c.lead_leader),
    *CASE_HISTORY_INDEXES,
    sa.Index("ix_visits_unit_town", visits.c.unit, visits.c.town, visits.c.visit_date),
    sa.Index("ix_visits_town", visits.c.town, visits.c.visit_date),
    sa.Index("ix_visits_leader_unit", visits.c.leader, visits.c.unit, visits.c.visit_date),
)


def store(engine: Engine, figures: dict) -> None:
    """Insert or replace the snapshot of figures['period'], ['as_of'], ['scope']."""
    values = {
        "period": figures["period"],
        "as_of": dt.date.fromisoformat(figures["as_of"]),
        "scope": figures["scope"],
        "figures": json.dumps(figures, ensure_ascii=False),
        "computed_at": utc_now(),
    }
    with db.write_transaction(engine) as conn:
        insert = (postgresql.insert if db.is_postgres(conn) else sqlite.insert)(metric_snapshots).values(**values)
        conn.execute(insert.on_conflict_do_update(
            index_elements=["period", "as_of", "scope"],
            set_={"figures": insert.excluded.figures, "computed_at": insert.excluded.computed_at},
        ))


def load(engine: Engine, period: str, as_of: dt.date, scope: str) -> dict | None:
    """The stored figures, or None when that snapshot was never computed."""
    query = sa.select(metric_snapshots.c.figures).where(
        metric_snapshots.c.period == period, metric_snapshots.c.as_of == as_of, metric_snapshots.c.scope == scope)
    with db.read_connection(engine) as conn:
        text = conn.execute(query).scalar()
    return json.loads(text) if text is not None else None


def scopes(engine: Engine) -> list[str]:
    """全市 and every reference district (by code): the scopes a snapshot run computes."""
    with db.read_connection(engine) as conn:
        rows = conn.execute(sa.select(districts.c.name, districts.c.code)).all()
    # ordered in Python: the databases' collations order Chinese text differently
    return [metrics.CITY, *(name for name, _ in sorted(rows, key=lambda r: (r[1] or "", r[0])))]


def compute_and_store(engine: Engine, as_of: dt.date, scope: str, *, periods=("week", "month"),
                      timezone: str = metrics.DEFAULT_TIMEZONE) -> dict[str, str]:
    """Compute and keep the scope's figures at as_of for each period -> {period: headline}."""
    out = {}
    for period in periods:
        figures = metrics.compute(engine, as_of, period=period, district=None if scope == metrics.CITY else scope,
                                  timezone=timezone)
        store(engine, figures)
        out[period] = figures["headline"]
    return out
