"""The figures of metrics.md for a scope (the city or one district) at an as-of date.

`compute` runs the SQL of include/sql over the warehouse and returns one JSON-ready dict whose
keys are the figure names of metrics.md, plus the headline sentence, the breakdowns, the overdue
and missing cases, the submissions and (for the city) every district's figures. The state of a
case at the as-of date comes from its history, so a past report recomputed later is identical.
Rates are derived here from SQL counts (floats rounded to 3 decimals), the median from SQL counts
of cases by days to resolve: both are equal on both databases this way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection, Engine

from grassroots import clock, contract
from grassroots import figures as catalogue
from grassroots.metrics.queries import Params, run
from grassroots.settings import DEFAULT_TIMEZONE
from grassroots.warehouse import db

CITY = contract.SCOPE_CITY
PERIODS = ("week", "month")
REFERENCE_FOLDER = contract.REFERENCE_FOLDER
DUE_SOON_DAYS = 7

CASE_COUNTS = (
    "total", "not_started", "in_progress", "substantive", "resolved", "overdue", "due_soon", "open_cases",
    "accountable", "new_in_period", "resolved_in_period",
)
VISIT_COUNTS = ("visits", "visits_in_period", "visits_reported_late", "towns_covered", "towns_total", "pairs_covered",
                "pairs_total")
FIGURES = (
    "total", "not_started", "in_progress", "substantive", "resolved", "substantive_rate", "resolution_rate",
    "overdue", "due_soon", "accountable", "accountable_rate", "open_cases", "new_in_period", "resolved_in_period",
    "median_days_to_resolve", "visits", "visits_in_period", "visits_reported_late", "towns_covered", "towns_total", "pairs_covered",
    "pairs_total", "units_not_in_contact", "leaders_with_contact", "leaders_with_problem", "leaders_total",
    "leaders_falling_short",
)
"""The figure names of metrics.md, in its order: the keys of every scope's figures."""

BREAKDOWNS = {
    "district": "by_district", "town": "by_town", "paired_unit": "by_paired_unit",
    "responsible_unit": "by_responsible_unit", "source": "by_source", "theme": "by_theme",
}
CONTACT, PROBLEM = "联系基层", "破解难题"  # what a leader falling short is missing


# --- periods, rates ---------------------------------------------------------------------------

def period_start(as_of: dt.date, period: str = "week") -> dt.date:
    """First day of the period ending on as_of: the seven days ending on it, or its calendar month."""
    _check_period(period)
    return as_of - dt.timedelta(days=6) if period == "week" else as_of.replace(day=1)


def previous_as_of(as_of: dt.date, period: str = "week") -> dt.date:
    """The end of the previous period (the report's comparison point)."""
    _check_period(period)
    return as_of - dt.timedelta(days=7) if period == "week" else as_of.replace(day=1) - dt.timedelta(days=1)


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")


def rate(part: int, whole: int) -> float | None:
    """part / whole rounded to 3 decimals (0.595); None when there is nothing to divide by."""
    return round(part / whole, 3) if whole else None


percent = catalogue.percent  # 0.595 -> '59.5%'
chinese_date = catalogue.chinese_date  # 2026年11月27日


def today(timezone: str = DEFAULT_TIMEZONE) -> dt.date:
    """Today's date where the campaign is (the default as-of date)."""
    return clock.today(timezone)


# --- compute ----------------------------------------------------------------------------------

