"""The districts' shared inbox: which files are there, which are ready, where receipts go.

A local folder is walked with pathlib; any other URL (s3://, sftp://, ...) through Airflow's
ObjectStoragePath, imported only then. File and folder names are data: they are never used to
build a path outside the inbox, the archive or a receipt folder (see `safe_name`).

A district can create symbolic links on a shared drive, so a local inbox is never read or written
through one: the scan looks with lstat and reports links instead of following them, files are
opened folder by folder with O_NOFOLLOW (`open_file`), and receipts are created as new regular
files inside the district's own receipt folder (`write_receipt_file`).
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import stat
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grassroots import clock, contract
from grassroots.settings import Settings
from grassroots.storage import as_path

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
    kind: str = "file"  # or LINK

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def root(settings: Settings):
    """The inbox as a path object: pathlib for local folders, ObjectStoragePath otherwise."""
    return as_path(settings.inbox)


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


LINK = "link"  # Candidate.kind of a symbolic link: refused with a receipt, never read


@dataclass
class Scan:
    ready: list[Candidate]
    settling: list[Candidate]  # still being written: left for the next run
    ignored: list[str]  # temporary, hidden or not a spreadsheet, or outside a district folder
    links: list[Candidate] = field(default_factory=list)  # symbolic links: refused, never followed
    notes: list[str] = field(default_factory=list)  # "<relative>：<why it was not taken>", for operators


def _is_link(path) -> bool:
    """A symbolic link (or a Windows junction), looked at without following it."""
    if not isinstance(path, Path):
        return False  # object storage has no links
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISLNK(info.st_mode) or bool(getattr(path, "is_junction", lambda: False)())


def shown(text: str) -> str:
    """A file name as it may be printed: control characters and other invisible ones escaped."""
    out = []
    for ch in str(text):
        if unicodedata.category(ch)[0] != "C" and ch not in "\u2028\u2029":  # controls, bidi overrides
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    return "".join(out)


def _why_ignored(name: str) -> str:
    if is_receipt(name):
        return "文件名以“_回执”结尾，按回执处理，不作为提交文件"
    if is_temporary(name):
        return "临时文件或隐藏文件"
    return "不是 .xlsx、.xls 或 .csv 文件"


def scan(settings: Settings, now: float | None = None) -> Scan:
    """Walk every district folder (sub-folders too, except receipts) and sort what is there."""
    now = clock.file_system_seconds() if now is None else now
    base = root(settings)
    result = Scan([], [], [])
    if not base.exists():
        return result
    for top in sorted(base.iterdir(), key=lambda p: p.name):
        if _is_link(top):
            result.ignored.append(top.name)
            result.notes.append(f"{shown(top.name)}：是符号链接，系统不跟随链接，未读取")
            continue
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
        if _is_link(entry):  # never followed: a file link is refused on a receipt, a folder link noted
            if entry.name.strip().lower().endswith(SUFFIXES) and not is_receipt(entry.name.strip()):
                result.links.append(Candidate(district, str(entry), rel, entry.name, 0, 0.0, LINK))
            else:
                result.ignored.append(rel)
                result.notes.append(f"{shown(rel)}：是符号链接，系统不跟随链接，未读取")
            continue
        if entry.is_dir():
            if entry.name != RECEIPT_FOLDER and not entry.name.startswith("."):
                _walk(entry, district, rel, now, settings, result)
            continue
        name = entry.name.strip()  # 'a.xlsx ' is still a workbook
        if is_temporary(name) or is_receipt(name) or not name.lower().endswith(SUFFIXES):
            result.ignored.append(rel)
            if not is_temporary(name):
                result.notes.append(f"{shown(rel)}：{_why_ignored(name)}")
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


# --- opening and writing without following links ---------------------------------------------

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
PART_PREFIX = ".receipt-"  # a receipt being written; never a submission (hidden), removed when stale
STALE_PART_SECONDS = 3600


class LinkRefused(OSError):
    """A link (or something else than a plain file or folder) where the inbox must hold a real one."""


def _local_base(settings: Settings) -> Path | None:
    base = root(settings)
    return base if isinstance(base, Path) else None


def _open_folder(base: Path, parts: list[str]) -> int:
    """A descriptor of base/parts..., opened one folder at a time, never through a link.

    The inbox itself may be a link the operators set up; nothing below it may be."""
    fd = os.open(base, os.O_RDONLY | _DIRECTORY)
    try:
        for part in parts:
            if part in ("", ".", "..") or "/" in part:
                raise LinkRefused(errno.EINVAL, "not a folder name", part)
            try:
                inner = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise LinkRefused(exc.errno, "a link or not a folder", part) from exc
                raise
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_file(candidate: Candidate):
    """The candidate's bytes, read without following any link on the way (local inbox), or through
    ObjectStoragePath (remote inbox). Raises LinkRefused for a link or anything not a plain file."""
    base = candidate.url
    if "://" in base and not base.startswith("file://"):
        return as_path(candidate.url).open("rb")
    parts = candidate.relative.split("/")
    inbox_root = Path(candidate.url.removeprefix("file://"))
    for _ in parts:
        inbox_root = inbox_root.parent
    folder = _open_folder(inbox_root, parts[:-1])
    try:
        try:
            fd = os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=folder)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):
                raise LinkRefused(exc.errno, "a link", candidate.relative) from exc
            raise
    finally:
        os.close(folder)
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # a pipe or device would block or never end
        os.close(fd)
        raise LinkRefused(errno.EINVAL, "not a plain file", candidate.relative)
    return os.fdopen(fd, "rb")


def _folder_name(district: str) -> str:
    return district if district not in ("", ".", "..") and not _UNSAFE.search(district) else safe_name(district)


def write_receipt_file(settings: Settings, district: str, name: str, source: Path) -> str:
    """Put the receipt built at `source` into the district's receipt folder as `name`; its path.

    Created as a new regular file (O_EXCL, O_NOFOLLOW) in that very folder, then renamed over
    `name`: a link planted at `name` is replaced, never written through, and a receipt folder that
    is a link is refused (LinkRefused). A kill leaves at most a hidden part file, removed later.
    """
    if name in ("", ".", "..") or "/" in name or "\\" in name:
        raise ValueError(f"not a receipt name: {name!r}")
    base = _local_base(settings)
    if base is None:  # object storage knows no links
        target = receipt_folder(settings, district) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as src, target.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        return str(target)
    folder_name = _folder_name(district)
    top = _open_folder(base, [])
    try:
        try:
            os.mkdir(folder_name, 0o775, dir_fd=top)
        except FileExistsError:
            pass
    finally:
        os.close(top)
    district_fd = _open_folder(base, [folder_name])
    try:
        try:
            os.mkdir(RECEIPT_FOLDER, 0o775, dir_fd=district_fd)
        except FileExistsError:
            pass
        folder = _open_folder(base, [folder_name, RECEIPT_FOLDER])
    finally:
        os.close(district_fd)
    part = f"{PART_PREFIX}{uuid.uuid4().hex}.part"
    try:
        out = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644, dir_fd=folder)
        try:
            with source.open("rb") as src:
                while chunk := src.read(1 << 20):
                    os.write(out, chunk)
            os.fsync(out)
        finally:
            os.close(out)
        os.rename(part, name, src_dir_fd=folder, dst_dir_fd=folder)
        _remove_stale_parts(folder)
    finally:
        try:
            os.unlink(part, dir_fd=folder)
        except FileNotFoundError:
            pass
        os.close(folder)
    return str(base / folder_name / RECEIPT_FOLDER / name)


def _remove_stale_parts(folder: int) -> None:
    """Part files a killed run left behind (older than an hour: not another run's, in progress)."""
    now = clock.file_system_seconds()
    for entry in os.listdir(folder):
        if not (entry.startswith(PART_PREFIX) and entry.endswith(".part")):
            continue
        try:
            info = os.stat(entry, dir_fd=folder, follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_PART_SECONDS:
                os.unlink(entry, dir_fd=folder)
        except OSError:
            continue
