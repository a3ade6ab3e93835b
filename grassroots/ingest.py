"""One pass over the inbox, as steps the DAG runs as tasks and `python -m grassroots ingest` runs in a row.

Each step takes the submissions the previous one left in its state from the warehouse, so a run
that dies half-way is finished by the next one, and no step ever needs another's memory:

    scan -> receive (archive, fingerprint, register) -> read -> validate -> merge -> receipts

A district's bad file never stops another's: every submission is handled on its own, and
anything unexpected becomes a rejection with a Chinese reason, not a crashed run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import asdict
from pathlib import Path
from zoneinfo import ZoneInfo

from grassroots import clock, contract, storage, warehouse
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
                _release_memory()
    return step


def _release_memory() -> None:
    """Give the step's frames back to the system: Arrow's allocator keeps freed memory for reuse, so
    a process that runs the next step too (`python -m grassroots ingest`) would carry the last one's."""
    import gc
    import sys

    gc.collect()
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    if sys.platform == "linux":  # and the C heap's freed pages (Python objects, numpy), where glibc has them
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _engine(settings: Settings):
    """The warehouse of the step that is running (see `_step`)."""
    return _step_engine.get()


def _order(rows: list[dict]) -> list[dict]:
    """The reference workbook first (districts are checked against it), then oldest first."""
    return sorted(rows, key=lambda r: (r["district"] != inbox.REFERENCE_FOLDER, r.get("as_of") or dt.date.min, r["id"]))


def _changes_file(settings: Settings, submission_id: int) -> Path:
    return handoff.folder(settings, submission_id) / "changes.json"


def _save_changes(settings: Settings, submission_id: int, sub, previous: dict[str, dict]) -> None:
    """What the ledger changes against the district's cases, for the receipt (computed before the merge)."""
    from grassroots.validation import receipts

    changes = receipts.ledger_changes(sub, previous)
    path = _changes_file(settings, submission_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(changes, ensure_ascii=False, default=str), encoding="utf-8")


def _claimed(engine, settings: Settings, rows: list[dict], *states: str) -> Iterator[dict]:
    """The rows, in order, each while this process holds its submission (a lock per submission)
    and the submission is still in one of `states`: two ingests at once never work on the same
    file, and neither trips over what the other finished meanwhile."""
    for row in _order(rows):
        with handoff.claim(settings, row["id"]) as mine:
            if not mine:
                log.info("submission #%s is being handled by another run", row["id"])
                continue
            current = warehouse.get_submission(engine, row["id"])
            if current is None or current["state"] not in states:
                continue
            yield current


def _reject(engine, settings: Settings, submission_id: int, findings: list[Finding], **fields) -> None:
    from grassroots.validation.rules import tally

    errors = [f for f in findings if f.is_error]
    counted_errors, counted_warnings = tally(findings)
    warehouse.record_findings(engine, submission_id, findings)
    warehouse.update_submission(
        engine, submission_id, state=REJECTED, fate=Fate.REJECTED, rows_accepted=0,
        reason=errors[0].reason if errors else "", errors=counted_errors,
        warnings=counted_warnings, **fields)


# --- scan and receive -----------------------------------------------------------------------