def compute(engine: Engine, as_of: dt.date, *, period: str = "week", district: str | None = None,
            timezone: str = DEFAULT_TIMEZONE) -> dict:
    """Every figure of metrics.md for the city (district=None) or one district at `as_of`."""
    params = parameters(as_of, period=period, district=district, timezone=timezone)
    start, scope = params.period_start, params.scope
    rows = _query(engine, params)

    cases = defaultdict(dict)  # dimension -> key -> counts
    for row in rows["cases"]:
        cases[row.pop("dimension")][row.pop("key")] = row
    visits = {(r["dimension"], r["key"]): r for r in rows["visits"]}
    days = _resolution_days(rows["resolution"])
    district_names = _district_order(rows["districts"], cases["district"], visits)

    def figures_of(name: str | None) -> dict:
        """The figures of the scope (name None) or of one of its districts."""
        counts = cases["scope"].get(None, {}) if name is None else cases["district"].get(name, {})
        visit = visits.get(("scope", None) if name is None else ("district", name), {})
        units = [r for r in rows["units"] if name is None or r["district"] == name]
        leaders = [r for r in rows["leaders"] if name is None or r["district"] == name]
        return _figures(counts, days.get(name), visit, units, leaders)

    figures = figures_of(None)
    headline_counts = cases["scope"].get(None, {})
    result = {
        **figures,
        "as_of": as_of.isoformat(),
        "period": period,
        "period_start": start.isoformat(),
        "scope": scope,
        "headline": headline(figures, as_of, scope, others_accountable=headline_counts.get("others_accountable", 0)),
        "breakdowns": _placed(_breakdowns(cases, days, district_names), rows["towns"]),
        "overdue_cases": _overdue(rows["overdue"], as_of),
        "due_soon_cases": _due_soon(rows["due_soon"], as_of),
        "missing_cases": _missing(rows["missing"]),
        "submissions": _submissions(rows["submissions"], rows["rejected"], district_names),
        "districts": {name: figures_of(name) for name in district_names} if scope == CITY else {},
    }
    return result


def parameters(as_of: dt.date, *, period: str = "week", district: str | None = None,
               timezone: str = DEFAULT_TIMEZONE) -> Params:
    """The bound parameters of the figures for a scope at `as_of`."""
    start = period_start(as_of, period)
    zone = ZoneInfo(timezone)
    return Params(
        as_of=as_of, period_start=start, due_soon_end=as_of + dt.timedelta(days=DUE_SOON_DAYS),
        scope=district or CITY, district_from=district, district_to=district,
        received_from=dt.datetime.combine(start, dt.time(), zone).astimezone(dt.UTC),
        received_until=dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC),
        reference_folder=REFERENCE_FOLDER,
    )


QUERIES: dict[str, tuple[str, dict]] = {
    "districts": ("select_districts", {}),
    "cases": ("select_case_breakdown", {"counts": (*CASE_COUNTS, "others_accountable")}),
    "resolution": ("select_resolution_dates", {"counts": ("days", "cases")}),
    "overdue": ("select_overdue_cases", {"dates": ("deadline",)}),
    "due_soon": ("select_due_soon_cases", {"dates": ("deadline",)}),
    "towns": ("select_town_pairings", {}),
    "missing": ("select_missing_cases", {"dates": ("last_listed_as_of", "latest_ledger_as_of")}),
    "visits": ("select_visit_figures", {"counts": VISIT_COUNTS}),
    "units": ("select_units_not_in_contact", {}),
    "leaders": ("select_leader_obligations", {"counts": ("has_contact", "has_problem")}),
    "submissions": ("select_submission_figures", {"dates": ("latest_as_of",), "counts": (
        "in_reference", "received", "accepted", "rejected", "late", "ledgers_in_period")}),
    "rejected": ("select_rows_rejected", {"counts": ("findings", "rows_refused", "files")}),
}
"""What compute reads: a name for its rows, the SQL file and how its columns are typed."""


def _query(engine: Engine, params: Params) -> dict[str, list[dict]]:
    """Every query in one read transaction (one snapshot on PostgreSQL), so the figures agree."""
    with reading(engine) as conn:
        params = scoped(conn, params)
        return {key: run(conn, name, params, **types) for key, (name, types) in QUERIES.items()}


def scoped(conn: Connection, params: Params) -> Params:
    """`params` with the city as a range of district names (a district's is its name already)."""
    if params.scope != CITY:
        return params
    bounds = run(conn, "select_district_range", params)[0]
    return dataclasses.replace(params, district_from=bounds["first_district"], district_to=bounds["last_district"])


@contextlib.contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read transaction set up for the figures' queries."""
    with db.guard(engine), engine.connect() as conn:
        if db.is_postgres(conn):
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if db.is_postgres(conn):  # room to aggregate a million cases in memory, not on disk
                conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
                conn.exec_driver_sql("SET LOCAL jit = off")  # compiling costs more than these queries gain
            yield conn


