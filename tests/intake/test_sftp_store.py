"""The districts' inbox and the file store on a real SFTP server (OpenSSH, started by the test).

Everything goes through Airflow's ObjectStoragePath (the SFTP provider, sshfs): the inbox is read
and the receipts written back over SFTP, and what one step hands the next (staged tables, the
archive, Data Docs, the outbox) lives in the file store on the same server. The local home keeps
only the SQLite warehouse. The guarantees are the local inbox's: files still being written wait,
nothing is read twice, nothing is written outside the district's receipt folder.
"""

from __future__ import annotations

import datetime as dt
import io
import os

import openpyxl
import pytest
import sqlalchemy as sa

from grassroots import ingest, warehouse
from grassroots import settings as settings_module
from grassroots.intake import inbox
from grassroots.operators_page import files
from grassroots.report.send import write_outbox
from grassroots.warehouse.schema import cases, submissions
from tests.samples import sftp_server
from tests.samples.ingest import ledger_rows, settle, write_ledger, write_reference

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def sftp(tmp_path_factory):
    if missing := sftp_server.available():
        pytest.skip(missing)
    with sftp_server.SftpServer(tmp_path_factory.mktemp("sftp")) as server:
        yield server


@pytest.fixture
def remote(sftp, home, monkeypatch, request):
    """Settings whose inbox and file store are folders of their own on the SFTP server."""
    name = request.node.name[:40]
    for folder in ("inbox", "store"):
        (sftp.root / name / folder).mkdir(parents=True)
    for key, value in sftp.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GRASSROOTS_INBOX", sftp.url(f"{name}/inbox"))
    monkeypatch.setenv("GRASSROOTS_FILE_STORE", sftp.url(f"{name}/store"))
    return settings_module.load(), sftp.root / name / "inbox", sftp.root / name / "store"


def _fates(settings) -> dict[str, dict]:
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        return {r["file_name"]: dict(r) for r in conn.execute(sa.select(submissions)).mappings()}


def _upload(local, remote_folder) -> None:
    """A district uploads a file over SFTP."""
    remote_folder.mkdir(parents=True, exist_ok=True)
    (remote_folder / local.name).write_bytes(local.read_bytes())


def _files(folder) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_a_ledger_on_sftp_ends_in_the_warehouse_with_its_receipt_written_back(remote, home, tmp_path):
    settings, inbox_dir, store_dir = remote
    write_reference(inbox_dir)
    local = write_ledger(tmp_path / "upload", "海曙区问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    _upload(local, inbox.root(settings) / "海曙区")
    for p in (inbox_dir / "海曙区").iterdir():
        settle(p)
    before = _files(inbox_dir)

    steps = ingest.run_once(settings)

    fates = _fates(settings)
    ledger = fates["海曙区问题清单.xlsx"]
    assert (ledger["state"], ledger["fate"], ledger["rows_accepted"]) == ("done", "accepted", 3)
    assert fates["基础数据.xlsx"]["fate"] == "accepted"
    with warehouse.connect(settings.warehouse_url).connect() as conn:
        assert set(conn.execute(sa.select(cases.c.case_id).where(cases.c.district == "海曙区")).scalars()) \
            == {"HS-001", "HS-002", "HS-003"}
    # the receipt went back over SFTP into the district's 回执 folder, and nothing else was written there
    assert ledger["receipt_path"].startswith(f"sftp://{sftp_server.CONN_ID}@")
    new = _files(inbox_dir) - before
    assert new and all(p.startswith(("海曙区/回执/", "_reference/回执/")) for p in new), new
    [receipt] = [p for p in new if p.startswith("海曙区/回执/")]
    summary = openpyxl.load_workbook(io.BytesIO((inbox_dir / receipt).read_bytes())).worksheets[0]
    assert summary["C7"].value == "已接收" and summary["C3"].value == "海曙区"
    # the archive and the Data Docs are in the file store; the staged tables are gone after the receipt
    assert ledger["archive_path"].startswith(f"sftp://{sftp_server.CONN_ID}@")
    archived = store_dir / "archive" / ledger["checksum"][:2] / ledger["checksum"]
    assert (archived / "海曙区问题清单.xlsx").read_bytes() == local.read_bytes()
    assert (archived / "海曙区问题清单.xlsx.sha256").read_text().startswith(ledger["checksum"])
    assert ledger["datadocs_path"] and ledger["datadocs_path"].startswith("sftp://")
    assert (store_dir / "datadocs" / "index.html").is_file()
    page = files.datadocs_relative(settings, ledger["datadocs_path"])  # what the operators' page links to
    assert page and page.startswith("validations/")
    assert b"<html" in files.datadocs_file(settings, page).read_bytes().lower()
    assert files.datadocs_file(settings, "../inbox/海曙区/海曙区问题清单.xlsx") is None
    assert not _files(store_dir / "staging")
    # nothing but the warehouse on the worker's own disk
    assert {p.name.split("-")[0] for p in home.rglob("*") if p.is_file()} == {"warehouse.db"}
    assert not steps["receive"]["failed"]


def test_nothing_is_read_twice_and_a_file_being_written_waits(remote, monkeypatch):
    settings, inbox_dir, _ = remote
    write_reference(inbox_dir)
    write_ledger(inbox_dir / "鄞州区", "鄞州区问题清单.xlsx", ledger_rows("鄞州区", 2), AS_OF)
    for p in (inbox_dir / "鄞州区").iterdir():
        settle(p)
    first = ingest.run_once(settings)
    assert len(first["receive"]["received"]) == 2
    second = ingest.run_once(settings)
    assert second["receive"] == {"received": [], "duplicates": [], "failed": []}
    assert second["merge"]["merged"] == []

    # a district still uploading: modified just now, so it waits for a later run
    growing = write_ledger(inbox_dir / "鄞州区", "鄞州区问题清单第二周.xlsx", ledger_rows("鄞州区", 4), AS_OF)
    os.utime(growing)
    monkeypatch.setenv("GRASSROOTS_SETTLE_SECONDS", "60")
    waiting = ingest.run_once(settings_module.load())
    assert waiting["scan"]["settling"] == ["鄞州区/鄞州区问题清单第二周.xlsx"]
    assert "鄞州区问题清单第二周.xlsx" not in _fates(settings)
    settle(growing)
    ingest.run_once(settings_module.load())
    assert _fates(settings)["鄞州区问题清单第二周.xlsx"]["rows_accepted"] == 4
    assert sum(r["district"] == "鄞州区" for r in _fates(settings).values()) == 2


def test_the_outbox_is_in_the_file_store(remote):
    settings, inbox_dir, store_dir = remote
    write_reference(inbox_dir)
    write_ledger(inbox_dir / "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    for p in (inbox_dir / "海曙区").iterdir():
        settle(p)
    ingest.run_once(settings)
    engine = warehouse.connect(settings.warehouse_url)
    paths = write_outbox(settings, engine, dt.date(2026, 11, 27))
    assert {p.suffix for p in paths} == {".eml", ".html", ".xlsx"}
    written = {p.name for p in (store_dir / "outbox").iterdir()}
    assert written == {p.name for p in paths}
    assert b"Subject:" in (store_dir / "outbox" / paths[0].name).read_bytes()
