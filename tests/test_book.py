"""The book, tested as it is rendered, and as it runs without Quarto.

With ``quarto`` on PATH, the student and the instructor editions are rendered
once per test run (session fixtures in ``conftest.py``, a fresh copy of the
project, synthetic data, HTML and Typst PDF in one ``quarto render`` each) and
the tests below read what a reader gets: every page, the PDF's text, the
images, the numbers. Without Quarto those tests skip, and every chapter's
code still runs in a Jupyter kernel (``tests/_qmd.py``), on the synthetic
default and (when it is around) on the course file. A few checks read the
sources: the project file, the prose rules (no typed numbers), the imports.
"""

from __future__ import annotations

import ast
import html
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from _qmd import INLINE, ExecutionError, blocks, cells, execute, inline_expressions, prose
from _render import INSTRUCTOR, Book, book_files, edition_config, letters, render_env

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
#: The student edition's files, as `quarto render` (the default profile) lists them.
BOOK_FILES = book_files(edition_config())
INSTRUCTOR_FILES = book_files(edition_config(INSTRUCTOR))
# Ours: the preface and chapters/ (exercises/ are checked by tests/test_exercises*.py).
CHAPTERS = [f for f in BOOK_FILES if f == "index.qmd" or f.startswith("chapters/")]
PACE_CHAPTERS = [f for f in CHAPTERS if re.match(r"chapters/\d", f)]
SOURCES = {name: (ROOT / name).read_text(encoding="utf-8") for name in BOOK_FILES if (ROOT / name).is_file()}


def title(source: str) -> str:
    """A file's chapter title: its first level-1 heading, without attributes."""
    return re.search(r"(?m)^# (.+?)\s*(?:\{.*\})?\s*$", source).group(1)


def float_labels(source: str, prefix: str) -> list[str]:
    """Labels of the figures (``fig``) or tables (``tbl``) a source defines: cell labels and div ids."""
    pattern = rf"(?m)^#\| label: ({prefix}-[\w-]+)\s*$|^:::+ *\{{#({prefix}-[\w-]+)"
    return [a or b for a, b in re.findall(pattern, source)]


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
    assert (ROOT / formats["typst"]["include-before-body"]).is_file()
    assert CONFIG["book"]["title"] and CONFIG["book"]["author"]
    for profile in (None, INSTRUCTOR):
        chapters = edition_config(profile)["book"]["chapters"]
        parts = [item["part"] for item in chapters if isinstance(item, dict)]
        assert parts == ["Plan", "Analyze", "Construct", "Execute", "Exercises"], profile
        assert chapters[-1] == "chapters/references.qmd", profile


def test_listed_files_exist_once_and_index_comes_first():
    assert CONFIG["profile"]["default"] == "student"
    for files in (BOOK_FILES, INSTRUCTOR_FILES):
        missing = [f for f in files if not (ROOT / f).is_file()]
        assert not missing, f"the book lists files that do not exist: {missing}"
        assert [f for f, n in Counter(files).items() if n > 1] == []
        # Quarto's rule: the home page of a book is index.* next to _quarto.yml.
        assert files[0] == "index.qmd"
    assert (ROOT / CONFIG["bibliography"]).is_file()


def test_each_edition_lists_its_own_exercise_files_and_the_same_chapters():
    for profile, folder in ((None, ROOT / "exercises"), (INSTRUCTOR, ROOT / "exercises" / "instructor")):
        written = sorted(p.relative_to(ROOT).as_posix() for p in folder.glob("[0-9]*.qmd"))
        parts = {item["part"]: book_files({"book": {"chapters": item["chapters"]}})
                 for item in edition_config(profile)["book"]["chapters"] if isinstance(item, dict)}
        assert written and sorted(parts["Exercises"]) == written, profile
    assert [f for f in BOOK_FILES if not f.startswith("exercises/")] == [
        f for f in INSTRUCTOR_FILES if not f.startswith("exercises/")]


def test_the_merge_of_a_profile_is_quartos():
    """Maps merge key by key; lists are concatenated without repeats (Quarto's ``mergeConfigs``)."""
    from _render import _merge

    base = {"a": {"b": 1, "c": [1, {"d": 2}]}, "e": "x"}
    extra = {"a": {"c": [{"d": 2}, 3], "f": 4}, "e": "y"}
    assert _merge(base, extra) == {"a": {"b": 1, "c": [1, {"d": 2}, 3], "f": 4}, "e": "y"}
    assert base == {"a": {"b": 1, "c": [1, {"d": 2}]}, "e": "x"}


