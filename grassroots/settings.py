"""Every setting of the project, read from the environment with a documented default.

The DAGs and the command line read the same values through `load()`, so a run by hand and a
run by the scheduler always look at the same inbox and the same warehouse.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, fields
from pathlib import Path
from zoneinfo import ZoneInfo

from grassroots import storage

DEFAULT_TIMEZONE = "Asia/Shanghai"
"""The campaign's zone when GRASSROOTS_TIMEZONE is not set; every default zone in the package."""


@dataclass(frozen=True)
class Settings:
    home: Path
    """GRASSROOTS_HOME: the local default of the inbox, the file store and the SQLite warehouse."""
    inbox: str
    """GRASSROOTS_INBOX: where districts drop files; any ObjectStoragePath URL or a local path."""
    file_store: str
    """GRASSROOTS_FILE_STORE: where tasks leave files for each other (staging/, archive/, datadocs/,
    outbox/), reached by every worker: a local path (default GRASSROOTS_HOME) or an ObjectStoragePath
    URL such as sftp://<connection>@/srv/grassroots or s3://<connection>@bucket/grassroots."""
    warehouse_url: str
    """GRASSROOTS_WAREHOUSE_URL: SQLAlchemy URL of the warehouse."""
    settle_seconds: int
    """GRASSROOTS_SETTLE_SECONDS: a file modified more recently than this is still being written."""
    max_file_mb: int
    """GRASSROOTS_MAX_FILE_MB: files larger than this are refused unread."""
    max_unzipped_mb: int
    """GRASSROOTS_MAX_UNZIPPED_MB: an .xlsx whose parts expand beyond this is refused (zip bomb)."""
    max_rows: int
    """GRASSROOTS_MAX_ROWS: a sheet or CSV with more rows than this is refused."""
    max_columns: int
    """GRASSROOTS_MAX_COLUMNS: a sheet with more columns than this is refused."""
    operator_emails: tuple[str, ...]
    """GRASSROOTS_OPERATOR_EMAILS: comma-separated addresses told when a task fails for good."""
    retries: int
    """GRASSROOTS_RETRIES: how often a failed task is retried, with exponential backoff (default 3)."""
    deadline_factor: float
    """GRASSROOTS_DEADLINE_FACTOR: a run this many times longer than usual alerts the operators (0: off)."""
    merge_pause_at: str
    """GRASSROOTS_TEST_PAUSE_MERGE_AT: fault tests only, a merge checkpoint at which the merge stops."""
    merge_pause_file: str
    """GRASSROOTS_TEST_PAUSE_FILE: fault tests only, the file a stopped merge writes its pid to."""
    timezone: str
    """GRASSROOTS_TIMEZONE: the campaign's local time zone (dates of arrival, report schedules)."""
    submission_deadline: str
    """GRASSROOTS_SUBMISSION_DEADLINE: weekday and local time each week's ledger is due ('FRI 18:00')."""
    receipt_mail: str = "rejected"
    """GRASSROOTS_RECEIPT_MAIL: which receipts are mailed to the district's contacts: rejected | all | none."""
    contact: str = ""
    """GRASSROOTS_CONTACT: who the districts ask (name, phone, mail), printed in the templates' 填表说明."""
    reply_to: str = ""
    """GRASSROOTS_REPLY_TO: the office that runs the campaign, the report mail's Reply-To and the
    contact its last line names ('基层走访工作专班 <office@example.gov.cn>'); empty: none."""

    @property
    def store(self):
        """The file store as a path object (pathlib when local, ObjectStoragePath otherwise)."""
        return storage.as_path(self.file_store)

    @property
    def archive(self):
        return self.store / "archive"

    @property
    def outbox(self):
        return self.store / "outbox"

    @property
    def datadocs(self):
        return self.store / "datadocs"

    @property
    def staging(self):
        return self.store / "staging"


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def load(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from `env` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    home = Path(env.get("GRASSROOTS_HOME") or "./data").expanduser().resolve()
    return Settings(
        home=home,
        inbox=env.get("GRASSROOTS_INBOX") or str(home / "inbox"),
        file_store=env.get("GRASSROOTS_FILE_STORE") or str(home),
        warehouse_url=env.get("GRASSROOTS_WAREHOUSE_URL") or f"sqlite:///{home / 'warehouse.db'}",
        settle_seconds=_int(env, "GRASSROOTS_SETTLE_SECONDS", 30),
        max_file_mb=_int(env, "GRASSROOTS_MAX_FILE_MB", 100),
        max_unzipped_mb=_int(env, "GRASSROOTS_MAX_UNZIPPED_MB", 500),
        max_rows=_int(env, "GRASSROOTS_MAX_ROWS", 200_000),
        max_columns=_int(env, "GRASSROOTS_MAX_COLUMNS", 16_384),
        operator_emails=tuple(a.strip() for a in env.get("GRASSROOTS_OPERATOR_EMAILS", "").replace(";", ",").split(",")
                              if a.strip()),
        retries=_int(env, "GRASSROOTS_RETRIES", 3),
        deadline_factor=_float(env, "GRASSROOTS_DEADLINE_FACTOR", 4.0),
        merge_pause_at=env.get("GRASSROOTS_TEST_PAUSE_MERGE_AT", ""),
        merge_pause_file=env.get("GRASSROOTS_TEST_PAUSE_FILE", ""),
        timezone=env.get("GRASSROOTS_TIMEZONE") or DEFAULT_TIMEZONE,
        submission_deadline=env.get("GRASSROOTS_SUBMISSION_DEADLINE") or "FRI 18:00",
        receipt_mail=_choice(env, "GRASSROOTS_RECEIPT_MAIL", ("rejected", "all", "none")),
        contact=(env.get("GRASSROOTS_CONTACT") or "").strip(),
        reply_to=(env.get("GRASSROOTS_REPLY_TO") or "").strip(),
    )


def _choice(env: dict[str, str], name: str, allowed: tuple[str, ...]) -> str:
    raw = (env.get(name) or "").strip().lower() or allowed[0]
    if raw not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def keep_gx_offline() -> None:
    """Great Expectations sends usage analytics unless told not to: the machines reach no such host."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def describe(settings: Settings) -> list[tuple[str, str]]:
    """(name, value) pairs for printing what a run uses."""
    return [(f.name, str(getattr(settings, f.name))) for f in fields(settings)]


_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _deadline_parts(deadline: str) -> tuple[int, int, int]:
    """'FRI 18:00' -> (weekday with Monday 0, hour, minute)."""
    try:
        day, clock = deadline.upper().split()
        hour, minute = (int(x) for x in clock.split(":"))
        weekday = _WEEKDAYS.index(day[:3])
    except ValueError as exc:
        raise ValueError(f"GRASSROOTS_SUBMISSION_DEADLINE must look like 'FRI 18:00', got {deadline!r}") from exc
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"GRASSROOTS_SUBMISSION_DEADLINE has no such time of day: {deadline!r}")
    return weekday, hour, minute


def deadline_cron(deadline: str) -> str:
    """'FRI 18:00' -> the cron expression '0 18 * * 5' (the weekly submission deadline)."""
    weekday, hour, minute = _deadline_parts(deadline)
    return f"{minute} {hour} * * {(weekday + 1) % 7}"


def deadline_for(day: dt.date, deadline: str, timezone: str) -> dt.datetime:
    """The submission deadline of a file dated `day`: the first weekly deadline on or after that day
    ('FRI 18:00': a ledger as of Wednesday or Friday is due Friday 18:00 of that week)."""
    weekday, hour, minute = _deadline_parts(deadline)
    due = day + dt.timedelta(days=(weekday - day.weekday()) % 7)
    return dt.datetime.combine(due, dt.time(hour, minute), ZoneInfo(timezone))


def is_late(received_at: dt.datetime | None, day: dt.date | None, settings: Settings) -> bool:
    """逾期报送: the file arrived after the deadline of the period its date belongs to."""
    if received_at is None or day is None:
        return False
    return received_at > deadline_for(day, settings.submission_deadline, settings.timezone)
