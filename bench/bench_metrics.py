"""The figures of metrics.md over a large warehouse: 1M cases (four weekly ledgers of history, kept
as versions: about 2.1M case_history rows) and 1M visits, on PostgreSQL (a fresh database, loaded
with COPY, history in district order as the merges write it) and on SQLite (batched inserts).

    python -m bench.bench_metrics [--cases 1000000] [--visits 1000000] [--only postgresql|sqlite] [--keep]
    python -m bench.bench_metrics --url URL   # measure a warehouse kept with --keep (upgraded first)

Times `metrics.compute` for the city at the newest as-of date (aim: under 2 s on PostgreSQL, 5 s
on SQLite), the month, the city a week earlier (aim: the same; every case's state is a range
lookup in case_history), and every district (aim: under 0.3 s each, the slowest printed), each
line beside its aim and whether this run met it; then each query of compute on its own (the city
newest, a week earlier, the slowest district), to show where the time goes. The indexes the
metrics SQL relies on come with the Alembic revisions 0002_metric_snapshots, 0008_case_versions and
0012_figure_indexes (grassroots.warehouse.schema): a covering index of case_history in the
breakdown's grain order, a covering one of the open cases by deadline for the overdue and due-soon
lists, and partial ones for a district's open cases, the resolved and the missing ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa

from grassroots import contract, metrics, warehouse
from grassroots.demo import city as demo_city
from grassroots.warehouse.schema import CASE_FIELDS

PG_ADMIN_URL = os.environ.get("GRASSROOTS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
FINAL = dt.date(2026, 11, 27)
WEEKS = [FINAL - dt.timedelta(days=7 * k) for k in (3, 2, 1, 0)]
FIRST_DAY = dt.date(2026, 2, 1)
VISIT_COLUMNS = ("district", "visit_key", "visit_id", "visit_date", "unit", "leader", "leader_title", "town",
                 "target", "target_type", "activity", "participants", "problems_collected", "note",
                 "submission_id", "source_sheet", "source_row", "first_as_of")
HISTORY_COLUMNS = ("district", "case_id", "valid_from", "valid_to", "listed", "last_listed", "submission_id",
                   *CASE_FIELDS, "source_sheet", "source_row")
CASE_COLUMNS = ("district", "case_id", *CASE_FIELDS, "as_of", "submission_id", "source_row", "first_as_of",
                "missing_since")
FINDING_COLUMNS = ("submission_id", "severity", "code", "sheet", "row", "column_name", "reason")
CITY_AIM_S = {"postgresql": 2.0, "sqlite": 5.0}  # the city's figures at 1M cases and 1M visits
DISTRICT_AIM_S = 0.3
SUBMISSION_COLUMNS = ("id", "checksum", "district", "file_name", "received_at", "kind", "as_of", "state",
                      "fate", "rows_total", "rows_accepted", "errors", "warnings")


# --- the synthetic warehouse ------------------------------------------------------------------

class City:
    """The demo city's reference data, and the submissions of four weekly ledgers per district."""

    def __init__(self):
        self.reference = demo_city.demo_reference()
        self.towns = list(self.reference.towns)
        self.town_of_unit = self.reference.pairings
        self.leaders_of_unit: dict[str, list] = {}
        for leader in self.reference.leaders:
            self.leaders_of_unit.setdefault(leader.unit, []).append(leader)
        self.districts = list(self.reference.districts)
        # submission id of (district, week index): one ledger+visits workbook per district and week
        self.submission = {(d, w): 1 + i * len(WEEKS) + w for i, d in enumerate(self.districts) for w in range(4)}

    def submissions(self) -> Iterator[tuple]:
        received = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        for (district, week), sid in self.submission.items():
            yield (sid, uuid.uuid4().hex, district, f"{district}第{week + 1}周.xlsx",
                   received + dt.timedelta(days=7 * week), "ledger+visits", WEEKS[week], "done", "accepted",
                   0, 0, 0, 0)
        for n, district in enumerate(self.districts):  # one rejected file per district
            yield (1000 + n, uuid.uuid4().hex, district, f"{district}错误.xlsx",
                   dt.datetime(2026, 11, 25, tzinfo=dt.UTC), "ledger", None, "done", "rejected", 100, 0, 10, 0)


