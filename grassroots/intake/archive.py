"""Keep every received file unchanged, named by its checksum, whatever its fate.

The archive is the system's memory of what districts sent: a file is copied once, verified by
sha256, and never modified, so any figure can be traced back to the exact bytes it came from.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grassroots import storage
from grassroots.intake.inbox import Candidate, open_file, safe_name
from grassroots.settings import Settings

CHUNK = 1 << 20


@dataclass(frozen=True)
class Archived:
    checksum: str
    path: Path  # the archived copy (an ObjectStoragePath when the file store is not local)
    size: int


class StillWriting(Exception):
    """The file changed while it was being copied: it is left for the next run."""


def checksum_of(candidate: Candidate) -> str:
    """The sha256 of the file as it is in the inbox now (is it still the file we read last time?)."""
    digest = hashlib.sha256()
    with open_file(candidate) as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_file(candidate: Candidate, settings: Settings) -> Archived:
    """Copy the file into the archive while hashing it; the same bytes are stored once."""
    if not storage.is_local(settings.archive):
        return _archive_remote(candidate, settings.archive)
    settings.archive.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=settings.archive, prefix=".incoming-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open_file(candidate) as src:  # never through a link
            checksum, size = _copy_hashing(src, out, candidate)
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


def _copy_hashing(src, out, candidate: Candidate) -> tuple[str, int]:
    """Copy the open inbox file to `out`, hashing as it goes; (sha256, size), or StillWriting."""
    digest = hashlib.sha256()
    size = 0
    while chunk := src.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        out.write(chunk)
    if size != candidate.size:
        raise StillWriting(candidate.relative)
    return digest.hexdigest(), size


def _archive_remote(candidate: Candidate, archive):
    """The archive in a shared file store: the bytes are hashed on the way through a local spool
    file, then stored under their checksum. The .sha256 beside the copy is written last, so a copy
    without it (a worker died while uploading) is not trusted and is written again."""
    with tempfile.TemporaryFile(prefix="grassroots-incoming-") as spool, open_file(candidate) as src:
        checksum, size = _copy_hashing(src, spool, candidate)
        folder = archive / checksum[:2] / checksum
        folder.mkdir(parents=True, exist_ok=True)
        sealed = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sha256"))
        if sealed:
            return Archived(checksum, folder / sealed[0].removesuffix(".sha256"), size)
        target = folder / safe_name(candidate.name)
        spool.seek(0)
        with target.open("wb") as dst:
            shutil.copyfileobj(spool, dst, CHUNK)
        (folder / f"{target.name}.sha256").write_text(f"{checksum}  {target.name}\n", encoding="utf-8")
        return Archived(checksum, target, size)
