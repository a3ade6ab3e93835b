"""The worst files a district can send within the size limit: each decided by a whole ingest pass
(read, validate, merge or reject, receipt) in a fresh home, timed, with its peak memory, beside
the aims (60 s, 1 GB) and a baseline (the same pass over a good three-row ledger).

    python -m bench.bench_hostile [--empty-rows 4000000] [--wrong-rows 150000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path("bench-results") / "hostile"
AIM_SECONDS, AIM_MB = 60, 1024

_MEASURE = """
import json, os, shutil, sys, time
from bench.memory import peak_mb
from pathlib import Path
home, source = Path(sys.argv[1]), Path(sys.argv[2])
os.environ.update(GRASSROOTS_HOME=str(home), GRASSROOTS_SETTLE_SECONDS="0")
from grassroots import ingest, settings, warehouse
from tests.samples.ingest import settle, write_reference
s = settings.load()
write_reference(home / "inbox")
target = home / "inbox" / "海曙区" / source.name
target.parent.mkdir(parents=True)
shutil.copyfile(source, target)
settle(target)
t = time.perf_counter()
ingest.run_once(s)
seconds = time.perf_counter() - t
engine = warehouse.connect(s.warehouse_url)
row = [r for r in warehouse.submissions_in_state(engine, "done") if r["file_name"] == source.name][0]
print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(),
                  "fate": row["fate"], "reason": row["reason"] or "", "errors": row["errors"]}))
"""


def _measure(path: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as home:
        out = subprocess.run([sys.executable, "-c", _MEASURE, home, str(path)], capture_output=True, text=True,
                             timeout=1200)
    if out.returncode != 0:
        return {"seconds": float("nan"), "peak_mb": float("nan"), "fate": "crashed",
                "reason": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "", "errors": None}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _shapes(empty_rows: int, wrong_rows: int) -> list[tuple[str, Path]]:
    from tests.samples.hostile import AS_OF, all_wrong_rows, styled_empty_rows
    from tests.samples.ingest import ledger_rows, write_ledger

    OUT.mkdir(parents=True, exist_ok=True)
    shapes = []
    good = OUT / "good.xlsx"
    if not good.exists():
        write_ledger(OUT, good.name, ledger_rows("海曙区"), AS_OF)
    shapes.append(("baseline: a good 3-row ledger", good))
    for rows in (empty_rows, 199_000):
        path = OUT / f"styled-empty-{rows}.xlsx"
        if not path.exists():
            styled_empty_rows(OUT, path.name, "海曙区", rows)
        shapes.append((f"1 row + {rows:,} styled empty rows, no dimension ({path.stat().st_size / 1e6:.0f} MB)", path))
    path = OUT / f"all-wrong-{wrong_rows}.xlsx"
    if not path.exists():
        all_wrong_rows(OUT, path.name, "海曙区", wrong_rows)
    shapes.append((f"{wrong_rows:,} rows, every row wrong ({path.stat().st_size / 1e6:.0f} MB)", path))
    path = OUT / "blank-lines.csv"
    if not path.exists():
        with path.open("wb") as fh:
            fh.write("问题编号,问题名称,问题来源,所属区县,街道（镇乡）,包联单位,责任单位,责任人,发现日期,完成时限,办理状态\n".encode())
            fh.write(b"HS-1,a,b,c,d,e,f,g,2026-01-01,2026-02-01,x\n")
            fh.write(b"\n" * 90_000_000)
    shapes.append(("csv: 1 row + 90M blank lines (90 MB)", path))
    return shapes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--empty-rows", type=int, default=4_000_000)
    parser.add_argument("--wrong-rows", type=int, default=150_000)
    args, _ = parser.parse_known_args(argv)
    print(f"{'file (one whole ingest pass)':64} {'seconds':>8} {'peak MB':>8}  verdict (aim <= {AIM_SECONDS} s, <= {AIM_MB} MB)")
    for name, path in _shapes(args.empty_rows, args.wrong_rows):
        m = _measure(path)
        within = m["seconds"] <= AIM_SECONDS and m["peak_mb"] <= AIM_MB
        verdict = f"{m['fate']}: {m['reason'][:50]}" + ("" if within else "  ** beyond the aim **")
        print(f"{name:64} {m['seconds']:8.1f} {m['peak_mb']:8.0f}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
