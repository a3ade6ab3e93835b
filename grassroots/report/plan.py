"""Which reports a run of send_summary_report sends: the week and/or the month that just ended."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from grassroots.settings import DEFAULT_TIMEZONE

PERIODS = ("week", "month")


def plan(run_at: dt.datetime, *, timezone: str = DEFAULT_TIMEZONE, as_of: str | dt.date | None = None,
         period: str | None = None) -> list[dict]:
    """[{period, as_of}] for a run at `run_at`: the period ends the day before the run's local date;
    a Monday sends the week, the 1st the month (a Monday the 1st both); any other day (a run by
    hand) the week. `as_of` / `period` given by hand override that."""
    local = run_at.astimezone(ZoneInfo(timezone)).date() if run_at.tzinfo else run_at.date()
    end = dt.date.fromisoformat(str(as_of)) if as_of else local - dt.timedelta(days=1)
    if period and period != "auto":
        if period not in PERIODS:
            raise ValueError(f"period must be one of {PERIODS} or 'auto', got {period!r}")
        periods = [period]
    else:
        periods = [p for p, due in (("week", local.weekday() == 0), ("month", local.day == 1)) if due] or ["week"]
    return [{"period": p, "as_of": end.isoformat()} for p in periods]
