"""Read-only queries of the operators' page: submissions and their fate, the cases behind a figure,
and a case's lineage back to file and row.

The SQL is in include/sql/select_*.sql with bound parameters; results come back typed (dates as
`datetime.date`, timestamps as aware UTC datetimes) whichever database answers.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from grassroots import contract
from grassroots import figures as catalogue
from grassroots.metrics import DUE_SOON_DAYS, period_start
from grassroots.warehouse import db

CITY = contract.SCOPE_CITY
FINDINGS_SHOWN = 500

FIGURES = {
    **{name: catalogue.title(name) for name in (
        "total", "not_started", "in_progress", "substantive", "resolved", "overdue", "due_soon", "open_cases",
        "accountable")},
    "not_accountable": "责任未落实",
    **{name: catalogue.title(name) for name in ("new_in_period", "resolved_in_period")},
    "missing": "最新台账未列出",
}
"""The figures an operator can drill down from (metrics.md names, labels from grassroots.figures),
and two of the page's own: open cases lacking an owner, cases the newest ledger no longer lists."""

_DATES = ("as_of", "reported_on", "deadline", "resolved_on", "first_as_of", "missing_since",
          "last_listed_as_of", "latest_ledger_as_of", "valid_to", "last_listed")
_TIMESTAMPS = ("received_at", "updated_at")


def _rows(conn: Connection, name: str, **params) -> list[dict]:
    """Rows of include/sql/<name>.sql as dicts (dates and timestamps typed)."""
    return db.run_sql(conn, name, params, dates=_DATES, timestamps=_TIMESTAMPS)


def has_warehouse(engine: Engine) -> bool:
    """Whether the warehouse tables exist yet (nothing has been ingested into a new home)."""
    with db.read_connection(engine) as conn:
        return sa.inspect(conn).has_table("submissions")


def latest_submissions(engine: Engine, per_district: int = 5) -> dict[str, list[dict]]:
    """Folder (district or _reference) -> its newest submissions, newest first."""
    out: dict[str, list[dict]] = {}
    with db.read_connection(engine) as conn:
        for row in _rows(conn, "select_latest_submissions", per_district=per_district):
            out.setdefault(row["district"], []).append(row)
    return out


def submission(engine: Engine, submission_id: int) -> dict | None:
    with db.read_connection(engine) as conn:
        rows = _rows(conn, "select_submission", submission_id=submission_id)
    return rows[0] if rows else None


def submission_findings(engine: Engine, submission_id: int, limit: int = FINDINGS_SHOWN) -> list[dict]:
    with db.read_connection(engine) as conn:
        return _rows(conn, "select_submission_findings", submission_id=submission_id, limit=limit)


def figure_cases(engine: Engine, figure: str, as_of: dt.date, *, period: str = "week",
                 district: str | None = None) -> list[dict]:
    """The cases counted in `figure` for the city or one district at `as_of` (its drill-down)."""
    if figure not in FIGURES:
        raise KeyError(figure)
    scope = district or CITY
    with db.read_connection(engine) as conn:
        if figure == "missing":
            rows = _rows(conn, "select_missing_cases", as_of=as_of, scope=scope)
        else:
            rows = _rows(conn, "select_figure_cases", as_of=as_of, scope=scope, figure=figure,
                         period_start=period_start(as_of, period),
                         due_soon_end=as_of + dt.timedelta(days=DUE_SOON_DAYS))
    return sorted(rows, key=lambda r: (r["district"], r["case_id"]))


def case(engine: Engine, district: str, case_id: str) -> tuple[dict | None, list[dict]]:
    """A case's current state and every ledger row that listed it (newest first), file and row."""
    with db.read_connection(engine) as conn:
        current = _rows(conn, "select_case", district=district, case_id=case_id)
        history = _rows(conn, "select_case_history", district=district, case_id=case_id)
    history.sort(key=lambda r: (r["as_of"], r["submission_id"]), reverse=True)
    return (current[0] if current else None), history


def newest_ledger_as_of(engine: Engine) -> dt.date | None:
    with db.read_connection(engine) as conn:
        rows = _rows(conn, "select_newest_ledger_as_of")
    return rows[0]["as_of"] if rows else None
