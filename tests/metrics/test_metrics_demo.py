"""The demo data set through the real ingest gives the source report's figures, and the metrics
SQL keeps one definition of a case's state at a date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from grassroots import metrics, warehouse
from grassroots.warehouse.db import SQL_DIR

pytest_plugins = ("tests.samples.databases",)

FINAL = dt.date(2026, 11, 27)
HEADLINE = ("截至2026年11月27日，156家单位已全部与对应街道（镇乡）联系对接，累计梳理问题496个，"
            "其中295个问题已取得实质性进展（59.5%），其余201个问题均已明确责任单位、责任人员和完成时限。")
STATE_QUERIES = ("select_case_breakdown", "select_resolution_dates", "select_overdue_cases", "select_missing_cases",
                 "select_leader_obligations", "select_figure_cases")


def test_every_query_of_the_cases_state_includes_the_one_definition():
    from grassroots.warehouse import db

    state = db.sql("select_case_state").rstrip("\n")
    for name in STATE_QUERIES:
        raw = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
        assert "-- include: select_case_state" in raw and "FROM case_history" not in raw, name
        assert state in db.sql(name), name


def test_demo_data_gives_the_report_headline(warehouse_url, home, monkeypatch):
    from grassroots import demo, ingest, settings
    from grassroots.demo.plan import expected_figures, plan_for

    monkeypatch.setenv("GRASSROOTS_WAREHOUSE_URL", warehouse_url)
    current = settings.load()
    written = demo.write_demo(Path(current.inbox), final_as_of=FINAL)
    for _ in range(3):  # the reference workbook is merged first: the districts' files wait one pass
        if not ingest.run_once(current)["merge"]["changed"]:
            break
    engine = warehouse.connect(current.warehouse_url)
    try:
        figures = metrics.compute(engine, FINAL, timezone=current.timezone)
        week_before = metrics.compute(engine, FINAL - dt.timedelta(days=7), timezone=current.timezone)
    finally:
        engine.dispose()

    # the footer and 报送情况 count the files of the week by their as-of date, whenever they arrived
    for figures_of_week in (figures, week_before):
        end = dt.date.fromisoformat(figures_of_week["as_of"])
        files = [s for s in written["submissions"] if s["intended"] in ("accepted", "rejected")
                 and end - dt.timedelta(days=6) <= dt.date.fromisoformat(s["as_of"]) <= end]
        subs = figures_of_week["submissions"]
        assert subs["received"] == len(files) > 0
        assert subs["rejected"] == sum(s["intended"] == "rejected" for s in files)
        assert subs["districts_not_submitted"] == []
    beilun = {r["district"]: r for r in week_before["submissions"]["by_district"]}["北仑区"]
    assert (beilun["rejected"], beilun["accepted"]) == (1, 2)  # the bad 11-20 file, its correction, the visits

    assert figures["headline"] == HEADLINE
    expected = expected_figures(plan_for(FINAL, 7))
    same = ("total", "not_started", "in_progress", "substantive", "resolved", "overdue", "due_soon", "accountable",
            "new_in_period", "resolved_in_period", "median_days_to_resolve", "visits", "visits_in_period",
            "towns_covered", "towns_total", "pairs_covered", "pairs_total", "leaders_total", "leaders_with_contact",
            "leaders_with_problem")
    assert {k: figures[k] for k in same} == {k: expected[k] for k in same}
    assert figures["units_not_in_contact"] == sorted(expected["units_not_in_contact"])
    assert sorted((x["name"], x["unit"]) for x in figures["leaders_falling_short"]) == sorted(
        (x["name"], x["unit"]) for x in expected["leaders_falling_short"])
    assert {d: f["total"] for d, f in figures["districts"].items()} == {
        d: f["total"] for d, f in expected["by_district"].items()}
    assert figures["missing_cases"] == []
