"""A city under attack for the hostile-input tests: a good file from another district, files and
links outside the home, and a check that nothing outside GRASSROOTS_HOME changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from grassroots import ingest, warehouse
from grassroots.warehouse.schema import cases, submissions
from tests.ingest_samples import ledger_rows, settle, write_ledger, write_reference

AS_OF = dt.date(2026, 11, 20)
GOOD_DISTRICT, GOOD_FILE = "鄞州区", "鄞州区问题清单.xlsx"


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry below `folder` (links not followed): kind, content hash or link target, mode."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = path.lstat()
            if path.is_symlink():
                out[str(path)] = ("link", os.readlink(path))
            elif path.is_dir():
                out[str(path)] = ("dir", info.st_mode)
            else:
                out[str(path)] = ("file", hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mode)
    return out


@dataclass
class City:
    home: Path
    inbox: Path
    outside: Path  # files a hostile district may point at; must never change
    system_temp: Path  # the system's temp folder for this test; must stay empty
    before: dict

    def settle_all(self) -> None:
        for path in self.inbox.rglob("*"):
            if path.is_file() and not path.is_symlink():
                settle(path)

    def ingest(self, settings) -> dict:
        """One ingest pass, then the checks every hostile test shares."""
        self.settle_all()
        steps = ingest.run_once(settings)
        self.assert_held(settings)
        return steps

    def assert_held(self, settings) -> None:
        fates = fates_of(settings)
        assert fates[GOOD_FILE]["fate"] == "accepted", fates[GOOD_FILE]
        engine = warehouse.connect(settings.warehouse_url)
        with engine.connect() as conn:
            ids = conn.execute(select(cases.c.case_id).where(cases.c.district == GOOD_DISTRICT)).scalars().all()
        engine.dispose()
        assert sorted(ids) == ["YZ-001", "YZ-002", "YZ-003"]
        assert snapshot(self.outside) == self.before, "something outside GRASSROOTS_HOME changed"
        assert list(self.system_temp.iterdir()) == [], "left in the system's temp folder"


def make_city(home: Path, tmp_path: Path, monkeypatch) -> City:
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_temp))
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    write_ledger(outside, "外部问题清单.xlsx", ledger_rows("海曙区"), AS_OF)
    inbox = home / "inbox"
    write_reference(inbox)
    write_ledger(inbox / GOOD_DISTRICT, GOOD_FILE, ledger_rows(GOOD_DISTRICT), AS_OF)
    return City(home, inbox, outside, system_temp, snapshot(outside))


def fates_of(settings, every: bool = False):
    """file name -> its newest submission; with every=True, (file name, submission) pairs."""
    engine = warehouse.connect(settings.warehouse_url)
    with engine.connect() as conn:
        rows = conn.execute(select(submissions).order_by(submissions.c.id)).mappings().all()
    engine.dispose()
    if every:
        return [(r["file_name"], dict(r)) for r in rows]
    return {r["file_name"]: dict(r) for r in rows}
