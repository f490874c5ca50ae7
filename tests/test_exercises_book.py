"""The exercise chapters: generated from the bank, solutions only in the instructor edition, in any form.

Each set has a student file (``exercises/NN-<set>.qmd``: questions, no code) and an
instructor file (``exercises/instructor/NN-<set>.qmd``: the same questions with solution blocks).

Which edition shows what is judged on the real render (``student_book`` and
``instructor_book`` in ``conftest.py``: HTML pages, search index and PDF), with
the text of the worked solutions as the instructor profile computes them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from _qmd import cells, execute, inline_expressions
from _render import letters, render_env
from claimstats.exercises import book
from claimstats.exercises.bank import SETS, questions

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
FILES = sorted(EXERCISES.glob("[0-9][0-9]-*.qmd"))
INSTRUCTOR_FILES = sorted((EXERCISES / "instructor").glob("[0-9][0-9]-*.qmd"))
PROFILE = "instructor"


def test_chapters_are_the_seven_named_files_of_each_edition_and_up_to_date():
    names = [f"{stem}.qmd" for stem, _, _ in SETS.values()]
    assert [p.name for p in FILES] == names and [p.name for p in INSTRUCTOR_FILES] == names
    assert book.write_sources(EXERCISES, check=True) == [], "run `claimstats exercises sources`"


def test_sources_are_written_where_missing_and_reported(tmp_path):
    assert len(book.write_sources(tmp_path)) == 2 * len(SETS)
    assert (tmp_path / "instructor" / "04-hypothesis.qmd").read_text(encoding="utf-8") == (
        EXERCISES / "instructor" / "04-hypothesis.qmd").read_text(encoding="utf-8")
    (tmp_path / "04-hypothesis.qmd").write_text("edited", encoding="utf-8")
    assert book.write_sources(tmp_path, check=True) == ["04-hypothesis.qmd"]
    assert book.write_sources(tmp_path) == ["04-hypothesis.qmd"] and book.write_sources(tmp_path, check=True) == []


def test_every_question_is_an_exercise_and_only_the_instructor_file_has_its_solution_block():
    for student, instructor in zip(FILES, INSTRUCTOR_FILES):
        ids = {path: set(re.findall(r"(?m)^:::+ *\{#([\w-]+)", path.read_text(encoding="utf-8")))
               for path in (student, instructor)}
        for q in questions(student.stem.split("-", 1)[1]):
            assert f"exr-{q.id}" in ids[student] and f"sol-{q.id}" not in ids[student], (student.name, q.id)
            assert f"exr-{q.id}" in ids[instructor] and f"sol-{q.id}" in ids[instructor], (instructor.name, q.id)


#: The only way code or text reaches the instructor edition: an instructor div holding one div and one call.
INSTRUCTOR_BLOCK = re.compile(
    r'(?m)^::: \{\.content-visible when-profile="instructor"\}\n::: \{[^}\n]*\}\n```\{python\}\n#\| echo: false\n'
    r'((?:setup_)?solutions?\("[a-z0-9-]+"\))\n```\n:::\n:::$'
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_student_file_has_no_code_and_is_the_instructor_file_without_its_blocks(path):
    """No cell and no inline code: Quarto renders it as Markdown, without a kernel, and no solution
    exists in it in any form. Apart from that it is the instructor's file, word for word."""
    text = path.read_text(encoding="utf-8")
    assert cells(text) == [] and inline_expressions(text) == [] and "when-profile" not in text
    instructor = (EXERCISES / "instructor" / path.name).read_text(encoding="utf-8")
    stripped = INSTRUCTOR_BLOCK.sub("", instructor).replace(IMPORT_CELL, "")
    assert re.sub(r"\n{3,}", "\n\n", stripped).rstrip("\n") + "\n" == text


#: The instructor file's first cell, which imports the two calls.
IMPORT_CELL = "```{python}\n#| include: false\nfrom claimstats.exercises.book import setup_solutions, solution\n```"


@pytest.mark.parametrize("path", INSTRUCTOR_FILES, ids=lambda p: p.name)
def test_code_in_an_instructor_file_is_the_import_and_one_call_per_instructor_block(path):
    """Quarto executes hidden cells too: outside instructor divs only the import runs; inside, one call."""
    text = path.read_text(encoding="utf-8")
    calls = INSTRUCTOR_BLOCK.findall(text)
    assert len(calls) == len(questions(path.stem.split("-", 1)[1])) + 1
    found = cells(text)
    assert [c.code for c in found if c.code not in calls] == ["from claimstats.exercises.book import setup_solutions, solution"]
    assert found[0].options.get("include") is False and IMPORT_CELL in text
    assert text.count("when-profile") == len(calls)


@pytest.mark.parametrize("profile", [None, "", "pdf", "instructors", "student,pdf", "Instructor"])
def test_solutions_compute_nothing_outside_the_instructor_profile(profile, monkeypatch):
    if profile is None:
        monkeypatch.delenv("QUARTO_PROFILE", raising=False)
    else:
        monkeypatch.setenv("QUARTO_PROFILE", profile)
    for q in questions():
        assert book.solution(q.id) is None
    assert all(book.setup_solutions(s) is None for s in SETS)


def test_instructor_profile_shows_worked_solutions(monkeypatch):
    monkeypatch.setenv("QUARTO_PROFILE", "pdf,instructor")
    data = book.example_data()
    for q in questions():
        text = book.solution(q.id).data
        if q.auto:
            assert f"**Answer on the example dataset:** {book.format_key(q, data.key(q))}" in text, q.id
        else:
            assert f"**Marking notes** ({q.points:g} points)." in text, q.id
        assert q.explanation in text
    assert "def welch(d):" in book.setup_solutions("hypothesis").data


