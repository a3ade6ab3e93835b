"""The whole path of one large ledger, inbox to warehouse and receipt, against its stages' limits.

    python -m bench.bench_path [--rows 100000] [--csv-rows 1000000] [--only xlsx|csv] [--no-typical]

A 100k-row .xlsx ledger and a 1M-row CSV ledger are dropped in a district's inbox folder and go
through the real task functions of grassroots.ingest (scan, receive, read, validate, merge,
receipts) into a fresh PostgreSQL database (created and dropped here), in a child process whose
peak memory is the path's. Beside it, in the same run:
  (a) the bare stages: the read (calamine for .xlsx, pyarrow for CSV), GX on the same rules (the
      project's suite over the same frame, warm), COPY of the rows into an empty table, and an
      upsert of them from there into a keyed table; their sum is the serial limit;
  (b) the straightforward stack a typical project would write: pandas.read_excel with openpyxl
      (pandas.read_csv for CSV), GX on the whole frame, DataFrame.to_sql.
Aims: the path at >= 75% of (a)'s rate, >= 4x (b)'s, peak memory < 1 GB; the CSV >= 10,000 rows/s.
The receipt is timed on its own line too (it is being made streaming elsewhere). Each step's line
gives the CPU of the path's own process (the rest of its time is PostgreSQL's, on the other core,
or waiting), the step's own peak memory (the peak is reset before each step: in Airflow each step
is a task process of its own) and what it left resident for the next step of this one process. The CSV runs with the file limits raised
(GRASSROOTS_MAX_ROWS, GRASSROOTS_MAX_FILE_MB) as an operator taking such files would set them.
The bare stages are warm (GX imported and its suite run once before the timed run); the path's
steps share one child process, so their imports are paid once, where Airflow's tasks are each a
fresh process that pays them again. build_data_docs runs last and is printed beside the path, not
counted: in the DAG the merge does not wait for it.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from bench import memory

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("GRASSROOTS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DISTRICT = "海曙区"
STEPS = ("scan", "receive", "read", "validate", "merge", "receipts")


# --- the files --------------------------------------------------------------------------------

def write_csv(path: Path, rows: int) -> None:
    from tests.samples import validation as fx

    towns = ["鼓楼街道", "南门街道"]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(fx.LEDGER_HEADERS)
        for i in range(rows):
            row = fx.ledger_row(case_id=f"HS-{i:07d}", title=f"问题{i}：老旧小区加装电梯", town=towns[i % 2],
                                reported_on=dt.date(2026, 1, 1) + dt.timedelta(days=i % 300),
                                status=("未启动", "推进中", "取得实质性进展")[i % 3], funds_wan=i % 1000)
            w.writerow(["" if row.get(h) is None else row.get(h) for h in fx.LEDGER_HEADERS])


def write_file(folder: Path, kind: str, rows: int) -> Path:
    from bench.bench_validate import write_ledger

    path = folder / f"{DISTRICT}问题清单（截至2026年11月20日）.{kind}"
    if kind == "xlsx":
        write_ledger(path, rows, 0.0)
    else:
        write_csv(path, rows)
    return path


# --- the real path, in a child process ----------------------------------------------------------

def limits(rows: int) -> dict[str, str]:
    """The file limits an operator taking files of `rows` rows sets (the defaults refuse a 1M-row CSV)."""
    return {"GRASSROOTS_MAX_ROWS": str(max(rows, 200_000)), "GRASSROOTS_MAX_FILE_MB": str(max(100, rows // 4000))}


def child(home: str, url: str, rows: str) -> None:
    """Every task function in turn, as the DAG runs them; prints the step times and peak memory."""
    from grassroots import ingest
    from grassroots import settings as settings_module

    settings = settings_module.load({"GRASSROOTS_HOME": home, "GRASSROOTS_WAREHOUSE_URL": url, **limits(int(rows))})
    times = {}
    started = time.perf_counter()
    scanned = ingest.scan_inbox(settings)
    times["scan"] = time.perf_counter() - started
    steps = {"receive": lambda: ingest.receive_files(settings, scanned["ready"]),
             "read": lambda: ingest.read_submissions(settings), "validate": lambda: ingest.validate_submissions(settings),
             "merge": lambda: ingest.merge_submissions(settings), "receipts": lambda: ingest.write_receipts(settings),
             "datadocs": lambda: ingest.build_data_docs(settings)}  # off the path: the merge does not wait for it
    outcome, peaks, held, cpu = {}, {}, {}, {}
    path_peak = memory.kb("VmHWM:")
    for name, step in steps.items():
        memory.reset_peak()
        t0, c0 = time.perf_counter(), time.process_time()
        outcome[name] = step()
        times[name] = time.perf_counter() - t0
        cpu[name] = time.process_time() - c0  # this process's own CPU: the rest of the step is the database
        peaks[name] = memory.kb("VmHWM:")  # this step's own peak (the step's task process in Airflow)
        held[name] = memory.kb("VmRSS:")  # what it left resident for the next step of this one process
        path_peak = max(path_peak, peaks[name])
    assert outcome["merge"]["merged"], f"nothing merged: {outcome}"
    print(json.dumps({"times": times, "cpu": cpu, "peaks_kb": peaks, "held_kb": held, "peak_kb": path_peak}))


def real_path(home: Path, url: str, rows: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_path", "--child", str(home), url, str(rows)], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"the path failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the bare stages and the typical stack --------------------------------------------------------

def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def bare_stages(path: Path, engine: sa.Engine, settings) -> dict[str, float]:
    from bench.bench_merge import bare_load
    from bench.bench_validate import bare_read
    from grassroots import contract
    from grassroots.intake import reader
    from grassroots.validation import suites

    times = {}
    if path.suffix == ".xlsx":
        _, times["read (calamine)"] = _timed(lambda: bare_read(path))
    else:
        from pyarrow import csv as pacsv

        _, times["read (pyarrow csv)"] = _timed(lambda: pacsv.read_csv(path))
    table = reader.read_submission(path, settings).table(contract.LEDGER)
    suites.run(contract.LEDGER_SHEET, dataclasses.replace(table, text=table.text.head(3),
                                                          values=table.values.head(3)))  # warm: the suite built
    _, times["GX, same rules"] = _timed(lambda: suites.run(contract.LEDGER_SHEET, table))
    ledger = table.canonical("0" * 64)
    _, times["COPY"] = _timed(lambda: bare_load(engine, ledger))
    _, times["upsert"] = _timed(lambda: _bare_upsert(engine))
    return times


def _bare_upsert(engine: sa.Engine) -> None:
    """The COPYed rows into a table keyed by case id, INSERT ... ON CONFLICT DO UPDATE."""
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_keyed")
        conn.exec_driver_sql("CREATE TABLE bench_keyed (LIKE bench_bare_load)")
        conn.exec_driver_sql("ALTER TABLE bench_keyed ADD PRIMARY KEY (case_id)")
        columns = [r[0] for r in conn.exec_driver_sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'bench_bare_load'")]
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "case_id")
        conn.exec_driver_sql(f"INSERT INTO bench_keyed SELECT * FROM bench_bare_load "
                             f"ON CONFLICT (case_id) DO UPDATE SET {updates}")


def typical_stack(path: Path, engine: sa.Engine) -> dict[str, float]:
    """What a project would write first: pandas reads the file, GX checks the frame, to_sql loads it."""
    import pandas as pd

    from grassroots import contract
    from grassroots.validation import suites

    times = {}
    if path.suffix == ".xlsx":
        frame, times["pandas.read_excel (openpyxl)"] = _timed(lambda: pd.read_excel(
            path, sheet_name=contract.LEDGER_SHEET.name, header=1, engine="openpyxl", dtype=str))
    else:
        frame, times["pandas.read_csv"] = _timed(lambda: pd.read_csv(path, dtype=str))
    names = {c.header: c.field for c in contract.LEDGER_SHEET.columns}
    frame = frame.rename(columns=names)
    _, times["GX on the whole frame"] = _timed(lambda: _gx_whole_frame(frame, suites))
    _, times["DataFrame.to_sql"] = _timed(lambda: frame.to_sql("bench_typical", engine, if_exists="replace",
                                                                index=False))
    return times


def _gx_whole_frame(frame, suites) -> None:
    """The project's ledger suite over the frame as read (every column text, as pandas gave it)."""
    from grassroots import contract

    definition = suites._definition(contract.LEDGER_SHEET)
    wanted = {c.column for c in suites.checks_for(contract.LEDGER_SHEET) if c.column}
    whole = frame.reindex(columns=sorted(set(frame.columns) | wanted))
    definition.run(batch_parameters={"dataframe": whole}, result_format={"result_format": "COMPLETE"})


