"""Time triage of 10^5, 10^6 and 5x10^6 reports on one core, and its peak memory, against pandas.read_csv.

Usage: python benchmarks/bench_triage.py [SIZES ...] [--features all|upload] [--chunksize N] [--keep DIR]

A model is trained once on the synthetic default (19,382 rows, fast grid) and
saved; report files of each size are written from ``claimstats.simulate``
(without labels, in pieces of 500,000 rows so that writing them stays small).
Each measurement runs in a fresh Python process pinned to one core
(``taskset -c 0`` where available, and one BLAS/OpenMP thread), as a user
running ``claimstats triage`` would. Reported per size:

* scoring: seconds inside ``ClaimModel.predict_proba`` (feature pipeline and
  model) and reports scored per second — target at least 100,000/s;
* triage: seconds for the whole ``triage_file`` (read in chunks, check every
  row, score, write sorted runs, merge them into the queue) and rows/s;
* baseline: ``pandas.read_csv`` of the same file in the same chunks, doing
  nothing else, and the ratio of triage to it;
* peak resident memory of the process (Linux ``VmHWM``, reset at start so
  that the parent's memory is not counted; ``resource`` maxrss elsewhere) and
  its growth over the peak after loading the model — target: flat as the input grows.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIECE = 500_000

_CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
import pandas as pd
from threadpoolctl import threadpool_limits
from claimstats import backlog, modelfile, triage
job, path, model_path, chunksize = {job!r}, {path!r}, {model!r}, {chunksize}

def peak_rss():
    # VmHWM after resetting it below: ru_maxrss would still count the parent's memory at fork time
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)

try:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak to the current size
except OSError:
    pass
model = modelfile.load_model(model_path)
rss0 = peak_rss()
scoring = {{"seconds": 0.0, "rows": 0}}
original = triage.ClaimModel.predict_proba

def timed(self, reports):
    t = time.perf_counter()
    out = original(self, reports)
    scoring["seconds"] += time.perf_counter() - t
    scoring["rows"] += len(reports)
    return out

triage.ClaimModel.predict_proba = timed
with threadpool_limits(limits=1):
    t0 = time.perf_counter()
    if job == "triage":
        out = os.path.join(os.path.dirname(path), "queue.csv")
        report = backlog.triage_file(model, path, out, chunksize=chunksize, progress=False)
        rows = report.rows_in
    else:
        rows = sum(len(chunk) for chunk in pd.read_csv(path, dtype=str, chunksize=chunksize))
    seconds = time.perf_counter() - t0
rss1 = peak_rss()
print(json.dumps({{"seconds": seconds, "rows": rows, "scoring_seconds": scoring["seconds"],
                   "scored": scoring["rows"], "rss_peak": rss1, "rss_added": rss1 - rss0}}))
"""


def write_reports(path: Path, rows: int) -> None:
    from claimstats import simulate

    with open(path, "w", newline="", encoding="utf-8") as handle:
        for start in range(0, rows, PIECE):
            n = min(PIECE, rows - start)
            piece = simulate(n, seed=1000 + start // PIECE).drop(columns="claim_status")
            piece["#"] += start
            piece.to_csv(handle, index=False, header=start == 0)


def measure(job: str, path: Path, model: Path, chunksize: int) -> dict:
    code = _CHILD.format(root=str(ROOT), job=job, path=str(path), model=str(model), chunksize=chunksize)
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([*pin, sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--features", choices=("all", "upload"), default="all")
    parser.add_argument("--chunksize", type=int, default=50_000)
    parser.add_argument("--keep", help="folder to keep the generated files in (default: a temporary folder)")
    args = parser.parse_args()

    from claimstats import clean, load
    from claimstats.modelfile import save_model
    from claimstats.triage import train_claim_model

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-triage-"))
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / f"model-{args.features}.skops"
    tidy, _ = clean(load("synthetic").frame)
    model, _ = train_claim_model(tidy, feature_set=args.features, grid="fast", importance_repeats=0)
    save_model(model, model_path)
    print(f"model: {model.describe()}")
    print(f"chunksize {args.chunksize:,}, one core, one thread; files in {folder}\n")
    header = (f"{'rows':>10} {'scoring s':>10} {'scored/s':>10} {'triage s':>9} {'rows/s':>9} "
              f"{'read_csv s':>10} {'ratio':>6} {'peak RSS':>9} {'growth':>8}")
    print(header)
    results = []
    for rows in args.sizes:
        path = folder / f"reports-{rows}.csv"
        if not path.exists():
            write_reports(path, rows)
        triage_run = measure("triage", path, model_path, args.chunksize)
        baseline = measure("read", path, model_path, args.chunksize)
        rate = triage_run["scored"] / triage_run["scoring_seconds"]
        results.append((rows, rate, triage_run))
        print(f"{rows:>10,} {triage_run['scoring_seconds']:>10.2f} {rate:>10,.0f} {triage_run['seconds']:>9.1f} "
              f"{rows / triage_run['seconds']:>9,.0f} {baseline['seconds']:>10.1f} "
              f"{triage_run['seconds'] / baseline['seconds']:>5.1f}x {triage_run['rss_peak'] / 2**20:>7.0f}MB "
              f"{triage_run['rss_added'] / 2**20:>6.0f}MB", flush=True)
    slowest = min(rate for _, rate, _ in results)
    growth = [r["rss_added"] / 2**20 for _, _, r in results]
    print(f"\ntarget: scoring >= 100,000 reports/s on one core -> slowest {slowest:,.0f}/s: "
          f"{'met' if slowest >= 100_000 else 'MISSED'}")
    print(f"memory growth over the model's footprint: {', '.join(f'{g:.0f} MB' for g in growth)} "
          f"for {', '.join(f'{r:,}' for r, _, _ in results)} rows (flat means bounded by the chunk size)")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
