"""Receipts: the summary sheet, the annotated copy, names, the untouched original, no formulas."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile

import openpyxl
import pytest

from grassroots import contract
from grassroots.findings import finding
from grassroots.validation import receipts, validate_submission
from tests.samples import validation as fx

L = contract.LEDGER_SHEET.name


def _receipt(path, sub, result, tmp_path, name=None, **kw):
    return receipts.write_receipt(path, original_name=name or path.name, sub=sub, findings=result.findings,
                                  accepted=result.accepted, rows_total=result.rows_total,
                                  rows_accepted=result.rows_accepted, district="海曙区", out_dir=tmp_path / "out", **kw)


def _validate(path, tmp_path):
    sub = fx.read(path, tmp_path)
    return sub, validate_submission(sub, fx.reference(), district="海曙区", as_of=fx.AS_OF)


def _sheet_xml(path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(zf.read(n).decode("utf-8") for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))


def test_formulas_in_submitted_text_stay_text(tmp_path):
    evil = {
        "district": "=HYPERLINK(\"http://evil.example\",\"点我\")",
        "town": "+1+1",
        "paired_unit": "-2+3",
        "lead_leader": "@SUM(1,2)",
    }
    path = fx.write_ledger(tmp_path / "海曙区" / "=cmd.xlsx", [fx.ledger_row(**evil)])
    sub, result = _validate(path, tmp_path)
    values = {f.value for f in result.findings}
    assert set(evil.values()) <= values
    out = _receipt(path, sub, result, tmp_path, name="=cmd|' /C calc'!A0.xlsx")
    xml = _sheet_xml(out)
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere in the receipt
    wb = openpyxl.load_workbook(out)
    summary = wb["回执"]
    cells = [c for row in summary.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert {c.value for c in cells} >= set(evil.values())
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    copy = wb[L]
    assert copy.cell(row=3, column=5).value == evil["district"] and copy.cell(row=3, column=5).data_type == "s"


def test_formulas_from_xls_are_rebuilt_as_text(tmp_path):
    rows = fx.grid(fx.LEDGER_HEADERS, [fx.ledger_row(title="=1+1", district="@evil")])
    path = fx.write_xls(tmp_path / "海曙区" / "旧.xls", {L: rows})
    sub, result = _validate(path, tmp_path)
    out = _receipt(path, sub, result, tmp_path)
    assert out.suffix == ".xlsx"
    assert "<f>" not in _sheet_xml(out)
    ws = openpyxl.load_workbook(out)[L]
    assert ws["B2"].value == "=1+1" and ws["B2"].data_type == "s"


def test_original_is_never_touched_and_receipt_keeps_the_districts_workbook(tmp_path):
    path = fx.write_ledger(tmp_path / "海曙区" / "清单.xlsx", [fx.ledger_row(), fx.ledger_row(case_id="HS-2", source="乱填")])
    wb = openpyxl.load_workbook(path)
    wb[L]["A1"].font = openpyxl.styles.Font(bold=True, size=18)
    wb[L].column_dimensions["B"].width = 40
    wb[L]["B3"].comment = openpyxl.comments.Comment("区县自己的批注", "区县")
    wb[L]["C4"].comment = openpyxl.comments.Comment("原有批注", "区县")
    wb.save(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    sub, result = _validate(path, tmp_path)
    out = _receipt(path, sub, result, tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    copy = openpyxl.load_workbook(out)
    assert copy.sheetnames == ["回执", L]
    ws = copy[L]
    assert ws["A1"].font.bold and ws.column_dimensions["B"].width == 40
    assert ws["B3"].comment.text == "区县自己的批注"
    assert ws["C4"].comment.text.startswith("原有批注") and "乱填" in ws["C4"].comment.text
    assert ws["C4"].fill.fgColor.rgb.endswith(receipts.ERROR_FILL)
    assert not ws["C3"].fill.fgColor.rgb.endswith(receipts.ERROR_FILL)


def test_accepted_receipt_says_so(tmp_path):
    path = fx.write_ledger(tmp_path / "海曙区" / "好.xlsx", fx.ledger_rows(2, deadline="2029-01-01"))
    sub, result = _validate(path, tmp_path)
    assert result.accepted
    out = _receipt(path, sub, result, tmp_path, received_at=dt.datetime(2026, 11, 20, 2, 30, tzinfo=dt.UTC))
    rows = {r[0]: r[2] for r in openpyxl.load_workbook(out)["回执"].iter_rows(values_only=True) if r[0]}
    assert rows["处理结果"] == "已接收"
    assert rows["采用行数"] == "2 行" and rows["数据行数"] == "2 行"
    assert rows["警告"].startswith("2 个") and rows["错误"] == "0 个"
    assert rows["接收时间"] == "2026-11-20 10:30"  # local time of the campaign
    assert rows["截至日期"] == "2026-11-20"


def test_unreadable_file_gets_a_summary_with_the_reason(tmp_path):
    path = tmp_path / "海曙区" / "坏.xlsx"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a workbook")
    reason = finding("unreadable", detail="文件内容不是 Excel 工作簿")
    out = receipts.write_receipt(path, original_name=path.name, sub=None, findings=[reason], accepted=False,
                                 rows_total=0, rows_accepted=0, district="海曙区", out_dir=tmp_path / "out")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["回执"]
    rows = list(wb["回执"].iter_rows(values_only=True))
    assert any(r[1] == "错误" and r[6] == reason.reason and r[7] == reason.fix for r in rows)
    assert next(r[2] for r in rows if r[0] == "处理结果").startswith("未通过")


@pytest.mark.parametrize("name,expected", [
    ("清单.xlsx", "清单_回执.xlsx"),
    ("../../etc/passwd", "passwd_回执.xlsx"),
    ("..\\..\\win.xls", "win_回执.xlsx"),
    ("a\x00b\nc.csv", "a_b_c_回执.xlsx"),
    ("..", "提交文件_回执.xlsx"),
    (".hidden.xlsx", "hidden_回执.xlsx"),
    ("", "提交文件_回执.xlsx"),
    ("长" * 300 + ".xlsx", "长" * 80 + "_回执.xlsx"),
])
def test_receipt_names_stay_in_the_folder(tmp_path, name, expected):
    assert receipts.receipt_name(name) == expected
    out = receipts.write_receipt(tmp_path / "missing", original_name=name, sub=None, findings=[], accepted=False,
                                 rows_total=0, rows_accepted=0, district="海曙区", out_dir=tmp_path / "out")
    assert out.parent == tmp_path / "out" and out.name == expected and out.is_file()
    assert not re.search(r"[\x00-\x1f]", out.name)


def test_control_characters_in_values_do_not_break_the_receipt(tmp_path):
    path = fx.write_csv(tmp_path / "海曙区" / "c.csv", fx.LEDGER_HEADERS, [fx.ledger_row(district="火\x01星\x07区")])
    sub, result = _validate(path, tmp_path)
    out = _receipt(path, sub, result, tmp_path)
    values = [r[5] for r in openpyxl.load_workbook(out)["回执"].iter_rows(values_only=True) if r[1] == "错误"]
    assert "火星区" in values
