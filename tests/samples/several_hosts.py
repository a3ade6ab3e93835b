"""The real cluster of tests/airflow_cluster.py spread over several hosts on this machine.

Host 1 is this machine's own network: PostgreSQL, Redis, the api-server, the scheduler, the
dag-processor, the mail server and an SFTP server (OpenSSH, the districts' inbox and the file
store). Every worker host is a network namespace of its own (`ip netns`), joined to host 1 by a
veth pair with a /30 of its own, and a UTS namespace (its own hostname). A worker sees host 1 only
at that veth address: the SFTP server listens there, and socat forwards PostgreSQL, Redis, the
api-server and the mail server from there (host 1's router; the machine's services are not
reconfigured). Each worker has its own GRASSROOTS_HOME, AIRFLOW_HOME and log folder, nothing shared
but PostgreSQL, Redis and the SFTP file store.

Routing: each worker consumes the cluster's default queue and a queue of its own; a cluster policy
(GRASSROOTS_TEST_QUEUES) sends each ingest task to one host's queue so that consecutive tasks run
on different hosts.

Everything made is removed by `stop()`, and by the watchdog if the test process dies.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.samples.airflow_cluster import REDIS_PORT, STARTUP_LIMIT_S, AirflowCluster, ClusterError
from tests.samples.sftp_server import SftpServer

PG_PORT = 5432


def available() -> str | None:
    """Why worker hosts cannot be made here, or None."""
    for tool in ("ip", "socat", "unshare"):
        if not shutil.which(tool):
            return f"{tool} is needed (make system-deps installs iproute2 and socat)"
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    if probe.returncode:
        return f"network namespaces are not available: {probe.stderr.strip()}"
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode:
        raise ClusterError(f"ip {' '.join(args)}: {done.stderr.strip()}")


@dataclass
class Host:
    """A worker host: a network namespace joined to host 1 by a veth pair."""

    name: str  # its hostname
    netns: str
    gateway: str  # host 1 as this host sees it
    address: str
    folder: Path  # its own local disk

    @property
    def prefix(self) -> tuple[str, ...]:
        """Run a command on this host: its network, its hostname (each `exec`s what follows)."""
        return ("ip", "netns", "exec", self.netns, "unshare", "--uts", "--",
                "sh", "-c", 'hostname "$0" && exec "$@"', self.name)


class SeveralHostsCluster(AirflowCluster):
    """Scheduler, api-server and dag-processor on host 1; one Celery worker on each worker host."""

    def __init__(self, work: Path, smtp_port: int, hosts: tuple[str, ...] = ("host-a", "host-b")):
        super().__init__(work, smtp_port)
        self.sftp = SftpServer(work / "sftp")
        self.inbox = self.sftp.root / "inbox"  # the SFTP server's disk (the test may look at it)
        self.store = self.sftp.root / "store"
        net = f"10.{random.randint(200, 250)}.{random.randint(0, 255)}"
        self.hosts = [Host(name, f"gr-{self.tag[:6]}-{n}", f"{net}.{4 * n + 1}", f"{net}.{4 * n + 2}",
                           work / name) for n, name in enumerate(hosts)]
        self.routes: dict[str, str] = {}  # task_id -> the host whose queue it goes to
        self._made: list[Host] = []
        self._forwarders: list[subprocess.Popen] = []

    def queue_of(self, host: str) -> str:
        return f"{self.queue}-{host}"

    # --- environment ------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return super().env() | self.sftp.env() | {
            "GRASSROOTS_INBOX": self.sftp.url("inbox"),
            "GRASSROOTS_FILE_STORE": self.sftp.url("store"),
            "GRASSROOTS_TEST_QUEUES": json.dumps({task: self.queue_of(host) for task, host in self.routes.items()}),
        }

    def host_env(self, host: Host) -> dict[str, str]:
        """What differs on a worker host: host 1 at its veth address, its own local folders."""
        from grassroots.mail.sink import airflow_connection

        pg = f"postgres@{host.gateway}:{PG_PORT}"
        return self.sftp.env(host.gateway) | {
            "AIRFLOW_HOME": str(host.folder / "airflow"),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{host.gateway}:{self.api_port}/execution/",
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "socket.gethostname",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}/{self.meta_db}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{host.gateway}:{REDIS_PORT}/{self.redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{pg}/{self.meta_db}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(host.folder / "task-logs"),
            "GRASSROOTS_HOME": str(host.folder / "home"),
            "GRASSROOTS_WAREHOUSE_URL": f"postgresql+psycopg://{pg}/{self.warehouse_db}",
            "AIRFLOW_CONN_SMTP_DEFAULT": airflow_connection(self.smtp_port, host=host.gateway),
        }

    # --- start and stop ---------------------------------------------------------------------

    def start(self, routes: dict[str, str] | None = None) -> SeveralHostsCluster:
        self.routes = dict(routes or {})
        (self.logs / "task-logs").mkdir(parents=True)
        (self.airflow_home / "config").mkdir(parents=True)
        from tests.samples.airflow_cluster import CLUSTER_POLICY

        (self.airflow_home / "config" / "airflow_local_settings.py").write_text(CLUSTER_POLICY)
        (self.airflow_home / "passwords.json").write_text(json.dumps({"admin": "admin"}))
        self._create_databases()
        self._claim_redis_db()
        self._start_watchdog(netns=tuple(h.netns for h in self.hosts))
        for host in self.hosts:
            self._make_host(host)
        self.sftp.listen = ("127.0.0.1", *(h.gateway for h in self.hosts))
        self.sftp.start()
        self.watch(self.sftp.proc.pid)
        for folder in (self.inbox, self.store):
            folder.mkdir(parents=True, exist_ok=True)
        self.cli("db", "migrate", timeout=STARTUP_LIMIT_S)
        self.cli("pools", "set", "warehouse_writes", "1", "grassroots warehouse merges, one at a time")
        import sqlalchemy as sa

        from tests.samples.airflow_cluster import PG

        self.meta = sa.create_engine(f"postgresql+psycopg://{PG}/{self.meta_db}", pool_pre_ping=True)
        self.warehouse = sa.create_engine(self.warehouse_url, pool_pre_ping=True)
        self.start_service("api-server", "api-server", "--host", "127.0.0.1", "--port", str(self.api_port),
                           "--workers", "1")
        for host in self.hosts:
            for port in (PG_PORT, REDIS_PORT, self.api_port, self.smtp_port):
                self._forward(host.gateway, port)
        self.start_service("dag-processor", "dag-processor")
        self.start_scheduler()
        for host in self.hosts:
            self.start_worker_on(host)
        self.wait_until(self._api_up, STARTUP_LIMIT_S, "the api-server to answer")
        self.wait_until(self._dags_parsed, STARTUP_LIMIT_S, "the DAGs to be parsed")
        for host in self.hosts:
            self.wait_for_worker_on(host)
        return self

    def _make_host(self, host: Host) -> None:
        veth = f"g{self.tag[:6]}{self.hosts.index(host)}"
        _ip("netns", "add", host.netns)
        self._made.append(host)
        _ip("link", "add", f"{veth}h", "type", "veth", "peer", "name", f"{veth}n")
        _ip("link", "set", f"{veth}n", "netns", host.netns)
        _ip("addr", "add", f"{host.gateway}/30", "dev", f"{veth}h")
        _ip("link", "set", f"{veth}h", "up")
        for args in (("addr", "add", f"{host.address}/30", "dev", f"{veth}n"), ("link", "set", f"{veth}n", "up"),
                     ("link", "set", "lo", "up")):
            _ip("netns", "exec", host.netns, "ip", *args)
        for sub in ("home", "airflow", "task-logs"):
            (host.folder / sub).mkdir(parents=True, exist_ok=True)

    def _forward(self, address: str, port: int) -> None:
        """Host 1's router: `address:port` on the veth leads to the service on 127.0.0.1:port."""
        log = (self.logs / "socat.log").open("ab")
        proc = subprocess.Popen(["socat", f"TCP-LISTEN:{port},bind={address},fork,reuseaddr",
                                 f"TCP:127.0.0.1:{port}"], stdout=log, stderr=log, start_new_session=True)
        self._forwarders.append(proc)
        self.watch(proc.pid)

    def start_worker_on(self, host: Host, env: dict[str, str] | None = None):
        """The Celery worker of `host`: the default queue and the host's own."""
        return self.start_service(
            f"worker-{host.name}", "celery", "worker", "--concurrency", "2",
            "--queues", f"{self.queue},{self.queue_of(host.name)}", "--celery-hostname", f"grassroots@{host.name}",
            "--skip-serve-logs", env=self.host_env(host) | (env or {}), prefix=host.prefix)

    def wait_for_worker_on(self, host: Host) -> None:
        service = self.services[f"worker-{host.name}"]
        self.wait_until(lambda: " ready." in service.log.read_text(errors="replace"), STARTUP_LIMIT_S,
                        f"the Celery worker on {host.name} to be ready")

    def lose(self, host: str) -> None:
        """kill -9 of the host's worker and every task it runs: the host is gone (and stays gone)."""
        self.services.pop(f"worker-{host}").kill()

    def take_over(self, dead: str, by: str) -> None:
        """The worker on `by` also consumes the queue of the dead host (celery control add_consumer),
        as an operator does when a host is gone for good."""
        from celery import Celery

        app = Celery(broker=f"redis://127.0.0.1:{REDIS_PORT}/{self.redis_db}")
        try:
            replies = app.control.add_consumer(self.queue_of(dead), destination=[f"grassroots@{by}"],
                                               reply=True, timeout=10)
        finally:
            app.close()
        if not replies:
            raise ClusterError(f"the worker on {by} did not answer add_consumer")

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            for proc in self._forwarders:  # socat and the children it forked per connection
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
            self._forwarders.clear()
            self.sftp.stop()
            for host in self._made:
                subprocess.run(["ip", "netns", "delete", host.netns], capture_output=True)
            self._made.clear()
