"""Warehouse fixtures: each test gets a fresh, migrated warehouse on SQLite and on PostgreSQL.

Use from a test module with `pytest_plugins = ("tests.samples.databases",)`. PostgreSQL tests run in a
database created for the test module and dropped after it (its schema is reset for each test);
they are skipped when no server answers at GRASSROOTS_TEST_PG_URL (default 127.0.0.1:5432).
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from grassroots import warehouse

PG_ADMIN_URL = os.environ.get("GRASSROOTS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin_engine() -> sa.Engine:
    return sa.create_engine(warehouse.db.normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT",
                            connect_args={"connect_timeout": 5})


@pytest.fixture(scope="module")
def pg_database_url():
    """A PostgreSQL database of its own for this test module, dropped afterwards."""
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as e:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {e.orig}")
    name = f"grassroots_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = warehouse.db.normalize_url(PG_ADMIN_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def reset_pg_schema(url: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path) -> str:
    """The URL of an empty warehouse (not yet migrated)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    url = request.getfixturevalue("pg_database_url")
    reset_pg_schema(url)
    return url


@pytest.fixture
def engine(warehouse_url):
    """A migrated, empty warehouse."""
    eng = warehouse.connect(warehouse_url)
    warehouse.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def pg_engine(pg_database_url):
    """A migrated, empty PostgreSQL warehouse (for the tests that only PostgreSQL can do)."""
    reset_pg_schema(pg_database_url)
    eng = warehouse.connect(pg_database_url)
    warehouse.upgrade(eng)
    yield eng
    eng.dispose()
