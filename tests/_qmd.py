"""A ``.qmd`` read without Quarto, for the checks that need no render: its cells and its prose.

Quarto judges everything else (conditional content, profiles, cross-references,
attributes): ``tests/test_book.py`` renders the book when ``quarto`` is on PATH.
What stays here is what a contributor without Quarto still needs:

* :func:`blocks` splits a document into its Python cells (with their ``#|``
  options) and the Markdown between them, and :func:`execute` runs them in a
  fresh Jupyter kernel in the document's folder, evaluating inline
  expressions after the cell before them, as Quarto's Jupyter engine does;
* :func:`prose` keeps the running text a reader sees, for the check that no
  number is typed into it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*(.*?)[ \t]*$")
_PYTHON_CELL = re.compile(r"^\{python(?=[\s,}])[^}]*\}$")
#: Quarto's pattern for inline code it evaluates (jupyter-inline.ts): a backtick right before {python}.
INLINE = re.compile(r"(?:^|[^`])`\{python\}[ \t]([^`]+)`", re.M)


@dataclass(frozen=True)
class Cell:
    code: str
    options: dict
    line: int


@dataclass(frozen=True)
class Markdown:
    text: str
    line: int


def _front_matter_lines(lines: list[str]) -> int:
    if lines and lines[0].rstrip() == "---":
        for index in range(1, len(lines)):
            if lines[index].rstrip() in ("---", "..."):
                return index + 1
    return 0


def _fences(lines: list[str]):
    """``(start, end, info)`` of each fenced code block (0-based, end inclusive)."""
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence = match.group(1)
        close = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
        end = index + 1
        while end < len(lines) and not close.match(lines[end]):
            end += 1
        yield index, min(end, len(lines) - 1), match.group(2)
        index = end + 1


def blocks(text: str) -> list[Cell | Markdown]:
    """The document's Python cells and the Markdown between them, in order (front matter left out)."""
    lines = text.split("\n")
    found: list[Cell | Markdown] = []
    start = _front_matter_lines(lines)
    for first, last, info in _fences(lines):
        if not _PYTHON_CELL.match(info) or first < start:
            continue
        if "\n".join(lines[start:first]).strip():
            found.append(Markdown("\n".join(lines[start:first]), start + 1))
        source = lines[first + 1 : last]
        options = [line.split("|", 1)[1] for line in source if re.match(r"#\s*\|", line)]
        code = "\n".join(source[len(options):]).strip("\n")
        found.append(Cell(code, yaml.safe_load("\n".join(options)) or {}, first + 1))
        start = last + 1
    if "\n".join(lines[start:]).strip():
        found.append(Markdown("\n".join(lines[start:]), start + 1))
    return found


def cells(text: str) -> list[Cell]:
    return [b for b in blocks(text) if isinstance(b, Cell)]


def inline_expressions(text: str) -> list[tuple[int, str]]:
    """``(line, expression)`` for every inline expression Quarto evaluates."""
    return [
        (block.line + block.text.count("\n", 0, m.start(1)), m.group(1).strip())
        for block in blocks(text) if isinstance(block, Markdown)
        for m in INLINE.finditer(block.text)
    ]


def prose(text: str) -> str:
    """The running text, line for line: no front matter, code, inline code, attributes, link targets,
    references, comments, shortcodes, div fences or list numbers (each replaced by spaces)."""
    lines = text.split("\n")
    for index in range(_front_matter_lines(lines)):
        lines[index] = ""
    for first, last, _ in _fences(lines):
        lines[first : last + 1] = [""] * (last + 1 - first)
    out = "\n".join(lines)
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731
    out = re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", blank, out, flags=re.S)  # code spans
    out = re.sub(r"<!--.*?-->|\{\{<.*?>\}\}", blank, out, flags=re.S)
    out = re.sub(r"(?m)^ {0,3}:{3,}.*$", "", out)  # div fences and their attributes
    out = re.sub(r"(?m)^(\s*)\d+([.)]\s)", r"\1 \2", out)  # ordered-list markers
    out = re.sub(r"\{[#.][^{}\n]*\}|\{[\w-]+=[^{}\n]*\}", " ", out)  # attribute sets
    out = re.sub(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)", "]", out)  # link and image targets
    out = re.sub(r"<https?://[^>]*>|https?://\S+", " ", out)
    out = re.sub(r"[-?]?@[A-Za-z][\w:.-]*\w", " ", out)  # references and citations
    return out


# --------------------------------------------------------------------- running the cells


@dataclass(frozen=True)
class Run:
    """What a kernel made of a document: ``(cell, outputs)`` and ``(line, expression, mime bundle)``."""

    cells: list
    inline: list
    seconds: float


class ExecutionError(AssertionError):
    pass


def execute(path: Path, env: dict[str, str], timeout: int = 900) -> Run:
    """Run a ``.qmd``'s cells and inline expressions in a fresh kernel in its folder, in Quarto's order."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path).resolve()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "python3", "language": "python"}
    client = NotebookClient(nb, kernel_name="python3", timeout=timeout, resources={"metadata": {"path": str(path.parent)}})
    ran, inline = [], []
    started = time.perf_counter()
    with client.setup_kernel(env=env):
        for block in blocks(path.read_text(encoding="utf-8")):
            if isinstance(block, Cell):
                if block.options.get("eval", True) is False:
                    continue
                nb.cells.append(nbformat.v4.new_code_cell(block.code))
                try:
                    done = client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
                except CellExecutionError as err:
                    report = re.sub(r"\x1b\[[0-9;]*m", "", str(err))
                    raise ExecutionError(f"{path.name}, cell at line {block.line}: {err.ename}: {err.evalue}\n{report}") from None
                ran.append((block, list(done.outputs)))
                continue
            expressions = [m.group(1).strip() for m in INLINE.finditer(block.text)]
            if not expressions:
                continue
            msg_id = client.kc.execute("", user_expressions={str(i): e for i, e in enumerate(expressions)})
            reply = client.wait_for_reply(msg_id)
            for index, expression in enumerate(expressions):
                result = reply["content"]["user_expressions"][str(index)]
                if result.get("status") != "ok":
                    raise ExecutionError(f"{path.name}, near line {block.line}: inline `{expression}` failed: "
                                         f"{result.get('ename')}: {result.get('evalue')}")
                inline.append((block.line, expression, dict(result.get("data", {}))))
    return Run(ran, inline, time.perf_counter() - started)
