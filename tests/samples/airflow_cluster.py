"""A real Airflow cluster for the slow tests, as production runs it but on this machine.

PostgreSQL holds the Airflow metadata and the warehouse (two fresh databases, dropped at the end),
the CeleryExecutor sends tasks through the local Redis (a database number of its own), and
`airflow scheduler`, `airflow dag-processor`, `airflow api-server` (which also serves the
execution API the workers talk to) and `airflow celery worker` run as subprocesses, each in its
own process group. Everything they log stays in test-artifacts/real-scheduler/<start time>-<tag>/.

Retry delays: the DAGs wait 2 minutes (then longer) before a retry. The cluster shortens that
with a cluster policy (airflow_local_settings.py in AIRFLOW_HOME/config, as any deployment may
have), so a test sees retries within seconds; the retry count still comes from GRASSROOTS_RETRIES.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import psutil
import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "real-scheduler"  # one folder per cluster, the newest few kept
KEEP_LOGS_OF = 3
PG = "postgres@127.0.0.1:5432"
PG_ADMIN_URL = f"postgresql+psycopg://{PG}/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
DAG_IDS = ("compute_metrics", "ingest_district_files", "send_submission_reminders", "send_summary_report")
STARTUP_LIMIT_S = 300  # how long `db migrate` or a service may take to come up on a busy machine
RETRY_DELAY_S = 3
HEARTBEAT_TIMEOUT_S = 30  # a task whose worker died is noticed after this long

CLUSTER_POLICY = '''\
"""Test cluster policy: retry after a few seconds instead of the DAGs' minutes (written by tests/airflow_cluster.py)."""

import os
from datetime import timedelta


def task_policy(task):
    seconds = os.environ.get("GRASSROOTS_TEST_RETRY_DELAY_SECONDS")
    if seconds:
        task.retry_delay = timedelta(seconds=float(seconds))
        task.retry_exponential_backoff = 0
