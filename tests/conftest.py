"""Fixtures every test may use: an isolated GRASSROOTS_HOME and its settings."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from grassroots import clock
from grassroots import settings as settings_module

# The moment every test runs at unless it pins its own (clock.pinned) or is marked real_clock: the
# Friday the tests' week ends, in the morning, before that week's submission deadline (FRI 18:00).
TEST_NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

ROOT = Path(__file__).resolve().parents[1]

# Airflow reads its configuration once, at first import: point it at a private home for the tests
# (never the developer's .airflow/) before anything imports airflow.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="grassroots-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
os.environ["GRASSROOTS_RETRIES"] = "0"  # dag.test() would wait the real retry delay


@pytest.fixture(scope="session", autouse=True)
def _clock_pinned_for_the_session():
    """Pinned before any fixture is built, module-scoped ones too."""
    with clock.pinned(TEST_NOW):
        yield


@pytest.fixture(autouse=True)
def pinned_clock(request):
    """The package's clock pinned to TEST_NOW, so no test depends on the day it runs; a test marked
    real_clock (real processes on the real date) runs on the real clock."""
    if request.node.get_closest_marker("real_clock"):
        with clock.pinned(None):
            yield None
        return
    with clock.pinned(TEST_NOW):
        yield TEST_NOW


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh GRASSROOTS_HOME with an inbox, and settings that point at it."""
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    for name in list(__import__("os").environ):
        if name.startswith("GRASSROOTS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GRASSROOTS_HOME", str(home))
    monkeypatch.setenv("GRASSROOTS_SETTLE_SECONDS", "0")
    monkeypatch.setenv("GRASSROOTS_RETRIES", "0")  # dag.test() would wait the real retry delay
    return home


@pytest.fixture
def settings(home):
    return settings_module.load()


@pytest.fixture(scope="session")
def airflow_db():
    """An initialised Airflow metadata database (SQLite) in the tests' private AIRFLOW_HOME."""
    if not (_AIRFLOW_HOME / "airflow.db").exists():
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True,
                       env=os.environ.copy())
    return _AIRFLOW_HOME
