"""Remind the districts that have no accepted ledger in a period, once per district and period.

Run after the period's submission deadline (GRASSROOTS_SUBMISSION_DEADLINE). Who has not
submitted is the report's own figure (metrics.md, "districts not submitted"), so the reminder and
the report's footnote never disagree. Each address is recorded in reminders_sent right after the
mail server takes its message: a retry, or a second run for the same period, sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from grassroots import clock
from grassroots.mail import MailServer
from grassroots.settings import DEFAULT_TIMEZONE, Settings
from grassroots.warehouse import db
from grassroots.warehouse.schema import reminders_sent, utc_now

log = logging.getLogger(__name__)

PERIOD_LABEL = {"week": "本周", "month": "本月"}


class ReminderNotSent(RuntimeError):
    """The mail server did not take the reminders; what went out is recorded, a retry sends the rest."""


@dataclass
class Reminder:
    district: str
    period: str
    period_start: dt.date
    period_end: dt.date
    emails: list[str]
    latest_as_of: str | None = None
    rejected_files: int = 0
    received_files: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return f"【基层走访】提醒：{self.district}{PERIOD_LABEL[self.period]}问题清单尚未报送（{_cn(self.period_start)}至{_cn(self.period_end)}）"

    @property
    def text(self) -> str:
        lines = [
            f"{self.district}联络员：",
            "",
            f"截至报送时限，系统尚未收到{self.district}{PERIOD_LABEL[self.period]}（{_cn(self.period_start)}至{_cn(self.period_end)}）"
            "经校验通过的问题清单。",
        ]
        if self.rejected_files:
            lines.append(f"本期收到的 {self.rejected_files} 个文件未通过校验，请按文件夹“{self.district}/回执”中的回执逐项修改后重新提交。")
        elif self.received_files:
            lines.append(f"本期收到 {self.received_files} 个文件，但其中没有问题清单（只有走访记录）。")
        else:
            lines.append("本期没有收到任何文件。")
        if self.latest_as_of:
            lines.append(f"目前统计仍使用贵区县最近一次接收的问题清单（截至{_cn(dt.date.fromisoformat(self.latest_as_of))}）。")
        lines += [
            "",
            "缺少：问题清单（须列出全部问题，含已办结的问题），以及本期的走访记录。",
            f"请使用统一模板填写后放入共享文件夹“{self.district}”。提交前可用 python -m grassroots check 文件名 预先检查。",
            "",
            "（本邮件由系统自动发送，同一期只提醒一次。）",
        ]
        return "\n".join(lines)


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def due(engine: Engine, period_end: dt.date, *, period: str = "week", timezone: str = DEFAULT_TIMEZONE) -> list[Reminder]:
    """The reminders the period calls for: districts without an accepted ledger, with their addresses."""
    from grassroots import metrics, warehouse

    reference = warehouse.load_reference(engine)
    if reference is None:
        return []
    figures = metrics.compute(engine, period_end, period=period, timezone=timezone)
    submissions = figures["submissions"]
    by_district = {d["district"]: d for d in submissions["by_district"]}
    reminders = []
    for district in submissions["districts_not_submitted"]:
        emails = list(dict.fromkeys(r.email.strip() for r in reference.recipients
                                    if r.scope.strip() == district and r.email.strip()))
        counts = by_district.get(district, {})
        reminders.append(Reminder(
            district=district, period=period, period_start=dt.date.fromisoformat(figures["period_start"]),
            period_end=period_end, emails=emails, latest_as_of=submissions["latest_as_of"].get(district),
            rejected_files=counts.get("rejected", 0), received_files=counts.get("received", 0)))
    return reminders


def message(reminder: Reminder, *, sender: str, email: str, timezone: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = reminder.subject
    msg["From"] = sender
    msg["To"] = email
    msg["Date"] = clock.mail_date(timezone)
    msg["Message-ID"] = make_msgid(domain="grassroots.reminder")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(reminder.text, charset="utf-8")
    return msg


def _already(engine: Engine, reminder: Reminder) -> set[str]:
    t = reminders_sent
    query = sa.select(t.c.email).where(t.c.period == reminder.period, t.c.period_end == reminder.period_end,
                                       t.c.district == reminder.district)
    with db.read_connection(engine) as conn:
        return set(conn.execute(query).scalars())


def _record(engine: Engine, reminder: Reminder, email: str, message_id: str) -> None:
    with db.write_transaction(engine) as conn:
        conn.execute(sa.insert(reminders_sent).values(
            period=reminder.period, period_end=reminder.period_end, district=reminder.district,
            email=email.lower(), message_id=message_id, sent_at=utc_now()))


def send_reminders(settings: Settings, engine: Engine, period_end: dt.date, *, period: str = "week",
                   conn_id: str = "smtp_default") -> dict:
    """E-mail every district that has not submitted; never twice to the same address and period."""
    result = {"period_end": period_end.isoformat(), "period": period, "sent": [], "already_sent": [],
              "no_recipients": []}
    pending: list[tuple[Reminder, str]] = []
    for reminder in due(engine, period_end, period=period, timezone=settings.timezone):
        if not reminder.emails:
            log.warning("%s has not submitted but has no recipients in the reference data", reminder.district)
            result["no_recipients"].append(reminder.district)
            continue
        done = _already(engine, reminder)
        for email in reminder.emails:
            if email.lower() in done:
                result["already_sent"].append({"district": reminder.district, "email": email})
            else:
                pending.append((reminder, email))
    if not pending:
        return result

    def failed(problem: str, check: str) -> ReminderNotSent:
        return ReminderNotSent(f"{problem}. Check: {check}. / 提醒邮件未能发出，请检查邮件服务器和 Airflow 连接 {conn_id}；"
                               f"已发出的 {len(result['sent'])} 封已记录，重试时只发送其余的。")

    with MailServer(conn_id, failed) as (client, sender):
        for reminder, email in pending:
            msg = message(reminder, sender=sender, email=email, timezone=settings.timezone)
            try:
                client.send_message(msg, from_addr=parseaddr(sender)[1], to_addrs=[email])
            except Exception as exc:
                raise failed(f"The mail server stopped taking messages at {email} ({type(exc).__name__}: {exc})",
                             f"the Airflow connection {conn_id!r}") from exc
            _record(engine, reminder, email, msg["Message-ID"])
            result["sent"].append({"district": reminder.district, "email": email})
            log.info("reminded %s (%s) for the %s ending %s", reminder.district, email, period, period_end)
    return result
