"""Time a clean render of the book with Quarto, beside the time of executing the chapters' code alone.

Usage: python benchmarks/bench_book.py [DATA] [--no-render]

DATA is what CLAIMSTATS_DATA is set to (default ``synthetic``, the data CI
renders with). Two measurements, in a temporary copy of the project (no
``_freeze/``, so everything executes):

1. **the render**: one ``quarto render`` of the student edition, HTML and
   Typst PDF, as a whole process (wall clock, and the CPU time of the process
   and all its children: on a shared machine the CPU time is the steadier number);
2. **the code alone** (the baseline): every file of the book executed once in
   a fresh Jupyter kernel in its folder, cells and inline expressions in
   document order, with the test suite's helper (``tests/_qmd.py``).

The ratio render / code shows Quarto's own share (Pandoc, Typst, the site) plus
what it executes twice: once per output format. Target (issue 10): the render
in at most 90 s on 2 cores. Without ``quarto`` on PATH only the baseline runs.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _qmd import execute  # noqa: E402
from _render import book_files, copy_project, render_env  # noqa: E402

TARGET_SECONDS = 90.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    data = args[0] if args else "synthetic"
    env = render_env(data)
    quarto = shutil.which("quarto") if "--no-render" not in sys.argv else None

    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "book")
        print(f"data: {data}")
        print(f"{'file':<32}{'seconds':>9}")
        tick, cpu = time.perf_counter(), children_cpu()
        code = 0.0
        for name in book_files(yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))):
            run = execute(project / name, env=env)
            code += run.seconds
            print(f"{name:<32}{run.seconds:>9.1f}")
        code_cpu = children_cpu() - cpu
        print(f"{'code alone (baseline)':<32}{code:>9.1f}  (CPU {code_cpu:.0f} s)")
        if quarto is None:
            print("quarto is not on PATH: the render is not timed")
            return
        shutil.rmtree(project)
        project = copy_project(Path(tmp) / "book")
        tick, cpu = time.perf_counter(), children_cpu()
        done = subprocess.run([quarto, "render"], cwd=project, env=env, capture_output=True, text=True)
        wall, render_cpu = time.perf_counter() - tick, children_cpu() - cpu
        if done.returncode != 0:
            sys.exit(f"quarto render failed:\n{done.stderr[-3000:]}")
    print(f"render, whole process (html + typst, {os.cpu_count()} cores): {wall:.1f} s (CPU {render_cpu:.0f} s)")
    print(f"render / code alone = {wall / code:.2f}x wall, {render_cpu / code_cpu:.2f}x CPU")
    print(f"target: render in at most {TARGET_SECONDS:.0f} s -> {'met' if wall <= TARGET_SECONDS else 'MISSED'}"
          f" (CPU / 2 cores = {render_cpu / 2:.0f} s)")


if __name__ == "__main__":
    main()
