"""Answer templates: a YAML file with every question id of a set, ready to fill in.

The template is generated from the question bank, so its ids, answer forms,
tolerances and options are those the checker uses. An unfilled template is a
valid submission with nothing answered.
"""

from __future__ import annotations

import re

from claimstats.exercises.bank import CHOICES, MANUAL_KINDS, SETS, questions, resolve_sets

_HEADER = """\
# claimstats exercises: answer file ({sets})
# Write each answer after its colon; leave it empty to skip a question.
#   numbers: digits only, e.g. 0.25 or 1234.5 (no % sign, no units)
#   choices: one of the words listed, e.g. recall
#   lists:   [first, second]
#   text:    keep the "|" and write your sentences on the indented lines below it
# Check your answers (you get feedback, not the answers):
#   claimstats exercises check THIS_FILE --data YOUR_DATASET.csv
# This file is read as data and never run; keep it under 1 MB.

student:
"""


def plain_text(markdown: str) -> str:
    """Markdown of the bank as plain text for a YAML comment: no backticks, references in words.

    Examples
    --------
    >>> plain_text("See @exr-hyp-which-test and `welch_t`.")
    'See exercise hyp-which-test and welch_t.'
    """
    text = re.sub(r"@exr-([a-z0-9-]+)", r"exercise \1", markdown)
    return text.replace("`", "")


def _comment(text: str, width: int = 88) -> list[str]:
    import textwrap

    return ["# " + line for line in textwrap.wrap(plain_text(text), width=width - 2)]


def answer_template(sets: str | list[str] | None = None) -> str:
    """The YAML answer template for ``sets`` (default: every set).

    Examples
    --------
    >>> text = answer_template("plan")
    >>> "plan-rows:" in text and "hyp-t-statistic" not in text
    True
    >>> from claimstats.exercises.answers import parse_submission
    >>> sub = parse_submission(text)
    >>> sub.answers, sub.problems, sub.invalid
    ({}, [], {})
    """
    names = resolve_sets(sets)
    label = "all sets" if len(names) == len(SETS) else ", ".join(names)
    lines = [_HEADER.format(sets=label)]
    current = None
    for q in questions(names):
        if q.set != current:
            current = q.set
            title = f" {SETS[q.set][1]} ({q.set}) "
            lines.append(f"# {'=' * 4}{title}{'=' * max(4, 80 - len(title))}\n")
        lines.append(f"# {q.id}: {plain_text(q.title)}")
        lines += _comment(q.task)
        lines += _comment("Answer: " + q.answer_form())
        if q.kind in MANUAL_KINDS:
            lines.append(f"{q.id}: |\n  \n")
        elif q.kind == CHOICES:
            lines.append(f"{q.id}: []\n")
        else:
            lines.append(f"{q.id}:\n")
    return "\n".join(lines)


def filled_answers(answers: dict, *, header: str = "answers") -> str:
    """An answer file holding ``answers`` (question id → value), e.g. the reference solution.

    Examples
    --------
    >>> print(filled_answers({"plan-rows": 2913, "insp-missing-columns": ["claim_status"]}), end="")
    # answers
    plan-rows: 2913
    insp-missing-columns: [claim_status]
    """
    import yaml

    lines = [f"# {header}"]
    for qid, value in answers.items():
        flow = isinstance(value, list)  # lists on one line: [a, b]
        lines.append(yaml.safe_dump({qid: value}, default_flow_style=flow, width=10_000).strip().strip("{}"))
    return "\n".join(lines) + "\n"