# --- the run -----------------------------------------------------------------------------------------

def _pg_database() -> tuple[str, Callable[[], None]]:
    from grassroots import warehouse

    admin = sa.create_engine(warehouse.db.normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"grassroots_bench_path_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return warehouse.db.normalize_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), drop


def run(kind: str, rows: int, typical: bool) -> list[tuple[str, str, str]]:
    from grassroots import settings as settings_module
    from grassroots import warehouse
    from tests.samples import validation as fx

    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-path-") as tmp:
        folder = Path(tmp)
        source = write_file(folder, kind, rows)
        url, drop = _pg_database()
        try:
            home = folder / "home"
            settings = settings_module.load({"GRASSROOTS_HOME": str(home), "GRASSROOTS_WAREHOUSE_URL": url,
                                             **limits(rows)})
            engine = warehouse.connect(url)
            warehouse.upgrade(engine)
            warehouse.replace_reference(engine, fx.reference())
            dropped = Path(settings.inbox) / DISTRICT / source.name
            dropped.parent.mkdir(parents=True, exist_ok=True)
            os.link(source, dropped)
            old = time.time() - 3600  # written an hour ago: settled, ready to take
            os.utime(dropped, (old, old))

            path = real_path(home, url, rows)
            t = path["times"]
            total = sum(v for k, v in t.items() if k in STEPS)
            bare = bare_stages(source, engine, settings)
            limit = sum(bare.values())
            label = f"{kind} {rows:,} rows"
            lines.append((f"{label}: inbox to warehouse + receipt", f"{total:.1f} s, {rows / total:,.0f} rows/s",
                          f"{(rows / total) / (rows / limit):.0%} of the bare stages' rate (aim >= 75%)"))
            no_receipt = total - t["receipts"]
            lines.append((f"{label}: the same without the receipt", f"{no_receipt:.1f} s, {rows / no_receipt:,.0f} rows/s",
                          f"{limit / no_receipt:.0%} of the bare stages' rate"))
            for name in (*STEPS, *(k for k in t if k not in STEPS)):
                own = (f"CPU here {path['cpu'][name]:.2f} s, peak in the step {path['peaks_kb'][name] / 1024:,.0f} MB, "
                       f"left resident {path['held_kb'][name] / 1024:,.0f} MB") if name in path["cpu"] else ""
                lines.append((f"  step {name}" if name in STEPS else f"  beside the path: {name}", f"{t[name]:.2f} s", own))
            peak = path["peak_kb"] / 1024
            lines.append((f"{label}: peak memory of the path", f"{peak:,.0f} MB", "aim < 1,024 MB"))
            if kind == "csv":
                lines.append((f"{label}: rate", f"{rows / total:,.0f} rows/s", "aim >= 10,000 rows/s"))
            lines.append((f"{label}: (a) bare stages, sum", f"{limit:.1f} s, {rows / limit:,.0f} rows/s", "the serial limit"))
            for name, seconds in bare.items():
                lines.append((f"  bare {name}", f"{seconds:.2f} s", ""))
            if typical:
                stack = typical_stack(source, engine)
                slow = sum(stack.values())
                lines.append((f"{label}: (b) typical stack, sum", f"{slow:.1f} s, {rows / slow:,.0f} rows/s",
                              f"the path is {slow / total:.1f}x faster (aim >= 4x)"))
                for name, seconds in stack.items():
                    lines.append((f"  {name}", f"{seconds:.2f} s", ""))
            engine.dispose()
        finally:
            drop()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_path", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the .xlsx ledger")
    parser.add_argument("--csv-rows", type=int, default=1_000_000, help="rows of the CSV ledger")
    parser.add_argument("--only", choices=("xlsx", "csv"))
    parser.add_argument("--no-typical", action="store_true", help="skip the typical stack (b)")
    parser.add_argument("--child", nargs=3, metavar=("HOME", "URL", "ROWS"), help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args(argv)
    if args.child:
        child(*args.child)
        return 0
    sys.path.insert(0, str(ROOT))
    lines = []
    for kind, rows in (("xlsx", args.rows), ("csv", args.csv_rows)):
        if args.only in (None, kind):
            lines += run(kind, rows, not args.no_typical)
    width = max(len(a) for a, _, _ in lines)
    for what, value, aim in lines:
        print(f"{what:<{width}}  {value:>26}  {aim}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
