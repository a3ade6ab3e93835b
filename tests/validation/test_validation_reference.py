"""The reference workbook's own validation: every rule broken once, and a good one accepted."""

from __future__ import annotations

import openpyxl
import pytest

from grassroots.intake import reader
from grassroots.validation import receipts, validate_reference
from tests.samples import validation as fx


def _validate(tmp_path, changes=None, drop=()):
    path = fx.write_reference(tmp_path / "_reference" / "基础数据.xlsx", changes, drop=drop)
    return validate_reference(reader.read_reference(path, fx.settings_for(tmp_path)))


def _receipt(tmp_path, findings):
    """The receipt the city office gets for its reference workbook."""
    path = tmp_path / "_reference" / "基础数据.xlsx"
    tables = reader.read_reference(path, fx.settings_for(tmp_path))
    sub = reader.Submission(path.name, "", None, "", list(tables.values()))
    out = receipts.write_receipt(path, original_name=path.name, sub=sub, findings=findings, accepted=False,
                                 rows_total=sum(t.rows for t in sub.tables), rows_accepted=0, district="_reference",
                                 out_dir=tmp_path / "回执")
    return openpyxl.load_workbook(out)


def test_good_reference_becomes_the_reference(tmp_path):
    ref, findings = _validate(tmp_path)
    assert findings == []
    assert ref.districts == {"海曙区": "330203", "江北区": "330205"}
    assert ref.towns["庄桥街道"] == "江北区"
    assert ref.pairings == {"市经信局": "鼓楼街道", "市教育局": "南门街道", "市民政局": "庄桥街道"}
    assert [r.scope for r in ref.recipients] == ["全市", "海曙区"]


REF = fx.REFERENCE_ROWS

CASES = [
    ("reference_missing_sheet", {}, ("单位",), "单位", None, "", "基础数据缺少工作表“单位”"),
    ("required", {"街道（镇乡）": REF["街道（镇乡）"] + [["新街道", None]]}, (), "街道（镇乡）", 5, "所属区县",
     "“所属区县”为必填项"),
    ("too_long", {"区县": REF["区县"] + [["区" * 51, "1"]]}, (), "区县", 4, "名称", "超过 50 字"),
    ("reference_duplicate", {"区县": REF["区县"] + [["海曙区", "330203"]]}, (), "区县", 2, "名称", "“海曙区”重复"),
    ("reference_duplicate", {"领导干部": REF["领导干部"] + [["张伟", "局长", "市经信局"]]}, (), "领导干部", 2, "姓名",
     "“张伟”重复"),
    ("reference_unknown", {"街道（镇乡）": REF["街道（镇乡）"] + [["新街道", "火星区"]]}, (), "街道（镇乡）", 5, "所属区县",
     "“火星区”在“区县”表中不存在"),
    ("reference_unknown", {"包联关系": REF["包联关系"] + [["市外星局", "鼓楼街道"]]}, (), "包联关系", 5, "单位",
     "“市外星局”在“单位”表中不存在"),
    ("reference_unknown", {"领导干部": REF["领导干部"] + [["孙丽", "局长", "市外星局"]]}, (), "领导干部", 4, "单位",
     "在“单位”表中不存在"),
    ("reference_pairing", {"包联关系": REF["包联关系"] + [["市经信局", "南门街道"]]}, (), "包联关系", 2, "单位",
     "结对了不止一个街道"),
    ("bad_email", {"收件人": REF["收件人"] + [["孙丽", "sunli at example", "全市"]]}, (), "收件人", 4, "邮箱",
     "“sunli at example”不是有效的邮箱地址"),
    ("bad_scope", {"收件人": REF["收件人"] + [["孙丽", "sunli@example.gov.cn", "宁波"]]}, (), "收件人", 4, "范围",
     "范围“宁波”既不是全市也不是区县名称"),
    ("no_rows", {"区县": [["名称", "代码"]]}, (), "区县", 1, "", "表头下没有任何数据行"),
]


@pytest.mark.parametrize("code,changes,drop,sheet,row,column,reason", CASES, ids=[c[0] + str(i) for i, c in enumerate(CASES)])
def test_reference_rule(tmp_path, code, changes, drop, sheet, row, column, reason):
    ref, findings = _validate(tmp_path, changes, drop)
    assert ref is None  # any error: the workbook is refused and the old reference stays
    found = [f for f in findings if f.code == code]
    assert found, [f.as_dict() for f in findings]
    f = found[0]
    assert (f.sheet, f.row, f.column) == (sheet, row, column)
    assert reason in f.reason
    wb = _receipt(tmp_path, findings)
    assert any(r[1] == "错误" and r[2] == f.sheet and r[3] == f.row and (r[4] or "") == f.column and r[6] == f.reason
               for r in wb["回执"].iter_rows(values_only=True))
    if f.row is not None and f.column_index is not None:
        cell = wb[f.sheet].cell(row=f.row, column=f.column_index + 1)
        assert cell.fill.fgColor.rgb.endswith(receipts.ERROR_FILL) and f.reason in cell.comment.text


def test_shared_leader_name_is_a_warning_only(tmp_path):
    ref, findings = _validate(tmp_path, {"领导干部": REF["领导干部"] + [["张伟", "副局长", "市教育局"]]})
    assert ref is not None
    assert [(f.code, f.severity, f.row) for f in findings] == [("ambiguous_leader", "warning", 2), ("ambiguous_leader", "warning", 4)]
    assert ref.shared_leader_names == {"张伟"}


def test_sheet_names_match_like_headers(tmp_path):
    """'街道(镇乡)' with half-width brackets is the 街道（镇乡） sheet."""
    rows = dict(REF)
    rows["街道(镇乡)"] = rows.pop("街道（镇乡）")
    path = fx.write_xlsx(tmp_path / "ref.xlsx", rows)
    tables = reader.read_reference(path, fx.settings_for(tmp_path))
    ref, findings = validate_reference({t.sheet: t for t in tables.values()})
    assert findings == [] and ref.towns["鼓楼街道"] == "海曙区"
