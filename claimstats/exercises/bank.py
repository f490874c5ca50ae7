"""The question bank: one record per exercise, from which everything else is made.

A :class:`Question` holds the wording (what is given, the task, the form of the
answer), how an answer is marked (kind, tolerance, options), the hint a wrong
answer gets, the worked explanation and the marking notes. Its ``key`` is a
function of an :class:`ExerciseData` that *calls claimstats* to compute the
correct answer for one dataset, so the book, the command line and the checker
agree by construction.

The exercise chapters (``exercises/*.qmd``, ``exercises/instructor/*.qmd``), the answer templates and the
checker are all generated from these records (see :mod:`claimstats.exercises.book`
and :mod:`claimstats.exercises.template`), so ids, wording and tolerances
cannot drift apart.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from claimstats.errors import ClaimstatsError

# Kinds of answer. Auto-marked: NUMBER (a real number with a tolerance), COUNT
# (a whole number, exact), CHOICE (one option), CHOICES (a set of options).
# Marked by the instructor: TEXT (sentences for a stakeholder), BUILD (an
# artefact handed in: a figure or a script, named by its file name).
NUMBER, COUNT, CHOICE, CHOICES, TEXT, BUILD = "number", "count", "choice", "choices", "text", "build"
KINDS = (NUMBER, COUNT, CHOICE, CHOICES, TEXT, BUILD)
AUTO_KINDS = frozenset({NUMBER, COUNT, CHOICE, CHOICES})
MANUAL_KINDS = frozenset({TEXT, BUILD})

#: Exercise sets in PACE order: name → (chapter file stem, title, id prefix).
SETS: dict[str, tuple[str, str, str]] = {
    "plan": ("01-plan", "Plan the analysis", "plan"),
    "inspect": ("02-inspect", "Inspect and clean the data", "insp"),
    "explore": ("03-explore", "Explore the data", "expl"),
    "hypothesis": ("04-hypothesis", "Test a hypothesis", "hyp"),
    "regression": ("05-regression", "Fit a logistic regression", "reg"),
    "classifier": ("06-classifier", "Build a claim classifier", "clf"),
    "execute": ("07-execute", "Execute: triage the backlog", "exe"),
}

_ID_PATTERN = re.compile(r"^[a-z]+(-[a-z0-9]+)+$")


@dataclass(frozen=True)
class Tolerance:
    """How far a numeric answer may be from the key and still count.

    ``decimals`` is the rounding the question asks for: an answer that is the
    key rounded to that many decimals is *correct*. An answer within
    ``max(absolute, relative * |key|)`` of the key is *within tolerance*.

    Examples
    --------
    >>> tol = Tolerance(decimals=2, absolute=0.05)
    >>> tol.allowed(1.0), tol.allowed(100.0)
    (0.05, 0.05)
    >>> Tolerance(decimals=0, relative=0.01).allowed(2_000)
    20.0
    """

    decimals: int
    absolute: float = 0.0
    relative: float = 0.0

    def allowed(self, key: float) -> float:
        """The largest accepted distance from ``key``."""
        return max(self.absolute, self.relative * abs(key), 0.5 * 10.0**-self.decimals)

    def exact(self, answer: float, key: float) -> bool:
        """``answer`` is ``key`` rounded as the question asks (or more precise)."""
        return abs(answer - key) <= 0.5 * 10.0**-self.decimals * (1 + 1e-9)

    def accepted(self) -> str:
        """What else is accepted, in words ('' when only the rounding is).

        Examples
        --------
        >>> Tolerance(decimals=0, relative=0.001).accepted()
        'accepted within ±0.1% of the value'
        """
        parts = []
        if self.absolute:
            parts.append(f"±{self.absolute:g}")
        if self.relative:
            parts.append(f"±{self.relative * 100:g}% of the value")
        return f"accepted within {' or '.join(parts)}" if parts else ""

    def phrase(self) -> str:
        """The rule in words, for the question text and the template."""
        unit = "decimal" if self.decimals == 1 else "decimals"
        rounding = "a whole number" if self.decimals == 0 else f"{self.decimals} {unit}"
        accepted = self.accepted()
        return f"rounded to {rounding}" + (f"; {accepted}" if accepted else "")


@dataclass(frozen=True)
class Mistake:
    """A common wrong answer: the value it gives and the hint that fits it.

    ``value`` computes, from the same :class:`ExerciseData`, what a student who
    made this mistake would answer (e.g. the statistic on the raw data, or
    with the groups the other way round). The hint names the mistake, never
    the correct value.
    """

    value: Callable[["ExerciseData", Any], Any]
    hint: str


@dataclass(frozen=True)
class Question:
    """One exercise. See the module docstring for what each part is for."""

    id: str
    set: str
    kind: str
    title: str
    given: str
    task: str
    answer: str  # the form of the answer, in words (tolerance and options are added)
    key: Callable[["ExerciseData"], Any] | None
    hint: str
    explanation: str
    marking: str = ""
    tolerance: Tolerance | None = None
    options: tuple[tuple[str, str], ...] = ()
    mistakes: tuple[Mistake, ...] = ()
    points: float = 1.0
    # For instructor-marked questions: what a good answer looks like, computed
    # (e.g. the reference figure); shown in the instructor edition only.
    reference: Callable[["ExerciseData"], Any] | None = None

    @property
    def auto(self) -> bool:
        """Marked by the checker (True) or by the instructor (False)."""
        return self.kind in AUTO_KINDS

    def option_keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.options)

    def answer_form(self) -> str:
        """The answer's form in words, including tolerance or options."""
        text = self.answer.rstrip(".")
        if self.kind == NUMBER and self.tolerance is not None:
            text += f", {self.tolerance.phrase()}"
        elif self.kind == COUNT:
            text += " (exact)"
        elif self.kind == CHOICE:
            text += "; one of " + ", ".join(f"`{k}`" for k in self.option_keys())
        elif self.kind == CHOICES:
            text += "; a list of any of " + ", ".join(f"`{k}`" for k in self.option_keys())
        elif self.kind in MANUAL_KINDS:
            text += " (marked by the instructor)"
        return text + "."

    def validate(self) -> None:
        """Raise ``ValueError`` when the record is inconsistent (checked at import)."""
        where = f"question {self.id!r}"
        if not _ID_PATTERN.match(self.id):
            raise ValueError(f"{where}: ids are lower-case words joined by '-'")
        if self.set not in SETS or not self.id.startswith(SETS[self.set][2] + "-"):
            raise ValueError(f"{where}: must belong to a known set and start with its prefix")
        if self.kind not in KINDS:
            raise ValueError(f"{where}: unknown kind {self.kind!r}")
        if self.auto and self.key is None:
            raise ValueError(f"{where}: auto-marked questions need a key")
        if self.kind == NUMBER and self.tolerance is None:
            raise ValueError(f"{where}: numeric questions need a tolerance")
        if self.kind in (CHOICE, CHOICES) and len(self.options) < 2:
            raise ValueError(f"{where}: choice questions need at least two options")
        if self.kind in MANUAL_KINDS and not self.marking:
            raise ValueError(f"{where}: instructor-marked questions need marking notes")
        for text in (self.given, self.task, self.answer, self.hint, self.explanation):
            if not text.strip():
                raise ValueError(f"{where}: every text field must be written")


