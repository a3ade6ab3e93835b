"""The report's attachment: every figure and every list as an .xlsx workbook.

Each sheet has two header rows: the Chinese label for people, then the figure's name (as in
metrics.md) for anyone who reads the workbook as data. Text that came from a district's file
is written as text, never as a live formula.
"""

from __future__ import annotations

import io

from grassroots.report import view

HEADER_FILL, NAME_FILL, INK, NAME_INK = "1F4E79", "EAF1F8", "FFFFFF", "5B6B7C"
BREAKDOWN_SHEETS = (  # (sheet, breakdown key, label of the key column)
    ("分区县", "by_district", "区县"),
    ("分街道", "by_town", "街道（镇乡）"),
    ("分包联单位", "by_paired_unit", "包联单位"),
    ("分责任单位", "by_responsible_unit", "责任单位"),
    ("分来源", "by_source", "问题来源"),
    ("分领域", "by_theme", "问题领域"),
)
LIST_LABELS = {
    "district": "区县", "case_id": "问题编号", "title": "问题名称", "town": "街道（镇乡）", "paired_unit": "包联单位",
    "responsible_unit": "责任单位", "responsible_person": "责任人", "lead_leader": "领衔领导", "deadline": "完成时限",
    "days_overdue": "逾期天数", "status": "办理状态", "as_of": "所在清单截至日期", "missing_since": "最新清单未列出自",
    "name": "姓名", "unit": "单位", "title_": "职务", "missing": "未达要求", "received": "收到文件",
    "accepted": "接收", "rejected": "退回", "late": "逾期报送", "latest_as_of": "最新清单截至日期", "submitted": "本期已报送",
    "reason": "退回原因", "rows": "退回行数", "reported_on": "发现日期",
}
OVERDUE_COLUMNS = ("district", "case_id", "title", "responsible_unit", "responsible_person", "deadline", "days_overdue")


def build_workbook(figures: dict, previous: dict | None, *, title: str) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    _summary(wb.active, figures, previous, title)
    breakdowns = figures.get("breakdowns") or {}
    for sheet, key, key_label in BREAKDOWN_SHEETS:
        rows = breakdowns.get(key) or []
        columns = [("key", key_label)] + _columns(rows, [n for n, _ in view.BREAKDOWN_COLUMNS], skip={"key"},
                                                  labels=dict(view.BREAKDOWN_COLUMNS) | view.LABELS)
        _table(wb.create_sheet(sheet), columns, rows)
    overdue = figures.get("overdue_cases") or []
    _table(wb.create_sheet("逾期问题"), _columns(overdue, OVERDUE_COLUMNS), overdue)
    units = [{"unit": u} for u in figures.get("units_not_in_contact") or []]
    _table(wb.create_sheet("未对接单位"), [("unit", "单位")], units, name_row={"unit": "units_not_in_contact"})
    leaders = [dict(r, missing=view.missing_text(r.get("missing"))) for r in figures.get("leaders_falling_short") or []]
    _table(wb.create_sheet("未达要求领导"), _columns(leaders, ("name", "unit", "missing")), leaders)
    missing = figures.get("missing_cases") or []
    _table(wb.create_sheet("最新清单未列问题"), _columns(missing, ("district", "case_id", "title", "missing_since")),
           missing)
    _submissions(wb, figures.get("submissions") or {})
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _columns(rows: list[dict], first, *, skip=(), labels=None) -> list[tuple[str, str]]:
    """The given columns, then every other key the rows carry (so no figure is dropped)."""
    labels = labels or LIST_LABELS
    names = list(first) + [k for r in rows for k in r if k not in first and k not in skip]
    names = [n for n in dict.fromkeys(names) if n not in skip]
    return [(n, labels.get(n) or LIST_LABELS.get(n) or view.LABELS.get(n) or n) for n in names]


