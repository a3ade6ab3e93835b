"""Sending the summary report through Airflow's SMTP provider to a real local mail server (the sink)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json

import openpyxl
import pytest
import sqlalchemy as sa

from grassroots import metrics, warehouse
from grassroots.mail.sink import MailSink
from grassroots.mail.sink import airflow_connection as connection_uri
from grassroots.reference import Recipient
from grassroots.report import cli, store
from grassroots.report.plan import plan
from grassroots.report.send import ReportNotSent, send_reports, write_outbox
from tests.samples import warehouse as ws
from tests.samples.ingest import small_city

pytest_plugins = ("tests.samples.databases",)

AS_OF = dt.date(2026, 11, 27)
CITY_ADDRESSES = ("city@example.gov.cn", "Lead@Example.gov.cn")


def _reference():
    ref = small_city()
    ref.recipients = [
        Recipient("市领导", CITY_ADDRESSES[0], "全市"), Recipient("市主题教育办", CITY_ADDRESSES[1], "全市"),
        Recipient("海曙区联络员", "haishu@example.gov.cn", "海曙区"),
        Recipient("鄞州区联络员", "yinzhou@example.gov.cn", "鄞州区"),
        Recipient("高新区联络员", "gaoxin@example.gov.cn", "高新区"),  # no such district: gets nothing
    ]
    return ref


@pytest.fixture
def city(engine):
    return populate(engine)


def populate(engine):
    """Two districts: 海曙区 with two weekly ledgers (one case overdue), 鄞州区 with one."""
    warehouse.replace_reference(engine, _reference())
    hs = [
        ws.case("HS-001", "推进中", reported_on="2026-11-02", deadline="2026-11-10", responsible_person="李四"),
        ws.case("HS-002", "已办结", reported_on="2026-10-20", resolved_on="2026-11-25"),
        ws.case("HS-003", "取得实质性进展", reported_on="2026-11-05"),
        ws.case("HS-004", "未启动", reported_on="2026-11-24"),
    ]
    ws.merge_ledger(engine, "hs1.xlsx", dt.date(2026, 11, 20), [dict(hs[0]), dict(hs[1], status="推进中",
                                                                                    resolved_on=None), hs[2]],
                    visits=[ws.visit("V1", case_ids="HS-001")])
    ws.merge_ledger(engine, "hs2.xlsx", AS_OF, hs)
    yz = [ws.case(f"YZ-{i:03d}", "取得实质性进展", district="鄞州区", town="姜山镇", paired_unit="市经信局",
                  responsible_unit="市经信局", reported_on="2026-11-03") for i in (1, 2, 3)]
    ws.merge_ledger(engine, "yz1.xlsx", dt.date(2026, 11, 26), yz, district="鄞州区")
    return engine


@pytest.fixture
def sink(home):
    with MailSink(home) as server:
        yield server


@pytest.fixture
def smtp_connection(monkeypatch, sink):
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", connection_uri(sink.port))
    return sink


def received(sink) -> dict[str, email.message.EmailMessage]:
    """Messages the sink got, by the address they went to (each address must get exactly one)."""
    out = {}
    for path in sink.messages:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        to = msg["X-Sink-Rcpt-To"]
        assert to not in out, f"{to} got two messages"
        out[to] = msg
    return out


def parts(msg):
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    images = {p["Content-ID"].strip("<>"): p for p in msg.walk() if p.get_content_type() == "image/png"}
    attachment = next(msg.iter_attachments())
    return text, html, images, openpyxl.load_workbook(io.BytesIO(attachment.get_content()))


def test_city_and_district_recipients_get_their_own_report(settings, city, smtp_connection):
    result = send_reports(settings, city, AS_OF, "week")

    mails = received(smtp_connection)
    assert set(mails) == {*CITY_ADDRESSES, "haishu@example.gov.cn", "yinzhou@example.gov.cn"}
    assert result["unknown_scopes"] == ["高新区"]
    assert {(s["scope"], s["email"]) for s in result["sent"]} == {
        ("全市", CITY_ADDRESSES[0]), ("全市", CITY_ADDRESSES[1]), ("海曙区", "haishu@example.gov.cn"),
        ("鄞州区", "yinzhou@example.gov.cn")}

    figures = metrics.compute(city, AS_OF)
    assert (figures["total"], figures["substantive"], figures["overdue"]) == (7, 5, 1)
    msg = mails["city@example.gov.cn"]
    assert msg["Subject"] == "【基层走访】全市周报（截至2026年11月27日）"
    assert msg["From"].addresses[0].addr_spec == "report@example.gov.cn"
    text, html, images, book = parts(msg)
    assert text.split("\n\n", 1)[1].strip().startswith(figures["headline"])
    assert figures["headline"] in html
    # 7 cases against 3 a week before, 5 with substantive progress against 1
    assert "累计梳理问题：7个（较上周 ↑4）" in text
    assert "取得实质性进展：5个（较上周 ↑4）；占比 71.4%" in text
    assert "海曙区：4 / 2 / 50.0% / ↑1 / 1 / 1" in text and "鄞州区：3 / 3 / 100.0% / ↑3 / 0 / 0" in text
    assert "HS-001 问题HS-001：责任单位 市交通局，责任人 李四，完成时限 2026年11月10日，已逾期17天" in text
    for snippet in ("71.4%", "↑4", "李四", "17天", "海曙区", "鄞州区"):
        assert snippet in html
    assert set(images) and all(f"cid:{cid}" in html for cid in images)
    assert all(p.get_content().startswith(b"\x89PNG") for p in images.values())
    summary = {row[1]: row[2] for row in book["汇总"].iter_rows(min_row=5, values_only=True)}
    assert summary["total"] == 7 and summary["substantive"] == 5 and summary["overdue"] == 1

    haishu = mails["haishu@example.gov.cn"]
    assert haishu["Subject"] == "【基层走访】海曙区周报（截至2026年11月27日）"
    text, html, images, book = parts(haishu)
    assert "累计梳理问题：4个" in text and "章水镇：4 / 2 / 50.0%" in text
    for other in ("鄞州区", "YZ-00", "姜山镇"):
        assert other not in text and other not in html
    cases = [r[1] for r in book["逾期问题"].iter_rows(min_row=3, values_only=True)]
    assert cases == ["HS-001"]
    assert [r[0] for r in book["分区县"].iter_rows(min_row=3, values_only=True)] == ["海曙区"]

    yinzhou = parts(mails["yinzhou@example.gov.cn"])[0]
    assert "累计梳理问题：3个" in yinzhou and "HS-00" not in yinzhou


def test_a_second_send_of_the_same_report_sends_nothing(settings, city, smtp_connection):
    send_reports(settings, city, AS_OF, "week")
    again = send_reports(settings, city, AS_OF, "week")
    assert again["sent"] == [] and len(again["already_sent"]) == 4
    assert len(smtp_connection.messages) == 4
    rows = store.sent_log(city, "week", AS_OF)
    assert {r["email"] for r in rows} == {a.lower() for a in CITY_ADDRESSES} | {
        "haishu@example.gov.cn", "yinzhou@example.gov.cn"}
    assert all(r["message_id"].startswith("<") and r["sent_at"].tzinfo for r in rows)
    # another period is another report
    monthly = send_reports(settings, city, dt.date(2026, 11, 30), "month")
    assert len(monthly["sent"]) == 4 and len(smtp_connection.messages) == 8


def test_a_retry_after_a_failure_half_way_sends_only_the_rest(settings, city, smtp_connection):
    smtp_connection.refuse_after(2)
    with pytest.raises(ReportNotSent) as failed:
        send_reports(settings, city, AS_OF, "week")
    assert "stopped taking messages" in str(failed.value) and "2 message(s) went out" in str(failed.value)
    first = set(received(smtp_connection))
    assert len(first) == 2 and len(store.sent_log(city, "week", AS_OF)) == 2

    smtp_connection.refuse_after(None)
    result = send_reports(settings, city, AS_OF, "week")
    assert len(result["sent"]) == 2 and len(result["already_sent"]) == 2
    everyone = received(smtp_connection)  # raises if anyone got the report twice
    assert len(everyone) == 4 and first < set(everyone)


def test_mail_server_down_is_a_clear_error(settings, city, home, monkeypatch):
    with MailSink(home) as gone:
        port = gone.port
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"disable_ssl": True, "disable_tls": True, "timeout": 5, "retry_limit": 0}}))
    with pytest.raises(ReportNotSent) as failed:
        send_reports(settings, city, AS_OF, "week")
    message = str(failed.value)
    assert f"Cannot connect to the mail server at 127.0.0.1:{port}" in message
    assert "'smtp_default'" in message and "disable_ssl/disable_tls" in message
    assert "0 message(s) went out" in message and "4 address(es) still wait" in message
    assert store.sent_log(city) == []


def test_undefined_connection_is_a_clear_error(settings, city, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    with pytest.raises(ReportNotSent, match="Cannot use the SMTP connection 'smtp_default'"):
        send_reports(settings, city, AS_OF, "week")


def test_nothing_to_send_needs_no_mail_server(settings, city, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    with city.begin() as conn:
        conn.execute(sa.delete(warehouse.schema.recipients))
    assert send_reports(settings, city, AS_OF, "week")["sent"] == []


def test_outbox_copy_for_the_command_line(settings, city, capsys):
    paths = write_outbox(settings, city, AS_OF, district="海曙区")
    assert [p.name for p in paths] == ["基层走访海曙区周报_2026-11-27.eml", "基层走访海曙区周报_2026-11-27.html",
                                       "基层走访海曙区周报_2026-11-27.xlsx"]
    assert all(p.parent == settings.outbox for p in paths)
    msg = email.message_from_bytes(paths[0].read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == "【基层走访】海曙区周报（截至2026年11月27日）"
    assert msg["To"] == "haishu@example.gov.cn"
    page = paths[1].read_text(encoding="utf-8")
    assert "cid:" not in page and page.count("data:image/png;base64,") == 2
    assert store.sent_log(city) == []  # written, not sent

    settings_for_cli = settings.__class__(**{**settings.__dict__, "warehouse_url": city.url.render_as_string(
        hide_password=False)})
    assert cli.run(AS_OF, None, settings_for_cli) == 0
    assert "基层走访全市周报_2026-11-27.eml" in capsys.readouterr().out
    assert cli.run(AS_OF, "无此区", settings_for_cli) == 2
    assert "未知区县“无此区”" in capsys.readouterr().out


def test_sent_reports_table_matches_its_migration(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from grassroots.warehouse.db import alembic_config
    from grassroots.warehouse.schema import metadata

    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
    inspector = sa.inspect(engine)
    assert inspector.get_pk_constraint("sent_reports")["constrained_columns"] == ["period", "as_of", "scope", "email"]
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diffs == []


@pytest.mark.parametrize(("run_at", "expected"), [
    (dt.datetime(2026, 11, 30, 0, 30, tzinfo=dt.UTC), [("week", "2026-11-29")]),  # Monday 08:30 in Shanghai
    (dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC), [("month", "2026-11-30")]),  # Tuesday the 1st
    (dt.datetime(2027, 2, 1, 0, 30, tzinfo=dt.UTC), [("week", "2027-01-31"), ("month", "2027-01-31")]),  # Monday 1st
    (dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC), [("week", "2026-11-24")]),  # by hand on a Wednesday
    (dt.datetime(2026, 11, 29, 17, 0, tzinfo=dt.UTC), [("week", "2026-11-29")]),  # 01:00 Monday in Shanghai
])
def test_plan_reports_the_period_just_ended(run_at, expected):
    assert [(j["period"], j["as_of"]) for j in plan(run_at)] == expected


def test_plan_by_hand_with_params():
    run_at = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
    assert plan(run_at, as_of="2026-10-31", period="month") == [{"period": "month", "as_of": "2026-10-31"}]
    with pytest.raises(ValueError):
        plan(run_at, period="year")
