"""`python -m grassroots metrics`: the figures of metrics.md at a date, as a table or as JSON."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

from grassroots import metrics
from grassroots.settings import Settings

CASE_ROWS = (
    ("total", "累计梳理问题"), ("not_started", "未启动"), ("in_progress", "推进中"),
    ("substantive", "取得实质性进展"), ("resolved", "已办结（销号）"), ("substantive_rate", "实质性进展率"),
    ("resolution_rate", "办结率"), ("overdue", "逾期未办结"), ("due_soon", "临期（7日内）"),
    ("accountable", "责任落实"), ("new_in_period", "本期新增"), ("resolved_in_period", "本期办结"),
    ("median_days_to_resolve", "平均办结用时（中位数）"),
)
DISTRICT_COLUMNS = (
    ("total", "累计问题"), ("substantive", "实质性进展"), ("substantive_rate", "进展率"), ("resolved", "已办结"),
    ("overdue", "逾期"), ("visits", "走访次数"), ("pairs_covered", "包联覆盖"),
)
OVERDUE_SHOWN = 20


def run(as_of: dt.date, district: str | None, as_json: bool, settings: Settings) -> int:
    """Print the figures of the city (or one district) at as_of; 0 when done."""
    from grassroots import warehouse

    with warehouse.opened(settings.warehouse_url) as engine:
        figures = metrics.compute(engine, as_of, district=district, timezone=settings.timezone)
    if as_json:
        data = {name: figures[name] for name in metrics.FIGURES}
        data |= {"as_of": figures["as_of"], "districts": figures["districts"]}
        print(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        print(render(figures))
    return 0


def render(f: dict) -> str:
    """The figures as a plain-text table in Chinese, for a terminal."""
    as_of = dt.date.fromisoformat(f["as_of"])
    start = dt.date.fromisoformat(f["period_start"])
    lines = [f"{f['scope']} 基层走访问题统计  截至{metrics.chinese_date(as_of)}"
             f"（本期 {start.month}月{start.day}日—{as_of.month}月{as_of.day}日）", "", f["headline"], "", "问题办理"]
    for name, label in CASE_ROWS:
        lines.append(f"  {pad(label, 24)}{_value(f, name)}")
    lines += ["", "走访与包联"]
    late = f"，补报 {f['visits_reported_late']}" if f.get("visits_reported_late") else ""
    lines.append(f"  {pad('走访次数', 24)}{f['visits']}（本期 {f['visits_in_period']}{late}）")
    lines.append(f"  {pad('覆盖街道（镇乡）', 24)}{f['towns_covered']}/{f['towns_total']}")
    lines.append(f"  {pad('包联覆盖率', 24)}{f['pairs_covered']}/{f['pairs_total']}"
                 f"（{metrics.percent(metrics.rate(f['pairs_covered'], f['pairs_total']))}）")
    lines.append(f"  {pad('未对接单位', 24)}{'、'.join(f['units_not_in_contact']) or '无'}")
    lines.append(f"  {pad('领导干部联系基层', 24)}{f['leaders_with_contact']}/{f['leaders_total']}")
    lines.append(f"  {pad('领导干部破解难题', 24)}{f['leaders_with_problem']}/{f['leaders_total']}")
    short = [f"{x['name']}（{x['unit']}，缺{'、'.join(x['missing'])}）" for x in f["leaders_falling_short"]]
    lines.append(f"  {pad('未达要求领导', 24)}{'；'.join(short) or '无'}")
    if f["districts"]:
        lines += ["", "各区县"]
        lines.append(("  " + pad("区县", 10) + "".join(pad(label, 12) for _, label in DISTRICT_COLUMNS)).rstrip())
        for name, d in f["districts"].items():
            lines.append(("  " + pad(name, 10) + "".join(pad(_value(d, col), 12) for col, _ in DISTRICT_COLUMNS)).rstrip())
    if f["overdue_cases"]:
        lines += ["", f"逾期未办结问题（共{len(f['overdue_cases'])}个，逾期最久的在前）"]
        for c in f["overdue_cases"][:OVERDUE_SHOWN]:
            lines.append(f"  {c['district']} {c['case_id']} {c['title']}：{c['responsible_unit'] or '—'} "
                         f"{c['responsible_person'] or '—'}，时限{c['deadline']}，逾期{c['days_overdue']}天")
        if len(f["overdue_cases"]) > OVERDUE_SHOWN:
            lines.append(f"  ……另有{len(f['overdue_cases']) - OVERDUE_SHOWN}个，见 --json 或报告附件")
    if f["missing_cases"]:
        lines += ["", f"最新清单中缺少的问题（{len(f['missing_cases'])}个，按上次状态计入）"]
        lines += [f"  {c['district']} {c['case_id']} {c['title']}（最后列入 {c['last_listed_as_of']}）"
                  for c in f["missing_cases"]]
    not_submitted = f["submissions"]["districts_not_submitted"]
    lines += ["", f"本期未报送问题清单的区县：{'、'.join(not_submitted) or '无'}"]
    return "\n".join(lines)


def _value(f: dict, name: str) -> str:
    value = f[name]
    if name.endswith("_rate"):
        return metrics.percent(value)
    if name == "accountable":
        return f"{value}/{f['open_cases']}（{metrics.percent(f['accountable_rate'])}）"
    if name == "pairs_covered":
        return f"{value}/{f['pairs_total']}"
    if name == "median_days_to_resolve":
        return "—" if value is None else f"{value:g}天"
    return str(value)


def pad(text: str, width: int) -> str:
    """Left-align text to a terminal width, counting a Chinese character as two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - used)