def _summary(ws, figures: dict, previous: dict | None, title: str) -> None:
    ws.title = "汇总"
    ws.append([title])
    ws["A1"].font = _font(bold=True, size=13)
    rows = [
        ("范围", "scope", figures.get("scope"), None, None),
        ("报告类型", "period", view.period_name(figures.get("period") or "week"), None, None),
        ("统计期开始", "period_start", view.as_date(figures.get("period_start")), None, None),
        ("截至日期", "as_of", view.as_date(figures.get("as_of")),
         view.as_date((previous or {}).get("as_of")), None),
        ("开篇语", "headline", figures.get("headline"), None, None),
    ]
    for name, label, _, _ in view.FIGURES:
        if name not in figures:
            continue
        cur, prev = figures.get(name), (previous or {}).get(name)
        diff = cur - prev if isinstance(cur, int | float) and isinstance(prev, int | float) else None
        rows.append((label, name, cur, prev, diff))
    for name, label in (("units_not_in_contact", "未对接单位数"), ("leaders_falling_short", "未达要求领导数"),
                        ("overdue_cases", "逾期问题清单条数"), ("missing_cases", "最新清单未列问题数")):
        if name in figures:
            prev = (previous or {}).get(name)
            rows.append((label, name, len(figures[name] or []), None if prev is None else len(prev), None))
    start = 3
    _header(ws, start, [("label", "指标"), ("name", "名称"), ("value", "数值"), ("previous", "上期"),
                        ("change", "变化")], name_row=True)
    from grassroots.validation.receipts import put

    for i, row in enumerate(rows, start=start + 2):
        for j, value in enumerate(row, start=1):
            cell = ws.cell(row=i, column=j)
            put(cell, value)
            if view.KINDS.get(row[1]) == "rate" and j >= 3 and value is not None:
                cell.number_format = "0.0%"
    _widths(ws, [22, 26, 16, 14, 12])
    ws["C" + str(start + 6)].alignment = _wrap()
    ws.freeze_panes = ws.cell(row=start + 2, column=1)


def _table(ws, columns: list[tuple[str, str]], rows: list[dict], name_row: dict | None = None) -> None:
    from grassroots.validation.receipts import put

    _header(ws, 1, columns, name_row=True, names=name_row)
    for i, row in enumerate(rows, start=3):
        for j, (name, _) in enumerate(columns, start=1):
            cell = ws.cell(row=i, column=j)
            value = row.get(name)
            put(cell, "、".join(map(str, value)) if isinstance(value, list | tuple) else value)
            if view.KINDS.get(name) == "rate" or name.endswith("_rate"):
                cell.number_format = "0.0%"
    widths = []
    for name, label in columns:
        texts = [label, name] + [str(r.get(name) or "") for r in rows[:500]]
        widths.append(min(max(_text_width(t) for t in texts) + 2, 60))
    _widths(ws, widths)
    ws.freeze_panes = "A3"
    if rows:
        ws.auto_filter.ref = f"A2:{_col(len(columns))}{len(rows) + 2}"


def _submissions(wb, submissions: dict) -> None:
    not_submitted = set(submissions.get("districts_not_submitted") or [])
    latest = submissions.get("latest_as_of") or {}
    rows = []
    for r in district_rows(submissions):
        district = r.get("district")
        rows.append({
            "district": district, "received": r.get("received"), "accepted": r.get("accepted"),
            "rejected": r.get("rejected"), "late": r.get("late") or 0,
            "latest_as_of": view.as_date(r.get("latest_as_of") or (latest.get(district) if isinstance(latest, dict) else None)),
            "submitted": "否" if district in not_submitted else "是",
        })
    _table(wb.create_sheet("报送情况"), [(n, LIST_LABELS[n]) for n in
                                     ("district", "received", "accepted", "rejected", "late", "latest_as_of", "submitted")], rows)
    reasons = rejected_reasons(submissions)
    _table(wb.create_sheet("退回原因"), [("reason", "退回原因"), ("rows", "退回行数")], reasons,
           name_row={"reason": "reason", "rows": "rows_rejected"})


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


def _header(ws, row: int, columns: list[tuple[str, str]], *, name_row: bool, names: dict | None = None) -> None:
    from openpyxl.styles import PatternFill

    for j, (name, label) in enumerate(columns, start=1):
        top = ws.cell(row=row, column=j, value=label)
        top.font = _font(bold=True, color=INK)
        top.fill = PatternFill("solid", fgColor=HEADER_FILL)
        if name_row:
            sub = ws.cell(row=row + 1, column=j, value=(names or {}).get(name, name))
            sub.font = _font(color=NAME_INK, size=9)
            sub.fill = PatternFill("solid", fgColor=NAME_FILL)


def _font(*, bold: bool = False, color: str = "000000", size: float = 11):
    from openpyxl.styles import Font

    return Font(name="等线", bold=bold, color=color, size=size)


def _wrap():
    from openpyxl.styles import Alignment

    return Alignment(wrap_text=True, vertical="top")


def _widths(ws, widths: list[float]) -> None:
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[_col(j)].width = w


def _col(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j)


def _text_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
