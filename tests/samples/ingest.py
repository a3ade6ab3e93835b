"""A small city and its files for the ingest tests: two districts, a reference workbook, ledgers."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import openpyxl

from grassroots.reference import Leader, Recipient, Reference

LEDGER_HEADERS = ["问题编号", "问题名称", "问题来源", "问题领域", "所属区县", "街道（镇乡）", "包联单位", "责任单位",
                  "责任人", "领衔领导", "发现日期", "完成时限", "办理状态", "办结日期", "进展情况", "涉及资金（万元）"]
VISIT_HEADERS = ["走访编号", "走访日期", "走访单位", "带队领导", "领导职务", "所属区县", "街道（镇乡）", "走访对象", "对象类型",
                 "活动形式", "参与人数", "收集问题数", "关联问题编号", "备注"]


def small_city() -> Reference:
    return Reference(
        districts={"海曙区": "330203", "鄞州区": "330212"},
        towns={"章水镇": "海曙区", "石碶街道": "海曙区", "姜山镇": "鄞州区", "邱隘镇": "鄞州区"},
        units=["市发改委", "市交通局", "市经信局", "市总工会"],
        pairings={"市发改委": "章水镇", "市交通局": "石碶街道", "市经信局": "姜山镇", "市总工会": "邱隘镇"},
        leaders=[Leader("王强", "主任", "市发改委"), Leader("李明", "局长", "市交通局"),
                 Leader("张伟", "局长", "市经信局"), Leader("陈静", "主席", "市总工会")],
        recipients=[Recipient("市领导", "city@example.gov.cn", "全市"),
                    Recipient("海曙区联络员", "haishu@example.gov.cn", "海曙区")],
    )


def settle(path: Path, age: float = 600) -> Path:
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def write_reference(inbox: Path, reference: Reference | None = None) -> Path:
    from grassroots.intake.forms import write_reference_workbook

    path = inbox / "_reference" / "基础数据.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_reference_workbook(path, reference or small_city())
    return settle(path)


def ledger_rows(district: str, n: int = 3, status: str = "推进中") -> list[list]:
    towns = {"海曙区": ("章水镇", "市发改委"), "鄞州区": ("姜山镇", "市经信局")}
    town, unit = towns[district]
    prefix = "HS" if district == "海曙区" else "YZ"
    return [
        [f"{prefix}-{i:03d}", f"问题{i}", "民生实事", "民生所盼", district, town, unit, unit, f"责任人{i}", None,
         dt.date(2026, 10, i), dt.date(2026, 12, 31), status, None, "推进中", "10"]
        for i in range(1, n + 1)
    ]


def write_ledger(folder: Path, name: str, rows: list[list], as_of: dt.date, visits: list[list] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问题清单"
    district = rows[0][4] if rows else folder.name
    ws.append([f"{district}问题清单（截至{as_of.year}年{as_of.month}月{as_of.day}日）"])
    ws.append(LEDGER_HEADERS)
    for row in rows:
        ws.append(row)
    if visits is not None:
        vs = wb.create_sheet("走访记录")
        vs.append(VISIT_HEADERS)
        for row in visits:
            vs.append(row)
    path = folder / name
    wb.save(path)
    return settle(path)
