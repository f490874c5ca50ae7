"""Time triage end to end, CSV and Parquet, from 10^5 to 10^7 reports: rates, and peak memory as the input grows.

Usage: python benchmarks/bench_triage.py [SIZES ...] [--features all|upload] [--chunksize N] [--jobs N]
       [--repeats N] [--keep DIR]

A model is trained once on the synthetic default (19,382 rows, fast grid) and
saved; report files of each size are written from ``claimstats.simulate``
(without labels, in pieces of 500,000 rows so that writing them stays small),
as CSV and as Parquet (row groups of 100,000 rows). Each measurement runs in
a fresh Python process, as a user running ``claimstats triage`` would.
Reported per size and format:

* scoring: reports scored per second inside ``ClaimModel.predict_proba``
  (features and model) in one process on one core (``--jobs 1``, one thread);
* triage: seconds for the whole ``triage_file`` (read, check every row,
  score ``--jobs`` chunks side by side on threads of the one process; rank in memory or in sorted runs and
  a merge; write the queue in the same format) and reports/s — targets on 2
  cores: at least 250,000/s from Parquet, 100,000/s from CSV. Each is the
  median of ``--repeats`` fresh processes (default 3; the range is shown):
  on a shared virtual machine one fresh process can take half as long
  again as the next;
* baseline: reading the same file in the same chunks and doing nothing else
  (``pandas.read_csv``; pyarrow's ``iter_batches`` for Parquet), and triage's
  ratio to it;
* peak resident memory (Linux ``VmHWM``, reset at start) — target: flat as
  the input grows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIECE = 500_000

_CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
import pandas as pd
from threadpoolctl import threadpool_limits
from claimstats import backlog, modelfile, triage
job, path, model_path, chunksize, jobs = {job!r}, {path!r}, {model!r}, {chunksize}, {jobs!r}

def peak_rss(pid="self"):
    # VmHWM after resetting it below: ru_maxrss would still count the parent's memory at fork time
    try:
        with open(f"/proc/{{pid}}/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))
    except (OSError, StopIteration):
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
t0 = time.perf_counter()
if job == "triage":
    suffix = ".parquet" if path.endswith(".parquet") else ".csv"
    out = os.path.join(os.path.dirname(path), "queue" + suffix)
    if jobs == 1:
        with threadpool_limits(limits=1):
            report = backlog.triage_file(model, path, out, chunksize=chunksize, progress=False, jobs=1)
    else:
        report = backlog.triage_file(model, path, out, chunksize=chunksize, progress=False, jobs=jobs)
    rows = report.rows_in
elif path.endswith(".parquet"):
    import pyarrow.parquet as pq
    rows = sum(b.num_rows for b in pq.ParquetFile(path).iter_batches(batch_size=chunksize))
else:
    rows = sum(len(chunk) for chunk in pd.read_csv(path, dtype=str, chunksize=chunksize))
seconds = time.perf_counter() - t0
rss1 = peak_rss()
print(json.dumps({{"seconds": seconds, "rows": rows, "scoring_seconds": scoring["seconds"],
                   "scored": scoring["rows"], "rss_peak": rss1, "rss_added": rss1 - rss0}}))
"""


