"""The official blank workbooks the districts fill in, drawn entirely from the data contract.

Dropdowns, date and number checks stop most mistakes before a file is ever sent, and the
填表说明 sheet tells people the rules in their words. The reference workbook uses the same layout,
blank as a template or filled (the demo writes the source city's reference data with it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from grassroots import contract
from grassroots.reference import Reference

TEMPLATE_ROWS = 2000  # rows prepared with dropdowns and formats under the header
LIST_SHEET = "下拉选项"
GUIDE_SHEET = "填表说明"
LEDGER_TEMPLATE = "问题清单模板.xlsx"
VISITS_TEMPLATE = "走访记录模板.xlsx"
REFERENCE_TEMPLATE = "基础数据模板.xlsx"
DATE_FORMAT = "yyyy-mm-dd"
DATE_RANGE = ("DATE(2020,1,1)", "DATE(2035,12,31)")

TYPE_LABELS = {
    "text": "文本",
    "date": "日期",
    "number": "数字",
    "integer": "整数",
    "choice": "下拉选择",
    "list": "编号列表",
}
REFERENCE_LABELS = {"district": "区县名称", "town": "街道（镇乡）名称", "unit": "单位名称", "leader": "领导姓名"}
GUIDE_HEADERS = ("列名", "是否必填", "类型", "可选值", "可接受的其他写法", "填写说明")

_TITLE_FONT = Font(bold=True, size=14)
_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="9BC2E6")
_HEADER_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")

_GENERAL_RULES = {
    contract.LEDGER: (
        "每个区县在自己的文件夹中提交，文件夹名称就是区县名称；每行的“所属区县”须与文件夹一致，不能填报其他区县的问题。",
        "问题清单每次提交本区县的全部问题（含已办结、已销号的问题），不要只报新增或有变化的问题。",
        "问题编号一经确定不再改变，每次提交保持一致；一个问题只占一行，编号不得重复。",
        "请在标题中写明截至日期，如“海曙区问题清单（截至2026年11月20日）”，也可以写在文件名中。",
        "带 * 的列为必填项；有下拉列表的列请从列表中选择，不要自行输入其他写法。",
        "日期填写为 2026-11-20 的格式；涉及资金以万元为单位，只填数字。",
        "办理状态为“已办结”时必须填写办结日期，其他状态不填办结日期。",
        "可以提交 .xlsx、.xls 或 .csv 文件；请不要修改表头，不要合并数据区域的单元格。",
    ),
    contract.VISITS: (
        "每个区县在自己的文件夹中提交，文件夹名称就是区县名称；每行的“所属区县”须与文件夹一致。",
        "走访记录每次提交本期新增的走访；同一次走访重复提交只计一次，填写走访编号可避免误判。",
        "请在标题中写明截至日期，如“海曙区走访记录（截至2026年11月20日）”，也可以写在文件名中。",
        "带 * 的列为必填项；有下拉列表的列请从列表中选择，不要自行输入其他写法。",
        "走访单位填写市直单位全称，带队领导填写领导干部名单中的姓名；走访其他街道（镇乡）也可登记。",
        "日期填写为 2026-11-20 的格式；人数、问题数只填整数。",
        "可以提交 .xlsx、.xls 或 .csv 文件；请不要修改表头，不要合并数据区域的单元格。",
    ),
}


def write_templates(out_dir: Path, reference: Reference | None = None, district: str | None = None) -> list[Path]:
    """Write the ledger, visit-log and reference templates into `out_dir`; return their paths.

    With a reference and a district, the district, town and unit columns get dropdowns of that
    district's own names.
    """
    if district and reference is not None and district not in reference.districts:
        raise ValueError(f"unknown district {district!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec, file_name in ((contract.LEDGER_SHEET, LEDGER_TEMPLATE), (contract.VISITS_SHEET, VISITS_TEMPLATE)):
        path = out_dir / file_name
        submission_template(spec, reference, district).save(path)
        paths.append(path)
    path = out_dir / REFERENCE_TEMPLATE
    reference_workbook(None).save(path)
    paths.append(path)
    return paths


def write_reference_workbook(path: Path, reference: Reference) -> Path:
    """The reference workbook filled with `reference`, in the template's layout."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    reference_workbook(reference).save(path)
    return path


def title_text(spec: contract.Sheet, district: str | None = None) -> str:
    return f"{district or 'XX区'}{spec.name}（截至    年  月  日）"


# --- submission templates -------------------------------------------------------------------

