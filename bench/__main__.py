"""`make bench`: every benchmark in turn, each printing its measures beside its baseline.

Each runs with its defaults (the sizes of the issues); run one alone with its own options, e.g.
`python -m bench.bench_merge --base-cases 100000`.
"""

import importlib

BENCHES = ["bench.bench_dag_parse", "bench.bench_read", "bench.bench_validate", "bench.bench_receipt", "bench.bench_merge",
           "bench.bench_metrics", "bench.bench_path", "bench.bench_file_store", "bench.bench_hostile"]

for name in BENCHES:
    print(f"\n## {name}", flush=True)
    importlib.import_module(name).main([])
