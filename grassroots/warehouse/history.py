"""A case's versions over time, and how one ledger changes them (the rule of metrics.md in Python).

A case's state at D is its state in the newest ledger on or before D that lists it; a case its
district's newest ledger leaves out keeps that state and counts as missing. Versions change only
at ledger dates, so a district's history is a list of versions per case (see schema.case_history).

The merge applies a ledger newer than every other of its district in SQL (merge.py: only what
changed is written). `apply_ledger` is the general rule, used for a ledger arriving out of order
(older than the district's newest) and by the migration that turns listings into versions: given
the versions that touch [a, oo), the ledger's rows, its as-of date a, the as-of date n of the next
newer ledger of the district (None when there is none) and the as-of date of the one before it, it
returns the new versions on [a, oo):
- on [a, n) the ledger decides: a case it lists has its row, one it leaves out keeps its state and
  is missing (last listed by the ledger before);
- from n on the newer ledgers decide, except where a case is missing there: its last state is the
  newest that listed it, which is now this ledger's when this ledger lists it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple


class Version(NamedTuple):
    case_id: str
    valid_from: dt.date
    valid_to: dt.date | None
    listed: bool
    last_listed: dt.date | None
    submission_id: int
    fields: tuple  # CASE_FIELDS values, in order
    source_sheet: str | None
    source_row: int | None


class Row(NamedTuple):
    """A ledger's row for one case: its fields and where it came from."""

    fields: tuple
    source_sheet: str | None
    source_row: int | None


def apply_ledger(versions: Iterable[Version], rows: dict[str, Row], *, submission_id: int, as_of: dt.date,
                 next_as_of: dt.date | None, previous_as_of: dt.date | None) -> list[Version]:
    """The versions on [as_of, oo) of every case in `versions` or `rows` once the ledger is in.

    `versions` are those with valid_to NULL or after as_of (the rest stays as it is)."""
    by_case: dict[str, list[Version]] = {}
    for v in versions:
        by_case.setdefault(v.case_id, []).append(v)
    out: list[Version] = []
    for case_id in by_case.keys() | rows.keys():
        out += _apply_one(case_id, sorted(by_case.get(case_id, ()), key=lambda v: v.valid_from), rows.get(case_id),
                          submission_id, as_of, next_as_of, previous_as_of)
    return out


def _apply_one(case_id: str, vs: list[Version], row: Row | None, sid: int, a: dt.date, n: dt.date | None,
               previous: dt.date | None) -> list[Version]:
    prior = next((v for v in vs if v.valid_from <= a), None)
    later = [v for v in vs if v.valid_from > a]
    out = []
    if prior is not None and prior.valid_from < a:
        out.append(prior._replace(valid_to=a))
    if n is None or n > a:  # [a, n): this ledger decides
        if row is not None:
            out.append(Version(case_id, a, n, True, None, sid, row.fields, row.source_sheet, row.source_row))
        elif prior is not None:
            last = previous if prior.listed else prior.last_listed
            out.append(prior._replace(valid_from=a, valid_to=n, listed=False, last_listed=last))
    if n is not None:  # from n: the newer ledgers decide, a missing case carries its newest listed state
        tail = []
        if prior is not None and (prior.valid_to is None or prior.valid_to > n):
            tail.append(prior._replace(valid_from=n))
        tail += [v for v in later if v.valid_from >= n]
        if row is not None:
            tail = [v._replace(submission_id=sid, fields=row.fields, source_sheet=row.source_sheet,
                               source_row=row.source_row, last_listed=a)
                    if not v.listed and (v.last_listed < a or (v.last_listed == a and n > a)) else v
                    for v in tail]
            if not tail or tail[0].valid_from > n:  # a case first listed here, listed again only later (or never)
                tail.insert(0, Version(case_id, n, tail[0].valid_from if tail else None, False, a, sid, row.fields,
                                       row.source_sheet, row.source_row))
        out += tail
    return _joined(out)


def _joined(vs: list[Version]) -> list[Version]:
    """Adjacent versions of the same state become one (keeping the first's lineage); none is empty."""
    out: list[Version] = []
    for v in vs:
        if v.valid_to is not None and v.valid_to <= v.valid_from:
            continue
        if out and out[-1].valid_to == v.valid_from and _same_state(out[-1], v):
            out[-1] = out[-1]._replace(valid_to=v.valid_to)
        else:
            out.append(v)
    return out


def _same_state(a: Version, b: Version) -> bool:
    return a.fields == b.fields and a.listed == b.listed and a.last_listed == b.last_listed
