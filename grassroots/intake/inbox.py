"""The districts' shared inbox: which files are there, which are ready, where receipts go.

A local folder is walked with pathlib; any other URL (s3://, sftp://, ...) through Airflow's
ObjectStoragePath, imported only then. File and folder names are data: they are never used to
build a path outside the inbox, the archive or a receipt folder (see `safe_name`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grassroots import clock, contract
from grassroots.settings import Settings

REFERENCE_FOLDER = contract.REFERENCE_FOLDER
RECEIPT_FOLDER = "回执"
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
_TEMPORARY = re.compile(r"^(~\$|\.~lock\.|~|\.)|(\.tmp|\.part|\.crdownload|\.swp|#)$", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """A file found in a district's folder."""

    district: str  # the top folder it arrived in, or REFERENCE_FOLDER
    url: str  # where it is, for reading
    relative: str  # path inside the inbox, for people
    name: str
    size: int
    mtime: float

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def root(settings: Settings):
    """The inbox as a path object: pathlib for local folders, ObjectStoragePath otherwise."""
    return as_path(settings.inbox)


def as_path(url: str):
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    if "://" not in url:
        return Path(url)
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(url)


def _stat(path) -> tuple[int, float]:
    info = path.stat()
    if isinstance(info, dict):  # fsspec-style stat of ObjectStoragePath
        mtime = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or 0
        if isinstance(mtime, dt.datetime):
            mtime = mtime.timestamp()
        return int(info.get("size") or 0), float(mtime)
    return int(info.st_size), float(info.st_mtime)


RECEIPT_MARK = "_回执"


def is_temporary(name: str) -> bool:
    """Lock files, partial downloads and hidden files are never submissions."""
    return bool(_TEMPORARY.search(name))


def is_receipt(name: str) -> bool:
    """A receipt, e.g. left beside a file by the pre-check, is never a submission."""
    return name.rsplit(".", 1)[0].endswith(RECEIPT_MARK)


@dataclass
class Scan:
    ready: list[Candidate]
    settling: list[Candidate]  # still being written: left for the next run
    ignored: list[str]  # temporary, hidden or not a spreadsheet, or outside a district folder


def scan(settings: Settings, now: float | None = None) -> Scan:
    """Walk every district folder (sub-folders too, except receipts) and sort what is there."""
    now = clock.file_system_seconds() if now is None else now
    base = root(settings)
    result = Scan([], [], [])
    if not base.exists():
        return result
    for top in sorted(base.iterdir(), key=lambda p: p.name):
        if not top.is_dir():
            result.ignored.append(top.name)
            continue
        if top.name.startswith(".") or top.name == RECEIPT_FOLDER:
            continue
        _walk(top, top.name, top.name, now, settings, result)
    return result


def _walk(folder, district: str, relative: str, now: float, settings: Settings, result: Scan) -> None:
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        rel = f"{relative}/{entry.name}"
        if entry.is_dir():
            if entry.name != RECEIPT_FOLDER and not entry.name.startswith("."):
                _walk(entry, district, rel, now, settings, result)
            continue
        if is_temporary(entry.name) or is_receipt(entry.name) or not entry.name.lower().endswith(SUFFIXES):
            result.ignored.append(rel)
            continue
        size, mtime = _stat(entry)
        candidate = Candidate(district, str(entry), rel, entry.name, size, mtime)
        if abs(now - mtime) < settings.settle_seconds:  # a share whose clock runs ahead: recent too
            result.settling.append(candidate)
        else:
            result.ready.append(candidate)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_name(name: str, max_length: int = 100) -> str:
    """A file or folder name that is safe to create inside one of our folders.

    Separators, control characters and reserved characters become '_', leading dots are removed
    (so '..' and hidden names cannot escape or hide), and long names are shortened keeping the
    extension. Chinese characters stay as they are.
    """
    text = unicodedata.normalize("NFC", name.encode("utf-8", "replace").decode("utf-8", "replace"))
    text = text.replace("\ufffd", "_")
    text = _UNSAFE.sub("_", text).strip().lstrip(".").strip()
    if not text or set(text) <= {"_", "."}:
        text = "file"
    stem, dot, suffix = text.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = text, ""
    suffix = f".{suffix}" if suffix else ""
    limit = max_length - len(suffix)
    encoded = stem.encode("utf-8")
    if len(encoded) > limit * 2:  # keep names well below the 255-byte limit of file systems
        stem = encoded[: limit * 2].decode("utf-8", "ignore")
    stem = stem[:limit] or "file"
    return stem + suffix


def receipt_folder(settings: Settings, district: str):
    """The receipt folder of a district, inside the inbox, whatever the district's name holds."""
    folder = district if district not in ("", ".", "..") and not _UNSAFE.search(district) else safe_name(district)
    return root(settings) / folder / RECEIPT_FOLDER
