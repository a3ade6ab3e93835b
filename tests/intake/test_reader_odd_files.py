"""Odd input never crashes validation; many errors are all listed; CSV, .xls, Data Docs."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl

from grassroots import contract
from grassroots.validation import receipts, validate_submission
from tests.samples import validation as fx

L, V = contract.LEDGER_SHEET.name, contract.VISITS_SHEET.name


def _validate(path, tmp_path, **kw):
    sub = fx.read(path, tmp_path)
    return sub, validate_submission(sub, fx.reference(), district="海曙区", as_of=fx.AS_OF, **kw)


def test_many_errors_are_listed_at_once(tmp_path):
    rows = []
    for i in range(1, 41):
        rows.append(fx.ledger_row(case_id=f"HS-{i:03d}", district="江北区", source="乱填", reported_on="不知道",
                                  responsible_person=None))
    path = fx.write_ledger(tmp_path / "海曙区" / "many.xlsx", rows)
    sub, result = _validate(path, tmp_path)
    by_code = {}
    for f in result.findings:
        by_code.setdefault(f.code, []).append(f.row)
    assert {code: len(rows_) for code, rows_ in by_code.items()} == {
        "wrong_district": 40, "not_in_choices": 40, "bad_date": 40, "required": 40}
    assert sorted(set(by_code["required"])) == list(range(3, 43))
    out = receipts.write_receipt(path, original_name=path.name, sub=sub, findings=result.findings, accepted=False,
                                 rows_total=40, rows_accepted=0, district="海曙区", out_dir=tmp_path / "out")
    summary = list(openpyxl.load_workbook(out)["回执"].iter_rows(values_only=True))
    listed = [r for r in summary if r[1] in ("错误", "警告")]
    assert len(listed) == 160
    assert next(r[2] for r in summary if r[0] == "错误") == "160 个（须全部修改）"


def test_odd_values_do_not_crash(tmp_path):
    """Numbers where text is expected, real dates, serials, booleans, text in dates, empty rows."""
    rows = [
        fx.ledger_row(case_id=1001, title=12345, responsible_person=3.0, reported_on=dt.datetime(2026, 3, 1),
                      deadline=46387, funds_wan="1,200万元", progress_note=True),
        None,
        None,
        fx.ledger_row(case_id="HS-002", reported_on="二〇二六年三月", deadline=dt.date(2026, 12, 31), funds_wan="-"),
        fx.ledger_row(case_id="ＨＳ－００３", title="  全角编号  ", funds_wan=""),
    ]
    path = fx.write_ledger(tmp_path / "海曙区" / "odd.xlsx", rows)
    sub, result = _validate(path, tmp_path)
    ledger = sub.table(contract.LEDGER)
    assert list(ledger.values.index) == [3, 6, 7]  # empty rows skipped, Excel numbering kept
    assert ledger.values.loc[3, "case_id"] == "1001"
    assert ledger.values.loc[3, "funds_wan"] == 1200
    assert [(f.code, f.row, f.column, f.value) for f in result.findings] == [("bad_date", 6, "发现日期", "二〇二六年三月")]


def test_ten_thousand_columns(tmp_path):
    headers = fx.LEDGER_HEADERS + [f"备用{i}" for i in range(10_000 - len(fx.LEDGER_HEADERS))]
    row = fx.ledger_row(status="乱填")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = L
    ws.append(headers)
    ws.append([row.get(h) for h in headers])
    path = tmp_path / "海曙区" / "wide.xlsx"
    path.parent.mkdir(parents=True)
    wb.save(path)
    sub, result = _validate(path, tmp_path)
    assert [(f.code, f.row, f.column, f.column_index) for f in result.findings] == [("not_in_choices", 2, "办理状态", 12)]


def test_headers_as_written_are_reported(tmp_path):
    """Aliases, spaces and marks in headers: the finding shows the header the district wrote."""
    headers = ["*编号", "问题", "来源", "所属区县（市）", "街道", "结对单位", "牵头单位", "责任人员", "发现 日期", "时限", "状态"]
    fields = ["case_id", "title", "source", "district", "town", "paired_unit", "responsible_unit",
              "responsible_person", "reported_on", "deadline", "status"]
    row = fx.ledger_row(town="庄桥街道")
    values = [row[contract.LEDGER_SHEET.column(f).header] for f in fields]
    path = fx.write_xlsx(tmp_path / "海曙区" / "aliases.xlsx", {L: [headers, values]})
    sub, result = _validate(path, tmp_path)
    (f,) = [f for f in result.findings if f.is_error]
    assert (f.code, f.row, f.column, f.column_index) == ("town_not_in_district", 2, "街道", 4)


def test_csv_with_gbk_and_a_ragged_row(tmp_path):
    rows = [fx.ledger_row(), fx.ledger_row(case_id="HS-002", district="火星区")]
    path = fx.write_csv(tmp_path / "海曙区" / "清单.csv", fx.LEDGER_HEADERS, rows, encoding="gb18030")
    with path.open("a", encoding="gb18030") as fh:
        fh.write("HS-003,多余," + ",".join(["x"] * 20) + "\n")
    sub, result = _validate(path, tmp_path)
    codes = {(f.code, f.row) for f in result.findings}
    assert ("unknown_district", 3) in codes
    assert ("ragged_row", 4) in codes
    out = receipts.write_receipt(path, original_name=path.name, sub=sub, findings=result.findings, accepted=False,
                                 rows_total=result.rows_total, rows_accepted=0, district="海曙区", out_dir=tmp_path / "out")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["回执"]
    listed = [r for r in wb["回执"].iter_rows(values_only=True) if r[1] == "错误"]
    assert any(r[2] == "清单" and r[3] == 3 and r[4] == "所属区县" and r[5] == "火星区" for r in listed)


def test_xls_is_validated_and_comes_back_as_annotated_xlsx(tmp_path):
    rows = fx.grid(fx.VISIT_HEADERS, [fx.visit_row(), fx.visit_row(visit_id="V-002", activity="喝茶")])
    path = fx.write_xls(tmp_path / "海曙区" / "走访.xls", {V: rows, "说明": [["随便写点什么"]]})
    original = path.read_bytes()
    sub, result = _validate(path, tmp_path)
    (f,) = result.findings
    assert (f.code, f.sheet, f.row, f.column) == ("not_in_choices", V, 3, "活动形式")
    out = receipts.write_receipt(path, original_name=path.name, sub=sub, findings=result.findings, accepted=False,
                                 rows_total=2, rows_accepted=0, district="海曙区", out_dir=tmp_path / "out")
    assert out.name == "走访_回执.xlsx"
    assert path.read_bytes() == original
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["回执", V, "说明"]
    cell = wb[V].cell(row=3, column=f.column_index + 1)
    assert cell.value == "喝茶" and cell.fill.fgColor.rgb.endswith(receipts.ERROR_FILL)
    assert "喝茶" in cell.comment.text
    assert wb[V]["B2"].value == "2026-05-01"  # every value copied


def test_results_are_plain_and_data_docs_are_written(tmp_path):
    path = fx.write_ledger(tmp_path / "海曙区" / "docs.xlsx", [fx.ledger_row(status="乱填"), fx.ledger_row(case_id="HS-2")],
                           visits=[fx.visit_row()])
    sub, result = _validate(path, tmp_path, datadocs_dir=tmp_path / "datadocs")
    payload = result.as_dict()
    assert json.loads(json.dumps(payload)) == payload  # JSON-safe: no numpy types, no NaN
    for f in result.findings:
        assert type(f.row) is int and type(f.column_index) is int and type(f.value) is str
    assert len(result.datadocs_pages) == 2 and result.datadocs == result.datadocs_pages[0]
    html = result.datadocs.read_text(encoding="utf-8")
    assert "问题清单" in html and "status__value" in html
    assert (tmp_path / "datadocs" / "index.html").is_file()
    assert all(p.is_relative_to(tmp_path / "datadocs") for p in result.datadocs_pages)
