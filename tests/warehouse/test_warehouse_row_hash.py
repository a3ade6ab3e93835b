"""The newest ledger stages only what may change it (row hashes): the versions stay what they were.

Each version stores the hash of its fields; a ledger row whose hash is its case's current one is
not even staged. These tests fail if the skipping ever skips a change, stages what did not change,
or loses the cases a ledger leaves out, and check that the hash computed in pandas (stage rows) and
in Python (stored versions) agree."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from grassroots import warehouse
from grassroots.warehouse import row_hash, schema, staging
from tests.samples.warehouse import case, frame, merge_ledger, snapshot, table_rows

pytest_plugins = ("tests.samples.databases",)

NOV_13, NOV_20, NOV_27, DEC_04 = dt.date(2026, 11, 13), dt.date(2026, 11, 20), dt.date(2026, 11, 27), dt.date(2026, 12, 4)


def _versions(engine) -> list[tuple]:
    return [(h["case_id"], h["valid_from"], h["valid_to"], bool(h["listed"]), h["last_listed"], h["progress_note"])
            for h in table_rows(engine, "case_history", "case_id,valid_from")]


def _hashes_agree(engine) -> bool:
    """Every stored hash is the hash of its version's fields (NULL: unknown)."""
    rows = table_rows(engine, "case_history")
    computed = row_hash.of_fields([[h[n] for n in schema.CASE_FIELDS] for h in rows])
    return all(h["row_hash"] in (None, fields_hash) for h, fields_hash in zip(rows, computed, strict=True))


def test_the_hash_of_a_stage_row_is_the_hash_of_the_version_it_becomes(engine):
    rows = [case("HS-001", "已办结", progress_note="nan", funds_wan="0.1"), case("HS-002", funds_wan=None),
            case("HS-003", progress_note="<NA>", funds_wan="12345678.125", exemplary="是"),
            case("HS-004", progress_note="None", lead_leader=None, deadline=None, funds_wan="100000000000000000000")]
    staged = staging.ledger_rows(frame("ledger", rows, "a" * 64)).set_index("case_id")["row_hash"]
    merge_ledger(engine, "清单1120.xlsx", NOV_20, rows)
    stored = {h["case_id"]: h for h in table_rows(engine, "case_history")}
    assert {c: h["row_hash"] for c, h in stored.items()} == staged.to_dict()
    assert None not in {h["row_hash"] for h in stored.values()} and _hashes_agree(engine)


def test_null_differs_from_empty_and_from_nan_text_and_zero_has_one_sign():
    def with_value(name, value):
        fields = [None] * len(schema.CASE_FIELDS)
        fields[schema.CASE_FIELDS.index(name)] = value
        return fields

    notes = row_hash.of_fields([with_value("progress_note", v) for v in (None, "", "nan", "<NA>", "None")])
    assert len(set(notes)) == 5
    dates = row_hash.of_fields([with_value("deadline", dt.date(2026, 12, 31)), with_value("deadline", "2026-12-31"),
                                with_value("title", "2026-12-31")])
    assert dates[0] == dates[1] != dates[2]
    funds = row_hash.of_fields([with_value("funds_wan", v) for v in (-0.0, 0.0, 0.1 + 0.2, 0.3, None)])
    assert funds[0] == funds[1] and len(set(funds)) == 4
    frame_rows = pd.DataFrame({n: pd.Series([None, None], dtype="str") for n in schema.CASE_FIELDS})
    frame_rows["funds_wan"] = [-0.0, 0.0]
    assert row_hash.of_rows(frame_rows).nunique() == 1


def test_an_unchanged_ledger_stages_nothing_and_writes_nothing(engine):
    rows = [case("HS-001"), case("HS-002", "已办结")]
    merge_ledger(engine, "清单1113.xlsx", NOV_13, rows)
    before = snapshot(engine)
    _, result = merge_ledger(engine, "清单1120.xlsx", NOV_20, rows)
    assert result == warehouse.MergeResult(changed=True) and result.ledger_rows_staged == 0
    after = snapshot(engine)
    assert (after["cases"], after["case_history"]) == (before["cases"], before["case_history"])


