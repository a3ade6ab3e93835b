"""Sample submissions for the warehouse tests, as the reader hands them over (Table.canonical)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import sqlalchemy as sa

from grassroots import clock, contract, warehouse
from grassroots.intake import reader

DISTRICT = "海曙区"


def case(case_id: str, status: str = "推进中", **fields) -> dict:
    """One ledger row as typed text (what a district writes)."""
    row = {
        "case_id": case_id, "title": f"问题{case_id}", "source": "民生实事", "theme": "民生所盼",
        "district": DISTRICT, "town": "章水镇", "paired_unit": "市发改委", "responsible_unit": "市交通局",
        "responsible_person": "李四", "lead_leader": "王五", "reported_on": "2026-10-01",
        "deadline": "2026-12-31", "status": status, "resolved_on": "2026-11-01" if status == "已办结" else None,
        "progress_note": None, "funds_wan": "400万元",
    }
    row.update(fields)
    return row


def visit(visit_id: str | None = None, target: str = "李家坑村", case_ids: str | None = None, **fields) -> dict:
    row = {
        "visit_id": visit_id, "visit_date": "2026-11-03", "unit": "市发改委", "leader": "王五",
        "leader_title": "副主任", "district": DISTRICT, "town": "章水镇", "target": target,
        "target_type": "村", "activity": "走访", "participants": "12人", "problems_collected": "2",
        "case_ids": case_ids, "note": None,
    }
    row.update(fields)
    return row


def frame(kind: str, rows: list[dict], checksum: str, first_row: int = 3) -> pd.DataFrame:
    """Rows -> the canonical frame the reader gives for them (same dtypes, Excel row numbers)."""
    spec = contract.sheet_for(kind)
    index = pd.Index(range(first_row, first_row + len(rows)), dtype="int64", name="row")
    text = pd.DataFrame([{f: r.get(f) for f in spec.fields} for r in rows], index=index, columns=list(spec.fields))
    text = text.astype("str")
    table = reader.Table(kind, spec.name, first_row - 1, {}, text, reader.typed(spec, text))
    return table.canonical(checksum)


def submit(engine, name: str, *, district: str = DISTRICT, state: str = "validated") -> tuple[int, str]:
    """Register a submission as the ingest would, and bring it to `state`. -> (id, checksum)."""
    checksum = hashlib.sha256(name.encode()).hexdigest()
    sid, _ = warehouse.register_submission(
        engine, checksum=checksum, district=district, inbox_path=f"inbox/{district}/{name}", file_name=name,
        archive_path=f"archive/{checksum}", size_bytes=1000, received_at=clock.now())
    warehouse.update_submission(engine, sid, state=state)
    return sid, checksum


def merge_ledger(engine, name: str, as_of: dt.date, rows: list[dict], *, visits: list[dict] | None = None,
                 district: str = DISTRICT):
    sid, checksum = submit(engine, name, district=district)
    result = warehouse.merge_submission(
        engine, sid, district=district, as_of=as_of, ledger=frame("ledger", rows, checksum),
        visits=frame("visits", visits, checksum) if visits else None)
    return sid, result


def merge_visits(engine, name: str, as_of: dt.date, rows: list[dict], *, district: str = DISTRICT):
    sid, checksum = submit(engine, name, district=district)
    result = warehouse.merge_submission(engine, sid, district=district, as_of=as_of, ledger=None,
                                        visits=frame("visits", rows, checksum))
    return sid, result


def table_rows(engine, table: str, order_by: str | None = None) -> list[dict]:
    from grassroots.warehouse import schema

    t = schema.metadata.tables[table]
    query = sa.select(t)
    if order_by:
        query = query.order_by(*(t.c[c] for c in order_by.split(",")))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def snapshot(engine) -> dict[str, list[dict]]:
    """Every row of every warehouse table, in key order: to prove that nothing changed."""
    from grassroots.warehouse import schema

    out = {}
    with engine.connect() as conn:
        for table in schema.WAREHOUSE_TABLES:
            key = [c for c in table.primary_key.columns]
            out[table.name] = [dict(r) for r in conn.execute(sa.select(table).order_by(*key)).mappings()]
    return out


def ledger_of(n: int, prefix: str = "C", status: str = "推进中") -> list[dict]:
    return [case(f"{prefix}{i:04d}", status) for i in range(n)]


def merge_in_child(url: str, submission_id: int, checksum: str, n: int, as_of: str) -> None:
    """Run by the fault tests in a subprocess: merge a ledger of n cases (it pauses on the env hook)."""
    engine = warehouse.connect(url)
    warehouse.merge_submission(engine, submission_id, district=DISTRICT, as_of=dt.date.fromisoformat(as_of),
                               ledger=frame("ledger", ledger_of(n), checksum), visits=None)
