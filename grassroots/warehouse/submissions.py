"""Submissions (one per distinct file, by checksum) and their findings."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from grassroots.findings import Finding
from grassroots.warehouse import db
from grassroots.warehouse.lifecycle import Fate, State
from grassroots.warehouse.schema import findings as findings_table
from grassroots.warehouse.schema import submissions, utc_now

_COLUMNS = frozenset(c.name for c in submissions.columns)


def _insert(bind):
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql.insert if db.is_postgres(bind) else sqlite.insert)


def find_submission(engine: Engine, checksum: str) -> dict | None:
    with db.read_connection(engine) as conn:
        row = conn.execute(sa.select(submissions).where(submissions.c.checksum == checksum)).mappings().first()
    return dict(row) if row else None


def get_submission(engine: Engine, submission_id: int) -> dict | None:
    with db.read_connection(engine) as conn:
        row = conn.execute(sa.select(submissions).where(submissions.c.id == submission_id)).mappings().first()
    return dict(row) if row else None


def register_submission(engine: Engine, *, checksum: str, district: str, inbox_path: str, file_name: str,
                        archive_path: str, size_bytes: int, received_at) -> tuple[int, bool]:
    """(id, created): the same bytes registered twice, even by two runs at once, get one record."""
    values = dict(checksum=checksum, district=district, inbox_path=inbox_path, file_name=file_name,
                  archive_path=archive_path, size_bytes=size_bytes, received_at=received_at,
                  state=State.RECEIVED, fate=Fate.PENDING, updated_at=utc_now())
    with db.write_transaction(engine) as conn:
        stmt = (_insert(conn)(submissions).values(**values)
                .on_conflict_do_nothing(index_elements=["checksum"]).returning(submissions.c.id))
        new_id = conn.execute(stmt).scalar()
        if new_id is not None:
            return int(new_id), True
        existing = conn.execute(sa.select(submissions.c.id).where(submissions.c.checksum == checksum)).scalar_one()
        return int(existing), False


def update_submission(engine: Engine, submission_id: int, **fields) -> None:
    """Set any submissions columns (updated_at follows unless given)."""
    unknown = set(fields) - _COLUMNS
    if unknown:
        raise ValueError(f"not columns of submissions: {sorted(unknown)}")
    fields.setdefault("updated_at", utc_now())
    with db.write_transaction(engine) as conn:
        result = conn.execute(sa.update(submissions).where(submissions.c.id == submission_id).values(**fields))
        if result.rowcount == 0:
            raise LookupError(f"no submission with id {submission_id}")


def known_inbox_files(engine: Engine) -> dict[str, dict]:
    """inbox_path -> the newest submission received from it (id, checksum, size_bytes, received_at,
    state, fate): lets the scan skip a file it has already taken without reading its bytes again."""
    s = submissions.c
    query = sa.select(s.id, s.inbox_path, s.checksum, s.size_bytes, s.received_at, s.state, s.fate).order_by(s.id)
    with db.read_connection(engine) as conn:
        return {r["inbox_path"]: dict(r) for r in conn.execute(query).mappings() if r["inbox_path"]}


def submissions_in_state(engine: Engine, state: str, *, district: str | None = None) -> list[dict]:
    """In arrival order, so that a district's files are handled in the order they came."""
    query = sa.select(submissions).where(submissions.c.state == state)
    if district is not None:
        query = query.where(submissions.c.district == district)
    with db.read_connection(engine) as conn:
        return [dict(r) for r in conn.execute(query.order_by(submissions.c.id)).mappings()]


def record_findings(engine: Engine, submission_id: int, findings: Iterable[Finding]) -> None:
    """Replace the submission's findings (a re-validation must not add a second copy)."""
    rows = [
        {"submission_id": submission_id, "severity": f.severity, "code": f.code, "sheet": f.sheet or None,
         "row": f.row, "column_name": f.column or None, "column_index": f.column_index, "value": f.value or None,
         "reason": f.reason, "fix": f.fix}
        for f in findings
    ]
    with db.write_transaction(engine) as conn:
        conn.execute(sa.delete(findings_table).where(findings_table.c.submission_id == submission_id))
        for start in range(0, len(rows), 10_000):
            conn.execute(sa.insert(findings_table), rows[start:start + 10_000])


def submission_findings(engine: Engine, submission_id: int) -> list[Finding]:
    """The submission's findings as the validation made them (what its receipt lists and marks)."""
    return [Finding(code=r["code"], severity=r["severity"], reason=r["reason"] or "", fix=r["fix"] or "",
                    sheet=r["sheet"] or "", row=r["row"], column=r["column_name"] or "",
                    column_index=r["column_index"], value=r["value"] or "")
            for r in load_findings(engine, submission_id)]


def load_findings(engine: Engine, submission_id: int) -> list[dict]:
    with db.read_connection(engine) as conn:
        query = (sa.select(findings_table).where(findings_table.c.submission_id == submission_id)
                 .order_by(findings_table.c.id))
        return [dict(r) for r in conn.execute(query).mappings()]
