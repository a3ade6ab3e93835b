"""What every DAG of the project shares: owner, retries, failure handling, the warehouse Asset.

Imported by DAG files at parse time, so it stays light: no pandas, no database, no GX.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

OWNER = "grassroots-data"
TAGS = ("grassroots",)
START_DATE = datetime(2026, 11, 1)
TIMEZONE = "Asia/Shanghai"
WAREHOUSE_ASSET_URI = "grassroots://warehouse/cases"

log = logging.getLogger(__name__)


def on_task_failure(context) -> None:
    """Log, for the operators, which task failed for good and what to look at."""
    ti = context.get("task_instance") or context.get("ti")
    exc = context.get("exception")
    log.error("task %s of %s failed for good: %s", getattr(ti, "task_id", "?"), getattr(ti, "dag_id", "?"), exc)


def default_args() -> dict:
    """Retries with backoff (GRASSROOTS_RETRIES, default 3), owner and the failure callback."""
    return {
        "owner": OWNER,
        "retries": int(os.environ.get("GRASSROOTS_RETRIES", "3")),
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": on_task_failure,
    }


def warehouse_asset():
    from airflow.sdk import Asset

    return Asset(name="grassroots_warehouse", uri=WAREHOUSE_ASSET_URI)