# --------------------------------------------------------------------- registry

_QUESTIONS: dict[str, Question] = {}
_STEPS: dict[str, tuple[str, Callable[["ExerciseData"], Any]]] = {}


def register(*questions: Question) -> None:
    """Add questions to the bank (each module of :mod:`.sets` calls this)."""
    for q in questions:
        q.validate()
        if q.id in _QUESTIONS:
            raise ValueError(f"question id {q.id!r} is defined twice")
        _QUESTIONS[q.id] = q


def step(set_name: str):
    """Decorator: a shared, cached computation that several keys of a set use.

    The function's name becomes an attribute of :class:`ExerciseData`
    (``data.<name>``), computed once per dataset. The instructor edition shows
    its source as the set-up of the worked solutions.
    """

    def decorate(func):
        if func.__name__ in _STEPS:
            raise ValueError(f"shared step {func.__name__!r} is defined twice")
        _STEPS[func.__name__] = (set_name, func)
        return func

    return decorate


def steps_of(set_name: str) -> list[Callable]:
    """The shared steps a set's keys use: its own and those of earlier sets, in definition order."""
    import inspect

    _load()
    used = {name for name, (s, _) in _STEPS.items() if s == set_name}
    sources = [q.key for q in questions(set_name) if q.key is not None] + [_STEPS[n][1] for n in used]
    while sources:  # follow d.<step> references, including steps that use other steps
        found = set(re.findall(r"\bd\.(\w+)", inspect.getsource(sources.pop()))) & set(_STEPS)
        sources += [_STEPS[n][1] for n in found - used]
        used |= found
    return [func for name, (_, func) in _STEPS.items() if name in used]


