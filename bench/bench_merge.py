"""Benchmark: merging a big ledger into a big warehouse, against a bare bulk load of the same rows.

For each database (PostgreSQL, SQLite): a fresh warehouse seeded with --base-cases cases (and one
history row each) in other districts, then, timed:
  bare load       the ledger's rows loaded into an empty table (COPY on PostgreSQL, batched
                  inserts on SQLite): the floor any merge stands on
  first merge     merge_submission of the --rows ledger (new cases: cases + history written)
  re-merge        merge_submission again for the same, unchanged submission (as the next run
                  does): the claim finds it merged
  re-merge, forced  the same submission reset to 'validated' and merged again: every row has the
                  hash of its current version, so none is staged and none written
  same rows, new file  the same rows under another checksum and a later as-of date: history keeps
                  versions, so nothing changes, nothing is staged and nothing is written
  10% changed, new file  the next week's ledger, one case in ten changed: only those are staged
                  (the rest have the hash of their current version) and get a version
Aims: first merge within 3x the bare load; unchanged re-merge at least 5x faster than the first;
a ledger repeating 90% of the last one at least 3x faster than the first merge.
Usage: python -m bench.bench_merge [--rows 100000] [--base-cases 1000000] [--backends postgresql,sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from grassroots import contract, warehouse
from grassroots.intake import reader
from grassroots.warehouse import schema, staging

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DISTRICT = "海曙区"
AS_OF = dt.date(2026, 11, 20)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the merged ledger")
    parser.add_argument("--base-cases", type=int, default=1_000_000, help="cases already in the warehouse")
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args(argv)

    ledger = ledger_frame(args.rows, "0" * 64)
    print(f"ledger: {args.rows:,} rows; warehouse: {args.base_cases:,} cases before the merge")
    header = f"{'database':<11} {'step':<20} {'rows':>9} {'seconds':>9}  note"
    print(header)
    print("-" * len(header))
    for backend in args.backends.split(","):
        with warehouse_for(backend.strip(), args.pg_admin_url) as engine:
            for step, rows, seconds, note in run(engine, ledger, args.base_cases):
                print(f"{backend:<11} {step:<20} {rows:>9,} {seconds:>9.3f}  {note}")
        print()


def run(engine: sa.Engine, ledger: pd.DataFrame, base_cases: int):
    started = time.perf_counter()
    seed(engine, base_cases)
    yield "seed (not compared)", base_cases, time.perf_counter() - started, "cases + history in 10 other districts"

    bare, _ = timed(lambda: bare_load(engine, ledger))
    yield "bare load", len(ledger), bare, "COPY" if engine.dialect.name == "postgresql" else "executemany"

    sid = submit(engine, "1" * 64)
    first, result = timed(lambda: merge(engine, sid, ledger, AS_OF))
    yield "first merge", len(ledger), first, f"{first / bare:.1f}x the bare load (aim <= 3x); {written(result)}"

    again, result = timed(lambda: merge(engine, sid, ledger, AS_OF))
    yield "re-merge", len(ledger), again, f"{first / again:,.0f}x faster than the first (aim >= 5x); {written(result)}"

    with engine.begin() as conn:
        conn.execute(sa.update(schema.submissions).where(schema.submissions.c.id == sid).values(state="validated"))
    full, result = timed(lambda: merge(engine, sid, ledger, AS_OF))
    yield "re-merge, forced", len(ledger), full, f"{first / full:.1f}x faster than the first; {written(result)}"

    other = submit(engine, "2" * 64)
    unchanged, result = timed(lambda: merge(engine, other, ledger, AS_OF + dt.timedelta(days=7)))
    yield "same rows, new file", len(ledger), unchanged, f"{first / unchanged:.1f}x faster than the first; {written(result)}"

    changed = ledger_with_changes(ledger, share=0.1)
    third = submit(engine, "3" * 64)
    weekly, result = timed(lambda: merge(engine, third, changed, AS_OF + dt.timedelta(days=14)))
    yield "10% changed, new file", len(ledger), weekly, (f"{first / weekly:.1f}x faster than the first (aim >= 3x); "
                                                       f"{written(result)}")


def written(result: warehouse.MergeResult) -> str:
    return (f"staged {result.ledger_rows_staged:,} rows; written: {result.history_rows:,} history, "
            f"{result.cases_inserted:,} new and {result.cases_updated:,} updated cases")


def timed(action):
    started = time.perf_counter()
    outcome = action()
    return time.perf_counter() - started, outcome


def merge(engine, sid: int, ledger: pd.DataFrame, as_of: dt.date) -> warehouse.MergeResult:
    return warehouse.merge_submission(engine, sid, district=DISTRICT, as_of=as_of, ledger=ledger, visits=None)


def submit(engine, checksum: str) -> int:
    sid, _ = warehouse.register_submission(
        engine, checksum=checksum, district=DISTRICT, inbox_path="bench", file_name="bench.csv",
        archive_path="bench", size_bytes=0, received_at=dt.datetime.now(dt.UTC))
    warehouse.update_submission(engine, sid, state="validated")
    return sid


# --- data -----------------------------------------------------------------------------------

def ledger_frame(rows: int, checksum: str) -> pd.DataFrame:
    """A ledger as the reader hands it over (typed by the reader's own code)."""
    n = pd.RangeIndex(rows)
    ids = pd.Series(n, dtype="int64").astype("str").str.zfill(6)
    statuses = pd.Series(contract.STATUS_ORDER)[n % 4].reset_index(drop=True)
    text = pd.DataFrame({
        "case_id": "HS-" + ids,
        "title": "问题" + ids + "：道路破损需修复",
        "source": pd.Series(contract.SOURCES)[n % 5].reset_index(drop=True),
        "theme": pd.Series(contract.THEMES)[n % 4].reset_index(drop=True),
        "district": DISTRICT,
        "town": "章水镇",
        "paired_unit": "市发改委",
        "responsible_unit": "市交通局",
        "responsible_person": "李四",
        "lead_leader": "王五",
        "reported_on": "2026-10-01",
        "deadline": "2026-12-31",
        "status": statuses,
        "resolved_on": statuses.map({contract.STATUS_RESOLVED: "2026-11-01"}),
        "progress_note": "按计划推进",
        "funds_wan": (n % 1000).astype("str"),
        "exemplary": None,
    }).astype("str")
    text.index = pd.Index(range(3, rows + 3), name="row")
    spec = contract.LEDGER_SHEET
    table = reader.Table("ledger", spec.name, 2, {}, text, reader.typed(spec, text))
    return table.canonical(checksum)


def ledger_with_changes(ledger: pd.DataFrame, share: float) -> pd.DataFrame:
    """The next week's ledger: the same cases, every (1/share)-th one with a new progress note."""
    changed = ledger.copy()
    step = round(1 / share)
    changed.loc[changed.index[::step], "progress_note"] = "本周已推进"
    return changed


def seed(engine: sa.Engine, base_cases: int) -> None:
    """base_cases cases with one history row each, in 10 districts other than the merged one."""
    districts = [f"区县{d:02d}" for d in range(10)]
    sids = {}
    for d in districts:
        sid, _ = warehouse.register_submission(
            engine, checksum=f"seed-{d}", district=d, inbox_path="seed", file_name="seed.csv",
            archive_path="seed", size_bytes=0, received_at=dt.datetime.now(dt.UTC))
        warehouse.update_submission(engine, sid, state="merged", fate="accepted", kind="ledger", as_of=AS_OF)
        sids[d] = sid
    chunk = 200_000
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    for start in range(0, base_cases, chunk):
        n = pd.RangeIndex(start, min(start + chunk, base_cases))
        district = pd.Series(districts)[n % 10].reset_index(drop=True)
        common = pd.DataFrame({
            "district": district, "case_id": "C-" + pd.Series(n).astype("str"),
            "title": "存量问题", "source": "民生实事", "theme": "民生所盼", "town": "某镇", "paired_unit": "某单位",
            "responsible_unit": "某局", "responsible_person": "某人", "lead_leader": None,
            "reported_on": "2026-09-01", "deadline": "2026-12-31", "status": "推进中", "resolved_on": None,
            "progress_note": None, "funds_wan": 1.5,
        })
        common["as_of"] = AS_OF.isoformat()
        common["submission_id"] = district.map(sids)
        cases = common.assign(source_row=pd.Series(n) + 3, first_as_of=AS_OF.isoformat(), missing_since=None,
                              updated_at=now)
        history = common.rename(columns={"as_of": "valid_from"}).assign(
            listed=True, source_sheet="问题清单", source_row=pd.Series(n) + 3)
        bulk_load(engine, "cases", cases)
        bulk_load(engine, "case_history", history)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def bulk_load(engine: sa.Engine, table: str, rows: pd.DataFrame) -> None:
    names = list(rows.columns)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            buffer = io.StringIO()
            rows.to_csv(buffer, index=False, header=False, na_rep="")
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as cp:
                cp.write(buffer.getvalue())
        else:
            values = rows.astype(object).where(rows.notna(), None)
            conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                                 list(values.itertuples(index=False, name=None)))


