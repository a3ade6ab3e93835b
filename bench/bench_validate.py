"""How much validation costs against the bare read of a large ledger.

    .venv/bin/python bench/bench_validate.py [--rows 100000] [--bad 0.01] [--out DIR] [--receipt]

Writes a ledger of --rows rows (a share --bad of them with errors) and times: the bare calamine
read, reader.read_submission, and validate_submission with every rule (GX suites and the row
rules, with a previous ledger for the warnings across submissions), split into GX and cross-row
time. GX's import and first context are timed apart (paid once per process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grassroots import contract  # noqa: E402
from grassroots import settings as settings_module  # noqa: E402
from grassroots.intake import reader  # noqa: E402
from tests.samples import validation as fx  # noqa: E402


def write_ledger(path: Path, rows: int, bad: float, seed: int = 7) -> None:
    import openpyxl

    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(contract.LEDGER_SHEET.name)
    ws.append(["海曙区问题清单（截至2026年11月20日）"])
    ws.append(fx.LEDGER_HEADERS)
    towns = ["鼓楼街道", "南门街道"]
    for i in range(rows):
        row = fx.ledger_row(case_id=f"HS-{i:06d}", title=f"问题{i}：老旧小区加装电梯", town=towns[i % 2],
                            reported_on=dt.date(2026, 1, 1) + dt.timedelta(days=i % 300),
                            status=contract.STATUS_ORDER[i % 3], funds_wan=i % 1000)
        if rng.random() < bad:
            row[rng.choice(["所属区县", "问题来源", "发现日期", "责任人"])] = rng.choice(["江北区", "乱填", "不详", None])
        ws.append([row.get(h) for h in fx.LEDGER_HEADERS])
    wb.save(path)


CPU: dict[str, float] = {}


def timed(fn, name: str = ""):
    """Wall seconds (and this process's CPU seconds under `name`: the machine may be shared)."""
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    CPU[name] = time.process_time() - c0
    return value, time.perf_counter() - t0


def bare_read(path: Path):
    import python_calamine

    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name(contract.LEDGER_SHEET.name).to_python(skip_empty_area=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bad", type=float, default=0.0, help="share of rows with an error")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--receipt", action="store_true", help="also time writing the receipt")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-validate-"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"海曙区_{args.rows}_{args.bad}.xlsx"
    if not path.exists():
        _, seconds = timed(lambda: write_ledger(path, args.rows, args.bad))
        print(f"wrote {path} in {seconds:.1f}s")
    settings = settings_module.load({"GRASSROOTS_HOME": str(out / "home")})

    from grassroots.validation import suites, validate_submission

    _, gx_import = timed(suites._gx)
    small = fx.write_ledger(out / "warm.xlsx", fx.ledger_rows(3))
    warm_sub = reader.read_submission(small, settings)
    _, warm = timed(lambda: validate_submission(warm_sub, fx.reference(), district="海曙区", as_of=fx.AS_OF))

    grid, t_bare = timed(lambda: bare_read(path), "bare")
    sub, t_read = timed(lambda: reader.read_submission(path, settings), "read")
    ledger = sub.table(contract.LEDGER)
    previous = {f"HS-{i:06d}": {"status": contract.STATUS_RESOLVED if i % 50 == 0 else contract.STATUS_NOT_STARTED,
                                "deadline": dt.date(2026, 12, 31), "as_of": dt.date(2026, 10, 31)}
                for i in range(args.rows + 100)}
    result, t_validate = timed(lambda: validate_submission(
        sub, fx.reference(), district="海曙区", as_of=sub.as_of, previous=previous), "validate")
    t = result.timings
    rows = [
        ("rows", f"{ledger.rows}"),
        ("findings (errors / warnings)", f"{len(result.errors)} / {len(result.warnings)}"),
        ("GX import + context (once per process)", f"{gx_import:.2f}s"),
        ("first validation (suites built)", f"{warm:.2f}s"),
        ("bare calamine read", f"{t_bare:.2f}s  (cpu {CPU['bare']:.2f}s)"),
        ("reader.read_submission", f"{t_read:.2f}s  (cpu {CPU['read']:.2f}s)"),
        ("validate_submission", f"{t_validate:.2f}s  (cpu {CPU['validate']:.2f}s; {t_validate / t_bare:.2f}x bare read, "
                                f"cpu {CPU['validate'] / CPU['bare']:.2f}x)"),
        ("  GX suites (+ mapping failures)", f"{t['gx']:.2f}s"),
        ("  cross-row rules (pandas)", f"{t['cross']:.2f}s"),
        ("read + validate", f"{t_read + t_validate:.2f}s  ({(t_read + t_validate) / t_bare:.2f}x bare read)"),
    ]
    if args.receipt:
        from grassroots.validation import receipts

        _, t_receipt = timed(lambda: receipts.write_receipt(
            path, original_name=path.name, sub=sub, findings=result.findings, accepted=result.accepted,
            rows_total=result.rows_total, rows_accepted=result.rows_accepted, district="海曙区", out_dir=out / "回执"))
        rows.append(("write_receipt (copy + annotate)", f"{t_receipt:.2f}s"))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    del grid


if __name__ == "__main__":
    main()
