"""Merge a validated submission into cases, case history and visits: write, audit, publish.

Everything happens in one transaction that starts by claiming the submission (state validated
-> merged, a conditional UPDATE that a second run at once waits on and then finds done). A crash
or a dropped connection anywhere before the commit leaves the warehouse as it was and the
submission 'validated', so the next run merges it. Rows go through temporary stage tables.
A ledger writes only what it changes: a case's history is one row per version (history.py), so a
ledger that repeats the last one writes nothing but the rows that differ; an older ledger (by
as-of date) arriving late rewrites the versions from its date on by the same rule. The district's
newest ledger does not even stage its unchanged rows: each version keeps the hash of its fields
(row_hash.py), compared in pandas with the ledger's before anything is staged. Visits are
upserted (`INSERT ... ON CONFLICT DO UPDATE ... WHERE <newer> AND <something differs>`).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from grassroots import settings
from grassroots.warehouse import db, history, row_hash, staging
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
from grassroots.warehouse.staging import stage_absent, stage_ledger, stage_links, stage_visits

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
    ledger_rows_staged: int = field(default=0, compare=False)  # how the merge worked, not what it did


def merge_submission(engine: Engine, submission_id: int, *, district: str, as_of: dt.date,
                     ledger: pd.DataFrame | None, visits: pd.DataFrame | None) -> MergeResult:
    """Merge the submission's canonical frames; a no-op (changed=False) when it is merged already."""
    as_of = _as_date(as_of)
    if _merged_already(engine, submission_id):  # cheap early answer; the claim below is the real guard
        return MergeResult(changed=False)
    visit_stage = staging.visit_rows(visits) if visits is not None else None
    kind = "+".join(k for k, f in (("ledger", ledger), ("visits", visits)) if f is not None) or None
    accepted = sum(len(f) for f in (ledger, visits) if f is not None)
    with db.write_transaction(engine) as conn:
        if not _claim(conn, submission_id, district, as_of, kind, accepted):
            return MergeResult(changed=False)
        _checkpoint("claimed", conn)
        result = MergeResult(changed=True)
        if ledger is not None:
            _merge_ledger(conn, submission_id, district, as_of, ledger, result)
        if visit_stage is not None:
            _merge_visits(conn, submission_id, district, as_of, *visit_stage, result)
        staging.drop(conn, stage_ledger, stage_absent, stage_visits, stage_links)
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

def _merge_ledger(conn: Connection, sid: int, district: str, as_of: dt.date, ledger: pd.DataFrame,
                  result: MergeResult) -> None:
    """History records changes: a case's version is closed and a new one opened only where the
    ledger changes it (its row differs, or it is left out or listed again); `cases` follows."""
    previous, following = _neighbours(conn, sid, district, as_of)
    if following is None:
        staged = _stage_newest(conn, district, ledger)
        result.ledger_rows_staged = staged.rows
        _checkpoint("staged", conn)
        _merge_newest_ledger(conn, sid, district, as_of, previous, staged, result)
    else:  # an older ledger arriving late: the general rule, in Python, over this district's versions
        rows = staging.ledger_rows(ledger)
        staging.stage(conn, stage_ledger, rows)
        result.ledger_rows_staged = len(rows)
        _checkpoint("staged", conn)
        _merge_older_ledger(conn, sid, district, as_of, previous, following, result)
    _checkpoint("cases", conn)


