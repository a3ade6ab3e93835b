"""Where files live: a local folder, or storage every worker reaches, named by a URL.

A plain path or a file:// URL stays a pathlib.Path (the embedded default: fast, no Airflow import);
any other URL (sftp://conn@host/path, s3://conn@bucket/prefix, ...) becomes Airflow's
ObjectStoragePath, with the connection named before the '@'. The helpers here are the few things
pathlib and ObjectStoragePath do differently: removing a tree, a local copy for readers that need
a real file, and publishing a local folder.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20


def as_path(url: str | Path):
    """A path object for `url`: pathlib for local paths, ObjectStoragePath otherwise."""
    if isinstance(url, Path):
        return url
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    if "://" not in url:
        return Path(url)
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(url)


def is_local(path) -> bool:
    return isinstance(path, Path)


def remove_tree(path) -> None:
    """Remove a folder and everything in it; nothing happens when it is not there."""
    if is_local(path):
        shutil.rmtree(path, ignore_errors=True)
        return
    try:
        if path.exists():
            path.fs.rm(path.path, recursive=True)
    except FileNotFoundError:
        pass


def copy_file(source, target) -> None:
    """Copy one file's bytes between any two paths (local, remote, or one of each)."""
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)


@contextlib.contextmanager
def local_copy(path, suffix: str = "") -> Iterator[Path]:
    """A local file with the bytes of `path`, for readers that need one (calamine, openpyxl, xlrd)."""
    if is_local(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="grassroots-") as tmp:
        local = Path(tmp) / (path.name or f"file{suffix}")
        copy_file(path, local)
        yield local


def publish_tree(local: Path, target) -> None:
    """Copy every file under the local folder `local` to the same place under `target`."""
    for item in sorted(local.rglob("*")):
        if item.is_file():
            destination = target.joinpath(*item.relative_to(local).parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            copy_file(item, destination)



@contextlib.contextmanager
def local_folder(target) -> Iterator[Path]:
    """A local folder for a writer that needs one (the GX Data Docs site builder): `target` itself
    when it is local, else a temporary folder whose files are copied under `target` at the end."""
    if is_local(target):
        yield target
        return
    with tempfile.TemporaryDirectory(prefix="grassroots-") as tmp:
        yield Path(tmp)
        publish_tree(Path(tmp), target)


def stored_as(local_file: Path, local_root: Path, target):
    """Where a file written under `local_folder(target)` ends up."""
    if is_local(target):
        return local_file
    return target.joinpath(*Path(local_file).resolve().relative_to(Path(local_root).resolve()).parts)
