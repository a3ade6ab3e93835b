"""Hand a read submission from one task to the next without reading the file twice.

The read task writes each table (cleaned text and typed values) as Parquet plus a small JSON
description under $GRASSROOTS_HOME/staging/<submission id>/; validation and the merge load it
back. The folder is removed once the submission's receipt is written.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd

from grassroots.findings import Finding
from grassroots.intake.reader import Submission, Table
from grassroots.settings import Settings


def folder(settings: Settings, submission_id: int) -> Path:
    return settings.home / "staging" / str(int(submission_id))


def save(sub: Submission, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    tables = []
    for n, table in enumerate(sub.tables):
        table.text.to_parquet(target / f"{n}-text.parquet")
        table.values.to_parquet(target / f"{n}-values.parquet")
        tables.append({
            "kind": table.kind,
            "sheet": table.sheet,
            "header_row": table.header_row,
            "headers": {k: list(v) for k, v in table.headers.items()},
            "findings": [f.as_dict() for f in table.findings],
        })
    meta = {
        "file_name": sub.file_name,
        "checksum": sub.checksum,
        "as_of": sub.as_of.isoformat() if sub.as_of else None,
        "as_of_source": sub.as_of_source,
        "tables": tables,
    }
    (target / "submission.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


def load(target: Path) -> Submission:
    meta = json.loads((target / "submission.json").read_text(encoding="utf-8"))
    tables = []
    for n, t in enumerate(meta["tables"]):
        tables.append(Table(
            kind=t["kind"],
            sheet=t["sheet"],
            header_row=t["header_row"],
            headers={k: (v[0], v[1]) for k, v in t["headers"].items()},
            text=pd.read_parquet(target / f"{n}-text.parquet"),
            values=pd.read_parquet(target / f"{n}-values.parquet"),
            findings=[Finding(**f) for f in t["findings"]],
        ))
    as_of = dt.date.fromisoformat(meta["as_of"]) if meta["as_of"] else None
    return Submission(meta["file_name"], meta["checksum"], as_of, meta["as_of_source"], tables)


def discard(settings: Settings, submission_id: int) -> None:
    shutil.rmtree(folder(settings, submission_id), ignore_errors=True)
