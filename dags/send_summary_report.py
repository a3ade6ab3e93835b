"""Mail the leaders' summary report: the city's to the city's recipients, each district its own slice.

Mondays 08:30 the week that ended the day before, the 1st of the month 08:30 the month that ended
the day before (Asia/Shanghai). Figures come from the warehouse as of that day. Every address
gets each report once: a retry after a failure sends only what is still missing. By hand:
trigger with params as_of (YYYY-MM-DD) and period (week | month). Mail goes through the Airflow
connection `smtp_default`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import MultipleCronTriggerTimetable, Param, dag, get_current_context, task

from grassroots.dag_support import START_DATE, TAGS, TIMEZONE, default_args


@dag(
    dag_id="send_summary_report",
    schedule=MultipleCronTriggerTimetable("30 8 * * 1", "30 8 1 * *", timezone=TIMEZONE),
    start_date=pendulum.instance(START_DATE, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={
        "as_of": Param(None, type=["null", "string"], format="date", description="报告截至日期，默认运行日前一天"),
        "period": Param("auto", enum=["auto", "week", "month"], description="周报、月报，auto 按运行日期"),
    },
    tags=[*TAGS, "report"],
    doc_md=__doc__,
)
def send_summary_report():
    @task
    def plan_reports() -> list[dict]:
        """The periods this run reports on, from its date (or the params of a run by hand)."""
        from grassroots import settings
        from grassroots.report.plan import plan

        context = get_current_context()
        run_at = context.get("logical_date") or context["dag_run"].run_after
        params = context["params"]
        return plan(run_at, timezone=settings.load().timezone, as_of=params.get("as_of"), period=params.get("period"))

    @task
    def send_report(job: dict) -> dict:
        from grassroots import settings, warehouse
        from grassroots.report.send import send_reports

        current = settings.load()
        with warehouse.opened(current.warehouse_url) as engine:
            return send_reports(current, engine, job["as_of"], job["period"])

    send_report.expand(job=plan_reports())


send_summary_report()
