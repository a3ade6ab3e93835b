"""Read + normalise against a bare python-calamine read of the same file, and CSV peak memory.

    python -m bench.bench_read [--rows 100000] [--csv-rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.synthetic import write_ledger_csv, write_ledger_xlsx

OUT = Path("bench-results")

_MEASURE = """
import json, sys, time
from bench.memory import peak_mb
from pathlib import Path
mode, path = sys.argv[1], Path(sys.argv[2])
t = time.perf_counter()
if mode == "grassroots":
    from grassroots import settings
    from grassroots.intake import reader
    s = settings.load({"GRASSROOTS_MAX_ROWS": "5000000", "GRASSROOTS_MAX_FILE_MB": "2000"})
    rows = reader.read_submission(path, s).tables[0].rows
else:
    from pyarrow import csv
    rows = csv.read_csv(path, read_options=csv.ReadOptions(encoding="gb18030")).num_rows
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - t,
                  "peak_mb": peak_mb()}))
"""


def _measure(mode: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEASURE, mode, str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def bench_xlsx(rows: int) -> list[tuple]:
    import python_calamine

    from grassroots import settings
    from grassroots.intake import reader

    path = OUT / f"ledger-{rows}.xlsx"
    if not path.exists():
        write_ledger_xlsx(path, rows)
    t = time.perf_counter()
    with python_calamine.CalamineWorkbook.from_path(str(path)) as wb:
        bare_rows = len(wb.get_sheet_by_name("问题清单").to_python()) - 2
    bare = time.perf_counter() - t
    t = time.perf_counter()
    sub = reader.read_submission(path, settings.load({"GRASSROOTS_MAX_ROWS": str(rows + 10)}))
    ours = time.perf_counter() - t
    assert sub.tables[0].rows == bare_rows == rows
    return [
        (f"xlsx {rows:,} rows: bare calamine read", bare, rows / bare, ""),
        (f"xlsx {rows:,} rows: read + normalise", ours, rows / ours, f"{bare / ours:.2f}x of bare rate (aim >= 0.5)"),
    ]


def bench_csv_memory(rows: int) -> list[tuple]:
    path = OUT / f"ledger-{rows}.csv"
    if not path.exists():
        write_ledger_csv(path, rows)
    bare, ours = _measure("pyarrow", path), _measure("grassroots", path)
    return [
        (f"csv {rows:,} rows (GB18030): bare pyarrow read", bare["seconds"], rows / bare["seconds"], f"peak {bare['peak_mb']:.0f} MB"),
        (f"csv {rows:,} rows: read + normalise", ours["seconds"], rows / ours["seconds"],
         f"peak {ours['peak_mb']:.0f} MB (aim < 1024 MB)"),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    args, _ = parser.parse_known_args(argv)
    OUT.mkdir(exist_ok=True)
    results = bench_xlsx(args.rows) + bench_csv_memory(args.csv_rows)
    print(f"{'measure':52} {'seconds':>8} {'rows/s':>10}  note")
    for name, seconds, rate, note in results:
        print(f"{name:52} {seconds:8.2f} {rate:10,.0f}  {note}")


if __name__ == "__main__":
    main()
