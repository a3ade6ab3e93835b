"""One pass over the inbox, as steps the DAG runs as tasks and `python -m grassroots ingest` runs in a row.

Each step takes the submissions the previous one left in its state from the warehouse, so a run
that dies half-way is finished by the next one, and no step ever needs another's memory:

    scan -> receive (archive, fingerprint, register) -> read -> validate -> merge -> receipts

A district's bad file never stops another's: every submission is handled on its own, and
anything unexpected becomes a rejection with a Chinese reason, not a crashed run.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import shutil
import tempfile
import time
from contextvars import ContextVar
from dataclasses import asdict
from pathlib import Path
from zoneinfo import ZoneInfo

from grassroots import clock, contract, warehouse
from grassroots import settings as settings_module
from grassroots.findings import Finding, Unreadable, finding
from grassroots.intake import archive, handoff, inbox
from grassroots.reference import Reference
from grassroots.settings import Settings
from grassroots.warehouse.lifecycle import Fate, State

log = logging.getLogger(__name__)

RECEIVED, READ, VALIDATED, MERGED, REJECTED, DONE = State  # the lifecycle (warehouse/lifecycle.py), in order


_step_engine: ContextVar = ContextVar("step_engine")


def _step(run):
    """An ingest step: it opens the warehouse once (at the newest schema) and disposes it when done."""
    @functools.wraps(run)
    def step(settings: Settings, *args, **kwargs):
        with warehouse.opened(settings.warehouse_url) as engine:
            token = _step_engine.set(engine)
            try:
                return run(settings, *args, **kwargs)
            finally:
                _step_engine.reset(token)
    return step


def _engine(settings: Settings):
    """The warehouse of the step that is running (see `_step`)."""
    return _step_engine.get()


def _order(rows: list[dict]) -> list[dict]:
    """The reference workbook first (districts are checked against it), then oldest first."""
    return sorted(rows, key=lambda r: (r["district"] != inbox.REFERENCE_FOLDER, r.get("as_of") or dt.date.min, r["id"]))


def _reject(engine, settings: Settings, submission_id: int, findings: list[Finding], **fields) -> None:
    errors = [f for f in findings if f.is_error]
    warehouse.record_findings(engine, submission_id, findings)
    warehouse.update_submission(
        engine, submission_id, state=REJECTED, fate=Fate.REJECTED, rows_accepted=0,
        reason=errors[0].reason if errors else "", errors=len(errors),
        warnings=len(findings) - len(errors), **fields)


# --- scan and receive -----------------------------------------------------------------------

def scan_inbox(settings: Settings) -> dict:
    """What is in the inbox now: ready files, files still being written, files ignored."""
    found = inbox.scan(settings)
    for c in found.settling:
        log.info("still being written, left for the next run: %s", c.relative)
    return {
        "ready": [c.as_dict() for c in found.ready],
        "settling": [c.relative for c in found.settling],
        "ignored": found.ignored,
    }


def _arrival(candidate: inbox.Candidate, now: dt.datetime) -> dt.datetime:
    """When the file arrived: the time the shared folder last wrote it, never later than now (the
    receipt's 接收时间 and the late flag; the period a file belongs to is its as-of date)."""
    written = dt.datetime.fromtimestamp(candidate.mtime, dt.UTC)
    return min(written, now)


def _unchanged(candidate: inbox.Candidate, checksum: str) -> bool:
    try:
        return archive.checksum_of(candidate) == checksum
    except OSError:
        return False  # gone or unreadable now: let the archive step say what happened


@_step
def receive_files(settings: Settings, ready: list[dict]) -> dict:
    """Archive and fingerprint every ready file; register the ones whose bytes are new."""
    engine = _engine(settings)
    known = warehouse.known_inbox_files(engine)
    new, duplicates, failed = [], [], []
    now = clock.now()
    for item in ready:
        candidate = inbox.Candidate(**item)
        seen = known.get(candidate.url)
        if seen and seen["size_bytes"] == candidate.size and _unchanged(candidate, seen["checksum"]):
            continue  # the same bytes as last time (by content, not size and time): not read again
        try:
            stored = archive.archive_file(candidate, settings)
        except archive.StillWriting:
            log.info("changed while copying, left for the next run: %s", candidate.relative)
            continue
        except OSError as exc:
            log.warning("could not copy %s: %s", candidate.relative, exc)
            failed.append(candidate.relative)
            continue
        submission_id, created = warehouse.register_submission(
            engine, checksum=stored.checksum, district=candidate.district, inbox_path=candidate.url,
            file_name=candidate.name, archive_path=str(stored.path), size_bytes=stored.size,
            received_at=_arrival(candidate, now))
        if created:
            new.append(submission_id)
            log.info("received #%s %s (%s)", submission_id, candidate.relative, stored.checksum[:12])
        else:
            duplicates.append(candidate.relative)
            log.info("same bytes as submission #%s, not processed again: %s", submission_id, candidate.relative)
    return {"received": new, "duplicates": duplicates, "failed": failed}


# --- read -----------------------------------------------------------------------------------

def _arrival_date(row: dict, settings: Settings) -> dt.date:
    return row["received_at"].astimezone(ZoneInfo(settings.timezone)).date()


@_step
def read_submissions(settings: Settings) -> dict:
    """Read every received file into staged canonical tables, or reject it with the reason."""
    from grassroots.intake import reader

    engine = _engine(settings)
    done, rejected = [], []
    for row in _order(warehouse.submissions_in_state(engine, RECEIVED)):
        sid, path = row["id"], Path(row["archive_path"])
        try:
            if row["district"] == inbox.REFERENCE_FOLDER:
                tables = reader.read_reference(path, settings, name=row["file_name"])
                sub = reader.Submission(row["file_name"], row["checksum"], None, "", list(tables.values()))
                kind = contract.REFERENCE
                if not tables:
                    raise Unreadable(finding("reference_missing_sheet", sheet="区县"))
            else:
                sub = reader.read_submission(path, settings, name=row["file_name"], checksum=row["checksum"])
                kind = "+".join(t.kind for t in sub.tables)
        except Unreadable as exc:
            _reject(engine, settings, sid, [exc.finding])
            rejected.append(sid)
            continue
        except Exception as exc:  # our own bug must not stop the other districts' files
            log.exception("reading submission #%s failed", sid)
            _reject(engine, settings, sid, [finding("internal_error", detail=type(exc).__name__)])
            rejected.append(sid)
            continue
        as_of, source = sub.as_of, sub.as_of_source
        if kind != contract.REFERENCE and as_of is None:
            as_of, source = _arrival_date(row, settings), "arrival"
        sub.as_of, sub.as_of_source = as_of, source
        handoff.save(sub, handoff.folder(settings, sid))
        warehouse.update_submission(
            engine, sid, state=READ, kind=kind, as_of=as_of, as_of_source=source,
            late=settings_module.is_late(row["received_at"], as_of, settings),
            rows_total=sum(t.rows for t in sub.tables))
        done.append(sid)
    return {"read": done, "rejected": rejected}


# --- validate -------------------------------------------------------------------------------

@_step
def validate_submissions(settings: Settings) -> dict:
    """Check every read submission against the contract; any error rejects it as a whole."""
    from grassroots import validation

    engine = _engine(settings)
    accepted, rejected, waiting = [], [], []
    pending_reference = _validated_reference(engine, settings)
    for row in _order(warehouse.submissions_in_state(engine, READ)):
        sid = row["id"]
        try:
            sub = handoff.load(handoff.folder(settings, sid))
            if row["district"] == inbox.REFERENCE_FOLDER:
                ref, findings = validation.validate_reference({t.sheet: t for t in sub.tables},
                                                              datadocs_dir=settings.datadocs)
                ok, rows_accepted = ref is not None, sum(t.rows for t in sub.tables)
                pending_reference = ref or pending_reference
            else:
                reference = pending_reference or warehouse.load_reference(engine)
                if reference is None:
                    log.warning("no reference data yet: submission #%s waits", sid)
                    waiting.append(sid)
                    continue
                result = validation.validate_submission(
                    sub, reference, district=row["district"], as_of=sub.as_of,
                    previous=warehouse.ledger_state(engine, row["district"]), datadocs_dir=settings.datadocs)
                findings, ok, rows_accepted = result.findings, result.accepted, result.rows_accepted
                if result.datadocs:
                    warehouse.update_submission(engine, sid, datadocs_path=str(result.datadocs))
        except warehouse.WarehouseUnavailable:
            raise  # the task fails and retries; the submission stays read, not rejected
        except Exception as exc:
            log.exception("validating submission #%s failed", sid)
            findings, ok, rows_accepted = [finding("internal_error", detail=type(exc).__name__)], False, 0
        if not ok:
            _reject(engine, settings, sid, findings)
            rejected.append(sid)
            continue
        warehouse.record_findings(engine, sid, findings)
        warehouse.update_submission(
            engine, sid, state=VALIDATED, errors=0, warnings=len(findings), rows_accepted=rows_accepted)
        accepted.append(sid)
    return {"validated": accepted, "rejected": rejected, "waiting": waiting}


def _validated_reference(engine, settings: Settings) -> Reference | None:
    """A reference workbook validated but not merged yet: it is merged before any district file,
    so district files are checked against it already."""
    rows = [r for r in warehouse.submissions_in_state(engine, VALIDATED) if r["district"] == inbox.REFERENCE_FOLDER]
    if not rows:
        return None
    newest = max(rows, key=lambda r: r["id"])
    sub = handoff.load(handoff.folder(settings, newest["id"]))
    return Reference.from_tables({t.sheet: t.values for t in sub.tables})


# --- merge ----------------------------------------------------------------------------------

@_step
def merge_submissions(settings: Settings) -> dict:
    """Merge every validated submission into the warehouse, each in its own transaction."""
    engine = _engine(settings)
    merged, changed = [], False
    for row in _order(warehouse.submissions_in_state(engine, VALIDATED)):
        sid = row["id"]
        sub = handoff.load(handoff.folder(settings, sid))
        if row["district"] == inbox.REFERENCE_FOLDER:
            reference = Reference.from_tables({t.sheet: t.values for t in sub.tables})
            warehouse.replace_reference(engine, reference)
            warehouse.update_submission(engine, sid, state=MERGED, fate=Fate.ACCEPTED)
            merged.append(sid)
            changed = True
            continue
        ledger, visits = sub.table(contract.LEDGER), sub.table(contract.VISITS)
        result = warehouse.merge_submission(
            engine, sid, district=row["district"], as_of=sub.as_of,
            ledger=ledger.canonical(row["checksum"]) if ledger else None,
            visits=visits.canonical(row["checksum"]) if visits else None)
        merged.append(sid)
        changed = changed or result.changed
        log.info("merged #%s: %s", sid, asdict(result))
    # merged but without a receipt yet: an earlier try of this step committed and then died, so the
    # warehouse changed without the Asset being told
    changed = changed or bool(warehouse.submissions_in_state(engine, MERGED))
    return {"merged": merged, "changed": changed}


# --- receipts -------------------------------------------------------------------------------

@_step
def write_receipts(settings: Settings) -> dict:
    """Put a receipt (回执) into the district's folder for every finished submission."""
    from grassroots.validation import receipts

    engine = _engine(settings)
    written = []
    rows = warehouse.submissions_in_state(engine, MERGED) + warehouse.submissions_in_state(engine, REJECTED)
    for row in _order(rows):
        sid = row["id"]
        folder = handoff.folder(settings, sid)
        sub = handoff.load(folder) if (folder / "submission.json").exists() else None
        findings = warehouse.submission_findings(engine, sid)
        with tempfile.TemporaryDirectory() as tmp:
            local = receipts.write_receipt(
                Path(row["archive_path"]), original_name=row["file_name"], sub=sub, findings=findings,
                accepted=row["fate"] == Fate.ACCEPTED, rows_total=row["rows_total"] or 0,
                rows_accepted=row["rows_accepted"] or 0, district=row["district"], out_dir=Path(tmp),
                received_at=row["received_at"])
            target = inbox.receipt_folder(settings, row["district"])
            target.mkdir(parents=True, exist_ok=True)
            destination = target / local.name
            with local.open("rb") as src, destination.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        warehouse.update_submission(engine, sid, state=DONE, receipt_path=str(destination))
        handoff.discard(settings, sid)
        written.append(sid)
    return {"receipts": written}


# --- the whole pass -------------------------------------------------------------------------

def run_once(settings: Settings) -> dict:
    """Every step in order, as the DAG runs them: what `python -m grassroots ingest` does."""
    started = time.perf_counter()
    scanned = scan_inbox(settings)
    steps = {
        "scan": scanned,
        "receive": receive_files(settings, scanned["ready"]),
        "read": read_submissions(settings),
        "validate": validate_submissions(settings),
        "merge": merge_submissions(settings),
        "receipts": write_receipts(settings),
    }
    steps["seconds"] = round(time.perf_counter() - started, 1)
    return steps