def bare_load(engine: sa.Engine, ledger: pd.DataFrame) -> None:
    """The same rows, prepared the same way, into an empty table with no key: the bulk-load floor."""
    rows = staging.ledger_rows(ledger)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_bare_load")
        columns = ", ".join(f"{c.name} {c.type.compile(conn.dialect)}" for c in staging.stage_ledger.columns)
        conn.exec_driver_sql(f"CREATE TABLE bench_bare_load ({columns})")
    bulk_load(engine, "bench_bare_load", rows)


# --- databases ------------------------------------------------------------------------------

class warehouse_for:
    """A fresh warehouse on `backend`, removed afterwards."""

    def __init__(self, backend: str, admin_url: str):
        self.backend, self.admin_url = backend, admin_url

    def __enter__(self) -> sa.Engine:
        if self.backend == "sqlite":
            self.tmp = tempfile.TemporaryDirectory(prefix="bench_merge_")
            url = f"sqlite:///{Path(self.tmp.name) / 'warehouse.db'}"
        elif self.backend == "postgresql":
            self.name = f"bench_merge_{uuid.uuid4().hex[:10]}"
            self.admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
            url = sa.make_url(self.admin_url).set(database=self.name).render_as_string(hide_password=False)
        else:
            raise SystemExit(f"unknown backend {self.backend!r}: postgresql or sqlite")
        self.engine = warehouse.connect(url)
        warehouse.upgrade(self.engine)
        return self.engine

    def __exit__(self, *exc) -> None:
        self.engine.dispose()
        if self.backend == "sqlite":
            self.tmp.cleanup()
        else:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.admin.dispose()


if __name__ == "__main__":
    main()
