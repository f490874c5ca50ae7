"""The checker: recompute the answers from a student's dataset and mark theirs.

Feedback says *correct*, *within tolerance*, or *wrong* with a hint. A hint
names a likely mistake or the idea to revisit; it never contains the correct
value (:func:`leaks` guards that for every hint, including the hand-written
ones). Free-text and build answers are listed as *to be marked by the
instructor*; the marking notes are in the instructor edition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from claimstats.errors import ClaimstatsError
from claimstats.exercises.answers import Submission
from claimstats.exercises.bank import (
    AUTO_KINDS,
    CHOICE,
    CHOICES,
    COUNT,
    NUMBER,
    ExerciseData,
    Question,
    questions,
    resolve_sets,
)

CORRECT = "correct"
WITHIN = "within tolerance"
WRONG = "wrong"
BLANK = "not answered"
INVALID = "invalid"
TO_MARK = "to be marked"
STATUSES = (CORRECT, WITHIN, WRONG, BLANK, INVALID, TO_MARK)
_GENERIC_HINT = "not the expected answer; reread the task and the chapter section it builds on"
_WAITING = "to be marked by the instructor"


@dataclass(frozen=True)
class Mark:
    """How one answer was marked.

    ``points`` is None while an instructor-marked answer waits for marking.
    ``expected`` is the key, for the instructor's grade sheet only: the
    student-facing report never prints it.
    """

    question: str
    set: str
    kind: str
    status: str
    points: float | None
    max_points: float
    message: str = ""
    answer: Any = None
    expected: Any = field(default=None, repr=False)


def leaks(text: str, key: Any) -> bool:
    """Whether ``text`` shows the value ``key`` (as a number at usual roundings, or an option).

    Examples
    --------
    >>> leaks("use the cleaned rows", 0.4978), leaks("about 0.498 of them", 0.4978)
    (False, True)
    >>> leaks("Welch's test is robust", "welch_t"), leaks("try `welch_t`", "welch_t")
    (False, True)
    """
    if key is None:
        return False
    if isinstance(key, list):
        return any(leaks(text, k) for k in key)
    if isinstance(key, str):
        return re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text, flags=re.I) is not None
    if isinstance(key, bool):
        return False
    value = float(key)
    shown = {f"{value:g}", f"{value:.3g}", f"{value:.4g}", f"{value:,.0f}", str(key)}
    shown |= {f"{value:.{d}f}" for d in range(0, 5)} | {f"{value:,.{d}f}" for d in range(1, 3)}
    if value.is_integer():
        shown |= {f"{int(value):,}", f"{int(value)}"}
    shown = {s for s in shown if s not in {"0", "-0", "1", "-1", "0.0", "1.0"}}
    return any(re.search(rf"(?<![\d.,]){re.escape(s)}(?![\d])", text) for s in shown)


def _hint(q: Question, data: ExerciseData, answer: Any, key: Any) -> str:
    """The hint for a wrong answer: the matching common mistake, else the question's hint."""
    text = q.hint
    for mistake in q.mistakes:
        try:
            guess = mistake.value(data, key)
        except Exception:  # noqa: BLE001 - a mistake that cannot be computed here is simply not this one
            continue
        if guess is not None and _same(q, answer, guess, key):
            text = mistake.hint
            break
    return _GENERIC_HINT if leaks(text, key) else text


def _same(q: Question, answer: Any, value: Any, key: Any = None) -> bool:
    """Whether ``answer`` is ``value``: exactly, or for numbers within the question's tolerance.

    Compared with a mistaken value (``key`` given), the tolerance grows with the
    mistake's size: a share written as a percentage and rounded as the question
    asks (14.8 for 0.148) is still recognised as that mistake.
    """
    if q.kind == NUMBER:
        value = float(value)
        allowed = q.tolerance.allowed(value)
        if key:
            allowed = max(allowed, q.tolerance.allowed(float(key)) * abs(value / float(key)))
        return abs(answer - value) <= allowed
    if q.kind == CHOICES:
        return sorted(answer) == sorted(value)
    return answer == value


def mark_answer(q: Question, answer: Any, data: ExerciseData | None, *, key: Any = None, invalid: str | None = None) -> Mark:
    """Mark one normalised answer (None = blank) to ``q`` against ``key``."""
    base = dict(question=q.id, set=q.set, kind=q.kind, max_points=q.points, answer=answer, expected=key)
    if invalid is not None:
        return Mark(status=INVALID, points=0.0, message=invalid, **base)
    if answer is None:
        return Mark(status=BLANK, points=0.0, **base)
    if not q.auto:
        return Mark(status=TO_MARK, points=None, message=_WAITING, **base)
    if q.kind == NUMBER:
        if q.tolerance.exact(answer, key):
            return Mark(status=CORRECT, points=q.points, **base)
        if abs(answer - key) <= q.tolerance.allowed(key):
            return Mark(status=WITHIN, points=q.points, message=q.tolerance.accepted() or "accepted", **base)
    elif q.kind in (COUNT, CHOICE, CHOICES) and _same(q, answer, key):
        return Mark(status=CORRECT, points=q.points, **base)
    return Mark(status=WRONG, points=0.0, message=_hint(q, data, answer, key), **base)