def test_a_changed_row_of_a_known_case_gets_a_version_with_its_hash(engine):
    merge_ledger(engine, "清单1113.xlsx", NOV_13, [case("HS-001"), case("HS-002"), case("HS-003")])
    sid, result = merge_ledger(engine, "清单1120.xlsx", NOV_20, [
        case("HS-001", progress_note="已联系施工方"), case("HS-002"), case("HS-003")])
    assert result == warehouse.MergeResult(changed=True, cases_updated=1, history_rows=1)
    assert result.ledger_rows_staged == 1
    assert _versions(engine) == [
        ("HS-001", NOV_13, NOV_20, True, None, None), ("HS-001", NOV_20, None, True, None, "已联系施工方"),
        ("HS-002", NOV_13, None, True, None, None), ("HS-003", NOV_13, None, True, None, None)]
    current = {c["case_id"]: c for c in table_rows(engine, "cases")}
    assert (current["HS-001"]["progress_note"], current["HS-001"]["submission_id"]) == ("已联系施工方", sid)
    assert _hashes_agree(engine)
    hashes = [h["row_hash"] for h in table_rows(engine, "case_history", "case_id,valid_from")][:2]
    assert hashes[0] != hashes[1]


def test_an_empty_cell_written_differently_is_no_change(engine):
    merge_ledger(engine, "清单1113.xlsx", NOV_13, [case("HS-001", progress_note=None), case("HS-002", lead_leader=None)])
    _, result = merge_ledger(engine, "清单1120.xlsx", NOV_20, [
        case("HS-001", progress_note=""), case("HS-002", lead_leader="  ")])
    assert result == warehouse.MergeResult(changed=True) and result.ledger_rows_staged == 0
    # ... but the text "nan" in an empty cell's place is a change
    _, result = merge_ledger(engine, "清单1127.xlsx", NOV_27, [
        case("HS-001", progress_note="nan"), case("HS-002", lead_leader=None)])
    assert (result.history_rows, result.cases_updated, result.ledger_rows_staged) == (1, 1, 1)
    assert _versions(engine)[:2] == [("HS-001", NOV_13, NOV_27, True, None, None),
                                     ("HS-001", NOV_27, None, True, None, "nan")]


def test_left_out_cases_are_found_without_staging_the_listed_ones(engine):
    merge_ledger(engine, "清单1113.xlsx", NOV_13, [case("HS-001"), case("HS-002"), case("HS-003")])
    _, left_out = merge_ledger(engine, "清单1120.xlsx", NOV_20, [case("HS-001")])
    assert left_out == warehouse.MergeResult(changed=True, history_rows=2, cases_flagged_missing=2)
    assert left_out.ledger_rows_staged == 0
    _, still = merge_ledger(engine, "清单1127.xlsx", NOV_27, [case("HS-001")])
    assert still == warehouse.MergeResult(changed=True)  # missing already: no new version, not flagged again

    # Listed again with the very row it had: staged (its current version is a missing one), a listed version.
    _, back = merge_ledger(engine, "清单1204.xlsx", DEC_04, [case("HS-001"), case("HS-003")])
    assert back == warehouse.MergeResult(changed=True, cases_updated=1, history_rows=1)
    assert back.ledger_rows_staged == 1
    assert [v[:5] for v in _versions(engine) if v[0] == "HS-003"] == [
        ("HS-003", NOV_13, NOV_20, True, None), ("HS-003", NOV_20, DEC_04, False, NOV_13),
        ("HS-003", DEC_04, None, True, None)]
    current = {c["case_id"]: c for c in table_rows(engine, "cases")}
    assert {c: (v["missing_since"], v["as_of"]) for c, v in current.items()} == {
        "HS-001": (None, NOV_13), "HS-002": (NOV_20, NOV_13), "HS-003": (None, DEC_04)}
    assert _hashes_agree(engine)


