"""The DAGs under a real scheduler, not `dags test`: PostgreSQL metadata, CeleryExecutor on Redis.

One cluster (tests/airflow_cluster.py) for the module: districts drop files into the inbox, the
scheduler runs the ingest, the warehouse Asset starts the metrics, the report e-mails reach a
local mail server. Then the faults: the scheduler and the worker killed while a merge is inside
its transaction, and the warehouse refusing connections for a while. Nothing is lost, nothing is
merged twice, and nobody touches a file. Logs: test-artifacts/real-scheduler/.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json

import pytest
import redis
import sqlalchemy as sa

from grassroots import metrics
from grassroots.mail.sink import MailSink
from grassroots.warehouse import merge as merge_module
from grassroots.warehouse import schema
from tests.samples.airflow_cluster import PG_ADMIN_URL, REDIS_HOST, REDIS_PORT, AirflowCluster
from tests.samples.ingest import ledger_rows, write_ledger, write_reference

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.real_clock]

INGEST, METRICS, REPORT = "ingest_district_files", "compute_metrics", "send_summary_report"
AS_OF = dt.date(2026, 11, 27)
RUN_LIMIT_S = 300  # a run may wait this long on a busy machine (a killed task adds ~1 min)


def _services_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 5})
        with engine.connect():
            pass
        engine.dispose()
        redis.Redis(REDIS_HOST, REDIS_PORT, socket_connect_timeout=5).ping()
    except Exception as e:  # noqa: BLE001 - any failure means: no services here
        return f"PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379 are needed: {e}"
    return None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if missing := _services_reachable():
        pytest.skip(missing)
    work = tmp_path_factory.mktemp("real-scheduler")
    with MailSink(work / "home") as sink:
        airflow = AirflowCluster(work, sink.port)
        airflow.sink = sink
        try:
            airflow.start()
            # unpaused, the report DAG at once sends last Monday's report: to nobody while the
            # warehouse holds no recipients yet, so it must be done before any file is dropped
            airflow.unpause(INGEST, METRICS, REPORT)
            airflow.wait_until_idle(REPORT)
            yield airflow
        finally:
            airflow.stop()


# --- what the warehouse holds ---------------------------------------------------------------

def _submission(cluster, file_name: str) -> list[dict]:
    with cluster.warehouse.connect() as conn:
        rows = conn.execute(sa.select(schema.submissions).where(schema.submissions.c.file_name == file_name))
        return [dict(r._mapping) for r in rows]


def _history_of(cluster, submission_id: int) -> list[str]:
    """The case ids of the case_history versions the submission wrote (those it changed or added)."""
    with cluster.warehouse.connect() as conn:
        return list(conn.execute(sa.select(schema.case_history.c.case_id)
                                 .where(schema.case_history.c.submission_id == submission_id)).scalars())


def _cases(cluster, district: str) -> dict[str, dict]:
    with cluster.warehouse.connect() as conn:
        rows = conn.execute(sa.select(schema.cases).where(schema.cases.c.district == district))
        return {r.case_id: dict(r._mapping) for r in rows}


def _has_reference(cluster) -> bool:
    try:
        with cluster.warehouse.connect() as conn:
            return bool(conn.execute(sa.select(sa.func.count()).select_from(schema.districts)).scalar())
    except sa.exc.ProgrammingError:  # not migrated yet: nothing ran
        return False


def _ensure_reference(cluster) -> None:
    """The reference data in the warehouse (the first test puts it there; a test run alone does it here)."""
    if not _has_reference(cluster):
        write_reference(cluster.inbox)
        assert cluster.wait_for_run(INGEST, cluster.trigger(INGEST), RUN_LIMIT_S) == "success"
    cluster.wait_until_idle()


def _accepted_once(cluster, file_name: str, case_ids: list[str]) -> dict:
    """The file is one submission, accepted, its receipt written, each case in the warehouse and in
    its history at most once from this file."""
    [sub] = _submission(cluster, file_name)
    assert (sub["state"], sub["fate"], sub["rows_accepted"]) == ("done", "accepted", len(case_ids))
    assert sub["receipt_path"] and (cluster.inbox / sub["district"] / "回执").is_dir()
    written = _history_of(cluster, sub["id"])  # versions: a case the file repeats unchanged gets none
    assert len(written) == len(set(written)) and set(written) <= set(case_ids)
    assert set(case_ids) <= set(_cases(cluster, sub["district"]))
    return sub


def _received(sink) -> dict[str, email.message.EmailMessage]:
    out = {}
    for path in sink.messages:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert msg["X-Sink-Rcpt-To"] not in out, f"{msg['X-Sink-Rcpt-To']} got two messages"
        out[msg["X-Sink-Rcpt-To"]] = msg
    return out


# --- the happy path -------------------------------------------------------------------------

def test_dropped_files_become_cases_figures_and_report_mails(cluster):
    write_reference(cluster.inbox)
    ledger = write_ledger(cluster.inbox / "海曙区", "海曙区问题清单.xlsx", ledger_rows("海曙区"), dt.date(2026, 11, 20))

    run_id = cluster.trigger(INGEST)
    assert cluster.wait_for_run(INGEST, run_id, RUN_LIMIT_S) == "success"
    [reference] = _submission(cluster, "基础数据.xlsx")
    assert (reference["state"], reference["fate"]) == ("done", "accepted")
    _accepted_once(cluster, ledger.name, ["HS-001", "HS-002", "HS-003"])
    assert set(_cases(cluster, "海曙区")) == {"HS-001", "HS-002", "HS-003"}
    assert ledger.exists()  # the district's file stays where the district put it

    # the report, by hand, while the warehouse Asset has the scheduler compute the figures
    report_run = cluster.trigger(REPORT, {"as_of": AS_OF.isoformat(), "period": "week"})

    def metrics_run():
        done = [r for r in cluster.runs(METRICS) if r["run_type"] == "asset_triggered"
                and r["state"] in ("success", "failed")]
        return done[-1] if done else None

    assert cluster.wait_until(metrics_run, RUN_LIMIT_S, "compute_metrics started by the Asset",
                              dag_id=METRICS)["state"] == "success"
    # its snapshots of today (the month's: the weekly report below keeps only weeks)
    with cluster.warehouse.connect() as conn:
        snapshots = conn.execute(sa.text(
            "SELECT as_of, figures FROM metric_snapshots WHERE period = 'month' AND scope = '全市'")).all()
    today = {metrics.today(), metrics.today() - dt.timedelta(days=1)}  # the run may have begun before midnight
    [city] = [json.loads(f) for as_of, f in snapshots if as_of in today]
    assert (city["total"], city["scope"], city["period"]) == (3, "全市", "month")

    assert cluster.wait_for_run(REPORT, report_run, RUN_LIMIT_S) == "success"
    mails = _received(cluster.sink)
    assert set(mails) == {"city@example.gov.cn", "haishu@example.gov.cn"}
    assert mails["city@example.gov.cn"]["Subject"] == "【基层走访】全市周报（截至2026年11月27日）"
    assert mails["haishu@example.gov.cn"]["Subject"] == "【基层走访】海曙区周报（截至2026年11月27日）"
    for address, district in (("city@example.gov.cn", None), ("haishu@example.gov.cn", "海曙区")):
        text = mails[address].get_body(("plain",)).get_content()
        headline = metrics.compute(cluster.warehouse, AS_OF, district=district)["headline"]
        assert "累计梳理问题3个" in headline and headline in text
        assert "累计梳理问题：3个" in text
    cluster.wait_until_idle()


# --- the faults -----------------------------------------------------------------------------

def test_scheduler_and_worker_killed_inside_a_merge_lose_nothing_and_merge_nothing_twice(cluster):
    """kill -9 of the scheduler and of the worker (its tasks too) while the merge holds its rows,
    uncommitted; a new scheduler and worker finish the same run, each case merged once."""
    _ensure_reference(cluster)
    mails_before = len(cluster.sink.messages)
    # a worker whose merges stop just before COMMIT (the warehouse's fault-test hook)
    paused = cluster.work / "merge-paused"
    cluster.services["worker"].stop()
    cluster.start_worker(env={merge_module.PAUSE_ENV: "before_commit", merge_module.PAUSE_FILE_ENV: str(paused)})
    cluster.wait_for_worker()
    rows = ledger_rows("鄞州区", n=5)
    case_ids = [r[0] for r in rows]
    ledger = write_ledger(cluster.inbox / "鄞州区", "鄞州区问题清单.xlsx", rows, dt.date(2026, 11, 20))

    triggered = cluster.trigger(INGEST)
    cluster.wait_until(paused.exists, RUN_LIMIT_S, "the merge to reach its pause", dag_id=INGEST, interval=0.2)
    [sub] = _submission(cluster, ledger.name)
    assert sub["state"] == "validated" and _history_of(cluster, sub["id"]) == []  # written, not committed
    # the run holding the merge: ours, or a scheduled one that came first (the DAG runs every 15 minutes)
    [victim] = cluster.runs_with_task(INGEST, "merge_submissions", "running")
    cluster.kill("scheduler")
    cluster.kill("worker")

    cluster.start_scheduler()
    cluster.start_worker()
    assert cluster.wait_for_run(INGEST, victim, RUN_LIMIT_S) == "success"
    tasks = cluster.task_instances(INGEST, victim)
    assert tasks["merge_submissions"]["try_number"] >= 2  # the killed try, then the retry that merged
    assert tasks["publish_warehouse"]["state"] == "success"  # so the figures follow
    assert cluster.wait_for_run(INGEST, triggered, RUN_LIMIT_S) == "success"
    _accepted_once(cluster, ledger.name, case_ids)
    assert set(_cases(cluster, "鄞州区")) == set(case_ids)
    cluster.wait_until_idle()
    assert len(cluster.sink.messages) == mails_before


def test_warehouse_down_fails_runs_that_retry_and_the_next_run_catches_up(cluster):
    _ensure_reference(cluster)
    rows = ledger_rows("鄞州区", n=6)
    case_ids = [r[0] for r in rows]
    cluster.block_warehouse()
    try:
        ledger = write_ledger(cluster.inbox / "鄞州区", "鄞州区问题清单第二周.xlsx", rows, AS_OF)
        down = cluster.trigger(INGEST)
        assert cluster.wait_for_run(INGEST, down, RUN_LIMIT_S) == "failed"
    finally:
        cluster.restore_warehouse()
    tasks = cluster.task_instances(INGEST, down)
    assert tasks["scan_inbox"]["state"] == "success"
    assert tasks["receive_files"] == {"state": "failed", "try_number": 3}  # GRASSROOTS_RETRIES=2: tried 3 times
    assert tasks["merge_submissions"]["state"] == "upstream_failed"
    assert _submission(cluster, ledger.name) == []
    assert ledger.exists()

    # the warehouse is back: the next run takes the same file, nobody moved anything
    again = cluster.trigger(INGEST)
    assert cluster.wait_for_run(INGEST, again, RUN_LIMIT_S) == "success"
    sub = _accepted_once(cluster, ledger.name, case_ids)
    cases = _cases(cluster, "鄞州区")
    assert set(cases) == set(case_ids)
    assert {c["missing_since"] for c in cases.values()} == {None}  # the newer week lists every case
    assert cases[case_ids[-1]]["submission_id"] == sub["id"]  # its new case; unchanged ones keep their first file
    cluster.wait_until_idle()
