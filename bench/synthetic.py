"""Synthetic ledgers of any size for the benchmarks: valid rows, as a district would send them."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from grassroots import contract

DISTRICT, TOWN, UNIT = "海曙区", "章水镇", "市发改委"


def ledger_row(n: int) -> list:
    reported = dt.date(2026, 1, 1) + dt.timedelta(days=n % 300)
    status = contract.STATUS_ORDER[n % 4]
    resolved = reported + dt.timedelta(days=5) if status == contract.STATUS_RESOLVED else None
    return [
        f"HS-{n:07d}", f"第{n}号问题：道路修缮与停车难", contract.SOURCES[n % 5], contract.THEMES[n % 4],
        DISTRICT, TOWN, UNIT, "市交通局", f"责任人{n % 97}", None, reported,
        reported + dt.timedelta(days=60), status, resolved, "正在推进", f"{n % 500}万元",
        "是" if n % 50 == 0 else None,
    ]


def headers() -> list[str]:
    return [("*" if c.required else "") + c.header for c in contract.LEDGER_SHEET.columns]


def write_ledger_xlsx(path: Path, rows: int) -> Path:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("问题清单")
    ws.append([f"{DISTRICT}问题清单（截至2026年11月27日）"])
    ws.append(headers())
    for n in range(rows):
        ws.append(ledger_row(n))
    wb.save(path)
    return path


def write_ledger_csv(path: Path, rows: int, encoding: str = "gb18030") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers())
        for n in range(rows):
            writer.writerow(["" if v is None else v for v in ledger_row(n)])
    return path
