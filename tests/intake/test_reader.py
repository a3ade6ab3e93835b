"""The reader on real files with each quirk of the data contract."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pandas as pd
import pytest
import xlwt

from grassroots import contract
from grassroots.findings import Unreadable
from grassroots.intake import reader

HEADERS = ["*问题编号", "问题名称", "问题来源", "问题领域", "所属区县（市）", "街道", "包联单位", "责任单位",
           "责任人员", "领衔领导", "发现日期", "完成时限", "办理状态", "办结日期", "进展情况", "涉及资金（万元）"]
ROW_1 = ["HS-001", "李家坑村产业发展", "重点项目", "大局所需", "海曙区", "章水镇", "市发改委", "市发改委",
         "张三", "王五", dt.date(2026, 10, 1), dt.date(2026, 12, 31), "已销号", dt.date(2026, 11, 1), "已完成", "400万元"]
ROW_2 = ["ＨＳ-００２", " 道路破损 ", "民生实事", "/", "海曙区", "章水镇", "市发改委", "市交通局",
         "李四", "无", "2026/10/02", "20261231", "推进中", "", "", "1,200"]
VISIT_HEADERS = ["走访日期", "走访单位", "带队领导", "所属区县", "街道（镇乡）", "走访对象", "对象类型", "活动形式", "关联问题编号"]
VISIT_ROW = [dt.date(2026, 11, 3), "市发改委", "王五", "海曙区", "章水镇", "李家坑村", "村", "走访", "HS-001，HS-002"]


def ledger_xlsx(path, rows=(ROW_1, ROW_2), title="海曙区问题清单（截至2026年11月20日）", headers=HEADERS, blank_middle=False):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问题清单"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        ws.append([])
    ws.append(headers)
    for n, row in enumerate(rows):
        if blank_middle and n == 1:
            ws.append([])
        ws.append(list(row))
    wb.save(path)
    return path


def test_xlsx_title_rows_aliases_and_cleaning(tmp_path, settings):
    sub = reader.read_submission(ledger_xlsx(tmp_path / "a.xlsx"), settings, checksum="c1")
    assert sub.as_of == dt.date(2026, 11, 20) and sub.as_of_source == "title"
    [table] = sub.tables
    assert (table.kind, table.sheet, table.header_row) == (contract.LEDGER, "问题清单", 3)
    assert table.headers["case_id"] == ("*问题编号", 0)
    assert table.headers["responsible_person"] == ("责任人员", 8)
    v = table.values
    assert list(v.index) == [4, 5]  # the rows Excel shows
    assert v.loc[5, "case_id"] == "HS-002"  # full-width to half-width
    assert v.loc[5, "title"] == "道路破损"  # trimmed
    assert pd.isna(v.loc[5, "theme"]) and pd.isna(v.loc[5, "lead_leader"])  # '/' and '无' are empty
    assert v.loc[4, "status"] == "已办结"  # 已销号 means 已办结
    assert v.loc[4, "reported_on"] == pd.Timestamp("2026-10-01")
    assert v.loc[5, "reported_on"] == pd.Timestamp("2026-10-02")
    assert v.loc[5, "deadline"] == pd.Timestamp("2026-12-31")
    assert v.loc[4, "funds_wan"] == 400 and v.loc[5, "funds_wan"] == 1200
    canonical = table.canonical("c1")
    assert list(canonical.columns[:3]) == ["source_sha256", "source_sheet", "source_row"]
    assert canonical["source_row"].tolist() == [4, 5] and set(canonical["source_sha256"]) == {"c1"}


def test_empty_rows_in_the_middle_keep_excel_row_numbers(tmp_path, settings):
    sub = reader.read_submission(ledger_xlsx(tmp_path / "a.xlsx", blank_middle=True), settings)
    assert list(sub.tables[0].values.index) == [4, 6]


def test_merged_cells_fill_their_area(tmp_path, settings):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append(HEADERS)
    ws.append(ROW_1)
    ws.append([*ROW_2[:4], None, *ROW_2[5:]])
    ws.merge_cells("E2:E3")  # 所属区县 written once for two rows
    wb.save(tmp_path / "m.xlsx")
    v = reader.read_submission(tmp_path / "m.xlsx", settings).tables[0].values
    assert v["district"].tolist() == ["海曙区", "海曙区"]


def test_serial_and_text_dates(tmp_path, settings):
    rows = [[*ROW_1[:10], 46296, "2026年12月31日", "推进中", None, None, None],
            [*ROW_1[:10], "2026.10.01", "２０２６－１２－３１", "推进中", None, None, None]]
    rows[1][0] = "HS-009"
    v = reader.read_submission(ledger_xlsx(tmp_path / "d.xlsx", rows=rows), settings).tables[0].values
    assert v["reported_on"].tolist() == [pd.Timestamp("2026-10-01")] * 2
    assert v["deadline"].tolist() == [pd.Timestamp("2026-12-31")] * 2


def test_unreadable_date_stays_as_text_for_the_receipt(tmp_path, settings):
    rows = [[*ROW_1[:10], "十月一日", *ROW_1[11:]]]
    table = reader.read_submission(ledger_xlsx(tmp_path / "d.xlsx", rows=rows), settings).tables[0]
    assert pd.isna(table.values.loc[4, "reported_on"]) and table.text.loc[4, "reported_on"] == "十月一日"


def test_xls_workbook(tmp_path, settings):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("问题清单")
    sheet.write(0, 0, "海曙区问题清单（截至2026年11月13日）")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for c, h in enumerate(HEADERS):
        sheet.write(1, c, h)
    for r, row in enumerate([ROW_1, ROW_2], start=2):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, dt.datetime.combine(value, dt.time()), date_style)
            else:
                sheet.write(r, c, value)
    book.save(str(tmp_path / "old.xls"))
    sub = reader.read_submission(tmp_path / "old.xls", settings)
    v = sub.tables[0].values
    assert sub.as_of == dt.date(2026, 11, 13)
    assert v.loc[3, "reported_on"] == pd.Timestamp("2026-10-01") and v.loc[4, "case_id"] == "HS-002"


def _csv_text(headers, rows, title=None):
    buf = io.StringIO()
    import csv

    writer = csv.writer(buf)
    if title:
        writer.writerow([title])
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, dt.date) else v) for v in row])
    return buf.getvalue()


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings_and_as_of_from_file_name(tmp_path, settings, encoding):
    path = tmp_path / "余姚市_走访记录_20261120.csv"
    path.write_bytes(_csv_text(VISIT_HEADERS, [VISIT_ROW] * 3).encode(encoding))
    sub = reader.read_submission(path, settings)
    assert sub.as_of == dt.date(2026, 11, 20) and sub.as_of_source == "file_name"
    [table] = sub.tables
    assert table.kind == contract.VISITS
    assert list(table.values.index) == [2, 3, 4]
    assert table.values.loc[2, "case_ids"] == "HS-001,HS-002"
    assert table.values.loc[2, "town"] == "章水镇"


def test_csv_with_title_row_blank_lines_and_ragged_rows(tmp_path, settings):
    text = _csv_text(VISIT_HEADERS, [VISIT_ROW, VISIT_ROW], title="海曙区走访记录（截至2026年11月20日）")
    lines = text.splitlines()
    lines.insert(3, "")  # a blank line between the data rows
    lines.append(",".join(str(v) for v in VISIT_ROW[:8]) + ",A,extra,cells")
    path = tmp_path / "v.csv"
    path.write_text("\n".join(lines) + "\n", encoding="gb18030")
    table = reader.read_submission(path, settings).tables[0]
    assert list(table.values.index) == [3, 5, 6]
    assert [f.code for f in table.findings if f.code == "ragged_row"] == ["ragged_row"]
    assert next(f for f in table.findings if f.code == "ragged_row").row == 6


def test_both_sheets_in_one_workbook(tmp_path, settings):
    path = ledger_xlsx(tmp_path / "both.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("走访记录（11月）")
    ws.append(VISIT_HEADERS)
    ws.append(VISIT_ROW)
    wb.create_sheet("说明").append(["其他工作表不读"])
    wb.save(path)
    sub = reader.read_submission(path, settings)
    assert [t.kind for t in sub.tables] == [contract.LEDGER, contract.VISITS]


def _code(path, settings):
    with pytest.raises(Unreadable) as caught:
        reader.read_submission(path, settings)
    return caught.value.finding


def test_corrupt_empty_and_not_a_spreadsheet(tmp_path, settings):
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 this is not really a zip")
    assert _code(tmp_path / "bad.xlsx", settings).code == "unreadable"
    (tmp_path / "empty.xlsx").write_bytes(b"")
    assert _code(tmp_path / "empty.xlsx", settings).code == "empty"
    (tmp_path / "renamed.xlsx").write_bytes("这是一个文本文件".encode())
    f = _code(tmp_path / "renamed.xlsx", settings)
    assert f.code == "unreadable" and "Excel" in f.reason
    (tmp_path / "x.docx").write_bytes(b"hello")
    assert _code(tmp_path / "x.docx", settings).code == "unsupported_type"


def test_headerless_and_missing_required_column(tmp_path, settings):
    wb = openpyxl.Workbook()
    wb.active.append(["随便", "一些", "内容"])
    wb.save(tmp_path / "h.xlsx")
    f = _code(tmp_path / "h.xlsx", settings)
    assert f.code == "no_header" and "问题编号" in f.fix
    headers = [h for h in HEADERS if h != "责任人员"]
    f = _code(ledger_xlsx(tmp_path / "m.xlsx", rows=[], headers=headers), settings)
    assert (f.code, f.column, f.row) == ("missing_column", "责任人", 3)


def test_encrypted_workbook(tmp_path, settings):
    import msoffcrypto.format.ooxml as ooxml

    plain = ledger_xlsx(tmp_path / "plain.xlsx")
    with plain.open("rb") as src, (tmp_path / "locked.xlsx").open("wb") as out:
        ooxml.OOXMLFile(src).encrypt("secret", out)
    f = _code(tmp_path / "locked.xlsx", settings)
    assert f.code == "encrypted" and "密码" in f.reason


def test_zip_bomb_is_refused_before_expanding(tmp_path, settings, monkeypatch):
    path = ledger_xlsx(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/padding.bin", b"\0" * (8 * 1024 * 1024))
    small = settings.__class__(**{**settings.__dict__, "max_unzipped_mb": 5})
    f = _code(path, small)
    assert f.code == "too_large" and "解压后" in f.reason


def test_a_million_styled_rows_is_refused_by_the_row_limit(tmp_path, settings):
    """The sheet's declared size is checked before calamine loads anything."""
    path = ledger_xlsx(tmp_path / "styled.xlsx")
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    rows = "".join(f'<row r="{n}"><c r="A{n}" s="1"/></row>' for n in range(10, 1_000_001, 1))
    sheet = sheet.replace("</sheetData>", rows + "</sheetData>")
    sheet = re.sub(r'<dimension ref="[A-Z0-9:]+" ?/>', '<dimension ref="A1:P1000000"/>', sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    f = _code(path, settings)
    assert f.code == "too_many_rows" and f.sheet == "问题清单" and "1000000" in f.reason


def test_file_size_limit(tmp_path, settings):
    path = tmp_path / "big.csv"
    path.write_bytes(b"a" * (2 * 1024 * 1024))
    small = settings.__class__(**{**settings.__dict__, "max_file_mb": 1})
    assert _code(path, small).code == "too_large"


def test_ten_thousand_columns_do_not_crash(tmp_path, settings):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append(HEADERS + [f"多余列{i}" for i in range(10_000)])
    ws.append(ROW_1 + ["x"] * 10_000)
    wb.save(tmp_path / "wide.xlsx")
    table = reader.read_submission(tmp_path / "wide.xlsx", settings).tables[0]
    assert table.rows == 1 and list(table.values.columns) == list(contract.LEDGER_SHEET.fields)


def test_reference_workbook(tmp_path, settings):
    wb = openpyxl.Workbook()
    sheets = {
        "区县": [["名称", "代码"], ["海曙区", "330203"]],
        "街道（镇乡）": [["名称", "所属区县"], ["章水镇", "海曙区"]],
        "单位": [["名称"], ["市发改委"]],
        "包联关系": [["单位", "街道（镇乡）"], ["市发改委", "章水镇"]],
        "领导干部": [["姓名", "职务", "单位"], ["王五", "主任", "市发改委"]],
        "收件人": [["姓名", "邮箱", "范围"], ["赵六", "zhao@example.gov.cn", "全市"]],
    }
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(tmp_path / "ref.xlsx")
    tables = reader.read_reference(tmp_path / "ref.xlsx", settings)
    assert set(tables) == set(sheets)
    from grassroots.reference import Reference

    ref = Reference.from_tables({k: t.values for k, t in tables.items()})
    assert ref.towns == {"章水镇": "海曙区"} and ref.pairings == {"市发改委": "章水镇"}
    assert ref.recipients[0].email == "zhao@example.gov.cn"


def test_hidden_sheets_are_not_read(tmp_path, settings):
    path = ledger_xlsx(tmp_path / "h.xlsx")
    wb = openpyxl.load_workbook(path)
    old = wb.create_sheet("问题清单（旧）", 0)
    old.append(HEADERS)
    old.append(["OLD-1", *ROW_1[1:]])
    old.sheet_state = "hidden"
    wb.save(path)
    table = reader.read_submission(path, settings).tables[0]
    assert table.sheet == "问题清单" and table.values["case_id"].tolist() == ["HS-001", "HS-002"]


def test_a_bare_year_is_not_a_date(tmp_path, settings):
    rows = [[*ROW_1[:10], 2026, *ROW_1[11:]]]
    v = reader.read_submission(ledger_xlsx(tmp_path / "y.xlsx", rows=rows), settings).tables[0].values
    assert pd.isna(v.loc[4, "reported_on"])


def test_csv_blank_line_far_down_keeps_row_numbers(tmp_path, settings):
    rows = [VISIT_ROW] * 5000
    text = _csv_text(VISIT_HEADERS, rows)
    lines = text.splitlines()
    lines.insert(4001, "")  # beyond the sample the reader looks at first
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    index = reader.read_submission(path, settings).tables[0].values.index
    assert len(index) == 5000 and index[-1] == 5002 and 4002 not in index
