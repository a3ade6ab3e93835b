"""Submissions, findings and the reference data in the warehouse."""

from __future__ import annotations

import datetime as dt

import pytest

from grassroots import warehouse
from grassroots.findings import finding
from grassroots.reference import Leader, Recipient, Reference
from tests.samples.warehouse import snapshot, submit

pytest_plugins = ("tests.samples.databases",)


def _register(engine, checksum="c" * 64):
    return warehouse.register_submission(
        engine, checksum=checksum, district="海曙区", inbox_path="inbox/海曙区/问题清单.xlsx",
        file_name="问题清单.xlsx", archive_path=f"archive/{checksum}.xlsx", size_bytes=2048,
        received_at=dt.datetime(2026, 11, 20, 1, 2, 3, tzinfo=dt.UTC))


def test_register_twice_gives_one_submission(engine):
    first = _register(engine)
    second = _register(engine)
    assert first[1] is True and second == (first[0], False)
    row = warehouse.find_submission(engine, "c" * 64)
    assert row["id"] == first[0]
    assert (row["district"], row["file_name"], row["size_bytes"]) == ("海曙区", "问题清单.xlsx", 2048)
    assert (row["state"], row["fate"]) == ("received", "pending")
    assert row["received_at"] == dt.datetime(2026, 11, 20, 1, 2, 3, tzinfo=dt.UTC)
    assert warehouse.find_submission(engine, "d" * 64) is None


def test_known_inbox_files_gives_the_newest_submission_of_each_path(engine):
    assert warehouse.known_inbox_files(engine) == {}
    _register(engine, "a" * 64)
    newer, _ = _register(engine, "b" * 64)  # the same path, dropped again with other bytes
    known = warehouse.known_inbox_files(engine)
    assert list(known) == ["inbox/海曙区/问题清单.xlsx"]
    entry = known["inbox/海曙区/问题清单.xlsx"]
    assert (entry["id"], entry["checksum"], entry["size_bytes"]) == (newer, "b" * 64, 2048)
    assert entry["received_at"].timestamp() == dt.datetime(2026, 11, 20, 1, 2, 3, tzinfo=dt.UTC).timestamp()


def test_update_and_list_submissions_by_state(engine):
    a, _ = _register(engine, "a" * 64)
    b, _ = _register(engine, "b" * 64)
    warehouse.update_submission(engine, b, state="read", kind="ledger", as_of=dt.date(2026, 11, 20),
                                as_of_source="title", rows_total=496)
    assert [r["id"] for r in warehouse.submissions_in_state(engine, "received")] == [a]
    [read] = warehouse.submissions_in_state(engine, "read", district="海曙区")
    assert (read["id"], read["kind"], read["as_of"], read["rows_total"]) == (b, "ledger", dt.date(2026, 11, 20), 496)
    assert read["updated_at"].tzinfo is not None
    assert warehouse.submissions_in_state(engine, "read", district="江北区") == []
    with pytest.raises(ValueError, match="not columns"):
        warehouse.update_submission(engine, b, colour="red")


def test_record_findings_replaces_the_submissions_findings(engine):
    sid, _ = _register(engine)
    first = [finding("required", sheet="问题清单", row=5, column="责任人", column_index=8, hint="姓名"),
             finding("bad_date", sheet="问题清单", row=6, column="完成时限", value="明年")]
    warehouse.record_findings(engine, sid, first)
    warehouse.record_findings(engine, sid, first[1:])  # validated again: only the new list remains
    [stored] = warehouse.load_findings(engine, sid)
    assert (stored["code"], stored["severity"], stored["sheet"], stored["row"], stored["column_name"],
            stored["value"]) == ("bad_date", "error", "问题清单", 6, "完成时限", "明年")
    assert stored["reason"] == "“明年”不是可识别的日期"


def test_a_rejected_submission_writes_only_its_record(engine):
    before = snapshot(engine)
    sid, _ = submit(engine, "错误的清单.xlsx", state="validated")
    warehouse.update_submission(engine, sid, state="done", fate="rejected", reason="3 处错误", errors=3)
    warehouse.record_findings(engine, sid, [finding("unknown_town", sheet="问题清单", row=4, column="街道", value="火星镇")])
    with pytest.raises(ValueError, match="only a validated one"):
        warehouse.merge_submission(engine, sid, district="海曙区", as_of=dt.date(2026, 11, 20), ledger=None, visits=None)
    after = snapshot(engine)
    for table in ("cases", "case_history", "visits", "visit_cases"):
        assert after[table] == before[table] == []
    assert [s["fate"] for s in after["submissions"]] == ["rejected"]
    assert warehouse.district_summary(engine) == [{
        "district": "海曙区", "cases": 0, "visits": 0, "submissions_accepted": 0, "submissions_rejected": 1,
        "latest_as_of": None}]


def _reference(towns: dict[str, str], pairings: dict[str, str]) -> Reference:
    return Reference(
        districts={d: f"33020{i}" for i, d in enumerate(sorted(set(towns.values())))},
        towns=towns, units=sorted(pairings), pairings=pairings,
        leaders=[Leader("王五", "副主任", "市发改委"), Leader("赵六", "局长", "市经信局")],
        recipients=[Recipient("张局", "zhang@example.gov.cn", "全市")],
    )


def test_reference_is_replaced_as_a_whole(engine):
    assert warehouse.load_reference(engine) is None
    old = _reference({"章水镇": "海曙区", "姜山镇": "鄞州区"}, {"市发改委": "章水镇", "市经信局": "姜山镇"})
    warehouse.replace_reference(engine, old)
    assert warehouse.load_reference(engine) == old
    new = Reference(districts={"江北区": "330205"}, towns={"慈城镇": "江北区"}, units=["市能源局"],
                    pairings={"市能源局": "慈城镇"}, leaders=[Leader("钱七", "", "市能源局")],
                    recipients=[Recipient("李处", "li@example.gov.cn", "江北区")])
    warehouse.replace_reference(engine, new)
    loaded = warehouse.load_reference(engine)
    assert loaded == new  # nothing of the old reference data is left
    assert loaded.towns_of("海曙区") == []
