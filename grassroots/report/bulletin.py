"""The 通报 drafted from data: the source document's shape, every sentence from a case or a figure.

The office that writes the campaign's 通报 gets a draft to edit instead of a blank page: a title,
a preamble with the period's figures, the four themed sections (the contract's 问题领域) each
telling the period's cases of that theme that were resolved or made substantive progress, the
closing paragraph (metrics.headline) and an annex table by district. A case is told only from its
fields (unit, town, title, progress text, amount) and ends with its district and case id in
brackets, so an editor can trace and check every sentence. Cases marked 典型案例 come first, then
the resolved, then the larger amounts.

`draft` is pure (figures and case rows in, Draft out); `cases_in_period` reads the warehouse;
grassroots.report.gongwen lays the draft out as a .docx.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from grassroots import contract
from grassroots.contract import STATUS_RESOLVED, STATUS_SUBSTANTIVE

CAMPAIGN = "联镇街入村社、走企业访群众"  # the campaign's name, as the source document writes it
STORIES_PER_SECTION = 4  # the source tells three or four cases per section
NUMERALS = "一二三四五六七八九十"
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
PROGRESSED = (STATUS_SUBSTANTIVE, STATUS_RESOLVED)


@dataclass(frozen=True)
class Story:
    """One case told in the source's manner: a sub-heading and a sentence, with its reference."""

    heading: str
    text: str
    ref: str  # 〔district case_id〕: where the sentence comes from
    district: str
    case_id: str


@dataclass
class Section:
    heading: str  # 一、聚焦大局所需
    theme: str
    summary: str
    stories: list[Story] = field(default_factory=list)


@dataclass
class Draft:
    scope: str
    period: str
    as_of: dt.date
    title: str
    preamble: str
    sections: list[Section]
    closing: str
    annex_title: str
    annex_header: list[str]
    annex_rows: list[list[str]]
    date_line: str

    @property
    def file_name(self) -> str:
        kind = "月度通报" if self.period == "month" else "通报"
        return f"基层走访{self.scope}{kind}（草稿）_{self.as_of.isoformat()}.docx"

    def stories(self) -> list[Story]:
        return [s for section in self.sections for s in section.stories]


# --- the cases ------------------------------------------------------------------------------

def cases_in_period(engine: Engine, as_of: dt.date, period: str, scope: str) -> list[dict]:
    """The scope's cases that reached 取得实质性进展 or 已办结 in the period: resolved on a day of the
    period, or at 取得实质性进展 at `as_of` and not the day before the period began."""
    from grassroots import metrics

    start = metrics.period_start(as_of, period)
    now = cases_at(engine, as_of, scope)
    before = {(c["district"], c["case_id"]): c["status"] for c in cases_at(engine, start - dt.timedelta(days=1), scope)}

    def progressed(case: dict) -> bool:
        if case["status"] == STATUS_RESOLVED and case.get("resolved_on"):  # as resolved_in_period counts it
            return start <= case["resolved_on"] <= as_of
        return case["status"] in PROGRESSED and before.get((case["district"], case["case_id"])) != case["status"]

    return [c for c in now if progressed(c)]


def cases_at(engine: Engine, as_of: dt.date, scope: str) -> list[dict]:
    """Every case of the scope as it stood at `as_of` (include/sql/select_cases_at.sql)."""
    from grassroots.warehouse import db

    with db.guard(engine), db.read_connection(engine) as conn:
        return db.run_sql(conn, "select_cases_at", {"as_of": as_of, "scope": scope},
                          dates=("reported_on", "deadline", "resolved_on", "as_of"))


def substance(case: dict) -> tuple:
    """Sort key, most substantial first: 典型案例, then resolved, then the larger amount, then the
    fuller progress text; the case id last so the order is stable."""
    return (
        (case.get("exemplary") or "") != contract.EXEMPLARY_YES,
        case.get("status") != STATUS_RESOLVED,
        -(case.get("funds_wan") or 0),
        -len((case.get("progress_note") or "").strip()),
        case.get("district") or "",
        case.get("case_id") or "",
    )


# --- the draft ------------------------------------------------------------------------------