def scan_inbox(settings: Settings) -> dict:
    """What is in the inbox now: ready files, files still being written, files ignored."""
    found = inbox.scan(settings)
    for c in found.settling:
        log.info("still being written, left for the next run: %s", inbox.shown(c.relative))
    for note in found.notes:
        log.info("not taken: %s", note)
    return {
        "ready": [c.as_dict() for c in found.ready + found.links],  # links are refused when received
        "settling": [c.relative for c in found.settling],
        "ignored": found.ignored,
        "notes": found.notes,
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


def _refuse_link(engine, settings: Settings, candidate: inbox.Candidate, seen: dict | None, now: dt.datetime) -> bool:
    """A symbolic link in a district's folder: never read, refused on a receipt (once per link)."""
    try:
        target = os.readlink(candidate.url)
    except OSError:
        target = ""
    key = hashlib.sha256(f"{candidate.relative}\0{target}".encode("utf-8", "surrogateescape")).hexdigest()
    checksum = f"link:{key}"
    if seen and seen["checksum"] == checksum:
        return False
    sid, created = warehouse.register_submission(
        engine, checksum=checksum, district=candidate.district, inbox_path=candidate.url,
        file_name=candidate.name, archive_path="", size_bytes=0, received_at=now)
    if created:
        log.warning("a link, refused unread: %s", inbox.shown(candidate.relative))
        _reject(engine, settings, sid, [finding("symlink")])
    return created


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
        if candidate.kind == inbox.LINK:
            if _refuse_link(engine, settings, candidate, seen, now):
                new.append(candidate.relative)
            continue
        if seen and seen["size_bytes"] == candidate.size and _unchanged(candidate, seen["checksum"]):
            continue  # the same bytes as last time (by content, not size and time): not read again
        try:
            stored = archive.archive_file(candidate, settings)
        except archive.StillWriting:
            log.info("changed while copying, left for the next run: %s", inbox.shown(candidate.relative))
            continue
        except inbox.LinkRefused:  # became a link after the scan: refused as one
            if _refuse_link(engine, settings, candidate, seen, now):
                new.append(candidate.relative)
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
    for row in _claimed(engine, settings, warehouse.submissions_in_state(engine, RECEIVED), RECEIVED):
        sid = row["id"]
        try:
            with storage.local_copy(storage.as_path(row["archive_path"])) as path:
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
    engine = _engine(settings)
    with storage.local_folder(settings.datadocs) as datadocs:
        return _validate_each(engine, settings, datadocs)


def _validate_each(engine, settings: Settings, datadocs: Path) -> dict:
    from grassroots import validation
    from grassroots.validation.rules import tally as rules_tally

    later = _docs_later(settings)
    accepted, rejected, waiting = [], [], []
    _wait_for_reference(engine, settings)
    pending_reference = _validated_reference(engine, settings)
    for row in _claimed(engine, settings, warehouse.submissions_in_state(engine, READ), READ):
        sid = row["id"]
        try:
            sub = handoff.load(handoff.folder(settings, sid))
            if row["district"] == inbox.REFERENCE_FOLDER:
                ref, findings = validation.validate_reference({t.sheet: t for t in sub.tables},
                                                              datadocs_dir=datadocs, render_docs=not later)
                ok, rows_accepted = ref is not None, sum(t.rows for t in sub.tables)
                pending_reference = ref or pending_reference
            else:
                reference = pending_reference or warehouse.load_reference(engine)
                if reference is None:
                    log.warning("no reference data yet: submission #%s waits", sid)
                    waiting.append(sid)
                    continue
                previous = warehouse.ledger_state(engine, row["district"])
                result = validation.validate_submission(
                    sub, reference, district=row["district"], as_of=sub.as_of,
                    previous=previous, datadocs_dir=datadocs, today=clock.today(settings.timezone),
                    render_docs=not later)
                if result.accepted:
                    _save_changes(settings, sid, sub, previous)
                findings, ok, rows_accepted = result.findings, result.accepted, result.rows_accepted
                if result.datadocs:
                    page = storage.stored_as(result.datadocs, datadocs, settings.datadocs)
                    warehouse.update_submission(engine, sid, datadocs_path=str(page))
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
            engine, sid, state=VALIDATED, errors=0, warnings=rules_tally(findings)[1], rows_accepted=rows_accepted)
        accepted.append(sid)
    return {"validated": accepted, "rejected": rejected, "waiting": waiting}


def _docs_later(settings: Settings) -> bool:
    """Data Docs pages are rendered by `build_data_docs`, off the merge's path, where their site is a
    local folder that task reads back; a shared file store gets them from the validate step as before."""
    return storage.is_local(settings.datadocs)


def build_data_docs(settings: Settings) -> dict:
    """Render the Data Docs pages the validate step named (and the site's index, once a run). The
    merge does not wait for this: a page's link works once it is written (seconds later)."""
    if not _docs_later(settings):
        return {"pages": []}
    from grassroots.validation import suites

    return {"pages": [str(p) for p in suites.build_docs(settings.datadocs)]}


