"""Which files the operators' page may hand out: receipts inside the inbox's 回执 folders and the
Data Docs site under $GRASSROOTS_HOME/datadocs, nothing else.

A path is checked after resolving symlinks and '..', so a path stored in the warehouse, a symlink a
district dropped into its folder, or a crafted URL can never reach a file outside those folders.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from grassroots.intake import inbox
from grassroots.settings import Settings

RECEIPT_SUFFIX = ".xlsx"


def _inside(path: Path, root: Path) -> Path | None:
    """`path` resolved, when it is an existing regular file inside `root` (resolved too)."""
    try:
        real = path.resolve(strict=True)
        base = root.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    return real if real.is_relative_to(base) and real.is_file() else None


def _is_receipt_name(parts: tuple[str, ...]) -> bool:
    return len(parts) >= 2 and parts[-2] == inbox.RECEIPT_FOLDER and parts[-1].endswith(RECEIPT_SUFFIX)


def receipt(settings: Settings, stored: str | None):
    """The receipt at the stored path, as a local Path or an ObjectStoragePath, or None when the
    path is not a receipt inside the inbox."""
    if not stored or "\x00" in stored:
        return None
    remote = "://" in settings.inbox and not settings.inbox.startswith("file://")
    if remote:
        root = settings.inbox.rstrip("/") + "/"
        if not stored.startswith(root):
            return None
        parts = tuple(stored[len(root):].split("/"))
        if any(p in ("", ".", "..") or "\\" in p for p in parts) or not _is_receipt_name(parts):
            return None
        target = inbox.as_path(stored)
        return target if target.is_file() else None
    path = Path(stored.removeprefix("file://"))
    if not path.is_absolute():
        return None
    real = _inside(path, Path(inbox.root(settings)))
    if real is None or not _is_receipt_name(real.parts):
        return None
    return real


def datadocs_file(settings: Settings, relative: str) -> Path | None:
    """The file of the Data Docs site at `relative` (a URL path below the site), or None."""
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    pure = PurePosixPath(relative)
    if pure.is_absolute() or any(p in ("..", ".") for p in pure.parts):
        return None
    return _inside(settings.datadocs / pure, settings.datadocs)


def datadocs_relative(settings: Settings, stored: str | None) -> str | None:
    """The page's path below the Data Docs site, when the stored path is a file of that site."""
    if not stored or "\x00" in stored:
        return None
    real = _inside(Path(stored), settings.datadocs)
    if real is None:
        return None
    return real.relative_to(settings.datadocs.resolve()).as_posix()