def case_rows(city: City, n_cases: int, rng: random.Random) -> Iterator[tuple[tuple, list[tuple]]]:
    """(cases row, its history rows) per case, shaped like the demo campaign: found in the paired
    town, handled by the unit, the town or a district bureau, older cases further along, about 4%
    overdue; listed in every ledger from its first, and a few dropped from the newest one."""
    span = (WEEKS[0] - FIRST_DAY).days
    bureaus = ("住建局", "交通运输局", "综合执法局", "农业农村局", "发改局", "经信局", "自然资源和规划局", "民政局")
    for n in range(n_cases):
        unit = city.reference.units[n % len(city.reference.units)]
        town = city.town_of_unit[unit] if rng.random() < 0.98 else rng.choice(city.towns)
        district = city.reference.towns[town]
        first = rng.choices(range(4), weights=(85, 5, 5, 5))[0]  # most cases predate the four ledgers
        earliest = FIRST_DAY if first == 0 else WEEKS[first - 1] + dt.timedelta(days=1)
        reported = earliest + dt.timedelta(days=rng.randrange((WEEKS[first] - earliest).days + 1 if first else span))
        age = (FINAL - reported).days
        final_status = min(3, int(rng.random() * 4 * min(1.0, age / 150 + 0.25)))
        roll = rng.random()
        if final_status < 3 and roll < 0.04:
            deadline = reported + dt.timedelta(days=rng.randrange(7, max(8, (FINAL - reported).days)))
        else:
            deadline = max(reported + dt.timedelta(days=30), FINAL) + dt.timedelta(days=rng.randrange(150))
        last = 3 if rng.random() > 0.001 else max(first, 2)  # a few cases vanish from the newest ledger
        source, theme = rng.choice(contract.SOURCES), rng.choice(contract.THEMES)
        leaders = city.leaders_of_unit.get(unit) or [None]
        lead = rng.choice(leaders).name if leaders[0] and rng.random() < 0.3 else None
        roll = rng.random()
        responsible = unit if roll < 0.45 else (f"{town}人民政府" if roll < 0.7 else district + rng.choice(bureaus))
        person = f"责任人{rng.randrange(500)}" if rng.random() > 0.01 else None
        history, resolved_on = [], None
        for week in range(first, last + 1):
            status = max(0, final_status - (3 - week))
            if status == 3 and resolved_on is None:
                resolved_on = max(reported, WEEKS[week] - dt.timedelta(days=rng.randrange(120)))
            fields = (f"第{n}号问题", source, theme, town, unit, responsible, person, lead, reported, deadline,
                      contract.STATUS_ORDER[status], resolved_on if status == 3 else None, "推进中", None, None)
            if history and history[-1][7:7 + len(CASE_FIELDS)] == fields:
                continue  # listed again unchanged: the version goes on
            if history:
                history[-1] = (*history[-1][:3], WEEKS[week], *history[-1][4:])
            history.append((district, f"C{n:07d}", WEEKS[week], None, True, None, city.submission[(district, week)],
                            *fields, "问题清单", 3 + n % 50_000))
        newest = history[-1]
        missing = WEEKS[last + 1] if last < 3 else None
        if missing:  # left out of the newest ledger: a version of its own, with the last state
            history[-1] = (*newest[:3], missing, *newest[4:])
            history.append((*newest[:2], missing, None, False, WEEKS[last], *newest[6:]))
        case = (newest[0], newest[1], *newest[7:7 + len(CASE_FIELDS)], newest[2] if not missing else WEEKS[last],
                newest[6], newest[-1], WEEKS[first], missing)
        yield case, history


def visit_rows(city: City, n_visits: int, rng: random.Random) -> Iterator[tuple]:
    span = (FINAL - FIRST_DAY).days
    units = city.reference.units
    for n in range(n_visits):
        unit = units[n % len(units)]
        town = city.town_of_unit[unit] if rng.random() < 0.8 else rng.choice(city.towns)
        district = city.reference.towns[town]
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(span + 1))
        week = next(i for i, w in enumerate(WEEKS) if w >= day)
        leaders = city.leaders_of_unit.get(unit)
        leader = rng.choice(leaders) if leaders else None
        yield (district, f"V{n:08d}", f"V{n:08d}", day, unit, leader.name if leader else "某领导",
               leader.title if leader else None, town, f"{town}某村", "村", "走访", 10, 1, None,
               city.submission[(district, week)], "走访记录", 3 + n % 50_000, WEEKS[week])


