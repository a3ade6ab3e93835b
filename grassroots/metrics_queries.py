"""Run the metrics SQL (include/sql/select_*.sql) and hand back plain, typed rows.

Every value is bound as a parameter; dates are bound as DATE and compared as DATE values on both
databases. Counts come back as int and dates as `datetime.date` whichever database answered
(PostgreSQL sums give Decimal, SQLite gives dates as text), so the figures built from them are
identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from grassroots.warehouse import db
from grassroots.warehouse.schema import UTCDateTime

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


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

    def bind(self, text: str) -> tuple[sa.TextClause, dict]:
        """The statement with typed bind parameters, and the values of those it uses."""
        used = dict.fromkeys(_PARAM.findall(text))
        values = {name: getattr(self, name) for name in used}
        binds = [sa.bindparam(name, type_=_type(value)) for name, value in values.items()]
        return sa.text(text).bindparams(*binds), values


def _type(value) -> sa.types.TypeEngine:
    if isinstance(value, dt.datetime):
        return UTCDateTime()
    if isinstance(value, dt.date):
        return sa.Date()
    return sa.Text()


def run(conn: Connection, name: str, params: Params, *, dates: tuple[str, ...] = (),
        counts: tuple[str, ...] = ()) -> list[dict]:
    """Rows of include/sql/<name>.sql as dicts; `dates` columns as date, `counts` columns as int."""
    statement, values = params.bind(db.sql(name))
    result = conn.execute(statement, values)
    keys = list(result.keys())
    rows = [dict(zip(keys, r, strict=True)) for r in result.all()]
    for row in rows:
        for column in dates:
            row[column] = as_date(row[column])
        for column in counts:
            row[column] = as_int(row[column])
    return rows


def as_date(value) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def as_int(value) -> int:
    return 0 if value is None else int(value)  # PostgreSQL sums are Decimal
