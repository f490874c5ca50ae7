"""Time the execution of every chapter of the book, as Quarto runs it, against two baselines.

Usage: python benchmarks/bench_book.py [DATA]

DATA is what CLAIMSTATS_DATA is set to for the chapters (default ``synthetic``,
the data CI renders with). Each chapter runs in a fresh Jupyter kernel in its
own folder, cells and inline expressions in document order, through
``claimstats.notebook.execute_qmd`` (what ``tests/test_book.py`` runs); the
exercises are timed by their own benchmarks.

Prints, per chapter, the seconds taken (and the kernel start-up share), then:

* the whole-process time (from interpreter start to the end of the last chapter);
* baseline 1: ``load()`` + ``clean()`` of the same data in this process;
* baseline 2: a chapter holding only the shared set-up cell (kernel start,
  imports, load and clean), the floor every chapter pays;

with the ratio of the book's execution time to each. Target (issue 5): all
chapters under 90 s on 2 cores.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

PROCESS_START = time.perf_counter()

import claimstats  # noqa: E402
from claimstats.notebook import execute_qmd  # noqa: E402
from claimstats.quarto import book_files, project_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 90.0


def chapters() -> list[str]:
    """The preface and chapters/ files of the book, in reading order."""
    listed = book_files(project_config(ROOT))
    return [f for f in listed if f == "index.qmd" or f.startswith("chapters/")]


def kernel_env(data: str) -> dict[str, str]:
    env = dict(os.environ, CLAIMSTATS_DATA=data, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def setup_only_seconds(env: dict[str, str]) -> float:
    """Execution time of a chapter that only runs the shared set-up (in chapters/, as a chapter would)."""
    with tempfile.NamedTemporaryFile("w", suffix=".qmd", dir=ROOT / "chapters", delete=False) as handle:
        handle.write("# Set-up only\n\n```{python}\n%run _setup.py\n```\n")
        path = Path(handle.name)
    try:
        return execute_qmd(path, env=env).seconds
    finally:
        path.unlink()


def main() -> None:
    data = sys.argv[1] if len(sys.argv) > 1 else "synthetic"
    env = kernel_env(data)

    tick = time.perf_counter()
    frame, source = claimstats.load(data)
    claimstats.clean(frame)
    load_clean = time.perf_counter() - tick

    print(f"data: {source.describe()}")
    print(f"{'chapter':<32}{'seconds':>9}{'kernel start':>14}")
    total = 0.0
    for name in chapters():
        run = execute_qmd(ROOT / name, env=env)
        total += run.seconds
        print(f"{name:<32}{run.seconds:>9.1f}{run.kernel_start_seconds:>14.1f}")
    setup_only = setup_only_seconds(env)
    whole = time.perf_counter() - PROCESS_START

    print(f"{'all chapters':<32}{total:>9.1f}")
    print(f"whole process: {whole:.1f} s")
    print(f"baseline 1, load() + clean() in this process: {load_clean:.2f} s -> book / baseline = {total / load_clean:.0f}x")
    print(f"baseline 2, a chapter with only the set-up cell: {setup_only:.1f} s -> "
          f"book / baseline = {total / setup_only:.1f}x ({len(chapters())} chapters)")
    print(f"target: all chapters under {TARGET_SECONDS:.0f} s -> {'met' if total < TARGET_SECONDS else 'MISSED'}")


if __name__ == "__main__":
    main()
