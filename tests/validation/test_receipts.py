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


# --- what the clerk reads: advice, grouping, consequence, links, the visible reason ----------

def _summary_rows(out) -> list[tuple]:
    return list(openpyxl.load_workbook(out)["回执"].iter_rows(values_only=True))


def _info(rows) -> dict:
    return {r[0]: r[2] for r in rows if r[0] and r[1] is None and isinstance(r[0], str)}


def test_advice_fits_the_row(tmp_path):
    rows = [
        fx.ledger_row(case_id="HS-001", district="江北区"),  # town and case id are 海曙区's: write 海曙区
        fx.ledger_row(case_id="JB-007", district="江北区", town="庄桥街道"),  # truly 江北区's
        fx.ledger_row(case_id="HS-003", town="鼓楼"),  # short form of 鼓楼街道
        fx.ledger_row(case_id="HS-004", paired_unit="经信局"),  # short form of 市经信局
        fx.ledger_row(case_id="HS-005", deadline="2026/11/31"),
        fx.ledger_row(case_id="HS-006", status="已办结"),
        fx.ledger_row(case_id="HS-007", lead_leader="王芳"),  # two leaders share it: not the clerk's to fix
    ]
    grid = fx.grid(fx.LEDGER_HEADERS, rows)
    grid[0] = [("*" + h) if c.required else h for h, c in zip(grid[0], contract.LEDGER_SHEET.columns, strict=True)]
    grid.append([None, "缺责任人", "民生实事", None, "海曙区", "鼓楼街道", "市经信局", "区住建局", None, None,
                 "2026-03-01", "2026-12-31", "推进中", None, None, None])
    grid[-1][0] = "HS-008"
    path = fx.write_xlsx(tmp_path / "海曙区" / "清单.xlsx", {L: grid}, titles={L: "海曙区问题清单（截至2026年11月20日）"})
    sub, result = _validate(path, tmp_path)
    out = _receipt(path, sub, result, tmp_path)
    listed = {(r[3], r[4].lstrip("*") if r[4] else r[4]): (r[6], r[7]) for r in _summary_rows(out) if r[1] == "错误"}
    assert listed[(3, "所属区县")] == ("所属区县填写为“江北区”，但该行的街道（镇乡）“鼓楼街道”和问题编号“HS-001”属于海曙区",
                                     "所属区县应为海曙区，请改为“海曙区”")
    assert listed[(4, "所属区县")][1] == "请只提交本区县（海曙区）的数据，其他区县的数据由其自行提交"
    assert listed[(5, "街道（镇乡）")][1].startswith("是否为“鼓楼街道”？")
    assert listed[(6, "包联单位")][1].startswith("是否为“市经信局”？")
    assert listed[(7, "完成时限")] == ("“2026/11/31”不是有效的日期：11月没有31日", "请核对并改为实际的日期，如 2026-11-30")
    assert "如尚未办结，请把办理状态改为" in listed[(8, "办结日期")][1] and "请填写办结日期" in listed[(8, "办结日期")][1]
    assert listed[(10, "责任人")][0] == "“责任人”为必填项，不能为空"
    text = "".join(str(v) for r in _summary_rows(out) for v in r if v)
    assert "*" not in "".join(r for pair in listed.values() for r in pair)
    assert "两位以上领导" not in text  # a shared leader name is the operators' (on the reference workbook)


def test_repeated_findings_are_one_line_with_their_rows(tmp_path):
    path = fx.write_ledger(tmp_path / "海曙区" / "部分.xlsx", fx.ledger_rows(2, deadline="2026-12-31"))
    previous = {f"HS-{i:03d}": {"status": "推进中", "deadline": dt.date(2026, 12, 31), "as_of": dt.date(2026, 11, 13)}
                for i in range(1, 55)}
    sub = fx.read(path, tmp_path)
    result = validate_submission(sub, fx.reference(), district="海曙区", as_of=fx.AS_OF, previous=previous)
    missing = [f for f in result.findings if f.code == "case_missing"]
    assert len(missing) == 52
    rows = _summary_rows(_receipt(path, sub, result, tmp_path))
    heads = [r for r in rows if r[1] == "警告" and r[6] and r[6].startswith("比上期少")]
    assert len(heads) == 1
    assert heads[0][6] == "比上期少52个问题：是否只填了新增问题？清单须列出全部问题"
    assert heads[0][3] == "共 52 处"
    under = [r for r in rows if isinstance(r[0], str) and r[0].startswith(f"{heads[0][0]}.")]
    assert [r[5] for r in under] == sorted(f.value for f in missing)


