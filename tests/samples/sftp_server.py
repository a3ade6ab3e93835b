"""A real SFTP server for the tests: Debian's OpenSSH sshd, started on a free port with its own
sshd_config, host key and authorized key, serving only SFTP (internal-sftp) from plain folders.

Nothing of the machine's own sshd is touched: the server runs in the foreground (-D) from a
config file in the test's folder and is stopped with the test. Airflow reaches it through the SFTP
provider's ObjectStoragePath (sshfs), with a connection given as AIRFLOW_CONN_<ID>.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"
CONN_ID = "grassroots_sftp"
STARTUP_LIMIT_S = 30


def available() -> str | None:
    """Why an SFTP server cannot run here, or None."""
    if not Path(SSHD).exists() or not shutil.which("ssh-keygen"):
        return "Debian's openssh-server is needed (make system-deps installs it)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SftpServer:
    """`with SftpServer(folder) as sftp:` serves `folder/files` over SFTP on 127.0.0.1:sftp.port."""

    def __init__(self, work: Path, listen: tuple[str, ...] = ("127.0.0.1",), conn_id: str = CONN_ID):
        self.work = work
        self.root = work / "files"  # what the server shows; paths on the server are these absolute paths
        self.listen = listen
        self.conn_id = conn_id
        self.port = _free_port()
        self.user = getpass.getuser()
        self.client_key = work / "ssh" / "client_key"
        self.log = work / "ssh" / "sshd.log"
        self.proc: subprocess.Popen | None = None

    # --- what the clients use -------------------------------------------------------------------

    def url(self, folder: str) -> str:
        """The ObjectStoragePath URL of a folder below the served root."""
        return f"sftp://{self.conn_id}@{self.root / folder}"

    def connection(self, host: str = "127.0.0.1") -> str:
        """The Airflow connection (JSON form) of the server as reached from `host`."""
        return json.dumps({"conn_type": "sftp", "host": host, "port": self.port, "login": self.user,
                           "extra": {"key_file": str(self.client_key), "no_host_key_check": "true"}})

    def env(self, host: str = "127.0.0.1") -> dict[str, str]:
        return {f"AIRFLOW_CONN_{self.conn_id.upper()}": self.connection(host)}

    # --- start and stop -------------------------------------------------------------------------

    def __enter__(self) -> SftpServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> SftpServer:
        ssh = self.work / "ssh"
        ssh.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        host_key = ssh / "host_ed25519"
        for key in (host_key, self.client_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        authorized = ssh / "authorized_keys"
        authorized.write_text(Path(f"{self.client_key}.pub").read_text())
        authorized.chmod(0o600)
        config = ssh / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}",
            *(f"ListenAddress {address}" for address in self.listen),
            f"HostKey {host_key}",
            f"PidFile {ssh / 'sshd.pid'}",
            f"AuthorizedKeysFile {authorized}",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "StrictModes no",
            "UsePAM no",
            "AllowTcpForwarding no",
            "X11Forwarding no",
            "PrintMotd no",
            "MaxStartups 100:30:200",
            "MaxSessions 100",
            "Subsystem sftp internal-sftp",
            "ForceCommand internal-sftp",
            "",
        ]))
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory (empty)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while not self._listening():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sshd did not start:\n{self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        return self

    def _listening(self) -> bool:
        try:
            with socket.create_connection((self.listen[0], self.port), timeout=1) as s:
                return s.recv(4).startswith(b"SSH")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
