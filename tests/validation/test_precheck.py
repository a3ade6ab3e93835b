"""The districts' pre-check: same validation, Chinese output, receipt beside the file, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from grassroots.validation import precheck
from tests.samples import validation as fx

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def city(tmp_path):
    """Settings whose inbox holds the reference workbook, and a reference workbook elsewhere."""
    inbox = tmp_path / "inbox"
    settings = fx.settings_for(tmp_path, GRASSROOTS_INBOX=str(inbox))
    reference = fx.write_reference(tmp_path / "参考" / "基础数据.xlsx")
    return settings, inbox, reference


def test_good_file_exits_0_and_writes_the_receipt_beside_it(city, capsys):
    settings, inbox, reference = city
    path = fx.write_ledger(inbox / "海曙区" / "清单.xlsx", fx.ledger_rows(3))
    assert precheck.run_check(path, district=None, reference_path=reference, settings=settings) == 0
    out = capsys.readouterr().out
    assert "结果：可以接收，共 3 行" in out and "区县：海曙区" in out
    receipt = path.parent / "清单_回执.xlsx"
    assert receipt.is_file()
    rows = {r[0]: r[2] for r in openpyxl.load_workbook(receipt)["回执"].iter_rows(values_only=True) if r[0]}
    assert rows["处理结果"] == "已接收"


def test_bad_file_exits_1_and_prints_every_error_in_chinese(city, capsys):
    settings, inbox, reference = city
    rows = [fx.ledger_row(town="庄桥街道"), fx.ledger_row(case_id="HS-2", status="进行中")]
    path = fx.write_ledger(inbox / "海曙区" / "清单.xlsx", rows)
    assert precheck.run_check(path, district=None, reference_path=reference, settings=settings) == 1
    out = capsys.readouterr().out
    assert "不能接收（整份退回）；错误 2 个" in out
    assert "“问题清单”第 3 行“街道（镇乡）”列：“庄桥街道”不属于海曙区" in out
    assert "“问题清单”第 4 行“办理状态”列：“进行中”不是“办理状态”的可选值" in out
    assert "修改：请从下拉列表中选择" in out
    assert (path.parent / "清单_回执.xlsx").is_file()


def test_unreadable_file_exits_2_with_a_receipt(city, capsys):
    settings, inbox, reference = city
    path = inbox / "海曙区" / "坏.xlsx"
    path.parent.mkdir(parents=True)
    path.write_text("不是工作簿", encoding="utf-8")
    assert precheck.run_check(path, district=None, reference_path=reference, settings=settings) == 2
    assert "无法读取" in capsys.readouterr().out
    wb = openpyxl.load_workbook(path.parent / "坏_回执.xlsx")
    assert wb.sheetnames == ["回执"]


def test_district_option_wins_over_the_folder(city, capsys):
    settings, inbox, reference = city
    path = fx.write_ledger(city[0].home / "下载" / "清单.xlsx", fx.ledger_rows(1))
    assert precheck.run_check(path, district=None, reference_path=reference, settings=settings) == 1
    assert "文件夹“下载”不是已登记的区县" in capsys.readouterr().out
    assert precheck.run_check(path, district="海曙区", reference_path=reference, settings=settings) == 0


def test_reference_from_the_inbox_when_no_option_and_no_warehouse(city, capsys):
    settings, inbox, reference = city
    fx.write_reference(inbox / "_reference" / "基础数据2026.xlsx")
    path = fx.write_ledger(inbox / "海曙区" / "清单.xlsx", fx.ledger_rows(1))
    assert precheck.run_check(path, district=None, reference_path=None, settings=settings) == 0
    assert "基础数据：基础数据2026.xlsx" in capsys.readouterr().out
    assert not (settings.home / "warehouse.db").exists()  # the pre-check never creates a warehouse


def test_no_reference_anywhere_exits_2(city, capsys):
    settings, inbox, _ = city
    path = fx.write_ledger(inbox / "海曙区" / "清单.xlsx", fx.ledger_rows(1))
    assert precheck.run_check(path, district=None, reference_path=None, settings=settings) == 2
    assert "--reference" in capsys.readouterr().out


def test_bad_reference_workbook_exits_2(city, tmp_path, capsys):
    settings, inbox, _ = city
    bad = fx.write_reference(tmp_path / "坏基础数据.xlsx", drop=("区县",))
    path = fx.write_ledger(inbox / "海曙区" / "清单.xlsx", fx.ledger_rows(1))
    assert precheck.run_check(path, district=None, reference_path=bad, settings=settings) == 2
    assert "基础数据缺少工作表“区县”" in capsys.readouterr().out


def test_reference_and_last_ledger_from_the_warehouse(city, capsys):
    warehouse = pytest.importorskip("grassroots.warehouse")
    settings, inbox, _ = city
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = warehouse.connect(settings.warehouse_url)
    warehouse.upgrade(engine)
    warehouse.replace_reference(engine, fx.reference())
    engine.dispose()
    path = fx.write_ledger(inbox / "海曙区" / "清单.xlsx", fx.ledger_rows(1))
    assert precheck.run_check(path, district=None, reference_path=None, settings=settings) == 0
    assert "基础数据：数据仓库" in capsys.readouterr().out


def test_command_line(city):
    settings, inbox, reference = city
    path = fx.write_ledger(inbox / "海曙区" / "清单.xlsx", [fx.ledger_row(source="乱填")])
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRASSROOTS_")}
    env |= {"GRASSROOTS_HOME": str(settings.home), "GRASSROOTS_INBOX": str(inbox)}
    done = subprocess.run([sys.executable, "-m", "grassroots.validation.precheck", str(path), "--reference", str(reference)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "“乱填”不是“问题来源”的可选值" in done.stdout
