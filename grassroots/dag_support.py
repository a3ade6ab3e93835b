"""What every DAG of the project shares: owner, retries, failure e-mails, deadlines, the Asset.

Imported by DAG files at parse time, so it stays light: no pandas, no database, no GX, and the
SMTP provider only when a notification is actually sent.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta

from grassroots import settings

OWNER = "grassroots-data"
TAGS = ("grassroots",)
START_DATE = datetime(2026, 11, 1)
TIMEZONE = settings.load().timezone  # GRASSROOTS_TIMEZONE: the schedules' zone, as the dates'
WAREHOUSE_ASSET_URI = "grassroots://warehouse/cases"
WAREHOUSE_POOL = "warehouse_writes"
SMTP_CONN_ID = "smtp_default"

# What an operator should do when a task fails for good, by task.
WHAT_TO_DO = {
    "scan_inbox": "检查收件箱（GRASSROOTS_INBOX）是否可访问：共享盘是否挂载、S3/SFTP 连接凭据是否有效。",
    "receive_files": "检查 GRASSROOTS_HOME/archive 所在磁盘是否已满、是否可写，以及数据仓库是否可连接。",
    "read_submissions": "查看任务日志中的文件名和错误；该文件会在下一次运行时重试，其他区县的文件不受影响。",
    "validate_submissions": "查看任务日志；检查基础数据（_reference）是否已成功导入。",
    "build_data_docs": "检查文件存储下 datadocs 文件夹是否可写。数据校验报告（Data Docs）不影响入库；下一次运行会补齐未生成的页面。",
    "merge_submissions": "检查数据仓库（GRASSROOTS_WAREHOUSE_URL）是否可连接。恢复后下一次运行会自动补入，无需移动任何文件。",
    "write_receipts": "检查各区县文件夹下的“回执”文件夹是否可写。",
    "send_report": "检查 SMTP 连接 smtp_default（地址、端口、账号、SSL/TLS 设置）。重试不会重复发送已发出的报告。",
    "send_reminders": "检查 SMTP 连接 smtp_default。重试不会重复发送已发出的提醒。",
    "mail_receipts": "检查 SMTP 连接 smtp_default。回执已在各区县文件夹中；重试只发送尚未发出的回执邮件。",
}
DEFAULT_WHAT_TO_DO = "查看任务日志中的错误信息；问题解决后在 Airflow 界面中清除（Clear）该任务即可重跑。"

log = logging.getLogger(__name__)


def operator_emails() -> list[str]:
    """GRASSROOTS_OPERATOR_EMAILS: comma-separated addresses told when a task fails for good."""
    return list(settings.load().operator_emails)


def failure_message(dag_id: str, task_id: str, error: object, log_url: str = "") -> tuple[str, str]:
    """(subject, HTML body) of the e-mail that tells operators a task failed and what to do."""
    todo = WHAT_TO_DO.get(task_id, DEFAULT_WHAT_TO_DO)
    subject = f"【基层走访】任务失败：{dag_id} / {task_id}"
    body = (
        f"<p>任务 <b>{html.escape(dag_id)} / {html.escape(task_id)}</b> 重试后仍然失败。</p>"
        f"<p><b>错误：</b>{html.escape(str(error))[:2000]}</p>"
        f"<p><b>请这样处理：</b>{html.escape(todo)}</p>"
        + (f'<p><a href="{html.escape(log_url)}">查看任务日志</a></p>' if log_url else "")
    )
    return subject, body


def on_task_failure(context) -> None:
    """A task failed for good: log it and e-mail the operators through the SMTP provider's notifier."""
    ti = context.get("task_instance") or context.get("ti")
    dag_id, task_id = getattr(ti, "dag_id", "?"), getattr(ti, "task_id", "?")
    error = context.get("exception")
    log.error("task %s.%s failed for good: %s | %s", dag_id, task_id, error, WHAT_TO_DO.get(task_id, DEFAULT_WHAT_TO_DO))
    recipients = operator_emails()
    if not recipients:
        return
    subject, body = failure_message(dag_id, task_id, error, getattr(ti, "log_url", "") or "")
    try:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        SmtpNotifier(to=recipients, subject=subject, html_content=body, smtp_conn_id=SMTP_CONN_ID).notify(context)
    except Exception:  # the failure itself is what matters; a broken mail server must not hide it
        log.exception("could not e-mail the operators about %s.%s", dag_id, task_id)


def default_args() -> dict:
    """Retries with backoff (GRASSROOTS_RETRIES, default 3), owner and the failure callback."""
    return {
        "owner": OWNER,
        "retries": settings.load().retries,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": on_task_failure,
    }


def run_deadline(dag_id: str, usual_minutes: int):
    """A deadline alert when a run takes far longer than usual (GRASSROOTS_DEADLINE_FACTOR times
    the usual duration, default 4; 0 turns deadlines off), e-mailed to the operators."""
    factor = settings.load().deadline_factor
    recipients = operator_emails()
    if factor <= 0 or not recipients:
        return None
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    minutes = usual_minutes * factor
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=minutes),
        callback=AsyncCallback(
            "airflow.providers.smtp.notifications.smtp.SmtpNotifier",
            kwargs={
                "to": recipients,
                "subject": f"【基层走访】运行超时：{dag_id}",
                "html_content": f"<p>{html.escape(dag_id)} 的本次运行已超过 {minutes:.0f} 分钟（通常约 {usual_minutes} 分钟）。"
                                "请在 Airflow 界面查看是哪个任务在等待：数据仓库、收件箱或邮件服务器是否响应缓慢。</p>",
                "smtp_conn_id": SMTP_CONN_ID,
            },
        ),
        name=f"{dag_id}_far_longer_than_usual",
    )


def warehouse_asset():
    from airflow.sdk import Asset

    return Asset(name="grassroots_warehouse", uri=WAREHOUSE_ASSET_URI)
