"""The districts' pre-check: exactly the validation of a submission, without submitting anything.

    python -m grassroots check FILE [--district NAME] [--reference WORKBOOK]

Prints every error and warning in Chinese, writes the receipt (回执) beside the file, and exits
0 when the file would be accepted, 1 when it would be rejected, 2 when it cannot be read (or no
reference data can be found to check it against).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from grassroots import clock, contract
from grassroots.findings import Finding, Unreadable
from grassroots.intake import reader
from grassroots.reference import Reference
from grassroots.settings import Settings

log = logging.getLogger(__name__)

ACCEPTED, REJECTED, UNREADABLE = 0, 1, 2
REFERENCE_FOLDER = contract.REFERENCE_FOLDER
_WORKBOOKS = (".xlsx", ".xlsm", ".xls")


def run_check(path: Path, *, district: str | None, reference_path: Path | None, settings: Settings) -> int:
    """Validate `path` as the ingest would; print the findings; write the receipt beside it."""
    from grassroots.validation import receipts, validate_submission

    path = Path(path)
    district = district or path.resolve().parent.name
    if not path.is_file():
        print(f"找不到文件：{path}")
        return UNREADABLE
    try:
        sub = reader.read_submission(path, settings, name=path.name)
    except Unreadable as exc:
        print(f"文件：{path.name}")
        print(f"结果：无法读取。{exc.finding.reason}")
        print(f"  修改：{exc.finding.fix}")
        _write_receipt(receipts, path, None, [exc.finding], False, 0, district, settings)
        return UNREADABLE
    try:
        reference, source = find_reference(settings, reference_path)
    except Unreadable as exc:
        print(f"基础数据工作簿无法读取：{exc.finding.reason}")
        return UNREADABLE
    except OSError as exc:
        print(f"基础数据工作簿无法打开：{exc}")
        return UNREADABLE
    except BadReference as exc:
        print(f"基础数据工作簿（{exc.source}）有错误，无法用来检查：")
        _print_findings(exc.findings)
        return UNREADABLE
    if reference is None:
        print("找不到基础数据（区县、街道、单位名单）：请用 --reference 指定基础数据工作簿。")
        return UNREADABLE
    as_of = sub.as_of or clock.today(settings.timezone)
    result = validate_submission(sub, reference, district=district, as_of=as_of,
                                 previous=_previous_ledger(settings, district))
    print(f"文件：{path.name}（区县：{district}；截至日期：{as_of.isoformat()}；基础数据：{source}）")
    print("读取：" + "；".join(f"{t.sheet} {t.rows} 行" for t in sub.tables))
    errors, warnings = result.errors, result.warnings
    if result.accepted:
        print(f"结果：可以接收，共 {result.rows_total} 行；错误 0 个，警告 {len(warnings)} 个。")
    else:
        print(f"结果：不能接收（整份退回）；错误 {len(errors)} 个，警告 {len(warnings)} 个。请修改全部错误后再提交。")
    _print_findings(result.findings)
    _write_receipt(receipts, path, sub, result.findings, result.accepted, result.rows_total, district, settings,
                   rows_accepted=result.rows_accepted)
    return ACCEPTED if result.accepted else REJECTED


def _print_findings(findings: list[Finding]) -> None:
    for label, group in (("错误", [f for f in findings if f.is_error]), ("警告", [f for f in findings if not f.is_error])):
        if not group:
            continue
        print(f"{label}：")
        for f in group:
            where = "".join([
                f"“{f.sheet}”" if f.sheet else "",
                f"第 {f.row} 行" if f.row is not None else "",
                f"“{f.column}”列" if f.column else "",
            ])
            print(f"  {where + '：' if where else ''}{f.reason}")
            print(f"      修改：{f.fix}")


def _write_receipt(receipts, path: Path, sub, findings, accepted: bool, rows_total: int, district: str,
                   settings: Settings, rows_accepted: int = 0) -> None:
    try:
        receipt = receipts.write_receipt(
            path, original_name=path.name, sub=sub, findings=findings, accepted=accepted, rows_total=rows_total,
            rows_accepted=rows_accepted, district=district, out_dir=path.parent, timezone=settings.timezone)
    except OSError as exc:
        print(f"回执无法写入 {path.parent}：{exc}")
        return
    print(f"回执：{receipt}")


# --- the reference data to check against ----------------------------------------------------

class BadReference(Exception):
    """The reference workbook found has errors: checking against it would mislead."""

    def __init__(self, source: str, findings: list[Finding]):
        super().__init__(source)
        self.source = source
        self.findings = findings


def find_reference(settings: Settings, reference_path: Path | None) -> tuple[Reference | None, str]:
    """--reference, else the warehouse's current reference, else the inbox's _reference/ workbook.

    Returns the Reference (None when there is none anywhere) and where it came from; raises
    Unreadable or BadReference for a workbook that cannot serve.
    """
    if reference_path is not None:
        return _from_workbook(Path(reference_path), settings)
    reference = _from_warehouse(settings)
    if reference is not None:
        return reference, "数据仓库"
    workbook = _inbox_reference(settings)
    if workbook is not None:
        return _from_workbook(workbook, settings)
    return None, ""


def _from_workbook(path: Path, settings: Settings) -> tuple[Reference, str]:
    from grassroots.validation import validate_reference

    reference, findings = validate_reference(reader.read_reference(path, settings))
    if reference is None:
        raise BadReference(path.name, [f for f in findings if f.is_error])
    return reference, path.name


def _from_warehouse(settings: Settings) -> Reference | None:
    try:
        from grassroots import warehouse
    except ImportError:
        return None
    engine = _engine(settings)
    if engine is None:
        return None
    try:
        return warehouse.load_reference(engine)
    except Exception as exc:  # no schema yet, or any other trouble: fall back to the inbox
        log.debug("no reference in the warehouse: %s", exc)
        return None
    finally:
        engine.dispose()


def _previous_ledger(settings: Settings, district: str) -> dict[str, dict] | None:
    """The district's cases as the warehouse has them, for the warnings across submissions."""
    try:
        from grassroots import warehouse
    except ImportError:
        return None
    ledger_state = getattr(warehouse, "ledger_state", None)
    engine = _engine(settings) if ledger_state else None
    if engine is None:
        return None
    try:
        return ledger_state(engine, district) or None
    except Exception as exc:
        log.debug("no ledger state in the warehouse: %s", exc)
        return None
    finally:
        engine.dispose()


