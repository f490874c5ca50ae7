"""Exercise verbs: ``claimstats exercises dataset|template|check|key|grade|sources``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from claimstats.cli._common import check_output_path, print_table
from claimstats.errors import ClaimstatsError

_SETS_HELP = "exercise set(s): all, or a comma-separated list of plan, inspect, explore, hypothesis, " \
             "regression, classifier, execute"


def register(verbs) -> None:
    parser = verbs.add_parser(
        "exercises", help="datasets per student, answer templates, the checker and bulk grading",
        description="Exercises for a class: make each student's dataset, hand out answer templates, "
        "check answers (feedback without the answers) and grade a folder of submissions.",
    )
    sub = parser.add_subparsers(dest="exercises_verb", metavar="STEP", required=True)

    p = sub.add_parser("dataset", help="write a student's dataset (needs the course secret)",
                       description="Write the dataset of one student (--student/--out) or of every "
                       "student listed in a roster file (--roster/--out-dir, one id per line).")
    p.add_argument("--student", help="student id, e.g. s123")
    p.add_argument("--out", help="CSV file to write (with --student)")
    p.add_argument("--roster", help="text file with one student id per line")
    p.add_argument("--out-dir", help="folder for <id>.csv files (with --roster; made if absent)")
    _secret_option(p)
    p.set_defaults(func=run_dataset)

    p = sub.add_parser("template", help="write an answer template (YAML)",
                       description="Print (or write) the YAML answer file students fill in.")
    p.add_argument("--set", default="all", help=_SETS_HELP + " (default: all)")
    p.add_argument("--out", help="file to write (default: print); an existing file is kept unless --force")
    _force_option(p)
    p.set_defaults(func=run_template)

    p = sub.add_parser("check", help="feedback on an answer file (never the answers)",
                       description="Recompute the answers from the student's dataset and say, per "
                       "question, correct / within tolerance / wrong with a hint. Free-text answers "
                       "are left to the instructor.")
    p.add_argument("answers", help="the student's answer file (.yaml or .json)")
    _data_options(p)
    p.add_argument("--set", help=_SETS_HELP + " (default: the sets the file answers)")
    p.add_argument("--json", action="store_true", help="print the feedback as JSON")
    p.set_defaults(func=run_check)

    p = sub.add_parser("key", help="the reference answers for a student (instructors)",
                       description="Write a filled answer file with the correct answers for one "
                       "student's dataset: the reference solution of the auto-marked questions.")
    _data_options(p)
    p.add_argument("--set", default="all", help=_SETS_HELP + " (default: all)")
    p.add_argument("--out", help="file to write (default: print); an existing file is kept unless --force")
    _force_option(p)
    p.set_defaults(func=run_key)

    p = sub.add_parser("grade", help="grade a folder of submissions (instructors)",
                       description="Mark every <student id>.yaml/.yml/.json in a folder; write one row per "
                       "student and question, <out>_totals.csv and <out>_by_question.csv; print the "
                       "share of the class that got each question right.")
    p.add_argument("submissions", help="folder of answer files named after the students")
    p.add_argument("--out", required=True, help="CSV file for the marks, e.g. grades.csv; existing sheets "
                   "(which may hold points you filled in) are kept unless --force")
    p.add_argument("--set", default="all", help=_SETS_HELP + " (default: all)")
    p.add_argument("--data-dir", help="read datasets from DIR/<id>.csv instead of the course secret")
    p.add_argument("--roster", help="text file with one student id per line: files named for anyone else "
                   "get zero, and students without a file are listed")
    _secret_option(p)
    _force_option(p)
    p.set_defaults(func=run_grade)

    p = sub.add_parser("sources", help="regenerate the exercise chapters from the question bank (authors)",
                       description="Write exercises/NN-<set>.qmd from the question bank, or with "
                       "--check only report whether the files are up to date.")
    p.add_argument("--dir", default="exercises", help="folder of the exercise chapters (default: exercises)")
    p.add_argument("--check", action="store_true", help="exit 1 when a file differs from the bank")
    p.set_defaults(func=run_sources)


def _secret_option(p) -> None:
    p.add_argument("--secret-file", help="file holding the course secret (default: $CLAIMSTATS_COURSE_SECRET)")


def _force_option(p) -> None:
    p.add_argument("--force", action="store_true", help="replace files that already exist")


def _refuse_to_replace(out, force: bool, what: str) -> None:
    """Refuse to write over an existing file, unless ``force``: it may hold work (answers, marks)."""
    if not force and Path(out).is_file():
        raise ClaimstatsError(f"{out}: already exists and may hold {what}; give --force to replace it, "
                              "or choose another --out")


def _data_options(p) -> None:
    p.add_argument("--data", help="the dataset file the student was given")
    p.add_argument("--student", help="student id; the dataset is rebuilt from the course secret")
    _secret_option(p)


def _exercise_data(args):
    """The dataset named by --data or --student, as the keys see it, with a label."""
    from claimstats.exercises.bank import ExerciseData

    if bool(args.data) == bool(args.student):
        raise ClaimstatsError("give either --data FILE (the dataset you were given) or --student ID (instructors)")
    if args.data:
        from claimstats.data import load

        frame, _ = load(args.data)
        return ExerciseData(frame, f"dataset {args.data}")
    from claimstats.exercises.datasets import read_secret, student_dataset, student_spec

    secret = read_secret(args.secret_file)
    spec = student_spec(args.student, secret)
    return ExerciseData(student_dataset(spec.student, secret), spec.describe())


def run_dataset(args) -> int:
    from claimstats.exercises.datasets import read_roster, read_secret, write_student_dataset

    if args.roster:
        if args.student or args.out or not args.out_dir:
            raise ClaimstatsError("--roster goes with --out-dir (not --student/--out)")
        folder = Path(args.out_dir)
        if folder.exists() and not folder.is_dir():
            raise ClaimstatsError(f"{folder}: is a file; --out-dir names a folder (made if absent)")
        ids = read_roster(args.roster)
        secret = read_secret(args.secret_file)
        folder.mkdir(parents=True, exist_ok=True)
        for student in ids:  # the roster and the secret are never written over
            check_output_path(str(folder / f"{student}.csv"), args.roster, args.secret_file)
        from claimstats.progress import progress_bar

        for student in progress_bar(ids, desc="datasets", unit=" students"):
            spec = write_student_dataset(student, secret, folder / f"{student}.csv")
            print(f"{student}: {spec.rows:,} rows")
        print(f"wrote {len(ids)} datasets to {folder}", file=sys.stderr)
        return 0
    if not (args.student and args.out) or args.out_dir:
        raise ClaimstatsError("give --student ID and --out FILE (or --roster FILE and --out-dir DIR)")
    out = check_output_path(args.out, args.secret_file)
    spec = write_student_dataset(args.student, read_secret(args.secret_file), out)
    print(f"wrote the {spec.describe()} ({spec.rows:,} rows) to {out}")
    return 0


def run_template(args) -> int:
    from claimstats.exercises.template import answer_template

    return _emit(answer_template(args.set), args.out, "the answer template", args.force)


def _emit(text: str, out: str | None, what: str, force: bool) -> int:
    """Print ``text``, or write it to ``out`` (kept if it exists, unless ``force``) and say so on stderr."""
    if not out:
        print(text, end="")
        return 0
    from claimstats.outputs import atomic_path

    target = check_output_path(out)
    _refuse_to_replace(target, force, "answers")
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
    print(f"wrote {what} to {target}", file=sys.stderr)
    return 0


def run_check(args) -> int:
    from claimstats.exercises.answers import read_submission
    from claimstats.exercises.checker import check_submission

    submission = read_submission(args.answers)
    if not submission.readable:
        raise ClaimstatsError(f"{args.answers}: {'; '.join(submission.problems)}")
    report = check_submission(submission, _exercise_data(args), sets=args.set)
    if args.json:
        print(json.dumps({"summary": report.describe(), "problems": list(report.problems),
                          "results": report.to_frame().to_dict(orient="records")}, indent=2))
        return 0
    print("\n".join(report.lines()))
    return 0


def run_key(args) -> int:
    from claimstats.exercises.checker import answer_key
    from claimstats.exercises.template import filled_answers

    if args.out:
        check_output_path(args.out, args.data, args.secret_file)
        _refuse_to_replace(args.out, args.force, "answers")
    data = _exercise_data(args)
    text = filled_answers(answer_key(data, args.set), header=f"reference answers for the {data.label}")
    return _emit(text, args.out, "the reference answers", args.force)


def run_grade(args) -> int:
    from claimstats.exercises.datasets import read_roster, read_secret
    from claimstats.exercises.grader import folder_datasets, grade_directory, output_paths, secret_datasets

    inputs = [p for folder in (args.submissions, args.data_dir) if folder and Path(folder).is_dir()
              for p in Path(folder).iterdir()]
    check_output_path(args.out)  # before output_paths: an empty name has no stem to name the others by
    for path in output_paths(args.out):
        check_output_path(str(path), args.roster, args.secret_file, *inputs)
        _refuse_to_replace(path, args.force, "marks you filled in")
    out = Path(args.out)
    roster = read_roster(args.roster) if args.roster else None
    if args.data_dir:
        if args.secret_file:
            raise ClaimstatsError("give --data-dir or --secret-file, not both")
        datasets = folder_datasets(args.data_dir)
    else:
        datasets = secret_datasets(read_secret(args.secret_file))
    book = grade_directory(args.submissions, datasets, sets=args.set, roster=roster)
    paths = book.write(out)
    for note in book.skipped:
        print(f"note: {note}", file=sys.stderr)
    problems = book.totals.loc[book.totals["problems"] != "", ["student", "problems"]]
    for row in problems.itertuples(index=False):
        print(f"note: {row.student}: {row.problems}", file=sys.stderr)
    print_table(book.summary[["question", "kind", "students", "correct", "within_tolerance", "wrong",
                              "not_answered", "invalid", "to_mark", "share_correct"]],
                title="Share of the class with each question right:")
    print(book.describe())
    print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
    return 0


def run_sources(args) -> int:
    from claimstats.exercises.book import write_sources

    changed = write_sources(args.dir, check=args.check)
    if args.check:
        if changed:
            print("out of date: " + ", ".join(changed))
            return 1
        print("exercise chapters are up to date")
        return 0
    print(f"wrote {len(changed)} chapter(s) to {args.dir}" + (": " + ", ".join(changed) if changed else ""))
    return 0
