"""Merging validated submissions: lineage, history, idempotence, late ledgers, duplicates, gaps."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from grassroots import warehouse
from grassroots.intake import reader
from grassroots.warehouse import schema
from tests.samples.warehouse import (
    DISTRICT,
    case,
    frame,
    merge_ledger,
    merge_visits,
    snapshot,
    submit,
    table_rows,
    visit,
)

pytest_plugins = ("tests.samples.databases",)

NOV_13, NOV_20, NOV_27 = dt.date(2026, 11, 13), dt.date(2026, 11, 20), dt.date(2026, 11, 27)


def test_merge_writes_cases_history_and_visits_with_lineage(engine):
    ledger = [case("HS-001", "已办结"), case("HS-002", funds_wan="1,200", lead_leader=None)]
    visits = [visit("ZF-01", case_ids="HS-001，HS-002"), visit(None, target="白云社区", target_type="社区")]
    sid, result = merge_ledger(engine, "海曙区问题清单（截至2026年11月20日）.xlsx", NOV_20, ledger, visits=visits)

    assert result == warehouse.MergeResult(changed=True, cases_inserted=2, cases_updated=0, history_rows=2,
                                           visits_inserted=2, visit_links=2, cases_flagged_missing=0)
    first, second = table_rows(engine, "cases", "case_id")
    assert (first["case_id"], first["status"], first["resolved_on"], first["funds_wan"]) == (
        "HS-001", "已办结", dt.date(2026, 11, 1), 400.0)
    assert (second["funds_wan"], second["lead_leader"], second["deadline"]) == (1200.0, None, dt.date(2026, 12, 31))
    assert (first["as_of"], first["first_as_of"], first["missing_since"]) == (NOV_20, NOV_20, None)
    assert (first["submission_id"], first["source_row"], second["source_row"]) == (sid, 3, 4)

    history = table_rows(engine, "case_history", "case_id")
    assert [(h["case_id"], h["valid_from"], h["valid_to"], bool(h["listed"]), h["submission_id"], h["source_sheet"],
             h["source_row"], h["status"]) for h in history] == [
        ("HS-001", NOV_20, None, True, sid, "问题清单", 3, "已办结"),
        ("HS-002", NOV_20, None, True, sid, "问题清单", 4, "推进中")]

    stored = {v["visit_key"]: v for v in table_rows(engine, "visits")}
    assert set(stored) >= {"ZF-01"} and len(stored) == 2
    by_id = stored["ZF-01"]
    assert (by_id["visit_date"], by_id["participants"], by_id["submission_id"], by_id["source_sheet"],
            by_id["source_row"], by_id["first_as_of"]) == (dt.date(2026, 11, 3), 12, sid, "走访记录", 3, NOV_20)
    [hashed] = [v for k, v in stored.items() if k != "ZF-01"]
    assert hashed["visit_id"] is None and hashed["target"] == "白云社区" and len(hashed["visit_key"]) == 32
    assert [(v["visit_key"], v["case_id"]) for v in table_rows(engine, "visit_cases", "visit_key,case_id")] == [
        ("ZF-01", "HS-001"), ("ZF-01", "HS-002")]

    submission = warehouse.find_submission(engine, warehouse.get_submission(engine, sid)["checksum"])
    assert (submission["state"], submission["fate"], submission["kind"], submission["as_of"],
            submission["rows_accepted"]) == ("merged", "accepted", "ledger+visits", NOV_20, 4)
    assert warehouse.ledger_state(engine, DISTRICT) == {
        "HS-001": {"status": "已办结", "deadline": dt.date(2026, 12, 31), "as_of": NOV_20},
        "HS-002": {"status": "推进中", "deadline": dt.date(2026, 12, 31), "as_of": NOV_20},
    }
    assert warehouse.district_summary(engine) == [{
        "district": DISTRICT, "cases": 2, "visits": 2, "submissions_accepted": 1, "submissions_rejected": 0,
        "latest_as_of": NOV_20}]


def test_remerging_the_same_submission_changes_nothing(engine):
    rows = [case("HS-001"), case("HS-002", "已办结")]
    visits = [visit("ZF-01", case_ids="HS-001")]
    sid, _ = merge_ledger(engine, "清单.xlsx", NOV_20, rows, visits=visits)
    before = snapshot(engine)
    checksum = warehouse.get_submission(engine, sid)["checksum"]

    again = warehouse.merge_submission(engine, sid, district=DISTRICT, as_of=NOV_20,
                                       ledger=frame("ledger", rows, checksum), visits=frame("visits", visits, checksum))
    assert again == warehouse.MergeResult(changed=False)
    assert snapshot(engine) == before

    # Even forced through the whole merge again (as after an operator resets it), no row is written.
    with engine.begin() as conn:
        conn.execute(sa.update(schema.submissions).where(schema.submissions.c.id == sid).values(state="validated"))
    forced = warehouse.merge_submission(engine, sid, district=DISTRICT, as_of=NOV_20,
                                        ledger=frame("ledger", rows, checksum), visits=frame("visits", visits, checksum))
    assert forced == warehouse.MergeResult(changed=True)  # claimed again, but every count is 0
    after = snapshot(engine)
    for table in ("cases", "case_history", "visits", "visit_cases"):
        assert after[table] == before[table]


def test_an_older_ledger_arriving_late_adds_history_but_keeps_the_current_state(engine):
    newer_id, _ = merge_ledger(engine, "清单1120.xlsx", NOV_20, [case("HS-001", "已办结"), case("HS-002", "推进中")])
    older_id, result = merge_ledger(engine, "清单1113.xlsx", NOV_13, [
        case("HS-001", "推进中", deadline="2026-12-01"), case("HS-002", "未启动"), case("HS-000", "推进中")])

    # A version before each newer one, and HS-000's two: listed on 11-13, left out from 11-20 on.
    assert (result.history_rows, result.cases_inserted, result.cases_updated) == (4, 1, 0)
    current = {c["case_id"]: c for c in table_rows(engine, "cases")}
    assert (current["HS-001"]["status"], current["HS-001"]["deadline"], current["HS-001"]["as_of"],
            current["HS-001"]["submission_id"]) == ("已办结", dt.date(2026, 12, 31), NOV_20, newer_id)
    assert current["HS-002"]["status"] == "推进中"
    assert [current[c]["first_as_of"] for c in ("HS-000", "HS-001", "HS-002")] == [NOV_13] * 3
    # HS-000 is only in the older ledger: the newest ledger does not list it.
    assert (current["HS-000"]["status"], current["HS-000"]["missing_since"]) == ("推进中", NOV_20)
    assert (current["HS-001"]["missing_since"], current["HS-002"]["missing_since"]) == (None, None)

    history = [(h["case_id"], h["valid_from"], h["valid_to"], bool(h["listed"]), h["last_listed"], h["status"],
                h["submission_id"]) for h in table_rows(engine, "case_history", "case_id,valid_from")]
    assert history == [
        ("HS-000", NOV_13, NOV_20, True, None, "推进中", older_id),
        ("HS-000", NOV_20, None, False, NOV_13, "推进中", older_id),
        ("HS-001", NOV_13, NOV_20, True, None, "推进中", older_id),
        ("HS-001", NOV_20, None, True, None, "已办结", newer_id),
        ("HS-002", NOV_13, NOV_20, True, None, "未启动", older_id),
        ("HS-002", NOV_20, None, True, None, "推进中", newer_id),
    ]
    assert warehouse.district_summary(engine)[0]["latest_as_of"] == NOV_20


def test_a_newer_ledger_updates_only_what_changed(engine):
    merge_ledger(engine, "清单1113.xlsx", NOV_13, [case("HS-001"), case("HS-002")])
    sid, result = merge_ledger(engine, "清单1120.xlsx", NOV_20, [case("HS-001", "已办结"), case("HS-002")])
    assert (result.cases_inserted, result.cases_updated, result.history_rows) == (0, 1, 1)  # HS-002 is unchanged
    current = {c["case_id"]: c for c in table_rows(engine, "cases")}
    assert (current["HS-001"]["status"], current["HS-001"]["as_of"], current["HS-001"]["submission_id"],
            current["HS-001"]["first_as_of"]) == ("已办结", NOV_20, sid, NOV_13)
    assert current["HS-002"]["as_of"] == NOV_13  # the ledger its (unchanged) state is from
    # The current state of each case is its current version; HS-001 has two, HS-002 one.
    with engine.connect() as conn:
        newest = conn.execute(sa.text(
            "SELECT case_id, status, valid_from FROM case_history h WHERE valid_to IS NULL ORDER BY case_id"
        ).columns(sa.column("case_id"), sa.column("status"), sa.column("valid_from", sa.Date))).all()
    assert [(r.case_id, r.status, r.valid_from) for r in newest] == [
        (c, current[c]["status"], current[c]["as_of"]) for c in ("HS-001", "HS-002")]
    assert len(table_rows(engine, "case_history", "case_id")) == 3


def test_a_case_missing_from_the_newest_ledger_is_flagged_and_kept(engine):
    merge_ledger(engine, "清单1113.xlsx", NOV_13, [case("HS-001"), case("HS-002")])
    _, result = merge_ledger(engine, "清单1120.xlsx", NOV_20, [case("HS-001")])
    assert result.cases_flagged_missing == 1
    current = {c["case_id"]: c for c in table_rows(engine, "cases")}
    assert set(current) == {"HS-001", "HS-002"}
    assert (current["HS-002"]["missing_since"], current["HS-002"]["status"], current["HS-002"]["as_of"]) == (
        NOV_20, "推进中", NOV_13)
    assert current["HS-001"]["missing_since"] is None

    _, again = merge_ledger(engine, "清单1127.xlsx", NOV_27, [case("HS-001")])
    assert again.cases_flagged_missing == 0  # flagged once, on the ledger that first left it out
    assert {c["case_id"]: c["missing_since"] for c in table_rows(engine, "cases")}["HS-002"] == NOV_20

    merge_ledger(engine, "清单1204.xlsx", dt.date(2026, 12, 4), [case("HS-001"), case("HS-002", "已办结")])
    assert {c["case_id"]: c["missing_since"] for c in table_rows(engine, "cases")} == {"HS-001": None, "HS-002": None}


def test_the_same_visit_submitted_twice_counts_once(engine):
    with_id = visit("ZF-01", participants="10", case_ids="HS-001")
    without_id = visit(None, target="白云社区", target_type="社区")
    first_id, first = merge_visits(engine, "走访1113.xlsx", NOV_13, [with_id, without_id])
    assert (first.visits_inserted, first.visit_links) == (2, 1)

    # The next log repeats both (the one with an id corrected), plus a new visit.
    corrected = visit("ZF-01", participants="11", case_ids="HS-001、HS-003")
    second_id, second = merge_visits(engine, "走访1120.xlsx", NOV_20, [corrected, without_id, visit("ZF-02")])
    assert (second.visits_inserted, second.visits_updated, second.visit_links) == (1, 2, 1)
    stored = {v["visit_key"]: v for v in table_rows(engine, "visits")}
    assert len(stored) == 3
    assert (stored["ZF-01"]["participants"], stored["ZF-01"]["submission_id"], stored["ZF-01"]["first_as_of"]) == (
        11, second_id, NOV_13)
    [hashed] = [v for k, v in stored.items() if not k.startswith("ZF-")]
    assert (hashed["first_as_of"], hashed["target"]) == (NOV_13, "白云社区")
    assert [(v["visit_key"], v["case_id"]) for v in table_rows(engine, "visit_cases", "visit_key,case_id")] == [
        ("ZF-01", "HS-001"), ("ZF-01", "HS-003")]

    # The older log arriving again under another name changes no visit's current content.
    _, late = merge_visits(engine, "走访1113（重发）.xlsx", NOV_13, [with_id, without_id])
    assert (late.visits_inserted, late.visits_updated, late.visit_links) == (0, 0, 0)
    assert {v["visit_key"]: v["participants"] for v in table_rows(engine, "visits")}["ZF-01"] == 11
    assert warehouse.district_summary(engine)[0]["visits"] == 3


def test_the_same_visit_twice_in_one_file_counts_once(engine):
    rows = [visit(None, case_ids="HS-001"), visit(None, case_ids="HS-002"), visit("ZF-09"), visit("ZF-09")]
    _, result = merge_visits(engine, "走访.xlsx", NOV_20, rows)
    assert (result.visits_inserted, result.visit_links) == (2, 2)


def test_merge_takes_the_readers_frames_from_a_real_file(engine, settings, tmp_path):
    path = tmp_path / "海曙区问题清单（截至2026年11月20日）.csv"
    path.write_text(
        "海曙区问题清单（截至2026年11月20日）\n"
        "问题编号,问题名称,问题来源,所属区县,街道（镇乡）,包联单位,责任单位,责任人,发现日期,完成时限,办理状态,办结日期,涉及资金（万元）\n"
        'HS-001,"道路破损，需修复",民生实事,海曙区,章水镇,市发改委,市交通局,李四,2026/10/02,20261231,已销号,2026-11-01,"1,200"\n'
        "HS-002,路灯,民生实事,海曙区,章水镇,市发改委,市交通局,李四,2026-10-03,2026-12-31,推进中,,\n",
        encoding="utf-8-sig")
    submission = reader.read_submission(path, settings, checksum="f" * 64)
    sid, checksum = submit(engine, path.name)
    ledger = submission.table("ledger").canonical(checksum)
    result = warehouse.merge_submission(engine, sid, district=DISTRICT, as_of=submission.as_of, ledger=ledger,
                                        visits=None)
    assert (result.cases_inserted, result.history_rows) == (2, 2)
    first, second = table_rows(engine, "cases", "case_id")
    assert (first["title"], first["status"], first["reported_on"], first["funds_wan"], first["source_row"]) == (
        "道路破损，需修复", "已办结", dt.date(2026, 10, 2), 1200.0, 3)
    assert (second["resolved_on"], second["funds_wan"], second["theme"], second["as_of"]) == (
        None, None, None, NOV_20)
