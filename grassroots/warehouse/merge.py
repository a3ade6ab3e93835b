"""Merge a validated submission into cases, case history and visits: write, audit, publish.

Everything happens in one transaction that starts by claiming the submission (state validated
-> merged, a conditional UPDATE that a second run at once waits on and then finds done). A crash
or a dropped connection anywhere before the commit leaves the warehouse as it was and the
submission 'validated', so the next run merges it. Rows go through temporary stage tables and
`INSERT ... ON CONFLICT DO UPDATE ... WHERE <newer> AND <something differs>`, so a re-merge
writes nothing and an older ledger (by as-of date) adds history without overwriting newer state.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from grassroots import settings
from grassroots.warehouse import db, staging
from grassroots.warehouse.lifecycle import IN_WAREHOUSE, Fate, State
from grassroots.warehouse.schema import (
    CASE_FIELDS,
    VISIT_FIELDS,
    case_history,
    cases,
    submissions,
    utc_now,
    visit_cases,
    visits,
)
from grassroots.warehouse.staging import stage_ledger, stage_links, stage_visits

LEDGER_KINDS = ("ledger", "ledger+visits")
_PG_MERGE_LOCK = 0x6D657267  # advisory lock space of the per-district merge lock

# Test hooks: pause the merge at a named point (the fault tests kill or disconnect it there).
PAUSE_ENV = "GRASSROOTS_TEST_PAUSE_MERGE_AT"  # read by settings.py (merge_pause_at)
PAUSE_FILE_ENV = "GRASSROOTS_TEST_PAUSE_FILE"
checkpoint_hook: Callable[[str, Connection], None] | None = None


@dataclass
class MergeResult:
    changed: bool
    cases_inserted: int = 0
    cases_updated: int = 0
    history_rows: int = 0
    visits_inserted: int = 0
    visit_links: int = 0
    cases_flagged_missing: int = 0
    visits_updated: int = 0


def merge_submission(engine: Engine, submission_id: int, *, district: str, as_of: dt.date,
                     ledger: pd.DataFrame | None, visits: pd.DataFrame | None) -> MergeResult:
    """Merge the submission's canonical frames; a no-op (changed=False) when it is merged already."""
    as_of = _as_date(as_of)
    if _merged_already(engine, submission_id):  # cheap early answer; the claim below is the real guard
        return MergeResult(changed=False)
    ledger_stage = staging.ledger_rows(ledger) if ledger is not None else None
    visit_stage = staging.visit_rows(visits) if visits is not None else None
    kind = "+".join(k for k, f in (("ledger", ledger), ("visits", visits)) if f is not None) or None
    accepted = sum(len(f) for f in (ledger, visits) if f is not None)
    with db.write_transaction(engine) as conn:
        if not _claim(conn, submission_id, district, as_of, kind, accepted):
            return MergeResult(changed=False)
        _checkpoint("claimed", conn)
        result = MergeResult(changed=True)
        if ledger_stage is not None:
            _merge_ledger(conn, submission_id, district, as_of, ledger_stage, result)
        if visit_stage is not None:
            _merge_visits(conn, submission_id, district, as_of, *visit_stage, result)
        staging.drop(conn, stage_ledger, stage_visits, stage_links)
        _checkpoint("before_commit", conn)
    return result


def _merged_already(engine: Engine, submission_id: int) -> bool:
    with db.read_connection(engine) as conn:
        row = conn.execute(sa.select(submissions.c.state, submissions.c.fate)
                           .where(submissions.c.id == submission_id)).first()
    return row is not None and row.fate == Fate.ACCEPTED and row.state in IN_WAREHOUSE


def _as_date(value) -> dt.date:
    if value is None or value is pd.NaT:
        raise ValueError("merge_submission needs the ledger's as-of date (or the arrival date when it has none)")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _checkpoint(name: str, conn: Connection) -> None:
    if checkpoint_hook is not None:
        checkpoint_hook(name, conn)
    current = settings.load()
    if current.merge_pause_at == name:
        Path(current.merge_pause_file).write_text(str(os.getpid()), encoding="utf-8")
        while True:  # until the test kills this process
            time.sleep(1)


def _insert(conn: Connection):
    return postgresql.insert if db.is_postgres(conn) else sqlite.insert


# --- claim ----------------------------------------------------------------------------------

def _claim(conn: Connection, submission_id: int, district: str, as_of: dt.date, kind: str | None,
           accepted: int) -> bool:
    """validated -> merged inside the merge transaction: True when this run holds the submission."""
    claimed = conn.execute(
        sa.update(submissions)
        .where(submissions.c.id == submission_id, submissions.c.state == State.VALIDATED,
               submissions.c.district == district)
        .values(state=State.MERGED, fate=Fate.ACCEPTED, as_of=as_of, kind=kind, rows_accepted=accepted,
                updated_at=utc_now())
    ).rowcount
    if claimed:
        if db.is_postgres(conn):  # one merge per district at a time (SQLite's write lock does this already)
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:space, hashtext(:district))"),
                         {"space": _PG_MERGE_LOCK, "district": district})
        return True
    row = conn.execute(
        sa.select(submissions.c.state, submissions.c.fate, submissions.c.district)
        .where(submissions.c.id == submission_id)
    ).first()
    if row is None:
        raise LookupError(f"no submission with id {submission_id}")
    if row.district != district:
        raise ValueError(f"submission {submission_id} belongs to {row.district!r}, not {district!r}")
    if row.fate == Fate.ACCEPTED and row.state in IN_WAREHOUSE:
        return False
    raise ValueError(f"submission {submission_id} is {row.state}/{row.fate}; only a validated one can be merged")