# --------------------------------------------------------------------- prose rules (sources)

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
    for number, line in enumerate(prose(text).split("\n"), start=1):
        for pattern in ALLOWED_DIGITS:
            line = re.sub(pattern, " ", line)
        found.extend((number, m.group(0)) for m in re.finditer(r"\S*\d\S*", line))
    return found


def test_the_typed_number_check_catches_numbers():
    sample = (
        "---\ntitle: x\n---\n"
        "We dropped 298 rows in 2024; F1 and $H_0$ are names, `{python} n` is computed.\n"
        "```{python}\nx = 5\n```\n"
        "A share of 0.5 and [a link](http://a.org/v2){.ext} and @fig-a1.\n"
        "::: {#fig-b2}\n## Heading {#sec-c3}\n1. a list item, `code 4` <!-- note 6 -->\n"
    )
    assert typed_numbers(sample) == [(4, "298"), (8, "0.5")]


def test_no_number_is_typed_into_prose():
    problems = []
    for name in CHAPTERS:
        problems += [f"{name}:{line}: {token}" for line, token in typed_numbers(SOURCES[name])]
        for cell in cells(SOURCES[name]):
            for key in ("fig-cap", "tbl-cap", "fig-alt"):
                problems += [f"{name}:{cell.line}: {key} {token}" for _, token in typed_numbers(str(cell.options.get(key, "")))]
    assert not problems, "numbers typed into prose (compute them and use inline code):\n" + "\n".join(problems)


def test_chapters_open_with_their_question_and_close_with_what_was_learned():
    for name in PACE_CHAPTERS:
        text = prose(SOURCES[name]).split("\n")
        after_title = "\n".join(line for line in text[1:] if not line.startswith("#"))
        first = next(p for p in re.split(r"\n\s*\n", after_title) if p.strip())
        assert "?" in first, f"{name}: the first paragraph should ask the chapter's question"
        headings = re.findall(r"(?m)^## (.+?)\s*$", "\n".join(text))
        assert headings and headings[-1].startswith("What we learned"), f"{name}: last section {headings[-1:]}"
        last = SOURCES[name].split("## What we learned", 1)[1]
        assert re.search(r"@sec-|next", last, re.I), f"{name}: say what the next step needs"


def test_chapters_have_a_definition_a_pitfall_and_an_interview_tip():
    """The book's three kinds of callout, each with its title as the callout's first heading."""
    kinds = {"callout-note": "Definition", "callout-warning": "Pitfall", "callout-tip": "Interview tip"}
    for name in PACE_CHAPTERS:
        for kind, word in kinds.items():
            assert re.search(rf"(?m)^:::+ *\{{\.{kind}[^}}]*\}}\s*\n## {word}\b", SOURCES[name]), (
                f"{name}: no .{kind} titled '## {word}: ...'")


def test_every_inline_python_is_one_quarto_evaluates():
    """``{python} x`` inside a longer code span (`` `a: {python} x` ``) is printed as code, not evaluated."""
    for name in CHAPTERS:
        for block in blocks(SOURCES[name]):
            if not hasattr(block, "options"):
                assert block.text.count("{python}") == len(INLINE.findall(block.text)), (
                    f"{name}:{block.line}: a {{python}} that Quarto would not evaluate")


def test_inline_expressions_are_names_and_formatting():
    """Inline code only shows values computed in cells: names, attributes, indexing, f-strings."""
    allowed = (ast.Expression, ast.Name, ast.Load, ast.Attribute, ast.Subscript, ast.Constant, ast.JoinedStr,
               ast.FormattedValue)
    for name in CHAPTERS:
        for line, code in inline_expressions(SOURCES[name]):
            bad = [type(node).__name__ for node in ast.walk(ast.parse(code, mode="eval")) if not isinstance(node, allowed)]
            assert not bad, f"{name}:{line}: inline `{code}` uses {bad}; compute it in a cell"


def _formatting(code: str) -> list[str]:
    """What in ``code`` formats a number for reading: f-string format specs and ``str.format`` calls."""
    tree = ast.parse("\n".join("" if line.lstrip().startswith("%") else line for line in code.splitlines()))
    found = [ast.unparse(node) for node in ast.walk(tree)
             if isinstance(node, ast.FormattedValue) and node.format_spec is not None]
    found += [ast.unparse(node) for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and node.attr == "format" and isinstance(node.value, ast.Constant)]
    return found


def test_the_formatting_check_finds_format_specs_and_format_calls():
    assert _formatting('a = f"{x:.1%}"\nb = f"{y}"') == ["{x:.1%}"]
    assert _formatting('%run _setup.py\nt.map("{:.1%}".format)') == ["'{:.1%}'.format"]
    assert _formatting("show_table(frame, percent=['share'])") == []


