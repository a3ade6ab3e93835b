"""The operators' page, in process: a warehouse filled by the real ingest over a small inbox, the
page's app mounted at /grassroots as the API server mounts it, and a JWT from Airflow's simple
auth manager. Anonymous requests are refused; the pages show every district's files and their
fate, the figures, the cases behind a figure and the file and row behind a case; receipts and
Data Docs are served from their own folders only."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from grassroots import clock, ingest, metrics, warehouse
from grassroots import settings as settings_module
from grassroots.settings import Settings
from grassroots.warehouse.schema import submissions
from tests.samples.ingest import write_ledger, write_reference

pytest_plugins = ("tests.samples.databases",)

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "/grassroots"
HS, YZ = "海曙区", "鄞州区"


def _row(case_id, title, source, theme, district, reported, deadline, status, resolved=None, leader=None):
    town, unit = {HS: ("章水镇", "市发改委"), YZ: ("姜山镇", "市经信局")}[district]
    return [case_id, title, source, theme, district, town, unit, unit, "责任人" + case_id[-1], leader, reported,
            deadline, status, resolved, "按计划推进", "12"]


def build_city(settings: Settings, today: dt.date) -> None:
    """Two ingest passes over a two-district inbox: 海曙区 sends two ledgers (the second changes a
    case, adds one and leaves one out) and a file with a bad status; 鄞州区 sent only an old ledger, so it has not
    submitted this week."""
    box = Path(settings.inbox)
    day = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    write_reference(box)
    first = [
        _row("HS-001", "老旧小区加装电梯", "民生实事", "民生所盼", HS, day(-30), day(-2), "推进中", leader="王强"),
        _row("HS-002", "村道修复", "重点项目", "大局所需", HS, day(-40), day(30), "已办结", resolved=day(-5)),
        _row("HS-003", "企业用工对接", "企业诉求", "转型所迫", HS, day(-4), day(3), "未启动"),
    ]
    write_ledger(box / HS, "海曙区问题清单第一周.xlsx", first, day(-3))
    write_ledger(box / YZ, "鄞州区问题清单.xlsx", [
        _row("YZ-001", "农贸市场改造", "民生实事", "民生所盼", YZ, day(-50), day(-25), "推进中"),
        _row("YZ-002", "河道清淤", "重点项目", "治理所困", YZ, day(-50), day(20), "取得实质性进展"),
    ], day(-20))
    ingest.run_once(settings)
    second = [list(r) for r in first[:2]] + [  # HS-003 is left out: missing from the latest ledger
        _row("HS-004", "社区养老服务站", "民生实事", "民生所盼", HS, day(-2), day(60), "推进中")]
    second[0][12] = "取得实质性进展"
    write_ledger(box / HS, "海曙区问题清单第二周.xlsx", second, day(-1))
    bad = [list(second[0])]
    bad[0][12] = "进行中"  # not a status of the contract: the file is rejected
    write_ledger(box / HS, "海曙区问题清单错误版.xlsx", bad, day(-1))
    ingest.run_once(settings)


def _today(settings: Settings) -> dt.date:
    return clock.today(settings.timezone)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """One warehouse for the module's tests (two ingest passes take a while); a test that changes
    it puts it back."""
    home = tmp_path_factory.mktemp("operators-page") / "home"
    (home / "inbox").mkdir(parents=True)
    settings = settings_module.load({"GRASSROOTS_HOME": str(home), "GRASSROOTS_SETTLE_SECONDS": "0"})
    build_city(settings, _today(settings))
    return settings


@pytest.fixture(scope="module")
def token(airflow_db):
    """A JWT for the simple auth manager's admin, as the API server would issue it."""
    from airflow.api_fastapi.app import get_auth_manager, init_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    init_auth_manager()
    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="admin", role="ADMIN"))


@pytest.fixture(scope="module")
def client(city, token):
    from grassroots.operators_page.app import create_app

    server = FastAPI()
    server.mount(PREFIX, create_app(city))
    with TestClient(server, follow_redirects=False) as anonymous:
        yield anonymous


