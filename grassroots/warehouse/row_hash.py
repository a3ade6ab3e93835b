"""The content hash of a case's fields (CASE_FIELDS): what lets a weekly ledger skip its unchanged rows.

Each version of a case stores the hash of its fields (case_history.row_hash), so the merge of the
district's newest ledger compares a ledger row with the case's current version in pandas and stages
only the rows that differ, never the rest. The hash is one function of the values, computed two
ways that must agree: vectorised over stage rows (`of_rows`: dates as ISO text, empty as NA) and
per version from database values (`of_fields`: dates, floats, text, None). Each value becomes a
token: NULL "\\x00", else "\\x01" and its text (an ISO date; a float's shortest repr, -0.0 as 0.0),
so NULL differs from empty text and from "nan". The tokens, joined by "\\x1f", go through BLAKE2b
(8 bytes, a signed 64-bit integer): the same on every process, machine and library version.
NULL as a stored hash means unknown (versions written before revision 0011): treated as changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

import pandas as pd

from grassroots.warehouse.schema import CASE_FIELDS

_NULL, _VALUE, _SEP = "\x00", "\x01", "\x1f"


def of_rows(rows: pd.DataFrame) -> pd.Series:
    """The hash of each stage row's CASE_FIELDS (staging.ledger_rows' types), as Int64."""
    tokens = []
    for name in CASE_FIELDS:
        column = rows[name]
        text = (column + 0.0).astype("str") if pd.api.types.is_float_dtype(column) else column.astype("str")
        tokens.append((_VALUE + text).where(column.notna(), _NULL))
    joined = tokens[0].str.cat(tokens[1:], sep=_SEP)
    return pd.Series([_digest(s) for s in joined], index=rows.index, dtype="Int64")


def of_fields(fields: Iterable) -> int:
    """The hash of one version's CASE_FIELDS values as the database returns them."""
    return _digest(_SEP.join(_token(value) for value in fields))


def _token(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return _NULL
    if isinstance(value, dt.date):
        return _VALUE + value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _VALUE + repr(float(value) + 0.0)
    return _VALUE + str(value)


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True)
