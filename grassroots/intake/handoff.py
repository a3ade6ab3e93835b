"""Hand a read submission from one task to the next without reading the file twice.

The read task writes each table (cleaned text and typed values) as Parquet plus a small JSON
description under staging/<submission id>/ of the file store (GRASSROOTS_FILE_STORE, by default
$GRASSROOTS_HOME), which every worker reaches: validation and the merge may run on another host.
The folder is removed once the submission's receipt is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from grassroots import storage
from grassroots.findings import Finding
from grassroots.intake.reader import Submission, Table
from grassroots.settings import Settings


def folder(settings: Settings, submission_id: int):
    return settings.staging / str(int(submission_id))


def _write_parquet(frame: pd.DataFrame, path) -> None:
    if storage.is_local(path):
        frame.to_parquet(path)
        return
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    path.write_bytes(buffer.getvalue())


def _read_parquet(path, columns: list[str] | None = None) -> pd.DataFrame:
    if storage.is_local(path):
        return pd.read_parquet(path, columns=columns)
    return pd.read_parquet(io.BytesIO(path.read_bytes()), columns=columns)


def save(sub: Submission, target) -> None:
    storage.remove_tree(target)
    target.mkdir(parents=True, exist_ok=True)
    tables = []
    for n, table in enumerate(sub.tables):
        shared = _same_as_text(table)
        _write_parquet(table.text, target / f"{n}-text.parquet")
        _write_parquet(table.values.drop(columns=shared), target / f"{n}-values.parquet")
        tables.append({
            "kind": table.kind,
            "sheet": table.sheet,
            "header_row": table.header_row,
            "headers": {k: list(v) for k, v in table.headers.items()},
            "findings": [f.as_dict() for f in table.findings],
            "values": list(table.values.columns),
            "shared": shared,
        })
    meta = {
        "file_name": sub.file_name,
        "checksum": sub.checksum,
        "as_of": sub.as_of.isoformat() if sub.as_of else None,
        "as_of_source": sub.as_of_source,
        "tables": tables,
    }
    (target / "submission.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


FRAMES = ("text", "values")


def _same_as_text(table: Table) -> list[str]:
    """The value columns that are their text column (text fields: cleaned text is the value), saved
    and loaded once: a 1M-row ledger's text is not held twice by validation and the merge."""
    return [c for c in table.values.columns
            if c in table.text and table.values[c].dtype == table.text[c].dtype and table.values[c].equals(table.text[c])]


def load(target, frames: tuple[str, ...] = FRAMES) -> Submission:
    """The submission as saved; a frame not in `frames` is read without its columns (its index,
    the Excel row numbers, still counts the rows): the merge needs the values, the receipt neither."""
    meta = json.loads((target / "submission.json").read_text(encoding="utf-8"))
    tables = []
    for n, t in enumerate(meta["tables"]):
        shared = t.get("shared", [])
        wanted = {"text": None if "text" in frames else (shared if "values" in frames else [])}
        wanted["values"] = None if "values" in frames else []
        read = {name: _read_parquet(target / f"{n}-{name}.parquet", wanted[name]) for name in FRAMES}
        if "values" in frames and shared:  # the text's own column (one copy in memory, as the reader had it)
            read["values"] = read["values"].assign(**{c: read["text"][c] for c in shared})[t["values"]]
            if "text" not in frames:
                read["text"] = read["text"][[]]
        tables.append(Table(
            kind=t["kind"],
            sheet=t["sheet"],
            header_row=t["header_row"],
            headers={k: (v[0], v[1]) for k, v in t["headers"].items()},
            text=read["text"],
            values=read["values"],
            findings=[Finding(**f) for f in t["findings"]],
        ))
    as_of = dt.date.fromisoformat(meta["as_of"]) if meta["as_of"] else None
    return Submission(meta["file_name"], meta["checksum"], as_of, meta["as_of_source"], tables)


def discard(settings: Settings, submission_id: int) -> None:
    """The submission is done: its staged tables and its lock go (a run that still meets it takes
    a fresh lock and finds it done)."""
    storage.remove_tree(folder(settings, submission_id))
    (_locks(settings) / f"{int(submission_id)}.lock").unlink(missing_ok=True)


def _locks(settings: Settings) -> Path:
    return settings.home / "staging" / "locks"


@contextlib.contextmanager
def claim(settings: Settings, submission_id: int, *, wait: bool = False) -> Iterator[bool]:
    """Hold the submission for this process while the block runs: True when held, False when
    another process holds it (with `wait`, until it lets go). The lock (flock) goes with the
    process, so a killed run leaves none."""
    locks = _locks(settings)
    locks.mkdir(parents=True, exist_ok=True)
    fd = os.open(locks / f"{int(submission_id)}.lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