def draft(figures: dict, cases: list[dict], *, period: str, scope: str) -> Draft:
    """The 通报 for `scope` over the period ending figures['as_of'], from its figures (metrics.compute)
    and its cases that progressed in the period (cases_in_period)."""
    as_of = dt.date.fromisoformat(str(figures["as_of"]))
    start = dt.date.fromisoformat(str(figures["period_start"]))
    is_city = scope == contract.SCOPE_CITY
    when = f"{as_of.year}年{as_of.month}月" if period == "month" else f"{_md(start)}至{_md(as_of)}"
    by_theme = {r.get("key"): r for r in (figures.get("breakdowns") or {}).get("by_theme") or []}
    sections = []
    for i, theme in enumerate(contract.THEMES):
        mine = sorted((c for c in cases if c.get("theme") == theme), key=substance)
        sections.append(Section(
            heading=f"{NUMERALS[i]}、聚焦{theme}",
            theme=theme,
            summary=_theme_summary(by_theme.get(theme) or {}, len(mine), as_of, period),
            stories=[_story(j, c) for j, c in enumerate(mine[:STORIES_PER_SECTION])],
        ))
    who = "全市各包联单位" if is_city else f"包联{scope}的各单位"
    preamble = (
        f"{when}，{who}深入开展“{CAMPAIGN}”活动，"
        f"{_this(period)}走访{figures.get('visits_in_period', 0)}次，新增梳理问题{figures.get('new_in_period', 0)}个，"
        f"办结问题{figures.get('resolved_in_period', 0)}个，共有{len(cases)}个问题取得实质性进展或办结。"
        f"现将各领域取得实质性进展和办结的典型案例通报如下。"
    )
    header, rows = _annex(figures, is_city, period)
    return Draft(
        scope=scope, period=period, as_of=as_of,
        title=f"关于{'全市' if is_city else scope}“{CAMPAIGN}”活动{when}进展情况的通报",
        preamble=preamble, sections=sections, closing=figures.get("headline") or "",
        annex_title=f"{'各区县' if is_city else '各街道（镇乡）'}问题办理情况统计表（截至{_ymd(as_of)}）",
        annex_header=header, annex_rows=rows, date_line=_ymd(as_of),
    )


def _story(j: int, case: dict) -> Story:
    district, town = case.get("district") or "", case.get("town") or ""
    actor = (case.get("paired_unit") or case.get("responsible_unit") or "").strip()
    responsible = (case.get("responsible_unit") or "").strip()
    if responsible and responsible != actor:
        actor += f"（责任单位：{responsible}）"
    note = (case.get("progress_note") or "").strip().rstrip("。；;，,. ")
    title = case.get("title") or ""
    text = f"{actor}针对{district}{town}“{title}”{'' if title.endswith('问题') else '问题'}"
    if note:
        text += f"，{note}"
    funds = case.get("funds_wan")
    if funds:
        amount = f"{_number(funds)}万元"
        if amount not in note:
            text += f"，涉及资金{amount}"
    if case.get("status") == STATUS_RESOLVED and case.get("resolved_on"):
        text += f"，该问题已于{_md(case['resolved_on'])}办结"
    elif case.get("status") == STATUS_RESOLVED:
        text += "，该问题已办结"
    else:
        text += "，目前已取得实质性进展"
    return Story(heading=f"（{NUMERALS[j]}）{case.get('title') or ''}", text=text + "。",
                 ref=f"〔{district} {case.get('case_id')}〕", district=district, case_id=case.get("case_id") or "")


def _theme_summary(row: dict, progressed: int, as_of: dt.date, period: str) -> str:
    text = (f"截至{_md(as_of)}，该领域累计梳理问题{row.get('total', 0)}个，{row.get('substantive', 0)}个已取得"
            f"实质性进展，其中已办结{row.get('resolved', 0)}个。")
    if not progressed:
        return text + f"{_this(period)}该领域暂无新取得实质性进展或办结的问题。"
    shown = min(progressed, STORIES_PER_SECTION)
    more = f"，择要列举{shown}个" if progressed > shown else ""
    return text + f"{_this(period)}新取得实质性进展或办结{progressed}个{more}。"


ANNEX_COLUMNS = (
    ("梳理问题", "total"), ("取得实质性进展", "substantive"), ("其中已办结", "resolved"),
    ("实质性进展占比", "substantive_rate"), ("{this}新增", "new_in_period"), ("{this}办结", "resolved_in_period"),
    ("逾期未办结", "overdue"),
)


def _annex(figures: dict, is_city: bool, period: str) -> tuple[list[str], list[list[str]]]:
    """The table by district (a district's draft: by town), with the scope's total last."""
    from grassroots.metrics import percent

    key = "by_district" if is_city else "by_town"
    header = ["区县" if is_city else "街道（镇乡）"] + [label.format(this=_this(period)) for label, _ in ANNEX_COLUMNS]

    def cells(row: dict) -> list[str]:
        return [percent(row.get(name)) if name.endswith("_rate") else str(row.get(name) or 0)
                for _, name in ANNEX_COLUMNS]

    rows = [[r.get("key") or "（未填写）", *cells(r)] for r in (figures.get("breakdowns") or {}).get(key) or []]
    rows.append(["合计", *cells(figures)])
    return header, rows


def _this(period: str) -> str:
    return "本月" if period == "month" else "本期"


def _md(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def _ymd(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --- from the warehouse to the document -----------------------------------------------------

def build(engine: Engine, figures: dict, *, period: str, scope: str) -> tuple[Draft, bytes]:
    """The draft of `scope` for the period of `figures` and its .docx bytes."""
    from grassroots.report import gongwen

    as_of = dt.date.fromisoformat(str(figures["as_of"]))
    the_draft = draft(figures, cases_in_period(engine, as_of, period, scope), period=period, scope=scope)
    return the_draft, gongwen.docx_bytes(the_draft)