# --- loading ----------------------------------------------------------------------------------

def load(engine: sa.Engine, n_cases: int, n_visits: int, seed: int = 7) -> dict[str, int]:
    """Fill a migrated, empty warehouse; COPY on PostgreSQL, batched inserts on SQLite."""
    city, rng = City(), random.Random(seed)
    warehouse.replace_reference(engine, city.reference)
    tables = {"submissions": SUBMISSION_COLUMNS, "cases": CASE_COLUMNS, "case_history": HISTORY_COLUMNS,
              "visits": VISIT_COLUMNS, "findings": FINDING_COLUMNS}
    sink = _PgSink(engine, tables) if engine.dialect.name == "postgresql" else _SqliteSink(engine, tables)
    history_rows = 0
    with sink:
        for row in city.submissions():
            sink.add("submissions", row)
        for case, history in case_rows(city, n_cases, rng):
            sink.add("cases", case)
            for row in history:
                sink.add("case_history", row)
            history_rows += len(history)
        for row in visit_rows(city, n_visits, rng):
            sink.add("visits", row)
        for n in range(1000):
            sink.add("findings", (1000 + n % 10, "error", "required", "问题清单", 3 + n, "责任人",
                                  "“责任人”为必填项，不能为空"))
    analyze(engine)
    return {"cases": n_cases, "case_history": history_rows, "visits": n_visits}


