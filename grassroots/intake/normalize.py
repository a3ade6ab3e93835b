"""Cell normalisation, column at a time: what a careful person means by what they typed.

Every function takes and returns a whole pandas Series so that 100k-row ledgers normalise at
the speed of the read, not of a Python loop per cell.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from grassroots.contract import NULL_TOKENS

# Full-width ASCII (！ .. ～) and the ideographic space -> half-width.
_HALFWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xA0: 0x20}
# Digits and Latin letters only, for cell text (punctuation in Chinese text stays as written).
_HALFWIDTH_ALNUM = {
    c: c - 0xFEE0
    for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
} | {0x3000: 0x20, 0xA0: 0x20}

EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def halfwidth(text: str) -> str:
    """Every full-width ASCII character of `text` in its half-width form."""
    return text.translate(_HALFWIDTH)


def _number_text(value: float) -> str | None:
    if value != value:  # NaN
        return None
    return str(int(value)) if value.is_integer() else repr(value)


def _datetime_text(value: dt.datetime) -> str:
    if value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat(sep=" ")


def _duration_text(value: dt.timedelta) -> str:
    """A date typed as a duration by a broken workbook."""
    return (EXCEL_EPOCH + value).date().isoformat()


# By exact type, as calamine gives cells: one lookup per cell instead of a chain of isinstance.
_TEXT_OF = {str: str.__str__, bool: lambda v: "是" if v else "否", float: _number_text,
            dt.datetime: _datetime_text, dt.date: dt.date.isoformat, dt.timedelta: _duration_text}


def cell_text(value: object) -> str | None:
    """One cell as read from a workbook -> its text, the way Excel would show it."""
    if value is None:
        return None
    convert = _TEXT_OF.get(value.__class__)
    if convert is not None:
        return convert(value)
    for kind in (str, bool, float, dt.datetime, dt.date, dt.timedelta):  # subclasses, in this order
        if isinstance(value, kind):
            return _TEXT_OF[kind](value)
    return str(value)


def cells_text(values: list) -> list[str | None]:
    """A column of cells as text (see cell_text), the text cells as they are."""
    of, other = _TEXT_OF.get, cell_text
    return [v if v.__class__ is str else (of(v.__class__) or other)(v) for v in values]


_HAS_WIDE = "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000\u00a0]"
_HAS_WIDE_ANY = "[\uff01-\uff5e\u3000\u00a0]"


# What Python's \s matches (str.isspace), as a class of the characters themselves: RE2's own \s
# is ASCII only.
_WHITESPACE = "[" + "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "]"


def _text_bytes(chunk: pa.Array) -> memoryview | None:
    """The UTF-8 bytes of every cell of an Arrow string chunk, back to back (no copy)."""
    if not (pa.types.is_large_string(chunk.type) or pa.types.is_string(chunk.type)):
        return None
    _, offsets, data = chunk.buffers()
    if data is None:
        return memoryview(b"")
    ends = np.frombuffer(offsets, dtype=np.int64 if pa.types.is_large_string(chunk.type) else np.int32)
    return memoryview(data)[ends[chunk.offset]:ends[chunk.offset + len(chunk)]]


def holds_any(text: pd.Series, char_class: str) -> bool:
    """Does any cell hold a character of `char_class` (an RE2 class of single characters)?

    One regex pass over the column's bytes at once: per cell, the test costs more than the work it
    spares (most columns hold no full-width digit and no inner space). A null cell's bytes may be
    looked at too: a false yes only sends the column to the exact test."""
    array = text.array.__arrow_array__() if isinstance(text.array, pd.arrays.ArrowStringArray) else None
    if array is None:
        return bool(text.str.contains(char_class, regex=True, na=False).any())
    for chunk in array.chunks:
        data = _text_bytes(chunk)
        if data is None:
            return True
        if not len(data):
            continue
        joined = pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([0, len(data)], np.int64)), pa.py_buffer(data))
        if pc.match_substring_regex(joined, char_class)[0].as_py():
            return True
    return False


def _translated(text: pd.Series, pattern: str, table: dict[int, int]) -> pd.Series:
    """str.translate only where needed: the column is tested at once, then cell by cell in Arrow,
    and translate runs in Python on the cells that need it."""
    if not holds_any(text, pattern):
        return text
    wide = text.str.contains(pattern, regex=True, na=False)
    return text.mask(wide, text[wide].str.translate(table))


def clean(series: pd.Series) -> pd.Series:
    """Trim, make digits and letters half-width, and turn the empty tokens into NA."""
    text = series.astype("str") if series.dtype != "str" else series
    text = _translated(text, _HAS_WIDE, _HALFWIDTH_ALNUM).str.strip()
    return text.mask(text.isin(NULL_TOKENS) | series.isna())


_DATE_SEP = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")  # 10000.. = 1927..2173; a bare year is no date


def parse_dates(text: pd.Series) -> pd.Series:
    """Cleaned text -> datetime64 (NaT where the text is no date we know).

    Accepted: 2026-11-20, 2026/11/20, 2026.11.20, 2026年11月20日, 20261120, an Excel serial
    number (e.g. 46346), each optionally followed by a time of day.
    """
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")  # the common case, in C
    rest = text[dates.isna() & text.notna()]
    if rest.empty:
        return dates.astype("datetime64[s]")
    s = _translated(rest, _HAS_WIDE_ANY, _HALFWIDTH)
    parts = s.str.extract(_DATE_SEP)
    compact = s.str.extract(_DATE_COMPACT)
    parts = parts.fillna(compact)
    ymd = parts.astype("float64")
    ymd.columns = ["year", "month", "day"]
    dates = dates.astype("datetime64[s]")
    dates.loc[rest.index] = pd.to_datetime(ymd, errors="coerce").astype("datetime64[s]")
    s = s.reindex(text.index)
    serial_text = s.where(s.str.fullmatch(_SERIAL).fillna(False) & dates.isna())
    if serial_text.notna().any():
        serial = pd.to_numeric(serial_text, errors="coerce")
        serial = serial.where((serial >= 1) & (serial < 2958466))
        from_serial = EXCEL_EPOCH + pd.to_timedelta(serial.round(0), unit="D")
        dates = dates.fillna(from_serial)
    return dates.astype("datetime64[s]").dt.normalize()


_SEPARATORS = r"[,，\s]"
_UNIT_IN_WAN = (("亿元", 10000.0), ("亿", 10000.0), ("万元", 1.0), ("万", 1.0), ("元", 0.0001))
_COUNTERS = (("人", 1.0), ("个", 1.0), ("次", 1.0), ("项", 1.0), ("名", 1.0))


def _numbers(text: pd.Series, suffixes: tuple[tuple[str, float], ...]) -> pd.Series:
    """Numbers, with thousands separators and an optional unit suffix scaled by its factor.

    Plain numbers convert in C; only the rest is looked at again, suffix by suffix (no regex
    extraction, which pandas runs per cell in Python).
    """
    plain = pd.to_numeric(text, errors="coerce").astype("float64")
    rest = text[plain.isna() & text.notna()]
    if rest.empty:
        return plain
    s = _translated(rest, _HAS_WIDE_ANY, _HALFWIDTH).str.replace(_SEPARATORS, "", regex=True)
    value = pd.to_numeric(s, errors="coerce").astype("float64")
    for suffix, factor in suffixes:
        has = value.isna() & s.str.endswith(suffix)
        if has.any():
            value.loc[has] = pd.to_numeric(s[has].str.slice(0, -len(suffix)), errors="coerce") * factor
    plain.loc[rest.index] = value
    return plain


def parse_amounts_wan(text: pd.Series) -> pd.Series:
    """Amounts in 万元: '400万元' -> 400, '1,200' -> 1200, '5000元' -> 0.5, '1.2亿' -> 12000."""
    return _numbers(text, _UNIT_IN_WAN)


def parse_counts(text: pd.Series) -> pd.Series:
    """Numbers with an optional counter word ('12人'); fractions stay fractional for validation."""
    return _numbers(text, _COUNTERS)


_LIST_SPLIT = re.compile(r"[,，、;；\s]+")


def parse_lists(text: pd.Series) -> pd.Series:
    """'A1，A2、A3' -> 'A1,A2,A3': one canonical separator, blanks dropped."""
    s = _translated(text, _HAS_WIDE_ANY, _HALFWIDTH).str.replace(_LIST_SPLIT, ",", regex=True).str.strip(",")
    return s.mask(s == "")


def canonical_choice(text: pd.Series, synonyms: dict[str, str]) -> pd.Series:
    """Map accepted spellings (已销号) to the canonical value (已办结); spaces inside ignored."""
    if holds_any(text, _WHITESPACE):
        spaced = text.str.contains(r"\s", regex=True, na=False)
        text = text.mask(spaced, text[spaced].str.replace(r"\s+", "", regex=True))
    return text.replace(synonyms) if synonyms else text


_TITLE_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"
)


def date_in_text(text: str) -> dt.date | None:
    """The last valid date written in a title or a file name ('截至2026年11月20日' -> 2026-11-20)."""
    found = None
    for m in _TITLE_DATE.finditer(halfwidth(text)):
        y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(4, 5, 6)
        try:
            found = dt.date(int(y), int(mo), int(d))
        except ValueError:
            continue
    return found
