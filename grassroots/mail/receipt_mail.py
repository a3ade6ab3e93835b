"""Mail a receipt to the district that sent the file, so nobody has to go and look in the folder.

When a receipt is written, one row per contact of the district (reference 收件人 whose scope is
the district) is queued in receipt_mails; `send_receipt_mails` then mails every queued row through
the Airflow connection smtp_default and stamps it right after the server took it. A retry, or the
next run, sends only what is still queued: a file's receipt never reaches an address twice.
Which receipts are mailed: GRASSROOTS_RECEIPT_MAIL (rejected by default, all, none).
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
from collections import defaultdict
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from grassroots import clock, contract, warehouse
from grassroots.findings import Finding
from grassroots.mail import MailServer
from grassroots.settings import Settings
from grassroots.warehouse import db
from grassroots.warehouse.schema import receipt_mails, utc_now

log = logging.getLogger(__name__)

MAX_REASONS = 5  # lines of the reason summary; the attached receipt has all of them


class ReceiptMailNotSent(RuntimeError):
    """The mail server did not take the receipts; what went out is recorded, a retry sends the rest."""


def wanted(settings: Settings, accepted: bool) -> bool:
    return settings.receipt_mail == "all" or (settings.receipt_mail == "rejected" and not accepted)


def queue(engine: Engine, settings: Settings, submission: dict, accepted: bool) -> list[str]:
    """Queue the receipt of `submission` for its district's contacts; the addresses queued."""
    if not wanted(settings, accepted):
        return []
    reference = warehouse.load_reference(engine)
    if reference is None:
        return []
    district = submission["district"]
    emails = list(dict.fromkeys(r.email.strip().lower() for r in reference.recipients
                                if r.scope.strip() == district and r.email.strip()))
    if not emails:
        log.warning("no contact of %s in the reference's 收件人: receipt #%s not mailed", district, submission["id"])
        return []
    t = receipt_mails
    with db.write_transaction(engine) as conn:
        known = set(conn.execute(sa.select(t.c.email).where(t.c.submission_id == submission["id"])).scalars())
        fresh = [e for e in emails if e not in known]
        if fresh:
            conn.execute(sa.insert(t), [{"submission_id": submission["id"], "email": e, "district": district,
                                         "queued_at": utc_now()} for e in fresh])
    return fresh


def summary_lines(findings: list[Finding]) -> list[str]:
    """The reason summary: the errors (else warnings) by code, with their count and first rows."""
    shown = [f for f in findings if f.is_error] or findings
    by_reason: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in shown:
        rule = contract.RULES.get(f.code)
        key = (f.code, f.column) if rule is not None and rule.group and f.row is None else (f.code, f.column + f.reason)
        by_reason[key].append(f)
    lines = []
    for found in list(by_reason.values())[:MAX_REASONS]:
        f = found[0]
        rule = contract.RULES.get(f.code)
        if len(found) > 1 and rule is not None and rule.group and f.row is None:
            reason, fix = contract.group_message(f.code, count=len(found))
        else:
            reason, fix = f.reason, f.fix
        rows = [str(x.row) for x in found if x.row is not None]
        where = f"第 {'、'.join(rows[:5])}{' 等' if len(rows) > 5 else ''} 行" if rows else ""
        col = f"“{contract.display_header(f.column)}”" if f.column else ""
        lines.append(f"{where}{col}{'：' if where or col else ''}{reason}（{len(found)} 处）。修改：{fix}")
    if len(by_reason) > MAX_REASONS:
        lines.append(f"另有 {len(by_reason) - MAX_REASONS} 类问题，见附件回执。")
    return lines


