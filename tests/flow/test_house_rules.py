"""Team rules of the code base, as tests: one place for settings, the time zone and the lifecycle."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from grassroots import settings
from grassroots.warehouse import db, lifecycle

ROOT = Path(__file__).resolve().parents[2]
CODE = sorted(p for folder in ("grassroots", "dags", "plugins") for p in (ROOT / folder).rglob("*.py"))


def _code(path: Path) -> str:
    """The file without comments and docstring lines (what runs, roughly)."""
    return "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))


def test_only_settings_py_reads_the_environment():
    reads = re.compile(r"os\.environ|os\.getenv")
    offenders = [str(p.relative_to(ROOT)) for p in CODE
                 if p.name != "settings.py" and reads.search(_code(p))]
    assert offenders == [], "read environment variables in grassroots/settings.py only"


def test_the_time_zone_is_written_once():
    offenders = [str(p.relative_to(ROOT)) for p in CODE
                 if p.name != "settings.py" and '"Asia/Shanghai"' in _code(p)]
    assert offenders == [], "use settings.DEFAULT_TIMEZONE or the settings' timezone"


def test_sql_binds_the_submission_lifecycle_instead_of_spelling_it():
    words = "|".join(s.value for s in lifecycle.State) + "|" + "|".join(f.value for f in lifecycle.Fate)
    spelled = re.compile(rf"\b(?:state|fate)\s*(?:=|<>|IN)\s*\(?\s*'({words})'", re.I)
    offenders = [p.name for p in sorted((ROOT / "include" / "sql").glob("*.sql")) if spelled.search(p.read_text())]
    assert offenders == [], "bind :state_… / :fate_… (lifecycle.SQL_PARAMS)"
    assert lifecycle.SQL_PARAMS["fate_accepted"] == "accepted" and lifecycle.SQL_PARAMS["state_done"] == "done"


def test_every_lifecycle_value_has_its_chinese_label():
    assert all(s.label for s in lifecycle.State) and all(f.label for f in lifecycle.Fate)
    assert lifecycle.fate_label(None) == lifecycle.Fate.PENDING.label == "处理中"


def test_the_sql_ships_with_the_package_where_a_wheel_installs_it():
    """include/sql/ stays at the top level: a checkout reads it there, a wheel installs it under
    <prefix>/share/grassroots/sql (pyproject's data-files), where db.py looks next."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["tool"]["setuptools"]["data-files"]["share/grassroots/sql"] == ["include/sql/*.sql"]
    assert db.SQL_DIR == ROOT / "include" / "sql"


def test_schedules_follow_the_configured_time_zone(monkeypatch):
    import importlib

    from grassroots import dag_support

    monkeypatch.setenv("GRASSROOTS_TIMEZONE", "Asia/Urumqi")
    try:
        assert importlib.reload(dag_support).TIMEZONE == "Asia/Urumqi"
    finally:
        monkeypatch.delenv("GRASSROOTS_TIMEZONE")
        importlib.reload(dag_support)
    assert dag_support.TIMEZONE == settings.DEFAULT_TIMEZONE


def test_the_city_and_the_reference_folder_are_named_once():
    names = ('"全市"', '"_reference"')
    offenders = [str(p.relative_to(ROOT)) for p in CODE
                 if p.name != "contract.py" and p.parent.name != "demo" and any(n in _code(p) for n in names)]
    assert offenders == [], "use contract.SCOPE_CITY and contract.REFERENCE_FOLDER"
