"""Grading a class: a folder of answer files to a grade sheet and a summary per question.

Each file is named after its student (``s123.yaml``, ``s123.yml`` or
``s123.json``); the student's dataset is rebuilt from the course secret (or
read from ``DATA_DIR/<id>.csv``) and the answers are marked as the checker
marks them. A file that cannot be read, a file name that is not a student id,
a folder where a file belongs, a student with two files or (given a roster) a
student not on the roster gets zero on every question with the reason written
beside it, and grading goes on with the next student. With a roster, a student
who handed nothing in gets a row per question too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from claimstats.errors import ClaimstatsError
from claimstats.exercises.answers import Submission, read_submission
from claimstats.exercises.bank import AUTO_KINDS, ExerciseData, question, questions, resolve_sets
from claimstats.exercises.checker import (
    BLANK,
    CORRECT,
    INVALID,
    TO_MARK,
    WITHIN,
    WRONG,
    CheckReport,
    check_submission,
    format_value,
    mark_answer,
)
from claimstats.exercises.datasets import normalise_student_id, student_dataset
from claimstats.progress import progress_bar

SUFFIXES = (".yaml", ".yml", ".json")
MARK_COLUMNS = ["student", "set", "question", "kind", "status", "points", "max_points", "answer", "expected", "feedback"]
TOTAL_COLUMNS = ["student", "points", "max_points", "share", "to_mark", "marked_max", "not_answered", "invalid", "problems"]
SUMMARY_COLUMNS = ["set", "question", "kind", "students", "correct", "within_tolerance", "wrong", "not_answered",
                   "invalid", "to_mark", "share_correct"]


@dataclass(frozen=True)
class GradeBook:
    """A class's marks: ``marks`` (one row per student and question), ``totals``
    (one row per student) and ``summary`` (one row per question, with the share
    of the class that got it right). All cells are text, as written to CSV.
    """

    marks: pd.DataFrame = field(repr=False)
    totals: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    skipped: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.marks.copy()

    def write(self, out: str | os.PathLike) -> tuple[Path, Path, Path]:
        """Write ``out`` (marks), ``<stem>_totals.csv`` and ``<stem>_by_question.csv`` beside it."""
        from claimstats.outputs import Outputs, write_rows

        paths = output_paths(out)
        with Outputs() as outputs:  # spreadsheet-safe (names and answers are the students'), all three or none
            for frame, path in zip((self.marks, self.totals, self.summary), paths):
                write_rows(frame, outputs.open(path))
        return paths

    def describe(self) -> str:
        """One sentence: class size, and the questions the class found hardest.

        Examples
        --------
        >>> empty = pd.DataFrame(columns=SUMMARY_COLUMNS)
        >>> GradeBook(pd.DataFrame(), pd.DataFrame(columns=TOTAL_COLUMNS), empty).describe()
        'Graded 0 students.'
        """
        n = len(self.totals)
        text = f"Graded {n} student{'' if n == 1 else 's'}."
        auto = self.summary[self.summary["share_correct"] != ""]
        if n and len(auto):
            hardest = auto.assign(share=auto["share_correct"].astype(float)).nsmallest(3, "share", keep="first")
            listed = ", ".join(f"{r.question} ({float(r.share):.0%} correct)" for r in hardest.itertuples())
            text += f" Hardest questions: {listed}."
        return text


def output_paths(out: str | os.PathLike) -> tuple[Path, Path, Path]:
    """The three files :meth:`GradeBook.write` writes for ``out``.

    Examples
    --------
    >>> [p.name for p in output_paths("grades.csv")]
    ['grades.csv', 'grades_totals.csv', 'grades_by_question.csv']
    """
    out = Path(out)
    return out, out.with_name(f"{out.stem}_totals.csv"), out.with_name(f"{out.stem}_by_question.csv")


def _points(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _rows(student: str, report: CheckReport) -> list[dict]:
    return [
        {"student": student, "set": m.set, "question": m.question, "kind": m.kind, "status": m.status,
         "points": _points(m.points), "max_points": _points(m.max_points), "answer": format_value(m.answer),
         "expected": format_value(m.expected), "feedback": m.message}
        for m in report.marks
    ]


def _total(student: str, report: CheckReport, problems: list[str]) -> dict:
    marked = [m for m in report.marks if m.kind not in AUTO_KINDS]
    share = report.points / report.max_points if report.max_points else 0.0
    return {
        "student": student, "points": _points(report.points), "max_points": _points(report.max_points),
        "share": f"{share:.3f}", "to_mark": str(report.to_mark),
        "marked_max": _points(float(sum(m.max_points for m in marked))),
        "not_answered": str(report.count(BLANK)), "invalid": str(report.count(INVALID)),
        "problems": "; ".join(problems),
    }


def _summary(marks: pd.DataFrame, chosen) -> pd.DataFrame:
    rows = []
    for q in chosen:
        status = marks.loc[marks["question"] == q.id, "status"]
        n = len(status)
        right = int(status.isin([CORRECT, WITHIN]).sum())
        rows.append({
            "set": q.set, "question": q.id, "kind": q.kind, "students": str(n),
            "correct": str(int((status == CORRECT).sum())), "within_tolerance": str(int((status == WITHIN).sum())),
            "wrong": str(int((status == WRONG).sum())), "not_answered": str(int((status == BLANK).sum())),
            "invalid": str(int((status == INVALID).sum())), "to_mark": str(int((status == TO_MARK).sum())),
            "share_correct": f"{right / n:.3f}" if (n and q.auto) else "",
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _failed(student: str, chosen, reason: str) -> CheckReport:
    marks = tuple(mark_answer(q, None, None, invalid=reason) for q in chosen)
    return CheckReport(student, "no dataset", marks, (reason,), readable=False)


def secret_datasets(secret: bytes) -> Callable[[str], ExerciseData]:
    """Datasets rebuilt from the course secret (the usual way)."""
    return lambda student: ExerciseData(student_dataset(student, secret), f"dataset of student {student}")


def folder_datasets(folder: str | os.PathLike) -> Callable[[str], ExerciseData]:
    """Datasets read from ``folder/<student id>.csv`` (when they were handed out as files)."""
    from claimstats.data import load

    if not Path(folder).is_dir():
        raise ClaimstatsError(f"{folder}: not a folder of datasets")

    def dataset(student: str) -> ExerciseData:
        path = Path(folder) / f"{student}.csv"
        if not path.is_file():
            raise ClaimstatsError(f"no dataset file {path}")
        return ExerciseData(load(path).frame, f"dataset {path.name}")

    return dataset


def grade_directory(
    directory: str | os.PathLike,
    dataset_for: Callable[[str], ExerciseData],
    *,
    sets: str | list[str] | None = None,
    roster: list[str] | None = None,
) -> GradeBook:
    """Mark every submission in ``directory`` against each student's dataset.

    Parameters
    ----------
    directory : path
        One answer file per student, named ``<student id>.yaml`` (or ``.yml``, ``.json``).
    dataset_for : callable
        Student id → :class:`ExerciseData`; see :func:`secret_datasets` and :func:`folder_datasets`.
    sets : str or list of str, optional
        The sets that were assigned (default: all); questions outside them are not graded.
    roster : list of str, optional
        The class's student ids (see :func:`~claimstats.exercises.datasets.read_roster`).
        A file named for anyone else gets zero with the reason (with the course
        secret any name has a dataset, so a misnamed file would otherwise be
        marked against someone else's numbers); a student on the roster without
        a file gets a row per question, not answered.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise ClaimstatsError(f"{folder}: not a folder of submissions")
    chosen = questions(resolve_sets(sets))
    names = resolve_sets(sets)
    files: dict[str, list[Path]] = {}
    skipped: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.suffix.lower() not in SUFFIXES:
            if path.is_file():
                skipped.append(f"{path.name}: not a .yaml, .yml or .json file; skipped")
            continue
        try:
            student = normalise_student_id(path.stem)
        except ClaimstatsError:
            student = path.stem
        files.setdefault(student, []).append(path)
    enrolled = None if roster is None else {normalise_student_id(s) for s in roster}

    marks: list[dict] = []
    totals: list[dict] = []
    for student in progress_bar(sorted(files.keys() | (enrolled or set())), desc="grading", unit=" students"):
        if student in files:
            report, problems = _grade_one(student, files[student], dataset_for, chosen, names, enrolled)
        else:  # on the roster, nothing handed in
            problems = ["no submission in the folder"]
            report = CheckReport(student, "no dataset", tuple(mark_answer(q, None, None) for q in chosen), tuple(problems))
        marks += _rows(student, report)
        totals.append(_total(student, report, problems))
    marks_frame = pd.DataFrame(marks, columns=MARK_COLUMNS)
    return GradeBook(marks_frame, pd.DataFrame(totals, columns=TOTAL_COLUMNS), _summary(marks_frame, chosen),
                     tuple(skipped))


def _grade_one(student, paths, dataset_for, chosen, names, enrolled) -> tuple[CheckReport, list[str]]:
    if len(paths) > 1:
        reason = f"more than one submission ({', '.join(p.name for p in paths)}); keep one"
        return _failed(student, chosen, reason), [reason]
    path = paths[0]
    try:
        normalise_student_id(path.stem)
    except ClaimstatsError as err:
        reason = f"file name {path.name!r} is not a student id: {err}"
        return _failed(student, chosen, reason), [reason]
    if enrolled is not None and student not in enrolled:
        reason = f"{student!r} ({path.name}) is not on the roster; check the file name"
        return _failed(student, chosen, reason), [reason]
    if path.is_dir():
        reason = f"{path.name} is a folder, not an answer file"
        return _failed(student, chosen, reason), [reason]
    submission: Submission = read_submission(path)
    try:
        data = dataset_for(student)
    except (ClaimstatsError, OSError) as err:
        reason = f"no dataset for this student: {err}"
        return _failed(student, chosen, reason), [reason]
    report = check_submission(submission, data, sets=names, all_keys=True)
    return report, list(submission.problems) + _notes(student, path, submission, names)


def _notes(student: str, path: Path, submission: Submission, names: list[str]) -> list[str]:
    """What the instructor should know about a readable file: a name that disagrees, answers not graded."""
    notes = []
    written = submission.meta.get("student", "").strip()
    if written and written.lower() != student:
        notes.append(f"the file says 'student: {written}' but is named {path.name}; graded as {student}")
    answered = [*submission.answers, *submission.invalid]
    outside = sorted({question(qid).set for qid in answered} - set(names))
    if outside:
        count = sum(question(qid).set not in names for qid in answered)
        notes.append(f"{count} answer{'' if count == 1 else 's'} to sets not graded here "
                     f"({', '.join(outside)}); ignored")
    return notes
