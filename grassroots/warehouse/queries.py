"""Read-only views of the warehouse for validation (a district's current ledger) and the demo."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from grassroots import contract
from grassroots.warehouse import db
from grassroots.warehouse.schema import cases


def ledger_state(engine: Engine, district: str) -> dict[str, dict]:
    """case_id -> {status, deadline, as_of}: the district's cases as the warehouse has them now,
    for the cross-submission warnings (status regressed, deadline extended, case missing)."""
    query = (sa.select(cases.c.case_id, cases.c.status, cases.c.deadline, cases.c.as_of)
             .where(cases.c.district == district))
    with db.read_connection(engine) as conn:
        return {r.case_id: {"status": r.status, "deadline": r.deadline, "as_of": r.as_of}
                for r in conn.execute(query)}


def district_summary(engine: Engine) -> list[dict]:
    """Per district: cases, visits, accepted and rejected submissions, newest ledger's as-of date."""
    with db.read_connection(engine) as conn:
        rows = db.run_sql(conn, "select_district_summary", {"reference": contract.REFERENCE_FOLDER}, dates=("latest_as_of",),
                          counts=("cases", "visits", "submissions_accepted", "submissions_rejected"))
    return sorted(rows, key=lambda r: r["district"])