def test_versions_of_unknown_hash_are_compared_field_by_field_and_get_their_hash(engine):
    """As after revision 0011: the versions already there have no hash (NULL)."""
    merge_ledger(engine, "清单1113.xlsx", NOV_13, [case("HS-001"), case("HS-002"), case("HS-003")])
    with engine.begin() as conn:
        conn.execute(sa.update(schema.case_history).values(row_hash=None))
    _, result = merge_ledger(engine, "清单1120.xlsx", NOV_20, [case("HS-001"), case("HS-002", "已办结")])
    assert result == warehouse.MergeResult(changed=True, cases_updated=1, history_rows=2, cases_flagged_missing=1)
    assert result.ledger_rows_staged == 2  # both of unknown hash: compared in SQL, HS-001 found unchanged
    assert [(v[0], v[1], v[2], v[3]) for v in _versions(engine)] == [
        ("HS-001", NOV_13, None, True), ("HS-002", NOV_13, NOV_20, True), ("HS-002", NOV_20, None, True),
        ("HS-003", NOV_13, NOV_20, True), ("HS-003", NOV_20, None, False)]
    current = {(h["case_id"], h["valid_from"]): h["row_hash"] for h in table_rows(engine, "case_history")}
    assert current[("HS-001", NOV_13)] is not None  # filled in when found the same
    assert current[("HS-003", NOV_20)] is None  # a copy of a version of unknown hash
    assert _hashes_agree(engine)

    _, again = merge_ledger(engine, "清单1127.xlsx", NOV_27, [case("HS-001"), case("HS-002", "已办结")])
    assert again == warehouse.MergeResult(changed=True) and again.ledger_rows_staged == 0


def test_the_hash_of_given_values_never_changes():
    """Stored hashes are trusted when equal: were the hash of the same values ever to change (a
    library formatting a value otherwise, an edit of row_hash.py), this fails, and the change needs
    a migration that sets case_history.row_hash NULL."""
    row = ["问题HS-001", "民生实事", "民生所盼", "章水镇", "市发改委", "市交通局", "李四", "王五", dt.date(2026, 10, 1),
           dt.date(2026, 12, 31), "已办结", dt.date(2026, 11, 1), None, 400.0, None]
    assert row_hash.of_fields([row, [None] * len(schema.CASE_FIELDS)]) == [-5217136375087759554, 1373766926149436305]
    staged = staging.ledger_rows(frame("ledger", [case("HS-001", "已办结")], "a" * 64))
    assert staged["row_hash"].tolist() == [-5217136375087759554]


def test_an_older_ledger_arriving_late_writes_hashes_the_next_ledger_can_use(engine):
    merge_ledger(engine, "清单1120.xlsx", NOV_20, [case("HS-001", "已办结"), case("HS-002")])
    _, late = merge_ledger(engine, "清单1113.xlsx", NOV_13, [case("HS-001"), case("HS-002", "未启动"), case("HS-000")])
    assert (late.history_rows, late.cases_inserted) == (4, 1)
    assert _hashes_agree(engine)
    _, result = merge_ledger(engine, "清单1127.xlsx", NOV_27, [case("HS-001", "已办结"), case("HS-002")])
    assert result == warehouse.MergeResult(changed=True) and result.ledger_rows_staged == 0  # HS-000 missing already


def test_a_ledger_staged_in_chunks_writes_what_it_writes_whole(engine, monkeypatch):
    """Chunks of 2 rows: a case's first row kept across a chunk's end, a chunk with nothing to stage
    skipped, the cases left out still found."""
    merge_ledger(engine, "清单1113.xlsx", NOV_13, [case(f"HS-00{n}") for n in range(1, 7)])
    whole = snapshot(engine)
    monkeypatch.setattr(staging.ledger_chunks, "__defaults__", (2,))
    rows = [case("HS-001"), case("HS-002"), case("HS-003", progress_note="新进展"), case("HS-007"),
            case("HS-003", progress_note="重复的行"), case("HS-008"), case("HS-004")]
    chunks = list(staging.ledger_chunks(frame("ledger", rows, "c" * 64)))
    assert [list(c["case_id"]) for c in chunks] == [["HS-001", "HS-002"], ["HS-003", "HS-007"], ["HS-008"], ["HS-004"]]
    _, result = merge_ledger(engine, "清单1120.xlsx", NOV_20, rows)
    assert result == warehouse.MergeResult(changed=True, cases_inserted=2, cases_updated=1, history_rows=5,
                                           cases_flagged_missing=2)
    assert result.ledger_rows_staged == 3
    assert [v[0] for v in _versions(engine) if v[1] == NOV_20] == ["HS-003", "HS-005", "HS-006", "HS-007", "HS-008"]
    assert [v[5] for v in _versions(engine) if v[0] == "HS-003"] == [None, "新进展"]
    assert snapshot(engine) != whole and _hashes_agree(engine)