def _wait_for_reference(engine, settings: Settings) -> None:
    """A reference workbook another run is reading or validating now: wait until it lets go, so
    that this run's district files are checked against it instead of left waiting for the next run."""
    for state in (RECEIVED, READ):
        for row in warehouse.submissions_in_state(engine, state, district=inbox.REFERENCE_FOLDER):
            with handoff.claim(settings, row["id"], wait=True):
                pass


def _validated_reference(engine, settings: Settings) -> Reference | None:
    """A reference workbook validated but not merged yet: it is merged before any district file,
    so district files are checked against it already."""
    rows = [r for r in warehouse.submissions_in_state(engine, VALIDATED) if r["district"] == inbox.REFERENCE_FOLDER]
    if not rows:
        return None
    newest = max(rows, key=lambda r: r["id"])
    try:
        sub = handoff.load(handoff.folder(settings, newest["id"]), frames=("values",))
    except FileNotFoundError:  # another run merged it meanwhile: the warehouse has it now
        return None
    return Reference.from_tables({t.sheet: t.values for t in sub.tables})


# --- merge ----------------------------------------------------------------------------------

@_step
def merge_submissions(settings: Settings) -> dict:
    """Merge every validated submission into the warehouse, each in its own transaction."""
    engine = _engine(settings)
    merged, changed = [], False
    rejected = []
    for row in _claimed(engine, settings, warehouse.submissions_in_state(engine, VALIDATED), VALIDATED):
        sid = row["id"]
        try:
            changed = _merge_one(engine, settings, row) or changed
        except warehouse.WarehouseUnavailable:
            raise  # the task fails and retries; the submission stays validated
        except Exception as exc:  # this file alone fails: rejected with a reason, the others go on
            log.exception("merging submission #%s failed", sid)
            _reject(engine, settings, sid, [finding("merge_failed", detail=type(exc).__name__)])
            rejected.append(sid)
            continue
        merged.append(sid)
    # merged but without a receipt yet: an earlier try of this step committed and then died, so the
    # warehouse changed without the Asset being told
    changed = changed or bool(warehouse.submissions_in_state(engine, MERGED))
    return {"merged": merged, "changed": changed, "rejected": rejected}


def _merge_one(engine, settings: Settings, row: dict) -> bool:
    """Merge one validated submission in its own transaction; did the warehouse change?"""
    sid = row["id"]
    sub = handoff.load(handoff.folder(settings, sid), frames=("values",))
    if row["district"] == inbox.REFERENCE_FOLDER:
        reference = Reference.from_tables({t.sheet: t.values for t in sub.tables})
        warehouse.replace_reference(engine, reference)
        warehouse.update_submission(engine, sid, state=MERGED, fate=Fate.ACCEPTED)
        return True
    ledger, visits = sub.table(contract.LEDGER), sub.table(contract.VISITS)
    result = warehouse.merge_submission(
        engine, sid, district=row["district"], as_of=sub.as_of,
        ledger=ledger.canonical(row["checksum"]) if ledger else None,
        visits=visits.canonical(row["checksum"]) if visits else None)
    log.info("merged #%s: %s", sid, asdict(result))
    return result.changed


# --- receipts -------------------------------------------------------------------------------

