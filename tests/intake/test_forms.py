"""The official templates: drawn from the contract, readable by the reader once filled in."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from grassroots import contract
from grassroots.demo import city as demo_city
from grassroots.intake import forms, reader
from grassroots.reference import Reference


def _validations(ws) -> dict[str, object]:
    """Column letter -> the data validation that covers its first data row."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[get_column_letter(rng.min_col)] = dv
    return out


def _guide_rows(ws) -> list[tuple]:
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if tuple(r[:len(forms.GUIDE_HEADERS)]) == forms.GUIDE_HEADERS)
    return [r for r in rows[start + 1:] if r[0]]


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    out = tmp_path_factory.mktemp("templates")
    return {p.name: p for p in forms.write_templates(out)}


@pytest.mark.parametrize("spec", contract.SUBMISSION_SHEETS, ids=lambda s: s.kind)
def test_submission_template_follows_the_contract(blank, spec):
    wb = openpyxl.load_workbook(blank[f"{spec.name}模板.xlsx"])
    ws = wb[spec.name]
    assert ws["A1"].value == f"XX区{spec.name}（截至    年  月  日）"
    assert "A1" in {str(r).split(":")[0] for r in ws.merged_cells.ranges}
    header = [c.value for c in ws[2]]
    assert header == [("*" if c.required else "") + c.header for c in spec.columns]
    assert ws.freeze_panes == "A3"
    validations = _validations(ws)
    last = 2 + forms.TEMPLATE_ROWS
    for idx, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(idx)
        assert ws.column_dimensions[letter].width == col.width
        if col.hint:
            assert col.hint in ws.cell(row=2, column=idx).comment.text
        dv = validations.get(letter)
        if col.type == "choice":
            assert dv.type == "list"
            assert dv.formula1.strip('"').split(",") == list(col.choices)
            assert str(dv.sqref) == f"{letter}3:{letter}{last}"
        elif col.type == "date":
            assert dv.type == "date"
            assert ws.cell(row=3, column=idx).number_format == "yyyy-mm-dd"
            assert ws.cell(row=last, column=idx).number_format == "yyyy-mm-dd"
        elif col.type == "number":
            assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
        elif col.type == "integer":
            assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
        elif col.reference in ("district", "town", "unit"):
            assert dv is None or dv.type != "list"  # no reference given: no name lists
    assert forms.LIST_SHEET not in wb.sheetnames


@pytest.mark.parametrize("spec", contract.SUBMISSION_SHEETS, ids=lambda s: s.kind)
def test_guide_lists_every_column_and_the_general_rules(blank, spec):
    ws = openpyxl.load_workbook(blank[f"{spec.name}模板.xlsx"])[forms.GUIDE_SHEET]
    rows = _guide_rows(ws)
    assert [r[0] for r in rows] == [c.header for c in spec.columns]
    for row, col in zip(rows, spec.columns, strict=True):
        assert row[1] == ("必填" if col.required else "选填")
        assert row[2]
        for choice in col.choices:
            assert choice in row[3]
        assert (row[5] or "") == col.hint
    text = "\n".join(str(c) for r in ws.iter_rows(values_only=True) for c in r if c)
    assert "文件夹名称就是区县名称" in text
    assert "问题编号一经确定不再改变" in text or spec.kind == contract.VISITS
    assert "全部问题（含已办结" in text or spec.kind == contract.VISITS
    assert "截至日期" in text


def test_district_template_has_name_dropdowns(tmp_path):
    reference = demo_city.demo_reference()
    paths = forms.write_templates(tmp_path, reference=reference, district="海曙区")
    wb = openpyxl.load_workbook(paths[0])
    ws = wb["问题清单"]
    assert ws["A1"].value.startswith("海曙区问题清单（截至")
    lists = wb[forms.LIST_SHEET]
    assert lists.sheet_state == "hidden"
    validations = _validations(ws)
    spec = contract.LEDGER_SHEET

    def listed(field: str) -> list[str]:
        letter = get_column_letter(spec.fields.index(field) + 1)
        formula = validations[letter].formula1
        assert formula.startswith(f"'{forms.LIST_SHEET}'!")
        area = formula.split("!")[1].replace("$", "")
        return [c.value for row in lists[area] for c in row]

    assert listed("district") == ["海曙区"]
    assert listed("town") == reference.towns_of("海曙区")
    units = listed("paired_unit")
    assert sorted(units) == sorted(reference.units)
    paired_here = {u for u, t in reference.pairings.items() if reference.towns[t] == "海曙区"}
    assert set(units[:len(paired_here)]) == paired_here  # the district's own units first
    with pytest.raises(ValueError):
        forms.write_templates(tmp_path, reference=reference, district="火星区")


