"""The hand-off between tasks through the file store: a local folder against SFTP.

    python -m bench.bench_file_store [--rows 3000] [--files 5]

Reads a --rows ledger once, then times, for a local file store (the default, GRASSROOTS_HOME) and
for one on a real SFTP server on loopback (OpenSSH, as tests/sftp_server.py starts it): archiving
the file, handoff.save (read task), handoff.load (validate and merge tasks each do it) and
handoff.discard, per file, over --files files. Baseline: the local store, i.e. one host.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from grassroots import settings as settings_module
from grassroots.intake import archive, handoff, inbox, reader


def _settings(home: Path, store: str, inbox_url: str):
    return settings_module.load({"GRASSROOTS_HOME": str(home), "GRASSROOTS_FILE_STORE": store,
                                 "GRASSROOTS_INBOX": inbox_url, "GRASSROOTS_SETTLE_SECONDS": "0"})


def _round(settings, ledger: Path, files: int) -> dict[str, float]:
    sub = reader.read_submission(ledger, settings, name=ledger.name, checksum="x")
    timings: dict[str, list[float]] = {"archive": [], "save": [], "load x2": [], "discard": []}
    found = inbox.scan(settings).ready[0]
    for n in range(files):
        started = time.perf_counter()
        archive.archive_file(found, settings)
        timings["archive"].append(time.perf_counter() - started)
        target = handoff.folder(settings, n + 1)
        started = time.perf_counter()
        handoff.save(sub, target)
        timings["save"].append(time.perf_counter() - started)
        started = time.perf_counter()
        handoff.load(target)
        handoff.load(target)
        timings["load x2"].append(time.perf_counter() - started)
        started = time.perf_counter()
        handoff.discard(settings, n + 1)
        timings["discard"].append(time.perf_counter() - started)
    return {k: statistics.median(v) for k, v in timings.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_file_store", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--files", type=int, default=5)
    args = parser.parse_args(argv)
    from tests.samples import sftp_server
    from tests.samples.ingest import ledger_rows, settle, write_ledger

    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        work = Path(tmp)
        rows = [[f"HS-{n:06d}", *ledger_rows("海曙区", 1)[0][1:]] for n in range(args.rows)]
        local_inbox = work / "home" / "inbox"
        ledger = write_ledger(local_inbox / "海曙区", "ledger.xlsx", rows, __import__("datetime").date(2026, 11, 20))
        settle(ledger)
        print(f"ledger: {args.rows} rows, {ledger.stat().st_size / 1024:.0f} KiB; median seconds per file "
              f"over {args.files} files")
        results = {"local (baseline)": _round(_settings(work / "home", str(work / "home"), str(local_inbox)),
                                              ledger, args.files)}
        if missing := sftp_server.available():
            print(f"SFTP skipped: {missing}")
        else:
            with sftp_server.SftpServer(work / "sftp") as server:
                os.environ.update(server.env())
                remote_inbox = server.root / "inbox" / "海曙区"
                remote_inbox.mkdir(parents=True)
                (remote_inbox / ledger.name).write_bytes(ledger.read_bytes())
                settle(remote_inbox / ledger.name)
                (server.root / "store").mkdir()
                results["SFTP on loopback"] = _round(
                    _settings(work / "home2", server.url("store"), server.url("inbox")), ledger, args.files)
        print(f"{'store':<18}" + "".join(f"{k:>10}" for k in next(iter(results.values()))))
        for name, timings in results.items():
            print(f"{name:<18}" + "".join(f"{v:>10.3f}" for v in timings.values()))


if __name__ == "__main__":
    main()