'''

T = TypeVar("T")


class ClusterError(AssertionError):
    """The cluster did not get somewhere in time; the message carries what it was doing."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _tree(pid: int) -> list[psutil.Process]:
    """The process and every descendant (task runners live in process groups of their own)."""
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _signal_tree(procs: list[psutil.Process], sig: int) -> None:
    groups = set()
    for p in procs:
        try:
            groups.add(os.getpgid(p.pid))
        except (ProcessLookupError, PermissionError):
            pass
    own = os.getpgid(0)
    for group in groups - {own}:
        try:
            os.killpg(group, sig)
        except (ProcessLookupError, PermissionError):
            pass
    for p in procs:
        try:
            p.send_signal(sig)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass


# Started beside the cluster: if the test process dies without its teardown (killed, timed out),
# this kills every service's process group, drops the databases and empties the Redis database.
WATCHDOG = """
import json, os, signal, sys, time
job = json.loads(sys.argv[1])
while os.getppid() == job["parent"]:
    time.sleep(2)
for pgid in open(job["groups"]).read().split():
    try:
        os.killpg(int(pgid), signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
import psycopg, redis
with psycopg.connect(job["pg"], autocommit=True) as conn:
    for name in job["databases"]:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
redis.Redis(job["redis_host"], job["redis_port"], db=job["redis_db"]).flushdb()
"""


class Service:
    """One Airflow command running in its own process group, logging to its own file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], cwd: Path, logs: Path):
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "airflow", *args], env=env, cwd=cwd,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """kill -9 of the whole tree at once: the machine the service ran on is gone."""
        _signal_tree(_tree(self.proc.pid), signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, grace: float = 20) -> None:
        """SIGTERM to the tree, SIGKILL to whatever is left after `grace` seconds."""
        procs = _tree(self.proc.pid)
        _signal_tree(procs, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_alive(p) for p in procs):
            self.proc.poll()  # reaps our direct child, so it stops counting as alive
            time.sleep(0.5)
        _signal_tree([p for p in procs if _alive(p)], signal.SIGKILL)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class AirflowCluster:
    """Start with `start()`, stop with `stop()` (always, even after a failure: it is idempotent)."""

    def __init__(self, work: Path, smtp_port: int):
        self.work = work
        self.home = work / "home"  # GRASSROOTS_HOME
        self.inbox = self.home / "inbox"
        self.airflow_home = work / "airflow"
        tag = uuid.uuid4().hex[:10]
        self.meta_db = f"grassroots_rs_meta_{tag}"
        self.warehouse_db = f"grassroots_rs_wh_{tag}"
        self.queue = f"grassroots_rs_{tag}"
        self.tag = tag
        self.logs = ARTIFACTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{tag}"
        self.smtp_port = smtp_port
        self.api_port = free_port()
        self.base = f"http://127.0.0.1:{self.api_port}"
        self.log_ports = (free_port(), free_port())
        self.redis_db: int | None = None
        self.services: dict[str, Service] = {}
        self.sink = None  # the test's mail server, for the tests to read
        self._counts: dict[str, int] = {}
        self._token: str | None = None
        self._secrets = {"api": secrets.token_urlsafe(32), "jwt": secrets.token_urlsafe(32)}  # shared by all
        self._databases: list[str] = []
        self.meta: sa.Engine | None = None
        self.warehouse: sa.Engine | None = None
        self._watchdog: subprocess.Popen | None = None
        self._groups: Path | None = None

    # --- URLs and environment ---------------------------------------------------------------

    @property
    def warehouse_url(self) -> str:
        return f"postgresql+psycopg://{PG}/{self.warehouse_db}"

    def env(self) -> dict[str, str]:
        from grassroots.mail.sink import airflow_connection

        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "GRASSROOTS_"))}
        meta = f"{PG}/{self.meta_db}"
        return env | {
            "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base}/execution/",
            "AIRFLOW__CORE__AUTH_MANAGER":
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.airflow_home / "passwords.json"),
            "AIRFLOW__API__BASE_URL": self.base,
            "AIRFLOW__API__SECRET_KEY": self._secrets["api"],
            "AIRFLOW__API_AUTH__JWT_SECRET": self._secrets["jwt"],
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{meta}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{meta}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_S),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "3",
            "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "15",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "15",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.logs / "task-logs"),
            # never the default 8793/8794 another Airflow on this machine may hold (logs are local files anyway)
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.log_ports[0]),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.log_ports[1]),
            "GRASSROOTS_HOME": str(self.home),
            "GRASSROOTS_WAREHOUSE_URL": self.warehouse_url,
            "GRASSROOTS_SETTLE_SECONDS": "0",
            "GRASSROOTS_RETRIES": "2",
            "GRASSROOTS_DEADLINE_FACTOR": "0",
            "GRASSROOTS_TEST_RETRY_DELAY_SECONDS": str(RETRY_DELAY_S),
            "AIRFLOW_CONN_SMTP_DEFAULT": airflow_connection(self.smtp_port),
        }

    # --- start and stop ---------------------------------------------------------------------

    def start(self) -> AirflowCluster:
        (self.logs / "task-logs").mkdir(parents=True)
        for old in sorted(p for p in ARTIFACTS.iterdir() if p.is_dir())[:-KEEP_LOGS_OF]:
            shutil.rmtree(old, ignore_errors=True)
        self.inbox.mkdir(parents=True)
        (self.airflow_home / "config").mkdir(parents=True)
        (self.airflow_home / "config" / "airflow_local_settings.py").write_text(CLUSTER_POLICY)
        (self.airflow_home / "passwords.json").write_text(json.dumps({"admin": "admin"}))
        self._create_databases()
        self._claim_redis_db()
        self._start_watchdog()
        self.cli("db", "migrate", timeout=STARTUP_LIMIT_S)
        self.cli("pools", "set", "warehouse_writes", "1", "grassroots warehouse merges, one at a time")
        self.meta = sa.create_engine(f"postgresql+psycopg://{PG}/{self.meta_db}", pool_pre_ping=True)
        self.warehouse = sa.create_engine(self.warehouse_url, pool_pre_ping=True)
        self.start_service("api-server", "api-server", "--host", "127.0.0.1", "--port", str(self.api_port),
                           "--workers", "1")
        self.start_service("dag-processor", "dag-processor")
        self.start_scheduler()
        self.start_worker()
        self.wait_until(self._api_up, STARTUP_LIMIT_S, "the api-server to answer")
        self.wait_until(self._dags_parsed, STARTUP_LIMIT_S, f"the DAGs {DAG_IDS} to be parsed")
        self.wait_for_worker()
        return self

    def stop(self) -> None:
        """Stop every process started, drop the databases, release the Redis database."""
        for service in list(self.services.values()):
            if service.alive:
                service.stop()
        self.services.clear()
        if self._groups is not None:
            self._groups.write_text("")  # all gone: the watchdog must not signal those ids ever again
        for engine in (self.meta, self.warehouse):
            if engine is not None:
                engine.dispose()
        self.meta = self.warehouse = None
        if self._databases:
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as conn:
                    for name in self._databases:
                        conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                admin.dispose()
            self._databases.clear()
        if self.redis_db is not None:
            redis.Redis(REDIS_HOST, REDIS_PORT, db=self.redis_db).flushdb()
            self.redis_db = None
        if self._watchdog is not None:  # the cleaning is done: it has nothing left to do
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None

    def _start_watchdog(self) -> None:
        self._groups = self.logs / "process-groups"
        self._groups.touch()
        job = {"parent": os.getpid(), "groups": str(self._groups), "pg": f"postgresql://{PG}/postgres",
               "databases": list(self._databases), "redis_host": REDIS_HOST, "redis_port": REDIS_PORT,
               "redis_db": self.redis_db}
        self._watchdog = subprocess.Popen([sys.executable, "-c", WATCHDOG, json.dumps(job)], start_new_session=True,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _create_databases(self) -> None:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                for name in (self.meta_db, self.warehouse_db):
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                    self._databases.append(name)
        finally:
            admin.dispose()

    def _claim_redis_db(self) -> None:
        """An empty Redis database nobody else claimed: the broker's queues stay out of anyone's way."""
        marker = "grassroots:real-scheduler:owner"
        for n in range(15, 0, -1):
            client = redis.Redis(REDIS_HOST, REDIS_PORT, db=n)
            if client.dbsize() == 0 and client.set(marker, self.tag, nx=True):
                self.redis_db = n
                return
        raise ClusterError("no free Redis database (1-15) on 127.0.0.1:6379")

    def cli(self, *args: str, timeout: float = 120) -> str:
        """An `airflow` command on this cluster; its output goes to test-artifacts too."""
        done = subprocess.run([sys.executable, "-m", "airflow", *args], env=self.env(), cwd=self.work,
                              capture_output=True, text=True, timeout=timeout)
        with (self.logs / "cli.log").open("a") as log:
            log.write(f"$ airflow {' '.join(args)}  -> {done.returncode}\n{done.stdout}\n{done.stderr}\n")
        if done.returncode:
            raise ClusterError(f"airflow {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return done.stdout

    def start_service(self, name: str, *args: str, env: dict[str, str] | None = None) -> Service:
        """Start `airflow <args>` as the cluster's `name` (a second start of a name is logged apart)."""
        self._counts[name] = self._counts.get(name, 0) + 1
        label = name if self._counts[name] == 1 else f"{name}-{self._counts[name]}"
        service = Service(label, list(args), self.env() | (env or {}), self.work, self.logs)
        self.services[name] = service
        with self._groups.open("a") as groups:
            groups.write(f"{service.proc.pid}\n")  # its own session: process group id = pid
        return service

    def start_scheduler(self) -> Service:
        return self.start_service("scheduler", "scheduler", "--skip-serve-logs")

    def start_worker(self, env: dict[str, str] | None = None) -> Service:
        """A Celery worker (2 slots) on the cluster's queue; `env` is added to its tasks' environment."""
        n = self._counts.get("worker", 0) + 1
        return self.start_service("worker", "celery", "worker", "--concurrency", "2", "--queues", self.queue,
                                  "--celery-hostname", f"{self.queue}-{n}@%h", "--skip-serve-logs", env=env)

    def wait_for_worker(self) -> None:
        self.wait_until(self._worker_ready, STARTUP_LIMIT_S, "the Celery worker to be ready")

    def kill(self, name: str) -> None:
        """kill -9 a service and everything it started (its running tasks too)."""
        self.services[name].kill()

    # --- readiness --------------------------------------------------------------------------

    def _api_up(self) -> bool:
        try:
            return httpx.get(f"{self.base}/api/v2/monitor/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def _dags_parsed(self) -> bool:
        with self.meta.connect() as conn:
            found = set(conn.execute(sa.text("SELECT dag_id FROM dag WHERE NOT is_stale")).scalars())
        return set(DAG_IDS) <= found

    def _worker_ready(self) -> bool:
        return " ready." in self.services["worker"].log.read_text(errors="replace")

    def wait_until(self, condition: Callable[[], T], limit: float, what: str, *, dag_id: str | None = None,
                   interval: float = 1.0) -> T:
        """Poll `condition` until it returns something truthy; fail with the cluster's state after `limit`."""
        deadline = time.monotonic() + limit
        while True:
            result = condition()
            if result:
                return result
            dead = [s.name for s in self.services.values() if not s.alive]
            if dead or time.monotonic() > deadline:
                reason = f"{', '.join(dead)} exited" if dead else f"not within {limit:.0f} s"
                raise ClusterError(f"waiting for {what}: {reason}\n{self.diagnostics(dag_id)}")
            time.sleep(interval)

    def diagnostics(self, dag_id: str | None = None) -> str:
        lines = [f"logs: {self.logs}"]
        if self.meta is not None:
            try:
                with self.meta.connect() as conn:
                    runs = conn.execute(sa.text(
                        "SELECT dag_id, run_id, run_type, state FROM dag_run ORDER BY id")).all()
                    tis = conn.execute(sa.text(
                        "SELECT dag_id, run_id, task_id, map_index, state, try_number FROM task_instance "
                        "WHERE :dag IS NULL OR dag_id = :dag ORDER BY dag_id, run_id, start_date NULLS LAST"),
                        {"dag": dag_id}).all()
                lines += ["runs:", *map(str, runs), "task instances:", *map(str, tis)]
            except sa.exc.SQLAlchemyError as e:
                lines.append(f"(metadata database: {e})")
        for service in self.services.values():
            lines += [f"--- {service.name} ({'running' if service.alive else 'exited'}):", _tail(service.log, 15)]
        return "\n".join(lines)

    # --- the REST API -----------------------------------------------------------------------

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        if self._token is None:
            response = httpx.post(f"{self.base}/auth/token", json={"username": "admin", "password": "admin"},
                                  timeout=60)
            response.raise_for_status()
            self._token = response.json()["access_token"]
        response = httpx.request(method, f"{self.base}{path}", headers={"Authorization": f"Bearer {self._token}"},
                                 timeout=60, **kwargs)
        if response.is_error:
            raise ClusterError(f"{method} {path}: {response.status_code} {response.text}")
        return response

    def unpause(self, *dag_ids: str) -> None:
        """Unpause the DAGs and wait until the scheduler has created the runs that brings: with
        catchup=False a cron DAG runs at once for its latest past tick (the report DAG: last Monday's
        report), then waits for the next tick."""
        for dag_id in dag_ids:
            self.api("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})

        def settled() -> bool:
            with self.meta.connect() as conn:
                due = conn.execute(sa.text(
                    "SELECT count(*) FROM dag WHERE dag_id = ANY(:dags) "
                    "AND (is_paused OR next_dagrun_create_after <= now())"), {"dags": list(dag_ids)}).scalar()
            return not due
        self.wait_until(settled, STARTUP_LIMIT_S, f"the scheduler to take up {dag_ids}")

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        """Trigger a run by hand (as the UI's Trigger button does); returns its run_id."""
        response = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return response.json()["dag_run_id"]

    # --- the metadata database ------------------------------------------------------------

    def runs(self, dag_id: str) -> list[dict]:
        with self.meta.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT run_id, run_type, state FROM dag_run WHERE dag_id = :dag ORDER BY id"), {"dag": dag_id})
            return [dict(r._mapping) for r in rows]

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        with self.meta.connect() as conn:
            return conn.execute(sa.text("SELECT state FROM dag_run WHERE dag_id = :dag AND run_id = :run"),
                                {"dag": dag_id, "run": run_id}).scalar()

    def task_instances(self, dag_id: str, run_id: str) -> dict[str, dict]:
        """{task_id (with [map_index] when mapped): {state, try_number}} of one run."""
        with self.meta.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT task_id, map_index, state, try_number FROM task_instance "
                "WHERE dag_id = :dag AND run_id = :run"), {"dag": dag_id, "run": run_id}).all()
        return {(t if m < 0 else f"{t}[{m}]"): {"state": s, "try_number": n} for t, m, s, n in rows}

    def runs_with_task(self, dag_id: str, task_id: str, state: str) -> list[str]:
        """The runs of the DAG in which the task is in that state now."""
        with self.meta.connect() as conn:
            return list(conn.execute(sa.text(
                "SELECT run_id FROM task_instance WHERE dag_id = :dag AND task_id = :task AND state = :state"),
                {"dag": dag_id, "task": task_id, "state": state}).scalars())

    def wait_for_run(self, dag_id: str, run_id: str, limit: float = 300) -> str:
        """Wait until the run is finished; returns its state ('success' or 'failed')."""
        return self.wait_until(
            lambda: (s if (s := self.run_state(dag_id, run_id)) in ("success", "failed") else None),
            limit, f"run {run_id} of {dag_id} to finish", dag_id=dag_id)

    def wait_until_idle(self, *dag_ids: str, limit: float = 300) -> None:
        """Wait until no run of these DAGs (default: any) is queued or running, Asset-triggered runs included."""
        def idle() -> bool:
            with self.meta.connect() as conn:
                return not conn.execute(sa.text(
                    "SELECT count(*) FROM dag_run WHERE state IN ('queued', 'running') "
                    "AND (cardinality(CAST(:dags AS text[])) = 0 OR dag_id = ANY(:dags))"),
                    {"dags": list(dag_ids)}).scalar()
        self.wait_until(idle, limit, f"the runs of {', '.join(dag_ids) or 'every DAG'} to finish")

    # --- the warehouse going away --------------------------------------------------------------

    def block_warehouse(self) -> None:
        """The warehouse is down: nobody may connect, and every open connection is cut."""
        self.warehouse.dispose()
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{self.warehouse_db}" ALLOW_CONNECTIONS false')
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
                             {"db": self.warehouse_db})
        finally:
            admin.dispose()

    def restore_warehouse(self) -> None:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{self.warehouse_db}" ALLOW_CONNECTIONS true')
        finally:
            admin.dispose()
