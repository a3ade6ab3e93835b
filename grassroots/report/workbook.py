"""The report's attachment: every figure and every list as an .xlsx workbook a leader can forward.

One Chinese header row per sheet with the filters on it; the figure names of metrics.md (for
anyone who reads the workbook as data) are in the 字段说明 sheet, not on the tables. Empty cells
stay empty, dates are dates, an empty list says 无. Text that came from a district's file is
written as text, never as a live formula.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from grassroots import figures as catalogue
from grassroots.report import view

HEADER_FILL, INK = "1F4E79", "FFFFFF"
MAX_WIDTH, WRAP_WIDTH = 60, 40
NONE_KEY = "（未填写）"


@dataclass(frozen=True)
class Col:
    """One column of a sheet: the field's name (字段名), its Chinese header and how to write it."""

    name: str
    header: str
    kind: str = "text"  # text | date | count | rate | days | points
    note: str = ""  # 字段说明


def _figure_col(name: str) -> Col:
    f = catalogue.figure(name)
    return Col(name, f.title, f.kind if f.kind != catalogue.COUNT else "count", f.definition)


CASE_COLS = {
    "district": Col("district", "区县"),
    "case_id": Col("case_id", "问题编号"),
    "title": Col("title", "问题名称"),
    "town": Col("town", "街道（镇乡）"),
    "responsible_unit": Col("responsible_unit", "责任单位"),
    "responsible_person": Col("responsible_person", "责任人"),
    "lead_leader": Col("lead_leader", "领衔领导"),
    "status": Col("status", "办理状态"),
    "deadline": Col("deadline", "完成时限", "date"),
    "days_overdue": Col("days_overdue", "逾期天数", "count", "统计日减完成时限的天数"),
    "days_left": Col("days_left", "剩余天数", "count", "完成时限减统计日的天数（0为当日到期）"),
}
OVERDUE_COLUMNS = ("district", "case_id", "title", "town", "responsible_unit", "responsible_person", "lead_leader",
                   "status", "deadline", "days_overdue")
DUE_SOON_COLUMNS = (*OVERDUE_COLUMNS[:-1], "days_left")
BREAKDOWN_SHEETS = (  # (sheet, breakdown key, key column, columns placed before the figures)
    ("分区县", "by_district", Col("key", "区县"), ()),
    ("分街道", "by_town", Col("key", "街道（镇乡）"), (Col("district", "区县", note="街道（镇乡）所属区县"),)),
    ("分包联单位", "by_paired_unit", Col("key", "包联单位"),
     (Col("town", "包联街道（镇乡）", note="该单位包联的街道（镇乡），据基础信息表"),)),
    ("分责任单位", "by_responsible_unit", Col("key", "责任单位"), ()),
    ("分来源", "by_source", Col("key", "问题来源"), ()),
    ("分领域", "by_theme", Col("key", "问题领域"), ()),
)
LEADER_COLS = (Col("name", "姓名"), Col("title", "职务"), Col("unit", "单位"),
               Col("missing", "未达要求", note="尚未做到的要求：联系基层、破解难题"))
MISSING_COLS = (CASE_COLS["district"], CASE_COLS["case_id"], CASE_COLS["title"], CASE_COLS["status"],
                CASE_COLS["responsible_unit"],
                Col("last_listed_as_of", "最后列入清单截至日期", "date", "最后一次列出该问题的清单的截至日期"),
                Col("latest_ledger_as_of", "所属区县最新清单截至日期", "date"))
SUBMISSION_COLS = (Col("district", "区县"), Col("received", "收到文件", "count", "本期（按清单截至日期）收到的文件数"),
                   Col("accepted", "接收", "count"), Col("rejected", "退回", "count"),
                   Col("late", "逾期报送", "count", "本期文件中晚于报送截止时间到达的"),
                   Col("latest_as_of", "最新清单截至日期", "date"), Col("submitted", "本期已报送"))
REASON_COLS = (Col("reason", "退回原因"), Col("rows", "退回行数", "count"))


