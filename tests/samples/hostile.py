"""A city under attack for the hostile-input tests: a good file from another district, files and
links outside the home, and a check that nothing outside GRASSROOTS_HOME changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from grassroots import ingest, warehouse
from grassroots.warehouse.schema import cases, submissions
from tests.samples.ingest import ledger_rows, settle, write_ledger, write_reference

AS_OF = dt.date(2026, 11, 20)
GOOD_DISTRICT, GOOD_FILE = "鄞州区", "鄞州区问题清单.xlsx"


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry below `folder` (links not followed): kind, content hash or link target, mode."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = path.lstat()
            if path.is_symlink():
                out[str(path)] = ("link", os.readlink(path))
            elif path.is_dir():
                out[str(path)] = ("dir", info.st_mode)
            else:
                out[str(path)] = ("file", hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mode)
    return out


@dataclass
class City:
    home: Path
    inbox: Path
    outside: Path  # files a hostile district may point at; must never change
    system_temp: Path  # the system's temp folder for this test; must stay empty
    before: dict

    def settle_all(self) -> None:
        for path in self.inbox.rglob("*"):
            if path.is_file() and not path.is_symlink():
                settle(path)

    def ingest(self, settings) -> dict:
        """One ingest pass, then the checks every hostile test shares."""
        self.settle_all()
        steps = ingest.run_once(settings)
        self.assert_held(settings)
        return steps

    def assert_held(self, settings) -> None:
        fates = fates_of(settings)
        assert fates[GOOD_FILE]["fate"] == "accepted", fates[GOOD_FILE]
        engine = warehouse.connect(settings.warehouse_url)
        with engine.connect() as conn:
            ids = conn.execute(select(cases.c.case_id).where(cases.c.district == GOOD_DISTRICT)).scalars().all()
        engine.dispose()
        assert sorted(ids) == ["YZ-001", "YZ-002", "YZ-003"]
        assert snapshot(self.outside) == self.before, "something outside GRASSROOTS_HOME changed"
        assert list(self.system_temp.iterdir()) == [], "left in the system's temp folder"


def make_city(home: Path, tmp_path: Path, monkeypatch) -> City:
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_temp))
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    write_ledger(outside, "外部问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    inbox = home / "inbox"
    write_reference(inbox)
    write_ledger(inbox / GOOD_DISTRICT, GOOD_FILE, ledger_rows(GOOD_DISTRICT), AS_OF)
    return City(home, inbox, outside, system_temp, snapshot(outside))


def fates_of(settings, every: bool = False):
    """file name -> its newest submission; with every=True, (file name, submission) pairs."""
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        rows = conn.execute(select(submissions).order_by(submissions.c.id)).mappings().all()
    engine.dispose()
    if every:
        return [(r["file_name"], dict(r)) for r in rows]
    return {r["file_name"]: dict(r) for r in rows}


# --- hostile shapes (also used by bench/bench_hostile.py) --------------------------------------

_SHEET = "xl/worksheets/sheet1.xml"


def _rewrite_zip(source: Path, target: Path, sheet_xml) -> Path:
    """Copy a workbook, the first sheet's XML replaced by what `sheet_xml(old_bytes, out)` writes."""
    import zipfile

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == _SHEET:
                with out.open(_SHEET, "w", force_zip64=True) as part:
                    sheet_xml(data, part)
            else:
                out.writestr(info, data)
    return target


def styled_empty_rows(folder: Path, name: str, district: str, empty_rows: int) -> Path:
    """One real ledger row, then `empty_rows` styled empty rows, and no <dimension> tag: the shape
    that passed the declared-dimension cap."""
    import re

    plain = write_ledger(folder / ".plain", name, ledger_rows(district, 1), AS_OF)

    def sheet_xml(data: bytes, part) -> None:
        data = re.sub(rb"<dimension [^>]*/>", b"", data)
        head, tail = data.split(b"</sheetData>")
        part.write(head)
        start, batch = 4, 50_000
        for first in range(start, start + empty_rows, batch):
            last = min(first + batch, start + empty_rows)
            part.write(b"".join(b'<row r="%d" s="1" customFormat="1"><c r="A%d" s="1"/></row>' % (r, r)
                                for r in range(first, last)))
        part.write(b"</sheetData>" + tail)

    target = _rewrite_zip(plain, folder / name, sheet_xml)
    plain.unlink()
    (folder / ".plain").rmdir()
    return settle(target)


def all_wrong_rows(folder: Path, name: str, district: str, rows: int) -> Path:
    """A ledger where every row is wrong in several columns (bad choice, date, number, town)."""
    import openpyxl

    from tests.samples.ingest import LEDGER_HEADERS

    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("问题清单")
    ws.append([f"{district}问题清单（截至{AS_OF.year}年{AS_OF.month}月{AS_OF.day}日）"])
    ws.append(LEDGER_HEADERS)
    for i in range(rows):
        ws.append([f"X-{i}", f"问题{i}", "乱填", "民生所盼", district, "不存在镇", "市不存在局", "某单位", "某人", None,
                   "去年", "明年", "差不多", None, None, "很多"])
    path = folder / name
    wb.save(path)
    return settle(path)


def damaged_deflate(good: Path, target: Path) -> Path:
    """A valid zip whose sheet's deflate stream is damaged in the middle (bad CRC or bad data)."""
    import zipfile

    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo(_SHEET)
    data = bytearray(good.read_bytes())
    name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + info.compress_size // 2
    for i in range(middle, middle + 8):
        data[i] ^= 0x5A
    target.write_bytes(bytes(data))
    return settle(target)


def only_sheet_hidden(good: Path, target: Path) -> Path:
    """A workbook whose only sheet is hidden (openpyxl refuses to write one: patched in the XML)."""
    import zipfile

    with zipfile.ZipFile(good) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b'state="visible" ', b"", 1).replace(b"<sheet ", b'<sheet state="hidden" ', 1)
            out.writestr(info, data)
    return settle(target)


def with_entity(good: Path, target: Path, entity_target: Path) -> Path:
    """A workbook whose shared strings declare an external entity (XXE) and a billion laughs."""
    import zipfile

    doctype = (b'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file://' + str(entity_target).encode() + b'">'
               b'<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
               b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/sharedStrings.xml":
                head, _, rest = data.partition(b"?>")
                data = head + b"?>" + doctype + rest.replace("问题1<".encode(), b"&xxe;&c;<", 1)
            out.writestr(info, data)
    return settle(target)
