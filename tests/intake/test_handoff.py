"""The handoff between tasks gives back the tables the reader made, each frame as it was."""

from __future__ import annotations

import json

import pandas as pd

from grassroots import contract
from grassroots.intake import handoff, reader
from tests.intake.test_reader import ROW_1, ROW_2, ledger_xlsx


def test_a_value_column_that_is_its_text_is_saved_once_and_loaded_as_it_was(tmp_path, settings):
    sub = reader.read_submission(ledger_xlsx(tmp_path / "a.xlsx", rows=(ROW_1, ROW_2)), settings)
    handoff.save(sub, tmp_path / "staged")
    table = sub.table(contract.LEDGER)
    shared = json.loads((tmp_path / "staged" / "submission.json").read_text(encoding="utf-8"))["tables"][0]["shared"]
    assert "title" in shared and "reported_on" not in shared  # a date's value is not its text
    assert set(shared).isdisjoint(pd.read_parquet(tmp_path / "staged" / "0-values.parquet").columns)

    loaded = handoff.load(tmp_path / "staged").table(contract.LEDGER)
    pd.testing.assert_frame_equal(loaded.text, table.text)
    in_ms = {c: "datetime64[ms]" for c, dtype in table.values.dtypes.items() if dtype.kind == "M"}  # as Parquet keeps them
    pd.testing.assert_frame_equal(loaded.values, table.values.astype(in_ms))
    values_only = handoff.load(tmp_path / "staged", frames=("values",)).table(contract.LEDGER)
    pd.testing.assert_frame_equal(values_only.values, loaded.values)
    assert list(values_only.text.columns) == [] and list(values_only.text.index) == list(table.text.index)
    neither = handoff.load(tmp_path / "staged", frames=()).table(contract.LEDGER)
    assert neither.rows == table.rows and list(neither.values.columns) == []
