"""Every rule a district's file can break: a fixture that breaks it, the finding, the receipt."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import openpyxl
import pytest

from grassroots import contract
from grassroots.validation import receipts, suites, validate_submission
from grassroots.validation import rules as rules_module
from tests.samples import validation as fx

L, V = contract.LEDGER_SHEET.name, contract.VISITS_SHEET.name


@dataclass
class Case:
    code: str
    sheet: str
    row: int | None
    column: str
    value: str
    reason_has: str
    ledger: list | None = None
    visits: list | None = None
    previous: dict | None = None
    district: str = fx.DISTRICT
    drop: tuple[str, ...] = ()
    id: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.id = self.id or self.code


def _ledger(**changes):
    return [fx.ledger_row(**changes)]


def _visits(**changes):
    return [fx.visit_row(**changes)]


CASES = [
    Case("required", L, 3, "责任人", "", "“责任人”为必填项", ledger=_ledger(responsible_person=None)),
    Case("required", V, 2, "走访日期", "", "“走访日期”为必填项", visits=_visits(visit_date="/"), id="required-date-token"),
    Case("impossible_date", L, 3, "发现日期", "2026-02-30", "“2026-02-30”不是有效的日期：2月没有30日", ledger=_ledger(reported_on="2026-02-30")),
    Case("impossible_date", L, 3, "完成时限", "2026/11/31", "11月没有31日", ledger=_ledger(deadline="2026/11/31"), id="impossible-nov31"),
    Case("bad_date", L, 3, "完成时限", "年底前", "不是可识别的日期", ledger=_ledger(deadline="年底前"), id="bad_date-text"),
    Case("bad_number", L, 3, "涉及资金（万元）", "很多", "“很多”不是数字", ledger=_ledger(funds_wan="很多")),
    Case("bad_number", V, 2, "收集问题数", "若干", "不是数字", visits=_visits(problems_collected="若干"), id="bad_number-count"),
    Case("not_whole_number", V, 2, "参与人数", "3.5", "“3.5”不是整数", visits=_visits(participants="3.5")),
    Case("negative", L, 3, "涉及资金（万元）", "-5", "“-5”不能小于 0", ledger=_ledger(funds_wan="-5")),
    Case("negative", V, 2, "参与人数", "-2", "不能小于 0", visits=_visits(participants=-2), id="negative-count"),
    Case("number_too_large", V, 2, "参与人数", "12345678901234567890123", "“12345678901234567890123”超过上限 2147483647",
         visits=_visits(participants="12345678901234567890123")),
    Case("number_too_large", L, 3, "涉及资金（万元）", "1e300", "超过上限 1000000000", ledger=_ledger(funds_wan="1e300"),
         id="number_too_large-amount"),
    Case("date_out_of_range", L, 3, "发现日期", "1999-01-01", "日期“1999-01-01”不在合理范围内（2000-01-01 至 2099-12-31）",
         ledger=_ledger(reported_on="1999-01-01")),
    Case("not_in_choices", L, 3, "办理状态", "进行中", "“进行中”不是“办理状态”的可选值", ledger=_ledger(status="进行中")),
    Case("not_in_choices", V, 2, "对象类型", "学校", "不是“对象类型”的可选值", visits=_visits(target_type="学校"), id="not_in_choices-visit"),
    Case("too_long", L, 3, "问题名称", "长" * 200 + "…", "内容过长（501字），超过 500 字", ledger=_ledger(title="长" * 501)),
    Case("unknown_district", L, 3, "所属区县", "火星区", "“火星区”不是已登记的区县", ledger=_ledger(district="火星区")),
    Case("wrong_district", L, 3, "所属区县", "江北区", "该行属于“江北区”，但文件提交在“海曙区”的文件夹中",
         ledger=_ledger(district="江北区", town="庄桥街道")),
    Case("district_should_be", L, 3, "所属区县", "江北区", "所属区县填写为“江北区”，但该行的街道（镇乡）“鼓楼街道”和问题编号“HS-001”属于海曙区",
         ledger=[fx.ledger_row(district="江北区"), fx.ledger_row(case_id="HS-002")]),
    Case("unknown_town", L, 3, "街道（镇乡）", "不存在街道", "“不存在街道”不是已登记的街道（镇乡）", ledger=_ledger(town="不存在街道")),
    Case("town_not_in_district", L, 3, "街道（镇乡）", "庄桥街道", "“庄桥街道”不属于海曙区", ledger=_ledger(town="庄桥街道")),
    Case("town_not_in_district", V, 2, "街道（镇乡）", "庄桥街道", "不属于海曙区", visits=_visits(town="庄桥街道"), id="town-visit"),
    Case("unknown_unit", L, 3, "包联单位", "市不存在局", "“市不存在局”不是已登记的包联单位", ledger=_ledger(paired_unit="市不存在局")),
    Case("unknown_unit", V, 2, "走访单位", "市不存在局", "不是已登记的包联单位", visits=_visits(unit="市不存在局"), id="unknown_unit-visit"),
    Case("unknown_leader", L, 3, "领衔领导", "路人甲", "“路人甲”不在领导干部名单中", ledger=_ledger(lead_leader="路人甲")),
    Case("duplicate_case_id", L, 3, "问题编号", "HS-001", "问题编号“HS-001”在本文件中重复（另见第 4 行）",
         ledger=[fx.ledger_row(), fx.ledger_row(title="另一个问题")]),
    Case("resolved_on_missing", L, 3, "办结日期", "", "办理状态为已办结，但没有填写办结日期", ledger=_ledger(status="已办结")),
    Case("resolved_on_missing", L, 3, "办结日期", "", "没有填写办结日期", ledger=_ledger(status="已销号"), id="resolved-synonym"),
    Case("resolved_on_unexpected", L, 3, "办结日期", "2026-06-01", "办理状态不是已办结，却填写了办结日期",
         ledger=_ledger(resolved_on="2026-06-01")),
    Case("after_as_of", L, 3, "发现日期", "2026-12-01", "发现日期“2026-12-01”晚于本表截至日期 2026-11-20",
         ledger=_ledger(reported_on="2026-12-01", deadline="2027-01-01")),
    Case("after_as_of", L, 3, "办结日期", "2026年11月25日", "晚于本表截至日期 2026-11-20",
         ledger=_ledger(status="已办结", resolved_on="2026年11月25日"), id="after_as_of-resolved"),
    Case("after_as_of", V, 2, "走访日期", "2026-11-21", "走访日期“2026-11-21”晚于本表截至日期 2026-11-20",
         visits=_visits(visit_date="2026-11-21"), id="after_as_of-visit"),
    Case("deadline_before_reported", L, 3, "完成时限", "2026-02-01", "完成时限“2026-02-01”早于发现日期 2026-03-01",
         ledger=_ledger(deadline="2026-02-01")),
    Case("resolved_before_reported", L, 3, "办结日期", "2026/02/01", "办结日期“2026/02/01”早于发现日期 2026-03-01",
         ledger=_ledger(status="已办结", resolved_on="2026/02/01")),
    Case("deadline_far", L, 3, "完成时限", "2029-01-01", "完成时限“2029-01-01”在两年以后", ledger=_ledger(deadline="2029-01-01")),
    Case("visit_old", V, 2, "走访日期", "2025-10-01", "走访日期“2025-10-01”距今超过一年", visits=_visits(visit_date="2025-10-01")),
    Case("status_regressed", L, 3, "办理状态", "推进中", "问题“HS-001”的办理状态由“已办结”退回为“推进中”", ledger=_ledger(),
         previous={"HS-001": {"status": "已办结", "deadline": dt.date(2026, 12, 31), "as_of": dt.date(2026, 10, 31)}}),
    Case("deadline_extended", L, 3, "完成时限", "2026-12-31", "问题“HS-001”的完成时限由 2026-06-30 推迟到 2026-12-31",
         ledger=_ledger(), previous={"HS-001": {"status": "推进中", "deadline": dt.date(2026, 6, 30), "as_of": dt.date(2026, 10, 31)}}),
    Case("case_missing", L, None, "问题编号", "HS-999", "问题“HS-999”在上一期清单中有，本期清单中没有", ledger=_ledger(),
         previous={"HS-001": {"status": "推进中", "deadline": dt.date(2026, 12, 31), "as_of": dt.date(2026, 10, 31)},
                   "HS-999": {"status": "推进中", "deadline": dt.date(2026, 12, 31), "as_of": dt.date(2026, 10, 31)}}),
    Case("unknown_folder", "", None, "", "测试区", "文件夹“测试区”不是已登记的区县", ledger=_ledger(), district="测试区"),
    Case("empty_sheet", V, 1, "", "", "工作表“走访记录”表头下没有数据行", ledger=_ledger(), visits=[]),
    Case("no_rows", L, 2, "", "", "表头下没有任何数据行", ledger=[]),
    Case("optional_column_missing", L, 2, "问题领域", "", "缺少可选列“问题领域”", ledger=_ledger(), drop=("问题领域",)),
]


def _write(case: Case, tmp_path):
    path = tmp_path / case.district / f"{case.id}.xlsx"
    sheets, titles = {}, {}
    if case.ledger is not None:
        headers = [h for h in fx.LEDGER_HEADERS if h not in case.drop]
        sheets[L] = fx.grid(headers, case.ledger)
        titles[L] = "海曙区问题清单（截至2026年11月20日）"
    if case.visits is not None:
        sheets[V] = fx.grid(fx.VISIT_HEADERS, case.visits)
    return fx.write_xlsx(path, sheets, titles=titles)


def _validate(case: Case, tmp_path):
    path = _write(case, tmp_path)
    sub = fx.read(path, tmp_path)
    result = validate_submission(sub, fx.reference(), district=case.district, as_of=fx.AS_OF, previous=case.previous)
    return path, sub, result


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_is_reported_where_excel_shows_it(case: Case, tmp_path):
    path, sub, result = _validate(case, tmp_path)
    matching = [f for f in result.findings if f.code == case.code]
    assert matching, [f.as_dict() for f in result.findings]
    f = matching[0]
    assert (f.sheet, f.row, f.column, f.value) == (case.sheet, case.row, case.column, case.value)
    assert case.reason_has in f.reason
    assert f.fix  # every finding says how to fix it
    assert f.severity == contract.RULES[case.code].severity
    if f.column_index is not None:  # the position finds the header as written in the file
        table = next(t for t in sub.tables if t.sheet == f.sheet)
        ws = openpyxl.load_workbook(path)[f.sheet]
        assert ws.cell(row=table.header_row, column=f.column_index + 1).value == f.column
    # the verdict follows the contract's severity, whatever GX said
    assert result.accepted is (not any(x.is_error for x in result.findings))
    if f.is_error:
        assert not result.accepted and result.rows_accepted == 0
    else:
        assert result.accepted and result.rows_accepted == result.rows_total
    _assert_receipt_names_it(case, f, path, sub, result, tmp_path)


def _assert_receipt_names_it(case, f, path, sub, result, tmp_path):
    out = receipts.write_receipt(path, original_name=path.name, sub=sub, findings=result.findings,
                                 accepted=result.accepted, rows_total=result.rows_total,
                                 rows_accepted=result.rows_accepted, district=case.district, out_dir=tmp_path / "回执")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "回执"
    listed = [r for r in wb["回执"].iter_rows(values_only=True)]
    level = "错误" if f.is_error else "警告"
    assert any(r[1] == level and (r[2] or "") == f.sheet and (r[3] if r[3] is not None else None) == f.row
               and (r[4] or "") == f.column and r[6] == f.reason and r[7] == f.fix for r in listed), listed
    verdict = next(r[2] for r in listed if r[0] == "处理结果")
    assert verdict.startswith("已接收" if result.accepted else "未通过")
    if f.row is not None and f.column_index is not None and f.sheet in wb.sheetnames:
        cell = wb[f.sheet].cell(row=f.row, column=f.column_index + 1)
        expected = receipts.ERROR_FILL if f.is_error else receipts.WARNING_FILL
        assert cell.fill.fgColor.rgb.endswith(expected)
        assert f.reason in cell.comment.text and f.fix in cell.comment.text


def test_every_rule_code_has_a_fixture():
    """Every code the GX suites and the row rules can raise is broken by a case above."""
    covered = {c.code for c in CASES}
    from_suites = {c.code for s in contract.SUBMISSION_SHEETS for c in suites.checks_for(s)}
    from_rules = {r.code for r in contract.DATE_RULES} | set(contract.UNKNOWN_REFERENCE.values()) | {"impossible_date",
        "wrong_district", "district_should_be", "town_not_in_district", "resolved_on_missing", "resolved_on_unexpected",
        "status_regressed", "deadline_extended", "case_missing", "unknown_folder", "empty_sheet", "no_rows",
        "date_out_of_range"}
    assert from_suites | from_rules <= covered
    assert covered <= set(contract.RULES)
    assert rules_module.MAX_OTHER_ROWS >= 1


def test_suites_are_built_from_the_contract():
    for sheet in contract.SUBMISSION_SHEETS:
        checks = suites.checks_for(sheet)
        required = {c.field for c in checks if c.code == "required"}
        assert required == {c.field for c in sheet.required}
        for col in sheet.columns:
            if col.type == "choice":
                (check,) = [c for c in checks if c.code == "not_in_choices" and c.field == col.field]
                assert check.kwargs["value_set"] == list(col.choices)
            if col.max_length:
                (check,) = [c for c in checks if c.code == "too_long" and c.field == col.field]
                assert check.kwargs["max_value"] == col.max_length
    assert [c.field for c in suites.checks_for(contract.LEDGER_SHEET) if c.code == "duplicate_case_id"] == ["case_id"]


def test_modules_gx_loads_on_first_use_still_work():
    """scipy.stats and altair are imported on first use only (suites.UNUSED_BY_SUITES): the GX
    expectation that needs them finds the real modules, and so does any later import."""
    import sys

    suites._gx()
    from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl

    assert kl.stats.entropy([1, 1], [1, 1]) == 0
    assert kl.alt.Chart.__name__ == "Chart"
    import altair
    import scipy.stats

    assert sys.modules["scipy.stats"] is scipy.stats and scipy.stats.entropy is kl.stats.entropy
    assert altair.Chart is kl.alt.Chart


def test_a_validation_leaves_the_modules_gx_does_not_need_unloaded(tmp_path):
    """In a fresh process (as a task runs), validating a file with its Data Docs never loads them."""
    import subprocess
    import sys

    path = fx.write_ledger(tmp_path / "海曙区" / "ok.xlsx", fx.ledger_rows(3))
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from grassroots import settings\n"
        "from grassroots.intake import reader\n"
        "from grassroots.validation import suites, validate_submission\n"
        "from tests.samples import validation as fx\n"
        f"sub = reader.read_submission(Path({str(path)!r}), settings.load())\n"
        "r = validate_submission(sub, fx.reference(), district=fx.DISTRICT, as_of=fx.AS_OF,\n"
        f"                        datadocs_dir=Path({str(tmp_path / 'docs')!r}))\n"
        "assert r.accepted and r.datadocs, r.findings\n"
        "print(sorted(m for m in sys.modules if m.startswith(('scipy.stats.', 'altair.'))))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "GRASSROOTS_HOME": str(tmp_path / "home")})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_valid_ledger_and_visits_are_accepted(tmp_path):
    path = fx.write_ledger(tmp_path / "海曙区" / "ok.xlsx", fx.ledger_rows(3), visits=[fx.visit_row()])
    sub = fx.read(path, tmp_path)
    result = validate_submission(sub, fx.reference(), district="海曙区", as_of=fx.AS_OF)
    assert result.findings == []
    assert (result.accepted, result.rows_total, result.rows_accepted) == (True, 4, 4)
    assert set(result.timings) >= {"gx", "cross", "total"}


def test_older_ledger_does_not_warn_against_newer_state(tmp_path):
    """A late ledger (as-of before the warehouse's state) says nothing about what changed since."""
    path = fx.write_ledger(tmp_path / "海曙区" / "old.xlsx", fx.ledger_rows(1))
    sub = fx.read(path, tmp_path)
    previous = {"HS-001": {"status": "已办结", "deadline": dt.date(2026, 6, 1), "as_of": dt.date(2026, 11, 30)},
                "HS-777": {"status": "推进中", "deadline": dt.date(2026, 6, 1), "as_of": dt.date(2026, 11, 30)}}
    result = validate_submission(sub, fx.reference(), district="海曙区", as_of=fx.AS_OF, previous=previous)
    assert result.findings == []


def test_data_docs_named_at_validation_are_rendered_later_once(tmp_path):
    """render_docs False: the page is named, not written; build_docs writes it and the index, once."""
    path = fx.write_ledger(tmp_path / "海曙区" / "ok.xlsx", fx.ledger_rows(3))
    docs = tmp_path / "docs"
    result = validate_submission(fx.read(path, tmp_path), fx.reference(), district="海曙区", as_of=fx.AS_OF,
                                 datadocs_dir=docs, render_docs=False)
    assert result.accepted and result.datadocs and result.datadocs.suffix == ".html"
    assert not result.datadocs.exists() and not (docs / "index.html").exists()
    assert suites.build_docs(docs) == [result.datadocs]
    assert "<html" in result.datadocs.read_text(encoding="utf-8").lower() and (docs / "index.html").is_file()
    assert suites.build_docs(docs) == []  # nothing left to render
    assert suites.build_docs(tmp_path / "no-docs-yet") == []
