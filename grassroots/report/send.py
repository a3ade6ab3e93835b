"""Mail the summary report: the city's to the city's recipients, each district's slice to its own.

Every address gets a given report (period, as-of date, scope) once: it is recorded in
sent_reports the moment the mail server accepts its message, and skipped by any later run, so a
task that fails half-way and is retried sends only the rest. A mail server that cannot be reached
raises ReportNotSent saying what to check, and the task retries.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib
from collections import defaultdict
from email.utils import formataddr, parseaddr
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from grassroots.mail import DEFAULT_SENDER, SENDER_NAME, MailServer, what_to_check
from grassroots.report import store, view
from grassroots.report.build import Report, build_report
from grassroots.report.message import build_message
from grassroots.settings import Settings
from grassroots.warehouse import db

log = logging.getLogger(__name__)

TREND_POINTS = {"week": 8, "month": 6}


class ReportNotSent(RuntimeError):
    """The mail server did not take the report; what was sent is recorded, a retry sends the rest."""

    def __init__(self, problem: str, check: str, *, sent: int, pending: int):
        self.sent, self.pending = sent, pending
        super().__init__(
            f"{problem}. Check: {check}. {sent} message(s) went out and are recorded; {pending} address(es) "
            f"still wait and get the report when the task is retried. / 汇总报告未能全部发出：请检查邮件服务器及 "
            f"Airflow 连接设置；已发送的 {sent} 封已记录，重试时只发送其余 {pending} 封。"
        )


# --- figures --------------------------------------------------------------------------------

def report_for(settings: Settings, engine: Engine, as_of: dt.date, period: str, scope: str) -> Report:
    """Compute the scope's figures (and the previous period's) and build its report; the figures
    are kept in metric_snapshots as what the report said."""
    from grassroots import metrics
    from grassroots.metrics import snapshots

    district = None if scope == view.CITY else scope
    figures = metrics.compute(engine, as_of, period=period, district=district, timezone=settings.timezone)
    previous = metrics.compute(engine, metrics.previous_as_of(as_of, period), period=period, district=district,
                               timezone=settings.timezone)
    snapshots.store(engine, figures)
    snapshots.store(engine, previous)
    history = _history(settings, engine, as_of, period, scope, previous)
    return build_report(figures, previous, period=period, scope=scope, history=history)


def _history(settings: Settings, engine: Engine, as_of: dt.date, period: str, scope: str,
             previous: dict) -> list[dict]:
    """The figures at the period ends before `as_of` for the trend chart: stored snapshots where
    there are, else computed once and stored; periods before the first case are left out."""
    from grassroots import metrics
    from grassroots.metrics import snapshots

    dates = [metrics.previous_as_of(as_of, period)]
    while len(dates) < TREND_POINTS.get(period, 8) - 1:
        dates.append(metrics.previous_as_of(dates[-1], period))
    stored = _snapshots(engine, period, scope, min(dates), as_of)
    stored[view.as_date(previous["as_of"])] = previous
    points = []
    for day in sorted(dates):
        figures = stored.get(day)
        if figures is None:
            figures = metrics.compute(engine, day, period=period, district=None if scope == view.CITY else scope,
                                      timezone=settings.timezone)
            snapshots.store(engine, figures)
        points.append(figures)
    while points and not points[0].get("total"):
        points.pop(0)
    return points


def _snapshots(engine: Engine, period: str, scope: str, first: dt.date, before: dt.date) -> dict[dt.date, dict]:
    from grassroots.warehouse.schema import metric_snapshots as t

    query = sa.select(t.c.as_of, t.c.figures).where(
        t.c.period == period, t.c.scope == scope, t.c.as_of >= first, t.c.as_of < before)
    with db.read_connection(engine) as conn:
        return {as_of: json.loads(text) for as_of, text in conn.execute(query)}


# --- recipients -----------------------------------------------------------------------------

def recipients_by_scope(engine: Engine) -> tuple[dict[str, list[str]], list[str]]:
    """{scope: [addresses]} from the reference data, city first then districts in reference order,
    and the scopes that name no known district (their recipients get nothing)."""
    from grassroots import warehouse

    reference = warehouse.load_reference(engine)
    if reference is None:
        return {}, []
    scopes: dict[str, list[str]] = defaultdict(list)
    unknown = []
    for r in reference.recipients:
        scope = (r.scope or "").strip()
        email = (r.email or "").strip()
        if not email:
            continue
        if scope != view.CITY and scope not in reference.districts:
            unknown.append(scope)
            continue
        if store.normalize_address(email) not in {store.normalize_address(e) for e in scopes[scope]}:
            scopes[scope].append(email)
    order = [view.CITY, *reference.districts]
    return {s: scopes[s] for s in order if scopes.get(s)}, sorted(set(unknown))


# --- sending --------------------------------------------------------------------------------

def send_reports(settings: Settings, engine: Engine, as_of: dt.date, period: str, *,
                 conn_id: str = "smtp_default") -> dict:
    """Send the city's and every district's report for the period ending `as_of` to whoever has
    not had it yet. Returns what was sent, skipped and refused (JSON-ready, for the task's XCom)."""
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    scopes, unknown = recipients_by_scope(engine)
    result = {"as_of": as_of.isoformat(), "period": period, "sent": [], "already_sent": [], "refused": [],
              "unknown_scopes": unknown, "subjects": {}}
    for scope in unknown:
        log.warning("recipients with scope %r: neither 全市 nor a district of the reference data; not sent", scope)
    pending: dict[str, list[str]] = {}
    for scope, addresses in scopes.items():
        done = store.sent_addresses(engine, period, as_of, scope)
        pending[scope] = [a for a in addresses if store.normalize_address(a) not in done]
        result["already_sent"] += [{"scope": scope, "email": a} for a in addresses if a not in pending[scope]]
    waiting = sum(len(v) for v in pending.values())
    if not waiting:
        log.info("every recipient already has the %s report of %s", period, as_of)
        return result

    reports = {scope: report_for(settings, engine, as_of, period, scope) for scope, a in pending.items() if a}
    result["subjects"] = {scope: r.subject for scope, r in reports.items()}
    def failed(problem: str, check: str) -> ReportNotSent:
        return ReportNotSent(problem, check, sent=0, pending=waiting)

    with MailServer(conn_id, failed) as (client, sender):
        for scope, report in reports.items():
            for email in pending[scope]:
                message = build_message(report, sender=sender, recipients=[email], timezone=settings.timezone)
                try:
                    client.send_message(message, from_addr=parseaddr(sender)[1], to_addrs=[email])
                except smtplib.SMTPRecipientsRefused as e:
                    reason = "; ".join(f"{code} {text.decode(errors='replace')}" for code, text in e.recipients.values())
                    log.error("the mail server refused %s: %s", email, reason)
                    result["refused"].append({"scope": scope, "email": email, "reason": reason})
                    continue
                except (OSError, smtplib.SMTPException) as e:
                    sent = len(result["sent"])
                    raise ReportNotSent(
                        f"The mail server stopped taking messages while sending the {scope} report to {email} "
                        f"({type(e).__name__}: {e})", what_to_check(conn_id), sent=sent, pending=waiting - sent) from e
                store.record_sent(engine, period, as_of, scope, email, message["Message-ID"])
                result["sent"].append({"scope": scope, "email": email, "message_id": message["Message-ID"]})
                log.info("sent the %s report of %s to %s", scope, as_of, email)
    if result["refused"]:
        sent = len(result["sent"])
        refused = ", ".join(r["email"] for r in result["refused"])
        raise ReportNotSent(f"The mail server refused these recipients: {refused}",
                            "the addresses in the reference workbook's 收件人 sheet", sent=sent,
                            pending=len(result["refused"]))
    return result


# --- the outbox (no sending) ----------------------------------------------------------------

def write_outbox(settings: Settings, engine: Engine, as_of: dt.date, *, district: str | None = None,
                 period: str = "week") -> list[Path]:
    """Build the report of `district` (default the city) into $GRASSROOTS_HOME/outbox/ as .eml
    (the message as it would be sent), .html (charts embedded, opens in a browser) and .xlsx."""
    scope = district or view.CITY
    scopes, _ = recipients_by_scope(engine)
    report = report_for(settings, engine, as_of, period, scope)
    message = build_message(report, sender=formataddr((SENDER_NAME, DEFAULT_SENDER)),
                            recipients=scopes.get(scope) or [], timezone=settings.timezone)
    out = settings.outbox
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(report.attachment_name).stem
    paths = [out / f"{stem}.eml", out / f"{stem}.html", out / report.attachment_name]
    for path, data in zip(paths, (message.as_bytes(), report.browser_html().encode("utf-8"), report.attachment),
                          strict=True):
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return paths