def _load() -> None:
    # The question modules import the analysis modules; load them on first use
    # so that `import claimstats.exercises` stays cheap.
    importlib.import_module("claimstats.exercises.sets")


def questions(sets: str | list[str] | tuple[str, ...] | None = None) -> list[Question]:
    """The questions of the given sets (``None`` or ``"all"``: every set), in book order.

    Examples
    --------
    >>> [q.id for q in questions("plan")][:2]
    ['plan-target', 'plan-costly-error']
    >>> len(questions()) >= 30
    True
    """
    _load()
    names = resolve_sets(sets)
    order = {name: i for i, name in enumerate(SETS)}
    chosen = [q for q in _QUESTIONS.values() if q.set in names]
    return sorted(chosen, key=lambda q: order[q.set])  # stable: definition order within a set


def question(qid: str) -> Question:
    """One question by id; a :class:`ClaimstatsError` naming close ids otherwise."""
    _load()
    if qid not in _QUESTIONS:
        raise ClaimstatsError(f"unknown question id {qid!r}{did_you_mean(qid, _QUESTIONS)}")
    return _QUESTIONS[qid]


def resolve_sets(sets: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Validate set names (a list, or one string with commas); ``all``/None → every set."""
    if sets is None:
        return list(SETS)
    names = [s.strip() for s in (sets.split(",") if isinstance(sets, str) else sets) if s.strip()]
    if not names or "all" in names:
        return list(SETS)
    for name in names:
        if name not in SETS:
            raise ClaimstatsError(f"unknown exercise set {name!r}; choose from: all, {', '.join(SETS)}")
    return [s for s in SETS if s in names]


def did_you_mean(word: str, choices) -> str:
    import difflib

    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ------------------------------------------------------------------ the data

class ExerciseData:
    """One dataset as the answer keys see it: raw, cleaned, and shared steps.

    ``raw`` is the frame as loaded; ``tidy`` and ``report`` come from
    :func:`claimstats.clean`. Shared steps (see :func:`step`) are attributes
    computed on first use and kept, so that the keys of a set fit a model once.

    Examples
    --------
    >>> from claimstats import simulate
    >>> data = ExerciseData(simulate(300, seed=2))
    >>> data.report.rows_in, len(data.tidy) == data.report.rows_out
    (300, True)
    """

    def __init__(self, raw: pd.DataFrame, label: str = "a dataset"):
        from claimstats.data import clean

        self.raw = raw
        self.label = label
        self.tidy, self.report = clean(raw)
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        _load()
        if name not in _STEPS:
            raise AttributeError(f"ExerciseData has no step {name!r}")
        cache = self.__dict__["_cache"]
        if name not in cache:
            cache[name] = _STEPS[name][1](self)
        return cache[name]

    def key(self, q: Question) -> Any:
        """The correct answer to ``q`` on this dataset, as a plain Python value."""
        return plain(q.key(self)) if q.key is not None else None


def plain(value: Any) -> Any:
    """NumPy scalars → Python numbers; tuples and sets of options → sorted lists."""
    if isinstance(value, (set, frozenset, tuple, list)):
        return sorted(plain(v) for v in value)
    if hasattr(value, "item"):
        return value.item()
    return value
