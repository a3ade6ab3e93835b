"""Which addresses a report already reached: sent_reports, so a retry never mails anyone twice.

The table is in grassroots/warehouse/schema.py.
An address is recorded right after the mail server accepted its message.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from grassroots.warehouse import db
from grassroots.warehouse.schema import sent_reports, utc_now


def normalize_address(email: str) -> str:
    """The form an address is recorded and compared in (case and spaces do not make it another)."""
    return email.strip().lower()


def sent_addresses(engine: Engine, period: str, as_of: dt.date, scope: str) -> set[str]:
    query = sa.select(sent_reports.c.email).where(
        sent_reports.c.period == period, sent_reports.c.as_of == as_of, sent_reports.c.scope == scope)
    with db.read_connection(engine) as conn:
        return set(conn.execute(query).scalars())


def record_sent(engine: Engine, period: str, as_of: dt.date, scope: str, email: str, message_id: str) -> None:
    """Remember that `email` got this report; a second record of the same address is a no-op."""
    key = {"period": period, "as_of": as_of, "scope": scope, "email": normalize_address(email)}
    with db.write_transaction(engine) as conn:
        exists = conn.execute(sa.select(sa.literal(1)).select_from(sent_reports).where(
            *(sent_reports.c[k] == v for k, v in key.items()))).first()
        if not exists:
            conn.execute(sa.insert(sent_reports).values(**key, message_id=message_id, sent_at=utc_now()))


def sent_log(engine: Engine, period: str | None = None, as_of: dt.date | None = None) -> list[dict]:
    """Every recorded delivery (optionally of one period and date), oldest first."""
    query = sa.select(sent_reports).order_by(sent_reports.c.sent_at, sent_reports.c.scope, sent_reports.c.email)
    if period is not None:
        query = query.where(sent_reports.c.period == period)
    if as_of is not None:
        query = query.where(sent_reports.c.as_of == as_of)
    with db.read_connection(engine) as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
