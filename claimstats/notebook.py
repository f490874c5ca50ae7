"""Run a ``.qmd`` in a Jupyter kernel as Quarto's Jupyter engine does, without Quarto.

:func:`execute_qmd` starts a fresh kernel (through ``nbclient``) in the
document's folder, runs the cells that :func:`claimstats.qmd.read_qmd` finds,
in order, and evaluates the inline expressions of the Markdown between two
cells after the cell before them, as Quarto's ``notebook.py`` does. It returns
an :class:`ExecutedQmd` (each :class:`ExecutedCell` with its outputs, each
:class:`ExecutedInline` with its value, and the timings) or raises
:class:`ExecutionError` naming the file and the line that failed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from claimstats.qmd import LANGUAGE, Cell, InlineExpression, inline_expressions, read_qmd


class ExecutionError(RuntimeError):
    """A cell or an inline expression of a ``.qmd`` failed: which file, which line, which error.

    For a failing cell, ``traceback`` holds the kernel's full report.
    """

    traceback: str = ""


@dataclass(frozen=True)
class ExecutedCell:
    """A cell and what it produced: ``outputs`` are nbformat output dicts; ``stdout`` joined."""

    cell: Cell
    outputs: tuple
    seconds: float

    @property
    def stdout(self) -> str:
        return "".join(o.get("text", "") for o in self.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


@dataclass(frozen=True)
class ExecutedInline:
    """An inline expression and its result as the kernel formatted it (a mime bundle)."""

    expression: InlineExpression
    data: Mapping

    @property
    def text(self) -> str:
        return str(self.data.get("text/markdown") or self.data.get("text/plain", ""))


@dataclass(frozen=True)
class ExecutedQmd:
    """A ``.qmd`` run as Quarto runs it: cells and inline results in document order, and timings."""

    path: str
    cells: tuple
    inline: tuple
    seconds: float
    kernel_start_seconds: float


def execute_qmd(
    path: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    kernel: str = "python3",
    timeout: int = 600,
    language: str = LANGUAGE,
) -> ExecutedQmd:
    """Run a ``.qmd``'s cells and inline expressions in a fresh Jupyter kernel, in Quarto's order.

    Mirrors Quarto's Jupyter engine (``notebook.py``): the kernel's working
    directory is the document's folder; cells run in order without their
    ``#|`` option lines (``eval: false`` cells are skipped); the inline
    expressions of the Markdown between two cells are evaluated, as
    ``user_expressions``, after the cell before them. Needs ``nbclient``,
    ``nbformat`` and ``ipykernel`` (the ``test`` extra).

    Parameters
    ----------
    path : path of the ``.qmd``
    env : environment of the kernel (default: this process's)
    kernel : kernel name (Quarto's ``jupyter: python3``)
    timeout : seconds allowed per cell

    Raises
    ------
    ExecutionError
        On the first failing cell or inline expression, naming the file and line.
    """
    import time

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path).resolve()
    doc = read_qmd(path)
    if not doc.cells and not doc.inline_expressions(language):
        # Quarto renders such a file with its markdown engine: no kernel is started.
        return ExecutedQmd(str(path), (), (), 0.0, 0.0)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": language}
    client = NotebookClient(
        nb, kernel_name=kernel, timeout=timeout, allow_errors=False, resources={"metadata": {"path": str(path.parent)}}
    )
    cells, inline = [], []
    started = time.perf_counter()
    with client.setup_kernel(**({"env": dict(env)} if env is not None else {})):
        kernel_ready = time.perf_counter()
        for block in doc.blocks:
            if isinstance(block, Cell):
                if block.options.get("eval", True) is False:
                    continue
                nb_cell = nbformat.v4.new_code_cell(block.code)
                nb.cells.append(nb_cell)
                tick = time.perf_counter()
                try:
                    done = client.execute_cell(nb_cell, len(nb.cells) - 1)
                except CellExecutionError as err:
                    error = ExecutionError(f"{path.name}, cell at line {block.line}: {err.ename}: {err.evalue}")
                    error.traceback = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # the full report, without colours
                    raise error from None
                cells.append(ExecutedCell(block, tuple(done.outputs), time.perf_counter() - tick))
                continue
            expressions = inline_expressions(block.text, language, first_line=block.line)
            if not expressions:
                continue
            msg_id = client.kc.execute("", user_expressions={str(i): e.code for i, e in enumerate(expressions)})
            content = client.wait_for_reply(msg_id)["content"]
            if content.get("status") != "ok":
                raise ExecutionError(f"{path.name}, line {block.line}: {content.get('ename')}: {content.get('evalue')}")
            for index, expression in enumerate(expressions):
                result = content["user_expressions"][str(index)]
                if result.get("status") != "ok":
                    raise ExecutionError(
                        f"{path.name}, line {expression.line}: inline `{expression.code}` failed: "
                        f"{result.get('ename')}: {result.get('evalue')}"
                    )
                inline.append(ExecutedInline(expression, dict(result.get("data", {}))))
    finished = time.perf_counter()
    return ExecutedQmd(str(path), tuple(cells), tuple(inline), finished - started, kernel_ready - started)
