"""The leaders' summary report: from the figures to subject, HTML, plain text, charts and workbook.

Pure: it reads only the figures handed to it, so a past report can be rebuilt byte for byte
from the same figures, and tests can render it without a warehouse.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from grassroots.report import view
from grassroots.report.workbook import build_workbook, district_rows, rejected_reasons

TEMPLATES = Path(__file__).resolve().parent / "templates"
TREND_CID = "chart-trend@grassroots.report"
STATUS_CID = "chart-status@grassroots.report"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass
class Report:
    scope: str
    period: str
    as_of: dt.date | None
    subject: str
    html: str
    text: str
    attachment: bytes
    attachment_name: str
    images: dict[str, bytes] = field(default_factory=dict)  # content id (no <>) -> PNG

    def browser_html(self) -> str:
        """The HTML with its charts embedded as data: URIs, for a browser or the outbox copy."""
        html = self.html
        for cid, png in self.images.items():
            html = html.replace(f"cid:{cid}", "data:image/png;base64," + base64.b64encode(png).decode("ascii"))
        return html


@cache
def _environment(autoescape: bool):
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=autoescape,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters.update(show=view.show, cdate=view.chinese_date, sdate=view.short_date, percent=view.percent,
                       number=view.number)
    return env


def build_report(figures: dict, previous: dict | None, *, period: str, scope: str,
                 history: list[dict] | None = None) -> Report:
    """The report for `scope` ('全市' or a district) over `period` ('week' | 'month').

    `previous` are the figures of the period before (None for the first report); `history`, when
    given, the earlier report dates' figures for the trend chart (else previous and current)."""
    from grassroots.report import charts

    context = _context(figures, previous, period=period, scope=scope)
    images = {
        TREND_CID: charts.trend_chart(_trend_points(figures, previous, history),
                                      title=f"取得实质性进展的问题（按{'周' if period == 'week' else '月'}）"),
        STATUS_CID: charts.status_chart(context["table"]["rows"],
                                        title=f"{context['table']['key_label']}问题办理状态"),
    }
    context["charts"] = {"trend": TREND_CID, "status": STATUS_CID}
    subject = view.subject(scope, period, figures.get("as_of"))
    as_of = view.as_date(figures.get("as_of"))
    return Report(
        scope=scope, period=period, as_of=as_of, subject=subject,
        html=_environment(True).get_template("summary.html.j2").render(context),
        text=_environment(False).get_template("summary.txt.j2").render(context),
        attachment=build_workbook(figures, previous, title=subject.removeprefix("【基层走访】")),
        attachment_name=f"基层走访{scope}{view.period_name(period)}_{as_of.isoformat()}.xlsx",
        images=images,
    )


def _context(figures: dict, previous: dict | None, *, period: str, scope: str) -> dict:
    prev = previous or {}
    is_city = scope == view.CITY
    key = "by_district" if is_city else "by_town"
    prev_rows = {r.get("key"): r for r in (prev.get("breakdowns") or {}).get(key) or []}
    rows = []
    for r in (figures.get("breakdowns") or {}).get(key) or []:
        # a row the previous period lacks had no cases then
        before = (prev_rows.get(r.get("key")) or {}).get("substantive", 0) if previous is not None else None
        rows.append(dict(r, key=r.get("key") or "（未填写）",
                         substantive_change=view.change("substantive", r.get("substantive"), before)))
    overdue = list(figures.get("overdue_cases") or [])
    leaders = [dict(r, missing_text=view.missing_text(r.get("missing"))) for r in figures.get("leaders_falling_short") or []]
    return {
        "scope": scope, "is_city": is_city, "period": period, "period_name": view.period_name(period),
        "since": "较" + view.PREVIOUS_NAMES.get(period, "上期"), "has_previous": previous is not None,
        "as_of": view.as_date(figures.get("as_of")), "period_start": view.as_date(figures.get("period_start")),
        "previous_as_of": view.as_date(prev.get("as_of")),
        "headline": figures.get("headline") or "", "cards": _cards(figures, previous),
        "table": {"key_label": "各区县" if is_city else "各街道（镇乡）", "key_header": "区县" if is_city else "街道（镇乡）",
                  "rows": rows, "totals": figures},
        "overdue": {"count": figures.get("overdue") if figures.get("overdue") is not None else len(overdue),
                    "listed": len(overdue), "rows": overdue[:view.OVERDUE_IN_MAIL], "limit": view.OVERDUE_IN_MAIL},
        "units_not_in_contact": list(figures.get("units_not_in_contact") or []),
        "pairs_total": figures.get("pairs_total"),
        "leaders": {"rows": leaders[:view.LEADERS_IN_MAIL], "count": len(leaders), "limit": view.LEADERS_IN_MAIL,
                    "total": figures.get("leaders_total")},
        "footnote": _footnote(figures, is_city),
    }


