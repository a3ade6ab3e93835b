"""Remind districts without an accepted ledger for the week, right after the submission deadline.

Runs at GRASSROOTS_SUBMISSION_DEADLINE (default Friday 18:00, Asia/Shanghai) for the week ending
that day, and by hand for any date (param period_end). Each district's recipients (收件人 with the
district as 范围) are reminded once per period: a retry or a second run sends nothing twice.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, get_current_context, task

from grassroots import settings as settings_module
from grassroots.dag_support import START_DATE, TAGS, TIMEZONE, default_args


@dag(
    dag_id="send_submission_reminders",
    schedule=CronTriggerTimetable(settings_module.deadline_cron(settings_module.load().submission_deadline),
                                  timezone=TIMEZONE),
    start_date=pendulum.instance(START_DATE, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={"period_end": Param(None, type=["null", "string"], format="date",
                                description="本期最后一天（YYYY-MM-DD），默认运行当天")},
    tags=[*TAGS, "reminders"],
    doc_md=__doc__,
)
def send_submission_reminders():
    @task
    def send_reminders() -> dict:
        import datetime as dt

        from grassroots import settings, warehouse
        from grassroots.mail import reminders

        context = get_current_context()
        current = settings.load()
        chosen = context["params"].get("period_end")
        run_at = context.get("logical_date") or context["dag_run"].run_after
        period_end = dt.date.fromisoformat(chosen) if chosen else pendulum.instance(run_at).in_timezone(
            current.timezone).date()
        with warehouse.opened(current.warehouse_url) as engine:
            return reminders.send_reminders(current, engine, period_end)

    send_reminders()


send_submission_reminders()