def test_a_rejected_receipt_says_the_consequence_the_deadline_and_links_each_error(tmp_path):
    path = fx.write_ledger(tmp_path / "海曙区" / "错.xlsx", [fx.ledger_row(), fx.ledger_row(case_id="HS-2", source="乱填")])
    sub, result = _validate(path, tmp_path)
    context = receipts.ReceiptContext(previous_as_of=dt.date(2026, 11, 13),
                                      resubmit_by=dt.datetime.fromisoformat("2026-11-27T18:00:00+08:00"))
    out = _receipt(path, sub, result, tmp_path, received_at=dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC),
                   context=context)
    info = _info(_summary_rows(out))
    assert info["对统计的影响"] == "本文件未采用，统计仍使用贵区县上一次接收的问题清单（截至2026年11月13日），直到修改后的文件通过校验。"
    assert info["重新提交"] == "请在 2026年11月27日（星期五）18:00 前修改全部错误后重新提交（放入原文件夹即可，文件名可不变）。"
    wb = openpyxl.load_workbook(out)
    summary = wb["回执"]
    (error_row,) = [r for r in summary.iter_rows() if r[1].value == "错误"]
    link = error_row[3].hyperlink
    assert link is not None and link.location == f"'{L}'!C4"
    copy = wb[L]
    note_col = next(c.column for c in copy[2] if c.value == receipts.NOTE_HEADER)
    note = copy.cell(row=4, column=note_col).value
    assert note.startswith("错误｜问题来源：“乱填”不是“问题来源”的可选值") and "修改：请从下拉列表中选择" in note
    assert copy.cell(row=3, column=note_col).value is None


def test_an_accepted_receipt_lists_what_changed(tmp_path):
    path = fx.write_ledger(tmp_path / "海曙区" / "好.xlsx", [
        fx.ledger_row(case_id="HS-001", deadline="2026-12-31"),
        fx.ledger_row(case_id="HS-002", deadline="2026-12-31", status="已办结", resolved_on="2026-11-10"),
        fx.ledger_row(case_id="HS-003", deadline="2026-12-31", status="取得实质性进展"),
        fx.ledger_row(case_id="HS-004", deadline="2026-12-31")])
    sub = fx.read(path, tmp_path)
    previous = {c: {"status": "推进中", "deadline": dt.date(2026, 12, 31), "as_of": dt.date(2026, 11, 13)}
                for c in ("HS-001", "HS-002", "HS-003")}
    result = validate_submission(sub, fx.reference(), district="海曙区", as_of=fx.AS_OF, previous=previous)
    assert result.accepted
    context = receipts.ReceiptContext(changes=receipts.ledger_changes(sub, previous))
    info = _info(_summary_rows(_receipt(path, sub, result, tmp_path, context=context)))
    assert info["本次变化"] == "与上一期清单（截至2026年11月13日）相比：新增 1 个问题，办结 1 个，状态变化 2 个。"
    assert info["新增"] == "HS-004" and info["办结"] == "HS-002"
    assert info["状态变化"] == "HS-002（推进中→已办结）、HS-003（推进中→取得实质性进展）"
    assert info["对统计的影响"] == "本文件已采用，统计使用本文件的数据。"


def test_a_large_workbook_is_streamed_and_still_marked(tmp_path, monkeypatch):
    """The XML path of large files, on a small one: fills, the note column, links, text stays text."""
    monkeypatch.setattr(receipts, "SMALL_CELLS", 0)
    rows = [fx.ledger_row(case_id=f"HS-{i:03d}") for i in range(1, 6)]
    rows[2] = fx.ledger_row(case_id="HS-003", source="乱填", title="=1+1")
    path = fx.write_ledger(tmp_path / "海曙区" / "大.xlsx", rows)
    sub, result = _validate(path, tmp_path)
    out = _receipt(path, sub, result, tmp_path)
    assert "<f>" not in _sheet_xml(out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["回执", L]
    copy = wb[L]
    assert copy["C5"].value == "乱填" and copy["C5"].fill.fgColor.rgb.endswith(receipts.ERROR_FILL)
    assert copy["B5"].value == "=1+1" and copy["B5"].data_type == "s"
    assert copy["K5"].number_format == openpyxl.load_workbook(path)[L]["K5"].number_format  # own formats kept
    note = len(fx.LEDGER_HEADERS) + 1  # the first column after the district's own
    assert copy.cell(row=2, column=note).value == receipts.NOTE_HEADER
    assert copy.cell(row=5, column=note).value.startswith("错误｜问题来源")
    link = next(r for r in wb["回执"].iter_rows() if r[1].value == "错误")[3].hyperlink
    assert link.location == f"'{L}'!C5"
    _opens_in_libreoffice(out, tmp_path)


def _opens_in_libreoffice(path, tmp_path):
    """LibreOffice converts the workbook without complaint (what Excel would refuse to open cleanly)."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: make system-deps")
    out_dir = tmp_path / "lo"
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                           "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(out_dir), str(path)],
                          capture_output=True, text=True, timeout=180)
    converted = out_dir / (path.stem + ".csv")
    assert done.returncode == 0 and converted.exists(), done.stderr
    assert "提交回执" in converted.read_text(encoding="utf-8", errors="replace")


def test_closest_registered_names_handle_short_forms_and_the_wrong_suffix():
    from grassroots.demo import city as demo_city
    from grassroots.validation import suggest

    ref = demo_city.demo_reference()
    city_towns = list(ref.towns)
    assert suggest.closest("霞浦镇", ref.towns_of("北仑区"), city_towns) == ["霞浦街道"]  # not a town of another district
    assert suggest.closest("古林", ref.towns_of("海曙区"), city_towns) == ["古林镇"]
    assert suggest.closest("发改委", [], ref.units) == ["市发改委"]  # none of the district's: the city's
    assert suggest.closest("张伟伟", ["张伟", "李娜"], []) == ["张伟"]
    assert suggest.closest("完全无关的名字", ref.towns_of("海曙区"), []) == []
    assert contract.suggestion("town", [], district="海曙区", example="鼓楼街道") == "请填写海曙区所辖街道（镇乡）的全称，如：鼓楼街道"