def message(submission: dict, findings: list[Finding], consequence: str, resubmit: str, receipt_name: str,
            receipt: bytes | None, *, sender: str, email: str, timezone: str) -> EmailMessage:
    accepted = submission["fate"] == "accepted"
    district, name = submission["district"], submission["file_name"]
    received = submission["received_at"].astimezone(ZoneInfo(timezone)) if submission.get("received_at") else None
    errors = sum(1 for f in findings if f.is_error)
    verdict = "已接收" if accepted else "未通过校验，请修改后重新提交"
    msg = EmailMessage()
    msg["Subject"] = f"【基层走访】回执：{district}“{name}”{verdict}"
    msg["From"] = sender
    msg["To"] = email
    msg["Date"] = clock.mail_date(timezone)
    msg["Message-ID"] = make_msgid(domain="grassroots.receipt")
    msg["Auto-Submitted"] = "auto-generated"
    when = f"于 {received:%Y-%m-%d %H:%M} " if received else ""
    lines = [f"{district}联络员：", ""]
    if accepted:
        lines.append(f"系统{when}收到贵区县提交的文件“{name}”，已接收，采用 {submission.get('rows_accepted') or 0} 行。")
        warnings = [f for f in findings if not f.is_error]
        if warnings:
            lines += ["", f"有 {len(warnings)} 个警告（不影响接收，请核对）："] + [f"{i}. {x}" for i, x in
                                                                        enumerate(summary_lines(warnings), 1)]
    else:
        lines += [f"系统{when}收到贵区县提交的文件“{name}”，校验未通过，整份退回（共 {errors} 个错误，须全部修改）。",
                  "", "主要问题："]
        lines += [f"{i}. {x}" for i, x in enumerate(summary_lines(findings), 1)]
        lines += ["", f"对统计的影响：{consequence}", f"重新提交：{resubmit}"]
    lines += ["", f"完整回执见附件“{receipt_name}”（第一页为问题清单，点击行号可跳到对应单元格），"
                  f"也已放在共享文件夹“{district}/回执”中。",
              "", "（本邮件由系统自动发送，同一文件只发送一次。）"]
    msg.set_content("\n".join(lines), charset="utf-8")
    if receipt is not None:
        ctype = mimetypes.types_map.get(".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        main, sub = ctype.split("/", 1)
        msg.add_attachment(receipt, maintype=main, subtype=sub, filename=receipt_name)
    return msg


def _pending(engine: Engine) -> dict[int, list[str]]:
    t = receipt_mails
    with db.read_connection(engine) as conn:
        rows = conn.execute(sa.select(t.c.submission_id, t.c.email).where(t.c.sent_at.is_(None))
                            .order_by(t.c.submission_id, t.c.email)).all()
    out: dict[int, list[str]] = defaultdict(list)
    for sid, email in rows:
        out[int(sid)].append(email)
    return out


def _stamp(engine: Engine, submission_id: int, email: str, message_id: str) -> None:
    t = receipt_mails
    with db.write_transaction(engine) as conn:
        conn.execute(sa.update(t).where(t.c.submission_id == submission_id, t.c.email == email)
                     .values(message_id=message_id, sent_at=utc_now()))


def send_receipt_mails(settings: Settings, engine: Engine, *, conn_id: str = "smtp_default") -> dict:
    """Mail every queued receipt; never twice to the same address for the same file."""
    from grassroots import settings as settings_module
    from grassroots.intake import inbox
    from grassroots.validation import receipts

    result: dict = {"sent": [], "missing_receipt": []}
    pending = _pending(engine)
    if not pending:
        return result
    prepared = []
    for sid, emails in pending.items():
        sub = warehouse.get_submission(engine, sid)
        if sub is None:
            continue
        findings = [Finding(code=f["code"], severity=f["severity"], reason=f["reason"] or "", fix=f["fix"] or "",
                            sheet=f["sheet"] or "", row=f["row"], column=f["column_name"] or "", value=f["value"] or "")
                    for f in warehouse.load_findings(engine, sid)]
        receipt, name = None, receipts.receipt_name(sub["file_name"] or "")
        if sub.get("receipt_path"):
            try:
                receipt = inbox.as_path(sub["receipt_path"]).read_bytes()
                name = sub["receipt_path"].replace("\\", "/").rsplit("/", 1)[-1]
            except OSError:
                result["missing_receipt"].append(sid)
        day = sub.get("as_of") or (sub["received_at"].astimezone(ZoneInfo(settings.timezone)).date()
                                   if sub.get("received_at") else clock.today(settings.timezone))
        context = receipts.ReceiptContext(
            previous_as_of=previous_as_of(engine, sub["district"]), looked_up=True,
            resubmit_by=settings_module.deadline_for(day, settings.submission_deadline, settings.timezone))
        received = sub.get("received_at") or clock.now()
        prepared.append((sid, emails, sub, findings, receipts.consequence(False, context, sub.get("kind") or "ledger"),
                         receipts.resubmission(received.astimezone(ZoneInfo(settings.timezone)), context), name, receipt))

    def failed(problem: str, check: str) -> ReceiptMailNotSent:
        return ReceiptMailNotSent(f"{problem}. Check: {check}. / 回执邮件未能发出，请检查邮件服务器和 Airflow 连接 {conn_id}；"
                                  f"已发出的 {len(result['sent'])} 封已记录，重试时只发送其余的。")

    with MailServer(conn_id, failed) as (client, sender):
        for sid, emails, sub, findings, consequence, resubmit, name, receipt in prepared:
            for email in emails:
                msg = message(sub, findings, consequence, resubmit, name, receipt, sender=sender, email=email,
                              timezone=settings.timezone)
                try:
                    client.send_message(msg, from_addr=parseaddr(sender)[1], to_addrs=[email])
                except Exception as exc:
                    raise failed(f"The mail server stopped taking messages at {email} ({type(exc).__name__}: {exc})",
                                 f"the Airflow connection {conn_id!r}") from exc
                _stamp(engine, sid, email, msg["Message-ID"])
                result["sent"].append({"submission": sid, "email": email})
                log.info("mailed the receipt of #%s to %s (%s)", sid, email, sub["district"])
    return result


def previous_as_of(engine: Engine, district: str) -> dt.date | None:
    state = warehouse.ledger_state(engine, district)
    dates = [v.get("as_of") for v in state.values() if v and v.get("as_of")]
    if not dates:
        return None
    newest = max(dates)
    return newest if isinstance(newest, dt.date) else dt.date.fromisoformat(str(newest)[:10])
