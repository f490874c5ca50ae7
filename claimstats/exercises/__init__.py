"""Exercises for instructors: the question bank, datasets per student, the checker, the grader.

* :mod:`.bank` — every exercise as a record, with a key that calls claimstats;
* :mod:`.datasets` — a dataset per student from HMAC(course secret, student id);
* :mod:`.answers` — reading answer files safely (YAML or JSON, never executed);
* :mod:`.checker` — per-question feedback that never reveals the answer;
* :mod:`.grader` — a class's submissions to a grade sheet and a per-question summary;
* :mod:`.template` — answer templates; :mod:`.book` — the exercise chapters and the
  instructor edition's worked solutions.
"""

from claimstats.exercises.answers import Submission, parse_submission, read_submission
from claimstats.exercises.bank import SETS, ExerciseData, Question, question, questions
from claimstats.exercises.checker import CheckReport, answer_key, check_submission
from claimstats.exercises.datasets import read_secret, student_dataset, student_spec

__all__ = [
    "SETS",
    "CheckReport",
    "ExerciseData",
    "Question",
    "Submission",
    "answer_key",
    "check_submission",
    "parse_submission",
    "question",
    "questions",
    "read_secret",
    "read_submission",
    "student_dataset",
    "student_spec",
]
