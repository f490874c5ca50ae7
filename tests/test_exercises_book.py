"""The exercise chapters: generated from the bank, solutions only in the instructor edition, in any form."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from claimstats.exercises import book
from claimstats.exercises.bank import SETS, questions
from claimstats.qmd import read_qmd
from claimstats.quarto import visible_text

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
FILES = sorted(EXERCISES.glob("[0-9][0-9]-*.qmd"))
PROFILE = "instructor"


def solution_phrases() -> list[str]:
    """Text that belongs to solutions only: explanations, marking notes, mistake hints, block markers."""
    found = ["#sol-", "solution(", "setup_solutions(", "Marking notes", "Mistakes the checker recognises",
             "Answer on the example dataset", "Instructor edition"]
    for q in questions():
        found += [q.explanation[:60], *(m.hint[:60] for m in q.mistakes)]
        if q.marking:
            found.append(q.marking[:60])
    return found


def test_chapters_are_the_seven_named_files_and_up_to_date():
    assert [p.name for p in FILES] == [f"{stem}.qmd" for stem, _, _ in SETS.values()]
    assert book.write_sources(EXERCISES, check=True) == [], "run `claimstats exercises sources`"


def test_every_question_is_an_exercise_with_a_solution_block():
    for path in FILES:
        doc = read_qmd(path)
        ids = {d.attributes.id for d in doc.divs() if d.attributes.id}
        set_name = path.stem.split("-", 1)[1]
        for q in questions(set_name):
            assert f"exr-{q.id}" in ids and f"sol-{q.id}" in ids, (path.name, q.id)


@pytest.mark.parametrize("fmt", ["html", "typst"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_student_edition_sources_hold_no_solution(path, fmt):
    text = path.read_text(encoding="utf-8")
    student = visible_text(text, profile=None, fmt=fmt)
    instructor = visible_text(text, profile=PROFILE, fmt=fmt)
    leaked = [p for p in solution_phrases() if p in student]
    assert not leaked, f"{path.name} ({fmt}) shows solution text to students: {leaked[:3]}"
    assert "#sol-" in instructor and "solution(" in instructor  # the filter removed something real
    for other in ("student", "pdf", "instructors", "default"):
        assert visible_text(text, profile=other, fmt=fmt) == student


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_code_that_runs_in_a_student_render_cannot_produce_a_solution(path):
    """Quarto executes hidden cells too: outside instructor divs only the import runs; inside, one call."""
    doc = read_qmd(path)
    instructor_divs = [d for d in doc.divs() if d.attributes.get("when-profile") == PROFILE]
    inside = lambda cell: any(d.line < cell.line < d.end_line for d in instructor_divs)  # noqa: E731
    outside = [c for c in doc.cells if not inside(c)]
    assert [c.code.strip() for c in outside] == ["from claimstats.exercises.book import setup_solutions, solution"]
    assert outside[0].options.get("include") is False
    for cell in doc.cells:
        if inside(cell):
            assert cell.options.get("echo") is False
            assert re.fullmatch(r'(setup_solutions|solution)\("[a-z0-9-]+"\)', cell.code.strip()), cell.code


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


def _kernel_env(profile: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("QUARTO_PROFILE", None)
    if profile:
        env["QUARTO_PROFILE"] = profile
    env["MPLBACKEND"] = "Agg"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.mark.parametrize("profile", [None, PROFILE])
def test_a_chapter_executes_as_quarto_runs_it(profile):
    from claimstats.notebook import execute_qmd

    path = EXERCISES / "04-hypothesis.qmd"
    run = execute_qmd(path, env=_kernel_env(profile))
    solution_cells = [c for c in run.cells if re.match(r"(setup_)?solutions?\(", c.cell.code.strip())]
    assert len(solution_cells) == len(questions("hypothesis")) + 1
    for executed in solution_cells:
        if profile is None:
            assert executed.outputs == (), f"student render produced output at line {executed.cell.line}"
        else:
            markdown = [o["data"]["text/markdown"] for o in executed.outputs if "text/markdown" in o.get("data", {})]
            assert markdown and markdown[0].strip(), executed.cell.line


def test_instructor_profile_has_its_own_output_and_no_freeze():
    main = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    profile = yaml.safe_load((ROOT / "_quarto-instructor.yml").read_text(encoding="utf-8"))
    assert profile["project"]["output-dir"] not in ("", main["project"]["output-dir"])
    assert profile["execute"]["freeze"] is False and profile["execute"]["daemon"] is False
    assert "instructor" in profile["book"]["subtitle"].lower()


# --------------------------------------------------------------------- rendering with Quarto


def _render(quarto: str, project: Path, profile: str | None, fmt: str) -> str:
    """Render the one-chapter project; return every text file in it afterwards (outputs, the kept .typ,
    Quarto's caches in .quarto/), then remove the outputs so the next render starts clean."""
    out = project / f"_out-{profile or 'student'}-{fmt}"
    args = [quarto, "render", "ex.qmd", "--to", fmt, "--output-dir", out.name, "--execute"]
    if fmt == "typst":
        args += ["-M", "keep-typ:true"]
    if profile:
        args += ["--profile", profile]
    env = _kernel_env(None)
    env["QUARTO_PYTHON"] = sys.executable
    env["CLAIMSTATS_DATA"] = "synthetic"
    done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    texts = []
    # What a reader or a later build can see: the outputs, the kept .typ, and the executed results
    # Quarto caches (_freeze/ and the hidden freezer in .quarto/).
    places = [out, project / "_freeze", project / ".quarto" / "_freeze"]
    for path in sorted(p for place in places for p in place.rglob("*")) + sorted(project.glob("*.typ")):
        if path.is_file() and path.suffix in (".html", ".typ", ".json", ".md", ".js"):
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
            if path.suffix == ".typ":
                path.unlink()  # the next render must not see this one's
    shutil.rmtree(out, ignore_errors=True)
    return "\n".join(texts)


@pytest.mark.parametrize("fmt", ["html", "typst"])
def test_quarto_renders_both_editions_and_only_one_has_solutions(fmt, tmp_path):
    quarto = shutil.which("quarto")
    if quarto is None:
        reason = "quarto is not on PATH: the two editions are not rendered here (pip install -e '.[book]')"
        print(reason)
        pytest.skip(reason)
    project = tmp_path / "project"
    project.mkdir()
    (project / "_quarto.yml").write_text("project:\n  type: default\njupyter: python3\n", encoding="utf-8")
    shutil.copy(ROOT / "_quarto-instructor.yml", project / "_quarto-instructor.yml")
    instructor_yml = yaml.safe_load((project / "_quarto-instructor.yml").read_text(encoding="utf-8"))
    instructor_yml.pop("book", None)  # this test project is not a book
    (project / "_quarto-instructor.yml").write_text(yaml.safe_dump(instructor_yml), encoding="utf-8")
    shutil.copy(EXERCISES / "04-hypothesis.qmd", project / "ex.qmd")

    student = _render(quarto, project, None, fmt)
    instructor = _render(quarto, project, PROFILE, fmt)
    markers = ["Marking notes", "Mistakes the checker recognises", "Answer on the example dataset", "sol-hyp-"]
    assert "Welch" in student and "hyp-t-statistic" in student  # the questions are there
    assert [m for m in markers if m in student] == []
    assert all(m in instructor for m in markers[:3])
    assert not list(project.rglob("*.quarto_ipynb"))