def _get(client, token, path, **kwargs):
    return client.get(PREFIX + path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- auth -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/cases?figure=overdue", "/case?district=海曙区&case_id=HS-001",
                                  "/submissions/1", "/submissions/1/receipt", "/datadocs/index.html"])
def test_an_anonymous_browser_is_sent_to_the_airflow_login(client, path):
    response = client.get(PREFIX + path, headers={"Accept": "text/html"})
    assert response.status_code == 303
    login = response.headers["location"]
    assert login.startswith("/auth/login?next=")
    assert "grassroots" in login


@pytest.mark.parametrize("path", ["/api/figures", "/api/submissions", "/api/cases?figure=total",
                                  "/api/case?district=海曙区&case_id=HS-001"])
def test_anonymous_and_forged_json_requests_get_401(client, path):
    assert client.get(PREFIX + path).status_code == 401
    forged = client.get(PREFIX + path, headers={"Authorization": "Bearer not-a-jwt"})
    assert forged.status_code == 401
    assert client.get(PREFIX + path, cookies={"_token": "not-a-jwt"}).status_code == 401


def test_the_ui_cookie_is_accepted_like_the_bearer_token(client, token):
    client.cookies.set("_token", token)
    try:
        response = client.get(PREFIX + "/api/figures")
    finally:
        client.cookies.clear()
    assert response.status_code == 200 and response.json()["total"] == 6


# --- the overview ---------------------------------------------------------------------------

def test_overview_shows_districts_fates_figures_and_who_has_not_submitted(client, token, city):
    response = _get(client, token, "/")
    assert response.status_code == 200
    html = response.text
    text = _text(html)
    for name in (HS, YZ, "海曙区问题清单第一周.xlsx", "海曙区问题清单第二周.xlsx", "海曙区问题清单错误版.xlsx",
                 "鄞州区问题清单.xlsx", "基础数据.xlsx"):
        assert name in text
    assert "已接收" in text and "已退回" in text
    # the headline and figures of grassroots.metrics at today's date
    figures = metrics.compute(warehouse.connect(city.warehouse_url), _today(city), timezone=city.timezone)
    assert figures["headline"] in text
    assert figures["total"] == 6 and figures["overdue"] == 2
    assert "本周未报送问题清单： 鄞州区" in text or "本周未报送问题清单：鄞州区" in text
    assert figures["submissions"]["districts_not_submitted"] == [YZ]
    # the rejected file: its reason and its error count, with a receipt link
    row = re.search(r"海曙区问题清单错误版\.xlsx.*?</tr>", html, re.S).group(0)
    assert "已退回" in row and "办理状态" in _text(row) and "/receipt" in row
    # the latest as-of date of each district
    assert (_today(city) - dt.timedelta(days=1)).isoformat() in text
    assert (_today(city) - dt.timedelta(days=20)).isoformat() in text


def test_overview_links_each_figure_to_its_cases(client, token, city):
    html = _get(client, token, "/").text
    as_of = _today(city).isoformat()
    assert f'href="/grassroots/cases?figure=overdue&amp;district={_q(HS)}&amp;as_of={as_of}&amp;period=week"' in html
    assert f'href="/grassroots/cases?figure=substantive&amp;as_of={as_of}&amp;period=week"' in html


