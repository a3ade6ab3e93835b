"""Hand-made figures in the shape of grassroots.metrics.compute, for the report's rendering tests.

Three districts, a few towns each; numbers chosen so every part of the report has something to
show (overdue cases beyond the mail's first 20, units not in contact, leaders falling short).
"""

from __future__ import annotations

import datetime as dt

AS_OF = dt.date(2026, 11, 27)
PREVIOUS_AS_OF = dt.date(2026, 11, 20)

# district -> town -> (total, not_started, in_progress, substantive, resolved, overdue)
TOWNS = {
    "海曙区": {"章水镇": (40, 4, 20, 24, 16, 3), "石碶街道": (30, 2, 16, 18, 12, 2), "古林镇": (26, 6, 14, 10, 6, 4)},
    "鄞州区": {"姜山镇": (52, 2, 26, 36, 24, 1), "邱隘镇": (34, 3, 20, 19, 11, 5)},
    "慈溪市": {"观海卫镇": (44, 8, 24, 20, 12, 6), "掌起镇": (28, 1, 14, 20, 13, 4)},
}


def _row(key: str, total: int, not_started: int, in_progress: int, substantive: int, resolved: int,
         overdue: int) -> dict:
    return {
        "key": key, "total": total, "not_started": not_started, "in_progress": in_progress,
        "substantive": substantive, "resolved": resolved, "substantive_rate": substantive / total,
        "resolution_rate": resolved / total, "overdue": overdue, "due_soon": 1,
        "accountable": total - resolved, "open_cases": total - resolved,
    }


def _sum(rows: list[tuple]) -> tuple:
    return tuple(sum(r[i] for r in rows) for i in range(6))


def _overdue_cases(district: str | None) -> list[dict]:
    out = []
    n = 0
    for d, towns in TOWNS.items():
        for town, numbers in towns.items():
            for i in range(numbers[5]):
                n += 1
                out.append({
                    "district": d, "case_id": f"{d[:1]}-{town[:1]}-{i + 1:03d}",
                    "title": f"{town}老旧小区雨污分流改造第{i + 1}期", "responsible_unit": "市住建局",
                    "responsible_person": f"责任人{n}", "deadline": AS_OF - dt.timedelta(days=3 * n),
                    "days_overdue": 3 * n,
                })
    out = [c for c in out if district in (None, c["district"])]
    return sorted(out, key=lambda c: -c["days_overdue"])


def figures(scope: str = "全市", *, as_of: dt.date = AS_OF, shift: int = 0) -> dict:
    """Figures for the city or one district; `shift` lowers every count a little (an earlier week)."""
    districts = [scope] if scope != "全市" else list(TOWNS)
    town_rows = [
        _row(town, *(max(0, x - shift) for x in numbers)) if shift else _row(town, *numbers)
        for d in districts for town, numbers in TOWNS[d].items()
    ]
    district_rows = []
    for d in districts:
        numbers = _sum([tuple(max(0, x - shift) for x in n) for n in TOWNS[d].values()])
        district_rows.append(_row(d, *numbers))
    total, not_started, in_progress, substantive, resolved, overdue = _sum(
        [tuple(r[k] for k in ("total", "not_started", "in_progress", "substantive", "resolved", "overdue"))
         for r in district_rows])
    open_cases = total - resolved
    units_missing = [] if scope != "全市" else ["市档案馆", "市委党史研究室"]
    pairs_total = 7 if scope == "全市" else len(TOWNS[scope])
    result = {
        "as_of": as_of, "period": "week", "period_start": as_of - dt.timedelta(days=6), "scope": scope,
        "total": total, "not_started": not_started, "in_progress": in_progress, "substantive": substantive,
        "resolved": resolved, "substantive_rate": substantive / total, "resolution_rate": resolved / total,
        "overdue": overdue, "due_soon": 7 - shift, "accountable": open_cases - 3, "open_cases": open_cases,
        "accountable_rate": (open_cases - 3) / open_cases, "new_in_period": 18 - shift,
        "resolved_in_period": 9 - shift, "median_days_to_resolve": 37.0,
        "visits": 320 - 20 * shift, "visits_in_period": 41 - shift, "towns_covered": 7, "towns_total": 7,
        "pairs_covered": pairs_total - len(units_missing), "pairs_total": pairs_total,
        "units_not_in_contact": units_missing,
        "leaders_with_contact": 12, "leaders_with_problem": 11, "leaders_total": 14,
        "leaders_falling_short": [
            {"name": "赵敏", "unit": "市档案馆", "missing": ["联系基层", "破解难题"]},
            {"name": "钱进", "unit": "市委党史研究室", "missing": ["破解难题"]},
            {"name": "孙立", "unit": "市民宗局", "missing": ["破解难题"]},
        ] if scope == "全市" else [],
        "headline": (
            f"截至{as_of.year}年{as_of.month}月{as_of.day}日，7家单位中已有5家与对应街道（镇乡）联系对接，"
            f"累计梳理问题{total}个，其中{substantive}个问题已取得实质性进展（{substantive / total:.1%}），"
            f"其余{total - substantive}个问题中有3个尚未明确责任单位、责任人员或完成时限。"
        ),
        "breakdowns": {
            "by_district": district_rows,
            "by_town": town_rows,
            "by_paired_unit": [_row("市经信局", 52, 2, 26, 36, 24, 1), _row("市住建局", 40, 4, 20, 24, 16, 3)],
            "by_responsible_unit": [_row("市住建局", 120, 10, 60, 70, 40, 20)],
            "by_source": [_row("民生实事", 150, 10, 80, 90, 60, 12), _row("重点项目", 104, 16, 54, 57, 34, 13)],
            "by_theme": [_row("民生所盼", 254, 26, 134, 147, 94, 25)],
        },
        "overdue_cases": _overdue_cases(None if scope == "全市" else scope),
        "missing_cases": [{"district": "鄞州区", "case_id": "YZ-099", "title": "邱隘镇农贸市场改造",
                           "missing_since": as_of - dt.timedelta(days=3)}] if scope in ("全市", "鄞州区") else [],
        "submissions": {
            "by_district": [
                {"district": d, "received": 2, "accepted": 1 if d != "慈溪市" else 0, "rejected": 1 if d != "海曙区" else 0,
                 "latest_as_of": as_of if d != "慈溪市" else as_of - dt.timedelta(days=14)}
                for d in districts
            ],
            "rows_rejected_by_reason": [{"reason": "完成时限不是日期", "rows": 4}, {"reason": "办理状态不在下拉选项中", "rows": 2}],
            "districts_not_submitted": [d for d in districts if d == "慈溪市"],
            "latest_as_of": {d: (as_of if d != "慈溪市" else as_of - dt.timedelta(days=14)) for d in districts},
        },
    }
    if scope == "全市":
        result["districts"] = {d: figures(d, as_of=as_of, shift=shift) for d in TOWNS}
    return result


def previous(scope: str = "全市") -> dict:
    return figures(scope, as_of=PREVIOUS_AS_OF, shift=2)
