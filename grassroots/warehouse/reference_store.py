"""The reference data in the warehouse: replaced as a whole, read back as a `Reference`."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from grassroots.reference import Leader, Recipient, Reference
from grassroots.warehouse import db
from grassroots.warehouse.schema import REFERENCE_TABLES, districts, leaders, pairings, recipients, towns, units


def replace_reference(engine: Engine, reference: Reference) -> None:
    """Swap the whole reference data in one transaction: readers see the old set or the new one."""
    rows = {
        districts: [{"name": n, "code": c or None} for n, c in reference.districts.items()],
        towns: [{"name": t, "district": d} for t, d in reference.towns.items()],
        units: [{"name": u} for u in dict.fromkeys(reference.units)],
        pairings: [{"unit": u, "town": t} for u, t in reference.pairings.items()],
        leaders: [{"name": x.name, "title": x.title or None, "unit": x.unit or None} for x in reference.leaders],
        recipients: [{"name": r.name, "email": r.email, "scope": r.scope} for r in reference.recipients],
    }
    with db.write_transaction(engine) as conn:
        for table in reversed(REFERENCE_TABLES):
            conn.execute(sa.delete(table))
        for table in REFERENCE_TABLES:
            if rows[table]:
                conn.execute(sa.insert(table), rows[table])


def load_reference(engine: Engine) -> Reference | None:
    """The reference data in force, or None before the first reference workbook was accepted."""
    with db.read_connection(engine) as conn:
        district_rows = conn.execute(sa.select(districts.c.name, districts.c.code)).all()
        if not district_rows:
            return None
        town_rows = conn.execute(sa.select(towns.c.name, towns.c.district)).all()
        unit_rows = conn.execute(sa.select(units.c.name)).scalars().all()
        pairing_rows = conn.execute(sa.select(pairings.c.unit, pairings.c.town)).all()
        leader_rows = conn.execute(sa.select(leaders).order_by(leaders.c.id)).mappings().all()
        recipient_rows = conn.execute(sa.select(recipients).order_by(recipients.c.id)).mappings().all()
    # Sorted in Python: the databases' collations order Chinese text differently.
    return Reference(
        districts={n: c or "" for n, c in sorted(district_rows, key=lambda r: (r[1] or "", r[0]))},
        towns=dict(sorted(town_rows)),
        units=sorted(unit_rows),
        pairings=dict(sorted(pairing_rows)),
        leaders=[Leader(r["name"], r["title"] or "", r["unit"] or "") for r in leader_rows],
        recipients=[Recipient(r["name"], r["email"], r["scope"]) for r in recipient_rows],
    )
