"""The demo inbox: every file readable, and the newest ledgers give exactly the report's figures."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from grassroots import contract, demo
from grassroots import settings as settings_module
from grassroots.demo import city as demo_city
from grassroots.demo.plan import plan_for
from grassroots.findings import Unreadable
from grassroots.intake import inbox, reader

FINAL = dt.date(2026, 11, 27)
WEEKS = [dt.date(2026, 11, 6), dt.date(2026, 11, 13), dt.date(2026, 11, 20), FINAL]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    summary = demo.write_demo(root / "inbox")
    settings = settings_module.load({"GRASSROOTS_HOME": str(root / "home")})
    read = {
        e["path"]: reader.read_submission(root / "inbox" / e["path"], settings)
        for e in summary["submissions"] if e["intended"] not in ("ignored", "reference")
    }
    reference = demo_city.demo_reference()
    return SimpleNamespace(inbox=root / "inbox", summary=summary, read=read, settings=settings,
                           reference=reference, plan=plan_for(FINAL, 7),
                           unit_of={t: u for u, t in reference.pairings.items()})


def _entries(world, kind: str, intended: str = "accepted") -> list[dict]:
    return [e for e in world.summary["submissions"] if e["intended"] == intended and kind in e["kinds"]]


def _newest_ledgers(world) -> pd.DataFrame:
    """Each district's newest accepted ledger (a same-day correction wins over an earlier file)."""
    newest: dict[str, dict] = {}
    for e in _entries(world, "ledger"):
        if e["district"] not in newest or e["as_of"] >= newest[e["district"]]["as_of"]:
            newest[e["district"]] = e
    frames = [
        world.read[e["path"]].table(contract.LEDGER).values.assign(folder=e["district"], as_of=pd.Timestamp(e["as_of"]))
        for e in newest.values()
    ]
    return pd.concat(frames, ignore_index=True)


def _visits(world) -> pd.DataFrame:
    frames = [
        world.read[e["path"]].table(contract.VISITS).values.assign(folder=e["district"], as_of=pd.Timestamp(e["as_of"]))
        for e in _entries(world, "visits")
    ]
    return pd.concat(frames, ignore_index=True)


# --- the inbox as written -------------------------------------------------------------------

def test_summary_states_the_report_figures(world):
    s = world.summary
    assert s["districts"] == 10
    assert s["files"] == len(s["submissions"]) == sum(1 for p in world.inbox.rglob("*") if p.is_file())
    e = s["expected"]
    assert (e["total"], e["substantive"], e["units"], e["towns"]) == (496, 295, 156, 156)
    assert e["total"] - e["substantive"] == 201 == e["not_started"] + e["in_progress"] - (e["substantive"] - e["resolved"])
    assert e["accountable"] == e["open"] == 496 - e["resolved"]
    assert e["pairs_covered"] == e["pairs_total"] == 156 and e["units_not_in_contact"] == []
    assert e["overdue"] > 0 and e["due_soon"] > 0
    assert 0 < len(e["leaders_falling_short"]) < 20
    assert e["shared_leader_names"] == [demo_city.SHARED_LEADER_NAME]
    assert sum(d["total"] for d in e["by_district"].values()) == 496
    assert s["weekly"][FINAL.isoformat()]["total"] == 496
    assert s["weekly"][WEEKS[0].isoformat()]["pairs_covered"] < 156  # contact grows over the weeks


def test_reference_data_of_the_source_city():
    ref = demo_city.demo_reference()
    assert len(ref.districts) == 10 and len(ref.towns) == 156 and len(ref.units) == 156
    assert len(set(ref.pairings.values())) == 156 and set(ref.pairings) == set(ref.units)
    for unit, town in {**demo_city.FIXED_PAIRINGS}.items():
        assert ref.pairings[unit] == town
    assert ref.towns["聚贤街道"] == "鄞州区" and ref.towns["石浦镇"] == "象山县" and ref.towns["章水镇"] == "海曙区"
    units_with_leader = {x.unit for x in ref.leaders}
    assert units_with_leader == set(ref.units)
    assert ref.shared_leader_names == {demo_city.SHARED_LEADER_NAME}
    scopes = [r.scope for r in ref.recipients]
    assert scopes.count("全市") == 2 and all(scopes.count(d) == 1 for d in ref.districts)
    assert all(r.email.endswith("@example.gov.cn") for r in ref.recipients)


