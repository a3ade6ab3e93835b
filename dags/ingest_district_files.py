"""Pick up the districts' spreadsheets: archive, read, validate, merge, and write receipts.

Every 15 minutes and by hand. Each task takes the submissions the previous one left in the
warehouse, so a run that fails half-way is finished by the next. One run at a time.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from grassroots.dag_support import (
    START_DATE,
    TAGS,
    TIMEZONE,
    WAREHOUSE_POOL,
    default_args,
    run_deadline,
    warehouse_asset,
)


@dag(
    dag_id="ingest_district_files",
    schedule="*/15 * * * *",
    start_date=pendulum.instance(START_DATE, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=run_deadline("ingest_district_files", usual_minutes=5),
    tags=[*TAGS, "ingest"],
    doc_md=__doc__,
)
def ingest_district_files():
    @task
    def scan_inbox() -> dict:
        from grassroots import ingest, settings

        return ingest.scan_inbox(settings.load())

    @task
    def receive_files(scanned: dict) -> dict:
        from grassroots import ingest, settings

        return ingest.receive_files(settings.load(), scanned["ready"])

    @task
    def read_submissions(_received: dict) -> dict:
        from grassroots import ingest, settings

        return ingest.read_submissions(settings.load())

    @task
    def validate_submissions(_read: dict) -> dict:
        from grassroots import ingest, settings

        return ingest.validate_submissions(settings.load())

    @task
    def build_data_docs(_validated: dict) -> dict:
        """The validation's Data Docs pages and index; the merge does not wait for them."""
        from grassroots import ingest, settings

        return ingest.build_data_docs(settings.load())

    @task(pool=WAREHOUSE_POOL)
    def merge_submissions(_validated: dict) -> dict:
        from grassroots import ingest, settings

        return ingest.merge_submissions(settings.load())

    @task(outlets=[warehouse_asset()])
    def publish_warehouse(merged: dict) -> None:
        """Tell the metrics DAG the warehouse changed; skipped when nothing did."""
        from airflow.sdk.exceptions import AirflowSkipException

        if not merged["changed"]:
            raise AirflowSkipException("nothing new in the warehouse")

    @task
    def write_receipts(_merged: dict) -> dict:
        from grassroots import ingest, settings

        return ingest.write_receipts(settings.load())

    @task
    def mail_receipts(_receipts: dict) -> dict:
        """Mail the receipts queued for the districts' contacts (smtp_default), each file once."""
        from grassroots import ingest, settings

        return ingest.mail_receipts(settings.load())

    @task
    def summarize(scanned: dict, received: dict) -> str:
        from grassroots import settings, status

        text = status.render(settings.load(), {"scan": scanned, "receive": received})
        print(text)
        return text

    scanned = scan_inbox()
    received = receive_files(scanned)
    validated = validate_submissions(read_submissions(received))
    build_data_docs(validated)
    merged = merge_submissions(validated)
    publish_warehouse(merged)
    receipts = write_receipts(merged)
    mail_receipts(receipts)
    receipts >> summarize(scanned, received)


ingest_district_files()