def _q(value: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(value)


# --- drill-down -----------------------------------------------------------------------------

def _expected(figures: dict, figure: str, district: str | None) -> int:
    if figure == "missing":
        return len([c for c in figures["missing_cases"] if district in (None, c["district"])])
    scope = figures if district is None else figures["districts"][district]
    if figure == "not_accountable":
        return scope["open_cases"] - scope["accountable"]
    return scope[figure]


@pytest.mark.parametrize("figure", ["total", "overdue", "substantive", "resolved", "not_started", "in_progress",
                                    "due_soon", "open_cases", "accountable", "not_accountable", "new_in_period",
                                    "resolved_in_period", "missing"])
def test_every_figure_drills_down_to_exactly_its_cases(client, token, city, figure):
    figures = metrics.compute(warehouse.connect(city.warehouse_url), _today(city), timezone=city.timezone)
    for district in (None, HS, YZ):
        params = {"figure": figure} | ({"district": district} if district else {})
        body = _get(client, token, "/api/cases", params=params).json()
        assert body["count"] == len(body["cases"]) == _expected(figures, figure, district), (figure, district)


def test_a_case_missing_from_the_latest_ledger_still_counts_and_is_flagged(client, token):
    body = _get(client, token, "/api/cases", params={"figure": "missing"}).json()
    assert [(c["district"], c["case_id"]) for c in body["cases"]] == [(HS, "HS-003")]
    text = _text(_get(client, token, "/case", params={"district": HS, "case_id": "HS-003"}).text)
    assert "最新台账未列出" in text and "海曙区问题清单第一周.xlsx" in text
    assert "HS-003" in _text(_get(client, token, "/cases", params={"figure": "not_started", "district": HS}).text)


def test_overdue_drill_down_lists_the_overdue_cases_with_their_source_file(client, token):
    response = _get(client, token, "/cases", params={"figure": "overdue", "district": HS})
    text = _text(response.text)
    assert response.status_code == 200
    assert "海曙区 · 逾期未办结：1 个问题" in text
    assert "HS-001" in text and "老旧小区加装电梯" in text and "海曙区问题清单第二周.xlsx" in text
    assert "HS-002" not in text
    city_wide = _text(_get(client, token, "/cases", params={"figure": "overdue"}).text)
    assert "HS-001" in city_wide and "YZ-001" in city_wide and "全市 · 逾期未办结：2 个问题" in city_wide


def test_a_case_leads_to_the_files_and_excel_rows_it_came_from(client, token, city):
    response = _get(client, token, "/case", params={"district": HS, "case_id": "HS-001"})
    assert response.status_code == 200
    text = _text(response.text)
    engine = warehouse.connect(city.warehouse_url)
    with engine.connect() as conn:
        files = {r.file_name: r for r in conn.execute(sa.select(submissions))}
    for name in ("海曙区问题清单第一周.xlsx", "海曙区问题清单第二周.xlsx"):
        assert name in text
        assert files[name].checksum in text and files[name].archive_path in text
    assert "海曙区问题清单错误版.xlsx" not in text  # rejected: it never became part of the case
    body = _get(client, token, "/api/case", params={"district": HS, "case_id": "HS-001"}).json()
    assert [h["status"] for h in body["history"]] == ["取得实质性进展", "推进中"]
    # the title row, then the header row, then the cases: HS-001 is on Excel row 3 of 问题清单
    assert {(h["source_sheet"], h["source_row"]) for h in body["history"]} == {("问题清单", 3)}
    assert body["case"]["status"] == "取得实质性进展"
    assert _get(client, token, "/case", params={"district": HS, "case_id": "NOPE"}).status_code == 404


def test_unknown_figure_is_404(client, token):
    assert _get(client, token, "/cases", params={"figure": "drop table"}).status_code == 404


# --- submissions, receipts, Data Docs -------------------------------------------------------

def _submission_id(city, name: str) -> int:
    with warehouse.connect(city.warehouse_url).connect() as conn:
        return conn.execute(sa.select(submissions.c.id).where(submissions.c.file_name == name)).scalar_one()


def test_a_rejected_submission_lists_its_findings_cell_by_cell(client, token, city):
    sid = _submission_id(city, "海曙区问题清单错误版.xlsx")
    text = _text(_get(client, token, f"/submissions/{sid}").text)
    assert "已退回" in text and "办理状态" in text and "进行中" in text and "问题清单" in text


def test_the_receipt_downloads_from_the_inbox(client, token, city):
    sid = _submission_id(city, "海曙区问题清单错误版.xlsx")
    response = _get(client, token, f"/submissions/{sid}/receipt")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert "attachment" in response.headers["content-disposition"]
    with warehouse.connect(city.warehouse_url).connect() as conn:
        stored = conn.execute(sa.select(submissions.c.receipt_path).where(submissions.c.id == sid)).scalar_one()
    assert response.content == Path(stored).read_bytes()


def _set_receipt_path(city, sid: int, path: str) -> None:
    with warehouse.connect(city.warehouse_url).begin() as conn:
        conn.execute(sa.update(submissions).where(submissions.c.id == sid).values(receipt_path=path))


def test_a_receipt_path_outside_the_inbox_receipt_folders_is_never_served(client, token, city, tmp_path):
    sid = _submission_id(city, "海曙区问题清单错误版.xlsx")
    secret = tmp_path / "secret_回执.xlsx"
    secret.write_bytes(b"PK secret")
    inbox = Path(city.inbox)
    link = inbox / HS / "回执" / "link_回执.xlsx"
    link.symlink_to(secret)
    with warehouse.connect(city.warehouse_url).connect() as conn:
        original = conn.execute(sa.select(submissions.c.receipt_path).where(submissions.c.id == sid)).scalar_one()
    try:
        for stored in ("/etc/passwd", str(secret), str(inbox / HS / "回执" / ".." / ".." / ".." / "warehouse.db"),
                       str(inbox / HS / "海曙区问题清单第一周.xlsx"), str(link), "../../etc/passwd",
                       str(city.home / "warehouse.db"), "", "file:///etc/passwd"):
            _set_receipt_path(city, sid, stored)
            response = _get(client, token, f"/submissions/{sid}/receipt")
            assert response.status_code == 404, stored
            assert b"secret" not in response.content and b"root:" not in response.content
    finally:
        _set_receipt_path(city, sid, original)
        link.unlink()
    assert _get(client, token, f"/submissions/{sid}/receipt").status_code == 200


def test_data_docs_are_served_from_their_folder_only(client, token, city):
    sid = _submission_id(city, "海曙区问题清单第二周.xlsx")
    with warehouse.connect(city.warehouse_url).connect() as conn:
        page = conn.execute(sa.select(submissions.c.datadocs_path).where(submissions.c.id == sid)).scalar_one()
    assert page, "the validation wrote a Data Docs page"
    relative = Path(page).resolve().relative_to(city.datadocs.resolve()).as_posix()
    assert f'/grassroots/datadocs/{quote(relative)}"' in _get(client, token, f"/submissions/{sid}").text
    response = _get(client, token, f"/datadocs/{relative}")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    (city.home / "inbox" / "x.txt").write_text("not docs")
    for attempt in ("../warehouse.db", "..%2Fwarehouse.db", "%2e%2e/%2e%2e/etc/passwd", "/etc/passwd",
                    "..\\warehouse.db", "../inbox/x.txt", "validations/../../warehouse.db"):
        response = _get(client, token, f"/datadocs/{attempt}")
        assert response.status_code == 404, attempt
        assert b"SQLite" not in response.content and b"root:" not in response.content


def test_a_new_home_without_a_warehouse_says_there_is_no_data_yet(token, tmp_path):
    from grassroots.operators_page.app import create_app

    empty = settings_module.load({"GRASSROOTS_HOME": str(tmp_path / "new")})
    server = FastAPI()
    server.mount(PREFIX, create_app(empty))
    with TestClient(server) as client:
        response = _get(client, token, "/")
        assert response.status_code == 200 and "尚无数据" in response.text
        assert _get(client, token, "/api/figures").json() == {}


@pytest.mark.parametrize("stored", [
    "s3://bucket/elsewhere/海曙区/回执/a_回执.xlsx", "s3://bucket/inbox/海曙区/../../secret/回执/a_回执.xlsx",
    "s3://bucket/inbox/海曙区/回执/../a.xlsx", "s3://bucket/inbox/海曙区/a_回执.xlsx", "s3://bucket/inbox/海曙区/回执/a.db",
    "s3://bucket/inbox//回执/a_回执.xlsx", "/etc/passwd", "s3://bucket/inboxer/x/回执/a_回执.xlsx"])
def test_a_remote_inbox_serves_only_receipts_inside_it(stored, tmp_path):
    from grassroots.operators_page import files

    remote = settings_module.load({"GRASSROOTS_HOME": str(tmp_path), "GRASSROOTS_INBOX": "s3://bucket/inbox"})
    assert files.receipt(remote, stored) is None


def test_the_plugin_mounts_the_page_and_links_it_from_the_navigation(city, token, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("grassroots_operators", ROOT / "plugins" / "grassroots_operators.py")
    plugin_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin_module)
    plugin = plugin_module.GrassrootsOperatorsPlugin
    assert plugin.external_views == [{"name": "基层走访", "href": "/grassroots/", "destination": "nav",
                                      "url_route": "grassroots"}]
    (mounted,) = plugin.fastapi_apps
    assert mounted["url_prefix"] == PREFIX
    monkeypatch.setenv("GRASSROOTS_HOME", str(city.home))  # the API server's environment
    server = FastAPI()
    server.mount(mounted["url_prefix"], mounted["app"])
    with TestClient(server, follow_redirects=False) as client:
        assert client.get(PREFIX + "/").status_code == 303
        page = _get(client, token, "/")
        assert page.status_code == 200 and HS in page.text and YZ in page.text


@pytest.mark.postgres
def test_the_pages_read_a_postgresql_warehouse_alike(pg_database_url, token, tmp_path):
    from grassroots.operators_page.app import create_app

    (tmp_path / "home" / "inbox").mkdir(parents=True)
    settings = settings_module.load({"GRASSROOTS_HOME": str(tmp_path / "home"), "GRASSROOTS_SETTLE_SECONDS": "0",
                                     "GRASSROOTS_WAREHOUSE_URL": pg_database_url})
    build_city(settings, _today(settings))
    engine = warehouse.connect(settings.warehouse_url)
    figures = metrics.compute(engine, _today(settings), timezone=settings.timezone)
    engine.dispose()
    app = create_app(settings)
    server = FastAPI()
    server.mount(PREFIX, app)
    try:
        with TestClient(server) as client:
            text = _text(_get(client, token, "/").text)
            assert HS in text and "海曙区问题清单错误版.xlsx" in text and figures["headline"] in text
            for figure in ("total", "overdue", "substantive", "resolved", "due_soon", "new_in_period", "missing"):
                body = _get(client, token, "/api/cases", params={"figure": figure, "district": HS}).json()
                expected = (len([c for c in figures["missing_cases"] if c["district"] == HS]) if figure == "missing"
                            else figures["districts"][HS][figure])
                assert body["count"] == expected, figure
            history = _get(client, token, "/api/case", params={"district": HS, "case_id": "HS-001"}).json()["history"]
            assert [(h["file_name"], h["source_row"]) for h in history] == [
                ("海曙区问题清单第二周.xlsx", 3), ("海曙区问题清单第一周.xlsx", 3)]
            sid = next(r["submission_id"] for r in history)
            assert _get(client, token, f"/submissions/{sid}/receipt").status_code == 200
    finally:
        for engine in app.state.engines.values():
            engine.dispose()


def test_text_from_district_files_is_shown_as_text_never_as_markup(client, token, city):
    sid = _submission_id(city, "海曙区问题清单错误版.xlsx")
    evil = '<script>alert("x")</script>.xlsx'
    with warehouse.connect(city.warehouse_url).begin() as conn:
        conn.execute(sa.update(submissions).where(submissions.c.id == sid).values(file_name=evil))
    try:
        for path in ("/", f"/submissions/{sid}"):
            html = _get(client, token, path).text
            assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;.xlsx" in html
    finally:
        with warehouse.connect(city.warehouse_url).begin() as conn:
            conn.execute(sa.update(submissions).where(submissions.c.id == sid).values(
                file_name="海曙区问题清单错误版.xlsx"))