def test_visible_cells_do_not_format_numbers():
    """A learner reads every visible cell: formatting for the prose goes in hidden cells, for tables in
    ``show_table``'s options or the result objects."""
    for name in CHAPTERS:
        for cell in cells(SOURCES[name]):
            if cell.options.get("include") is False or cell.options.get("echo") is False:
                continue
            found = _formatting(cell.code)
            assert not found, f"{name}:{cell.line}: a visible cell formats {found}; move it to a hidden cell"


def test_chapter_code_starts_from_the_shared_setup_and_imports_only_claimstats():
    for name in CHAPTERS:
        found = cells(SOURCES[name])
        if not found:
            continue
        setup = "chapters/_setup.py" if name == "index.qmd" else "_setup.py"
        assert found[0].code.splitlines()[0] == f"%run {setup}", f"{name}: the first cell must run {setup}"
        for cell in found:
            for module in re.findall(r"(?m)^\s*(?:from\s+(\S+)\s+import|import\s+(\S+))", cell.code):
                module = module[0] or module[1]
                assert module.split(".")[0] == "claimstats", f"{name}:{cell.line}: import {module} (logic belongs in claimstats)"


def test_commands_that_change_the_data_clear_the_freezer():
    """``freeze: auto`` reuses a chapter's results until its .qmd changes, even with ``--execute``:
    a new data source needs ``_freeze/`` gone."""
    commands = [(name, line) for name, text in SOURCES.items() for line in text.splitlines()
                if "quarto render" in line and "CLAIMSTATS_DATA=" in line]
    assert commands, "the book should show how to render it from the course file"
    for name, line in commands:
        assert "rm -rf _freeze" in line.split("quarto render")[0], f"{name}: {line.strip()}"


def test_every_student_render_command_shares_one_kernel_per_chapter_and_the_instructor_never_does():
    """README, the appendix, the publishing workflow and the test renders run the student edition with
    ``--execute-daemon`` (Quarto ignores ``execute: daemon`` for a whole-project render), and never the
    instructor edition: a kernel started with its profile computes solutions."""
    from _render import STUDENT_FLAGS

    flags = " ".join(STUDENT_FLAGS)
    texts = dict(SOURCES, **{name: (ROOT / name).read_text(encoding="utf-8")
                             for name in ("README.md", ".github/workflows/publish.yml")})
    book = [(name, line) for name, text in texts.items() for line in text.splitlines()
            if re.search(r"(?<!`)quarto render(?! slides/)", line)]  # commands, not `quarto render` in prose
    student = [(n, line) for n, line in book if "--profile" not in line]
    instructor = [(n, line) for n, line in book if "--profile instructor" in line]
    assert student and instructor
    for name, line in student:
        assert f"quarto render {flags}" in line, f"{name}: {line.strip()}"
    for name, line in instructor:
        assert "--execute-daemon" not in line, f"{name}: {line.strip()}"
    assert (ROOT / "_quarto-instructor.yml").read_text(encoding="utf-8").count("daemon: false") == 1


def test_no_raw_latex_anywhere():
    for name, text in SOURCES.items():
        assert not re.search(r"\\(?:newpage|vspace|clearpage|begin\{|includegraphics)", prose(text)), name


# --------------------------------------------------------------------- the rendered book (needs Quarto)


def _pages(book: Book, names=None):
    return {name: page for name, page in book.pages.items() if names is None or name in names}


def test_every_page_is_rendered_and_the_pdf_has_every_chapter_title(student_book, instructor_book):
    for book, files in ((student_book, BOOK_FILES), (instructor_book, INSTRUCTOR_FILES)):
        missing = [name for name in files if name not in book.pages]
        assert not missing, f"pages missing from the HTML site: {missing}"
        pdf = letters(book.pdf_text)
        absent = [name for name in files if letters(title((ROOT / name).read_text(encoding="utf-8"))) not in pdf]
        assert not absent, f"chapter titles missing from the PDF: {absent}"
    assert not [name for name in student_book.pages if name.startswith("exercises/instructor/")]


def test_quarto_reports_no_warning(student_book, instructor_book):
    """Unresolved cross-references and citations, missing files and bad options all warn."""
    for book in (student_book, instructor_book):
        warnings = [line for line in book.stderr.splitlines() if re.search(r"\bWARN", line) and "IPKernelApp" not in line]
        assert not warnings, "\n".join(warnings[:20])


