"""Engines for the warehouse: SQLite (embedded default) and PostgreSQL, from the same code.

SQLite gets WAL, foreign keys, a busy timeout and real transactions (SQLAlchemy emits BEGIN, so
DDL is transactional and a merge can take the write lock up front with BEGIN IMMEDIATE).
PostgreSQL uses psycopg 3. A database that cannot be reached raises `WarehouseUnavailable`
with a message in Chinese and English that says what to do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

SQLITE_BUSY_TIMEOUT_MS = 60_000
SQLITE_CACHE_KIB = 256 * 1024  # page cache per connection: a district's index ranges stay in memory
SQLITE_MMAP_BYTES = 2 << 30  # reads from the OS page cache without copying (the figures scan ~1 GB at 1M cases)
PG_CONNECT_TIMEOUT_S = 10

def _sql_dir() -> Path:
    """include/sql/: beside the package in a checkout (editable install, the Docker image), else
    where a wheel installs it (<prefix>/share/grassroots/sql, pyproject's data-files)."""
    for candidate in (Path(__file__).resolve().parents[2] / "include" / "sql",
                      Path(sys.prefix) / "share" / "grassroots" / "sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("include/sql not found beside the package nor under <prefix>/share/grassroots/sql")


SQL_DIR = _sql_dir()
_IMMEDIATE = "grassroots_begin_immediate"


class WarehouseUnavailable(RuntimeError):
    """The warehouse database cannot be reached; nothing was changed, run again when it is back."""

    def __init__(self, where: str, detail: str = ""):
        self.where = where
        self.detail = detail
        super().__init__(
            f"数据仓库无法连接（{where}）：{detail}。请确认数据库已启动、GRASSROOTS_WAREHOUSE_URL 设置正确后重新运行；"
            f"本次没有文件被标记为已处理，恢复后会自动重试。 / "
            f"The warehouse cannot be reached ({where}): {detail}. Check that the database is running and "
            f"GRASSROOTS_WAREHOUSE_URL is right, then run again; no file was marked done and nothing is lost."
        )


def normalize_url(url: str | URL) -> URL:
    """postgresql:// and postgres:// mean psycopg 3; a relative SQLite path stays as given."""
    parsed = make_url(str(url).replace("postgres://", "postgresql://", 1) if isinstance(url, str) else url)
    if parsed.drivername in ("postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def describe_url(url: str | URL) -> str:
    return normalize_url(url).render_as_string(hide_password=True)


def connect(url: str | URL) -> Engine:
    """An engine for the warehouse at `url`, checked by connecting once."""
    parsed = normalize_url(url)
    where = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, where)
    elif parsed.get_backend_name() == "postgresql":
        engine = sa.create_engine(
            parsed, pool_pre_ping=True,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S, "application_name": "grassroots"},
        )
    else:
        raise ValueError(f"unsupported warehouse URL {where}: use sqlite:///path or postgresql://...")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except exc.DBAPIError as e:
        engine.dispose()
        raise WarehouseUnavailable(where, _first_line(e.orig or e)) from e
    return engine


def _sqlite_engine(parsed: URL, where: str) -> Engine:
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise WarehouseUnavailable(where, str(e)) from e
    engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _on_begin)
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA temp_store = MEMORY")
        cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cur.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        if database and database != ":memory:":
            cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        immediate = conn.get_execution_options().get(_IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction that will write: on SQLite it takes the write lock at BEGIN (IMMEDIATE),
    so two writers queue up instead of failing half-way; a dropped connection becomes
    WarehouseUnavailable."""
    with guard(engine), engine.connect() as conn:
        conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn


@contextlib.contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    with guard(engine), engine.connect() as conn:
        yield conn


@contextlib.contextmanager
def guard(engine: Engine) -> Iterator[None]:
    """Turn "the database went away" into WarehouseUnavailable; other errors pass unchanged."""
    try:
        yield
    except exc.DBAPIError as e:
        if e.connection_invalidated or _is_unreachable(e):
            raise WarehouseUnavailable(describe_url(engine.url), _first_line(e.orig or e)) from e
        raise


def _is_unreachable(e: exc.DBAPIError) -> bool:
    if not isinstance(e, exc.OperationalError):
        return False
    text = str(e.orig).lower()
    return any(s in text for s in (
        "connection", "server closed", "terminating", "could not connect", "unable to open database",
        "no such host", "timeout expired", "the database system is",
    ))


_INCLUDE = re.compile(r"^[ \t]*-- include: (\w+)[ \t]*$", re.M)


@cache
def sql(name: str, dialect: str = "") -> str:
    """The text of include/sql/<name>.sql (bound parameters, no string formatting); a line
    `-- include: <other>` stands for the text of include/sql/<other>.sql, so a shared piece of
    SQL (the cases' state at a date) is written once. For a `dialect` (postgresql, sqlite) a file
    include/sql/<name>.<dialect>.sql, where there is one, is read instead: the few pieces that are
    not portable (a difference of dates) or are faster in one database's own words."""
    own = SQL_DIR / f"{name}.{dialect}.sql"
    text = (own if dialect and own.is_file() else SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: sql(m.group(1), dialect).rstrip("\n"), text)


_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def run_sql(conn: Connection, name: str, params: Mapping | None = None, *, dates: tuple[str, ...] = (),
            counts: tuple[str, ...] = (), timestamps: tuple[str, ...] = ()) -> list[dict]:
    """Rows of include/sql/<name>.sql as dicts: the one way the project runs its SQL files.

    Every parameter the text uses is bound with its type (the submission lifecycle's too, from
    `lifecycle.SQL_PARAMS`); `dates` columns come back as date, `counts` as int and `timestamps`
    as aware UTC datetimes whichever database answered (SQLite gives text, PostgreSQL Decimal sums).
    """
    from grassroots.warehouse.lifecycle import SQL_PARAMS
    from grassroots.warehouse.schema import UTCDateTime

    text = sql(name, conn.dialect.name)
    given = {**SQL_PARAMS, **(params or {})}
    values = {key: given[key] for key in dict.fromkeys(_PARAM.findall(text))}
    statement = sa.text(text).bindparams(*(sa.bindparam(k, type_=_bind_type(v)) for k, v in values.items()))
    rows = [dict(r) for r in conn.execute(statement, values).mappings()]
    for row in rows:
        for column in dates:
            if column in row:
                row[column] = as_date(row[column])
        for column in counts:
            if column in row:
                row[column] = 0 if row[column] is None else int(row[column])
        for column in timestamps:
            if column in row:
                row[column] = UTCDateTime().process_result_value(row[column], conn.dialect)
    return rows


def driver_rows(conn: Connection, statement: sa.Executable) -> list[tuple]:
    """The rows of a Core `statement` as the driver gives them (plain tuples, no result processing:
    SQLite's booleans are 0/1), on this connection's transaction: the cheapest read of many narrow
    rows (SQLAlchemy's Row objects cost more than the query for a district's 100k current versions)."""
    compiled = statement.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _bind_type(value) -> sa.types.TypeEngine:
    from grassroots.warehouse.schema import UTCDateTime

    if isinstance(value, dt.datetime):
        return UTCDateTime()
    if isinstance(value, dt.date):
        return sa.Date()
    if isinstance(value, bool):
        return sa.Boolean()
    if isinstance(value, int):
        return sa.Integer()
    return sa.Text()


def as_date(value) -> dt.date | None:
    """A date from what a database gives back for one (SQLite: text; PostgreSQL: date)."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def is_postgres(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"


MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
_PG_UPGRADE_LOCK = 0x67726173  # pg_advisory_xact_lock key: one upgrade at a time


def alembic_config(connection: Connection | None = None):
    """Alembic's Config built in code (no alembic.ini on disk needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


@contextlib.contextmanager
def opened(url: str | URL, *, migrate: bool = True) -> Iterator[Engine]:
    """The one way to open the warehouse: an engine at the newest schema, disposed on the way out.

        with warehouse.opened(settings.warehouse_url) as engine:
            ...
    """
    engine = connect(url)
    try:
        if migrate:
            upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def upgrade(engine: Engine) -> None:
    """Migrate the warehouse to the newest schema; a no-op when it is there already. Safe to call
    at the start of every task, also from two processes at once (the upgrade holds a lock)."""
    from alembic import command
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with read_connection(engine) as conn:
        if set(MigrationContext.configure(conn).get_current_heads()) == heads:
            return  # at head already: no write lock taken, so a running merge is not waited for
    with write_transaction(engine) as conn:
        if is_postgres(conn):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_UPGRADE_LOCK})
        command.upgrade(alembic_config(conn), "head")
