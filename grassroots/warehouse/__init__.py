"""The warehouse: submissions, reference data, cases with full history and visits, merged
safely (one transaction per submission) into SQLite or PostgreSQL from the same code.

Schema: notes/SCHEMA.md, defined in `schema`, migrated by Alembic (`upgrade`).
"""

from grassroots.warehouse.db import WarehouseUnavailable, connect, opened, upgrade
from grassroots.warehouse.merge import MergeResult, merge_submission
from grassroots.warehouse.queries import district_summary, ledger_state
from grassroots.warehouse.reference_store import load_reference, replace_reference
from grassroots.warehouse.submissions import (
    find_submission,
    get_submission,
    known_inbox_files,
    load_findings,
    record_findings,
    register_submission,
    submission_findings,
    submissions_in_state,
    update_submission,
)

__all__ = [
    "MergeResult",
    "WarehouseUnavailable",
    "connect",
    "district_summary",
    "find_submission",
    "get_submission",
    "known_inbox_files",
    "ledger_state",
    "load_findings",
    "load_reference",
    "merge_submission",
    "opened",
    "record_findings",
    "register_submission",
    "replace_reference",
    "submission_findings",
    "submissions_in_state",
    "update_submission",
    "upgrade",
]
