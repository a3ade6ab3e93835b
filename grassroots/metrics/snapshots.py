"""Computed figures kept per (period, as-of date, scope): what a report said, for the record.

The table, and the indexes the metrics SQL relies on, are in grassroots/warehouse/schema.py. Figures are stored as JSON text;
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
from grassroots.warehouse.schema import districts, metric_snapshots, utc_now


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
