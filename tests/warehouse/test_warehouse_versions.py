"""History as versions: a warehouse built at the old head (0005, one history row per listing) and
migrated gives every figure at every past date as before, and the merge of the same ledgers (in
the same order, an older one arriving late and a same-day resend among them) gives them too.

The figures before the migration are computed with the SQL of 0005 (tests/sql_0005: the cases'
state, with a valid_to of NULL for today's breakdown, and the missing cases; the other queries did
not change)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from grassroots import metrics, warehouse
from grassroots.warehouse import db, staging
from grassroots.warehouse.schema import CASE_FIELDS as _CASE_FIELDS_NOW
from tests.samples.metrics import D1, D2, D3, HS, HS_D1, HS_D2, HS_D3, JB, V1, V2, V3, V4_LATE, hs, jb, reference, utc
from tests.samples.warehouse import frame, submit, table_rows

# the ledger fields of a warehouse at 0005 (典型案例/exemplary came later, in 0010)
CASE_FIELDS = tuple(f for f in _CASE_FIELDS_NOW if f != "exemplary")

pytest_plugins = ("tests.samples.databases",)

OLD_SQL = Path(__file__).parent / "sql_0005"
NOV_24 = dt.date(2026, 11, 24)
# (name, district, as_of, received_at, ledger rows, visit rows), in the order they arrive
LEDGERS = [
    ("海曙区1120.xlsx", HS, D1, "2026-11-20T02:00:00", HS_D1, [V1, V2]),
    ("江北区1127a.xlsx", JB, D2, "2026-11-26T01:00:00",
     [jb("J1", "推进中", reported_on="2026-11-01", deadline="2026-12-31"), jb("J2", "未启动", reported_on="2026-11-02",
                                                                            deadline="2026-11-26", source="信访事项"),
      jb("J3", "推进中", reported_on="2026-11-03", deadline="2026-12-01")], None),
    # the same day again: J3 left out (missing), J1 resolved
    ("江北区1127b.xlsx", JB, D2, "2026-11-26T03:00:00",
     [jb("J1", "已办结", reported_on="2026-11-01", deadline="2026-12-31", resolved_on="2026-11-21", lead_leader="钱七"),
      jb("J2", "未启动", reported_on="2026-11-02", deadline="2026-11-26", source="信访事项")], None),
    ("海曙区1127.xlsx", HS, D2, "2026-11-27T01:00:00", HS_D2, [V1, V3]),
    ("海曙区1204.xlsx", HS, D3, "2026-12-04T01:00:00", HS_D3, [V4_LATE]),
    # late: a ledger of 11-24 after those of 11-27 and 12-04, H1 resolved earlier, H4 changed, H9 only here
    ("海曙区1124.xlsx", HS, NOV_24, "2026-12-05T01:00:00",
     [HS_D1[0] | {"status": "已办结", "resolved_on": "2026-11-23"}, HS_D1[1], HS_D1[2],
      HS_D1[3] | {"status": "已办结", "resolved_on": "2026-11-22"},
      hs("H9", "推进中", reported_on="2026-11-22", deadline="2026-12-10", lead_leader="孙八")], None),
]
DATES = [D1, dt.date(2026, 11, 22), NOV_24, dt.date(2026, 11, 26), D2, dt.date(2026, 12, 1), D3,
         dt.date(2026, 12, 20)]


def _all_figures(engine) -> dict:
    return {(day.isoformat(), period, scope): metrics.compute(engine, day, period=period, district=scope)
            for day in DATES for period in ("week", "month") for scope in (None, HS, JB)}


def _merge_all(engine) -> None:
    warehouse.replace_reference(engine, reference())
    for name, district, as_of, received, ledger, visits in LEDGERS:
        sid, checksum = submit(engine, name, district=district)
        warehouse.merge_submission(engine, sid, district=district, as_of=as_of,
                                   ledger=frame("ledger", ledger, checksum),
                                   visits=frame("visits", visits, checksum) if visits else None)
        warehouse.update_submission(engine, sid, state="done", received_at=utc(received))


def _build_at_0005(engine) -> None:
    """What the 0005 merge wrote: a history row per listed case per ledger, `cases` the newest."""
    warehouse.replace_reference(engine, reference())
    old_history = sa.Table("case_history", sa.MetaData(), autoload_with=engine)
    for name, district, as_of, received, ledger, visits in LEDGERS:
        sid, checksum = submit(engine, name, district=district)
        warehouse.merge_submission(engine, sid, district=district, as_of=as_of, ledger=None,
                                   visits=frame("visits", visits, checksum) if visits else None)
        warehouse.update_submission(engine, sid, state="done", fate="accepted", kind="ledger", as_of=as_of,
                                    received_at=utc(received))
        rows = staging.ledger_rows(frame("ledger", ledger, checksum)).astype(object)
        rows = rows.where(rows.notna(), None).to_dict("records")
        with engine.begin() as conn:
            conn.execute(old_history.insert(), [
                {**{k: _typed(k, r[k]) for k in ("case_id", *CASE_FIELDS, "source_sheet", "source_row")},
                 "district": district, "as_of": as_of, "submission_id": sid} for r in rows])
    with engine.begin() as conn:  # the newest row of each case, its first listing, missing from the newest ledger
        columns = ", ".join(CASE_FIELDS)
        conn.execute(sa.text(f"""
            INSERT INTO cases (district, case_id, {columns}, as_of, submission_id, source_row, first_as_of)
            SELECT h.district, h.case_id, {', '.join('h.' + c for c in CASE_FIELDS)}, h.as_of, h.submission_id,
                   h.source_row, (SELECT min(x.as_of) FROM case_history x
                                   WHERE x.district = h.district AND x.case_id = h.case_id)
              FROM case_history h
             WHERE NOT EXISTS (SELECT 1 FROM case_history n WHERE n.district = h.district AND n.case_id = h.case_id
                                 AND (n.as_of > h.as_of OR (n.as_of = h.as_of AND n.submission_id > h.submission_id)))
        """))


def _typed(name: str, value):
    if name in ("reported_on", "deadline", "resolved_on") and value is not None:
        return dt.date.fromisoformat(value)
    return int(value) if name == "source_row" and value is not None else value


@pytest.fixture
def old_sql(tmp_path, monkeypatch):
    """The metrics SQL as it was at 0005, while the test computes the figures before migrating."""
    folder = tmp_path / "sql"
    shutil.copytree(db.SQL_DIR, folder)
    for path in OLD_SQL.glob("*.sql"):
        shutil.copy(path, folder / path.name)

    def use(directory: Path) -> None:
        monkeypatch.setattr(db, "SQL_DIR", directory)
        db.sql.cache_clear()

    original = db.SQL_DIR
    yield lambda: use(folder), lambda: use(original)
    db.sql.cache_clear()


def test_migrating_keeps_every_figure_at_every_past_date(warehouse_url, old_sql):
    use_old, use_new = old_sql
    engine = warehouse.connect(warehouse_url)
    try:
        with engine.begin() as conn:
            command.upgrade(db.alembic_config(conn), "0005_submission_late")
        _build_at_0005(engine)
        use_old()
        before = _all_figures(engine)
        use_new()
        warehouse.upgrade(engine)
        after = _all_figures(engine)
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT count(*) FROM case_history")).scalar()
            current = conn.execute(sa.text("SELECT count(*) FROM case_history WHERE valid_to IS NULL")).scalar()
            cases = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar()
    finally:
        engine.dispose()
    assert before[(D2.isoformat(), "week", None)]["missing_cases"]  # the scenario has missing cases
    assert {k: v for k, v in after.items() if v != before[k]} == {}
    assert current == cases == 12  # H1..H9 and J1..J3: one current version each
    assert versions < sum(len(x[4]) for x in LEDGERS)  # changes, not listings


def test_merging_gives_the_figures_of_the_old_rule(engine, old_sql, tmp_path):
    """The same ledgers merged as versions (an older one late, a same-day resend) give what the
    0005 rows gave at every date."""
    use_old, use_new = old_sql
    _merge_all(engine)
    merged = _all_figures(engine)
    old = warehouse.connect(f"sqlite:///{tmp_path / 'old.db'}")  # the figures are the same on both databases
    try:
        with old.begin() as conn:
            command.upgrade(db.alembic_config(conn), "0005_submission_late")
        _build_at_0005(old)
        use_old()
        expected = _all_figures(old)
    finally:
        use_new()
        old.dispose()
    assert {k: v for k, v in merged.items() if v != expected[k]} == {}


DEC_11 = dt.date(2026, 12, 11)
# after the migration: H5 left out, H2's note changed, H9 (missing since 11-27) listed again with its row;
# J3 (missing since the 11-27 resend) listed again, J2 changed
LATER = [
    ("海曙区1211.xlsx", HS, DEC_11, "2026-12-11T01:00:00",
     [HS_D3[0], HS_D3[1] | {"progress_note": "已验收"}, *HS_D3[2:4], *HS_D3[5:], LEDGERS[5][4][4]], None),
    ("江北区1211.xlsx", JB, DEC_11, "2026-12-11T02:00:00",
     [LEDGERS[2][4][0], LEDGERS[2][4][1] | {"status": "推进中"}, LEDGERS[1][4][2]], None),
]


def _merge(engine, ledgers) -> list:
    results = []
    for name, district, as_of, received, ledger, _ in ledgers:
        sid, checksum = submit(engine, name, district=district)
        results.append(warehouse.merge_submission(engine, sid, district=district, as_of=as_of,
                                                  ledger=frame("ledger", ledger, checksum), visits=None))
        warehouse.update_submission(engine, sid, state="done", received_at=utc(received))
    return results


LINEAGE = ("submission_id", "source_sheet", "source_row")


def _versions(engine, leave_out=("row_hash", *LINEAGE)) -> list[dict]:
    rows = table_rows(engine, "case_history", "district,case_id,valid_from")
    return [{k: v for k, v in r.items() if k not in leave_out} for r in rows]


def test_after_the_migration_the_next_merges_give_the_versions_of_merging(warehouse_url, tmp_path):
    """The versions the migration leaves have no hash (NULL): the ledgers after it are compared
    field by field where it matters and give the very versions, `cases` and figures that merging
    every ledger gives; the hashes are filled in on the way, so a repeat stages nothing."""
    migrated = warehouse.connect(warehouse_url)
    merged = warehouse.connect(f"sqlite:///{tmp_path / 'merged.db'}")
    try:
        with migrated.begin() as conn:
            command.upgrade(db.alembic_config(conn), "0005_submission_late")
        _build_at_0005(migrated)
        warehouse.upgrade(migrated)
        with migrated.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM case_history WHERE row_hash IS NOT NULL")).scalar() == 0
        after_migration = _merge(migrated, LATER)
        warehouse.upgrade(merged)
        _merge_all(merged)
        after_merging = _merge(merged, LATER)

        assert after_migration == after_merging
        assert [r.history_rows for r in after_migration] == [3, 2]  # H2, H5 left out, H9 back; J2, J3 back
        # (the replay of 0008 and the merge may name different files for a state two files gave alike)
        assert _versions(migrated) == _versions(merged)
        assert ([v for v in _versions(migrated, ("row_hash",)) if v["valid_from"] == DEC_11]
                == [v for v in _versions(merged, ("row_hash",)) if v["valid_from"] == DEC_11])
        # (`cases` of the 0005 build keeps that era's as_of for a case no later ledger changes)
        changed = {"H2", "H5", "H9", "J2", "J3"}
        assert [c for c in _cases(migrated) if c["case_id"] in changed] == [
            c for c in _cases(merged) if c["case_id"] in changed]
        days = [*DATES, DEC_11]
        assert ({d: metrics.compute(migrated, d, period="week") for d in days}
                == {d: metrics.compute(merged, d, period="week") for d in days})
        repeat = _merge(migrated, [(name.replace("1211", "1211（重发）"), *rest) for name, *rest in LATER])
        assert [(r.history_rows, r.ledger_rows_staged) for r in repeat] == [(0, 0), (0, 0)]
    finally:
        migrated.dispose()
        merged.dispose()


def _cases(engine) -> list[dict]:
    rows = table_rows(engine, "cases", "district,case_id")
    return [{k: v for k, v in r.items() if k not in ("updated_at", *LINEAGE)} for r in rows]
