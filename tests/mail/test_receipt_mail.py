"""Receipts mailed to the district's contacts, received by a real SMTP server, once per file."""

from __future__ import annotations

import datetime as dt
import email
import io
from email import policy

import openpyxl
import sqlalchemy as sa

from grassroots import ingest, warehouse
from grassroots import settings as settings_module
from grassroots.mail.sink import MailSink, airflow_connection
from grassroots.reference import Recipient
from grassroots.warehouse.schema import receipt_mails
from tests.samples.ingest import ledger_rows, small_city, write_ledger, write_reference


def _received(sink) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sink.messages]


def _city(home):
    ref = small_city()
    ref.recipients.append(Recipient("海曙区副联络员", "haishu2@example.gov.cn", "海曙区"))
    ref.recipients.append(Recipient("鄞州区联络员", "yinzhou@example.gov.cn", "鄞州区"))
    inbox = home / "inbox"
    write_reference(inbox, ref)
    bad = ledger_rows("海曙区", n=4)
    bad[1][12] = "已办结"  # no 办结日期
    bad[2][4] = "鄞州区"  # its town and case id are 海曙区's
    write_ledger(inbox / "海曙区", "本周清单.xlsx", bad, dt.date(2026, 11, 25))
    write_ledger(inbox / "鄞州区", "本周清单.xlsx", ledger_rows("鄞州区"), dt.date(2026, 11, 25))
    return inbox


def test_a_rejected_file_is_mailed_to_the_districts_contacts_once(home, monkeypatch):
    _city(home)
    with MailSink(home) as sink:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_connection(sink.port))
        steps = ingest.run_once(settings_module.load())
        again = ingest.mail_receipts(settings_module.load())
        ingest.run_once(settings_module.load())
        messages = _received(sink)
    assert len(steps["mail"]["sent"]) == 2 and again["sent"] == []
    assert sorted(m["To"] for m in messages) == ["haishu2@example.gov.cn", "haishu@example.gov.cn"]  # not 鄞州区 (accepted)
    msg = messages[0]
    assert msg["Subject"] == "【基层走访】回执：海曙区“本周清单.xlsx”未通过校验，请修改后重新提交"
    body = msg.get_body(("plain",)).get_content()
    assert body.startswith("海曙区联络员：")
    assert "校验未通过，整份退回（共 2 个错误，须全部修改）" in body
    assert "第 4 行“办结日期”：办理状态为已办结，但没有填写办结日期" in body
    assert "如尚未办结，请把办理状态改为实际状态" in body
    assert "所属区县应为海曙区" in body
    assert "对统计的影响：本文件未采用；贵区县目前没有已接收的问题清单，本期统计计为未报送。" in body
    assert "重新提交：请在 2026年11月27日（星期五）18:00 前修改全部错误后重新提交" in body
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "本周清单_回执.xlsx"
    receipt = openpyxl.load_workbook(io.BytesIO(attachment.get_content()))
    assert receipt.sheetnames[0] == "回执"
    engine = warehouse.connect(settings_module.load().warehouse_url)
    with engine.connect() as conn:
        sent = conn.execute(sa.select(receipt_mails.c.email, receipt_mails.c.sent_at)).all()
    assert len(sent) == 2 and all(s.sent_at is not None for s in sent)


def test_accepted_receipts_are_mailed_when_the_setting_says_all(home, monkeypatch):
    _city(home)
    monkeypatch.setenv("GRASSROOTS_RECEIPT_MAIL", "all")
    with MailSink(home) as sink:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_connection(sink.port))
        ingest.run_once(settings_module.load())
        messages = _received(sink)
    [accepted] = [m for m in messages if m["To"] == "yinzhou@example.gov.cn"]
    assert accepted["Subject"] == "【基层走访】回执：鄞州区“本周清单.xlsx”已接收"
    assert "已接收，采用 3 行" in accepted.get_body(("plain",)).get_content()


def test_without_a_mail_server_the_receipts_stay_queued(home, monkeypatch):
    _city(home)
    with MailSink() as gone:
        port = gone.port
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_connection(port))
    steps = ingest.run_once(settings_module.load())
    assert steps["mail"]["sent"] == [] and "smtp_default" in steps["mail"]["problem"]
    with MailSink(home) as sink:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_connection(sink.port))
        later = ingest.mail_receipts(settings_module.load())
        assert len(later["sent"]) == 2 and len(sink.messages) == 2


def test_the_dag_step_without_any_smtp_connection_leaves_the_receipts_queued(home, monkeypatch):
    """No smtp_default at all (the demo's ingest, a new install): the step warns and succeeds, the
    receipts wait in the queue; only a configured server that fails makes the task fail."""
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    _city(home)
    settings = settings_module.load()
    ingest.run_once(settings)
    result = ingest.mail_receipts(settings, strict=True)
    assert result["sent"] == [] and result["queued"] is True
    engine = warehouse.connect(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            waiting = conn.execute(sa.select(sa.func.count()).select_from(receipt_mails)
                                   .where(receipt_mails.c.sent_at.is_(None))).scalar_one()
    finally:
        engine.dispose()
    assert waiting >= 1
