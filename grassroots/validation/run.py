"""Validate a submission or the reference workbook: GX suites, then the row rules, one verdict.

Every problem, from the reader's, GX's or pandas' rules, is one `Finding` in the contract's
words. Any error rejects the submission as a whole; warnings never block.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

from grassroots import clock, contract
from grassroots import settings as settings_module
from grassroots.findings import Finding, finding
from grassroots.intake.reader import Submission, Table
from grassroots.reference import Reference
from grassroots.validation import rules, suites


@dataclass
class ValidationResult:
    findings: list[Finding]  # every table's reader findings too, sorted by sheet and row
    accepted: bool  # no error
    rows_total: int
    rows_accepted: int  # 0 when rejected
    datadocs: Path | None = None  # the Data Docs page of the first table validated
    timings: dict[str, float] = field(default_factory=dict)  # seconds: gx, cross, datadocs, total
    datadocs_pages: list[Path] = field(default_factory=list)

    @property
    def counts(self) -> tuple[int, int]:
        """(errors, warnings), counting those a '另有 N 处' finding stands for."""
        return rules.tally(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    def as_dict(self) -> dict:
        """Plain JSON-ready values (for XCom and the operators' page)."""
        return {
            "findings": [f.as_dict() for f in self.findings],
            "accepted": self.accepted,
            "rows_total": self.rows_total,
            "rows_accepted": self.rows_accepted,
            "datadocs": str(self.datadocs) if self.datadocs else None,
            "datadocs_pages": [str(p) for p in self.datadocs_pages],
            "timings": dict(self.timings),
        }


def sort_findings(findings: list[Finding], sheets: list[str]) -> list[Finding]:
    """File-level first, then sheet by sheet in the file's order, by row and column."""
    order = {name: i for i, name in enumerate(sheets)}

    def key(f: Finding):
        row = f.row if f.row is not None else (1 << 31 if f.code == "more_of_kind" else 0)  # '另有…' last
        return (order.get(f.sheet, -1 if not f.sheet else len(order)), f.sheet, row,
                -1 if f.column_index is None else f.column_index, f.code)

    return sorted(findings, key=key)


def validate_submission(sub: Submission, reference: Reference, *, district: str, as_of: dt.date,
                        previous: dict[str, dict] | None = None, datadocs_dir: Path | None = None,
                        today: dt.date | None = None, render_docs: bool = True) -> ValidationResult:
    """Check a district's submission against the contract, the reference data and its last ledger.
    render_docs False: the Data Docs pages are named but rendered later (suites.build_docs)."""
    started = time.perf_counter()
    today = today or clock.today(settings_module.load().timezone)
    as_of = as_of or today  # the ingest always knows it; a bare call may not
    timings = {"gx": 0.0, "cross": 0.0, "datadocs": 0.0}
    findings: list[Finding] = [f for t in sub.tables for f in t.findings]
    rows_total = sum(t.rows for t in sub.tables)
    sheets = [t.sheet for t in sub.tables]
    pages: list[Path] = []
    if district not in reference.districts:
        findings.append(finding("unknown_folder", value=district))
    else:
        filled = [t for t in sub.tables if t.rows]
        if not filled:
            first = sub.tables[0] if sub.tables else None
            findings.append(finding("no_rows", sheet=first.sheet if first else "", row=first.header_row if first else None))
        for t in sub.tables:
            if not t.rows and filled:
                findings.append(finding("empty_sheet", sheet=t.sheet, row=t.header_row))
        for t in filled:
            spec = contract.sheet_for(t.kind)
            found, page = _check_table(spec, t, timings, run_name=f"{district}_{sub.file_name}",
                                       datadocs_dir=datadocs_dir, render_docs=render_docs)
            findings += found
            if page:
                pages.append(page)
            t0 = time.perf_counter()
            findings += rules.reference_findings(spec, t, reference, district,
                                                 prefixes=functools.partial(_prefixes, t, previous, district))
            findings += rules.date_findings(spec, t, as_of)
            findings += rules.limit_findings(spec, t)
            findings += rules.status_findings(spec, t)
            findings += rules.history_findings(spec, t, previous, as_of)
            timings["cross"] += time.perf_counter() - t0
    if sub.as_of and (sub.as_of - today).days > contract.FUTURE_AS_OF_DAYS:
        findings.append(finding("as_of_future", value=sub.as_of.isoformat(), limit=today.isoformat()))
    accepted = not any(f.is_error for f in findings)
    timings["total"] = time.perf_counter() - started
    return ValidationResult(
        findings=sort_findings(rules.cap(findings), sheets),
        accepted=accepted,
        rows_total=rows_total,
        rows_accepted=rows_total if accepted else 0,
        datadocs=pages[0] if pages else None,
        timings={k: round(v, 4) for k, v in timings.items()},
        datadocs_pages=pages,
    )


def _prefixes(table: Table, previous: dict[str, dict] | None, district: str) -> frozenset[str]:
    """The district's case-id prefixes: from its last ledger, and from this file's rows that name it."""
    ids = list(previous or ())
    if "case_id" in table.values and "district" in table.values:
        own = table.values["district"] == district
        ids += table.values.loc[own.fillna(False).astype(bool), "case_id"].dropna().tolist()
    return rules.case_prefixes(ids)


def _check_table(spec: contract.Sheet, table: Table, timings: dict[str, float], *, run_name: str,
                 datadocs_dir: Path | None, render_docs: bool = True) -> tuple[list[Finding], Path | None]:
    run = suites.run(spec, table, run_name=run_name, datadocs_dir=datadocs_dir, render_docs=render_docs)
    t0 = time.perf_counter()
    found = rules.failure_findings(spec, table, run.failures)
    timings["gx"] += run.seconds + time.perf_counter() - t0
    timings["datadocs"] += run.docs_seconds
    return found, run.page


def validate_reference(tables: dict[str, Table], *, datadocs_dir: Path | None = None, render_docs: bool = True
                       ) -> tuple[Reference | None, list[Finding]]:
    """Check a reference workbook; the Reference it defines, or None when it has any error."""
    by_spec: dict[str, Table] = {}
    for name, table in tables.items():
        key = contract.header_key(name)
        spec = next((s for s in contract.REFERENCE_SHEETS if contract.header_key(s.name) == key), None)
        if spec is not None and spec.name not in by_spec:
            by_spec[spec.name] = table
    findings: list[Finding] = []
    timings = {"gx": 0.0, "cross": 0.0, "datadocs": 0.0}
    for spec in contract.REFERENCE_SHEETS:
        table = by_spec.get(spec.name)
        if table is None:
            findings.append(finding("reference_missing_sheet", sheet=spec.name))
            continue
        findings += table.findings
        if not table.rows:
            if spec.name in contract.REFERENCE_SHEETS_NOT_EMPTY:
                findings.append(finding("no_rows", sheet=table.sheet, row=table.header_row))
            continue
        found, _page = _check_table(spec, table, timings, run_name="基础数据", datadocs_dir=datadocs_dir,
                                    render_docs=render_docs)
        findings += found
    findings += rules.reference_workbook_findings(by_spec)
    findings = sort_findings(findings, [t.sheet for t in by_spec.values()])
    if any(f.is_error for f in findings):
        return None, findings
    return Reference.from_tables({name: t.values for name, t in by_spec.items()}), findings