def build_workbook(figures: dict, previous: dict | None, *, title: str, attention: str = "") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    fields: list[tuple[str, Col]] = []  # (sheet, column) for 字段说明

    def table(sheet: str, cols, rows: list[dict], *, freeze_first: bool = False) -> None:
        _table(wb.create_sheet(sheet), list(cols), rows, freeze_first=freeze_first)
        fields.extend((sheet, c) for c in cols)

    _summary(wb.active, figures, previous, title, attention)
    breakdowns = figures.get("breakdowns") or {}
    for sheet, key, key_col, placed in BREAKDOWN_SHEETS:
        rows = [dict(r, key=r.get("key") if r.get("key") is not None else NONE_KEY) for r in breakdowns.get(key) or []]
        names = [n for n in catalogue.BREAKDOWN_COLUMNS if any(n in r for r in rows)] or ["total"]
        table(sheet, (key_col, *placed, *map(_figure_col, names)), rows, freeze_first=True)
    table("逾期问题", [CASE_COLS[n] for n in OVERDUE_COLUMNS], list(figures.get("overdue_cases") or []))
    table("临期问题", [CASE_COLS[n] for n in DUE_SOON_COLUMNS], list(figures.get("due_soon_cases") or []))
    table("未对接单位", [Col("unit", "单位", note=catalogue.figure("units_not_in_contact").definition)],
          [{"unit": u} for u in figures.get("units_not_in_contact") or []])
    leaders = [dict(r, missing=view.missing_text(r.get("missing"))) for r in figures.get("leaders_falling_short") or []]
    table("未达要求领导", LEADER_COLS, leaders)
    missing = [dict(r, last_listed_as_of=r.get("last_listed_as_of") or r.get("missing_since"))
               for r in figures.get("missing_cases") or []]
    table("最新清单未列问题", MISSING_COLS, missing)
    submissions = figures.get("submissions") or {}
    table("报送情况", SUBMISSION_COLS, _submission_rows(submissions))
    table("退回原因", REASON_COLS, rejected_reasons(submissions))
    _field_notes(wb.create_sheet("字段说明"), fields)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _summary(ws, figures: dict, previous: dict | None, title: str, attention: str) -> None:
    """The headline, what needs attention, and every figure with last period's and the change."""
    from openpyxl.styles import Alignment

    ws.title = "汇总"
    prev = previous or {}
    ws["A1"] = title
    ws["A1"].font = _font(bold=True, size=13)
    texts = [("开篇语", figures.get("headline")), ("需要关注", attention)]
    row = 2
    for label, text in texts:
        if text:
            ws.cell(row=row, column=1, value=label).font = _font(bold=True)
            cell = ws.cell(row=row, column=2, value=text)
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row].height = 15 * (1 + len(text) // 42)
            row += 1
    header = row + 1
    _header(ws, header, ["指标", "数值", "上期", "变化", "单位"])
    rows = [
        ("范围", figures.get("scope"), None, None, ""),
        ("报告类型", view.period_name(figures.get("period") or "week"), None, None, ""),
        ("统计期开始", view.as_date(figures.get("period_start")), view.as_date(prev.get("period_start")), None, ""),
        ("截至日期", view.as_date(figures.get("as_of")), view.as_date(prev.get("as_of")), None, ""),
    ]
    kinds = {}
    for f in catalogue.FIGURES:
        if f.name not in figures:
            continue
        cur, before = figures.get(f.name), prev.get(f.name) if previous else None
        if f.kind == catalogue.LIST:
            cur = len(cur or [])
            before = None if before is None else len(before)
            rows.append((f"{f.title}数", cur, before, _diff(cur, before), f.unit))
            kinds[len(rows)] = catalogue.COUNT
            continue
        if f.kind == catalogue.RATE:
            diff = catalogue.points(cur, before)
        else:
            diff = _diff(cur, before)
        rows.append((f.title, cur, before, diff, f.unit))
        kinds[len(rows)] = f.kind
    for i, values in enumerate(rows, start=1):
        r = header + i
        for j, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=j)
            _put(cell, value)
            if kinds.get(i) == catalogue.RATE and j in (2, 3) and value is not None:
                cell.number_format = "0.0%"
            elif kinds.get(i) == catalogue.RATE and j == 4 and value is not None:
                cell.number_format = '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"'
            elif j == 4 and value is not None:
                cell.number_format = "+0;-0;0"
    _widths(ws, [24, 16, 16, 14, 8])
    ws.freeze_panes = ws.cell(row=header + 1, column=1)


def _diff(cur, before):
    return cur - before if isinstance(cur, int | float) and isinstance(before, int | float) else None


