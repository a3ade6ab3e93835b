"""Compute the figures of metrics.md and keep them as snapshots (metric_snapshots).

Runs whenever the warehouse changes (the ingest DAG publishes the warehouse Asset), and by hand
for any date: trigger with the param as_of (YYYY-MM-DD; empty means today in Asia/Shanghai).
For the city and every district, the week and the month ending on that date. A snapshot for a
date that was computed before is replaced by the same figures: they come from the cases' history.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from grassroots.dag_support import START_DATE, TAGS, TIMEZONE, default_args, warehouse_asset


@dag(
    dag_id="compute_metrics",
    schedule=[warehouse_asset()],
    start_date=pendulum.instance(START_DATE, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={
        "as_of": Param(None, type=["null", "string"], format="date", description="统计截至日期，默认今天（北京时间）"),
    },
    tags=[*TAGS, "metrics"],
    doc_md=__doc__,
)
def compute_metrics():
    @task
    def list_scopes() -> list[dict]:
        """One job per scope (全市 and every district) at this run's as-of date."""
        from grassroots import metrics, settings, warehouse
        from grassroots.metrics import snapshots

        current = settings.load()
        as_of = get_current_context()["params"].get("as_of") or metrics.today(current.timezone).isoformat()
        with warehouse.opened(current.warehouse_url) as engine:
            return [{"as_of": as_of, "scope": scope} for scope in snapshots.scopes(engine)]

    @task
    def compute_scope(job: dict) -> dict:
        """The week's and the month's figures of one scope, stored; returns their headlines."""
        import datetime as dt

        from grassroots import settings, warehouse
        from grassroots.metrics import snapshots

        current = settings.load()
        with warehouse.opened(current.warehouse_url, migrate=False) as engine:  # list_scopes migrated
            headlines = snapshots.compute_and_store(
                engine, dt.date.fromisoformat(job["as_of"]), job["scope"], timezone=current.timezone)
        print(f"{job['scope']} {job['as_of']}: {headlines['week']}")
        return job | {"headlines": headlines}

    compute_scope.expand(job=list_scopes())


compute_metrics()