# --- ledger ---------------------------------------------------------------------------------

def _merge_ledger(conn: Connection, sid: int, district: str, as_of: dt.date, rows: pd.DataFrame,
                  result: MergeResult) -> None:
    staging.stage(conn, stage_ledger, rows)
    _checkpoint("staged", conn)
    s = stage_ledger.c
    d, a, i = (sa.literal(district, sa.Text), sa.literal(as_of, sa.Date), sa.literal(sid, sa.Integer))
    fields = [s[name] for name in CASE_FIELDS]

    # A submission's history is written whole in one transaction, so one row tells whether it is
    # there (a forced re-merge); when it is not, a plain INSERT is the cheapest way in.
    if not rows.empty and not _history_recorded(conn, sid, district, rows["case_id"].iloc[0]):
        history = sa.insert(case_history).from_select(
            ["district", "case_id", "as_of", "submission_id", *CASE_FIELDS, "source_sheet", "source_row"],
            sa.select(d, s.case_id, a, i, *fields, s.source_sheet, s.source_row),
        )
        result.history_rows = _rows(conn, history)
    _checkpoint("history", conn)

    written = (*CASE_FIELDS, "as_of", "submission_id", "source_row")
    incoming = {**{name: s[name] for name in CASE_FIELDS}, "as_of": a, "submission_id": i, "source_row": s.source_row}
    # Rows that would change nothing are left out before the upsert (no write, no row lock);
    # the ON CONFLICT clause repeats the test for a row another merge wrote meanwhile.
    unchanged = sa.select(cases.c.case_id).where(
        cases.c.district == district, cases.c.case_id == s.case_id,
        ~sa.and_(_newer(a, i, cases.c.as_of, cases.c.submission_id), _differs(incoming, cases, written)),
    ).exists()
    before = _count(conn, cases, district)
    upsert = _insert(conn)(cases).from_select(
        ["district", "case_id", *CASE_FIELDS, "as_of", "submission_id", "source_row", "first_as_of", "updated_at"],
        sa.select(d, s.case_id, *fields, a, i, s.source_row, a, sa.literal(utc_now(), cases.c.updated_at.type))
        .where(~unchanged),
    )
    new = upsert.excluded
    upsert = upsert.on_conflict_do_update(
        index_elements=["district", "case_id"],
        set_={**{name: new[name] for name in written}, "updated_at": new.updated_at},
        where=sa.and_(
            _newer(new.as_of, new.submission_id, cases.c.as_of, cases.c.submission_id),
            _differs({name: new[name] for name in written}, cases, written),
        ),
    )
    written_rows = _rows(conn, upsert)
    after = _count(conn, cases, district)
    result.cases_inserted = after - before
    result.cases_updated = written_rows - result.cases_inserted
    _checkpoint("cases", conn)

    listed = sa.select(s.case_id).where(s.case_id == cases.c.case_id).exists()
    conn.execute(  # an older ledger arriving late moves the first sighting back
        sa.update(cases).where(cases.c.district == district, cases.c.first_as_of > as_of, listed)
        .values(first_as_of=as_of, updated_at=utc_now())
    )
    every_case_listed = after == len(rows)  # each staged case is in `cases` now: none is left out
    result.cases_flagged_missing = _flag_missing(conn, sid, district, as_of, listed, every_case_listed)


def _history_recorded(conn: Connection, sid: int, district: str, case_id: str) -> bool:
    h = case_history.c
    return conn.execute(sa.select(h.case_id).where(h.district == district, h.case_id == case_id,
                                                   h.submission_id == sid)).first() is not None


def _flag_missing(conn: Connection, sid: int, district: str, as_of: dt.date, listed,
                  every_case_listed: bool) -> int:
    """Cases the district's newest ledger no longer lists get missing_since; listed ones lose it."""
    newest = conn.execute(
        sa.select(submissions.c.id, submissions.c.as_of)
        .where(submissions.c.district == district, submissions.c.fate == Fate.ACCEPTED,
               submissions.c.state.in_(IN_WAREHOUSE), submissions.c.kind.in_(LEDGER_KINDS))
        .order_by(submissions.c.as_of.desc(), submissions.c.id.desc()).limit(1)
    ).first()
    now = utc_now()
    if newest is not None and newest.id == sid:
        flagged = 0
        if not every_case_listed:
            flagged = conn.execute(
                sa.update(cases).where(cases.c.district == district, cases.c.missing_since.is_(None), ~listed)
                .values(missing_since=as_of, updated_at=now)
            ).rowcount
        any_flagged = sa.select(cases.c.case_id).where(cases.c.district == district,
                                                       cases.c.missing_since.is_not(None)).limit(1)
        if conn.execute(any_flagged).first() is not None:
            conn.execute(
                sa.update(cases).where(cases.c.district == district, cases.c.missing_since.is_not(None), listed)
                .values(missing_since=None, updated_at=now)
            )
        return flagged
    # An older ledger: a case whose newest state it gives is one that newer ledgers do not list.
    newest_as_of = newest.as_of if newest is not None else as_of
    return conn.execute(
        sa.update(cases).where(cases.c.district == district, cases.c.submission_id == sid,
                               cases.c.missing_since.is_(None))
        .values(missing_since=newest_as_of, updated_at=now)
    ).rowcount