def _engine(settings: Settings):
    """A warehouse engine, or None: never creates a SQLite file that is not there."""
    from sqlalchemy.engine import make_url

    from grassroots import warehouse

    try:
        url = make_url(settings.warehouse_url)
        if url.get_backend_name() == "sqlite":
            database = url.database or ""
            if not database or database == ":memory:" or not Path(database).expanduser().is_file():
                return None
        return warehouse.connect(settings.warehouse_url)
    except Exception as exc:  # WarehouseUnavailable or a bad URL: the pre-check goes on without it
        log.debug("warehouse not available: %s", exc)
        return None


def _inbox_reference(settings: Settings) -> Path | None:
    """The newest workbook in <inbox>/_reference/ when the inbox is a local folder."""
    inbox = settings.inbox
    if "://" in inbox:
        if not inbox.startswith("file://"):
            return None
        inbox = inbox.removeprefix("file://")
    folder = Path(inbox) / REFERENCE_FOLDER
    if not folder.is_dir():
        return None
    found = [p for p in folder.iterdir()
             if p.is_file() and p.suffix.lower() in _WORKBOOKS and not p.name.startswith(("~", ".")) and "_回执" not in p.stem]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def main(argv: list[str] | None = None) -> int:
    import argparse

    from grassroots import settings as settings_module

    parser = argparse.ArgumentParser(prog="python -m grassroots.validation.precheck", description="提交前自查：检查文件是否符合填报要求")
    parser.add_argument("file", help="要检查的文件（.xlsx、.xls 或 .csv）")
    parser.add_argument("--district", help="区县名称（默认取文件所在文件夹的名称）")
    parser.add_argument("--reference", help="基础数据工作簿（默认取数据仓库或收件箱 _reference/ 中的）")
    args = parser.parse_args(argv)
    return run_check(Path(args.file), district=args.district,
                     reference_path=Path(args.reference) if args.reference else None, settings=settings_module.load())


if __name__ == "__main__":
    sys.exit(main())
