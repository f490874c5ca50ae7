"""The book: every chapter runs as Quarto would run it, and its structure holds together.

Quarto is not needed. Each chapter's cells and inline expressions run in a fresh
Jupyter kernel, in Quarto's order and working directory, through
:func:`claimstats.notebook.execute_qmd`, on the synthetic default and (when it is
around) on the course file. The static checks read ``_quarto.yml`` and every
listed ``.qmd`` with :mod:`claimstats.quarto` and :mod:`claimstats.qmd`.
Rendering with Quarto is tested only where ``quarto`` is on ``PATH``.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from claimstats.pandoc import parse_attributes
from claimstats.qmd import prose_text, read_qmd
from claimstats.quarto import book_files

ROOT = Path(__file__).resolve().parents[1]
CONFIG_PATH = ROOT / "_quarto.yml"
CONFIG = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))


BOOK_FILES = book_files(CONFIG)
# Ours: the preface and chapters/ (exercises/ are checked and run by tests/test_exercises*.py).
CHAPTERS = [f for f in BOOK_FILES if f == "index.qmd" or f.startswith("chapters/")]
PACE_CHAPTERS = [f for f in CHAPTERS if re.match(r"chapters/\d", f)]
EXISTING = [f for f in BOOK_FILES if (ROOT / f).is_file()]


@pytest.fixture(scope="module")
def docs():
    return {name: read_qmd(ROOT / name) for name in EXISTING}


# --------------------------------------------------------------------- the project file


def test_config_is_a_book_for_html_and_typst():
    assert CONFIG["project"]["type"] == "book" and CONFIG["project"]["output-dir"] == "_book"
    assert CONFIG["quarto-required"].startswith(">=")
    assert CONFIG["jupyter"] == "python3"
    assert CONFIG["execute"]["freeze"] == "auto"
    formats = CONFIG["format"]
    assert set(formats) == {"html", "typst"}
    assert formats["html"]["code-fold"] in ("show", True) and formats["html"]["code-copy"] is True
    for name in formats:
        assert {"fig-width", "fig-height", "fig-dpi"} <= set(formats[name])
    assert CONFIG["book"]["title"] and CONFIG["book"]["author"]
    parts = [item["part"] for item in CONFIG["book"]["chapters"] if isinstance(item, dict)]
    assert parts[:4] == ["Plan", "Analyze", "Construct", "Execute"]


def test_listed_files_exist_once_and_index_comes_first():
    missing = [f for f in BOOK_FILES if not (ROOT / f).is_file()]
    assert not missing, f"_quarto.yml lists files that do not exist: {missing}"
    assert [f for f, n in Counter(BOOK_FILES).items() if n > 1] == []
    # Quarto's rule (book-shared.ts isBookIndexPage): the home page is index.* next to _quarto.yml.
    assert BOOK_FILES[0] == "index.qmd"
    bib = CONFIG.get("bibliography")
    assert bib is None or (ROOT / bib).is_file()


def test_every_exercise_file_is_in_the_book():
    written = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "exercises").glob("*.qmd") if not p.name.startswith("_"))
    unlisted = [f for f in written if f not in BOOK_FILES]
    assert not unlisted, f"exercise files missing from _quarto.yml (part 'Exercises'): {unlisted}"
    if written:
        parts = {item["part"]: book_files({"book": {"chapters": item["chapters"]}})
                 for item in CONFIG["book"]["chapters"] if isinstance(item, dict)}
        assert sorted(parts.get("Exercises", [])) == written


# --------------------------------------------------------------------- cross-references


def test_labels_are_unique_and_every_reference_resolves(docs):
    labels = Counter(label.name for doc in docs.values() for label in doc.labels())
    duplicated = sorted(name for name, n in labels.items() if n > 1)
    assert not duplicated, f"labels defined more than once in the book: {duplicated}"
    for doc in docs.values():
        for label in doc.labels():
            if label.name.split("-", 1)[0] in ("fig", "tbl", "sec"):
                assert re.fullmatch(r"[a-z]+-[a-z0-9-]+", label.name), f"{doc.path}:{label.line}: label {label.name!r}"
    broken = [
        f"{Path(doc.path).relative_to(ROOT)}:{ref.line}: @{ref.name}"
        for doc in docs.values()
        for ref in doc.references()
        if ref.is_crossref and labels[ref.name] != 1
    ]
    assert not broken, "references without exactly one target:\n" + "\n".join(broken)


def test_citations_resolve_to_the_bibliography(docs):
    keys = set()
    if CONFIG.get("bibliography"):
        keys = set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", (ROOT / CONFIG["bibliography"]).read_text(encoding="utf-8")))
    cited = {
        (doc.path, ref.line, ref.name)
        for name, doc in docs.items()
        if name in CHAPTERS
        for ref in doc.references()
        if not ref.is_crossref
    }
    unknown = sorted(f"{Path(p).name}:{line}: @{key}" for p, line, key in cited if key not in keys)
    assert not unknown, f"citations missing from {CONFIG.get('bibliography')}: {unknown}"


def _float_labels(doc):
    """(label, has caption, has alt text) for every fig-/tbl- label of a document."""
    found = []
    divs = doc.divs()
    for cell in doc.cells:
        label = cell.label or ""
        if label.startswith("fig-"):
            found.append((label, bool(cell.options.get("fig-cap")), bool(cell.options.get("fig-alt"))))
        elif label.startswith("tbl-"):
            found.append((label, bool(cell.options.get("tbl-cap")), True))
    for div in divs:
        ident = div.attributes.id or ""
        if not ident.startswith(("fig-", "tbl-")):
            continue
        inside = [c for c in doc.cells if div.line < c.line < div.end_line]
        alt = (
            "fig-alt=" in div.body
            or any(c.options.get("fig-alt") for c in inside)
            or any(c.options.get("output") == "asis" and "show_figure(" in c.code for c in inside)
        )
        found.append((ident, bool(div.caption), alt if ident.startswith("fig-") else True))
    return found


def test_every_figure_and_table_has_a_caption_and_alt_text(docs):
    problems = [
        f"{Path(doc.path).name}: {label} ({'no caption' if not caption else 'no alt text'})"
        for doc in docs.values()
        for label, caption, alt in _float_labels(doc)
        if not (caption and alt)
    ]
    assert not problems, problems


def test_every_figure_and_table_is_cited_in_the_text(docs):
    cited = {ref.name for doc in docs.values() for ref in doc.references()}
    floats = {label for name in CHAPTERS if name in docs for label, _, _ in _float_labels(docs[name])}
    assert floats, "the book has no figures or tables"
    assert sorted(floats - cited) == []


def test_figure_cells_in_divs_show_their_figure_once(docs):
    """A figure div holds one hidden ``output: asis`` cell that prints the figure, and nothing else runs there."""
    for name in CHAPTERS:
        doc = docs.get(name)
        for div in doc.divs() if doc else []:
            if not (div.attributes.id or "").startswith("fig-"):
                continue
            inside = [c for c in doc.cells if div.line < c.line < div.end_line]
            assert len(inside) == 1, f"{name}: {div.attributes.id} should hold exactly one cell"
            (cell,) = inside
            assert cell.options.get("echo") is False and cell.options.get("output") == "asis", (name, cell.line)
            assert re.fullmatch(rf"show_figure\(\w+, \"{div.attributes.id}\"\)", cell.code.strip()), (name, cell.code)


# --------------------------------------------------------------------- prose rules

#: Digits allowed in prose: years, names that contain digits, and math sub/superscripts.
ALLOWED_DIGITS = (
    r"\b(?:19|20)\d\d\b",
    r"\bF1\b",
    r"\bsha256\b",
    r"\bSHA-256\b",
    r"\bUTF-8\b",
    r"\bpython3\b",
    r"\bH[01]\b",
    r"[_^]\{?\d+\}?",
)


def typed_numbers(text: str) -> list[tuple[int, str]]:
    """``(line, token)`` for every number typed into the prose of a ``.qmd`` (not computed)."""
    found = []
    for number, line in enumerate(prose_text(text).split("\n"), start=1):
        for pattern in ALLOWED_DIGITS:
            line = re.sub(pattern, " ", line)
        found.extend((number, m.group(0)) for m in re.finditer(r"\S*\d\S*", line))
    return found


def test_the_typed_number_check_catches_numbers():
    sample = (
        "---\ntitle: x\n---\n"
        "We dropped 298 rows in 2024; F1 and $H_0$ are names, `{python} n` is computed.\n"
        "```{python}\nx = 5\n```\n"
        "A share of 0.5 and [a link](http://a.org/v2) and @fig-a1.\n"
    )
    assert typed_numbers(sample) == [(4, "298"), (8, "0.5")]


def test_no_number_is_typed_into_prose(docs):
    problems = []
    for name in CHAPTERS:
        doc = docs.get(name)
        if doc is None:
            continue
        problems += [f"{name}:{line}: {token}" for line, token in typed_numbers(doc.text)]
        for line, caption in doc.captions():
            problems += [f"{name}:{line}: caption {token}" for _, token in typed_numbers(caption)]
    assert not problems, "numbers typed into prose (compute them and use inline code):\n" + "\n".join(problems)


def _paragraphs_after_title(doc) -> list[str]:
    lines = prose_text(doc.text).split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("# "))
    text = "\n".join(line for line in lines[start + 1 :] if not line.startswith("#"))
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def test_chapters_open_with_their_question_and_close_with_what_was_learned(docs):
    for name in PACE_CHAPTERS:
        doc = docs.get(name)
        if doc is None:
            continue
        assert "?" in _paragraphs_after_title(doc)[0], f"{name}: the first paragraph should ask the chapter's question"
        headings = [m.group(1) for m in re.finditer(r"^## (.+?)\s*(?:\{.*\})?\s*$", prose_text(doc.text), re.M)]
        assert headings and headings[-1].startswith("What we learned"), f"{name}: last section {headings[-1:]}"
        last = doc.text.split("## What we learned", 1)[1]
        assert re.search(r"@sec-|next", last, re.I), f"{name}: say what the next step needs"


def test_chapters_have_a_definition_a_pitfall_and_an_interview_tip(docs):
    """The book's three kinds of callout, each with its title as the callout's first heading."""
    kinds = {"callout-note": "Definition", "callout-warning": "Pitfall", "callout-tip": "Interview tip"}
    for name in PACE_CHAPTERS:
        doc = docs.get(name)
        if doc is None:
            continue
        titles = {
            (kind, div.body.lstrip().split("\n", 1)[0])
            for div in doc.divs()
            for kind in kinds
            if kind in div.attributes.classes
        }
        for kind, word in kinds.items():
            assert any(k == kind and re.match(rf"## {word}\b", title) for k, title in titles), (
                f"{name}: no .{kind} titled '## {word}: ...'"
            )


#: The pattern Quarto's Jupyter engine evaluates (notebook.py, jupyter-inline.ts): a backtick right before {python}.
QUARTO_INLINE = re.compile(r"(?:^|[^`])`\{python\}[ \t]([^`]+)`", re.M)


def test_every_inline_python_is_one_quarto_evaluates(docs):
    """``{python} x`` inside a longer code span (`` `a: {python} x` ``) is printed as code, not evaluated."""
    for name in CHAPTERS:
        doc = docs.get(name)
        for block in doc.markdown if doc else []:
            written = block.text.count("{python}")
            evaluated = len(QUARTO_INLINE.findall(block.text))
            assert written == evaluated, f"{name}:{block.line}: a {{python}} that Quarto would not evaluate"


def test_inline_expressions_are_names_and_formatting(docs):
    """Inline code only shows values computed in cells: names, attributes, indexing, f-strings."""
    allowed = (ast.Expression, ast.Name, ast.Load, ast.Attribute, ast.Subscript, ast.Constant, ast.JoinedStr,
               ast.FormattedValue)
    for name in CHAPTERS:
        doc = docs.get(name)
        for expression in doc.inline_expressions() if doc else []:
            tree = ast.parse(expression.code, mode="eval")
            bad = [type(node).__name__ for node in ast.walk(tree) if not isinstance(node, allowed)]
            assert not bad, f"{name}:{expression.line}: inline `{expression.code}` uses {bad}; compute it in a cell"


def test_chapter_code_starts_from_the_shared_setup_and_imports_only_claimstats(docs):
    for name in CHAPTERS:
        doc = docs.get(name)
        if doc is None or not doc.cells:
            continue
        first = doc.cells[0]
        setup = "chapters/_setup.py" if name == "index.qmd" else "_setup.py"
        assert first.code.splitlines()[0] == f"%run {setup}", f"{name}: the first cell must run {setup}"
        for cell in doc.cells:
            for line in cell.code.splitlines():
                match = re.match(r"\s*(?:from\s+(\S+)\s+import|import\s+(\S+))", line)
                if match:
                    module = match.group(1) or match.group(2)
                    assert module.split(".")[0] == "claimstats", f"{name}:{cell.line}: import {module} (logic belongs in claimstats)"


def test_commands_that_change_the_data_clear_the_freezer(docs):
    """``freeze: auto`` reuses a chapter's results until its .qmd changes; ``--execute`` does not override
    it (Quarto's renderExecute thaws on the freeze option alone), so a new data source needs ``_freeze/`` gone."""
    assert CONFIG["execute"]["freeze"] == "auto"
    commands = [
        (name, line)
        for name, doc in docs.items()
        for line in doc.text.splitlines()
        if "quarto render" in line and "CLAIMSTATS_DATA=" in line
    ]
    assert commands, "the book should show how to render it from the course file"
    for name, line in commands:
        assert "rm -rf _freeze" in line.split("quarto render")[0], f"{name}: {line.strip()}"


def test_no_raw_latex_anywhere(docs):
    for name, doc in docs.items():
        assert not re.search(r"\\(?:newpage|vspace|clearpage|begin\{|includegraphics)", prose_text(doc.text)), name


# --------------------------------------------------------------------- execution


def _kernel_env(data: str) -> dict[str, str]:
    env = dict(os.environ)
    env["CLAIMSTATS_DATA"] = data
    env["MPLBACKEND"] = "Agg"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("QUARTO_PROFILE", None)
    return env


_PLAIN_VALUE = re.compile(r"""(?s)^(?:'.*'|".*"|-?\d+)$""")


def check_execution(name: str, data: str) -> float:
    from claimstats.notebook import ExecutionError, execute_qmd

    try:
        run = execute_qmd(ROOT / name, env=_kernel_env(data))
    except ExecutionError as err:
        pytest.fail(f"{err}\n{err.traceback}", pytrace=False)
    doc = read_qmd(ROOT / name)
    # Inline values must reach the page as plain text: strings (Quarto strips the quotes) or integers,
    # not a numpy repr such as np.float64(0.5) or an unformatted float.
    for result in run.inline:
        text = result.data.get("text/plain", "")
        assert "text/markdown" in result.data or _PLAIN_VALUE.match(text), (
            f"{name}:{result.expression.line}: `{result.expression.code}` gives {text[:60]!r}; format it as text"
        )
        # A backslash in the repr (an escaped quote or newline) would reach the page as a stray backslash.
        assert "\\" not in text, f"{name}:{result.expression.line}: `{result.expression.code}` gives {text[:80]!r}"
        # Quarto (jupyter-inline.ts) keeps an expression whose value is empty as literal code in the page,
        # and escapes Markdown in plain text, so a backtick shows as a backtick (return Markdown to format).
        markdown = "text/markdown" in result.data
        value = str(result.data["text/markdown"]) if markdown else text.strip().strip("'\"")
        assert value.strip(), f"{name}:{result.expression.line}: `{result.expression.code}` is empty; Quarto would print the code"
        assert markdown or "`" not in value, (
            f"{name}:{result.expression.line}: `{result.expression.code}` gives backticks as plain text: {value[:80]!r}"
        )
    # Tables are read by learners: no scientific notation (1e+05) and no "nan" cells.
    for executed in run.cells:
        for output in executed.outputs:
            table = output.get("data", {}).get("text/markdown", "")
            for cell in (c.strip() for line in table.splitlines() if line.startswith("|") for c in line.split("|")):
                assert not re.fullmatch(r"-?\d[\d,]*(?:\.\d+)?e[+-]\d+|nan", cell), (
                    f"{name}:{executed.cell.line}: table cell {cell!r}; format it for reading"
                )
    # Every figure div's cell prints an image with alt text, and the image exists.
    figure_cells = {
        c.line: d.attributes.id
        for d in doc.divs()
        if (d.attributes.id or "").startswith("fig-")
        for c in doc.cells
        if d.line < c.line < d.end_line
    }
    printed = {executed.cell.line: executed.stdout for executed in run.cells}
    for line, label in figure_cells.items():
        match = re.fullmatch(r"!\[\]\(([^)]+)\)(\{.*\})\s*", printed.get(line, ""))
        assert match, f"{name}: {label} printed {printed.get(line, '')[:80]!r}, not a Markdown image"
        assert parse_attributes(match.group(2)).get("fig-alt"), f"{name}: {label} has an empty alt text"
        assert (ROOT / name).parent.joinpath(match.group(1)).is_file()
    print(f"\n{name} on {data}: {run.seconds:.1f} s (kernel start {run.kernel_start_seconds:.1f} s)")
    return run.seconds


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_executes_on_the_synthetic_default(name):
    check_execution(name, "synthetic")


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_executes_on_the_course_file(name, course_file):
    check_execution(name, str(course_file))


# --------------------------------------------------------------------- rendering


@pytest.mark.parametrize("fmt", ["html", "typst"])
def test_quarto_renders_the_book(fmt, tmp_path):
    quarto = shutil.which("quarto")
    if quarto is None:
        reason = "quarto is not on PATH: the render to html/typst is not tested here (pip install -e '.[book]')"
        print(reason)
        pytest.skip(reason)
    env = _kernel_env("synthetic")
    # A copy without _freeze/: freeze: auto would reuse stale results of unchanged chapters (even with --execute).
    book = tmp_path / "book"
    shutil.copytree(ROOT, book, ignore=shutil.ignore_patterns(
        ".git", "_freeze", ".quarto", "_book*", "*.quarto_ipynb", "__pycache__", ".venv", "venv", "*.csv", "*.csv.gz"))
    done = subprocess.run(
        [quarto, "render", "--to", fmt, "--output-dir", str(tmp_path / fmt)],
        cwd=book, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Unable to resolve crossref" not in done.stderr, done.stderr[-4000:]