#: What must never reach a reader: an unresolved reference, code that was not evaluated, a Python error or
#: warning, a missing value, a numpy repr.
LEFTOVERS = {
    "unresolved reference": r"\?@[\w-]+",
    "inline code not evaluated": r"\{python\}",
    "traceback": r"Traceback \(most recent call last\)|\w+Error: ",
    "Python warning": r"\b\w+Warning\b",
    "missing value": r"(?<![(\w])(?:nan|<NA>|NaT)(?![)\w])",  # NaN, capitalised, is named in prose
    "numpy repr": r"np\.(?:float|int)\d+\(",
}


@pytest.mark.parametrize("edition", ["student", "instructor"])
def test_no_page_shows_leftovers(edition, request):
    book = request.getfixturevalue(f"{edition}_book")
    problems = []
    for where, text in [*((name, page.text) for name, page in book.pages.items()), ("the PDF", book.pdf_text)]:
        for what, pattern in LEFTOVERS.items():
            for match in re.finditer(pattern, text):
                problems.append(f"{where}: {what}: ...{text[max(0, match.start() - 60): match.end() + 40]!r}")
    for name, page in book.pages.items():
        problems += [f"{name}: a table cell shows {cell!r}" for cell in re.findall(r"<td[^>]*>\s*(NaN|None)\s*</td>", page.html)]
    assert not problems, "\n".join(problems[:20])


def test_chapter_references_read_as_words_in_the_pdf(student_book):
    """Typst's book template numbers chapters "7."; a reference must not repeat the period ("(Chapter 7.)")."""
    text = " ".join(student_book.pdf_text.split())
    assert re.search(r"\bChapter \d+\b", text)
    bad = re.findall(r".{30}\b(?:Chapter \d+|Appendix [A-Z])\.[,)]|.{30}\.\.(?!\.)", text)
    assert not bad, bad[:10]


def test_every_image_has_alt_text(student_book):
    empty = [(name, image.get("src")) for name, page in student_book.pages.items() for image in page.images
             if not (image.get("alt") or "").strip()]
    assert not empty, f"images without alt text: {empty}"
    assert sum(len(page.images) for page in student_book.pages.values()) > 0


def _caption(page_html: str, label: str) -> str:
    """The text of a float's caption in the HTML page (without its "Figure 3.1:" number)."""
    after = page_html[page_html.index(f'id="{label}"'):]
    caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", after, re.S)
    assert caption, f"{label} has no caption"
    words = html.unescape(re.sub(r"<[^>]+>", " ", caption.group(1)))
    return re.sub(r"^\s*(?:Figure|Table)\s*[\dA-Z.]+\s*:\s*", "", " ".join(words.split()))


def pdf_only_labels(source: str) -> set[str]:
    """Labels defined inside ``::: {.content-visible when-format="typst"}`` (a PDF-only fallback)."""
    found, depth, inside_at = set(), 0, None
    for line in source.splitlines():
        if re.match(r"^:{3,}\s*\{", line):
            depth += 1
            if inside_at is None and 'when-format="typst"' in line:
                inside_at = depth
        elif re.match(r"^:{3,}\s*$", line):
            if inside_at == depth:
                inside_at = None
            depth -= 1
        if inside_at is not None:
            found.update(re.findall(r"(?:#\|\s*label:\s*|\{#)((?:fig|tbl)-[a-z0-9-]+)", line))
    return found


def test_pdf_only_labels_are_read_from_typst_only_blocks():
    sample = ('::: {.content-visible when-format="typst"}\n::: {#fig-a}\nx\n:::\n'
              '```{python}\n#| label: tbl-b\n```\n:::\n::: {#fig-c}\n:::\n')
    assert pdf_only_labels(sample) == {"fig-a", "tbl-b"}


def test_every_figure_and_table_appears_captioned_and_cited_in_both_formats(student_book):
    pdf = letters(student_book.pdf_text)
    all_html = "\n".join(page.html for page in student_book.pages.values())
    n_figures = 0
    for name in CHAPTERS:
        page = student_book.pages[name]
        pdf_only = pdf_only_labels(SOURCES[name])
        for prefix in ("fig", "tbl"):
            for label in float_labels(SOURCES[name], prefix):
                if label in pdf_only:  # the PDF's stand-in for an interactive part of the page
                    assert f'id="{label}"' not in page.html, f"{name}: the PDF-only {label} shows in the HTML"
                    continue
                assert f'id="{label}"' in page.html, f"{name}: {label} is not in the page"
                caption = _caption(page.html, label)
                assert caption, f"{name}: {label} has an empty caption"
                assert letters(caption)[:80] in pdf, f"{name}: {label} ({caption[:50]!r}) is not in the PDF"
                assert re.search(rf'href="[^"]*#{label}"', all_html), f"{name}: {label} is never referred to"
                if prefix == "fig":
                    n_figures += 1
                    figure_html = page.html[page.html.index(f'id="{label}"'):].split("</figure>", 1)[0]
                    assert "<img" in figure_html, f"{name}: {label} shows no image"
    assert n_figures > 0
    if shutil.which("pdfimages"):
        listed = subprocess.run(["pdfimages", "-list", str(student_book.pdf)], capture_output=True, text=True).stdout
        assert len(listed.splitlines()) - 2 >= n_figures, "the PDF holds fewer images than the chapters draw"