def submission_template(spec: contract.Sheet, reference: Reference | None = None,
                        district: str | None = None) -> Workbook:
    """One sheet of the contract as a workbook: title, marked header, checks, guide."""
    wb = Workbook()
    ws = wb.active
    ws.title = spec.name
    ncols = len(spec.columns)
    ws.cell(row=1, column=1, value=title_text(spec, district)).font = _TITLE_FONT
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.row_dimensions[1].height = 30
    _write_header(ws, spec, row=2)
    first, last = 3, 2 + TEMPLATE_ROWS
    lists = _reference_lists(wb, spec, reference, district)
    for idx, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = col.width
        validation = _validation(col, lists.get(col.reference or ""))
        if validation is not None:
            validation.add(f"{letter}{first}:{letter}{last}")
            ws.add_data_validation(validation)
        if col.type == "date":
            for row in range(first, last + 1):
                ws.cell(row=row, column=idx).number_format = DATE_FORMAT
        elif col.field in ("case_id", "visit_id", "case_ids"):
            for row in range(first, last + 1):
                ws.cell(row=row, column=idx).number_format = "@"  # ids stay text (001 keeps its zeros)
    ws.freeze_panes = ws.cell(row=3, column=1)
    ws.print_title_rows = "1:2"
    _write_guide(wb.create_sheet(GUIDE_SHEET), spec)
    return wb


def _write_header(ws: Worksheet, spec: contract.Sheet, row: int) -> None:
    for idx, col in enumerate(spec.columns, start=1):
        cell = ws.cell(row=row, column=idx, value=("*" if col.required else "") + col.header)
        cell.font = _REQUIRED_FONT if col.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        note = _column_note(col)
        if note:
            comment = Comment(note, "填表说明")
            comment.width, comment.height = 260, 110
            cell.comment = comment
    ws.row_dimensions[row].height = 32


def _column_note(col: contract.Column) -> str:
    parts = ["必填。" if col.required else ""]
    if col.hint:
        parts.append(col.hint)
    if col.choices:
        parts.append("可选：" + "、".join(col.choices))
    return "".join(parts)


def _reference_lists(wb: Workbook, spec: contract.Sheet, reference: Reference | None,
                     district: str | None) -> dict[str, str]:
    """Hidden columns of the district's names -> {reference kind: list formula}."""
    if reference is None or not district:
        return {}
    towns = reference.towns_of(district)
    paired = [u for u, t in reference.pairings.items() if t in set(towns)]
    units = paired + [u for u in reference.units if u not in set(paired)]
    wanted = {"district": [district], "town": towns, "unit": units}
    used = [c.reference for c in spec.columns if c.reference in wanted]
    if not used:
        return {}
    ws = wb.create_sheet(LIST_SHEET)
    ws.sheet_state = "hidden"
    formulas = {}
    for idx, kind in enumerate(dict.fromkeys(used), start=1):
        values = wanted[kind]
        if not values:
            continue
        for row, value in enumerate(values, start=1):
            ws.cell(row=row, column=idx, value=value)
        letter = get_column_letter(idx)
        formulas[kind] = f"'{LIST_SHEET}'!${letter}$1:${letter}${len(values)}"
    return formulas


