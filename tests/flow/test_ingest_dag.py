"""The ingest DAG end to end with `dag.test()` over a temporary inbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from grassroots import warehouse
from grassroots.warehouse.schema import cases, submissions
from tests.samples.ingest import ledger_rows, settle, write_ledger, write_reference


def test_ingest_district_files_with_dag_test(airflow_db, home, settings):
    from airflow.dag_processing.dagbag import DagBag

    inbox = home / "inbox"
    write_reference(inbox)
    write_ledger(inbox / "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), dt.date(2026, 11, 20))
    (inbox / "鄞州区").mkdir()
    (inbox / "鄞州区" / "坏.csv").write_bytes("不是表格".encode("gb18030"))
    settle(inbox / "鄞州区" / "坏.csv")

    dag = DagBag().get_dag("ingest_district_files")
    run = dag.test()

    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["scan_inbox"] == "success" and states["write_receipts"] == "success"
    assert states["validate_submissions"] == "success" and states["publish_warehouse"] == "success"
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        fates = dict(conn.execute(select(submissions.c.file_name, submissions.c.fate)).all())
        n_cases = conn.execute(select(func.count()).select_from(cases)).scalar()
    assert fates == {"基础数据.xlsx": "accepted", "海曙区问题清单.xlsx": "accepted", "坏.csv": "rejected"}
    assert n_cases == 3
    assert list((inbox / "鄞州区" / "回执").iterdir())
