"""The open export: what `export` writes round-trips (rows and figures equal the warehouse's at the
date), the real Frictionless validator accepts its datapackage.json in every format, a district's
export holds only its rows, and the operators' page hands out the same data as a zip, behind the
Airflow login."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import frictionless
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from grassroots import cli, contract, export, metrics
from grassroots import settings as settings_module
from grassroots.report import bulletin
from tests.samples.bulletin import AS_OF, HS, YZ, populate

pytest_plugins = ("tests.samples.databases",)

PREFIX = "/grassroots"


@pytest.fixture
def city(engine):
    return populate(engine)


def _write(engine, out: Path, fmt: str, *, as_of: dt.date = AS_OF, district: str | None = None) -> Path:
    rows = export.collect(engine, as_of, district)
    export.write(out, rows, as_of=as_of, district=district, fmt=fmt)
    return out / export.DESCRIPTOR


def _read(descriptor: Path) -> dict[str, list[dict]]:
    """Every resource of the package as the Frictionless library reads it (typed by the descriptor)."""
    package = frictionless.Package(str(descriptor))
    return {r.name: [row.to_dict() for row in r.read_rows()] for r in package.resources}


def _valid(descriptor: Path) -> None:
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:10]
    assert {t.name for t in report.tasks} == set(export.TABLE_NAMES)


def _number(value) -> float | None:
    """A number as Frictionless reads it (Decimal; a missing one in Parquet comes back as NaN)."""
    return None if value is None or value != value else float(value)


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_the_export_validates_and_round_trips(city, tmp_path, fmt):
    descriptor = _write(city, tmp_path / "out", fmt)
    _valid(descriptor)
    data = _read(descriptor)
    figures = metrics.compute(city, AS_OF)

    assert len(data["cases"]) == figures["total"] == 7
    assert len(data["visits"]) == figures["visits"] == 2
    assert len(data["case_history"]) == _count(city, "SELECT count(*) FROM case_history WHERE valid_from <= :d", d=AS_OF)
    assert len(data["visit_cases"]) == _count(city, "SELECT count(*) FROM visit_cases")
    assert len(data["towns"]) == 4 and len(data["pairings"]) == 4 and "recipients" not in data

    expected = {(c["district"], c["case_id"]): c for c in bulletin.cases_at(city, AS_OF, contract.SCOPE_CITY)}
    for row in data["cases"]:
        case = expected[(row["district"], row["case_id"])]
        for name in ("status", "theme", "title", "progress_note", "reported_on", "resolved_on", "exemplary"):
            assert row[name] == case[name], name
        assert _number(row["funds_wan"]) == case["funds_wan"]
    counted = {(r["scope"], r["figure"]): _number(r["value"]) for r in data["figures"]}
    for scope, values in [(contract.SCOPE_CITY, figures), *figures["districts"].items()]:
        for name in export.SCALAR_FIGURES:
            assert counted[(scope, name)] == (None if values[name] is None else pytest.approx(values[name])), name
    by_status = {s: sum(r["status"] == s for r in data["cases"]) for s in contract.STATUS_ORDER}
    assert by_status[contract.STATUS_RESOLVED] == figures["resolved"]


def test_the_cases_as_they_stood_at_an_earlier_date(city, tmp_path):
    data = _read(_write(city, tmp_path / "out", "csv", as_of=dt.date(2026, 10, 31)))
    assert {(r["case_id"], r["status"]) for r in data["cases"]} == {("HS-001", "推进中"), ("HS-002", "已办结")}
    assert {r["valid_from"] for r in data["case_history"]} == {dt.date(2026, 10, 30)}
    assert {r["valid_to"] for r in data["case_history"]} == {None}  # what changed later is not known at 10-31
    assert [r["visit_id"] for r in data["visits"]] == ["V-001"]
    assert {(r["scope"], r["figure"], r["value"]) for r in data["figures"] if r["figure"] == "total"} >= {
        (contract.SCOPE_CITY, "total", 2)}


def test_a_districts_export_holds_only_its_own_rows(city, tmp_path):
    descriptor = _write(city, tmp_path / "out", "json", district=HS)
    _valid(descriptor)
    data = _read(descriptor)
    for name in ("cases", "case_history", "visits", "visit_cases"):
        assert data[name] and {r["district"] for r in data[name]} == {HS}, name
    assert [r["name"] for r in data["districts"]] == [HS]
    assert {r["district"] for r in data["towns"]} == {HS}
    assert {r["scope"] for r in data["figures"]} == {HS}
    for path in (tmp_path / "out").iterdir():
        text = path.read_text(encoding="utf-8")
        assert YZ not in text and "YZ-" not in text and "姜山镇" not in text, path.name


def test_names_titles_and_values_come_from_the_contract(city, tmp_path):
    descriptor = json.loads(_write(city, tmp_path / "out", "csv").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    fields = {f["name"]: f for f in resources["cases"]["schema"]["fields"]}
    for column in contract.LEDGER_SHEET.columns:
        assert fields[column.field]["title"] == column.header
    assert fields["status"]["constraints"]["enum"] == list(contract.STATUS_ORDER)
    assert fields["exemplary"]["title"] == "典型案例"
    assert fields["exemplary"]["constraints"]["enum"] == list(contract.EXEMPLARY_CHOICES)
    assert (fields["reported_on"]["type"], fields["funds_wan"]["type"]) == ("date", "number")
    visit_fields = {f["name"]: f["title"] for f in resources["visits"]["schema"]["fields"]}
    assert visit_fields["visit_date"] == "走访日期" and visit_fields["participants"] == "参与人数"
    assert resources["cases"]["schema"]["primaryKey"] == ["district", "case_id"]


def test_the_command(city, settings, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GRASSROOTS_WAREHOUSE_URL", city.url.render_as_string(hide_password=False))
    out = tmp_path / "export"
    assert cli.main(["export", "--as-of", AS_OF.isoformat(), "--district", YZ, "--format", "parquet",
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed[-1] == str(out / "datapackage.json") and str(out / "cases.parquet") in printed
    _valid(out / "datapackage.json")
    assert {r["case_id"] for r in _read(out / "datapackage.json")["cases"]} == {"YZ-001", "YZ-002"}
    assert cli.main(["export", "--as-of", AS_OF.isoformat(), "--district", "高新区", "--out", str(out)]) == 2
    assert "未知区县“高新区”" in capsys.readouterr().out


# --- the operators' page download -------------------------------------------------------------

@pytest.fixture(scope="module")
def token(airflow_db):
    from airflow.api_fastapi.app import get_auth_manager, init_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    init_auth_manager()
    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="admin", role="ADMIN"))


@pytest.fixture
def client(city, home, token):
    from grassroots.operators_page.app import create_app

    settings = settings_module.load({"GRASSROOTS_HOME": str(home),
                                     "GRASSROOTS_WAREHOUSE_URL": city.url.render_as_string(hide_password=False)})
    app = create_app(settings)
    server = FastAPI()
    server.mount(PREFIX, app)
    try:
        with TestClient(server, follow_redirects=False) as test_client:
            yield test_client
    finally:
        for engine in app.state.engines.values():
            engine.dispose()


def test_the_page_download_needs_the_login(client):
    path = f"{PREFIX}/export.zip?as_of={AS_OF.isoformat()}"
    assert client.get(path, headers={"Accept": "application/zip"}).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer not-a-jwt", "Accept": "application/zip"}).status_code == 401
    browser = client.get(path, headers={"Accept": "text/html"})
    assert browser.status_code == 303 and browser.headers["location"].startswith("/auth/login?next=")


def test_the_page_download_is_the_export_as_a_zip(client, token, tmp_path):
    auth = {"Authorization": f"Bearer {token}"}
    response = client.get(f"{PREFIX}/export.zip", params={"as_of": AS_OF.isoformat(), "district": HS,
                                                          "format": "csv"}, headers=auth)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path / "zip")
    _valid(tmp_path / "zip" / "datapackage.json")
    data = _read(tmp_path / "zip" / "datapackage.json")
    assert {r["district"] for r in data["cases"]} == {HS} and len(data["cases"]) == 5
    overview = client.get(f"{PREFIX}/", params={"as_of": AS_OF.isoformat()}, headers=auth).text
    assert "/export.zip?as_of=2026-11-30&amp;format=parquet" in overview
    unknown = client.get(f"{PREFIX}/export.zip", params={"district": "高新区"}, headers=auth)
    assert unknown.status_code == 404