def _validation(col: contract.Column, list_formula: str | None = None) -> DataValidation | None:
    """The Excel check of one column, or None when the column is free text."""
    if col.type == "choice":
        dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True)
        dv.error = "请从下拉列表中选择：" + "、".join(col.choices)
    elif list_formula:
        dv = DataValidation(type="list", formula1=list_formula, allow_blank=True)
        dv.error = "请从下拉列表中选择，名称须与基础数据一致"
    elif col.type == "date":
        dv = DataValidation(type="date", operator="between", formula1=DATE_RANGE[0], formula2=DATE_RANGE[1],
                            allow_blank=True)
        dv.error = "请填写日期，如 2026-11-20"
    elif col.type in ("number", "integer"):
        kind = "decimal" if col.type == "number" else "whole"
        dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=_number(col.minimum or 0),
                            allow_blank=True)
        dv.error = "请只填写数字" if col.type == "number" else "请填写整数"
    elif col.max_length:
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(col.max_length),
                            allow_blank=True)
        dv.error = f"内容不能超过 {col.max_length} 字"
    else:
        return None
    dv.errorTitle = "输入有误"
    dv.errorStyle = "stop"
    dv.showErrorMessage = True
    if col.hint:
        dv.promptTitle = col.header
        dv.prompt = col.hint[:255]
        dv.showInputMessage = True
    return dv


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _write_guide(ws: Worksheet, spec: contract.Sheet) -> None:
    """填表说明: the general rules, then one row per column of the sheet."""
    ws.cell(row=1, column=1, value=f"{spec.name}填表说明").font = _TITLE_FONT
    row = 2
    for n, rule in enumerate(_GENERAL_RULES.get(spec.kind, ()), start=1):
        ws.cell(row=row, column=1, value=f"{n}. {rule}")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(GUIDE_HEADERS))
        row += 1
    row += 1
    _guide_table(ws, row, spec.columns)
    for idx, width in enumerate((18, 10, 10, 40, 30, 50), start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width


def _guide_table(ws: Worksheet, row: int, columns: Sequence[contract.Column]) -> int:
    for idx, text in enumerate(GUIDE_HEADERS, start=1):
        cell = ws.cell(row=row, column=idx, value=text)
        cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _HEADER_BORDER
    for col in columns:
        row += 1
        values = (
            col.header,
            "必填" if col.required else "选填",
            REFERENCE_LABELS.get(col.reference or "") or TYPE_LABELS.get(col.type, col.type),
            "、".join(col.choices) + (_synonym_note(col) if col.synonyms else ""),
            "、".join(col.aliases),
            col.hint,
        )
        for idx, value in enumerate(values, start=1):
            ws.cell(row=row, column=idx, value=value).alignment = _WRAP
    return row


def _synonym_note(col: contract.Column) -> str:
    return "（" + "，".join(f"{k}按{v}处理" for k, v in col.synonyms.items()) + "）"


# --- the reference workbook -----------------------------------------------------------------

# Dropdowns inside the reference workbook: (sheet, field) -> (sheet whose first column it names).
_REFERENCE_LOOKUPS = {
    ("街道（镇乡）", "district"): "区县",
    ("包联关系", "unit"): "单位",
    ("包联关系", "town"): "街道（镇乡）",
    ("领导干部", "unit"): "单位",
}


def reference_rows(reference: Reference) -> dict[str, list[dict[str, str]]]:
    """The reference data as rows of contract fields, per reference sheet."""
    return {
        "区县": [{"name": n, "code": c} for n, c in reference.districts.items()],
        "街道（镇乡）": [{"name": t, "district": d} for t, d in reference.towns.items()],
        "单位": [{"name": u} for u in reference.units],
        "包联关系": [{"unit": u, "town": t} for u, t in reference.pairings.items()],
        "领导干部": [{"name": x.name, "title": x.title, "unit": x.unit} for x in reference.leaders],
        "收件人": [{"name": r.name, "email": r.email, "scope": r.scope} for r in reference.recipients],
    }


def reference_workbook(reference: Reference | None) -> Workbook:
    """Every sheet of contract.REFERENCE_SHEETS, blank or filled, plus its guide."""
    wb = Workbook()
    wb.remove(wb.active)
    rows = reference_rows(reference) if reference is not None else {}
    for spec in contract.REFERENCE_SHEETS:
        ws = wb.create_sheet(spec.name)
        _write_header(ws, spec, row=1)
        for idx, col in enumerate(spec.columns, start=1):
            ws.column_dimensions[get_column_letter(idx)].width = max(col.width, 16)
        _write_rows(ws, spec, rows.get(spec.name, ()), first_row=2)
        for idx, col in enumerate(spec.columns, start=1):
            target = _REFERENCE_LOOKUPS.get((spec.name, col.field))
            if target:
                letter = get_column_letter(idx)
                dv = DataValidation(type="list", formula1=f"'{target}'!$A$2:$A${1 + TEMPLATE_ROWS}", allow_blank=True)
                dv.error, dv.errorTitle, dv.showErrorMessage = f"请填写“{target}”表中已登记的名称", "输入有误", True
                dv.add(f"{letter}2:{letter}{1 + TEMPLATE_ROWS}")
                ws.add_data_validation(dv)
        ws.freeze_panes = ws.cell(row=2, column=1)
    _write_reference_guide(wb.create_sheet(GUIDE_SHEET))
    return wb


def _write_rows(ws: Worksheet, spec: contract.Sheet, rows: Iterable[dict[str, str]], first_row: int) -> None:
    for r, record in enumerate(rows, start=first_row):
        for c, col in enumerate(spec.columns, start=1):
            value = record.get(col.field)
            if value not in (None, ""):
                ws.cell(row=r, column=c, value=value)


_REFERENCE_RULES = (
    "本工作簿由市里统一维护，放在收件箱的 _reference 文件夹中；新提交的工作簿经校验后整体替换旧的基础数据。",
    "区县：各区县（市）及功能区名称，名称即各区县提交文件夹的名称。",
    "街道（镇乡）：全部街道（镇乡）及其所属区县，名称不得重复。",
    "单位：参加活动的市直单位及部省属驻甬单位全称。",
    "包联关系：单位与街道（镇乡）一对一结对，每个单位、每个街道（镇乡）只出现一次。",
    "领导干部：须直接联系1家以上基层单位、破解1个以上难题的领导干部，填写姓名、职务和所在单位。",
    "收件人：报告收件人，范围填写“全市”或区县名称。",
)


def _write_reference_guide(ws: Worksheet) -> None:
    ws.cell(row=1, column=1, value="基础数据填表说明").font = _TITLE_FONT
    row = 2
    for n, rule in enumerate(_REFERENCE_RULES, start=1):
        ws.cell(row=row, column=1, value=f"{n}. {rule}")
        row += 1
    for spec in contract.REFERENCE_SHEETS:
        row += 2
        ws.cell(row=row, column=1, value=f"工作表：{spec.name}").font = _HEADER_FONT
        row = _guide_table(ws, row + 1, spec.columns)
    for idx, width in enumerate((18, 10, 10, 40, 30, 50), start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