# --- assembling -------------------------------------------------------------------------------

def _case_figures(counts: dict, median) -> dict:
    c = {name: counts.get(name, 0) for name in CASE_COUNTS}
    return {
        "total": c["total"], "not_started": c["not_started"], "in_progress": c["in_progress"],
        "substantive": c["substantive"], "resolved": c["resolved"],
        "substantive_rate": rate(c["substantive"], c["total"]), "resolution_rate": rate(c["resolved"], c["total"]),
        "overdue": c["overdue"], "due_soon": c["due_soon"], "accountable": c["accountable"],
        "accountable_rate": rate(c["accountable"], c["open_cases"]), "open_cases": c["open_cases"],
        "new_in_period": c["new_in_period"], "resolved_in_period": c["resolved_in_period"],
        "median_days_to_resolve": median,
    }


def _figures(counts: dict, median, visit: dict, units: list[dict], leaders: list[dict]) -> dict:
    leaders = sorted(leaders, key=lambda r: r["id"])  # the reference list's order
    short = [
        {"name": r["name"], "title": r["title"], "unit": r["unit"],
         "missing": [m for m, done in ((CONTACT, r["has_contact"]), (PROBLEM, r["has_problem"])) if not done]}
        for r in leaders if not (r["has_contact"] and r["has_problem"])
    ]
    figures = _case_figures(counts, median) | {name: visit.get(name, 0) for name in VISIT_COUNTS} | {
        "units_not_in_contact": sorted(r["unit"] for r in units),
        "leaders_with_contact": sum(r["has_contact"] for r in leaders),
        "leaders_with_problem": sum(r["has_problem"] for r in leaders),
        "leaders_total": len(leaders),
        "leaders_falling_short": short,
    }
    return {name: figures[name] for name in FIGURES}


def _resolution_days(rows: list[dict]) -> dict[str | None, float | int | None]:
    """Median days from reported_on to resolved_on, for the scope (key None) and per district."""
    histograms: dict[str | None, Counter] = defaultdict(Counter)
    for r in rows:
        histograms[None][r["days"]] += r["cases"]
        histograms[r["district"]][r["days"]] += r["cases"]
    return {key: _median(h) for key, h in histograms.items()}


