"""Keep every received file unchanged, named by its checksum, whatever its fate.

The archive is the system's memory of what districts sent: a file is copied once, verified by
sha256, and never modified, so any figure can be traced back to the exact bytes it came from.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grassroots.intake.inbox import Candidate, as_path, safe_name
from grassroots.settings import Settings

CHUNK = 1 << 20


@dataclass(frozen=True)
class Archived:
    checksum: str
    path: Path  # the archived copy
    size: int


class StillWriting(Exception):
    """The file changed while it was being copied: it is left for the next run."""


def checksum_of(candidate: Candidate) -> str:
    """The sha256 of the file as it is in the inbox now (is it still the file we read last time?)."""
    digest = hashlib.sha256()
    with as_path(candidate.url).open("rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_file(candidate: Candidate, settings: Settings) -> Archived:
    """Copy the file into the archive while hashing it; the same bytes are stored once."""
    settings.archive.mkdir(parents=True, exist_ok=True)
    source = as_path(candidate.url)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=settings.archive, prefix=".incoming-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if size != candidate.size:
            raise StillWriting(candidate.relative)
        checksum = digest.hexdigest()
        folder = settings.archive / checksum[:2] / checksum
        target = folder / safe_name(candidate.name)
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
        existing = next((p for p in folder.iterdir() if not p.name.endswith(".sha256")), None)
        if existing is not None:
            return Archived(checksum, existing, size)
        tmp.replace(target)
        os.chmod(target, 0o444)
        (folder / f"{target.name}.sha256").write_text(f"{checksum}  {target.name}\n", encoding="utf-8")
        return Archived(checksum, target, size)
    finally:
        tmp.unlink(missing_ok=True)

