"""The reader's column-at-once shortcuts give what the cell-by-cell rules give."""

from __future__ import annotations

import datetime as dt
import io
import re

import pandas as pd
import pytest

from grassroots.intake import normalize, reader


class _Trickle(io.RawIOBase):
    """A worksheet part read back a few bytes at a time: every tag is cut somewhere."""

    def __init__(self, data: bytes, step: int):
        self._data, self._step = io.BytesIO(data), step

    def read(self, size: int = -1) -> bytes:
        return self._data.read(self._step)


@pytest.mark.parametrize("step", [1, 2, 3, 5, 7, 64])
def test_row_tags_cut_between_chunks_are_counted_once(step):
    sheet = (b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row>\n</row><x:row r="3"/>'
             b'<row\nr="4"></row><rowBreaks count="1"/><c><is><t>a:row and &lt;row </t></is></c>'
             b'<row r="5"/></sheetData>')
    exact = len(re.findall(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]", sheet))
    assert exact == 5
    assert reader._count_rows(_Trickle(sheet, step), cap=1000) == exact


def test_a_column_of_mixed_cells_reads_as_excel_shows_it():
    cells = ["文本", 400.0, 12.5, float("nan"), True, dt.date(2026, 11, 20), dt.datetime(2026, 11, 20, 9, 30),
             dt.datetime(2026, 11, 21), None, ""]
    expected = ["文本", "400", "12.5", None, "是", "2026-11-20", "2026-11-20 09:30:00", "2026-11-21", None, ""]
    assert [normalize.cell_text(c) for c in cells] == expected
    read = reader._text_column(cells)
    assert [None if pd.isna(v) else v for v in read] == expected


def test_full_width_digits_anywhere_in_a_long_column_are_made_half_width():
    column = pd.Series(["HS-001"] * 5000 + ["ＨＳ-００２", "a\u3000b"] + [None] * 3, dtype="str")
    cleaned = normalize.clean(column)
    assert cleaned.iloc[5000] == "HS-002"
    assert cleaned.iloc[5001] == "a b"
    assert cleaned.iloc[:5000].eq("HS-001").all() and cleaned.iloc[5002:].isna().all()


@pytest.mark.parametrize("space", [" ", "\u3000", "\t", "\x0b", "\xa0", "\u2028"])
def test_any_space_inside_a_choice_is_ignored(space):
    column = pd.Series(["推进中"] * 3000 + [f"已{space}销号", None], dtype="str")
    chosen = normalize.canonical_choice(column, {"已销号": "已办结"})
    assert chosen.iloc[3000] == "已办结"
    assert chosen.iloc[:3000].eq("推进中").all() and pd.isna(chosen.iloc[3001])