def _median(histogram: Counter) -> float | int | None:
    n = sum(histogram.values())
    if not n:
        return None
    middle_ranks = ((n - 1) // 2, n // 2)  # the same rank when n is odd
    picked, seen = [], 0
    for value in sorted(histogram):
        seen += histogram[value]
        picked += [value for rank in middle_ranks if seen - histogram[value] <= rank < seen]
    middle = sum(picked) / 2
    return int(middle) if middle == int(middle) else middle


def _district_order(districts: list[dict], case_keys: dict, visits: dict) -> list[str]:
    """Reference districts by code, then any other district the data names, by name."""
    known = [r["name"] for r in sorted(districts, key=lambda r: (r["code"] or "", r["name"]))]
    others = {k for k in case_keys if k is not None} | {k for (dim, k) in visits if dim == "district"}
    return known + sorted(others - set(known))


def _breakdowns(cases: dict, days: dict, district_names: list[str]) -> dict[str, list[dict]]:
    orders = {
        "district": {name: i for i, name in enumerate(district_names)},
        "source": {name: i for i, name in enumerate(contract.SOURCES)},
        "theme": {name: i for i, name in enumerate(contract.THEMES)},
    }
    out = {}
    for dimension, name in BREAKDOWNS.items():
        items = []
        for key, counts in cases[dimension].items():
            item = {"key": key} | _case_figures(counts, days.get(key) if dimension == "district" else None)
            if dimension != "district":
                del item["median_days_to_resolve"]
            items.append(item)
        order = orders.get(dimension)
        if order is not None:
            items.sort(key=lambda i, o=order: (i["key"] is None, o.get(i["key"], len(o)), i["key"] or ""))
        else:
            items.sort(key=lambda i: (i["key"] is None, -i["total"], i["key"] or ""))
        out[name] = items
    return out


def _overdue(rows: list[dict], as_of: dt.date) -> list[dict]:
    out = [
        {"district": r["district"], "case_id": r["case_id"], "title": r["title"], "town": r["town"],
         "responsible_unit": r["responsible_unit"], "responsible_person": r["responsible_person"],
         "lead_leader": r["lead_leader"], "status": r["status"], "deadline": r["deadline"].isoformat(),
         "days_overdue": (as_of - r["deadline"]).days}
        for r in rows
    ]
    return sorted(out, key=lambda r: (-r["days_overdue"], r["district"], r["case_id"]))


def _due_soon(rows: list[dict], as_of: dt.date) -> list[dict]:
    out = [
        {"district": r["district"], "case_id": r["case_id"], "title": r["title"], "town": r["town"],
         "responsible_unit": r["responsible_unit"], "responsible_person": r["responsible_person"],
         "lead_leader": r["lead_leader"], "status": r["status"], "deadline": r["deadline"].isoformat(),
         "days_left": (r["deadline"] - as_of).days}
        for r in rows
    ]
    return sorted(out, key=lambda r: (r["days_left"], r["district"], r["case_id"]))


def _placed(breakdowns: dict[str, list[dict]], towns: list[dict]) -> dict[str, list[dict]]:
    """Each town row with its district, each paired unit row with its town(s) (reference data)."""
    district_of = {r["town"]: r["district"] for r in towns}
    towns_of: dict[str, list[str]] = defaultdict(list)
    for r in sorted(towns, key=lambda r: r["town"]):
        if r["unit"]:
            towns_of[r["unit"]].append(r["town"])
    breakdowns["by_town"] = [{"key": r["key"], "district": district_of.get(r["key"])} | r
                             for r in breakdowns["by_town"]]
    breakdowns["by_paired_unit"] = [{"key": r["key"], "town": "、".join(towns_of.get(r["key"], [])) or None} | r
                                    for r in breakdowns["by_paired_unit"]]
    return breakdowns


def _missing(rows: list[dict]) -> list[dict]:
    out = [
        {"district": r["district"], "case_id": r["case_id"], "title": r["title"], "status": r["status"],
         "responsible_unit": r["responsible_unit"], "last_listed_as_of": r["last_listed_as_of"].isoformat(),
         "latest_ledger_as_of": r["latest_ledger_as_of"].isoformat()}
        for r in rows
    ]
    return sorted(out, key=lambda r: (r["district"], r["case_id"]))


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def rejection_reason(code: str, column: str | None) -> str:
    """The rule's Chinese message with the column filled in and the cell-specific parts elided."""
    rule = contract.RULES.get(code)
    if rule is None:
        return code
    return _PLACEHOLDER.sub(lambda m: column or "…" if m.group(1) == "header" else "…", rule.message)


def _submissions(rows: list[dict], rejected: list[dict], district_names: list[str]) -> dict:
    order = {name: i for i, name in enumerate(district_names)}
    rows = sorted(rows, key=lambda r: (r["district"] not in order, order.get(r["district"], 0), r["district"]))
    by_reason = sorted(
        ({"code": r["code"], "column": r["column_name"], "reason": rejection_reason(r["code"], r["column_name"]),
          "rows": r["rows_refused"], "findings": r["findings"], "files": r["files"]} for r in rejected),
        key=lambda r: (-r["rows"], -r["files"], r["code"], r["column"] or ""),
    )
    return {
        "received": sum(r["received"] for r in rows),
        "accepted": sum(r["accepted"] for r in rows),
        "rejected": sum(r["rejected"] for r in rows),
        "late": sum(r["late"] for r in rows),
        "by_district": [
            {"district": r["district"], "received": r["received"], "accepted": r["accepted"],
             "rejected": r["rejected"], "late": r["late"], "latest_as_of": r["latest_as_of"].isoformat() if r["latest_as_of"] else None}
            for r in rows
        ],
        "rows_rejected_by_reason": by_reason,
        "districts_not_submitted": [r["district"] for r in rows if r["in_reference"] and not r["ledgers_in_period"]],
        "latest_as_of": {r["district"]: r["latest_as_of"].isoformat() if r["latest_as_of"] else None for r in rows},
    }


# --- the headline -----------------------------------------------------------------------------

def headline(figures: dict, as_of: dt.date, scope: str = CITY, *, others_accountable: int | None = None) -> str:
    """The sentence the source report ends with, each clause following the figures (metrics.md).

    `others_accountable`: of the cases without substantive progress, how many have responsible
    unit, person and deadline (default: all of them when every open case has, else unknown).
    """
    parts = [f"截至{chinese_date(as_of)}"]
    units, in_contact = figures["pairs_total"], figures["pairs_covered"]
    whose = "" if scope == CITY else f"包联{scope}的"
    if units:
        if in_contact == units:
            parts.append(f"{whose}{units}家单位已全部与对应街道（镇乡）联系对接")
        else:
            parts.append(f"{whose}{units}家单位中已有{in_contact}家与对应街道（镇乡）联系对接")
    total, substantive = figures["total"], figures["substantive"]
    parts.append(f"累计梳理问题{total}个")
    if total:
        parts.append(f"其中{substantive}个问题已取得实质性进展（{percent(figures['substantive_rate'])}）")
        others = total - substantive
        if others_accountable is None:
            others_accountable = others if figures["accountable"] == figures["open_cases"] else None
        if others and others_accountable == others:
            parts.append(f"其余{others}个问题均已明确责任单位、责任人员和完成时限")
        elif others and others_accountable is not None:
            parts.append(f"其余{others}个问题中已有{others_accountable}个明确责任单位、责任人员和完成时限")
    return "，".join(parts) + "。"


BEHIND_POINTS = 10  # a district (town) this many points below its scope's rate is named as behind
BEHIND_NAMED = 3


def behind(figures: dict) -> tuple[list[dict], int]:
    """The districts (in a district's figures, the towns) whose substantive-progress rate is at
    least BEHIND_POINTS below the scope's, lowest first: the first BEHIND_NAMED, and how many."""
    key = "by_district" if figures.get("scope", CITY) == CITY else "by_town"
    rows = [r for r in (figures.get("breakdowns") or {}).get(key) or [] if r.get("total") and r.get("key")]
    whole = figures.get("substantive_rate")
    if whole is None:
        return [], 0
    late = [r for r in rows if (r.get("substantive_rate") or 0) * 100 <= whole * 100 - BEHIND_POINTS]
    late.sort(key=lambda r: (r.get("substantive_rate") or 0, -(r.get("total") or 0)))
    return late[:BEHIND_NAMED], len(late)


def attention(figures: dict, previous: dict | None, *, period: str = "week") -> str:
    """The headline's second sentence: what needs attention, from the figures (overdue and its
    change, due within 7 days, the districts or towns furthest behind)."""
    since = {"week": "上周", "month": "上月"}.get(period, "上期")
    overdue, parts = figures.get("overdue") or 0, []
    before = None if previous is None else previous.get("overdue")
    if not overdue:
        parts.append(f"逾期未办结问题已清零（{since}{before}个）" if before else "没有逾期未办结的问题")
    else:
        diff = None if before is None else overdue - before
        change = ("" if diff is None else f"，比{since}增加{diff}个" if diff > 0
                  else f"，比{since}减少{-diff}个" if diff < 0 else f"，与{since}持平")
        parts.append(f"逾期未办结问题{overdue}个{change}")
    due_soon = figures.get("due_soon") or 0
    parts.append(f"另有{due_soon}个问题将在7日内到期" if due_soon else "7日内没有到期的问题")
    named, count = behind(figures)
    if named:
        where = "区县" if figures.get("scope", CITY) == CITY else "街道（镇乡）"
        listed = "、".join(f"{r['key']}（{percent(r.get('substantive_rate'))}）" for r in named)
        more = f"等{count}个{where}" if count > len(named) else ""
        parts.append(f"实质性进展率明显低于{CITY if where == '区县' else '本区县'}"
                     f"（{percent(figures.get('substantive_rate'))}）的{where}：{listed}{more}")
    return "需要关注：" + "；".join(parts) + "。"
