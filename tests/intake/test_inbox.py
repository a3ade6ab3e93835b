"""Finding files in the inbox, archiving them, and names that are data."""

from __future__ import annotations

import hashlib
import os
import time

from grassroots.intake import archive, inbox


def _drop(path, data=b"x", age=120):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_scan_sorts_ready_settling_and_ignored(home, settings, monkeypatch):
    box = home / "inbox"
    _drop(box / "海曙区" / "问题清单.xlsx")
    _drop(box / "海曙区" / "第二周" / "走访记录.csv")  # sub-folders are searched
    _drop(box / "海曙区" / "~$问题清单.xlsx")  # Excel lock file
    _drop(box / "海曙区" / ".~lock.问题清单.xlsx#")  # LibreOffice lock file
    _drop(box / "海曙区" / "下载中.xlsx.part")
    _drop(box / "海曙区" / ".hidden.xlsx")
    _drop(box / "海曙区" / "说明.docx")
    _drop(box / "海曙区" / "回执" / "问题清单_回执.xlsx")  # our own receipts are never read
    _drop(box / "海曙区" / "问题清单_回执.xlsx")  # nor one the pre-check left beside the file
    _drop(box / "江北区" / "new.xlsx", age=0)  # still being written
    _drop(box / "_reference" / "基础数据.xlsx")
    _drop(box / "loose.xlsx")  # not in a district folder
    monkeypatch.setenv("GRASSROOTS_SETTLE_SECONDS", "30")
    from grassroots import settings as settings_module

    found = inbox.scan(settings_module.load())
    assert sorted(c.relative for c in found.ready) == [
        "_reference/基础数据.xlsx", "海曙区/第二周/走访记录.csv", "海曙区/问题清单.xlsx"]
    assert {c.district for c in found.ready} == {"_reference", "海曙区"}
    assert [c.relative for c in found.settling] == ["江北区/new.xlsx"]
    assert "海曙区/~$问题清单.xlsx" in found.ignored and "loose.xlsx" in found.ignored
    assert "海曙区/问题清单_回执.xlsx" in found.ignored
    assert not any("回执" in c.relative for c in found.ready + found.settling)


def test_safe_names():
    assert inbox.safe_name("../../etc/passwd") == "_.._etc_passwd"
    assert "/" not in inbox.safe_name("a/b\\c.xlsx") and inbox.safe_name("a/b\\c.xlsx").endswith(".xlsx")
    assert inbox.safe_name("..") == "file" and inbox.safe_name("") == "file"
    long = inbox.safe_name("很长的文件名" * 100 + ".xlsx")
    assert long.endswith(".xlsx") and len(long.encode()) < 255
    assert inbox.safe_name("问题清单 (1).xlsx") == "问题清单 (1).xlsx"
    assert "\x00" not in inbox.safe_name("a\x00b\x1b.csv")
    odd = bytes([0xff, 0xfe]).decode("latin-1") + ".xlsx"
    assert inbox.safe_name(odd).endswith(".xlsx")


def test_receipt_folder_stays_inside_the_inbox(home, settings):
    base = home / "inbox"
    for district in ("海曙区", "..", "a/../../b", ""):
        folder = inbox.receipt_folder(settings, district)
        assert folder.resolve().is_relative_to(base.resolve()), district


def test_archive_keeps_bytes_unchanged_with_checksum(home, settings):
    data = b"PK\x03\x04 some workbook bytes" * 1000
    path = _drop(home / "inbox" / "海曙区" / "weird ..名 字\t.xlsx", data)
    [candidate] = inbox.scan(settings).ready
    stored = archive.archive_file(candidate, settings)
    assert stored.checksum == hashlib.sha256(data).hexdigest()
    assert stored.path.read_bytes() == data and stored.path.is_relative_to(settings.archive)
    sidecar = stored.path.with_name(stored.path.name + ".sha256").read_text()
    assert sidecar.startswith(stored.checksum)
    # the same bytes under another name are stored once
    _drop(home / "inbox" / "海曙区" / "copy.xlsx", data)
    again = [archive.archive_file(c, settings) for c in inbox.scan(settings).ready]
    assert {a.path for a in again} == {stored.path}
    assert path.read_bytes() == data  # the district's file is untouched


def test_archive_refuses_a_file_that_changes_while_copied(home, settings):
    _drop(home / "inbox" / "海曙区" / "a.csv", b"abc")
    [candidate] = inbox.scan(settings).ready
    (home / "inbox" / "海曙区" / "a.csv").write_bytes(b"abcdef")
    try:
        archive.archive_file(candidate, settings)
        raise AssertionError("expected StillWriting")
    except archive.StillWriting:
        pass
    assert not any(p.name.startswith(".incoming") for p in settings.archive.rglob("*"))
