"""The warehouse schema: Alembic builds exactly what schema.py defines, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from grassroots import warehouse
from grassroots.warehouse import schema

pytest_plugins = ("tests.samples.databases",)

SCHEMA_TABLES = {
    "districts", "towns", "units", "pairings", "leaders", "recipients", "submissions", "findings",
    "cases", "case_history", "visits", "visit_cases", "metric_snapshots", "sent_reports", "reminders_sent",
    "receipt_mails",
}


def test_upgrade_builds_the_schema_and_is_idempotent(warehouse_url):
    engine = warehouse.connect(warehouse_url)
    try:
        warehouse.upgrade(engine)
        warehouse.upgrade(engine)  # a second run, as at the start of every task
        inspector = sa.inspect(engine)
        assert SCHEMA_TABLES <= set(inspector.get_table_names())
        with engine.connect() as conn:
            head = ScriptDirectory.from_config(warehouse.db.alembic_config()).get_current_head()
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
            diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), schema.metadata)
        assert diffs == [], "the next `alembic revision --autogenerate` would propose these changes"
        assert set(inspector.get_table_names()) - {"alembic_version"} == set(schema.metadata.tables) == SCHEMA_TABLES
        cases_columns = [c["name"] for c in inspector.get_columns("cases")]
        assert cases_columns == [
            "district", "case_id", "title", "source", "theme", "town", "paired_unit", "responsible_unit",
            "responsible_person", "lead_leader", "reported_on", "deadline", "status", "resolved_on",
            "progress_note", "funds_wan", "as_of", "submission_id", "source_row", "first_as_of",
            "missing_since", "updated_at", "exemplary",  # 0010 added it last
        ]
        assert inspector.get_pk_constraint("case_history")["constrained_columns"] == [
            "district", "case_id", "valid_from"]
    finally:
        engine.dispose()


def test_plain_postgresql_urls_use_psycopg3():
    assert warehouse.db.normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert warehouse.db.normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert warehouse.db.normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_sqlite_is_set_up_for_concurrent_safe_writes(tmp_path):
    engine = warehouse.connect(f"sqlite:///{tmp_path / 'sub' / 'warehouse.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
    finally:
        engine.dispose()
