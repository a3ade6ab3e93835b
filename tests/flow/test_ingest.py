"""One ingest pass over a real inbox: every file's fate, nothing lost, nothing crashes the run."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from sqlalchemy import select

from grassroots import ingest, warehouse
from grassroots.warehouse.schema import cases, submissions
from tests.samples.ingest import ledger_rows, settle, write_ledger, write_reference

AS_OF = dt.date(2026, 11, 20)


def _fates(settings) -> dict[str, dict]:
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        rows = conn.execute(select(submissions)).mappings().all()
    return {r["file_name"]: dict(r) for r in rows}


@pytest.fixture
def inbox(home):
    box = home / "inbox"
    write_reference(box)
    return box


def test_good_and_bad_files_each_get_their_fate(inbox, settings):
    write_ledger(inbox / "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    write_ledger(inbox / "鄞州区", "鄞州区问题清单.xlsx", ledger_rows("鄞州区", 2), AS_OF)
    (inbox / "鄞州区" / "坏文件.xlsx").write_bytes(b"PK\x03\x04garbage")
    (inbox / "鄞州区" / "空文件.csv").write_bytes(b"")
    (inbox / "鄞州区" / "无表头.csv").write_text("随便,写点\n1,2\n", encoding="utf-8")
    (inbox / "鄞州区" / "~$鄞州区问题清单.xlsx").write_bytes(b"lock")
    for p in (inbox / "鄞州区").iterdir():
        settle(p)

    steps = ingest.run_once(settings)

    fates = _fates(settings)
    assert fates["基础数据.xlsx"]["fate"] == "accepted"
    assert fates["海曙区问题清单.xlsx"]["fate"] == "accepted" and fates["海曙区问题清单.xlsx"]["rows_accepted"] == 3
    assert fates["鄞州区问题清单.xlsx"]["fate"] == "accepted"
    assert fates["坏文件.xlsx"]["fate"] == "rejected" and "损坏" in fates["坏文件.xlsx"]["reason"]
    assert fates["空文件.csv"]["fate"] == "rejected" and "空" in fates["空文件.csv"]["reason"]
    assert fates["无表头.csv"]["fate"] == "rejected" and "表头" in fates["无表头.csv"]["reason"]
    assert "~$鄞州区问题清单.xlsx" not in fates
    assert all(r["state"] == "done" for r in fates.values())
    # every file archived unchanged, every submission has a receipt in its district's folder
    for r in fates.values():
        assert (settings.archive / r["checksum"][:2] / r["checksum"]).is_dir()
        assert r["receipt_path"] and "回执" in r["receipt_path"]
    assert len(list((inbox / "鄞州区" / "回执").iterdir())) == 4
    assert steps["receive"]["received"] and not steps["receive"]["failed"]
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        assert conn.execute(select(cases.c.district, cases.c.case_id)).all().__len__() == 5


def test_the_same_bytes_twice_are_processed_once(inbox, settings):
    path = write_ledger(inbox / "海曙区", "a.xlsx", ledger_rows("海曙区"), AS_OF)
    (inbox / "海曙区" / "a 副本.xlsx").write_bytes(path.read_bytes())
    settle(inbox / "海曙区" / "a 副本.xlsx")
    first = ingest.run_once(settings)
    assert len(first["receive"]["duplicates"]) == 1
    second = ingest.run_once(settings)
    assert second["receive"]["received"] == [] and second["merge"]["merged"] == []
    assert sum(r["district"] == "海曙区" for r in _fates(settings).values()) == 1


def test_a_file_still_being_written_waits_for_the_next_run(inbox, settings, monkeypatch):
    write_ledger(inbox / "海曙区", "a.xlsx", ledger_rows("海曙区"), AS_OF)
    (inbox / "海曙区" / "a.xlsx").touch()  # just modified
    monkeypatch.setenv("GRASSROOTS_SETTLE_SECONDS", "60")
    from grassroots import settings as settings_module

    steps = ingest.run_once(settings_module.load())
    assert steps["scan"]["settling"] == ["海曙区/a.xlsx"]
    assert "a.xlsx" not in _fates(settings)


def test_encrypted_and_bomb_files_are_rejected_with_reasons(inbox, settings, monkeypatch):
    import msoffcrypto.format.ooxml as ooxml

    plain = write_ledger(inbox / "海曙区", "plain.xlsx", ledger_rows("海曙区"), AS_OF)
    with plain.open("rb") as src, (inbox / "海曙区" / "加密.xlsx").open("wb") as out:
        ooxml.OOXMLFile(src).encrypt("pw", out)
    plain.unlink()
    bomb = write_ledger(inbox / "海曙区", "炸弹.xlsx", ledger_rows("海曙区"), AS_OF)
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/pad.bin", b"\0" * (3 * 1024 * 1024))
    for p in (inbox / "海曙区").iterdir():
        settle(p)
    monkeypatch.setenv("GRASSROOTS_MAX_UNZIPPED_MB", "2")
    from grassroots import settings as settings_module

    ingest.run_once(settings_module.load())
    fates = _fates(settings)
    assert "密码" in fates["加密.xlsx"]["reason"]
    assert "解压后" in fates["炸弹.xlsx"]["reason"]


def test_odd_file_names_never_escape_the_archive_or_receipts(inbox, settings, home):
    rows = ledger_rows("海曙区")
    for name in ("a b  c.xlsx", "x" * 200 + ".xlsx", "名字..xlsx", "tab\there.xlsx"):
        write_ledger(inbox / "海曙区", name, rows, AS_OF)
        rows = [[r[0] + "x", *r[1:]] for r in rows]  # different bytes each time
    ingest.run_once(settings)
    fates = _fates(settings)
    assert len(fates) == 5
    written = {p.resolve() for p in home.rglob("*") if p.is_file()}
    allowed = (settings.archive.resolve(), (inbox / "海曙区").resolve(), home.resolve() / "warehouse.db")
    for p in written:
        assert any(p == a or p.is_relative_to(a) for a in allowed) or p.name.startswith("warehouse.db") \
            or p.is_relative_to(home.resolve() / "datadocs") or p.is_relative_to(inbox.resolve() / "_reference"), p


def test_a_rejected_file_leaves_the_district_at_its_last_accepted_ledger(inbox, settings):
    write_ledger(inbox / "海曙区", "第一周.xlsx", ledger_rows("海曙区", 3), dt.date(2026, 11, 13))
    ingest.run_once(settings)
    bad = ledger_rows("海曙区", 4, status="已办结")  # 已办结 without 办结日期: an error on every row
    write_ledger(inbox / "海曙区", "第二周.xlsx", bad, AS_OF)
    ingest.run_once(settings)
    fates = _fates(settings)
    assert fates["第二周.xlsx"]["fate"] == "rejected" and fates["第二周.xlsx"]["errors"] == 4
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        statuses = conn.execute(select(cases.c.status).where(cases.c.district == "海曙区")).scalars().all()
    assert statuses == ["推进中"] * 3


def test_visit_log_without_linked_cases_is_merged(inbox, settings):
    from grassroots.warehouse.schema import visits

    visit_rows = [[None, dt.date(2026, 11, 3), "市发改委", "王强", "主任", "海曙区", "章水镇", "李家坑村", "村", "走访",
                   12, 0, None, None],
                  [None, dt.date(2026, 11, 4), "市发改委", "王强", "主任", "海曙区", "章水镇", "某企业", "企业", "座谈",
                   None, None, None, None]]
    write_ledger(inbox / "海曙区", "a.xlsx", ledger_rows("海曙区"), AS_OF, visits=visit_rows)
    ingest.run_once(settings)
    assert _fates(settings)["a.xlsx"]["fate"] == "accepted"
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        assert len(conn.execute(select(visits.c.visit_key)).all()) == 2


def test_a_merge_that_died_after_its_commit_still_tells_the_asset(inbox, settings):
    """The retry of merge_submissions finds nothing to merge, yet reports the change it made."""
    write_ledger(inbox / "海曙区", "a.xlsx", ledger_rows("海曙区"), AS_OF)
    ingest.receive_files(settings, ingest.scan_inbox(settings)["ready"])
    ingest.read_submissions(settings)
    ingest.validate_submissions(settings)
    first = ingest.merge_submissions(settings)
    assert first["changed"]
    retry = ingest.merge_submissions(settings)  # as if the task died after the commit and retried
    assert retry["merged"] == [] and retry["changed"]
    ingest.write_receipts(settings)
    assert not ingest.merge_submissions(settings)["changed"]
