"""Staging: a submission's rows land in temporary tables of the merge transaction first.

The reader's canonical frames become stage rows (dates as ISO text, empty as NULL, the visit key
computed), then go in by the bulk path that suits the database: COPY on PostgreSQL (psycopg 3),
batched inserts on SQLite. The merge SQL then works set-at-a-time from the stage tables.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from grassroots.warehouse import row_hash
from grassroots.warehouse.db import is_postgres
from grassroots.warehouse.schema import CASE_FIELDS, VISIT_FIELDS, case_history, visits

_stage_metadata = sa.MetaData()


def _stage_table(name: str, key: tuple[str, ...], *columns: sa.Column) -> sa.Table:
    """A temporary table without constraints (loads fastest); `key` gets a unique index after the load."""
    return sa.Table(name, _stage_metadata, *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP",
                    info={"key": key})


stage_ledger = _stage_table(
    "stage_ledger", ("case_id",),
    sa.Column("case_id", sa.Text),
    *(sa.Column(name, case_history.c[name].type) for name in CASE_FIELDS),
    sa.Column("source_sheet", sa.Text),
    sa.Column("source_row", sa.Integer),
    sa.Column("row_hash", sa.BigInteger),
)

# The district's cases the ledger does not list (their ids only): the merge finds the ones it leaves out here.
stage_absent = _stage_table("stage_absent", ("case_id",), sa.Column("case_id", sa.Text))

stage_visits = _stage_table(
    "stage_visits", ("visit_key",),
    sa.Column("visit_key", sa.Text),
    *(sa.Column(name, visits.c[name].type) for name in VISIT_FIELDS),
    sa.Column("source_sheet", sa.Text),
    sa.Column("source_row", sa.Integer),
)

stage_links = _stage_table(
    "stage_links", ("visit_key", "case_id"),
    sa.Column("visit_key", sa.Text),
    sa.Column("case_id", sa.Text),
)

_DATES = {"reported_on", "deadline", "resolved_on", "visit_date"}
_INTEGERS = {"participants", "problems_collected", "source_row"}
_FLOATS = {"funds_wan"}


# --- frames -> stage rows -------------------------------------------------------------------

CHUNK_ROWS = 100_000  # stage rows made and loaded at a time: a 1M-row ledger is never typed whole


def ledger_rows(ledger: pd.DataFrame) -> pd.DataFrame:
    """One stage row per case (the first row of a case_id, should validation ever let a duplicate by),
    with the hash of its fields."""
    return pd.concat(list(ledger_chunks(ledger)), ignore_index=True)


def ledger_case_ids(ledger: pd.DataFrame) -> pd.Index:
    """The case ids the ledger lists (each once, as staged), as an object index (looked up by hash)."""
    ids = _text(_column(ledger, "case_id")).dropna().drop_duplicates()
    return pd.Index(ids.to_numpy(dtype=object), dtype=object)


def ledger_chunks(ledger: pd.DataFrame, size: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """ledger_rows, CHUNK_ROWS at a time (in the ledger's order): what one chunk of the ledger stages.
    Only the case id is looked at whole, to keep each case's first row."""
    ids = _text(_column(ledger, "case_id"))
    first = (ids.notna() & ~ids.duplicated(keep="first")).to_numpy(dtype=bool)
    names = [c.name for c in stage_ledger.columns if c.name != "row_hash"]
    for start in range(0, len(ledger), size):
        part = ledger.iloc[start:start + size][first[start:start + size]]
        if part.empty:
            continue
        frame = _typed(part, names).reset_index(drop=True)
        yield frame.assign(row_hash=row_hash.of_rows(frame))


def visit_rows(visit_frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one stage row per visit key, the visit->case links of every row with that key)."""
    columns = [c.name for c in stage_visits.columns]
    frame = _typed(visit_frame.assign(visit_key=visit_keys(visit_frame)), columns)
    case_ids = _text(_column(visit_frame, "case_ids")).str.split(",")
    links = pd.DataFrame({"visit_key": frame["visit_key"], "case_id": case_ids}).explode("case_id")
    links["case_id"] = _text(links["case_id"])
    links = links[links["case_id"].notna()]
    links = links.drop_duplicates().reset_index(drop=True)
    frame = frame.drop_duplicates("visit_key", keep="first").reset_index(drop=True)
    return frame, links


def visit_keys(frame: pd.DataFrame) -> pd.Series:
    """visit_id when given, else a hash of visit_date|unit|leader|town|target (the contract's identity)."""
    given = _text(_column(frame, "visit_id"))
    parts = [pd.to_datetime(_column(frame, "visit_date")).dt.strftime("%Y-%m-%d").fillna("")]
    parts += [_text(_column(frame, name)).fillna("") for name in ("unit", "leader", "town", "target")]
    joined = parts[0].str.cat(parts[1:], sep="|")
    hashed = pd.Series([hashlib.sha256(s.encode("utf-8")).hexdigest()[:32] for s in joined],
                       index=frame.index, dtype="str")
    return given.fillna(hashed)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="object")


def _text(series: pd.Series) -> pd.Series:
    s = series.astype("str").str.strip()
    return s.mask(s == "")


def _typed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = {}
    for name in columns:
        s = _column(frame, name)
        if name in _DATES:
            out[name] = pd.to_datetime(s).dt.strftime("%Y-%m-%d")
        elif name in _INTEGERS:
            out[name] = pd.to_numeric(s).round().astype("Int64")
        elif name in _FLOATS:
            out[name] = pd.to_numeric(s).astype("float64")
        else:
            out[name] = _text(s)
    return pd.DataFrame(out, index=frame.index)


# --- stage tables ---------------------------------------------------------------------------

def stage(conn: Connection, table: sa.Table, rows: pd.DataFrame | Iterable[pd.DataFrame]) -> None:
    """Create the temporary `table` in this transaction and load `rows` into it (a frame, or frames
    made one at a time: only one is held at once)."""
    _drop(conn, table)
    table.create(conn)
    names = [c.name for c in table.columns]
    chunks = (part[names] for part in ([rows] if isinstance(rows, pd.DataFrame) else rows))
    if is_postgres(conn):
        _copy(conn, table.name, names, chunks)
    else:
        for part in chunks:
            _insert_batches(conn, table.name, names, part)
    # Indexed after the load (cheaper than during it), so that every join against the stage is a
    # lookup whatever the planner believes about the target table's fresh rows.
    key = ", ".join(table.info["key"])
    conn.execute(sa.text(f"CREATE UNIQUE INDEX {table.name}_key ON {table.name} ({key})"))
    if is_postgres(conn):
        conn.execute(sa.text(f"ANALYZE {table.name} ({key})"))


def drop(conn: Connection, *tables: sa.Table) -> None:
    """SQLite keeps temporary tables for the life of the connection; PostgreSQL drops them on commit."""
    if not is_postgres(conn):
        for table in tables:
            _drop(conn, table)


def _drop(conn: Connection, table: sa.Table) -> None:
    """Only ever the temporary table (a permanent one of the same name stays untouched)."""
    schema = "pg_temp" if is_postgres(conn) else "temp"
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {schema}.{table.name}"))


def _insert_batches(conn: Connection, table: str, names: list[str], rows: pd.DataFrame) -> None:
    """executemany in batches; Arrow turns the columns into Python values (None for NA) fastest."""
    import pyarrow as pa

    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    for start in range(0, len(rows), 50_000):
        batch = pa.Table.from_pandas(rows.iloc[start:start + 50_000], preserve_index=False)
        conn.exec_driver_sql(sql, list(zip(*(column.to_pylist() for column in batch.columns), strict=True)))


def _copy(conn: Connection, table: str, names: list[str], chunks: Iterable[pd.DataFrame]) -> None:
    """COPY ... FROM STDIN in CSV, written by pyarrow (an empty unquoted field is NULL); one COPY
    for all the chunks, each written and sent before the next is made."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    raw = conn.connection.driver_connection  # the psycopg connection of this very transaction
    options = pacsv.WriteOptions(include_header=False)
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as copy:
        for rows in chunks:
            for start in range(0, len(rows), 50_000):
                sink = io.BytesIO()
                pacsv.write_csv(pa.Table.from_pandas(rows.iloc[start:start + 50_000], preserve_index=False), sink,
                                options)
                copy.write(sink.getbuffer())
