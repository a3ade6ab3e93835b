"""Small real files for the validation, receipt and pre-check tests, built with openpyxl/xlwt.

A tiny city (two districts, three towns, three units) and one valid ledger row and visit row;
each test breaks exactly what it is about.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl

from grassroots import contract
from grassroots import settings as settings_module
from grassroots.intake import reader
from grassroots.reference import Leader, Recipient, Reference

AS_OF = dt.date(2026, 11, 20)
DISTRICT = "海曙区"

LEDGER_HEADERS = [c.header for c in contract.LEDGER_SHEET.columns]
VISIT_HEADERS = [c.header for c in contract.VISITS_SHEET.columns]


def reference() -> Reference:
    return Reference(
        districts={"海曙区": "330203", "江北区": "330205"},
        towns={"鼓楼街道": "海曙区", "南门街道": "海曙区", "庄桥街道": "江北区"},
        units=["市经信局", "市教育局", "市民政局"],
        pairings={"市经信局": "鼓楼街道", "市教育局": "南门街道", "市民政局": "庄桥街道"},
        leaders=[
            Leader("张伟", "局长", "市经信局"),
            Leader("李娜", "局长", "市教育局"),
            Leader("王芳", "副局长", "市经信局"),
            Leader("王芳", "副局长", "市民政局"),
            Leader("刘洋", "副局长", "市教育局"),
            Leader("刘洋", "处长", "市教育局"),
        ],
        recipients=[Recipient("赵敏", "zhaomin@example.gov.cn", "全市")],
    )


def ledger_row(**changes: object) -> dict[str, object]:
    """A valid 问题清单 row of 海曙区, keyed by official header; changes by header or field."""
    row: dict[str, object] = {
        "问题编号": "HS-001", "问题名称": "老旧小区加装电梯", "问题来源": "民生实事", "问题领域": "民生所盼",
        "所属区县": "海曙区", "街道（镇乡）": "鼓楼街道", "包联单位": "市经信局", "责任单位": "区住建局",
        "责任人": "陈明", "领衔领导": "张伟", "发现日期": "2026-03-01", "完成时限": "2026-12-31",
        "办理状态": "推进中", "办结日期": None, "进展情况": "已完成方案设计", "涉及资金（万元）": 400,
    }
    return _apply(row, contract.LEDGER_SHEET, changes)


def visit_row(**changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "走访编号": "V-001", "走访日期": "2026-05-01", "走访单位": "市经信局", "带队领导": "张伟",
        "领导职务": "局长", "所属区县": "海曙区", "街道（镇乡）": "鼓楼街道", "走访对象": "鼓楼社区",
        "对象类型": "社区", "活动形式": "走访", "参与人数": 12, "收集问题数": 3,
        "关联问题编号": "HS-001、HS-002", "备注": None,
    }
    return _apply(row, contract.VISITS_SHEET, changes)


def _apply(row: dict, sheet: contract.Sheet, changes: dict) -> dict:
    for key, value in changes.items():
        header = key if key in row else sheet.column(key).header
        row[header] = value
    return row


def ledger_rows(n: int, **changes: object) -> list[dict]:
    return [ledger_row(问题编号=f"HS-{i:03d}", **changes) for i in range(1, n + 1)]


def grid(headers: list[str], rows: list[dict | None]) -> list[list]:
    """Header then rows (None: an empty row) as lists in header order."""
    return [list(headers)] + [[None] * len(headers) if r is None else [r.get(h) for h in headers] for r in rows]


def write_xlsx(path: Path, sheets: dict[str, list[list]], *, titles: dict[str, str] | None = None) -> Path:
    """A workbook with one sheet per entry; a title row above the header when given."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        if titles and name in titles:
            ws.append([titles[name]])
        for r in rows:
            ws.append(r)
        for row in ws.iter_rows():
            for cell in row:  # text typed with a leading = stays text, as Excel's '= does
                if cell.data_type == "f":
                    cell.data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_ledger(path: Path, rows: list[dict | None], *, visits: list[dict | None] | None = None,
                 title: str | None = "海曙区问题清单（截至2026年11月20日）") -> Path:
    sheets = {contract.LEDGER_SHEET.name: grid(LEDGER_HEADERS, rows)}
    if visits is not None:
        sheets[contract.VISITS_SHEET.name] = grid(VISIT_HEADERS, visits)
    return write_xlsx(path, sheets, titles={contract.LEDGER_SHEET.name: title} if title else None)


def write_visits(path: Path, rows: list[dict | None]) -> Path:
    return write_xlsx(path, {contract.VISITS_SHEET.name: grid(VISIT_HEADERS, rows)})


def write_csv(path: Path, headers: list[str], rows: list[dict | None], *, encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        for r in grid(headers, rows):
            w.writerow(["" if v is None else v for v in r])
    return path


def write_xls(path: Path, sheets: dict[str, list[list]]) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        ws = wb.add_sheet(name)
        for r, values in enumerate(rows):
            for c, v in enumerate(values):
                if v is not None:
                    ws.write(r, c, v)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


REFERENCE_ROWS: dict[str, list[list]] = {
    "区县": [["名称", "代码"], ["海曙区", "330203"], ["江北区", "330205"]],
    "街道（镇乡）": [["名称", "所属区县"], ["鼓楼街道", "海曙区"], ["南门街道", "海曙区"], ["庄桥街道", "江北区"]],
    "单位": [["名称"], ["市经信局"], ["市教育局"], ["市民政局"]],
    "包联关系": [["单位", "街道（镇乡）"], ["市经信局", "鼓楼街道"], ["市教育局", "南门街道"], ["市民政局", "庄桥街道"]],
    "领导干部": [["姓名", "职务", "单位"], ["张伟", "局长", "市经信局"], ["李娜", "局长", "市教育局"]],
    "收件人": [["姓名", "邮箱", "范围"], ["赵敏", "zhaomin@example.gov.cn", "全市"], ["钱军", "qianjun@example.gov.cn", "海曙区"]],
}


def write_reference(path: Path, changes: dict[str, list[list]] | None = None, *, drop: tuple[str, ...] = ()) -> Path:
    """The reference workbook of the tiny city; `changes` replaces or extends whole sheets."""
    sheets = {k: [list(r) for r in v] for k, v in REFERENCE_ROWS.items() if k not in drop}
    sheets.update(changes or {})
    return write_xlsx(path, sheets)


def settings_for(tmp_path: Path, **env: str) -> settings_module.Settings:
    home = tmp_path / "home"
    return settings_module.load({"GRASSROOTS_HOME": str(home), **env})


def read(path: Path, tmp_path: Path) -> reader.Submission:
    return reader.read_submission(path, settings_for(tmp_path))
