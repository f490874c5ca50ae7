"""Time a clean render of the book with Quarto, beside the time of executing the chapters' code alone.

Usage: python benchmarks/bench_book.py [DATA] [--no-render] [--plain]

DATA is what CLAIMSTATS_DATA is set to (default ``synthetic``, the data CI
renders with). Two measurements, in a temporary copy of the project (no
``_freeze/``, so everything executes):

1. **the render**: README's ``quarto render --execute-daemon 15`` of the
   student edition, HTML and Typst PDF, as a whole process (wall clock, and
   the machine's busy CPU time over the render from ``/proc/stat``: the kernel
   daemons are not Quarto's children, so its own CPU time would miss them;
   other work on the machine counts too, so run it on a quiet machine); with
   ``--plain`` also a plain ``quarto render`` (two kernels per chapter);
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _qmd import cells, execute, inline_expressions  # noqa: E402
from _render import STUDENT_FLAGS, book_files, copy_project, edition_config, render_env  # noqa: E402

TARGET_SECONDS = 90.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_cpu() -> float:
    """Seconds of CPU the whole machine has been busy (user, nice, system, irq, softirq) since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def timed_render(quarto: str, project: Path, env: dict, flags: tuple[str, ...]) -> tuple[float, float]:
    """One clean render in ``project``: (wall seconds, machine CPU seconds)."""
    tick, cpu = time.perf_counter(), machine_cpu()
    done = subprocess.run([quarto, "render", *flags], cwd=project, env=env, capture_output=True, text=True)
    wall, used = time.perf_counter() - tick, machine_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"quarto render {' '.join(flags)} failed:\n{done.stderr[-3000:]}")
    time.sleep(16)  # the kernel daemons exit 15 s after their last use: they must not load the next run
    return wall, used


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
        for name in book_files(edition_config()):
            text = (project / name).read_text(encoding="utf-8")
            if not cells(text) and not inline_expressions(text):
                continue  # no code (the student edition's exercise pages): Quarto starts no kernel either
            run = execute(project / name, env=env)
            code += run.seconds
            print(f"{name:<32}{run.seconds:>9.1f}")
        code_cpu = children_cpu() - cpu
        print(f"{'code alone (baseline)':<32}{code:>9.1f}  (CPU {code_cpu:.0f} s)")
        if quarto is None:
            print("quarto is not on PATH: the render is not timed")
            return
        runs = [("quarto render " + " ".join(STUDENT_FLAGS), STUDENT_FLAGS)]
        if "--plain" in sys.argv:
            runs.append(("quarto render", ()))
        results = []
        for label, flags in runs:
            shutil.rmtree(project)
            project = copy_project(Path(tmp) / "book")
            results.append((label, *timed_render(quarto, project, env, flags)))
    load = Path("/proc/loadavg").read_text().split()[:3]
    for label, wall, used in results:
        print(f"{label} (html + typst, {os.cpu_count()} cores): {wall:.1f} s wall, machine CPU {used:.0f} s;"
              f" render / code alone = {wall / code:.2f}x")
    wall = results[0][1]
    print(f"target: the README render in at most {TARGET_SECONDS:.0f} s -> {'met' if wall <= TARGET_SECONDS else 'MISSED'}")
    if len(results) > 1:
        print(f"plain / README render = {results[1][1] / wall:.2f}x wall")
    print(f"load average after: {' '.join(load)}")


if __name__ == "__main__":
    main()
