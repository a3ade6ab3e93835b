"""Run the metrics SQL (include/sql/select_*.sql) and hand back plain, typed rows.

Every value is bound as a parameter; dates are bound as DATE and compared as DATE values on both
databases. Counts come back as int and dates as `datetime.date` whichever database answered
(PostgreSQL sums give Decimal, SQLite gives dates as text), so the figures built from them are
identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy.engine import Connection

from grassroots.warehouse import db


@dataclass(frozen=True)
class Params:
    """The bound parameters of one computation."""

    as_of: dt.date
    period_start: dt.date
    due_soon_end: dt.date
    scope: str
    received_from: dt.datetime
    received_until: dt.datetime
    reference_folder: str
    district_from: str | None = None
    district_to: str | None = None
    """The scope as a range of district names (both the district's name; for the city, the first
    and last district in the warehouse, select_district_range.sql): a predicate both databases
    read from an index leading with district."""


def run(conn: Connection, name: str, params: Params, *, dates: tuple[str, ...] = (),
        counts: tuple[str, ...] = ()) -> list[dict]:
    """Rows of include/sql/<name>.sql as dicts; `dates` columns as date, `counts` columns as int."""
    return db.run_sql(conn, name, asdict(params), dates=dates, counts=counts)

