"""The exercise chapters and their worked solutions, one file per set and edition.

The chapters are generated from the question bank by :func:`write_sources`
(``claimstats exercises sources``) and committed; a test checks they are up to
date, so the book shows exactly the ids, wording, tolerances and options the
checker uses. Each set has two files:

- ``exercises/NN-<set>.qmd``, the student edition's: the questions only. It
  holds no code cell, so Quarto renders it as plain Markdown, with no kernel;
- ``exercises/instructor/NN-<set>.qmd``, the instructor edition's: the same
  questions, each followed by its worked solution.

How solutions stay out of the student edition (three independent locks):

1. the student edition lists only the student files (``_quarto-student.yml``,
   the default profile); the instructor files are listed only by
   ``_quarto-instructor.yml``, and a book renders only the files it lists;
2. in an instructor file every solution sits in a
   ``::: {.content-visible when-profile="instructor"}`` div, which Quarto
   drops from the document before any writer runs (it is not hidden with CSS);
3. the div holds no answer text: only a one-line cell, ``solution("<id>")``,
   that computes and returns the worked solution **only when the instructor
   profile is active** (Quarto sets ``QUARTO_PROFILE`` for the kernel).

``_quarto-instructor.yml`` also writes its edition to its own folder, never
frozen and run without a kernel daemon, so neither its executed output nor its
kernel can serve a student build.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import textwrap
from functools import lru_cache
from pathlib import Path

from claimstats.exercises.bank import (
    AUTO_KINDS,
    BUILD,
    CHOICE,
    CHOICES,
    COUNT,
    NUMBER,
    SETS,
    TEXT,
    ExerciseData,
    Question,
    question,
    questions,
    steps_of,
)

#: The Quarto profile that shows solutions.
INSTRUCTOR_PROFILE = "instructor"
#: The editions of the exercise chapters, and the subfolder of ``exercises/`` each one's files live in.
EDITIONS = {"student": "", "instructor": "instructor"}
#: The worked solutions are computed on this example dataset, sized like a student's.
EXAMPLE_ROWS = 3_000

_KIND_WORDS = {
    NUMBER: "compute a number", COUNT: "count", CHOICE: "choose an option",
    CHOICES: "choose every option that applies", TEXT: "interpret a result in writing", BUILD: "build a figure",
}
_GENERATED = (
    "<!-- Generated from claimstats/exercises/sets/{set}.py by `claimstats exercises sources`.\n"
    "     Edit the question bank, then regenerate; a test fails when this file is out of date. -->"
)


# ------------------------------------------------------------- profile

def is_instructor(environ=None) -> bool:
    """Whether Quarto is rendering with the instructor profile (``QUARTO_PROFILE`` lists it).

    Examples
    --------
    >>> is_instructor({"QUARTO_PROFILE": "instructor,pdf"}), is_instructor({})
    (True, False)
    """
    env = os.environ if environ is None else environ
    active = [p.strip() for p in env.get("QUARTO_PROFILE", "").split(",")]
    return INSTRUCTOR_PROFILE in active


@lru_cache(maxsize=1)
def example_data() -> ExerciseData:
    """The example dataset of the worked solutions: ``simulate(EXAMPLE_ROWS, DEFAULT_SEED)``."""
    from claimstats.simulate import DEFAULT_SEED, simulate

    return ExerciseData(simulate(EXAMPLE_ROWS, seed=DEFAULT_SEED), "example dataset")


# ------------------------------------------------------------- worked solutions

def _markdown(text: str):
    from IPython.display import Markdown

    return Markdown(text)


def worked_code(func) -> str:
    """The body of a key or step function, with its final ``return x`` shown as ``answer = x``.

    Returns '' for a key that only returns a constant (a conceptual question).
    """
    source = textwrap.dedent(inspect.getsource(func))
    tree = ast.parse(source)
    body = tree.body[0].body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]  # docstring
    if len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Constant):
        return ""
    returns = [node for node in ast.walk(tree.body[0]) if isinstance(node, ast.Return)]
    if len(returns) > 1:  # branches: show the whole function
        return source.strip()
    lines = source.splitlines()
    code = textwrap.dedent("\n".join(lines[body[0].lineno - 1 :]))
    return re.sub(r"^return (.*)$", r"answer = \1", code, flags=re.M).strip()


def format_key(q: Question, value) -> str:
    """A key as the instructor edition shows it (rounded as the question asks)."""
    if value is None:
        return "—"
    if q.kind == NUMBER:
        return f"{value:,.{q.tolerance.decimals}f}"
    if q.kind == COUNT:
        return f"{int(value):,}"
    if q.kind in (CHOICE, CHOICES):
        labels = dict(q.options)
        items = value if isinstance(value, list) else [value]
        return "; ".join(f"`{v}` ({labels[v]})" if labels[v] != v else f"`{v}`" for v in items) or "none"
    return str(value)


def solution_markdown(q: Question, data: ExerciseData) -> str:
    """The worked solution of one question on ``data``, as Markdown."""
    parts = []
    if q.auto:
        accepted = f" ({q.tolerance.phrase()})" if q.kind == NUMBER else ""
        parts.append(f"**Answer on the {data.label}:** {format_key(q, data.key(q))}{accepted}.")
    code = worked_code(q.key) if q.key is not None else ""
    if code:
        parts.append(f"```python\n{code}\n```")
    parts.append(f"**Why.** {q.explanation}")
    if q.mistakes:
        listed = "\n".join(f"- {m.hint}" for m in q.mistakes)
        parts.append(f"**Mistakes the checker recognises** (each gets its own hint):\n\n{listed}")
    if q.marking:
        parts.append(f"**Marking notes** ({q.points:g} points). {q.marking}")
    return "\n\n".join(parts)


def solution(qid: str):
    """The worked solution of ``qid`` for the instructor edition; ``None`` in any other render.

    This is the only code inside the book's solution blocks. It returns
    nothing unless the instructor profile is active, so a student render runs
    it without producing any output (see the module docstring).
    """
    if not is_instructor():
        return None
    q = question(qid)
    data = example_data()
    text = solution_markdown(q, data)
    if q.reference is not None:
        from IPython.display import display

        figure = q.reference(data)
        display(figure)
        text = f"*Reference:* {getattr(figure, 'alt', '')}\n\n" + text
    return _markdown(text)


def setup_solutions(set_name: str):
    """The instructor edition's note at the top of a set: the data and the shared steps used."""
    if not is_instructor():
        return None
    from claimstats.simulate import DEFAULT_SEED

    text = (
        f"Worked values below are computed on an example dataset, `claimstats.simulate({EXAMPLE_ROWS}, "
        f"seed={DEFAULT_SEED})`, the size of a student's; every student's own values differ. "
        "`claimstats exercises key --student ID` prints the answers for one student's dataset, and "
        "`claimstats exercises grade` marks a whole class. In the code, `d` is a dataset: `d.raw` as "
        "loaded, `d.tidy, d.report = claimstats.clean(d.raw)`"
    )
    steps = steps_of(set_name)
    if steps:
        text += ", and these steps (each computed once):\n\n"
        text += "\n\n".join(f"```python\n{textwrap.dedent(inspect.getsource(s)).strip()}\n```" for s in steps)
        text = text.replace("@step(SET)\n", "")
    else:
        text += "."
    return _markdown(text)


