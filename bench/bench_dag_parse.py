"""How long each DAG file takes to parse, against the 0.5 s aim (the DAG processor re-parses them).

    .venv/bin/python -m bench.bench_dag_parse [--repeat 5]

Each file is parsed in a fresh interpreter with airflow.sdk and pendulum already imported, as in the
DAG processor; the best of --repeat runs is printed beside the aim, with the modules it pulled in.
The tests keep what cannot flake (no heavy module imported); the time lives here.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AIM_S = 0.5

_PROBE = (
    "import sys, time, runpy, airflow.sdk, pendulum\n"
    "before = set(sys.modules)\nt = time.perf_counter()\nrunpy.run_path(sys.argv[1])\n"
    "print(time.perf_counter() - t); print(len(set(sys.modules) - before))\n"
)


def parse_seconds(path: Path) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.splitlines()
    return float(out[0]), int(out[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"{'DAG file':<32} {'best s':>8} {'worst s':>8} {'modules':>8}  aim < {AIM_S} s")
    for path in sorted((ROOT / "dags").glob("*.py")):
        runs = [parse_seconds(path) for _ in range(args.repeat)]
        times = [t for t, _ in runs]
        verdict = "ok" if min(times) < AIM_S else "MISSED"
        print(f"{path.name:<32} {min(times):>8.3f} {max(times):>8.3f} {runs[0][1]:>8}  {verdict}")


if __name__ == "__main__":
    main()