def _neighbours(conn: Connection, sid: int, district: str, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """As-of dates of the district's accepted ledgers just before and just after this one (by as_of, id)."""
    s = submissions.c
    ledgers = sa.select(s.as_of).where(s.district == district, s.fate == Fate.ACCEPTED, s.id != sid,
                                        s.state.in_(IN_WAREHOUSE), s.kind.in_(LEDGER_KINDS))
    before = sa.or_(s.as_of < as_of, sa.and_(s.as_of == as_of, s.id < sid))
    previous = conn.execute(ledgers.where(before).order_by(s.as_of.desc()).limit(1)).scalar()
    following = conn.execute(ledgers.where(~before).order_by(s.as_of).limit(1)).scalar()
    return _as_date_or_none(previous), _as_date_or_none(following)


def _as_date_or_none(value) -> dt.date | None:
    return None if value is None else _as_date(value)


class _Staged(NamedTuple):
    rows: int  # ledger rows in stage_ledger
    absent: int  # case ids in stage_absent
    left_out: int  # of those, listed until now
    unknown: int  # staged rows of listed cases whose current version's hash is unknown (NULL)


def _stage_newest(conn: Connection, district: str, ledger: pd.DataFrame) -> _Staged:
    """Stage what the newest ledger may change, from the district's current versions (one read of
    the index of current versions): in stage_ledger the rows of cases that are new, changed (their
    hash differs or is unknown) or listed again; in stage_absent the ids of the cases it does not
    list. The rows of the listed cases whose hash is the same are left out. The stage rows are made,
    compared and loaded a chunk at a time (staging.ledger_chunks)."""
    h = case_history.c
    found = db.driver_rows(conn, sa.select(h.case_id, h.row_hash, h.listed)
                           .where(h.district == district, h.valid_to.is_(None)))
    ids, hashes, listed = ([row[k] for row in found] for k in range(3))
    # object indexes: looked up by hash table (Arrow strings' isin goes value by value in Python)
    current = pd.DataFrame({"row_hash": pd.array(hashes, dtype="Int64"), "listed": pd.array(listed, dtype="Int64") == 1},
                           index=pd.Index(ids, dtype=object))
    counts = {"rows": 0, "unknown": 0}

    def changed(rows: pd.DataFrame) -> pd.DataFrame:
        stored = current.reindex(pd.Index(rows["case_id"].to_numpy(dtype=object), dtype=object))  # NA: new case
        listed_now = stored["listed"].array.fillna(False)
        same = ((stored["row_hash"].array == rows["row_hash"].array) & listed_now).fillna(False).to_numpy(dtype=bool)
        counts["unknown"] += int((stored["row_hash"].array.isna() & listed_now).sum())
        counts["rows"] += int((~same).sum())
        return rows[~same]

    staging.stage(conn, stage_ledger, (changed(rows) for rows in staging.ledger_chunks(ledger)))
    absent = ~current.index.isin(staging.ledger_case_ids(ledger))
    staging.stage(conn, stage_absent, pd.DataFrame({"case_id": pd.Series(current.index[absent], dtype="str")}))
    return _Staged(counts["rows"], int(absent.sum()),
                   int((absent & current["listed"].to_numpy(dtype=bool)).sum()), counts["unknown"])


def _merge_newest_ledger(conn: Connection, sid: int, district: str, as_of: dt.date, previous: dt.date | None,
                         staged_now: _Staged, result: MergeResult) -> None:
    """The common case, set-at-a-time: versions change where the ledger changes something. The
    stage holds the rows that may change something (_stage_newest); a step with nothing staged
    for it is not run."""
    s, h = stage_ledger.c, case_history.c
    d, a, i = (sa.literal(district, sa.Text), sa.literal(as_of, sa.Date), sa.literal(sid, sa.Integer))
    now = sa.literal(utc_now(), cases.c.updated_at.type)
    fields = [s[name] for name in CASE_FIELDS]
    current = sa.and_(h.district == district, h.valid_to.is_(None))
    staged = h.case_id.in_(sa.select(s.case_id))  # IN, not EXISTS: SQLite then looks each staged case up
    absent = sa.select(stage_absent.c.case_id)
    version_columns = ["district", "case_id", "valid_from", "valid_to", "listed", "last_listed", "submission_id",
                       *CASE_FIELDS, "source_sheet", "source_row", "row_hash"]

    # Left out: a listed case the ledger does not list becomes missing from this date, with its last state.
    left_out = sa.and_(current, h.listed, h.case_id.in_(absent))
    last = sa.literal(previous if previous is not None else as_of, sa.Date)
    if staged_now.left_out:
        result.history_rows += _rows(conn, sa.insert(case_history).from_select(version_columns, sa.select(
            h.district, h.case_id, a, sa.null(), sa.false(), last, h.submission_id,
            *(h[name] for name in CASE_FIELDS), h.source_sheet, h.source_row, h.row_hash,
        ).where(left_out, h.valid_from < as_of)))
        conn.execute(sa.update(case_history).where(left_out, h.valid_from < as_of).values(valid_to=as_of))
        conn.execute(sa.update(case_history).where(left_out, h.valid_from == as_of)  # a same-date ledger's own
                     .values(listed=False, last_listed=last))
    if staged_now.absent:
        result.cases_flagged_missing = conn.execute(
            sa.update(cases).where(cases.c.district == district, cases.c.missing_since.is_(None),
                                   cases.c.case_id.in_(absent))
            .values(missing_since=as_of, as_of=last, updated_at=now)
        ).rowcount
    _checkpoint("history", conn)
    if not staged_now.rows:
        return

    # Unchanged: listed now with the same row; staged only when the hash of its current version is
    # unknown (NULL, before revision 0011): compared field by field, that version gets the ledger's
    # hash. Only the rest of the stage is written.
    same = sa.select(h.case_id).where(current, h.case_id == s.case_id, h.listed,
                                      *(s[name].is_not_distinct_from(h[name]) for name in CASE_FIELDS)).exists()
    known = []
    if staged_now.unknown:
        known = conn.execute(sa.delete(stage_ledger).where(same).returning(s.case_id, s.row_hash)).all()
    if known:
        conn.execute(sa.update(case_history).where(current, h.case_id == sa.bindparam("known_case"))
                     .values(row_hash=sa.bindparam("known_hash")),
                     [{"known_case": case_id, "known_hash": fields_hash} for case_id, fields_hash in known])
    changed = sa.and_(current, staged)
    conn.execute(sa.update(case_history).where(changed, h.valid_from < as_of).values(valid_to=as_of))
    conn.execute(sa.delete(case_history).where(changed, h.valid_from == as_of))
    result.history_rows += _rows(conn, sa.insert(case_history).from_select(version_columns, sa.select(
        d, s.case_id, a, sa.null(), sa.true(), sa.null(), i, *fields, s.source_sheet, s.source_row, s.row_hash)))

    before = _count(conn, cases, district)
    upsert = _insert(conn)(cases).from_select(
        ["district", "case_id", *CASE_FIELDS, "as_of", "submission_id", "source_row", "first_as_of", "missing_since",
         "updated_at"],
        sa.select(d, s.case_id, *fields, a, i, s.source_row, a, sa.null(), now)
        .where(s.case_id.is_not(None)),  # a WHERE lets SQLite parse the ON CONFLICT after a SELECT
    )
    new = upsert.excluded
    written = (*CASE_FIELDS, "as_of", "submission_id", "source_row", "missing_since", "updated_at")
    upsert = upsert.on_conflict_do_update(index_elements=["district", "case_id"],
                                          set_={name: new[name] for name in written})
    written_rows = _rows(conn, upsert)
    result.cases_inserted = _count(conn, cases, district) - before
    result.cases_updated = written_rows - result.cases_inserted


def _merge_older_ledger(conn: Connection, sid: int, district: str, as_of: dt.date, previous: dt.date | None,
                        following: dt.date, result: MergeResult) -> None:
    """Rare: recompute the district's versions from this date on and write the difference."""
    h, s = case_history.c, stage_ledger.c
    names = [c.name for c in case_history.columns if c.name != "district"]
    touching = sa.and_(h.district == district, sa.or_(h.valid_to.is_(None), h.valid_to > as_of))
    old = {_version(r) for r in conn.execute(sa.select(*(h[n] for n in names)).where(touching))}
    rows = {r.case_id: history.Row(tuple(r[1:1 + len(CASE_FIELDS)]), r.source_sheet, r.source_row)
            for r in conn.execute(sa.select(s.case_id, *(s[n] for n in CASE_FIELDS), s.source_sheet, s.source_row))}
    new = set(history.apply_ledger(old, rows, submission_id=sid, as_of=as_of, next_as_of=following,
                                   previous_as_of=previous))
    gone, added = old - new, new - old
    for version in gone:
        conn.execute(sa.delete(case_history).where(h.district == district, h.case_id == version.case_id,
                                                   h.valid_from == version.valid_from))
    if added:
        hashes = row_hash.of_fields([v.fields for v in added])
        conn.execute(sa.insert(case_history), [_version_row(district, v, h) for v, h in zip(added, hashes, strict=True)])
    result.history_rows = len(added)
    _checkpoint("history", conn)

    # `cases` is every case's current version, first_as_of its earliest listing, missing_since when
    # its current version is a missing one (from that version's start).
    current = {v.case_id: v for v in new if v.valid_to is None}
    stored = {r.case_id: r for r in conn.execute(sa.select(cases).where(cases.c.district == district))}
    now = utc_now()
    for case_id, v in current.items():
        values = {**dict(zip(CASE_FIELDS, v.fields, strict=True)), "submission_id": v.submission_id,
                  "source_row": v.source_row, "as_of": v.valid_from if v.listed else v.last_listed,
                  "missing_since": None if v.listed else v.valid_from}
        row = stored.get(case_id)
        first = as_of if case_id in rows else None
        if row is None:
            conn.execute(sa.insert(cases).values(district=district, case_id=case_id, first_as_of=first or v.valid_from,
                                                 updated_at=now, **values))
            result.cases_inserted += 1
            continue
        changed = any(getattr(row, k) != val for k, val in values.items())
        if first is not None and row.first_as_of > first:  # seen earlier than known: not a change of state
            values["first_as_of"] = first
        if changed or "first_as_of" in values:
            conn.execute(sa.update(cases).where(cases.c.district == district, cases.c.case_id == case_id)
                         .values(updated_at=now, **values))
        result.cases_updated += changed
        result.cases_flagged_missing += changed and not v.listed and row.missing_since is None


def _version(r) -> history.Version:
    fields = tuple(_as_date_or_none(getattr(r, n)) if n in _DATE_FIELDS else getattr(r, n) for n in CASE_FIELDS)
    return history.Version(r.case_id, _as_date(r.valid_from), _as_date_or_none(r.valid_to), bool(r.listed),
                           _as_date_or_none(r.last_listed), r.submission_id, fields, r.source_sheet, r.source_row)


_DATE_FIELDS = {"reported_on", "deadline", "resolved_on"}


def _version_row(district: str, v: history.Version, fields_hash: int) -> dict:
    return {"district": district, "case_id": v.case_id, "valid_from": v.valid_from, "valid_to": v.valid_to,
            "listed": v.listed, "last_listed": v.last_listed, "submission_id": v.submission_id,
            **dict(zip(CASE_FIELDS, v.fields, strict=True)), "source_sheet": v.source_sheet,
            "source_row": v.source_row, "row_hash": fields_hash}


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