def test_filled_templates_are_read_as_submissions(tmp_path, settings):
    reference = demo_city.demo_reference()
    paths = forms.write_templates(tmp_path, reference=reference, district="鄞州区")
    wb = openpyxl.load_workbook(paths[0])
    ws = wb["问题清单"]
    ws["A1"] = "鄞州区问题清单（截至2026年11月20日）"
    rows = [
        ["YZ-2026-001", "乐歌股份公司申请智能转型补助金", "企业诉求", "大局所需", "鄞州区", "姜山镇", "市经信局",
         "市经信局", "张伟", None, dt.date(2026, 10, 8), dt.date(2026, 12, 31), "已办结", dt.date(2026, 11, 2),
         "已办结", 400],
        ["YZ-2026-002", "东岙村村内道路破损需修缮", "民生实事", None, "鄞州区", "姜山镇", "市经信局",
         "姜山镇人民政府", "李娜", None, dt.date(2026, 11, 3), dt.date(2027, 1, 15), "推进中", None, None, None],
    ]
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    filled = tmp_path / "鄞州区问题清单.xlsx"
    wb.save(filled)
    sub = reader.read_submission(filled, settings)
    assert sub.as_of == dt.date(2026, 11, 20) and sub.as_of_source == "title"
    table = sub.table(contract.LEDGER)
    assert [t.kind for t in sub.tables] == [contract.LEDGER]
    assert table.header_row == 2
    assert list(table.values.index) == [3, 4]
    first = table.values.loc[3]
    assert first["case_id"] == "YZ-2026-001"
    assert first["town"] == "姜山镇"
    assert first["status"] == "已办结"
    assert first["reported_on"] == dt.datetime(2026, 10, 8)
    assert first["resolved_on"] == dt.datetime(2026, 11, 2)
    assert first["funds_wan"] == 400
    second = table.values.loc[4]
    assert second["responsible_unit"] == "姜山镇人民政府"
    assert second.isna()["theme"]
    assert second.isna()["resolved_on"] and second.isna()["funds_wan"]
    assert not [f for f in table.findings if f.is_error]

    wb = openpyxl.load_workbook(paths[1])
    ws = wb["走访记录"]
    leader = next(x for x in reference.leaders if x.unit == "市经信局")
    visit = ["YZ-ZF-0001", dt.date(2026, 10, 8), "市经信局", leader.name, leader.title, "鄞州区", "姜山镇",
             "乐歌股份公司", "企业", "走访", 12, 1, "YZ-2026-001", None]
    for c, value in enumerate(visit, start=1):
        ws.cell(row=3, column=c, value=value)
    filled = tmp_path / "鄞州区走访记录_20261120.xlsx"
    wb.save(filled)
    sub = reader.read_submission(filled, settings)
    table = sub.table(contract.VISITS)
    assert sub.as_of == dt.date(2026, 11, 20) and sub.as_of_source == "file_name"  # the title has no date
    assert table.rows == 1
    row = table.values.loc[3]
    assert (row["unit"], row["leader"], row["town"], row["participants"], row["case_ids"]) == (
        "市经信局", leader.name, "姜山镇", 12, "YZ-2026-001")


def test_reference_workbook_round_trips(tmp_path, settings):
    reference = demo_city.demo_reference()
    path = forms.write_reference_workbook(tmp_path / "_reference" / "基础数据.xlsx", reference)
    tables = reader.read_reference(path, settings)
    assert set(tables) == {s.name for s in contract.REFERENCE_SHEETS}
    again = Reference.from_tables({name: t.values for name, t in tables.items()})
    assert again == reference
    assert tables["区县"].rows == 10 and tables["街道（镇乡）"].rows == 156 and tables["单位"].rows == 156


def test_blank_reference_template_has_every_sheet_and_no_rows(blank, settings):
    path = blank[forms.REFERENCE_TEMPLATE]
    tables = reader.read_reference(path, settings)
    assert set(tables) == {s.name for s in contract.REFERENCE_SHEETS}
    assert all(t.rows == 0 for t in tables.values())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [s.name for s in contract.REFERENCE_SHEETS] + [forms.GUIDE_SHEET]
    for spec in contract.REFERENCE_SHEETS:
        ws = wb[spec.name]
        assert [c.value for c in ws[1]] == [("*" if c.required else "") + c.header for c in spec.columns]
        assert ws.freeze_panes == "A2"
    guide = "\n".join(str(c) for r in wb[forms.GUIDE_SHEET].iter_rows(values_only=True) for c in r if c)
    for spec in contract.REFERENCE_SHEETS:
        assert f"工作表：{spec.name}" in guide
