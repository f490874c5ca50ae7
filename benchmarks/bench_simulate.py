"""Time simulate(1_000_000) and measure its peak memory, against a numpy baseline.

Usage: python benchmarks/bench_simulate.py [ROWS] [REPEATS]

Each repetition runs in a fresh Python process (imports done, phrase banks not
yet built, no warm allocator), as a user calling it once would see it. Reports
wall-clock seconds (best and median), rows/s, the peak resident memory of the
process above its size after the imports (``resource`` maxrss), the peak of
Python allocations seen by ``tracemalloc`` (a separate run, since tracing slows
allocation), and the ratio to a baseline: ``numpy.random.default_rng`` drawing
the same number of uniform numbers as simulate draws (11 per row) in the same
kind of fresh process.
Target: 1,000,000 rows in under 10 s and under 2 GiB.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DRAWS_PER_ROW = 11  # id, status pair, duration, views, 4 count fractions, opening, fact, full stop

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
import numpy as np, pandas as pd
from claimstats.simulate import simulate
n, job, trace = {n}, {job!r}, {trace}
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if trace:
    import tracemalloc
    tracemalloc.start()
t0 = time.perf_counter()
if job == "simulate":
    out = simulate(n)
else:
    out = np.random.default_rng(2025).random((n, {draws}))
seconds = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1] if trace else None
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
scale = 1 if sys.platform == "darwin" else 1024  # maxrss is bytes on macOS, KiB on Linux
print(json.dumps({{"seconds": seconds, "rss_peak": rss1 * scale,
                   "rss_added": (rss1 - rss0) * scale, "traced_peak": peak}}))
"""


def run(job: str, n: int, trace: bool = False) -> dict:
    code = _CHILD.format(root=str(ROOT), n=n, job=job, trace=trace, draws=DRAWS_PER_ROW)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    ours = [run("simulate", n) for _ in range(repeats)]
    base = [run("baseline", n) for _ in range(repeats)]
    traced = run("simulate", n, trace=True)["traced_peak"]

    t_ours = [r["seconds"] for r in ours]
    t_base = [r["seconds"] for r in base]
    best, best_base = min(t_ours), min(t_base)
    gib = 2**30
    print(f"simulate({n:,}) — {repeats} fresh processes each")
    print(f"{'job':<36}{'best s':>9}{'median s':>10}{'rows/s':>13}{'peak RSS':>11}{'added':>10}")
    for name, times, runs in ((f"numpy {DRAWS_PER_ROW} uniforms/row (baseline)", t_base, base),
                              ("claimstats.simulate", t_ours, ours)):
        rss = max(r["rss_peak"] for r in runs) / gib
        added = max(r["rss_added"] for r in runs) / gib
        print(f"{name:<36}{min(times):>9.3f}{statistics.median(times):>10.3f}"
              f"{n / min(times):>13,.0f}{rss:>9.2f}Gi{added:>8.2f}Gi")
    print(f"tracemalloc peak of simulate: {traced / gib:.2f} GiB")
    print(f"ratio to baseline: {best / best_base:.1f}x")
    worst_rss = max(r["rss_peak"] for r in ours) / gib
    ok = best < 10 and worst_rss < 2
    print(f"target: under 10 s and under 2 GiB -> {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