@_step
def write_receipts(settings: Settings) -> dict:
    """Put a receipt (回执) into the district's folder for every finished submission, and queue it
    for the district's contacts (receipt_mail; sent by the next step)."""
    from grassroots.intake import reader
    from grassroots.mail import receipt_mail
    from grassroots.validation import receipts

    engine = _engine(settings)
    written, refused = [], []
    rows = warehouse.submissions_in_state(engine, MERGED) + warehouse.submissions_in_state(engine, REJECTED)
    for row in _claimed(engine, settings, rows, MERGED, REJECTED):
        sid = row["id"]
        folder = handoff.folder(settings, sid)
        sub = handoff.load(folder, frames=()) if (folder / "submission.json").exists() else None
        findings = warehouse.submission_findings(engine, sid)
        accepted = row["fate"] == Fate.ACCEPTED
        context = _receipt_context(engine, settings, row, sub, accepted)
        # built under the worker's home (never the system's temp folder), then put into the district's folder
        build = settings.home / "staging" / f"receipt-{uuid.uuid4().hex}"

        def build_receipt(copy_of: reader.Submission | None, source: Path, row=row, findings=findings, build=build,
                          accepted=accepted, context=context):
            return receipts.write_receipt(
                source, original_name=row["file_name"], sub=copy_of, findings=findings,
                accepted=accepted, rows_total=row["rows_total"] or 0,
                rows_accepted=row["rows_accepted"] or 0, district=row["district"], out_dir=build,
                received_at=row["received_at"], timezone=settings.timezone, context=context)

        try:
            build.mkdir(parents=True, exist_ok=True)
            with storage.local_copy(storage.as_path(row["archive_path"])) as source:
                try:
                    local = build_receipt(sub, source)
                except Exception:  # the annotated copy failed: the summary sheet alone still tells the district
                    if sub is None:
                        raise
                    log.exception("annotated receipt of #%s failed; writing the summary alone", sid)
                    local = build_receipt(None, source)
            destination = inbox.write_receipt_file(settings, row["district"], local.name, local)
        except inbox.LinkRefused as exc:
            log.warning("receipt of #%s not written: %s in %s is a link or not a folder",
                        sid, inbox.shown(str(exc.filename)), inbox.shown(row["district"]))
            destination = None
            refused.append(sid)
        except OSError:
            raise  # a folder not writable, a disk full: the task fails and retries, as WHAT_TO_DO says
        except Exception:  # no receipt can be built for this file: it must not hold up the others
            log.exception("receipt of #%s could not be built", sid)
            destination = None
            refused.append(sid)
        finally:
            shutil.rmtree(build, ignore_errors=True)
        warehouse.update_submission(engine, sid, state=DONE, receipt_path=destination)
        if destination is not None and row["district"] != inbox.REFERENCE_FOLDER:
            receipt_mail.queue(engine, settings, row, accepted)
        handoff.discard(settings, sid)
        written.append(sid)
    return {"receipts": written, "refused": refused}


def _receipt_context(engine, settings: Settings, row: dict, sub, accepted: bool):
    """What the receipt says beyond its findings: the ledger the figures keep, the deadline to
    resubmit, and what an accepted ledger changed (saved by the validate step)."""
    from grassroots.mail import receipt_mail
    from grassroots.validation import receipts

    if row["district"] == inbox.REFERENCE_FOLDER:
        return receipts.ReceiptContext()
    if accepted:
        path = _changes_file(settings, row["id"])
        changes = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        return receipts.ReceiptContext(changes=changes)
    day = (sub.as_of if sub is not None and sub.as_of else None) or row.get("as_of") or _arrival_date(row, settings)
    return receipts.ReceiptContext(
        previous_as_of=receipt_mail.previous_as_of(engine, row["district"]), looked_up=True,
        resubmit_by=settings_module.deadline_for(day, settings.submission_deadline, settings.timezone))


def _no_connection(problem: str) -> bool:
    """The SMTP connection is not configured at all (Airflow says "not defined" or "not found")."""
    return any(words in problem for words in ("not defined", "isn't defined", "not found"))


@_step
def mail_receipts(settings: Settings, *, conn_id: str = "smtp_default", strict: bool = True) -> dict:
    """Mail the queued receipts to the districts' contacts. Without the SMTP connection the
    receipts stay queued (a warning); `strict` raises when the server fails (the task retries)."""
    from grassroots.mail import receipt_mail

    engine = _engine(settings)
    try:
        return receipt_mail.send_receipt_mails(settings, engine, conn_id=conn_id)
    except receipt_mail.ReceiptMailNotSent as exc:
        if strict and not _no_connection(str(exc)):
            raise
        log.warning("receipts not mailed, left queued for the next run: %s", exc)
        return {"sent": [], "queued": True, "problem": str(exc)[:500]}


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
        "datadocs": build_data_docs(settings),
        "merge": merge_submissions(settings),
        "receipts": write_receipts(settings),
        "mail": mail_receipts(settings, strict=False),
    }
    steps["seconds"] = round(time.perf_counter() - started, 1)
    return steps
