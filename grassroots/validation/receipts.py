"""The receipt (回执) a district gets back for every submission, accepted or rejected.

For a workbook: a copy of the district's own workbook (an .xls comes back as .xlsx) whose bad
cells are filled in red or yellow, with the reason in a visible column at the end of each row
(WPS on a phone shows no comments) and, for a small workbook, in a comment too. In front of it a
first sheet says accepted or rejected, what follows from it (the figures keep the last accepted
ledger; the deadline to resubmit), what changed against the district's last ledger, and lists
every error and warning with sheet, row (a link to the cell), column, value, reason and fix; a
finding repeated on many rows is one line with its count and the rows under it. For a CSV or an
unreadable file: that first sheet alone. The original file is only ever read. Text copied from a
submission is always written as text, never as a formula (a cell starting with = + - @ stays inert).

Speed: a large workbook is never loaded cell by cell; its XML is streamed and only marked rows
are rewritten (grassroots.xlsx_edit), so a 100k-row receipt takes seconds, not a minute.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from grassroots import clock, contract
from grassroots.findings import Finding
from grassroots.intake.reader import Submission
from grassroots.settings import DEFAULT_TIMEZONE
from grassroots.validation import xlsx_edit
from grassroots.validation.xlsx_edit import Look

SUFFIX = "_回执.xlsx"
SUMMARY_TITLE = "回执"
NOTE_HEADER = "回执说明（系统添加）"
MAX_STEM = 80
MAX_COMMENTS = 10_000  # cells commented in the copy; the summary sheet lists every finding
SMALL_CELLS = 50_000  # up to this many cells the copy is made with openpyxl (comments, every format kept)
GROUP_MIN = 3  # the same finding on this many rows becomes one line with the rows under it
MAX_CHANGES_LISTED = 200
EXCEL_MAX_ROW, EXCEL_MAX_COL, EXCEL_MAX_TEXT = 1_048_576, 16_384, 32_767
FORMULA_START = ("=", "+", "-", "@")

ERROR_FILL, WARNING_FILL, OK_FILL = "FFC7CE", "FFEB9C", "C6EFCE"
HEADER_FILL, LINK_COLOR, ERROR_COLOR, OK_COLOR = "DDEBF7", "0563C1", "9C0006", "006100"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_WEEKDAY = "一二三四五六日"

HEADERS = ("序号", "级别", "工作表", "行号", "列", "单元格内容", "问题", "修改方法")
WIDTHS = (7, 8, 14, 8, 16, 26, 56, 48)


@dataclass
class ReceiptContext:
    """What the receipt says beyond the findings; the ingest fills it from the warehouse."""

    previous_as_of: dt.date | None = None  # the district's last accepted ledger (the figures keep it)
    looked_up: bool = False  # previous_as_of comes from the warehouse (not a pre-check that cannot know)
    resubmit_by: dt.datetime | None = None  # the submission deadline of this file's period
    changes: dict | None = None  # ledger_changes(): new / resolved / status changed against the last ledger


@dataclass
class _Line:
    """One line of the findings table: a finding, a group of them, or a row under a group."""

    level: str
    sheet: str
    row: object
    column: str
    value: str
    reason: str
    fix: str
    is_error: bool
    link: str | None = None
    number: object = ""
    members: list[Finding] = field(default_factory=list)


def receipt_name(original_name: str) -> str:
    """'<stem>_回执.xlsx' for any file name: no separators, no '..', no control characters."""
    base = re.split(r"[\\/]", original_name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = _UNSAFE_NAME.sub("_", stem).replace("..", "_").strip(" ._")
    stem = stem[:MAX_STEM].strip(" ._") or "提交文件"
    return stem + SUFFIX


def write_receipt(original: Path, *, original_name: str, sub: Submission | None, findings: list[Finding],
                  accepted: bool, rows_total: int, rows_accepted: int, district: str, out_dir: Path,
                  received_at: dt.datetime | None = None, timezone: str = DEFAULT_TIMEZONE,
                  context: ReceiptContext | None = None) -> Path:
    """Write `<out_dir>/<stem>_回执.xlsx` and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / receipt_name(original_name)
    if target.resolve().parent != out_dir.resolve():  # cannot happen with receipt_name; never write elsewhere
        raise ValueError(f"receipt path escapes its folder: {target}")
    fd, tmp = tempfile.mkstemp(prefix=".receipt-", suffix=".xlsx", dir=out_dir)
    os.close(fd)
    try:
        with open(tmp, "wb") as fh:
            build_receipt(fh, Path(original), original_name=original_name, sub=sub, findings=findings,
                          accepted=accepted, rows_total=rows_total, rows_accepted=rows_accepted, district=district,
                          received_at=received_at, timezone=timezone, context=context or ReceiptContext())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def build_receipt(fh, original: Path, *, original_name: str, sub: Submission | None, findings: list[Finding],
                  accepted: bool, rows_total: int, rows_accepted: int, district: str,
                  received_at: dt.datetime | None, timezone: str, context: ReceiptContext) -> None:
    """The receipt's bytes into the open binary file `fh`."""
    marks = _marks(findings, sub)
    package, how = _package(original, sub, findings, marks)
    summary = _summary_sheet(package.styles, original_name=original_name, sub=sub, findings=findings,
                             accepted=accepted, rows_total=rows_total, rows_accepted=rows_accepted,
                             district=district, received_at=received_at, timezone=timezone, how=how,
                             context=context, sheets=set(package.sheet_parts()))
    package.add_sheet_first(SUMMARY_TITLE if SUMMARY_TITLE not in package.sheet_parts() else "回执(系统)", summary)
    package.save(fh)


