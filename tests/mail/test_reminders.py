"""Reminders to districts without an accepted ledger, received by a real SMTP server, once only."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest

from grassroots import ingest, warehouse
from grassroots import settings as settings_module
from grassroots.mail import reminders
from grassroots.mail.sink import MailSink, airflow_connection
from grassroots.reference import Recipient
from tests.samples.ingest import ledger_rows, small_city, write_ledger, write_reference

WEEK_END = dt.date(2026, 11, 27)


@pytest.fixture
def city(home, settings):
    """海曙区 sends its ledger this week; 鄞州区 sent one last week only, and a bad file this week."""
    ref = small_city()
    ref.recipients.append(Recipient("鄞州区联络员", "yinzhou@example.gov.cn", "鄞州区"))
    inbox = home / "inbox"
    write_reference(inbox, ref)
    write_ledger(inbox / "海曙区", "本周.xlsx", ledger_rows("海曙区"), dt.date(2026, 11, 26))
    write_ledger(inbox / "鄞州区", "上周.xlsx", ledger_rows("鄞州区"), dt.date(2026, 11, 20))
    ingest.run_once(settings)
    write_ledger(inbox / "鄞州区", "本周.xlsx", ledger_rows("鄞州区", status="已办结"), dt.date(2026, 11, 27))
    ingest.run_once(settings)
    engine = warehouse.connect(settings.warehouse_url)
    return engine


def _received(sink) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sink.messages]


def test_due_names_the_districts_without_an_accepted_ledger(city):
    [due] = reminders.due(city, WEEK_END)
    assert due.district == "鄞州区" and due.emails == ["yinzhou@example.gov.cn"]
    assert due.latest_as_of == "2026-11-20" and due.rejected_files == 1
    assert due.period_start == dt.date(2026, 11, 21)


def test_reminder_mail_arrives_once(city, home, monkeypatch):
    settings = settings_module.load()
    with MailSink(home) as sink:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_connection(sink.port))
        first = reminders.send_reminders(settings, city, WEEK_END)
        second = reminders.send_reminders(settings, city, WEEK_END)
        [msg] = _received(sink)
    assert [s["email"] for s in first["sent"]] == ["yinzhou@example.gov.cn"]
    assert second["sent"] == [] and second["already_sent"] == [{"district": "鄞州区", "email": "yinzhou@example.gov.cn"}]
    assert msg["To"] == "yinzhou@example.gov.cn"
    assert "鄞州区" in msg["Subject"] and "2026年11月21日至2026年11月27日" in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert "未通过校验" in body and "回执" in body and "截至2026年11月20日" in body and "问题清单" in body


def test_mail_server_down_says_what_to_check(city, monkeypatch):
    with MailSink() as gone:
        port = gone.port
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_connection(port))
    with pytest.raises(reminders.ReminderNotSent) as caught:
        reminders.send_reminders(settings_module.load(), city, WEEK_END)
    assert "smtp_default" in str(caught.value) and "提醒邮件未能发出" in str(caught.value)
    assert reminders._already(city, reminders.due(city, WEEK_END)[0]) == set()


def test_deadline_setting_gives_the_schedule():
    assert settings_module.deadline_cron("FRI 18:00") == "0 18 * * 5"
    assert settings_module.deadline_cron("mon 9:30") == "30 9 * * 1"
    assert settings_module.deadline_cron("SUN 23:59") == "59 23 * * 0"
    with pytest.raises(ValueError):
        settings_module.deadline_cron("Friday")