# --- visits ---------------------------------------------------------------------------------

def _merge_visits(conn: Connection, sid: int, district: str, as_of: dt.date, rows: pd.DataFrame,
                  links: pd.DataFrame, result: MergeResult) -> None:
    staging.stage(conn, stage_visits, rows)
    staging.stage(conn, stage_links, links)
    s = stage_visits.c
    d, a, i = (sa.literal(district, sa.Text), sa.literal(as_of, sa.Date), sa.literal(sid, sa.Integer))

    listed = sa.select(s.visit_key).where(s.visit_key == visits.c.visit_key).exists()
    conn.execute(  # an older log arriving late moves the first sighting back
        sa.update(visits).where(visits.c.district == district, visits.c.first_as_of > as_of, listed)
        .values(first_as_of=as_of)
    )
    # A visit whose current content comes from a newer submission keeps it: leave it out of the upsert.
    held_by_newer = (
        sa.select(visits.c.visit_key)
        .join(submissions, submissions.c.id == visits.c.submission_id)
        .where(visits.c.district == district, visits.c.visit_key == s.visit_key,
               ~_newer(a, i, submissions.c.as_of, submissions.c.id))
        .exists()
    )
    conn.execute(sa.delete(stage_visits).where(held_by_newer))

    written = (*VISIT_FIELDS, "submission_id", "source_sheet", "source_row")
    incoming = {**{name: s[name] for name in VISIT_FIELDS}, "submission_id": i, "source_sheet": s.source_sheet,
                "source_row": s.source_row}
    unchanged = sa.select(visits.c.visit_key).where(
        visits.c.district == district, visits.c.visit_key == s.visit_key, ~_differs(incoming, visits, written),
    ).exists()
    before = _count(conn, visits, district)
    upsert = _insert(conn)(visits).from_select(
        ["district", "visit_key", *VISIT_FIELDS, "submission_id", "source_sheet", "source_row", "first_as_of"],
        sa.select(d, s.visit_key, *(s[name] for name in VISIT_FIELDS), i, s.source_sheet, s.source_row, a)
        .where(~unchanged),
    )
    new = upsert.excluded
    upsert = upsert.on_conflict_do_update(
        index_elements=["district", "visit_key"],
        set_={name: new[name] for name in written},
        where=_differs({name: new[name] for name in written}, visits, written),
    )
    written_rows = _rows(conn, upsert)
    result.visits_inserted = _count(conn, visits, district) - before
    result.visits_updated = written_rows - result.visits_inserted
    _checkpoint("visits", conn)

    # Links follow the submission that gives the visit its current content.
    owned = (sa.select(visits.c.visit_key)
             .where(visits.c.district == district, visits.c.submission_id == sid,
                    visits.c.visit_key.in_(sa.select(s.visit_key))))
    link = stage_links.c
    conn.execute(
        sa.delete(visit_cases).where(
            visit_cases.c.district == district,
            visit_cases.c.visit_key.in_(owned),
            ~sa.select(link.visit_key).where(link.visit_key == visit_cases.c.visit_key,
                                             link.case_id == visit_cases.c.case_id).exists(),
        )
    )
    add_links = _insert(conn)(visit_cases).from_select(
        ["district", "visit_key", "case_id"],
        sa.select(d, link.visit_key, link.case_id).where(link.visit_key.in_(owned)),
    ).on_conflict_do_nothing(index_elements=["district", "visit_key", "case_id"])
    result.visit_links = _rows(conn, add_links)


# --- helpers --------------------------------------------------------------------------------

def _newer(new_as_of, new_id, old_as_of, old_id):
    """(as_of, submission id) of the incoming row is not older than the stored row's."""
    return sa.or_(new_as_of > old_as_of, sa.and_(new_as_of == old_as_of, new_id >= old_id))


def _differs(incoming: dict, table: sa.Table, names) -> sa.ColumnElement:
    """Some column of the incoming row differs from the stored one (NULL = NULL counts as equal)."""
    return sa.or_(*(incoming[name].is_distinct_from(table.c[name]) for name in names))


def _rows(conn: Connection, stmt) -> int:
    """Rows an INSERT wrote (SQLAlchemy keeps an INSERT's rowcount only when asked to)."""
    return conn.execute(stmt, execution_options={"preserve_rowcount": True}).rowcount


def _count(conn: Connection, table: sa.Table, district: str) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.district == district)).scalar()
