"""Every figure of metrics.md over a small hand-built warehouse, on SQLite and on PostgreSQL.

The warehouse (tests/metrics_samples.py) is merged through the real merge code; every expected
value below was worked out by hand from the ledgers and visit logs there.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from grassroots import metrics, warehouse
from grassroots import settings as settings_module
from grassroots.metrics import snapshots
from tests.samples.metrics import (
    D1,
    D2,
    D3,
    HS,
    JB,
    ZH,
    build,
    build_d1,
    build_d2,
    build_d3,
    jb,
    merge,
    reference,
    register,
)

pytest_plugins = ("tests.samples.databases",)

CITY = "全市"


@pytest.fixture
def city(engine):
    build(engine)
    return engine


def case_figures(total, not_started, in_progress, substantive, resolved, overdue, due_soon, open_cases,
                 accountable, new, resolved_new, median) -> dict:
    return {
        "total": total, "not_started": not_started, "in_progress": in_progress, "substantive": substantive,
        "resolved": resolved, "substantive_rate": metrics.rate(substantive, total),
        "resolution_rate": metrics.rate(resolved, total), "overdue": overdue, "due_soon": due_soon,
        "accountable": accountable, "accountable_rate": metrics.rate(accountable, open_cases),
        "open_cases": open_cases, "new_in_period": new, "resolved_in_period": resolved_new,
        "median_days_to_resolve": median,
    }


def short(name, unit, title, *missing) -> dict:
    return {"name": name, "title": title, "unit": unit, "missing": list(missing)}


# At D2: H1 已办结 (11-25, 55 days), H2 取得实质性进展 (deadline 11-27 = D2: due soon, not overdue),
# H3 已办结 (40 days), H4 its D1 state 取得实质性进展 (deadline 11-20: overdue; missing from the
# latest ledger), H5 推进中 without a responsible person, H6 未启动 (new, deadline D2+7: due soon),
# H7 推进中 (new on the first day of the week, deadline D2+8), J1 已办结 (11-21, 20 days), J2 未启动
# (deadline 11-26: overdue). Visits: V1 (市发改委 at 章水镇, sent twice), V2 (市经信局's 王五 at
# 石碶街道), V3 (市交通局's 赵六 at 石碶街道, in the week).
CITY_D2 = case_figures(9, 2, 4, 5, 3, 2, 2, 6, 5, 2, 2, 40) | {
    "visits": 3, "visits_reported_late": 0, "visits_in_period": 1, "towns_covered": 2, "towns_total": 4, "pairs_covered": 2, "pairs_total": 3,
    "units_not_in_contact": ["市经信局"],
    "leaders_with_contact": 3, "leaders_with_problem": 4, "leaders_total": 5,
    "leaders_falling_short": [short("钱七", "市经信局", "局长", "联系基层"),
                              short("孙八", "市交通局", "副局长", "联系基层", "破解难题")],
}
HS_D2 = case_figures(7, 1, 4, 4, 2, 1, 2, 5, 4, 2, 1, 47.5) | {
    "visits": 3, "visits_reported_late": 0, "visits_in_period": 1, "towns_covered": 2, "towns_total": 2, "pairs_covered": 2, "pairs_total": 2,
    "units_not_in_contact": [],
    "leaders_with_contact": 2, "leaders_with_problem": 2, "leaders_total": 3,
    "leaders_falling_short": [short("孙八", "市交通局", "副局长", "联系基层", "破解难题")],
}
JB_D2 = case_figures(2, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 20) | {
    "visits": 0, "visits_reported_late": 0, "visits_in_period": 0, "towns_covered": 0, "towns_total": 1, "pairs_covered": 0, "pairs_total": 1,
    "units_not_in_contact": ["市经信局"],
    # 王五 of 市经信局 visited (in 海曙区: it counts wherever); 钱七 leads J1 but visited nobody
    "leaders_with_contact": 1, "leaders_with_problem": 2, "leaders_total": 2,
    "leaders_falling_short": [short("钱七", "市经信局", "局长", "联系基层")],
}
ZH_D2 = case_figures(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None) | {
    "visits": 0, "visits_reported_late": 0, "visits_in_period": 0, "towns_covered": 0, "towns_total": 1, "pairs_covered": 0, "pairs_total": 0,
    "units_not_in_contact": [], "leaders_with_contact": 0, "leaders_with_problem": 0, "leaders_total": 0,
    "leaders_falling_short": [],
}
# At D1 (after everything later was merged, so from case_history): H1 未启动 (deadline 11-19:
# overdue), H2 推进中 (new, due soon), H3 已办结, H4 取得实质性进展 (deadline = D1: due soon, not
# overdue), H5 推进中 without a person. Visits V1, V2 (in the week). 赵六 has not visited yet and
# 钱七's case J1 is not registered yet.
CITY_D1 = case_figures(5, 1, 3, 2, 1, 1, 2, 4, 3, 1, 0, 40) | {
    "visits": 2, "visits_in_period": 1, "visits_reported_late": 1, "towns_covered": 2, "towns_total": 4, "pairs_covered": 1, "pairs_total": 3,
    "units_not_in_contact": ["市交通局", "市经信局"],
    "leaders_with_contact": 2, "leaders_with_problem": 3, "leaders_total": 5,
    "leaders_falling_short": [short("赵六", "市交通局", "局长", "联系基层"),
                              short("钱七", "市经信局", "局长", "联系基层", "破解难题"),
                              short("孙八", "市交通局", "副局长", "联系基层", "破解难题")],
}


def figures_only(result: dict) -> dict:
    return {name: result[name] for name in metrics.FIGURES}


def test_city_figures_at_d2(city):
    result = metrics.compute(city, D2)
    assert figures_only(result) == CITY_D2
    assert list(result) == [*metrics.FIGURES, "as_of", "period", "period_start", "scope", "headline", "breakdowns",
                            "overdue_cases", "missing_cases", "submissions", "districts"]
    assert (result["as_of"], result["period"], result["period_start"], result["scope"]) == (
        "2026-11-27", "week", "2026-11-21", CITY)
    assert result["substantive_rate"] == 0.556 and result["accountable_rate"] == 0.833


def test_every_district_at_d2(city):
    result = metrics.compute(city, D2)
    assert list(result["districts"]) == [HS, JB, ZH]  # by reference code
    assert result["districts"] == {HS: HS_D2, JB: JB_D2, ZH: ZH_D2}
    for district, expected in ((HS, HS_D2), (JB, JB_D2), (ZH, ZH_D2)):
        alone = metrics.compute(city, D2, district=district)
        assert figures_only(alone) == expected
        assert alone["scope"] == district and alone["districts"] == {}


def test_headlines_follow_the_figures(city):
    assert metrics.compute(city, D2)["headline"] == (
        "截至2026年11月27日，3家单位中已有2家与对应街道（镇乡）联系对接，累计梳理问题9个，"
        "其中5个问题已取得实质性进展（55.6%），其余4个问题中已有3个明确责任单位、责任人员和完成时限。")
    assert metrics.compute(city, D2, district=HS)["headline"] == (
        "截至2026年11月27日，包联海曙区的2家单位已全部与对应街道（镇乡）联系对接，累计梳理问题7个，"
        "其中4个问题已取得实质性进展（57.1%），其余3个问题中已有2个明确责任单位、责任人员和完成时限。")
    assert metrics.compute(city, D1)["headline"] == (
        "截至2026年11月20日，3家单位中已有1家与对应街道（镇乡）联系对接，累计梳理问题5个，"
        "其中2个问题已取得实质性进展（40.0%），其余3个问题中已有2个明确责任单位、责任人员和完成时限。")
    assert metrics.compute(city, D2, district=ZH)["headline"] == "截至2026年11月27日，累计梳理问题0个。"


def test_headline_when_everything_is_in_order():
    figures = {"pairs_total": 156, "pairs_covered": 156, "total": 496, "substantive": 295,
               "substantive_rate": metrics.rate(295, 496), "accountable": 201, "open_cases": 201}
    assert metrics.headline(figures, dt.date(2026, 11, 27)) == (
        "截至2026年11月27日，156家单位已全部与对应街道（镇乡）联系对接，累计梳理问题496个，"
        "其中295个问题已取得实质性进展（59.5%），其余201个问题均已明确责任单位、责任人员和完成时限。")


def test_breakdowns_at_d2(city):
    b = metrics.compute(city, D2)["breakdowns"]
    assert list(b) == ["by_district", "by_town", "by_paired_unit", "by_responsible_unit", "by_source", "by_theme"]
    assert b["by_district"] == [{"key": HS} | HS_D2_CASES, {"key": JB} | JB_D2_CASES]

    def pick(rows, *names):
        return [{"key": r["key"], **{n: r[n] for n in names}} for r in rows]

    cols = ("total", "not_started", "substantive", "resolved", "overdue", "due_soon", "accountable", "new_in_period")
    assert pick(b["by_town"], *cols) == [
        {"key": "章水镇", "total": 4, "not_started": 0, "substantive": 4, "resolved": 2, "overdue": 1, "due_soon": 1,
         "accountable": 2, "new_in_period": 0},
        {"key": "石碶街道", "total": 3, "not_started": 1, "substantive": 0, "resolved": 0, "overdue": 0,
         "due_soon": 1, "accountable": 2, "new_in_period": 2},
        {"key": "慈城镇", "total": 2, "not_started": 1, "substantive": 1, "resolved": 1, "overdue": 1, "due_soon": 0,
         "accountable": 1, "new_in_period": 0},
    ]
    assert pick(b["by_paired_unit"], "total", "substantive_rate") == [
        {"key": "市发改委", "total": 4, "substantive_rate": 1.0},
        {"key": "市交通局", "total": 3, "substantive_rate": 0.0},
        {"key": "市经信局", "total": 2, "substantive_rate": 0.5},
    ]
    assert pick(b["by_responsible_unit"], "total", "open_cases", "accountable_rate") == [
        {"key": "市交通局", "total": 7, "open_cases": 5, "accountable_rate": 0.8},
        {"key": "江北区住建局", "total": 2, "open_cases": 1, "accountable_rate": 1.0},
    ]
    assert pick(b["by_source"], "total", "resolved", "overdue") == [  # in the contract's order
        {"key": "重点项目", "total": 1, "resolved": 0, "overdue": 0},
        {"key": "民生实事", "total": 7, "resolved": 3, "overdue": 1},
        {"key": "信访事项", "total": 1, "resolved": 0, "overdue": 1},
    ]
    assert pick(b["by_theme"], "total", "not_started") == [  # a case without a theme last
        {"key": "大局所需", "total": 1, "not_started": 0},
        {"key": "民生所盼", "total": 7, "not_started": 1},
        {"key": None, "total": 1, "not_started": 1},
    ]
    assert "median_days_to_resolve" not in b["by_town"][0]


HS_D2_CASES = {k: HS_D2[k] for k in metrics.FIGURES[:15]}
JB_D2_CASES = {k: JB_D2[k] for k in metrics.FIGURES[:15]}


def test_overdue_and_missing_cases(city):
    result = metrics.compute(city, D2)
    assert [(c["district"], c["case_id"], c["deadline"], c["days_overdue"]) for c in result["overdue_cases"]] == [
        (HS, "H4", "2026-11-20", 7), (JB, "J2", "2026-11-26", 1)]  # longest first
    first = result["overdue_cases"][0]
    assert (first["title"], first["responsible_unit"], first["responsible_person"], first["status"]) == (
        "问题H4", "市交通局", "李四", "取得实质性进展")
    assert result["missing_cases"] == [{
        "district": HS, "case_id": "H4", "title": "问题H4", "status": "取得实质性进展", "responsible_unit": "市交通局",
        "last_listed_as_of": "2026-11-20", "latest_ledger_as_of": "2026-11-27"}]
    assert metrics.compute(city, D2, district=JB)["missing_cases"] == []
    assert [c["case_id"] for c in metrics.compute(city, D2, district=JB)["overdue_cases"]] == ["J2"]
    at_d1 = metrics.compute(city, D1)
    assert [(c["case_id"], c["days_overdue"]) for c in at_d1["overdue_cases"]] == [("H1", 1)]
    assert at_d1["missing_cases"] == []


def test_state_at_a_past_date_comes_from_history(city):
    """After D2 and D3 were merged, the figures at D1 are those of the D1 ledger: H1 (resolved at
    D2) is still open and overdue, H2 not yet substantive, J1 and J2 not registered yet."""
    build_d3(city)
    assert figures_only(metrics.compute(city, D1)) == CITY_D1


def test_a_past_report_recomputed_later_is_identical(engine):
    build_d1(engine)
    at_d1 = metrics.compute(engine, D1)
    snapshots.store(engine, at_d1)
    build_d2(engine)
    at_d2 = metrics.compute(engine, D2)
    snapshots.store(engine, at_d2)
    build_d3(engine)  # a newer ledger changes H2, H4, H5 and adds H8; a late visit of 11-26 arrives
    assert metrics.compute(engine, D1) == snapshots.load(engine, "week", D1, CITY) == at_d1
    assert metrics.compute(engine, D2) == snapshots.load(engine, "week", D2, CITY) == at_d2
    at_d3 = metrics.compute(engine, D3)
    assert (at_d3["total"], at_d3["resolved"], at_d3["visits"], at_d3["missing_cases"]) == (10, 5, 4, [])
    # V4 (11-26, in D2's week) first reported with the D3 log: it counts from D3's week, as 补报
    assert (at_d3["visits_in_period"], at_d3["visits_reported_late"]) == (0, 1)
    assert at_d3["leaders_falling_short"] == [short("钱七", "市经信局", "局长", "联系基层")]


def test_monthly_period(city):
    result = metrics.compute(city, D2, period="month")
    assert (result["period"], result["period_start"]) == ("month", "2026-11-01")
    # new in November: H2 (11-15), H6, H7, J1 (11-01), J2 (11-02); resolved in November: H1, H3, J1
    assert (result["new_in_period"], result["resolved_in_period"], result["visits_in_period"]) == (5, 3, 3)
    assert result["total"] == CITY_D2["total"]


def test_submission_figures(city):
    subs = metrics.compute(city, D2)["submissions"]
    assert subs["by_district"] == [
        # 补充2 (local 00:10 on 11-21), the D2 ledger and 补充3 (local 23:30 on 11-27) fall in the week
        {"district": HS, "received": 3, "accepted": 1, "rejected": 0, "late": 0, "latest_as_of": "2026-11-27"},
        {"district": JB, "received": 2, "accepted": 1, "rejected": 1, "late": 0, "latest_as_of": "2026-11-27"},
        {"district": ZH, "received": 0, "accepted": 0, "rejected": 0, "late": 0, "latest_as_of": None},
    ]
    assert (subs["received"], subs["accepted"], subs["rejected"]) == (5, 2, 1)
    assert subs["rows_rejected_by_reason"] == [
        {"code": "required", "column": "责任人", "reason": "“责任人”为必填项，不能为空", "rows": 2, "findings": 2,
         "files": 1},
        {"code": "bad_date", "column": "发现日期", "reason": "“…”不是可识别的日期", "rows": 1, "findings": 1,
         "files": 1},
    ]
    assert subs["districts_not_submitted"] == [ZH]
    assert subs["latest_as_of"] == {HS: "2026-11-27", JB: "2026-11-27", ZH: None}

    at_d1 = metrics.compute(city, D1)["submissions"]
    assert [(r["district"], r["received"], r["accepted"]) for r in at_d1["by_district"]] == [
        (HS, 2, 1), (JB, 0, 0), (ZH, 0, 0)]  # 补充1 came at local 23:50 on 11-20: that week
    assert at_d1["districts_not_submitted"] == [JB, ZH]
    assert at_d1["latest_as_of"] == {HS: "2026-11-20", JB: None, ZH: None}
    assert metrics.compute(city, D2, district=JB)["submissions"]["by_district"] == [subs["by_district"][1]]


def test_a_file_counts_in_the_week_of_its_as_of_date_and_late_is_its_own_fact(city):
    """A ledger as of D2 that arrives ten days later counts in D2's week (whenever it is computed),
    never in the week it arrived, and is flagged late (逾期报送)."""
    sid = register(city, "镇海区问题清单1127.xlsx", ZH, "2026-12-07T02:00:00", state="done", fate="rejected",
                   kind="ledger", as_of=D2, late=True)
    assert sid
    week = {r["district"]: r for r in metrics.compute(city, D2)["submissions"]["by_district"]}
    assert (week[ZH]["received"], week[ZH]["rejected"], week[ZH]["late"]) == (1, 1, 1)
    arrival_week = {r["district"]: r for r in metrics.compute(city, dt.date(2026, 12, 11))["submissions"]["by_district"]}
    assert (arrival_week[ZH]["received"], arrival_week[ZH]["late"]) == (0, 0)
    assert metrics.compute(city, D2)["submissions"]["late"] == 1


def test_late_is_after_the_first_deadline_on_or_after_the_as_of_date():
    s = settings_module.load({"GRASSROOTS_SUBMISSION_DEADLINE": "FRI 18:00", "GRASSROOTS_TIMEZONE": "Asia/Shanghai"})
    zone = ZoneInfo("Asia/Shanghai")
    # a ledger as of Wednesday 11-25 or Friday 11-27 is due Friday 11-27 18:00; Saturday's the next Friday
    assert settings_module.deadline_for(dt.date(2026, 11, 25), s.submission_deadline, s.timezone) == \
        dt.datetime(2026, 11, 27, 18, 0, tzinfo=zone)
    assert settings_module.deadline_for(dt.date(2026, 11, 28), s.submission_deadline, s.timezone) == \
        dt.datetime(2026, 12, 4, 18, 0, tzinfo=zone)
    assert not settings_module.is_late(dt.datetime(2026, 11, 27, 17, 59, tzinfo=zone), dt.date(2026, 11, 27), s)
    assert settings_module.is_late(dt.datetime(2026, 11, 27, 18, 1, tzinfo=zone), dt.date(2026, 11, 27), s)
    assert not settings_module.is_late(None, dt.date(2026, 11, 27), s)


def test_ties_on_the_same_as_of_date_go_to_the_later_submission(engine):
    """A district resends its ledger the same day: the second file's rows are the state, and a case
    only the first listed is missing."""
    warehouse.replace_reference(engine, reference())
    merge(engine, "江北区1.xlsx", JB, D2, "2026-11-26T01:00:00", [jb("J1", "推进中"), jb("J2", "未启动")])
    merge(engine, "江北区2.xlsx", JB, D2, "2026-11-26T02:00:00", [jb("J1", "取得实质性进展")])
    result = metrics.compute(engine, D2)
    assert (result["total"], result["substantive"], result["not_started"]) == (2, 1, 1)
    assert [c["case_id"] for c in result["missing_cases"]] == ["J2"]


def test_snapshots_upsert_and_load(engine):
    assert snapshots.load(engine, "week", D2, CITY) is None
    figures = {"period": "week", "as_of": "2026-11-27", "scope": CITY, "total": 1}
    snapshots.store(engine, figures)
    snapshots.store(engine, figures | {"total": 2})
    assert snapshots.load(engine, "week", D2, CITY) == figures | {"total": 2}
    assert snapshots.load(engine, "month", D2, CITY) is None


def test_figures_are_plain_json(city):
    result = metrics.compute(city, D2)
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result


def test_periods_and_percent():
    assert metrics.period_start(D2) == dt.date(2026, 11, 21)
    assert metrics.period_start(D2, "month") == dt.date(2026, 11, 1)
    assert metrics.previous_as_of(D2) == D1
    assert metrics.previous_as_of(dt.date(2026, 3, 31), "month") == dt.date(2026, 2, 28)
    assert metrics.previous_as_of(dt.date(2026, 1, 15), "month") == dt.date(2025, 12, 31)
    assert [metrics.percent(x) for x in (0.595, metrics.rate(295, 496), 1.0, 0.0, 0.0005, None)] == [
        "59.5%", "59.5%", "100.0%", "0.0%", "0.1%", "—"]
    with pytest.raises(ValueError):
        metrics.period_start(D2, "year")
