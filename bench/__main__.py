"""Run every benchmark in turn (each prints its own table)."""

import importlib
import sys

BENCHES = ["bench.bench_read", "bench.bench_validate", "bench.bench_merge", "bench.bench_metrics"]

for name in BENCHES:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError:
        continue
    print(f"\n## {name}")
    module.main(sys.argv[1:])
