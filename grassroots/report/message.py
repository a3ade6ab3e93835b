"""The report as one e-mail: plain text and HTML alternatives, charts inline by cid, the workbook attached.

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related
          text/html            (<img src="cid:...">)
          image/png ...        (Content-ID, inline)
      application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (attachment)
"""

from __future__ import annotations

from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import make_msgid

from grassroots import clock
from grassroots.report.build import XLSX_TYPE, Report
from grassroots.settings import DEFAULT_TIMEZONE

MESSAGE_ID_DOMAIN = "grassroots.report"


def build_message(report: Report, *, sender: str, recipients: Iterable[str] | str,
                  message_id: str | None = None, timezone: str = DEFAULT_TIMEZONE) -> EmailMessage:
    to = [recipients] if isinstance(recipients, str) else list(recipients)
    msg = EmailMessage()
    msg["Subject"] = report.subject
    msg["From"] = sender
    if to:
        msg["To"] = ", ".join(to)
    msg["Date"] = clock.mail_date(timezone)
    msg["Message-ID"] = message_id or make_msgid(domain=MESSAGE_ID_DOMAIN)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(report.text, subtype="plain", charset="utf-8")
    msg.add_alternative(report.html, subtype="html", charset="utf-8")
    html_part = msg.get_payload()[1]
    for cid, png in report.images.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", disposition="inline",
                              filename=cid.split("@")[0] + ".png")
    msg.add_attachment(report.attachment, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                       filename=report.attachment_name)
    return msg
