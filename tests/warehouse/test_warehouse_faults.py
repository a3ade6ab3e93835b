"""Faults during a merge: a killed process, a dropped connection, two runs at once, no database."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from grassroots import warehouse
from grassroots.warehouse import merge as merge_module
from tests.samples.warehouse import DISTRICT, frame, ledger_of, merge_ledger, snapshot, submit

pytest_plugins = ("tests.samples.databases",)

REPO = Path(__file__).resolve().parents[2]
NOV_13, NOV_20 = dt.date(2026, 11, 13), dt.date(2026, 11, 20)


def _warehouse_with_a_pending_ledger(engine):
    """A warehouse holding one merged ledger, and a second ledger validated and waiting."""
    merge_ledger(engine, "清单1113.xlsx", NOV_13, ledger_of(50, status="未启动"))
    sid, checksum = submit(engine, "清单1120.xlsx")
    return sid, checksum


def _expect_second_ledger_merged(engine, sid, checksum):
    result = warehouse.merge_submission(engine, sid, district=DISTRICT, as_of=NOV_20,
                                        ledger=frame("ledger", ledger_of(60), checksum), visits=None)
    assert (result.changed, result.cases_inserted, result.cases_updated, result.history_rows) == (True, 10, 50, 60)
    after = snapshot(engine)
    assert len(after["cases"]) == 60 and len(after["case_history"]) == 110
    assert {c["status"] for c in after["cases"]} == {"推进中"}
    assert warehouse.get_submission(engine, sid)["state"] == "merged"


@pytest.mark.parametrize("pause_at", ["history", "before_commit"])
def test_a_merge_killed_midway_leaves_the_warehouse_as_it_was(engine, warehouse_url, tmp_path, pause_at):
    sid, checksum = _warehouse_with_a_pending_ledger(engine)
    before = snapshot(engine)
    paused = tmp_path / "paused"
    env = {**os.environ, merge_module.PAUSE_ENV: pause_at, merge_module.PAUSE_FILE_ENV: str(paused),
           "PYTHONPATH": str(REPO)}
    code = ("from tests.samples.warehouse import merge_in_child; "
            f"merge_in_child({warehouse_url!r}, {sid}, {checksum!r}, 60, '2026-11-20')")
    child = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO)
    try:
        while not paused.exists():  # the child is inside the merge transaction, rows written
            assert child.poll() is None, "the merging process ended before reaching the pause"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    assert snapshot(engine) == before  # nothing of the killed merge is visible
    assert warehouse.get_submission(engine, sid)["state"] == "validated"
    _expect_second_ledger_merged(engine, sid, checksum)  # the next run merges it


@pytest.mark.postgres
def test_a_connection_dropped_midway_leaves_the_warehouse_as_it_was(pg_engine, pg_database_url, monkeypatch):
    sid, checksum = _warehouse_with_a_pending_ledger(pg_engine)
    before = snapshot(pg_engine)
    admin = sa.create_engine(pg_database_url, isolation_level="AUTOCOMMIT")

    def drop_connection(name, conn):
        if name == "cases":
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with admin.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    monkeypatch.setattr(merge_module, "checkpoint_hook", drop_connection)
    with pytest.raises(warehouse.WarehouseUnavailable) as raised:
        warehouse.merge_submission(pg_engine, sid, district=DISTRICT, as_of=NOV_20,
                                   ledger=frame("ledger", ledger_of(60), checksum), visits=None)
    assert "数据仓库无法连接" in str(raised.value) and "cannot be reached" in str(raised.value)
    monkeypatch.setattr(merge_module, "checkpoint_hook", None)
    admin.dispose()

    assert snapshot(pg_engine) == before
    assert warehouse.get_submission(pg_engine, sid)["state"] == "validated"
    _expect_second_ledger_merged(pg_engine, sid, checksum)


def test_two_runs_at_once_merge_a_submission_once(engine, monkeypatch):
    sid, checksum = _warehouse_with_a_pending_ledger(engine)
    ledger = frame("ledger", ledger_of(60), checksum)
    first_claimed, release = threading.Event(), threading.Event()

    def hold_first(name, conn):
        if name == "claimed" and threading.current_thread().name == "first":
            first_claimed.set()
            release.wait(120)

    monkeypatch.setattr(merge_module, "checkpoint_hook", hold_first)
    results, errors = {}, []

    def run():
        try:
            results[threading.current_thread().name] = warehouse.merge_submission(
                engine, sid, district=DISTRICT, as_of=NOV_20, ledger=ledger, visits=None)
        except Exception as e:  # surfaced by the assertion below
            errors.append(e)

    first = threading.Thread(target=run, name="first")
    first.start()
    assert first_claimed.wait(120)
    second = threading.Thread(target=run, name="second")
    second.start()
    _until_waiting_for_the_claim(engine)
    release.set()
    first.join(120)
    second.join(120)

    assert errors == []
    assert results["first"].changed is True and results["first"].history_rows == 60
    assert results["second"] == warehouse.MergeResult(changed=False)
    after = snapshot(engine)
    assert len(after["case_history"]) == 110 and len(after["cases"]) == 60


def _until_waiting_for_the_claim(engine):
    """PostgreSQL shows the second run waiting on the row lock; SQLite's wait is inside BEGIN IMMEDIATE."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    with engine.connect() as conn:
        for _ in range(1200):
            waiting = conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            conn.commit()  # pg_stat_activity is read once per transaction
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the second merge never waited for the first")


def test_an_unreachable_database_says_what_to_do_in_chinese_and_english(tmp_path):
    with pytest.raises(warehouse.WarehouseUnavailable) as raised:
        warehouse.connect("postgresql://postgres@127.0.0.1:1/grassroots")
    message = str(raised.value)
    assert "数据仓库无法连接" in message and "GRASSROOTS_WAREHOUSE_URL" in message
    assert "cannot be reached" in message and "no file was marked done" in message
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(warehouse.WarehouseUnavailable):
        warehouse.connect(f"sqlite:///{blocker / 'warehouse.db'}")


def test_a_database_that_goes_away_raises_warehouse_unavailable_on_every_call():
    gone = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/grassroots")
    with pytest.raises(warehouse.WarehouseUnavailable):
        warehouse.submissions_in_state(gone, "validated")
    with pytest.raises(warehouse.WarehouseUnavailable):
        warehouse.merge_submission(gone, 1, district=DISTRICT, as_of=NOV_20, ledger=None, visits=None)
