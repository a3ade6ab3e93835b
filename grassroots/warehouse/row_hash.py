"""The content hash of a case's fields (CASE_FIELDS): what lets a weekly ledger skip its unchanged rows.

Each version of a case stores the hash of its fields (case_history.row_hash), so the merge of the
district's newest ledger compares a ledger row with the case's current version in pandas and stages
only the rows that differ. One function computes it, over frames of stage rows (staging.ledger_rows'
types: dates as ISO text, empty as NA, funds as float64), whether they come from a ledger or from
versions read back (`of_fields`). Each value becomes its text (a float by its 64 bits, -0.0 as
0.0), NULL "\x00" (no text holds it: PostgreSQL refuses it in text), so NULL differs from empty
text and from "nan"; the values, joined by "\x1f" (in Arrow, vectorised), go through BLAKE2b
(8 bytes, a signed 64-bit integer): the same in every process and on every machine. A stored
hash is trusted when equal, so the hash of given values must never change: a test pins it, and a
change to this function needs a migration that sets case_history.row_hash NULL. NULL means unknown
(versions written before revision 0011): such a row is staged and compared field by field, and its
version gets the hash when found the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from grassroots.warehouse.schema import CASE_FIELDS

_TEXT = pa.large_string()
_SEP = pa.scalar("\x1f", _TEXT)
_JOIN = pc.JoinOptions(null_handling="replace", null_replacement="\x00")
_DATES, _FLOATS = {"reported_on", "deadline", "resolved_on"}, {"funds_wan"}


def of_rows(rows: pd.DataFrame) -> pd.Series:
    """The hash of each stage row's CASE_FIELDS, as Int64."""
    joined = pc.binary_join_element_wise(*(_text(rows[name]) for name in CASE_FIELDS), _SEP, options=_JOIN)
    digests = b"".join(hashlib.blake2b(value, digest_size=8).digest()
                       for value in pc.cast(joined, pa.large_binary()).to_pylist())
    return pd.Series(np.frombuffer(digests, dtype=">i8").astype("int64"), index=rows.index, dtype="Int64")


def of_fields(versions: Sequence[Iterable]) -> list[int]:
    """The hash of each version's CASE_FIELDS values as the database returns them (date, float, text)."""
    columns = list(zip(*versions, strict=True)) if versions else [()] * len(CASE_FIELDS)
    frame = pd.DataFrame({name: _stage_typed(name, values) for name, values in zip(CASE_FIELDS, columns, strict=True)})
    return [int(h) for h in of_rows(frame)]


def _stage_typed(name: str, values: tuple) -> pd.Series:
    if name in _DATES:
        return pd.Series([v.isoformat() if isinstance(v, dt.date) else v for v in values], dtype="str")
    if name in _FLOATS:
        return pd.Series([None if v is None else float(v) for v in values], dtype="float64")
    return pd.Series(values, dtype="str")


def _text(column: pd.Series) -> pa.Array:
    if pd.api.types.is_float_dtype(column):  # the exact value: its bits as an integer
        bits = (column.to_numpy(dtype="float64", na_value=np.nan) + 0.0).view("int64")
        return pa.array(bits, mask=column.isna().to_numpy()).cast(_TEXT)
    return pa.array(column, from_pandas=True).cast(_TEXT)
