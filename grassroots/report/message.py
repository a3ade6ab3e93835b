"""The report as one e-mail: plain text and HTML alternatives, charts inline by cid, the workbook attached.

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related
          text/html            (<img src="cid:...">)
          image/png ...        (Content-ID, inline)
      application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (attachment)
      application/vnd.openxmlformats-officedocument.wordprocessingml.document (the city's monthly 通报)
"""

from __future__ import annotations

import base64
import email
import email.policy
import urllib.parse
from collections.abc import Iterable
from email.header import Header
from email.message import EmailMessage
from email.utils import make_msgid

from grassroots import clock
from grassroots.report.build import XLSX_TYPE, Report
from grassroots.settings import DEFAULT_TIMEZONE

MESSAGE_ID_DOMAIN = "grassroots.report"
# Headers parsed from source are written out as they are: the attachment's, folded by hand below.
POLICY = email.policy.default.clone(refold_source="none")


def build_message(report: Report, *, sender: str, recipients: Iterable[str] | str,
                  message_id: str | None = None, timezone: str = DEFAULT_TIMEZONE,
                  reply_to: str | None = None) -> EmailMessage:
    to = [recipients] if isinstance(recipients, str) else list(recipients)
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = report.subject
    msg["From"] = sender
    if to:
        msg["To"] = ", ".join(to)
    msg["Date"] = clock.mail_date(timezone)
    msg["Message-ID"] = message_id or make_msgid(domain=MESSAGE_ID_DOMAIN)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(report.text, subtype="plain", charset="utf-8")
    msg.add_alternative(report.html, subtype="html", charset="utf-8")
    html_part = msg.get_payload()[1]
    for cid, png in report.images.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", disposition="inline",
                              filename=cid.split("@")[0] + ".png")
    msg.make_mixed()
    msg.attach(attachment_part(report.attachment, report.attachment_name))
    for document in report.documents:
        msg.attach(attachment_part(document.data, document.name, document.mime))
    return msg


def attachment_part(data: bytes, filename: str, mime: tuple[str, str] = XLSX_TYPE) -> EmailMessage:
    """A file (the workbook, the 通报 draft) as an attachment whose Chinese name every common client shows: RFC 2047
    encoded words in `name` (Content-Type) and `filename` (Content-Disposition), as Outlook and
    Foxmail read and write them, and one RFC 2231 `filename*` (no continuations) for the rest."""
    words = "\r\n ".join(Header(filename, "utf-8").encode(maxlinelen=64).split())
    encoded = urllib.parse.quote(filename, safe="")
    body = base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")
    raw = (f'Content-Type: {mime[0]}/{mime[1]};\r\n name="{words}"\r\n'
           f"Content-Transfer-Encoding: base64\r\n"
           f'Content-Disposition: attachment;\r\n filename="{words}";\r\n filename*=utf-8\'\'{encoded}\r\n'
           f"\r\n{body}")
    return email.message_from_bytes(raw.encode("ascii"), policy=POLICY)
