"""The receipt (回执) a district gets back for every submission, accepted or rejected.

For a workbook: a copy of the district's own workbook (an .xls comes back as .xlsx) whose bad
cells are filled and commented in Chinese, behind a first sheet that says accepted or rejected,
how many rows were taken, and lists every error and warning with sheet, row, column, value,
reason and how to fix it. For a CSV or an unreadable file: that first sheet alone. The original
file is only ever read. Text copied from a submission is always written as text, never as a
formula (a cell starting with = + - @ stays inert).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

from grassroots import clock
from grassroots.findings import Finding
from grassroots.intake.reader import Submission
from grassroots.settings import DEFAULT_TIMEZONE

SUFFIX = "_回执.xlsx"
SUMMARY_TITLE = "回执"
MAX_STEM = 80
MAX_COMMENTS = 10_000  # cells commented in the copy; the summary sheet lists every finding
EXCEL_MAX_ROW, EXCEL_MAX_COL, EXCEL_MAX_TEXT = 1_048_576, 16_384, 32_767
FORMULA_START = ("=", "+", "-", "@")

ERROR_FILL, WARNING_FILL, OK_FILL = "FFC7CE", "FFEB9C", "C6EFCE"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"

HEADERS = ("序号", "级别", "工作表", "行号", "列", "单元格内容", "问题", "修改方法")
WIDTHS = (7, 8, 14, 8, 16, 26, 56, 48)


def receipt_name(original_name: str) -> str:
    """'<stem>_回执.xlsx' for any file name: no separators, no '..', no control characters."""
    base = re.split(r"[\\/]", original_name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = _UNSAFE_NAME.sub("_", stem).replace("..", "_").strip(" ._")
    stem = stem[:MAX_STEM].strip(" ._") or "提交文件"
    return stem + SUFFIX


def write_receipt(original: Path, *, original_name: str, sub: Submission | None, findings: list[Finding],
                  accepted: bool, rows_total: int, rows_accepted: int, district: str, out_dir: Path,
                  received_at: dt.datetime | None = None, timezone: str = DEFAULT_TIMEZONE) -> Path:
    """Write `<out_dir>/<stem>_回执.xlsx` and return its path."""
    import openpyxl

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / receipt_name(original_name)
    if target.resolve().parent != out_dir.resolve():  # cannot happen with receipt_name; never write elsewhere
        raise ValueError(f"receipt path escapes its folder: {target}")
    wb, annotated = None, False
    if sub is not None:
        wb = _copy_of_workbook(Path(original))
    if wb is None:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
    else:
        annotated = True
    commented = _annotate(wb, findings) if annotated else 0
    _summary_sheet(wb, original_name=original_name, sub=sub, findings=findings, accepted=accepted,
                   rows_total=rows_total, rows_accepted=rows_accepted, district=district,
                   received_at=received_at, timezone=timezone, annotated=annotated, commented=commented)
    fd, tmp = tempfile.mkstemp(prefix=".receipt-", suffix=".xlsx", dir=out_dir)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


# --- the copy of the district's workbook ----------------------------------------------------

def _copy_of_workbook(original: Path):
    """The workbook as openpyxl sees it (.xlsx), or rebuilt from calamine (.xls, odd .xlsx)."""
    try:
        with original.open("rb") as fh:
            magic = fh.read(8)
    except OSError:
        return None
    if magic.startswith(_ZIP_MAGIC):
        import openpyxl

        try:
            return openpyxl.load_workbook(original, keep_vba=False, keep_links=False, rich_text=False)
        except Exception:
            return _rebuild(original)
    if magic == _OLE_MAGIC:
        return _rebuild(original)
    return None  # a CSV: the summary sheet alone


def _rebuild(original: Path):
    """Every sheet's values copied into a new workbook (for .xls, read by calamine)."""
    import openpyxl
    import python_calamine

    try:
        source = python_calamine.CalamineWorkbook.from_path(str(original))
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for meta in source.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = source.get_sheet_by_name(meta.name)
            ws = wb.create_sheet(_sheet_title(meta.name, wb.sheetnames))
            if meta.visible != python_calamine.SheetVisibleEnum.Visible:
                ws.sheet_state = "hidden"
            for r, row in enumerate(sheet.to_python(skip_empty_area=False), start=1):
                for c, value in enumerate(row, start=1):
                    if value is not None and value != "":
                        put(ws.cell(row=r, column=c), value)
            for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
                ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
        return wb if wb.sheetnames else None
    except Exception:
        return None


def _sheet_title(name: str, taken: list[str]) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "Sheet"
    n = 1
    while title in taken:
        n += 1
        title = f"{title[:28]}({n})"
    return title