# --------------------------------------------------------------------- numbers on the page = the package's


def _number(text: str, pattern: str) -> float:
    match = re.search(pattern, text)
    assert match, f"not found on the page: {pattern}"
    return float(match.group(1).replace(",", "").replace("\u2212", "-"))


@pytest.fixture(scope="module")
def synthetic_book_data():
    import claimstats

    frame, source = claimstats.load("synthetic")
    tidy, report = claimstats.clean(frame)
    return tidy, report, source


def test_the_cleaning_count_on_the_page_is_the_packages(student_book, synthetic_book_data):
    _, report, _ = synthetic_book_data
    text = student_book.pages["chapters/02-inspect.qmd"].text
    assert _number(text, r"Of [\d,]+ rows, ([\d,]+) \(") == report.rows_dropped
    assert _number(text, r"Of ([\d,]+) rows, [\d,]+ \(") == report.rows_in


def test_the_welch_t_on_the_page_is_the_packages(student_book, synthetic_book_data):
    from claimstats.hypothesis import compare_groups
    from claimstats.schema import VERIFIED

    tidy, _, source = synthetic_book_data
    result = compare_groups(tidy, "video_view_count", VERIFIED, seed=source.seed)
    shown = _number(student_book.pages["chapters/04-hypothesis.qmd"].text, r"Welch.s test gives t = ([\u2212-]?[\d.]+)")
    assert shown == pytest.approx(result.t, abs=0.005)


def test_the_review_threshold_on_the_page_is_the_packages(student_book, synthetic_book_data):
    from claimstats import triage

    tidy, _, source = synthetic_book_data
    model, _ = triage.train_claim_model(tidy, feature_set="upload", grid="fast", seed=source.seed, importance_repeats=0)
    shown = _number(student_book.pages["chapters/07-execute.qmd"].text, r"at or above (0\.\d+) is in the review tier")
    assert shown == pytest.approx(model.thresholds()[1], abs=5e-5)


# --------------------------------------------------------------------- execution in a kernel (no Quarto needed)

_PLAIN_VALUE = re.compile(r"""(?s)^(?:'.*'|".*"|-?\d+)$""")


def check_execution(name: str, data: str) -> None:
    try:
        run = execute(ROOT / name, env=render_env(data))
    except ExecutionError as err:
        pytest.fail(str(err), pytrace=False)
    # Inline values reach the page as plain text (strings or integers, not np.float64(0.5)); a backslash in the
    # repr would show; an empty value leaves the code in the page; plain text escapes Markdown (backticks).
    for line, code, data_ in run.inline:
        markdown = "text/markdown" in data_
        text = data_.get("text/plain", "")
        assert markdown or (_PLAIN_VALUE.match(text) and "\\" not in text), f"{name}:{line}: `{code}` gives {text[:60]!r}"
        value = str(data_["text/markdown"]) if markdown else text.strip().strip("'\"")
        assert value.strip() and (markdown or "`" not in value), f"{name}:{line}: `{code}` gives {value[:60]!r}"
    # Tables are read by learners: no scientific notation (1e+05) and no "nan" cells.
    for cell, outputs in run.cells:
        for output in outputs:
            table = output.get("data", {}).get("text/markdown", "")
            for value in (c.strip() for row in table.splitlines() if row.startswith("|") for c in row.split("|")):
                assert not re.fullmatch(r"-?\d[\d,]*(?:\.\d+)?e[+-]\d+|nan", value), f"{name}:{cell.line}: table cell {value!r}"
    print(f"\n{name} on {data}: {run.seconds:.1f} s")


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_executes_on_the_synthetic_default(name):
    if shutil.which("quarto"):
        pytest.skip("the render tests execute every chapter on the synthetic default")
    check_execution(name, "synthetic")


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_executes_on_the_course_file(name, course_file):
    check_execution(name, str(course_file))