def analyze(engine: sa.Engine) -> None:
    """Statistics for the planner (and on PostgreSQL the visibility map the index-only scans need)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


class _PgSink:
    """Rows go to COPY text files first (one per table), then in with COPY, tables in order."""

    def __init__(self, engine: sa.Engine, tables: dict[str, tuple]):
        self.engine, self.tables = engine, tables
        self.files = {name: tempfile.TemporaryFile("w+", encoding="utf-8") for name in tables}
        self.history_files: dict[str, object] = {}

    def add(self, table: str, row: tuple) -> None:
        if table == "case_history":  # in district order, as the merges write them (a ledger at a time)
            files = self.history_files
            if row[0] not in files:
                files[row[0]] = tempfile.TemporaryFile("w+", encoding="utf-8")
            files[row[0]].write("\t".join(_pg_text(v) for v in row) + "\n")
            return
        self.files[table].write("\t".join(_pg_text(v) for v in row) + "\n")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                raw = self.engine.raw_connection()
                try:
                    with raw.driver_connection.cursor() as cur:
                        for name, columns in self.tables.items():
                            parts = [self.files[name]]
                            if name == "case_history":
                                parts = [self.history_files[d] for d in sorted(self.history_files)]
                            with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                                for out in parts:
                                    out.seek(0)
                                    while chunk := out.read(1 << 20):
                                        copy.write(chunk)
                    raw.commit()
                finally:
                    raw.close()
        finally:
            for out in (*self.files.values(), *self.history_files.values()):
                out.close()


def _pg_text(value) -> str:
    if value is None:
        return r"\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class _SqliteSink:
    """Batched executemany per table, in one transaction."""

    def __init__(self, engine: sa.Engine, tables: dict[str, tuple]):
        self.conn = sqlite3.connect(engine.url.database)
        self.conn.execute("PRAGMA synchronous = OFF")
        self.sql = {name: f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
                    for name, cols in tables.items()}
        self.batches: dict[str, list] = {name: [] for name in tables}

    def add(self, table: str, row: tuple) -> None:
        batch = self.batches[table]
        batch.append(tuple(_sqlite_value(v) for v in row))
        if len(batch) >= 50_000:
            self._flush(table)

    def _flush(self, table: str) -> None:
        self.conn.executemany(self.sql[table], self.batches[table])
        self.batches[table] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                for table in self.sql:
                    self._flush(table)
                self.conn.commit()
        finally:
            self.conn.close()


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- timing -----------------------------------------------------------------------------------

def _timed(label: str, fn) -> tuple[str, float, object]:
    started = time.perf_counter()
    value = fn()
    return label, time.perf_counter() - started, value


Line = tuple[str, float, float | None, str]
"""What was timed, seconds, its aim in seconds (None: a part of the line above, no aim of its own), a note."""


def query_times(engine: sa.Engine, as_of: dt.date, district: str | None = None) -> list[Line]:
    """Each query of metrics.compute on its own (in its read transaction), with how many rows it gave."""
    params = metrics.parameters(as_of, district=district)
    out = []
    with metrics.reading(engine) as conn:
        params = metrics.scoped(conn, params)
        for key, (name, types) in metrics.QUERIES.items():
            _, seconds, rows = _timed(key, lambda n=name, t=types: metrics.run(conn, n, params, **t))
            out.append((f"  {name}", seconds, None, f"{len(rows):,} rows"))
    return out


def measure(engine: sa.Engine, city_runs: int = 3) -> list[Line]:
    aim = CITY_AIM_S[engine.dialect.name]
    out = []
    city = None
    for n in range(city_runs):
        label, seconds, city = _timed("city figures, newest as-of date", lambda: metrics.compute(engine, FINAL))
        out.append((f"{label} (run {n + 1})", seconds, aim, f"{city['total']:,} cases, {city['visits']:,} visits"))
    label, seconds, _ = _timed("city figures, monthly", lambda: metrics.compute(engine, FINAL, period="month"))
    out.append((label, seconds, aim, ""))
    week_before = metrics.previous_as_of(FINAL)
    label, seconds, past = _timed("city figures, a week earlier", lambda: metrics.compute(engine, week_before))
    out.append((label, seconds, aim, f"{past['total']:,} cases"))
    each = {d: _timed(d, lambda d=d: metrics.compute(engine, FINAL, district=d))[1] for d in city["districts"]}
    slowest = max(each, key=each.get, default="")
    out.append((f"a district's figures, the slowest of {len(each)} ({slowest})", each.get(slowest, 0.0), DISTRICT_AIM_S,
                f"mean {sum(each.values()) / max(1, len(each)):.2f} s"))
    for label, as_of, scope in (("the city, newest", FINAL, None), ("the city, a week earlier", week_before, None),
                                (f"{slowest}, newest", FINAL, slowest)):
        queries = query_times(engine, as_of, scope)
        out.append((f"per query, {label}", sum(seconds for _, seconds, _, _ in queries), None, "sum of the queries"))
        out += queries
    return out


def print_lines(results: list[tuple[str, str, float, float | None, str]]) -> None:
    """Each line beside its aim, and whether this run met it."""
    print(f"{'database':<11} {'what':<58} {'seconds':>8}  {'aim':<16} note")
    for db_name, label, seconds, aim, note in results:
        verdict = "" if aim is None else f"< {aim:g} s {'met' if seconds < aim else 'MISSED'}"
        print(f"{db_name:<11} {label:<58} {seconds:>8.2f}  {verdict:<16} {note}")


def run_on(url: str, n_cases: int, n_visits: int) -> list[Line]:
    engine = warehouse.connect(url)
    try:
        warehouse.upgrade(engine)
        label, seconds, counts = _timed("load", lambda: load(engine, n_cases, n_visits))
        rows = [(label, seconds, None, ", ".join(f"{v:,} {k}" for k, v in counts.items()))]
        return rows + measure(engine)
    finally:
        engine.dispose()


def _pg_database() -> tuple[str, Callable[[], None]]:
    admin = sa.create_engine(warehouse.db.normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"grassroots_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return warehouse.db.normalize_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_metrics", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--keep", action="store_true", help="keep the databases (and print where they are)")
    parser.add_argument("--url", help="measure this warehouse (one kept with --keep) instead of building one")
    args, _ = parser.parse_known_args(argv)
    results = []
    if args.url:
        engine = warehouse.connect(args.url)
        try:
            warehouse.upgrade(engine)  # a kept warehouse gets the newer indexes, and their statistics
            analyze(engine)
            results += [(engine.dialect.name, *r) for r in measure(engine)]
        finally:
            engine.dispose()
        args.only = "none"
    if args.only not in ("sqlite", "none"):
        url, drop = _pg_database()
        try:
            results += [("postgresql", *r) for r in run_on(url, args.cases, args.visits)]
        finally:
            print(f"kept {url}") if args.keep else drop()
    if args.only not in ("postgresql", "none"):
        folder = Path(tempfile.mkdtemp(prefix="grassroots-bench-"))
        path = folder / "warehouse.db"
        try:
            results += [("sqlite", *r) for r in run_on(f"sqlite:///{path}", args.cases, args.visits)]
        finally:
            if args.keep:
                print(f"kept {path}")
            else:
                for p in folder.iterdir():
                    p.unlink()
                folder.rmdir()
    print_lines(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