def put(cell, value: object) -> None:
    """Write a value copied from a submission: text stays text (never a live formula)."""
    if isinstance(value, str):
        text = _ILLEGAL.sub("", value)[:EXCEL_MAX_TEXT]
        cell.value = text
        if text.startswith(FORMULA_START):
            cell.data_type = "s"
            cell.quotePrefix = True
        return
    if isinstance(value, bool):
        cell.value = value
    elif isinstance(value, int | float):
        cell.value = value if value == value and abs(value) != float("inf") else str(value)
    elif isinstance(value, dt.datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = "yyyy-mm-dd" if value.time() == dt.time(0) else "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, dt.time):
        cell.value = value
    else:
        put(cell, str(value))


def _annotate(wb, findings: list[Finding]) -> int:
    """Fill and comment every cell a finding points at; the number of cells commented."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    fills = {True: PatternFill("solid", fgColor=ERROR_FILL), False: PatternFill("solid", fgColor=WARNING_FILL)}
    cells: dict[tuple[str, int, int], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.row is None or f.sheet not in wb.sheetnames:
            continue
        column = (f.column_index or 0) + 1
        if 1 <= f.row <= EXCEL_MAX_ROW and column <= EXCEL_MAX_COL:
            cells[(f.sheet, f.row, column)].append(f)
    commented = 0
    for (sheet, row, column), found in cells.items():
        cell = wb[sheet].cell(row=row, column=column)
        if not hasattr(cell, "comment") or type(cell).__name__ == "MergedCell":
            continue
        cell.fill = fills[any(f.is_error for f in found)]
        if commented >= MAX_COMMENTS:
            continue
        text = "\n".join(f"{'错误' if f.is_error else '警告'}：{f.reason}\n修改：{f.fix}" for f in found)
        if cell.comment is not None:
            text = f"{cell.comment.text}\n{text}"
        comment = Comment(_ILLEGAL.sub("", text)[:EXCEL_MAX_TEXT], "系统回执")
        comment.width, comment.height = 320, 60 + 40 * min(len(found), 8)
        cell.comment = comment
        commented += 1
    return commented


# --- the first sheet ------------------------------------------------------------------------

def _summary_sheet(wb, *, original_name: str, sub: Submission | None, findings: list[Finding], accepted: bool,
                   rows_total: int, rows_accepted: int, district: str, received_at: dt.datetime | None,
                   timezone: str, annotated: bool, commented: int) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(_sheet_title(SUMMARY_TITLE, wb.sheetnames), 0)
    for other in wb.worksheets:
        other.sheet_view.tabSelected = False
    ws.sheet_view.tabSelected = True
    wb.active = 0
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    errors = [f for f in findings if f.is_error]
    warnings = [f for f in findings if not f.is_error]
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)

    ws.merge_cells("A1:H1")
    ws["A1"].value = "提交回执"
    ws["A1"].font = Font(bold=True, size=16)
    received = received_at or clock.now()
    if received.tzinfo is not None:
        received = received.astimezone(ZoneInfo(timezone))
    verdict = "已接收" if accepted else "未通过：整份退回，请按下表修改全部错误后重新提交"
    tables = "；".join(f"{t.sheet} {t.rows} 行" for t in sub.tables) if sub else "无"
    if not findings:
        note = "未发现问题。"
    elif annotated:
        note = "下表列出全部问题。本工作簿中标红的单元格为错误，标黄的为警告，鼠标移到单元格上可看到原因。"
        if commented >= MAX_COMMENTS:
            note += f"（批注只加在前 {MAX_COMMENTS} 个单元格上，完整清单以本表为准。）"
    else:
        note = "下表列出全部问题，请按工作表、行号和列名找到对应单元格修改。"
    info = [
        ("文件名称", original_name),
        ("提交区县", district),
        ("接收时间", received.strftime("%Y-%m-%d %H:%M")),
        ("截至日期", sub.as_of.isoformat() if sub and sub.as_of else ""),
        ("读取内容", tables),
        ("处理结果", verdict),
        ("数据行数", f"{rows_total} 行"),
        ("采用行数", f"{rows_accepted} 行"),
        ("错误", f"{len(errors)} 个" + ("（须全部修改）" if errors else "")),
        ("警告", f"{len(warnings)} 个" + ("（不影响接收，请核对）" if warnings else "")),
        ("说明", note),
    ]
    row = 2
    for label, value in info:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=8)
        ws.cell(row=row, column=1, value=label).font = bold
        put(ws.cell(row=row, column=3), value)
        ws.cell(row=row, column=3).alignment = Alignment(wrap_text=True, vertical="center")
        if label == "处理结果":
            cell = ws.cell(row=row, column=3)
            cell.font = Font(bold=True, color="006100" if accepted else "9C0006")
            cell.fill = PatternFill("solid", fgColor=OK_FILL if accepted else ERROR_FILL)
        row += 1
    row += 1
    header_row = row
    for c, text in enumerate(HEADERS, start=1):
        cell = ws.cell(row=row, column=c, value=text)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    error_fill, warning_fill = PatternFill("solid", fgColor=ERROR_FILL), PatternFill("solid", fgColor=WARNING_FILL)
    for n, f in enumerate(errors + warnings, start=1):
        row += 1
        values = (n, "错误" if f.is_error else "警告", f.sheet, f.row if f.row is not None else "", f.column,
                  f.value, f.reason, f.fix)
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=c)
            put(cell, value)
            if c >= 6:
                cell.alignment = wrap
        ws.cell(row=row, column=2).fill = error_fill if f.is_error else warning_fill
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if findings:
        ws.auto_filter.ref = f"A{header_row}:H{row}"
