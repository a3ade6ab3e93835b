"""GX Core expectation suites built from the contract, and their run on one table.

Every column of contract.py becomes expectations on a frame prepared for GX (cleaned text, the
canonical value, the text that did not parse), each tagged with the rule code it enforces. The
frame's index is the Excel row number, so GX's unexpected_index_list names the rows a district
sees. Pass or fail is decided by the codes' severity, never by GX's success flag.

great_expectations is imported on first use only: it takes seconds to import.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
import sys
import threading
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from grassroots import clock, contract, settings
from grassroots.intake.reader import Table

log = logging.getLogger(__name__)

DATASOURCE = "grassroots"
DOCS_INDEX_LIMIT = 100  # newest validation runs listed on the Data Docs index page (each page stays on disk)


@dataclass(frozen=True)
class Check:
    """One expectation: the GX class, the frame column it reads, and the rule code it enforces."""

    code: str
    field: str  # the contract field a failure points at
    expectation: str  # GX expectation class name
    column: str | None  # column of the GX frame (None for compound expectations)
    kwargs: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Failure:
    """The rows (Excel row numbers) where one check failed."""

    check: Check
    rows: list[int]


@dataclass
class SuiteRun:
    failures: list[Failure]
    seconds: float  # GX's validation of the table
    page: Path | None = None  # the Data Docs page of this run
    docs_seconds: float = 0.0


def suite_name(sheet: contract.Sheet) -> str:
    return sheet.name if sheet.kind != contract.REFERENCE else f"基础数据-{sheet.name}"


def checks_for(sheet: contract.Sheet) -> tuple[Check, ...]:
    """The expectations of a sheet, derived from its columns and the contract's unique keys."""
    out: list[Check] = []
    for col in sheet.columns:
        f = col.field
        if col.required:
            out.append(Check("required", f, "ExpectColumnValuesToNotBeNull", f))
        if col.text_limit:
            out.append(Check("too_long", f, "ExpectColumnValueLengthsToBeBetween", f, {"max_value": col.text_limit}))
        if col.type == "choice":
            out.append(Check("not_in_choices", f, "ExpectColumnValuesToBeInSet", f"{f}__value",
                             {"value_set": list(col.choices)}))
        if col.type == "date":
            out.append(Check("bad_date", f, "ExpectColumnValuesToBeNull", f"{f}__unparsed"))
        if col.type in ("number", "integer"):
            out.append(Check("bad_number", f, "ExpectColumnValuesToBeNull", f"{f}__unparsed"))
        if col.type == "integer":
            out.append(Check("not_whole_number", f, "ExpectColumnValuesToBeBetween", f"{f}__fraction",
                             {"min_value": 0, "max_value": 0}))
        if col.minimum is not None:
            out.append(Check("negative", f, "ExpectColumnValuesToBeBetween", f"{f}__value",
                             {"min_value": col.minimum}))
        if col.upper is not None:
            out.append(Check("number_too_large", f, "ExpectColumnValuesToBeBetween", f"{f}__value",
                             {"max_value": col.upper}))
        pattern = contract.PATTERNS.get((sheet.name, f))
        if pattern:
            out.append(Check(pattern[1], f, "ExpectColumnValuesToMatchRegex", f, {"regex": pattern[0]}))
    for sheet_name, fields, code in contract.UNIQUE_KEYS:
        if sheet_name != sheet.name:
            continue
        if len(fields) == 1:
            out.append(Check(code, fields[0], "ExpectColumnValuesToBeUnique", fields[0]))
        else:
            out.append(Check(code, fields[0], "ExpectCompoundColumnsToBeUnique", None, {"column_list": list(fields)}))
    return tuple(out)


def gx_frame(sheet: contract.Sheet, table: Table) -> pd.DataFrame:
    """The columns the checks read; index: the Excel row number (unnamed, so GX returns it as is)."""
    cols: dict[str, pd.Series] = {}
    for check in checks_for(sheet):
        for name in (check.column, *check.kwargs.get("column_list", ())):
            if name and name not in cols:
                cols[name] = _derived(table, name)
    frame = pd.DataFrame(cols, index=table.text.index.rename(None))
    return frame


def _derived(table: Table, name: str) -> pd.Series:
    base, _, suffix = name.partition("__")
    text, value = table.text[base], table.values[base]
    if not suffix:
        return text
    if suffix == "value":
        return value
    if suffix == "unparsed":
        return text.where(value.isna() & text.notna())
    if suffix == "fraction":
        number = value.astype("float64")
        return number - number.round(0)
    raise KeyError(name)


# --- the GX context, one per process ---------------------------------------------------------

_lock = threading.RLock()
_state: dict = {}


