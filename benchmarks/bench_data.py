"""Time load() + clean() of a course-sized file against plain pandas.read_csv of the same file.

Usage: python benchmarks/bench_data.py [FILE] [--memory [ROWS ...]]

Without FILE it uses CLAIMSTATS_DATA, else ../shared/data/tiktok_dataset.csv beside the
checkout, else a synthetic file of the course file's size written to a temporary folder.
Prints wall-clock seconds (best of 5), rows/s and the ratio to the pandas baseline.
Target (issue 2): load + clean under 1 s.

With --memory it also measures the peak resident memory (and wall time) of whole
`claimstats validate` and `claimstats clean` processes on files of 10^5 to 1.5x10^6 rows
written by `claimstats simulate` (or the ROWS given), against a process that only runs
pandas.read_csv of the same file. Target (issue 13): at most 500 MB at any size.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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


# Runs a claimstats verb (or the baseline) and prints the process's peak RSS in kB on stderr's last line.
_PEAK = ("import resource, sys\n"
         "if sys.argv[1] == 'read_csv':\n"
         "    import pandas; pandas.read_csv(sys.argv[2]); code = 0\n"
         "else:\n"
         "    from claimstats.cli import main; code = main(sys.argv[1:])\n"
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
         "sys.exit(code)\n")
MEMORY_TARGET_MB = 500
DEFAULT_SIZES = (100_000, 500_000, 1_000_000, 1_500_000)


def peak(*argv: str) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one whole process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PEAK, *argv], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()[-300:]}")
    return int(done.stderr.strip().splitlines()[-1]) / 1024, seconds


def memory(sizes) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-data-"))
    print(f"{'rows':>10}{'MB file':>9}{'job':>10}{'peak MB':>9}{'seconds':>9}{'x read_csv':>11}")
    worst = 0.0
    for rows in sizes:
        path = folder / f"sim{rows}.csv"
        subprocess.run([sys.executable, "-m", "claimstats", "simulate", "--rows", str(rows), "--seed", "1",
                        "--out", str(path)], check=True, capture_output=True)
        size = path.stat().st_size / 1e6
        base_mb, base_s = peak("read_csv", str(path))
        print(f"{rows:>10,}{size:>9.0f}{'read_csv':>10}{base_mb:>9.0f}{base_s:>9.2f}{1:>11.2f}")
        for verb in ("validate", "clean"):
            extra = ["--out", str(folder / "tidy.csv"), "--dropped", str(folder / "dropped.csv")] if verb == "clean" else []
            mb, seconds = peak(verb, str(path), *extra)
            worst = max(worst, mb)
            print(f"{rows:>10,}{size:>9.0f}{verb:>10}{mb:>9.0f}{seconds:>9.2f}{mb / base_mb:>11.2f}")
        path.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    verdict = "met" if worst <= MEMORY_TARGET_MB else "MISSED"
    print(f"largest peak: {worst:.0f} MB   target: at most {MEMORY_TARGET_MB} MB -> {verdict}")


def main() -> None:
    if "--memory" in sys.argv:
        at = sys.argv.index("--memory")
        sizes = [int(a) for a in sys.argv[at + 1:]] or DEFAULT_SIZES
        del sys.argv[at:]
        memory(sizes)
        if len(sys.argv) == 1:
            return
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