def _card(label: str, name: str, figures: dict, previous: dict | None, *, value=None, unit: str = "",
          note: str = "", rate: tuple[str, str] | None = None) -> dict:
    """One headline figure; `rate` = (label, name) of a rate shown under it with its own change."""
    current = figures.get(name)
    card = {
        "label": label, "value": view.show(name, current) if value is None else value, "unit": unit, "note": note,
        "change": view.change(name, current, (previous or {}).get(name) if previous else None),
        "note_change": None,
    }
    if rate:
        rate_label, rate_name = rate
        card["note"] = f"{rate_label} {view.percent(figures.get(rate_name))}"
        if previous:
            card["note_change"] = view.change(rate_name, figures.get(rate_name), previous.get(rate_name))
    return card


def _cards(f: dict, p: dict | None) -> list[list[dict]]:
    """The headline figures as three rows of four cards, each with its change since last time."""
    def of(name: str, total: str) -> str:
        return f"{view.number(f.get(name))}/{view.number(f.get(total))}"

    return [
        [
            _card("累计梳理问题", "total", f, p, unit="个"),
            _card("取得实质性进展", "substantive", f, p, unit="个",
                  rate=("占比", "substantive_rate")),
            _card("已办结（销号）", "resolved", f, p, unit="个", rate=("办结率", "resolution_rate")),
            _card("逾期未办结", "overdue", f, p, unit="个", note=f"7日内到期 {view.number(f.get('due_soon'))}个"),
        ],
        [
            _card("本期新增问题", "new_in_period", f, p, unit="个"),
            _card("本期办结问题", "resolved_in_period", f, p, unit="个"),
            _card("责任落实", "accountable_rate", f, p,
                  note=f"未办结问题中{of('accountable', 'open_cases')}个已明确责任单位、责任人和完成时限"),
            _card("办结用时（中位数）", "median_days_to_resolve", f, p,
                  value=view.number(f.get("median_days_to_resolve")), unit="天"),
        ],
        [
            _card("包联单位已对接", "pairs_covered", f, p, value=of("pairs_covered", "pairs_total"), unit="家"),
            _card("走访覆盖街道（镇乡）", "towns_covered", f, p, value=of("towns_covered", "towns_total"), unit="个"),
            _card("累计走访", "visits", f, p, unit="次", note=_visits_note(f)),
            _card("领导干部联系基层", "leaders_with_contact", f, p, value=of("leaders_with_contact", "leaders_total"),
                  unit="人", note=f"领衔破解难题 {of('leaders_with_problem', 'leaders_total')}人"),
        ],
    ]


def _visits_note(f: dict) -> str:
    """本期的走访, and those of earlier periods first reported in this one (补报), so that a reader
    sees why the total grew by more than this period's visits."""
    note = f"本期 {view.number(f.get('visits_in_period'))}次"
    late = int(f.get("visits_reported_late") or 0)
    return note + (f"，补报走访 {view.number(late)}次" if late else "")


def _footnote(figures: dict, is_city: bool) -> list[str]:
    """The submissions behind the figures: files taken and refused, districts that did not submit."""
    subs = figures.get("submissions") or {}
    lines = []
    rows = district_rows(subs)
    if rows:
        received = sum(int(r.get("received") or 0) for r in rows)
        accepted = sum(int(r.get("accepted") or 0) for r in rows)
        rejected = sum(int(r.get("rejected") or 0) for r in rows)
        late = sum(int(r.get("late") or 0) for r in rows)
        who = "各区县" if is_city else ""
        line = f"本期{who}共报送文件{received}个，接收{accepted}个，退回{rejected}个"
        if late:
            line += f"，逾期报送{late}个"
        reasons = rejected_reasons(subs)
        if reasons:
            line += "（退回行数：" + "；".join(f"{r.get('reason')} {r.get('rows')}行" for r in reasons[:5])
            line += "等）" if len(reasons) > 5 else "）"
        lines.append(line + "。")
    latest = subs.get("latest_as_of") or {}
    latest_of = {r.get("district"): r.get("latest_as_of") for r in rows} | (latest if isinstance(latest, dict) else {})
    missing = list(subs.get("districts_not_submitted") or [])
    if missing:
        parts = [f"{d}（最新清单截至{view.chinese_date(latest_of[d])}）" if latest_of.get(d) else d for d in missing]
        verb = "未报送问题清单" if is_city else "本期未报送问题清单"
        lines.append(f"{'本期' if is_city else ''}{verb}：{'、'.join(parts)}，其数据沿用最近一次报送。")
    elif rows:
        lines.append("各区县均已报送本期问题清单。" if is_city else "本期问题清单已报送。")
    gone = figures.get("missing_cases") or []
    if gone:
        lines.append(f"另有{len(gone)}个问题在所属区县最新清单中未再列出，按其最后一次报送的状态计入。")
    lines.append("完整数据（各项指标、分街道/来源/领域统计、逾期问题全表）见附件。")
    return lines


def _trend_points(figures: dict, previous: dict | None, history: list[dict] | None) -> list[dict]:
    points = list(history) if history else ([previous] if previous else [])
    current = view.as_date(figures.get("as_of"))
    by_date = {view.as_date(p.get("as_of")): p for p in points if p and view.as_date(p.get("as_of")) != current}
    by_date[current] = figures
    return [by_date[d] for d in sorted(by_date)][-12:]
