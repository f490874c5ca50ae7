"""Time load() + clean() of a course-sized file against plain pandas.read_csv of the same file.

Usage: python benchmarks/bench_data.py [FILE]

Without FILE it uses CLAIMSTATS_DATA, else ../shared/data/tiktok_dataset.csv beside the
checkout, else a synthetic file of the course file's size written to a temporary folder.
Prints wall-clock seconds (best of 5), rows/s and the ratio to the pandas baseline.
Target (issue 2): load + clean under 1 s.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from claimstats import clean, load, simulate


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def pick_file() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    env = os.environ.get("CLAIMSTATS_DATA", "")
    if env and Path(env).is_file():
        return Path(env)
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "tiktok_dataset.csv"
    if shared.is_file():
        return shared
    path = Path(tempfile.mkdtemp()) / "synthetic.csv"
    simulate().to_csv(path, index=False)
    return path


def main() -> None:
    path = pick_file()
    rows = len(pd.read_csv(path))
    baseline = best_of(lambda: pd.read_csv(path))
    ours = best_of(lambda: clean(load(path).frame))
    print(f"file: {path} ({rows:,} rows)")
    print(f"{'job':<28}{'seconds':>10}{'rows/s':>14}")
    print(f"{'pandas.read_csv (baseline)':<28}{baseline:>10.3f}{rows / baseline:>14,.0f}")
    print(f"{'claimstats load + clean':<28}{ours:>10.3f}{rows / ours:>14,.0f}")
    print(f"ratio to baseline: {ours / baseline:.2f}x   target: under 1 s -> {'met' if ours < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