def write_reports(folder: Path, rows: int) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from claimstats import simulate

    csv_path, parquet_path = folder / f"reports-{rows}.csv", folder / f"reports-{rows}.parquet"
    if csv_path.exists() and parquet_path.exists():
        return csv_path, parquet_path
    writer = None
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        for start in range(0, rows, PIECE):
            n = min(PIECE, rows - start)
            piece = simulate(n, seed=1000 + start // PIECE).drop(columns="claim_status")
            piece["#"] += start
            piece.to_csv(handle, index=False, header=start == 0)
            table = pa.Table.from_pandas(piece, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(parquet_path, table.schema)
            writer.write_table(table, row_group_size=100_000)
    writer.close()
    return csv_path, parquet_path


def measure(job: str, path: Path, model: Path, chunksize: int, jobs: int) -> dict:
    code = _CHILD.format(root=str(ROOT), job=job, path=str(path), model=str(model), chunksize=chunksize, jobs=jobs)
    env = {"PATH": "/usr/bin:/bin"}
    if jobs == 1:
        env.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise SystemExit(done.stderr)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    found["process_seconds"] = time.perf_counter() - started  # the whole process: start-up, model, triage
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--features", choices=("all", "upload"), default="all")
    parser.add_argument("--chunksize", type=int, default=50_000)
    parser.add_argument("--jobs", type=int, default=None,
                        help="chunks triage scores side by side (default: triage's own choice, one per core, "
                        "as `claimstats triage` runs)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="fresh processes per triage measurement; the median is reported (default 3)")
    parser.add_argument("--keep", help="folder to keep the generated files in (default: a temporary folder)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1; got {args.repeats}")

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
    workers = "triage's default scorers" if args.jobs is None else f"{args.jobs} scorer(s)"
    print(f"chunksize {args.chunksize:,}; triage on {workers} ({os.cpu_count()} cores), the median of "
          f"{args.repeats} fresh process(es) a measurement; files in {folder}\n")
    print(f"{'rows':>10} {'format':>7} {'scored/s':>9} {'triage s':>9} {'range s':>11} {'rows/s':>9} {'process s':>9} "
          f"{'read s':>7} {'ratio':>6} {'peak RSS':>9}", flush=True)
    results = []
    for rows in args.sizes:
        paths = write_reports(folder, rows)
        for path in paths:
            kind = "parquet" if path.suffix == ".parquet" else "csv"
            first = rows == min(args.sizes) or len(args.sizes) == 1
            one_core = measure("triage", path, model_path, args.chunksize, 1) if first else None
            runs = sorted((measure("triage", path, model_path, args.chunksize, args.jobs) for _ in range(args.repeats)),
                          key=lambda found: found["seconds"])
            # the median time (the upper one of an even number), and the largest peak of them all
            run = dict(runs[len(runs) // 2], rss_peak=max(r["rss_peak"] for r in runs))
            baseline = measure("read", path, model_path, args.chunksize, 1)
            rate = one_core["scored"] / one_core["scoring_seconds"] if one_core else float("nan")
            results.append((rows, kind, rows / run["seconds"], run))
            spread = f"{runs[0]['seconds']:.2f}-{runs[-1]['seconds']:.2f}"
            print(f"{rows:>10,} {kind:>7} {rate:>9,.0f} {run['seconds']:>9.2f} {spread:>11} {rows / run['seconds']:>9,.0f} "
                  f"{run['process_seconds']:>9.1f} {baseline['seconds']:>7.1f} "
                  f"{run['seconds'] / baseline['seconds']:>5.1f}x "
                  f"{run['rss_peak'] / 2**20:>7.0f}MB", flush=True)
            if one_core:
                print(f"{'':>10} {kind:>7} one process, one core: triage {one_core['seconds']:.1f} s "
                      f"({rows / one_core['seconds']:,.0f} rows/s); {workers}: "
                      f"{one_core['seconds'] / run['seconds']:.2f}x faster", flush=True)
            path.with_name("queue" + path.suffix).unlink(missing_ok=True)
    for kind, target in (("parquet", 250_000), ("csv", 100_000)):
        rates = [r for _, k, r, _ in results if k == kind]
        peaks = [f"{run['rss_peak'] / 2**20:.0f} MB" for _, k, _, run in results if k == kind]
        print(f"\n{kind}: slowest end to end {min(rates):,.0f} reports/s (median; {workers}) "
              f"(target {target:,}/s: {'met' if min(rates) >= target else 'MISSED'}); peak memory "
              f"{', '.join(peaks)} for {', '.join(f'{r:,}' for r, k, _, _ in results if k == kind)} rows")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