def _table(ws, cols: list[Col], rows: list[dict], *, freeze_first: bool = False) -> None:
    """A header row with filters, one row per item; '无' under the header when there is none."""
    from openpyxl.styles import Alignment

    _header(ws, 1, [c.header for c in cols])
    if not rows:
        ws.cell(row=2, column=1, value="无")
    wrap = Alignment(wrap_text=True, vertical="top")
    widths = [_text_width(c.header) + 4 for c in cols]  # room for the filter button
    for i, row in enumerate(rows, start=2):
        for j, col in enumerate(cols, start=1):
            value = _value(row.get(col.name), col.kind)
            cell = ws.cell(row=i, column=j)
            _put(cell, value)
            if col.kind == catalogue.RATE and value is not None:
                cell.number_format = "0.0%"
            if i < 502 and value is not None:
                shown = {"date": 10, catalogue.RATE: 7}.get(col.kind) or _text_width(str(value))
                widths[j - 1] = max(widths[j - 1], shown + 2)
    for j, col in enumerate(cols, start=1):
        if widths[j - 1] > WRAP_WIDTH and col.kind == "text":
            widths[j - 1] = WRAP_WIDTH
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.alignment = wrap
    _widths(ws, [min(w, MAX_WIDTH) for w in widths])
    ws.freeze_panes = "B2" if freeze_first else "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{_col(len(cols))}{len(rows) + 1}"


def _value(value, kind: str):
    if isinstance(value, list | tuple):
        return "、".join(map(str, value)) or None
    if kind == "date":
        return view.as_date(value)
    if value == "":
        return None
    return value


def _put(cell, value) -> None:
    """Write a cell; None stays an empty cell."""
    from grassroots.validation.receipts import put

    if value is not None:
        put(cell, value)


def _submission_rows(submissions: dict) -> list[dict]:
    not_submitted = set(submissions.get("districts_not_submitted") or [])
    latest = submissions.get("latest_as_of") or {}
    rows = []
    for r in district_rows(submissions):
        district = r.get("district")
        rows.append({
            "district": district, "received": r.get("received") or 0, "accepted": r.get("accepted") or 0,
            "rejected": r.get("rejected") or 0, "late": r.get("late") or 0,
            "latest_as_of": r.get("latest_as_of") or (latest.get(district) if isinstance(latest, dict) else None),
            "submitted": "否" if district in not_submitted else "是",
        })
    return rows


def _field_notes(ws, fields: list[tuple[str, Col]]) -> None:
    """Every column of every sheet: its Chinese header, the field's name (metrics.md) and meaning."""
    cols = [Col("sheet", "工作表"), Col("header", "列名"), Col("name", "字段名"), Col("note", "说明")]
    keys = {sheet: dimension for sheet, key, _, _ in BREAKDOWN_SHEETS for dimension in [key.removeprefix("by_")]}
    rows = [{"sheet": sheet, "header": c.header, "name": keys.get(sheet, c.name) if c.name == "key" else c.name,
             "note": c.note or None} for sheet, c in fields]
    _table(ws, cols, rows)


def district_rows(submissions: dict) -> list[dict]:
    """Per-district submission counts, whether the figures give a list or a {district: counts} map."""
    rows = submissions.get("by_district") or submissions.get("districts") or []
    if isinstance(rows, dict):
        rows = [{"district": d, **(v or {})} for d, v in rows.items()]
    return list(rows)


def rejected_reasons(submissions: dict) -> list[dict]:
    reasons = submissions.get("rows_rejected_by_reason") or []
    if isinstance(reasons, dict):
        reasons = [{"reason": k, "rows": v} for k, v in reasons.items()]
    return list(reasons)


def _header(ws, row: int, labels: list[str]) -> None:
    from openpyxl.styles import Alignment, PatternFill

    for j, label in enumerate(labels, start=1):
        cell = ws.cell(row=row, column=j, value=label)
        cell.font = _font(bold=True, color=INK)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(vertical="center")


def _font(*, bold: bool = False, color: str = "000000", size: float = 11):
    from openpyxl.styles import Font

    return Font(name="等线", bold=bold, color=color, size=size)


def _widths(ws, widths: list[float]) -> None:
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[_col(j)].width = w


def _col(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j)


def _text_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
