"""Alembic environment: migrates the connection handed over by grassroots.warehouse.upgrade,
or, from the alembic command line, the URL in sqlalchemy.url / GRASSROOTS_WAREHOUSE_URL."""

from __future__ import annotations

from alembic import context

from grassroots.warehouse.schema import metadata

config = context.config


def _url() -> str:
    from grassroots import settings

    return config.get_main_option("sqlalchemy.url") or settings.load().warehouse_url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    from grassroots.warehouse import db

    engine = db.connect(_url())
    try:
        with engine.connect() as conn:
            _migrate(conn)
            conn.commit()
    finally:
        engine.dispose()


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