# --- what each cell and row of the copy gets ------------------------------------------------

def _note(found: list[Finding]) -> str:
    return "\n".join(f"{'错误' if f.is_error else '警告'}｜{f.column + '：' if f.column else ''}{f.reason}。修改：{f.fix}"
                     for f in found)


def _marks(findings: list[Finding], sub: Submission | None) -> dict[str, xlsx_edit.Marks]:
    """Per sheet: the fill of every cell a finding points at and the note of every row."""
    cells: dict[str, dict[tuple[int, int], list[Finding]]] = defaultdict(lambda: defaultdict(list))
    rows: dict[str, dict[int, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        if f.row is None or not f.sheet or not 1 <= f.row <= EXCEL_MAX_ROW:
            continue
        rows[f.sheet][f.row].append(f)
        column = (f.column_index or 0) + 1
        if f.column_index is not None and column <= EXCEL_MAX_COL:
            cells[f.sheet][(f.row, column)].append(f)
    header_rows = {t.sheet: t.header_row for t in sub.tables} if sub else {}
    widths = {t.sheet: max((i for _, i in t.headers.values()), default=-1) + 1 for t in sub.tables} if sub else {}
    out = {}
    for sheet in set(cells) | set(rows):
        m = xlsx_edit.Marks(width=widths.get(sheet, 0))
        m.cells = {k: ERROR_FILL if any(f.is_error for f in v) else WARNING_FILL for k, v in cells[sheet].items()}
        m.notes = {r: _note(v) for r, v in rows[sheet].items()}
        if sheet in header_rows and header_rows[sheet] not in m.notes:
            m.note_header = (header_rows[sheet], NOTE_HEADER)
        out[sheet] = m
    return out


def _cells_of(sub: Submission) -> int:
    return sum((t.header_row + t.rows) * max(len(t.headers), 1) for t in sub.tables)


def _package(original: Path, sub: Submission | None, findings: list[Finding],
             marks: dict[str, xlsx_edit.Marks]) -> tuple[xlsx_edit.Package, str]:
    """The district's workbook ready for the receipt's sheet, and how it was copied:
    'copy' (openpyxl, with comments), 'stream' (XML, large files), 'values' (.xls) or '' (none)."""
    if sub is None:
        return xlsx_edit.Package(None), ""
    try:
        with original.open("rb") as fh:
            magic = fh.read(8)
    except OSError:
        return xlsx_edit.Package(None), ""
    if magic.startswith(_ZIP_MAGIC) and _cells_of(sub) > SMALL_CELLS:
        try:
            return _streamed(original, marks), "stream"
        except (xlsx_edit.NotEditable, zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError):
            pass
    if magic == _OLE_MAGIC and _cells_of(sub) > SMALL_CELLS:
        package = _values(original, marks)
        if package is not None:
            return package, "values"
    if magic.startswith(_ZIP_MAGIC) or magic == _OLE_MAGIC:
        wb = _copy_of_workbook(original)
        if wb is not None:
            _annotate(wb, findings, marks)
            buffer = io.BytesIO()
            wb.save(buffer)
            return xlsx_edit.Package(zipfile.ZipFile(buffer)), "copy"
    return xlsx_edit.Package(None), ""


def _streamed(original: Path, marks: dict[str, xlsx_edit.Marks]) -> xlsx_edit.Package:
    package = xlsx_edit.Package(zipfile.ZipFile(original))
    note_style = package.styles.look(Look(color=ERROR_COLOR, wrap=True))
    header_style = package.styles.look(Look(bold=True, color=ERROR_COLOR, fill=HEADER_FILL))
    parts = package.sheet_parts()
    for sheet, m in marks.items():
        part = parts.get(sheet)
        if part is None:
            continue
        chunks = xlsx_edit.unselect(package.stream_part(part))
        package.replace_stream(part, xlsx_edit.mark_sheet(chunks, m, package.styles, note_style, header_style))
    return package


def _values(original: Path, marks: dict[str, xlsx_edit.Marks]) -> xlsx_edit.Package | None:
    """An .xls too large for openpyxl: every sheet's values written as XML, marks included."""
    import python_calamine

    try:
        source = python_calamine.CalamineWorkbook.from_path(str(original))
    except Exception:
        return None
    package = xlsx_edit.Package(None)
    styles = package.styles
    date_style = styles.look(Look(number_format=styles.number_format("yyyy-mm-dd")))
    datetime_style = styles.look(Look(number_format=styles.number_format("yyyy-mm-dd hh:mm:ss")))
    note_style = styles.look(Look(color=ERROR_COLOR, wrap=True))
    header_style = styles.look(Look(bold=True, color=ERROR_COLOR, fill=HEADER_FILL))
    taken: list[str] = []
    for meta in source.sheets_metadata:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        title = _sheet_title(meta.name, taken)
        taken.append(title)
        m = marks.get(meta.name, xlsx_edit.Marks())
        sheet = xlsx_edit.SheetXml(selected=False)
        grid = source.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
        width = max((len(r) for r in grid), default=0)
        for r, row in enumerate(grid, start=1):
            cells = []
            for c, value in enumerate(row, start=1):
                fill = m.cells.get((r, c))
                style = None
                if fill:
                    fmt = styles.number_format("yyyy-mm-dd") if isinstance(value, dt.date) else None
                    style = styles.look(Look(fill=fill, number_format=fmt))
                cells.append((_plain_value(value), style))
            if r in m.notes or (m.note_header and m.note_header[0] == r):
                cells += [(None, None)] * (width - len(row))
                header = m.note_header and m.note_header[0] == r and r not in m.notes
                cells.append((NOTE_HEADER if header else m.notes[r], header_style if header else note_style))
            sheet.add_row(r, cells, date_style=date_style, datetime_style=datetime_style)
        if any(m.notes.values()):
            sheet.widths[width + 1] = 60
        xlsx_edit.add_sheet_last(package, title, sheet.render())
    return package if taken else None


def _plain_value(value: object) -> object:
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)[:EXCEL_MAX_TEXT]
    if isinstance(value, dt.timedelta | dt.time):
        return str(value)
    return value


# --- the copy of the district's workbook (small: openpyxl) ---------------------------------

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


def _annotate(wb, findings: list[Finding], marks: dict[str, xlsx_edit.Marks]) -> int:
    """Fill and comment every cell a finding points at, and write each row's note in a column
    after the last one; the number of cells commented."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    fills = {True: PatternFill("solid", fgColor=ERROR_FILL), False: PatternFill("solid", fgColor=WARNING_FILL)}
    cells: dict[tuple[str, int, int], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.row is None or f.sheet not in wb.sheetnames:
            continue
        column = (f.column_index or 0) + 1
        if 1 <= f.row <= EXCEL_MAX_ROW and column <= EXCEL_MAX_COL:
            cells[(f.sheet, f.row, column)].append(f)
    note_columns = {sheet: wb[sheet].max_column + 1 for sheet in marks if sheet in wb.sheetnames}
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
    note_font, wrap = Font(color=ERROR_COLOR), Alignment(wrap_text=True, vertical="top")
    for sheet, column in note_columns.items():
        ws, m = wb[sheet], marks[sheet]
        from openpyxl.utils import get_column_letter

        ws.column_dimensions[get_column_letter(column)].width = 60
        if m.note_header:
            cell = ws.cell(row=m.note_header[0], column=column, value=NOTE_HEADER)
            cell.font, cell.fill = Font(bold=True, color=ERROR_COLOR), PatternFill("solid", fgColor=HEADER_FILL)
        for row, text in m.notes.items():
            cell = ws.cell(row=row, column=column)
            if type(cell).__name__ == "MergedCell":
                continue
            put(cell, text)
            cell.font, cell.alignment = note_font, wrap
    return commented


# --- what changed against the district's last ledger ---------------------------------------

def ledger_changes(sub: Submission | None, previous: dict[str, dict] | None) -> dict | None:
    """New cases, cases resolved and status changes of an accepted ledger against the district's
    current cases (taken before the merge); None without a ledger or a previous one."""
    ledger = sub.table(contract.LEDGER) if sub else None
    if ledger is None or not previous or ledger.rows == 0:
        return None
    rows = ledger.values[["case_id", "status"]].dropna(subset=["case_id"]).astype("object")
    rows = rows.loc[~rows["case_id"].duplicated()]
    new, resolved, moved = [], [], []
    for case_id, status in zip(rows["case_id"].tolist(), rows["status"].tolist(), strict=True):
        before = previous.get(str(case_id))
        if before is None:
            new.append(str(case_id))
            continue
        was = before.get("status")
        if was != status and isinstance(status, str):
            moved.append([str(case_id), was or "", status])
            if status == contract.STATUS_RESOLVED:
                resolved.append(str(case_id))
    dates = [str(v.get("as_of"))[:10] for v in previous.values() if v and v.get("as_of")]
    return {"previous_as_of": max(dates) if dates else None, "new": new, "resolved": resolved, "status": moved}


# --- the first sheet ------------------------------------------------------------------------

def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def consequence(accepted: bool, context: ReceiptContext, kind: str) -> str:
    """What the verdict means for the figures."""
    if accepted:
        return "本文件已采用，统计使用本文件的数据。"
    if contract.LEDGER not in kind:
        return "本文件未采用，其中的数据不进入统计。"
    if context.previous_as_of:
        return (f"本文件未采用，统计仍使用贵区县上一次接收的问题清单（截至{_cn_date(context.previous_as_of)}），"
                "直到修改后的文件通过校验。")
    if context.looked_up:
        return "本文件未采用；贵区县目前没有已接收的问题清单，本期统计计为未报送。"
    return "本文件未采用，其中的数据不进入统计，直到修改后的文件通过校验。"


def resubmission(received: dt.datetime, context: ReceiptContext) -> str:
    """The deadline to send the corrected file, as the clerk reads it."""
    due = context.resubmit_by
    if due is None:
        return "请修改后尽快重新提交。"
    when = f"{_cn_date(due.date())}（星期{_WEEKDAY[due.weekday()]}）{due:%H:%M}"
    if received > due:
        return f"本期报送时限 {when} 已过，请尽快修改后重新提交（将记为逾期报送）。"
    return f"请在 {when} 前修改全部错误后重新提交（放入原文件夹即可，文件名可不变）。"


def _changes_lines(changes: dict | None) -> list[tuple[str, str]]:
    if not changes:
        return []
    previous = changes.get("previous_as_of")
    label = f"与上一期清单（截至{_cn_date(dt.date.fromisoformat(previous))}）相比" if previous else "与上一期清单相比"

    def listed(ids: list[str]) -> str:
        shown = "、".join(ids[:MAX_CHANGES_LISTED])
        return shown + (f" 等{len(ids)}个" if len(ids) > MAX_CHANGES_LISTED else "")

    new, resolved, moved = changes.get("new", []), changes.get("resolved", []), changes.get("status", [])
    lines = [("本次变化", f"{label}：新增 {len(new)} 个问题，办结 {len(resolved)} 个，状态变化 {len(moved)} 个。")]
    if new:
        lines.append(("新增", listed(new)))
    if resolved:
        lines.append(("办结", listed(resolved)))
    if moved:
        lines.append(("状态变化", listed([f"{c}（{a}→{b}）" for c, a, b in moved])))
    return lines


def _lines(findings: list[Finding], sheets: set[str]) -> list[_Line]:
    """The findings table: errors first; a finding repeated on GROUP_MIN rows or more is one line
    with its count, the rows under it; rowless findings of a code with a group message likewise."""
    groups: dict[tuple, list[Finding]] = defaultdict(list)
    for f in findings:
        rule = contract.RULES.get(f.code)
        if f.row is None and rule is not None and rule.group:
            key = (not f.is_error, f.code, f.sheet)
        else:
            key = (not f.is_error, f.code, f.sheet, f.column, f.reason, f.fix)
        groups[key].append(f)
    out: list[_Line] = []
    n = 0

    def link(f: Finding) -> str | None:
        if f.row is None or f.sheet not in sheets:
            return None
        col = xlsx_edit.column_letter((f.column_index or 0) + 1)
        return f"'{f.sheet.replace(chr(39), chr(39) * 2)}'!{col}{f.row}"

    for key in sorted(groups, key=lambda k: k[0]):
        found = groups[key]
        first = found[0]
        level = "错误" if first.is_error else "警告"
        grouped = (len(key) == 3 and len(found) > 1) or len(found) >= GROUP_MIN
        if not grouped:
            for f in found:
                n += 1
                out.append(_Line(level, f.sheet, f.row if f.row is not None else "", f.column, f.value, f.reason,
                                 f.fix, f.is_error, link(f), n))
            continue
        n += 1
        if len(key) == 3:
            reason, fix = contract.group_message(first.code, count=len(found))
            shown_value = ""
        else:
            reason, fix = f"{first.reason}（共 {len(found)} 行）", first.fix
            values = {f.value for f in found}
            shown_value = first.value if len(values) == 1 else ""
        out.append(_Line(level, first.sheet, f"共 {len(found)} 处", first.column, shown_value, reason, fix,
                         first.is_error, None, n, found))
        for i, f in enumerate(found, start=1):
            out.append(_Line("", f.sheet, f.row if f.row is not None else "", f.column, f.value,
                             "同上" if len(key) > 3 else f.reason, "", f.is_error, link(f), f"{n}.{i}"))
    return out


def _summary_sheet(styles: xlsx_edit.Styles, *, original_name: str, sub: Submission | None,
                   findings: list[Finding], accepted: bool, rows_total: int, rows_accepted: int, district: str,
                   received_at: dt.datetime | None, timezone: str, how: str, context: ReceiptContext,
                   sheets: set[str]) -> str:
    """The 回执 sheet as XML (styles registered in the package's styles.xml)."""
    named = {
        "title": Look(bold=True, size=16),
        "label": Look(bold=True, wrap=True),
        "value": Look(wrap=True),
        "ok": Look(bold=True, color=OK_COLOR, fill=OK_FILL, wrap=True),
        "bad": Look(bold=True, color=ERROR_COLOR, fill=ERROR_FILL, wrap=True),
        "header": Look(bold=True, fill=HEADER_FILL),
        "error": Look(fill=ERROR_FILL),
        "warning": Look(fill=WARNING_FILL),
        "link": Look(color=LINK_COLOR, underline=True),
        "group": Look(bold=True, wrap=True),
    }
    s = {name: styles.look(look) for name, look in named.items()}
    looks = {s[name]: look for name, look in named.items()}
    quoted: dict[int, int] = {}

    def inert(value: object, style: int | None) -> tuple[object, int | None]:
        """A submitted text starting with = + - @ gets quotePrefix (still text once edited)."""
        if isinstance(value, str) and value.startswith(FORMULA_START):
            if style not in quoted:
                base = looks.get(style, Look())
                quoted[style] = styles.look(Look(**{**base.__dict__, "quote": True}))
            return value, quoted[style]
        return value, style

    sheet = xlsx_edit.SheetXml(landscape=True)
    for i, width in enumerate(WIDTHS, start=1):
        sheet.widths[i] = width
    sheet.add_row(1, [("提交回执", s["title"])])
    sheet.merges.append("A1:H1")
    received = received_at or clock.now()
    if received.tzinfo is not None:
        received = received.astimezone(ZoneInfo(timezone))
    errors = [f for f in findings if f.is_error]
    warnings = [f for f in findings if not f.is_error]
    verdict = "已接收" if accepted else "未通过：整份退回，请按下表修改全部错误后重新提交"
    tables = "；".join(f"{t.sheet} {t.rows} 行" for t in sub.tables) if sub else "无"
    kind = "+".join(t.kind for t in sub.tables) if sub else contract.LEDGER
    if not findings:
        note = "未发现问题。"
    elif how:
        note = ("下表列出全部问题，点击行号可跳到对应单元格。本工作簿中标红的单元格为错误，标黄的为警告；"
                "每行最后一列“回执说明”写明了原因和修改方法。")
        if how == "copy":
            note += "电脑上把鼠标移到单元格上也可看到批注。"
    else:
        note = "下表列出全部问题，请按工作表、行号和列名找到对应单元格修改。"
    info = [
        ("文件名称", original_name, "value"),
        ("提交区县", district, "value"),
        ("接收时间", received.strftime("%Y-%m-%d %H:%M"), "value"),
        ("截至日期", sub.as_of.isoformat() if sub and sub.as_of else "", "value"),
        ("读取内容", tables, "value"),
        ("处理结果", verdict, "ok" if accepted else "bad"),
        ("对统计的影响", consequence(accepted, context, kind), "value"),
    ]
    if not accepted:
        info.append(("重新提交", resubmission(received, context), "value"))
    info += [
        ("数据行数", f"{rows_total} 行", "value"),
        ("采用行数", f"{rows_accepted} 行", "value"),
        ("错误", f"{len(errors)} 个" + ("（须全部修改）" if errors else ""), "value"),
        ("警告", f"{len(warnings)} 个" + ("（不影响接收，请核对）" if warnings else ""), "value"),
    ]
    if accepted:
        info += [(label, value, "value") for label, value in _changes_lines(context.changes)]
    info.append(("说明", note, "value"))
    row = 2
    for label, value, style in info:
        sheet.add_row(row, [(label, s["label"]), (None, None), inert(value, s[style])])
        sheet.merges += [f"A{row}:B{row}", f"C{row}:H{row}"]
        row += 1
    row += 1
    header_row = row
    sheet.add_row(row, [(h, s["header"]) for h in HEADERS])
    for line in _lines(findings, sheets):
        row += 1
        level_style = s["error"] if line.is_error else s["warning"]
        text_style = s["group"] if line.members else s["value"]
        sheet.add_row(row, [
            (line.number, None), (line.level, level_style if line.level else None), inert(line.sheet, None),
            (line.row, s["link"] if line.link else None), inert(line.column, None), inert(line.value, s["value"]),
            inert(line.reason, text_style), inert(line.fix, text_style)])
        if line.link:
            sheet.links.append((f"D{row}", line.link))
    sheet.freeze_row = header_row + 1
    if findings:
        sheet.auto_filter = f"A{header_row}:H{row}"
    return sheet.render()
