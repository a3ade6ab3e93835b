"""A process's own memory, as the benchmarks' child processes report it.

Not ru_maxrss: Linux carries it across exec, so a child started by `make bench`'s one process (grown
to gigabytes by bench_metrics) would report at least its parent's size. VmHWM and VmRSS in
/proc/self/status are the process's own.
"""

from __future__ import annotations

import contextlib
import resource
from pathlib import Path


def kb(field: str = "VmHWM:") -> int:
    """This process's peak resident memory (VmHWM) or resident memory now (VmRSS), in KiB."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith(field))


def peak_mb() -> float:
    return kb("VmHWM:") / 1024


def reset_peak() -> None:
    """Start VmHWM again from the resident size now (Linux >= 4.0), so that a step's peak is its own."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