@dataclass(frozen=True)
class CheckReport:
    """Every mark of one submission, with file-level problems.

    ``describe()`` is the student's summary line; ``lines()`` the full
    feedback (no correct values); ``to_frame(expected=True)`` adds the keys
    for an instructor.
    """

    source: str
    dataset: str
    marks: tuple[Mark, ...]
    problems: tuple[str, ...] = ()
    readable: bool = True

    @property
    def points(self) -> float:
        """Points on the auto-marked questions."""
        return float(sum(m.points or 0.0 for m in self.marks if m.kind in AUTO_KINDS))

    @property
    def max_points(self) -> float:
        """Points available on the auto-marked questions."""
        return float(sum(m.max_points for m in self.marks if m.kind in AUTO_KINDS))

    @property
    def to_mark(self) -> int:
        return sum(m.status == TO_MARK for m in self.marks)

    def count(self, *statuses: str) -> int:
        return sum(m.status in statuses for m in self.marks)

    def to_frame(self, *, expected: bool = False) -> pd.DataFrame:
        rows = []
        for m in self.marks:
            row = {"set": m.set, "question": m.question, "kind": m.kind, "status": m.status,
                   "points": m.points, "max_points": m.max_points, "feedback": m.message}
            if expected:
                row |= {"answer": format_value(m.answer), "expected": format_value(m.expected)}
            rows.append(row)
        return pd.DataFrame(rows)

    def describe(self) -> str:
        """One sentence: the score on auto-marked questions and what waits for the instructor.

        Examples
        --------
        >>> m = Mark("plan-rows", "plan", "count", CORRECT, 1.0, 1.0)
        >>> CheckReport("a.yaml", "a dataset", (m,)).describe()
        'a.yaml: 1 of 1 auto-marked points (100%); 0 answers to be marked by the instructor.'
        """
        if not self.readable:
            return f"{self.source}: could not be read ({'; '.join(self.problems)}); 0 points."
        share = self.points / self.max_points if self.max_points else 0.0
        waiting = self.to_mark
        return (
            f"{self.source}: {self.points:g} of {self.max_points:g} auto-marked points ({share:.0%}); "
            f"{waiting} answer{'' if waiting == 1 else 's'} to be marked by the instructor."
        )

    def lines(self) -> list[str]:
        """The student's feedback, one line per question, grouped by set."""
        out = [f"Checked {self.source} against the {self.dataset}."]
        out += [f"note: {p}" for p in self.problems]
        width = max((len(m.question) for m in self.marks), default=10)
        current = None
        for m in self.marks:
            if m.set != current:
                current = m.set
                out.append(f"\n[{current}]")
            detail = f" — {m.message}" if m.message and m.message != _WAITING else ""
            status = "to be marked by the instructor" if m.status == TO_MARK else m.status
            out.append(f"  {m.question:<{width}}  {status}{detail}")
        out.append("")
        out.append(self.describe())
        return out


def format_value(value: Any) -> str:
    """An answer or key as text for a CSV cell: numbers to 10 significant digits, lists with ', '."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def check_submission(
    submission: Submission,
    data: ExerciseData,
    *,
    sets: str | list[str] | None = None,
    dataset: str | None = None,
    all_keys: bool = False,
) -> CheckReport:
    """Mark a parsed submission against the keys computed on ``data``.

    ``sets`` limits the questions (default: the sets the file answers, or all
    of them when it answers none). Keys are computed for the answered
    auto-marked questions only, or for all of them with ``all_keys`` (the
    grader's sheet shows every expected value to the instructor).
    """
    chosen = questions(resolve_sets(sets) if sets is not None else (submission.answered_sets() or None))
    label = dataset or data.label
    if not submission.readable:
        why = "; ".join(submission.problems)
        marks = tuple(
            mark_answer(q, None, data, key=_key(q, data)[0] if (all_keys and q.auto) else None,
                        invalid=f"the file could not be read: {why}")
            for q in chosen
        )
        return CheckReport(submission.source, label, marks, tuple(submission.problems), readable=False)
    marks = []
    for q in chosen:
        answer = submission.answers.get(q.id)
        needed = q.auto and (all_keys or (answer is not None and q.id not in submission.invalid))
        key, failure = _key(q, data) if needed else (None, None)
        if failure:  # an analysis refused this dataset: a person must look
            marks.append(Mark(q.id, q.set, q.kind, TO_MARK, None, q.points, f"the answer could not be computed "
                              f"on this dataset ({failure})", answer))
            continue
        marks.append(mark_answer(q, answer, data, key=key, invalid=submission.invalid.get(q.id)))
    return CheckReport(submission.source, label, tuple(marks), tuple(submission.problems))


def _key(q: Question, data: ExerciseData) -> tuple[Any, str | None]:
    """``(key, None)``, or ``(None, why)`` when the analysis cannot run on this dataset.

    Any failure is caught: a dataset the analyses were not written for (one
    class only, a handful of rows) costs its owner the questions it breaks, not
    the rest of their file or the rest of the class.
    """
    try:
        return data.key(q), None
    except Exception as err:  # noqa: BLE001 - see the docstring
        return None, (str(err) if isinstance(err, ClaimstatsError) else f"{type(err).__name__}: {err}")


def answer_key(data: ExerciseData, sets: str | list[str] | None = None) -> dict[str, Any]:
    """The correct answer of every auto-marked question of ``sets`` on ``data``.

    Examples
    --------
    >>> from claimstats import simulate
    >>> key = answer_key(ExerciseData(simulate(400, seed=3)), "plan")
    >>> key["plan-rows"], key["plan-target"]
    (400, 'claim_status')
    """
    return {q.id: data.key(q) for q in questions(sets) if q.auto}
