"""The one clock of the package: every "now" and "today" is read here.

A file belongs to the period of its as-of date, so few things need the clock at all: when a file
arrived (its 接收时间), the default as-of date, and when something was sent. Reading them here lets
a test pin the whole package to one moment (`pinned`), so no test depends on the day it runs.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

_pinned: dt.datetime | None = None


def now() -> dt.datetime:
    """The current moment, timezone-aware in UTC (the pinned one while a test pins it)."""
    if _pinned is not None:
        return _pinned
    return dt.datetime.now(dt.UTC)


def today(timezone: str) -> dt.date:
    """Today's date in `timezone` (the campaign's, GRASSROOTS_TIMEZONE)."""
    return now().astimezone(ZoneInfo(timezone)).date()


def file_system_seconds() -> float:
    """The file system's own time, never pinned: compared with file modification times, which the
    file system writes in real time (is a file still being written?)."""
    return time.time()


def pin(moment: dt.datetime | None) -> None:
    """Make `now()` return `moment` (an aware datetime) until unpinned with `pin(None)`."""
    global _pinned
    if moment is not None and moment.tzinfo is None:
        raise ValueError("pin the clock to an aware datetime")
    _pinned = None if moment is None else moment.astimezone(dt.UTC)


@contextmanager
def pinned(moment: dt.datetime | None) -> Iterator[dt.datetime | None]:
    """`now()` returns `moment` inside the block (None: the real clock inside the block)."""
    before = _pinned
    pin(moment)
    try:
        yield moment
    finally:
        pin(before)


def mail_date(timezone: str) -> str:
    """The `Date` header of a mail sent now, in the campaign's zone (+0800), as mail clients show it."""
    from email.utils import format_datetime

    return format_datetime(now().astimezone(ZoneInfo(timezone)))