def _gx():
    """The process's ephemeral context with one validation definition per sheet (built once)."""
    if "context" in _state:
        return _state["context"]
    settings.keep_gx_offline()
    for name in UNUSED_BY_SUITES:
        _import_on_first_use(name)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _quiet_gx_logs()

    context = gx.get_context(mode="ephemeral")
    try:
        context.enable_analytics(False)
    except Exception:  # older or newer GX without the switch: nothing to disable
        pass
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.data_sources.add_pandas(DATASOURCE)
    _state["context"] = context
    _state["definitions"] = {}
    _state["sites"] = {}
    return context


# GX imports these at its own import for expectations the contract never uses (KL divergence, KS
# tests and their charts): about a second of every validating process, spent only if one is used.
UNUSED_BY_SUITES = ("scipy.stats", "altair")


def _import_on_first_use(name: str) -> None:
    """Put a stand-in for module `name` in sys.modules that imports the real module when any of
    its attributes is first read (`import x` / `from y import x` bind the stand-in meanwhile)."""
    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return
    if spec is None:
        return
    stand_in = types.ModuleType(name)
    stand_in.__spec__ = spec  # the import system sees a module already initialised

    def __getattr__(attr: str):
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attr)

    stand_in.__getattr__ = __getattr__
    sys.modules[name] = stand_in
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, stand_in)


def _quiet_gx_logs() -> None:
    """GX logs every run at INFO (some modules set that level themselves): errors only."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("great_expectations.") and isinstance(logger, logging.Logger) and logger.level:
            logger.setLevel(logging.ERROR)


def _definition(sheet: contract.Sheet):
    context = _gx()
    definitions = _state["definitions"]
    name = suite_name(sheet)
    if name not in definitions:
        import great_expectations as gx

        try:
            suite = gx.ExpectationSuite(name=name)
            for check in checks_for(sheet):
                suite.add_expectation(_expectation(sheet, check))
            suite = context.suites.add(suite)
            asset = context.data_sources.get(DATASOURCE).add_dataframe_asset(name)
            batch = asset.add_batch_definition_whole_dataframe("whole")
            definitions[name] = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite))
        except Exception:
            _state.clear()  # half-built: start again from a fresh context next time
            raise
    return definitions[name]


def _expectation(sheet: contract.Sheet, check: Check):
    import great_expectations as gx

    cls = getattr(gx.expectations, check.expectation)
    col = sheet.column(check.field)
    note = f"{col.header}：{contract.RULES[check.code].message}（{check.code}）"
    args = dict(check.kwargs)
    if check.column:
        args["column"] = check.column
    return cls(**args, meta={"code": check.code, "field": check.field}, notes=note)


def run(sheet: contract.Sheet, table: Table, *, run_name: str = "", datadocs_dir: Path | None = None,
        render_docs: bool = True) -> SuiteRun:
    """Validate one table with its sheet's suite; rows that fail each check, and the Docs page.
    With render_docs False the run is only stored in the site and its page named: `build_docs`
    renders it later (the ingest does so in a task the merge does not wait for)."""
    started = time.perf_counter()
    if table.rows == 0:
        return SuiteRun([], 0.0)
    frame = gx_frame(sheet, table)
    with _lock:
        definition = _definition(sheet)  # GX imported there first (see UNUSED_BY_SUITES)
        from great_expectations.core.run_identifier import RunIdentifier

        context = _state["context"]
        run_id = RunIdentifier(run_name=_safe_run_name(run_name), run_time=clock.now())
        _no_fingerprint()
        try:
            result = definition.run(batch_parameters={"dataframe": frame}, result_format={"result_format": "COMPLETE"},
                                    run_id=run_id)
        finally:
            _forget_batch(context)
        key = next((k for k in context.validation_results_store.list_keys() if k.run_id == run_id), None)
        if key is not None:  # keep the in-memory store from growing with every run
            context.validation_results_store.remove_key(key)
    failures = []
    by_check = {(c.code, c.field, c.column): c for c in checks_for(sheet)}
    for r in result.results:
        cfg = r.expectation_config
        raised = _raised(r.exception_info)
        if raised:  # a rule that could not run must not pass silently
            raise RuntimeError(f"GX expectation {cfg.type} on {cfg.kwargs.get('column')} failed to run: {raised}")
        rows = r.result.get("unexpected_index_list") or []
        if not rows:
            continue
        check = by_check[(cfg.meta["code"], cfg.meta["field"], cfg.kwargs.get("column"))]
        failures.append(Failure(check, sorted(int(x) for x in rows)))
    seconds = time.perf_counter() - started
    page = None
    if datadocs_dir is not None and key is not None:
        page = _write_docs(result, key, Path(datadocs_dir), render=render_docs)
    return SuiteRun(failures, seconds, page, time.perf_counter() - started - seconds)


def _no_fingerprint() -> None:
    """GX hashes every value of a frame under 1 GB (pandas' hash of each column, Arrow text turned
    into Python objects) for a fingerprint among the result's batch markers, which nothing here
    reads: for a 1M-row ledger 400 MB and seconds. A frame of any size is left unhashed."""
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


def _forget_batch(context) -> None:
    """GX's execution engine keeps the batch it validated (the whole frame) until the next run: a 1M-row
    ledger's frame would outlive its validation by the life of the process."""
    batches = context.data_sources.get(DATASOURCE).get_execution_engine().batch_manager
    batches.reset_batch_cache()
    batches.batch_data_cache.clear()  # the frame itself (reset_batch_cache leaves it)


