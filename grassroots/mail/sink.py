"""A local mail server for the demo and the tests: it accepts every message on 127.0.0.1 and writes
it to $GRASSROOTS_HOME/outbox/sent/<n>.eml instead of delivering it.

    with MailSink(home) as sink:          # port 0: a free port, see sink.port
        ...send to 127.0.0.1:sink.port...
    python -m grassroots.mail.sink --port 8025

`refuse_after=n` makes it answer "421 service not available" to every message after the n-th,
as a mail server going down half-way through a send would.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
_NUMBERED = re.compile(r"^(\d+)\.eml$")


class _Handler:
    def __init__(self, folder: Path, refuse_after: int | None):
        self.folder = folder
        self.refuse_after = refuse_after
        self.accepted = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            if self.refuse_after is not None and self.accepted >= self.refuse_after:
                return "421 4.3.2 Service not available, closing transmission channel"
            self.folder.mkdir(parents=True, exist_ok=True)
            n = 1 + max((int(m.group(1)) for p in self.folder.iterdir() if (m := _NUMBERED.match(p.name))), default=0)
            content = envelope.original_content or envelope.content
            if isinstance(content, str):
                content = content.encode("utf-8")
            trace = (f"X-Sink-Mail-From: {envelope.mail_from}\r\n"
                     f"X-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n").encode()
            target = self.folder / f"{n}.eml"
            tmp = self.folder / f".{n}.eml.part"
            tmp.write_bytes(trace + content)
            os.replace(tmp, target)
            self.accepted += 1
        log.info("sink: message %s from %s to %s", target.name, envelope.mail_from, envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def airflow_connection(port: int, host: str = HOST) -> str:
    """The Airflow connection (JSON, for AIRFLOW_CONN_SMTP_DEFAULT) to a plain local server such as this sink."""
    import json

    return json.dumps({
        "conn_type": "smtp", "host": host, "port": port,
        "extra": {"from_email": "report@example.gov.cn", "disable_ssl": True, "disable_tls": True,
                  "timeout": 10, "retry_limit": 0},
    })


class MailSink:
    """An aiosmtpd server in a thread; a context manager that starts and stops it."""

    def __init__(self, home: Path | str | None = None, *, port: int = 0, refuse_after: int | None = None):
        from grassroots import settings

        self.home = Path(home) if home is not None else settings.load().home
        self.folder = self.home / "outbox" / "sent"
        self.requested_port = port
        self.handler = _Handler(self.folder, refuse_after)
        self.controller = None

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def messages(self) -> list[Path]:
        """The messages received so far, in the order they came."""
        if not self.folder.exists():
            return []
        found = [(int(m.group(1)), p) for p in self.folder.iterdir() if (m := _NUMBERED.match(p.name))]
        return [p for _, p in sorted(found)]

    def refuse_after(self, n: int | None) -> None:
        self.handler.refuse_after = None if n is None else self.handler.accepted + n

    def start(self) -> MailSink:
        from aiosmtpd.controller import Controller

        class _Controller(Controller):
            def _trigger_server(self):
                # with port 0 the OS picked one: learn it before aiosmtpd connects to check itself
                self.port = self.server.sockets[0].getsockname()[1]
                super()._trigger_server()

        self.folder.mkdir(parents=True, exist_ok=True)
        self.controller = _Controller(self.handler, hostname=HOST, port=self.requested_port,
                                      data_size_limit=50 * 1024 * 1024)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grassroots.mail.sink",
                                     description="本地邮件接收器：收到的邮件写入 $GRASSROOTS_HOME/outbox/sent/")
    parser.add_argument("--port", type=int, default=8025, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--home", help="default: GRASSROOTS_HOME")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with MailSink(args.home, port=args.port) as sink:
        print(f"mail sink on {HOST}:{sink.port}, writing to {sink.folder}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