# ------------------------------------------------------------- chapters

def _intro(set_name: str) -> str:
    chapter = f"@sec-{set_name}"  # each PACE chapter is labelled sec-<set>
    kinds = sorted({_KIND_WORDS[q.kind] for q in questions(set_name)}, key=list(_KIND_WORDS.values()).index)
    listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
    text = (
        f"These exercises practise {chapter} on **your own dataset**: the CSV file your instructor "
        "gave you, shaped like the course file but with its own numbers, so that nobody can copy "
        f"anyone's answers. Each exercise asks you to {listed}; it says what is given, what to do "
        "and the form of the answer, and the name after **Answer** is the key to use in your answer file."
    )
    commands = (
        f"Get an answer file with `claimstats exercises template --set {set_name} --out answers.yaml`, "
        "fill it in, and check it with `claimstats exercises check answers.yaml --data my_dataset.csv`. "
        "The checker says whether each answer is correct, within tolerance or wrong (with a hint); it "
        "never shows the correct value. Written answers and figures are marked by your instructor. "
        "An answer file that already exists is never replaced: choose another `--out`, or add `--force` "
        "to start it again."
    )
    code = (
        "```python\nimport claimstats\n"
        'frame, source = claimstats.load("my_dataset.csv")  # your file\n'
        "tidy, report = claimstats.clean(frame)\n```"
    )
    return "\n\n".join([textwrap.fill(text, 100), "Start from your file, loaded and cleaned with claimstats:",
                        code, textwrap.fill(commands, 100)])


