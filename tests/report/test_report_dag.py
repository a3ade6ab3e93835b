"""The report DAG end to end with `dag.test()`: a Monday run mails last week's report to everyone."""

from __future__ import annotations

import datetime as dt

from grassroots import warehouse
from grassroots.mail.sink import MailSink
from grassroots.report import store
from tests.report.test_report_send import connection_uri, populate, received


def test_send_summary_report_with_dag_test(airflow_db, home, settings, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    engine = warehouse.connect(settings.warehouse_url)
    warehouse.upgrade(engine)
    populate(engine)
    with MailSink(home) as sink:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", connection_uri(sink.port))
        dag = DagBag().get_dag("send_summary_report")
        # Monday 30 November 2026, 08:30 in Shanghai: the week ending Sunday the 29th
        run = dag.test(logical_date=dt.datetime(2026, 11, 30, 0, 30, tzinfo=dt.UTC))
        states = {ti.task_id: ti.state for ti in run.get_task_instances()}
        assert states == {"plan_reports": "success", "send_report": "success"}
        mails = received(sink)
    assert set(mails) == {"city@example.gov.cn", "Lead@Example.gov.cn", "haishu@example.gov.cn",
                          "yinzhou@example.gov.cn"}
    assert mails["haishu@example.gov.cn"]["Subject"] == "【基层走访】海曙区周报（截至2026年11月29日）"
    assert {(r["period"], r["as_of"]) for r in store.sent_log(engine)} == {("week", dt.date(2026, 11, 29))}
    engine.dispose()
