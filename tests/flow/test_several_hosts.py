"""The DAGs on several hosts sharing nothing but PostgreSQL, Redis and the SFTP file store.

Scheduler, api-server and dag-processor on host 1; a Celery worker on host-a and one on host-b,
each a network namespace with its own hostname and local folders (tests/several_hosts.py). The
routing sends consecutive ingest tasks of a run to different hosts, so every hand-off between
tasks goes through the file store or the warehouse. A ledger dropped on the SFTP inbox ends in the
warehouse and the report mails as on one host; a worker killed (kill -9) inside a merge is
replaced by the other, and the file is merged once. Logs: test-artifacts/real-scheduler/.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa

from grassroots import metrics
from grassroots.mail.sink import MailSink
from grassroots.warehouse import merge as merge_module
from tests.flow.test_real_scheduler import (
    AS_OF,
    INGEST,
    METRICS,
    REPORT,
    RUN_LIMIT_S,
    _cases,
    _history_of,
    _received,
    _services_reachable,
    _submission,
)
from tests.samples import several_hosts, sftp_server
from tests.samples.ingest import ledger_rows, settle, write_ledger, write_reference

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.real_clock]

# consecutive tasks on different hosts: each edge of the ingest DAG crosses from one host to the other
ROUTES = {
    "scan_inbox": "host-a", "receive_files": "host-b", "read_submissions": "host-a",
    "validate_submissions": "host-b", "build_data_docs": "host-a", "merge_submissions": "host-a",
    "publish_warehouse": "host-b",
    "write_receipts": "host-b", "summarize": "host-a",
}
EDGES = [("scan_inbox", "receive_files"), ("receive_files", "read_submissions"),
         ("read_submissions", "validate_submissions"), ("validate_submissions", "merge_submissions"),
         ("validate_submissions", "build_data_docs"),
         ("merge_submissions", "publish_warehouse"), ("merge_submissions", "write_receipts"),
         ("write_receipts", "summarize")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    for missing in (_services_reachable(), sftp_server.available(), several_hosts.available()):
        if missing:
            pytest.skip(missing)
    work = tmp_path_factory.mktemp("several-hosts")
    with MailSink(work / "mail") as sink:
        airflow = several_hosts.SeveralHostsCluster(work, sink.port)
        airflow.sink = sink
        try:
            airflow.start(routes=ROUTES)
            airflow.unpause(INGEST, METRICS, REPORT)
            airflow.wait_until_idle(REPORT)
            yield airflow
        finally:
            airflow.stop()
    assert not [h for h in airflow.hosts if h.netns in _namespaces()]


def _namespaces() -> str:
    import subprocess

    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def _hosts_of(cluster, run_id: str) -> dict[str, str]:
    """{task_id: the hostname of the worker that ran its last try}."""
    with cluster.meta.connect() as conn:
        rows = conn.execute(sa.text("SELECT task_id, hostname FROM task_instance WHERE dag_id = :dag AND run_id = :run"),
                            {"dag": INGEST, "run": run_id}).all()
    return dict(rows)


def _drop(cluster, district: str, name: str, rows: list[list], as_of: dt.date):
    path = write_ledger(cluster.inbox / district, name, rows, as_of)
    settle(path)
    return path


def _receipt(cluster, district: str, sub: dict):
    folder = cluster.inbox / district / "回执"
    [path] = [p for p in folder.iterdir() if sub["receipt_path"].endswith(p.name)]
    return openpyxl.load_workbook(io.BytesIO(path.read_bytes())).worksheets[0]


def test_a_ledger_on_the_sftp_inbox_crosses_hosts_into_the_warehouse_and_the_report(cluster):
    write_reference(cluster.inbox)
    for p in (cluster.inbox / "_reference").iterdir():
        settle(p)
    ledger = _drop(cluster, "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), dt.date(2026, 11, 20))

    run_id = cluster.trigger(INGEST)
    assert cluster.wait_for_run(INGEST, run_id, RUN_LIMIT_S) == "success"
    hosts = _hosts_of(cluster, run_id)
    assert {hosts[t] for t in ROUTES} == {"host-a", "host-b"}
    for upstream, downstream in EDGES:
        assert hosts[upstream] != hosts[downstream], (upstream, downstream, hosts)

    [sub] = _submission(cluster, ledger.name)
    assert (sub["state"], sub["fate"], sub["rows_accepted"]) == ("done", "accepted", 3)
    assert sorted(_history_of(cluster, sub["id"])) == ["HS-001", "HS-002", "HS-003"]
    assert set(_cases(cluster, "海曙区")) == {"HS-001", "HS-002", "HS-003"}
    assert _receipt(cluster, "海曙区", sub)["C7"].value == "已接收"
    assert sub["archive_path"].startswith("sftp://") and sub["receipt_path"].startswith("sftp://")
    assert ledger.exists()
    # nothing was handed over through a worker's own disk: their homes hold no data, only the empty
    # lock files that keep two runs on one host off the same submission (across hosts the
    # warehouse's claim does that)
    for host in cluster.hosts:
        kept = [p for p in (host.folder / "home").rglob("*") if p.is_file()]
        assert [p for p in kept if p.parent.name != "locks" or p.stat().st_size] == [], host.name
    assert not [p for p in (cluster.store / "staging").rglob("*") if p.is_file()]

    # the figures and the report, as on one host
    report_run = cluster.trigger(REPORT, {"as_of": AS_OF.isoformat(), "period": "week"})

    def metrics_run():
        done = [r for r in cluster.runs(METRICS) if r["run_type"] == "asset_triggered"
                and r["state"] in ("success", "failed")]
        return done[-1] if done else None

    assert cluster.wait_until(metrics_run, RUN_LIMIT_S, "compute_metrics started by the Asset",
                              dag_id=METRICS)["state"] == "success"
    assert cluster.wait_for_run(REPORT, report_run, RUN_LIMIT_S) == "success"
    mails = _received(cluster.sink)
    assert set(mails) == {"city@example.gov.cn", "haishu@example.gov.cn"}
    assert mails["haishu@example.gov.cn"]["Subject"] == "【基层走访】海曙区周报（截至2026年11月27日）"
    for address, district in (("city@example.gov.cn", None), ("haishu@example.gov.cn", "海曙区")):
        text = mails[address].get_body(("plain",)).get_content()
        headline = metrics.compute(cluster.warehouse, AS_OF, district=district)["headline"]
        assert "累计梳理问题3个" in headline and headline in text
    cluster.wait_until_idle()


def test_a_worker_host_killed_inside_a_merge_is_replaced_by_the_other(cluster):
    """kill -9 of host-a's worker while its merge holds the rows uncommitted: host-b takes over the
    queue of host-a, retries the merge from the file store, and every case is merged once."""
    if not _submission(cluster, "基础数据.xlsx"):
        write_reference(cluster.inbox)
        for p in (cluster.inbox / "_reference").iterdir():
            settle(p)
    host_a = cluster.hosts[0]
    paused = host_a.folder / "merge-paused"
    cluster.services["worker-host-a"].stop()
    cluster.start_worker_on(host_a, env={merge_module.PAUSE_ENV: "before_commit",
                                         merge_module.PAUSE_FILE_ENV: str(paused)})
    cluster.wait_for_worker_on(host_a)
    rows = ledger_rows("鄞州区", n=5)
    case_ids = [r[0] for r in rows]
    ledger = _drop(cluster, "鄞州区", "鄞州区问题清单.xlsx", rows, dt.date(2026, 11, 20))

    triggered = cluster.trigger(INGEST)
    cluster.wait_until(paused.exists, RUN_LIMIT_S, "the merge on host-a to reach its pause", dag_id=INGEST,
                       interval=0.2)
    [sub] = _submission(cluster, ledger.name)
    assert sub["state"] == "validated" and _history_of(cluster, sub["id"]) == []
    [victim] = cluster.runs_with_task(INGEST, "merge_submissions", "running")
    cluster.lose("host-a")
    cluster.take_over("host-a", by="host-b")

    assert cluster.wait_for_run(INGEST, victim, RUN_LIMIT_S) == "success"
    tasks = cluster.task_instances(INGEST, victim)
    assert tasks["merge_submissions"]["try_number"] >= 2
    assert _hosts_of(cluster, victim)["merge_submissions"] == "host-b"
    assert cluster.wait_for_run(INGEST, triggered, RUN_LIMIT_S) == "success"
    [sub] = _submission(cluster, ledger.name)
    assert (sub["state"], sub["fate"], sub["rows_accepted"]) == ("done", "accepted", 5)
    assert sorted(_history_of(cluster, sub["id"])) == sorted(case_ids)  # merged once
    assert set(_cases(cluster, "鄞州区")) == set(case_ids)
    assert _receipt(cluster, "鄞州区", sub)["C7"].value == "已接收"
    cluster.wait_until_idle()
