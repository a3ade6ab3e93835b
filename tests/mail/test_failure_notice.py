"""A task that fails for good e-mails the operators, saying what to do; the run resumes later."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

from grassroots import dag_support, ingest
from grassroots import settings as settings_module
from grassroots.mail.sink import MailSink, airflow_connection
from tests.samples.ingest import ledger_rows, write_ledger, write_reference

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:9/warehouse"


def test_failure_mail_says_what_to_do():
    subject, body = dag_support.failure_message("ingest_district_files", "merge_submissions", "connection refused")
    assert "merge_submissions" in subject and "connection refused" in body
    assert "无需移动任何文件" in body


def test_warehouse_down_fails_the_run_and_mails_operators(airflow_db, home, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    write_reference(home / "inbox")
    write_ledger(home / "inbox" / "海曙区", "a.xlsx", ledger_rows("海曙区"), dt.date(2026, 11, 20))
    monkeypatch.setenv("GRASSROOTS_WAREHOUSE_URL", UNREACHABLE)
    monkeypatch.setenv("GRASSROOTS_OPERATOR_EMAILS", "ops@example.gov.cn, duty@example.gov.cn")
    monkeypatch.setenv("GRASSROOTS_DEADLINE_FACTOR", "0")  # dag.test() cannot run DAGs with deadlines
    with MailSink(home) as sink:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", airflow_connection(sink.port))
        dag = DagBag().get_dag("ingest_district_files")
        run = dag.test()
        messages = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sink.messages]
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["scan_inbox"] == "success" and states["receive_files"] == "failed"
    assert states["write_receipts"] != "success"
    [notice] = messages
    assert "receive_files" in notice["Subject"] and "ops@example.gov.cn" in notice["To"]
    body = notice.get_body(("html",)).get_content()
    assert "数据仓库" in body or "warehouse" in body.lower()
    # the warehouse is back: the next pass takes the same file, nobody touched the inbox
    monkeypatch.delenv("GRASSROOTS_WAREHOUSE_URL")
    steps = ingest.run_once(settings_module.load())
    assert len(steps["merge"]["merged"]) == 2 and steps["merge"]["changed"]