def test_reference_workbook_in_the_inbox_is_the_demo_reference(world):
    from grassroots.reference import Reference

    tables = reader.read_reference(world.inbox / world.summary["reference"], world.settings)
    assert Reference.from_tables({k: t.values for k, t in tables.items()}) == world.reference


def test_file_names_formats_and_encodings(world):
    names = {e["path"] for e in world.summary["submissions"]}
    assert "余姚市/余姚市_问题清单_20261120.csv" in names
    assert "海曙区/海曙区问题清单及走访记录（第3周）.xlsx" in names
    assert "镇海区/镇海区基层走访问题台账（截至2026.11.20）.xls" in names
    suffixes = {Path(n).suffix for n in names}
    assert {".xlsx", ".xls", ".csv"} <= suffixes
    xls = world.inbox / "镇海区/镇海区基层走访问题台账（截至2026.11.27）.xls"
    assert xls.read_bytes().startswith(b"\xd0\xcf\x11\xe0")
    gb = (world.inbox / "余姚市/余姚市_问题清单_20261127.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    assert "余姚市" in gb.decode("gb18030")
    bom = (world.inbox / "慈溪市/慈溪市走访记录_20261127.csv").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf")


def test_every_file_is_read_with_its_kind_and_as_of_date(world):
    for e in world.summary["submissions"]:
        if e["intended"] in ("ignored", "reference"):
            continue
        sub = world.read[e["path"]]
        assert sorted(t.kind for t in sub.tables) == sorted(e["kinds"]), e["path"]
        assert sub.as_of == dt.date.fromisoformat(e["as_of"]), e["path"]
        expected_source = "file_name" if e["district"] == "余姚市" else "title"
        assert sub.as_of_source == expected_source, e["path"]
        for table in sub.tables:
            assert not [f for f in table.findings if f.is_error], (e["path"], table.findings)


def test_districts_write_in_their_own_habits(world):
    read = world.read
    # header aliases (江北区), recognised by headers although the sheet is called Sheet1
    jb = read["江北区/江北区问题清单20261127.xlsx"].table(contract.LEDGER)
    assert jb.sheet == "Sheet1"
    assert {jb.headers[f][0] for f in ("case_id", "responsible_person", "town", "status")} == {"编号", "责任人员", "街道", "状态"}
    assert jb.text["reported_on"].str.fullmatch(r"2026/\d{1,2}/\d{1,2}").all()
    # marks, line breaks and an empty row in the middle (奉化区)
    fh = read["奉化区/奉化区问题清单和走访记录-1127.xlsx"].table(contract.LEDGER)
    assert "\n" in fh.headers["case_id"][0] and fh.headers["case_id"][0].endswith("*")
    rows = list(fh.values.index)
    assert rows != list(range(rows[0], rows[0] + len(rows)))
    assert fh.text["reported_on"].str.contains("年").any() and fh.text["reported_on"].str.contains(r"\.").any()
    # amounts with units and separators, serial dates and 已销号 (鄞州区)
    yz_path = "鄞州区/鄞州区“联镇街入村社”工作台账_20261127.xlsx"
    yz = read[yz_path].table(contract.LEDGER)
    assert "400万元" in set(yz.text["funds_wan"].dropna())
    assert yz.text["funds_wan"].str.fullmatch(r"\d,\d{3}").any()
    assert yz.text["reported_on"].str.fullmatch(r"4\d{4}").any()
    raw_status = [c.value for c in openpyxl.load_workbook(world.inbox / yz_path)["问题清单"]["M"]]
    assert "已销号" in raw_status
    # full-width digits (宁海县)
    nh_path = "宁海县/宁海县报送（2026年11月27日）.xlsx"
    cells = [c for row in openpyxl.load_workbook(world.inbox / nh_path)["问题清单（宁海）"].iter_rows(values_only=True)
             for c in row if isinstance(c, str)]
    assert any("２０２６" in c for c in cells)
    # compact dates in a GB18030 CSV (余姚市)
    yy = read["余姚市/余姚市_问题清单_20261127.csv"].table(contract.LEDGER)
    assert yy.text["reported_on"].str.fullmatch(r"\d{8}").any()
    # merged title cells (海曙区)
    ws = openpyxl.load_workbook(world.inbox / "海曙区/海曙区问题清单及走访记录（第4周）.xlsx")["问题清单"]
    assert ws.merged_cells.ranges and ws["A1"].value == "海曙区问题清单（截至2026年11月27日）"


# --- the figures ----------------------------------------------------------------------------

def test_newest_ledgers_give_the_report_figures(world):
    cases = _newest_ledgers(world)
    assert len(cases) == 496
    assert not cases.duplicated(["folder", "case_id"]).any()
    assert set(cases["status"]) <= set(contract.STATUS_ORDER)
    substantive = cases["status"].isin([contract.STATUS_SUBSTANTIVE, contract.STATUS_RESOLVED])
    assert substantive.sum() == 295
    assert cases.loc[~substantive, "status"].isin([contract.STATUS_NOT_STARTED, contract.STATUS_IN_PROGRESS]).sum() == 201
    assert (cases["status"] == contract.STATUS_SUBSTANTIVE).any() and (cases["status"] == contract.STATUS_RESOLVED).any()
    for column in ("responsible_unit", "responsible_person", "deadline"):
        assert cases[column].notna().all(), column
    assert (cases["district"] == cases["folder"]).all()
    assert all(world.reference.towns[t] == d for t, d in zip(cases["town"], cases["folder"], strict=True))
    assert (cases["paired_unit"] == cases["town"].map(world.unit_of)).all()
    assert (cases["reported_on"] <= cases["as_of"]).all()
    assert (cases["deadline"] >= cases["reported_on"]).all()
    resolved = cases["status"] == contract.STATUS_RESOLVED
    assert (cases["resolved_on"].notna() == resolved).all()
    assert (cases.loc[resolved, "resolved_on"] >= cases.loc[resolved, "reported_on"]).all()
    assert (cases.loc[resolved, "resolved_on"] <= cases.loc[resolved, "as_of"]).all()
    final = pd.Timestamp(FINAL)
    overdue = (~resolved & (cases["deadline"] < final)).sum()
    due_soon = (~resolved & cases["deadline"].between(final, final + pd.Timedelta(days=7))).sum()
    e = world.summary["expected"]
    assert (overdue, due_soon, int(resolved.sum())) == (e["overdue"], e["due_soon"], e["resolved"])
    assert overdue > 0 and due_soon > 0
    assert set(cases["source"]) == set(contract.SOURCES)
    assert set(cases["theme"].dropna()) == set(contract.THEMES)
    led = cases["lead_leader"].dropna()
    assert set(led) <= world.reference.leader_names
    assert len(led) > 0.8 * len(cases)
    per_district = cases.groupby("folder").size().to_dict()
    assert per_district == {d: f["total"] for d, f in e["by_district"].items()}
    towns = pd.Series(world.reference.towns).value_counts().to_dict()
    for district, n in per_district.items():  # spread over districts by their number of towns
        assert 3 * towns[district] <= n <= 4 * towns[district]


def test_newest_ledgers_hold_exactly_the_planned_cases(world):
    """Every value of every format and date form reads back as planned (.xls and GB18030 CSV included)."""
    cases = _newest_ledgers(world).set_index(["folder", "case_id"])
    for c in world.plan.cases:
        row = cases.loc[(c.district, c.case_id)]
        assert row["title"] == c.title
        assert row["town"] == c.town
        assert row["status"] == c.final_status
        assert row["reported_on"] == pd.Timestamp(c.reported_on)
        assert row["deadline"] == pd.Timestamp(c.deadline)
        resolved_on = c.resolved_on_at(FINAL)
        assert (pd.isna(row["resolved_on"]) if resolved_on is None else row["resolved_on"] == pd.Timestamp(resolved_on))
        assert (pd.isna(row["funds_wan"]) if c.funds_wan is None else row["funds_wan"] == pytest.approx(c.funds_wan))
        assert (pd.isna(row["lead_leader"]) if c.lead_leader is None else row["lead_leader"] == c.lead_leader)


def test_the_reports_examples_are_cases(world):
    cases = _newest_ledgers(world)

    def case(unit: str, town: str, words: str) -> pd.Series:
        hit = cases[(cases["paired_unit"] == unit) & (cases["town"] == town) & cases["title"].str.contains(words)]
        assert len(hit) == 1, (unit, town, words)
        return hit.iloc[0]

    assert case("市经信局", "姜山镇", "乐歌股份公司")["funds_wan"] == 400
    assert case("市综合执法局", "观海卫镇", "垃圾分类")["funds_wan"] == 30
    case("市能源局", "掌起镇", "用能指标")
    case("市地方金融监管局", "石浦镇", "渔业企业")
    case("市发改委", "章水镇", "李家坑村")
    case("市委编办", "龙山镇", "工业社区")
    case("市日报报业集团", "东胜街道", "泰和社区")


def test_every_unit_visited_its_paired_town(world):
    visits = _visits(world)
    assert (visits["district"] == visits["folder"]).all()
    assert (visits["visit_date"] <= visits["as_of"]).all()
    key = ["visit_date", "unit", "leader", "town", "target"]
    assert visits.duplicated(key).sum() > 0  # visits already sent come again
    distinct = visits.drop_duplicates(key)
    e = world.summary["expected"]
    assert len(distinct) == e["visits"]
    pairs = set(zip(distinct["unit"], distinct["town"], strict=True))
    assert all((u, t) in pairs for u, t in world.reference.pairings.items())
    assert set(distinct["town"]) == set(world.reference.towns)
    leaders = {(x.name, x.unit) for x in world.reference.leaders}
    assert set(zip(distinct["leader"], distinct["unit"], strict=True)) <= leaders
    assert len(set(zip(distinct["leader"], distinct["unit"], strict=True))) == e["leaders_with_contact"]
    assert demo_city.SHARED_LEADER_NAME in set(distinct["leader"])
    cases = _newest_ledgers(world)
    known = set(zip(cases["folder"], cases["case_id"], strict=True))
    for district, ids in zip(distinct["folder"], distinct["case_ids"], strict=True):
        if isinstance(ids, str):
            assert all((district, i) in known for i in ids.split(","))


def test_ledgers_grow_and_cases_only_move_forward(world):
    weekly = world.summary["weekly"]
    order = {s: i for i, s in enumerate(contract.STATUS_ORDER)}
    by_district: dict[str, list[dict]] = {}
    for e in _entries(world, "ledger"):
        by_district.setdefault(e["district"], []).append(e)
    totals = dict.fromkeys(weekly, 0)
    for district, entries in by_district.items():
        entries.sort(key=lambda e: e["as_of"])
        previous: dict[str, int] = {}
        for e in entries:
            values = world.read[e["path"]].table(contract.LEDGER).values
            now = {cid: order[s] for cid, s in zip(values["case_id"], values["status"], strict=True)}
            assert set(previous) <= set(now), (district, e["as_of"])
            assert all(now[c] >= s for c, s in previous.items()), (district, e["as_of"])
            previous = now
        for e in {x["as_of"]: x for x in entries}.values():
            totals[e["as_of"]] += world.read[e["path"]].table(contract.LEDGER).rows
    assert totals == {d: f["total"] for d, f in weekly.items()}
    assert totals[WEEKS[0].isoformat()] < totals[FINAL.isoformat()]


# --- the special files ----------------------------------------------------------------------

def test_rejected_file_holds_each_mistake_and_the_correction_none(world):
    rejected = world.summary["rejected"]
    assert rejected["district"] == "北仑区" and rejected["as_of"] == "2026-11-20"
    [entry] = [e for e in world.summary["submissions"] if e["intended"] == "rejected"]
    assert entry["path"] == rejected["path"]
    bad = world.read[rejected["path"]].table(contract.LEDGER)
    good = world.read[rejected["correction"]].table(contract.LEDGER)
    text, values = bad.text, bad.values
    codes = {m["code"]: m for m in rejected["mistakes"]}
    assert set(codes) == {"unknown_town", "duplicate_case_id", "wrong_district", "bad_date",
                          "resolved_on_missing", "not_in_choices"}
    row = {code: m["row"] for code, m in codes.items()}
    assert text.loc[row["unknown_town"], "town"] not in world.reference.towns
    dup = text.loc[row["duplicate_case_id"], "case_id"]
    assert (text["case_id"] == dup).sum() == 2
    assert text.loc[row["wrong_district"], "district"] in world.reference.districts
    assert text.loc[row["wrong_district"], "district"] != "北仑区"
    assert pd.notna(text.loc[row["bad_date"], "reported_on"]) and pd.isna(values.loc[row["bad_date"], "reported_on"])
    assert values.loc[row["resolved_on_missing"], "status"] == contract.STATUS_RESOLVED
    assert pd.isna(values.loc[row["resolved_on_missing"], "resolved_on"])
    assert values.loc[row["not_in_choices"], "source"] not in contract.SOURCES
    for m in rejected["mistakes"]:
        assert bad.headers[_field_of(m["column"])][0] == m["column"]
    # the correction is the same file without the mistakes
    assert list(good.text.index) == list(text.index)
    differing = {r for r in text.index if not text.loc[r].equals(good.text.loc[r])}
    assert differing == set(row.values())
    assert not good.text["case_id"].duplicated().any()
    assert good.text["town"].isin(world.reference.towns_of("北仑区")).all()
    assert (good.text["district"] == "北仑区").all()


def _field_of(header: str) -> str:
    return contract.header_index(contract.LEDGER_SHEET)[contract.header_key(header)]


def test_duplicate_file_has_the_same_bytes(world):
    dup = world.summary["duplicate"]
    a = (world.inbox / dup["path"]).read_bytes()
    b = (world.inbox / dup["original"]).read_bytes()
    assert dup["path"] != dup["original"] and hashlib.sha256(a).digest() == hashlib.sha256(b).digest()


def test_lock_file_is_garbage_and_ignored(world):
    [lock] = world.summary["ignored"]
    path = world.inbox / lock
    assert path.name.startswith("~$") and inbox.is_temporary(path.name)
    assert path.stat().st_size == 165
    with pytest.raises(Unreadable):
        reader.read_submission(path, world.settings)


def test_files_look_settled_in_their_week(world):
    mtimes = {e["path"]: (world.inbox / e["path"]).stat().st_mtime for e in world.summary["submissions"]}
    assert max(mtimes.values()) <= time.time() - 3000
    entries = sorted(world.summary["submissions"], key=lambda e: e["as_of"])
    for earlier, later in zip(entries, entries[1:], strict=False):
        if earlier["as_of"] < later["as_of"]:
            assert mtimes[earlier["path"]] < mtimes[later["path"]]
    rejected = world.summary["rejected"]
    assert mtimes[rejected["path"]] < mtimes[rejected["correction"]]


def test_demo_is_deterministic(world, tmp_path):
    again = demo.write_demo(tmp_path / "inbox")
    assert again == world.summary
    for e in again["submissions"]:
        assert (tmp_path / "inbox" / e["path"]).read_bytes() == (world.inbox / e["path"]).read_bytes(), e["path"]
