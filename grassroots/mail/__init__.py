"""The mail server, through Airflow's SMTP provider, for everything the project mails out.

Reports and reminders both open it the same way and turn every way it can fail (unreachable,
login refused, connection undefined) into their own exception that says what to check, so the
task fails clearly and retries.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email.utils import formataddr

SENDER_NAME = "基层走访问题清单"
DEFAULT_SENDER = "grassroots@localhost"


def what_to_check(conn_id: str) -> str:
    return (f"that the mail server is running and reachable, and the Airflow connection {conn_id!r} (host, port, "
            "login/password, extras from_email, disable_ssl/disable_tls for a plain local server)")


class MailServer:
    """`with MailServer(conn_id, failed) as (client, sender):` an open SMTP client and the From
    address; `failed(problem, check)` builds the exception raised when the server cannot be used."""

    def __init__(self, conn_id: str, failed: Callable[[str, str], Exception]):
        self.conn_id, self.failed = conn_id, failed
        self.hook = None

    def __enter__(self):
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        hook = SmtpHook(smtp_conn_id=self.conn_id)
        try:
            hook.get_conn()
        except smtplib.SMTPAuthenticationError as e:
            raise self.failed(f"The mail server refused the login ({e.smtp_code})",
                              f"login and password of the Airflow connection {self.conn_id!r}") from e
        except (OSError, smtplib.SMTPException) as e:
            where = f"{hook.smtp_connection.host}:{hook.smtp_connection.port}" if hook.smtp_connection else "?"
            raise self.failed(f"Cannot connect to the mail server at {where} ({type(e).__name__}: {e})",
                              what_to_check(self.conn_id)) from e
        except Exception as e:  # AirflowException: connection not defined, no retries left
            raise self.failed(f"Cannot use the SMTP connection {self.conn_id!r} ({e})", what_to_check(self.conn_id)) from e
        self.hook = hook
        sender = hook.from_email or DEFAULT_SENDER
        if "<" not in sender:
            sender = formataddr((SENDER_NAME, sender))
        return hook._smtp_client, sender  # the provider exposes no other handle on its client

    def __exit__(self, *exc):
        client = self.hook._smtp_client if self.hook else None
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
        return False