def _exercise_block(q: Question) -> str:
    lines = [f"::: {{#exr-{q.id}}}", f"## {q.title}", "", f"**Given.** {q.given}", "", f"**Task.** {q.task}", ""]
    lines.append(f"**Answer** (`{q.id}`): {q.answer_form()}")
    if q.kind in (CHOICE, CHOICES):
        lines.append("")
        lines += [f"- `{key}`: {label}" if label != key else f"- `{key}`" for key, label in q.options]
    if q.kind in AUTO_KINDS:
        lines += ["", "*Checked automatically.*"]
    else:
        lines += ["", f"*Marked by your instructor ({q.points:g} points).*"]
    lines.append(":::")
    return "\n".join(lines)


def _solution_block(q: Question) -> str:
    return textwrap.dedent(f"""\
        ::: {{.content-visible when-profile="{INSTRUCTOR_PROFILE}"}}
        ::: {{#sol-{q.id}}}
        ```{{python}}
        #| echo: false
        solution("{q.id}")
        ```
        :::
        :::""")


def chapter_text(set_name: str, edition: str = "student") -> str:
    """The ``.qmd`` of one exercise set: its questions, and in the instructor edition their solutions.

    The student edition's text has no code cell (Quarto then starts no kernel for it).

    Examples
    --------
    >>> "```{python}" in chapter_text("hypothesis"), "```{python}" in chapter_text("hypothesis", "instructor")
    (False, True)
    """
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {sorted(EDITIONS)}, got {edition!r}")
    instructor = edition == INSTRUCTOR_PROFILE
    stem, title, _ = SETS[set_name]
    blocks = [f"# Exercises: {title} {{#sec-exercises-{set_name}}}", _GENERATED.format(set=set_name)]
    if instructor:
        blocks.append("```{python}\n#| include: false\nfrom claimstats.exercises.book import setup_solutions, solution\n```")
    blocks.append(_intro(set_name).rstrip())
    if instructor:
        blocks.append(textwrap.dedent(f"""\
            ::: {{.content-visible when-profile="{INSTRUCTOR_PROFILE}"}}
            ::: {{.callout-note title="Instructor edition"}}
            ```{{python}}
            #| echo: false
            setup_solutions("{set_name}")
            ```
            :::
            :::"""))
    for q in questions(set_name):
        blocks.append(_exercise_block(q))
        if instructor:
            blocks.append(_solution_block(q))
    return "\n\n".join(blocks) + "\n"


def source_paths(folder: str | os.PathLike = "exercises") -> dict[tuple[str, str], Path]:
    """``{(set, edition): path}`` of every exercise chapter under ``folder``, in the bank's order.

    Examples
    --------
    >>> source_paths()["hypothesis", "instructor"].as_posix()
    'exercises/instructor/04-hypothesis.qmd'
    """
    return {(set_name, edition): Path(folder, sub, f"{stem}.qmd")
            for set_name, (stem, _, _) in SETS.items() if questions(set_name)
            for edition, sub in EDITIONS.items()}


def write_sources(folder: str | os.PathLike = "exercises", *, check: bool = False) -> list[str]:
    """Write every set's chapters (both editions) under ``folder``; return the paths that changed.

    The paths are relative to ``folder`` (``04-hypothesis.qmd``, ``instructor/04-hypothesis.qmd``).
    With ``check=True`` nothing is written: the list says which files are out of date.
    """
    target = Path(folder)
    if not target.is_dir():
        from claimstats.errors import ClaimstatsError

        raise ClaimstatsError(f"{target}: folder not found (run from the project root or give --dir)")
    changed = []
    for (set_name, edition), path in source_paths(target).items():
        text = chapter_text(set_name, edition)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            changed.append(path.relative_to(target).as_posix())
            if not check:
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return changed
