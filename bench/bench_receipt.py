"""The receipt of a large workbook: streamed at the XML level against today's full openpyxl copy.

    .venv/bin/python -m bench.bench_receipt [--rows 100000] [--bad 0.01] [--out DIR] [--no-baseline]

Writes a ledger of --rows rows (a share --bad of them with errors), reads and validates it, then
times write_receipt as it runs now (the district's XML streamed, only marked rows rewritten) and,
as the baseline, the copy every receipt made before (openpyxl loads and saves every cell).
Target: 100k rows in 10 s or less.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_validate import write_ledger  # noqa: E402
from grassroots import settings as settings_module  # noqa: E402
from grassroots.intake import reader  # noqa: E402
from grassroots.validation import receipts  # noqa: E402
from tests.samples import validation as fx  # noqa: E402


def _receipt(path: Path, sub, result, out: Path) -> Path:
    return receipts.write_receipt(path, original_name=path.name, sub=sub, findings=result.findings,
                                  accepted=result.accepted, rows_total=result.rows_total,
                                  rows_accepted=result.rows_accepted, district="海曙区", out_dir=out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bad", type=float, default=0.01, help="share of rows with an error")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-baseline", action="store_true", help="skip today's full copy (about a minute)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-receipt-"))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"海曙区_{args.rows}_{args.bad}.xlsx"
    if not path.exists():
        write_ledger(path, args.rows, args.bad)
    settings = settings_module.load({"GRASSROOTS_HOME": str(out / "home")})
    from grassroots.validation import validate_submission

    sub = reader.read_submission(path, settings)
    result = validate_submission(sub, fx.reference(), district="海曙区", as_of=sub.as_of)
    t0 = time.perf_counter()
    streamed = _receipt(path, sub, result, out / "streamed")
    t_stream = time.perf_counter() - t0
    rows = [("rows / findings", f"{result.rows_total} / {len(result.findings)}"),
            ("receipt, streamed (now)", f"{t_stream:.2f}s  ({streamed.stat().st_size / 1e6:.1f} MB)")]
    if not args.no_baseline:
        small, receipts.SMALL_CELLS = receipts.SMALL_CELLS, 10**12
        try:
            t0 = time.perf_counter()
            _receipt(path, sub, result, out / "copied")
            t_copy = time.perf_counter() - t0
        finally:
            receipts.SMALL_CELLS = small
        rows.append(("receipt, openpyxl full copy (before)", f"{t_copy:.2f}s  ({t_copy / t_stream:.1f}x the streamed)"))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