def _raised(info) -> str:
    """GX's exception info, flat or keyed by metric: the message of an exception raised, or ''."""
    if not isinstance(info, dict):
        return ""
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "exception")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "exception")
    return ""


_UNSAFE_RUN = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+|\.\.+")


RUN_NAME_BYTES = 120  # a folder name of the Data Docs site: well below the 255-byte limit of file systems


def _safe_run_name(name: str) -> str:
    """The run's folder name: no separators, at most RUN_NAME_BYTES bytes (a shortened name ends
    with a hash of the whole, so two long names stay apart)."""
    text = _UNSAFE_RUN.sub("_", name).strip(" ._") or "run"
    if len(text.encode("utf-8")) <= RUN_NAME_BYTES:
        return text
    import hashlib

    tag = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    head = text.encode("utf-8")[:RUN_NAME_BYTES - 11].decode("utf-8", "ignore").rstrip(" ._")
    return f"{head}~{tag}"


# --- Data Docs ------------------------------------------------------------------------------

def _site(datadocs_dir: Path) -> tuple[str, str]:
    """A filesystem Data Docs site (and the results store it renders from) under datadocs_dir."""
    sites = _state["sites"]
    key = str(datadocs_dir.resolve())
    if key not in sites:
        context = _state["context"]
        n = len(sites) + 1
        store_name, site_name = f"grassroots_results_{n}", f"grassroots_{n}"
        context.add_store(store_name, {
            "class_name": "ValidationResultsStore",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(Path(key) / "_results")},
        })
        context.add_data_docs_site(site_name, {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": key},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "validation_results_limit": DOCS_INDEX_LIMIT},
            "site_section_builders": {
                "validations": {"source_store_name": store_name},
                "expectations": "False",
                "profiling": "False",
            },
        })
        sites[key] = (store_name, site_name)
    return sites[key]


def _write_docs(result, key, datadocs_dir: Path, *, render: bool = True) -> Path | None:
    """Store this run in the operators' site and render it (or leave that to `build_docs`); a
    failure here never fails the validation."""
    try:
        with _lock:
            store_name, site_name = _site(datadocs_dir)
            context = _state["context"]
            _slim(result)
            context.stores[store_name].set(key, result)
            if not render:
                return _page(datadocs_dir, key)
            context.build_data_docs(site_names=[site_name], resource_identifiers=[key])
        page = _page(datadocs_dir, key)
        return page if page.exists() else datadocs_dir.resolve() / "index.html"
    except Exception:
        log.warning("Data Docs could not be written to %s", datadocs_dir, exc_info=True)
        return None


def _page(datadocs_dir: Path, key) -> Path:
    """Where the site builder writes the page of a stored run."""
    return datadocs_dir.resolve() / "validations" / Path(*key.to_tuple()).with_suffix(".html")


def build_docs(datadocs_dir: Path) -> list[Path]:
    """Render the stored runs that have no page yet, and the index once: the pages `run` named
    with render_docs False. Nothing to render: GX is not even imported."""
    results = Path(datadocs_dir) / "_results"
    if not results.is_dir() or next(results.rglob("*.json"), None) is None:
        return []
    try:
        with _lock:
            _gx()
            store_name, site_name = _site(Path(datadocs_dir))
            context = _state["context"]
            waiting = [k for k in context.stores[store_name].list_keys()
                       if not _page(Path(datadocs_dir), k).exists()]
            if not waiting:
                return []
            context.build_data_docs(site_names=[site_name], resource_identifiers=waiting)
        return [_page(Path(datadocs_dir), k) for k in waiting]
    except Exception:
        log.warning("Data Docs could not be built in %s", datadocs_dir, exc_info=True)
        return []


def _slim(result) -> None:
    """Drop the complete lists of failing rows (read already; the receipts hold them all)."""
    for r in result.results:
        for name in ("unexpected_list", "unexpected_index_list", "unexpected_index_query"):
            r.result.pop(name, None)