@pytest.mark.parametrize("profile", [None, PROFILE])
def test_a_chapter_executes_as_quarto_runs_it(profile):
    """An instructor file run without the instructor profile (listed by mistake) shows nothing."""
    run = execute(EXERCISES / "instructor" / "04-hypothesis.qmd", env=render_env(profile=profile))
    solution_cells = [(c, outputs) for c, outputs in run.cells if re.match(r"(setup_)?solutions?\(", c.code)]
    assert len(solution_cells) == len(questions("hypothesis")) + 1
    for cell, outputs in solution_cells:
        if profile is None:
            assert outputs == [], f"student render produced output at line {cell.line}"
        else:
            markdown = [o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {})]
            assert markdown and markdown[0].strip(), cell.line


def test_instructor_profile_has_its_own_output_and_no_freeze():
    main = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    profile = yaml.safe_load((ROOT / "_quarto-instructor.yml").read_text(encoding="utf-8"))
    assert profile["project"]["output-dir"] not in ("", main["project"]["output-dir"])
    assert profile["execute"]["freeze"] is False and profile["execute"]["daemon"] is False
    assert "instructor" in profile["book"]["subtitle"].lower()


# --------------------------------------------------------------------- the rendered editions (need Quarto)


def _probes(markdown: str) -> list[str]:
    """The sentences of a worked solution's prose (code blocks left out), as letters only: what a reader
    of the page or the PDF would read, whatever the line breaks, hyphenation and typography."""
    prose = re.sub(r"(?ms)^```.*?^```$", " ", markdown)
    prose = re.sub(r"@[\w-]+", "\n\n", prose)  # a cross-reference renders as "Exercise 8.2": cut there
    sentences = re.split(r"(?<=[.:;!?])\s+|\n\s*\n|\n- ", prose)
    # Long enough to be the solution's own words: a short sentence may also be in a chapter.
    probes = [letters(s) for s in sentences if len(letters(s)) >= 45]
    # A short solution ("reject H0"): its paragraphs whole.
    return probes or [letters(p) for p in re.split(r"\n\s*\n", prose) if len(letters(p)) >= 30]


@pytest.fixture(scope="module")
def solution_texts():
    """``{question id or set: [probe, ...]}``: every worked solution, marking note and set-up block,
    computed as the instructor edition computes them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUARTO_PROFILE", PROFILE)
        texts = {q.id: _probes(book.solution(q.id).data) for q in questions()}
        texts.update({name: _probes(book.setup_solutions(name).data) for name in SETS})
    assert all(texts.values()), [k for k, v in texts.items() if not v]
    return texts


def _edition_text(edition) -> dict[str, str]:
    pages = " ".join(page.text for name, page in edition.pages.items())
    return {"HTML pages": letters(pages), "search index": letters(edition.search), "PDF": letters(edition.pdf_text)}


def test_the_student_edition_shows_no_solution_and_no_marking_note(student_book, solution_texts):
    for where, text in _edition_text(student_book).items():
        leaked = [key for key, probes in solution_texts.items() for probe in probes if probe in text]
        assert not leaked, f"the student {where} show solution text of: {sorted(set(leaked))[:10]}"
    for name in FILES:
        page = student_book.pages[f"exercises/{name.name}"]
        assert 'id="exr-' in page.html and 'id="sol-' not in page.html
    assert not [name for name in student_book.pages if "instructor" in name]


def test_the_instructor_edition_shows_every_solution_and_marking_note(instructor_book, solution_texts):
    for where, text in _edition_text(instructor_book).items():
        if where == "search index":
            continue
        missing = [key for key, probes in solution_texts.items() for probe in probes if probe not in text]
        assert not missing, f"the instructor {where} lack solution text of: {sorted(set(missing))[:10]}"
    assert "instructor" in letters(instructor_book.pdf_text[:3000])
    for name in INSTRUCTOR_FILES:
        assert 'id="sol-' in instructor_book.pages[f"exercises/instructor/{name.name}"].html, name.name


def _pdf_lines_starting(path, prefix: str) -> list[tuple[int, float, float]]:
    """``(page, x of each chunk of text starting with prefix, x of the page's left margin)``."""
    from pypdf import PdfReader

    found = []
    for number, page in enumerate(PdfReader(path).pages, start=1):
        chunks = []

        def visit(text, cm, tm, font, size):
            if text.strip():
                chunks.append((tm[4] * cm[0] + cm[4], text.strip()))

        page.extract_text(visitor_text=visit)
        if chunks:
            margin = min(x for x, _ in chunks)
            found += [(number, x, margin) for x, text in chunks if text.startswith(prefix)]
    return found


def test_exercises_in_the_pdf_are_set_flush_left(student_book):
    """Typst sets Quarto's exercise frames as figures, which centre their content (the answer line,
    the options, "Checked automatically." all centred): _typst-book.typ sets them flush left."""
    lines = _pdf_lines_starting(student_book.pdf, "Checked automatically.")
    assert len(lines) >= sum(q.auto for q in questions())
    off = [(page, round(x - margin, 1)) for page, x, margin in lines if abs(x - margin) > 1.0]
    assert not off, f"exercise lines not at the left margin (page, points from it): {off[:10]}"
