"""Grading a class: good, partial and malformed submissions give exactly the expected sheets."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from _cli import run
from claimstats.exercises.answers import MAX_FILE_BYTES
from claimstats.exercises.bank import AUTO_KINDS, ExerciseData, question, questions
from claimstats.exercises.checker import answer_key
from claimstats.exercises.datasets import SECRET_ENV, student_dataset
from claimstats.exercises.grader import folder_datasets, grade_directory, secret_datasets
from claimstats.exercises.template import filled_answers

SECRET = "grading-secret-for-the-tests"
SETS = "plan,inspect,hypothesis"
CHOSEN = questions(SETS)
TEXT_ANSWER = "Claims get far more views.\nThat is an association, not a cause."


def fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    return f"{value:.10g}" if isinstance(value, float) else str(value)


@pytest.fixture(scope="module")
def keys():
    return {s: answer_key(ExerciseData(student_dataset(s, SECRET.encode())), SETS) for s in ("s1", "s2", "s3", "s4", "s5")}


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory, keys):
    folder = tmp_path_factory.mktemp("submissions")
    good = dict(keys["s1"])
    (folder / "s1.yaml").write_text(
        filled_answers(good) + "plan-stakeholder: |\n  We rank reported videos.\n"
        "hyp-stakeholder: |\n" + "".join(f"  {line}\n" for line in TEXT_ANSWER.splitlines()),
        encoding="utf-8",
    )
    k2 = keys["s2"]
    (folder / "s2.yaml").write_text(
        f"plan-rows: {k2['plan-rows']}\n"
        "plan-target: verified_status\n"
        f"hyp-t-statistic: {k2['hyp-t-statistic'] + 0.015!r}\n"
        f"hyp-df: {float(k2['plan-rows'] - k2['insp-incomplete-rows'] - 2)!r}\n"
        "insp-rows-kept: many\n"
        "hyp-pvalue: 0.001\n",
        encoding="utf-8",
    )
    (folder / "S3.json").write_text(json.dumps({"hyp-decision": keys["s3"]["hyp-decision"],
                                                "insp-missing-columns": ["claim_status"]}), encoding="utf-8")
    (folder / "s4.yaml").write_text("plan-rows: [12\n", encoding="utf-8")
    (folder / "s5.yaml").write_bytes(b"# " + b"x" * MAX_FILE_BYTES)
    (folder / "s6.yaml").write_text("plan-rows: 1\n", encoding="utf-8")
    (folder / "s6.json").write_text("{}", encoding="utf-8")
    (folder / "bad name.yaml").write_text("plan-rows: 1\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a submission", encoding="utf-8")
    return folder


def expected_marks(keys) -> pd.DataFrame:
    """The sheet, row by row, from what each file was built to contain."""
    rows = []

    def add(student, q, status, answer="", feedback="", key=True):
        expected = fmt(keys[student].get(q.id)) if (key and q.kind in AUTO_KINDS) else ""
        points = "" if status == "to be marked" else ("1" if status in ("correct", "within tolerance") else "0")
        points = "0" if (status in ("not answered", "invalid") and q.kind not in AUTO_KINDS) else points
        rows.append([student, q.set, q.id, q.kind, status, points, f"{q.points:g}", answer, expected, feedback])

    for q in CHOSEN:  # 'bad name': the file name is not an id, so no dataset and no key
        add("bad name", q, "invalid", feedback="file name 'bad name.yaml' is not a student id: bad student id "
            "'bad name': use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)", key=False)
    for q in CHOSEN:  # s1: everything right, written answers waiting
        if q.kind in AUTO_KINDS:
            add("s1", q, "correct", answer=fmt(keys["s1"][q.id]))
        elif q.id == "plan-stakeholder":
            add("s1", q, "to be marked", answer="We rank reported videos.", feedback="to be marked by the instructor")
        elif q.id == "hyp-stakeholder":
            add("s1", q, "to be marked", answer=TEXT_ANSWER, feedback="to be marked by the instructor")
        else:  # left blank
            add("s1", q, "not answered")
    k2 = keys["s2"]
    partial = {
        "plan-rows": ("correct", fmt(k2["plan-rows"]), ""),
        "plan-target": ("wrong", "verified_status", question("plan-target").hint),
        "hyp-t-statistic": ("within tolerance", fmt(k2["hyp-t-statistic"] + 0.015), "accepted within ±0.02"),
        "hyp-df": ("wrong", fmt(float(k2["plan-rows"] - k2["insp-incomplete-rows"] - 2)),
                   "n₁ + n₂ − 2 is Student's df; Welch's test uses the Welch–Satterthwaite formula."),
        "insp-rows-kept": ("invalid", "", "expected a number, got 'many'"),
    }
    for q in CHOSEN:
        status, answer, feedback = partial.get(q.id, ("not answered", "", ""))
        add("s2", q, status, answer=answer, feedback=feedback)
    for q in CHOSEN:
        if q.id == "hyp-decision":
            add("s3", q, "correct", answer=keys["s3"]["hyp-decision"])
        elif q.id == "insp-missing-columns":
            add("s3", q, "wrong", answer="claim_status", feedback=q.hint)
        else:
            add("s3", q, "not answered")
    for q in CHOSEN:
        add("s4", q, "invalid", feedback="the file could not be read: not valid YAML: ")
    for q in CHOSEN:
        add("s5", q, "invalid", feedback=f"the file could not be read: the file is too large "
            f"({MAX_FILE_BYTES + 2:,} bytes; at most {MAX_FILE_BYTES:,})")
    for q in CHOSEN:
        add("s6", q, "invalid", feedback="more than one submission (s6.json, s6.yaml); keep one", key=False)
    columns = ["student", "set", "question", "kind", "status", "points", "max_points", "answer", "expected", "feedback"]
    return pd.DataFrame(rows, columns=columns)


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_grade_sheet_is_exactly_as_expected(class_folder, keys, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    out = tmp_path / "grades.csv"
    code, stdout, stderr = run(capsys, "exercises", "grade", class_folder, "--out", out, "--set", SETS)
    assert code == 0
    got, want = read(out), expected_marks(keys)
    assert list(got.columns) == list(want.columns) and len(got) == len(want) == 7 * len(CHOSEN)
    yaml_error = got["student"] == "s4"
    assert got.loc[yaml_error, "feedback"].str.startswith(want.loc[yaml_error, "feedback"].iloc[0]).all()
    got.loc[yaml_error, "feedback"] = want.loc[yaml_error, "feedback"]  # PyYAML words the rest of its message
    pd.testing.assert_frame_equal(got, want)
    assert "notes.txt: not a .yaml, .yml or .json file; skipped" in stderr
    assert "unknown question id 'hyp-pvalue'" in stderr and "Hardest questions:" in stdout


def test_totals_and_summary_per_question(class_folder, keys, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    out = tmp_path / "grades.csv"
    assert run(capsys, "exercises", "grade", class_folder, "--out", out, "--set", SETS)[0] == 0
    n_auto = sum(q.kind in AUTO_KINDS for q in CHOSEN)
    n_manual = len(CHOSEN) - n_auto
    totals = read(tmp_path / "grades_totals.csv").set_index("student")
    assert list(totals.index) == ["bad name", "s1", "s2", "s3", "s4", "s5", "s6"]
    marked_max = sum(q.points for q in CHOSEN if q.kind not in AUTO_KINDS)
    assert totals.loc["s1", ["points", "max_points", "share", "to_mark", "marked_max", "not_answered"]].tolist() == [
        str(n_auto), str(n_auto), "1.000", "2", f"{marked_max:g}", str(n_manual - 2)]
    assert totals.loc["s2", ["points", "not_answered", "invalid"]].tolist() == ["2", str(len(CHOSEN) - 5), "1"]
    assert totals.loc["s2", "problems"] == "unknown question id 'hyp-pvalue'; ignored"
    assert totals.loc["s3", "points"] == "1" and totals.loc["s4", "points"] == "0"
    assert totals.loc["s6", "invalid"] == str(len(CHOSEN)) and totals.loc["s6", "share"] == "0.000"
    assert n_manual == 3

    summary = read(tmp_path / "grades_by_question.csv").set_index("question")
    assert list(summary.index) == [q.id for q in CHOSEN]
    assert summary.loc["plan-rows", ["students", "correct", "within_tolerance", "wrong", "invalid",
                                     "share_correct"]].tolist() == ["7", "2", "0", "0", "4", f"{2 / 7:.3f}"]
    assert summary.loc["hyp-t-statistic", ["correct", "within_tolerance", "share_correct"]].tolist() == [
        "1", "1", f"{2 / 7:.3f}"]
    assert summary.loc["hyp-decision", "share_correct"] == f"{2 / 7:.3f}"
    assert summary.loc["insp-missing-columns", ["correct", "wrong"]].tolist() == ["1", "1"]
    assert summary.loc["hyp-stakeholder", ["to_mark", "share_correct"]].tolist() == ["1", ""]


def test_grading_from_dataset_files_gives_the_same_sheet(class_folder, tmp_path, keys):
    data_dir = tmp_path / "datasets"
    data_dir.mkdir()
    for student in ("s1", "s2", "s3", "s4", "s5"):
        student_dataset(student, SECRET.encode()).to_csv(data_dir / f"{student}.csv", index=False)
    by_files = grade_directory(class_folder, folder_datasets(data_dir), sets=SETS).marks
    by_secret = grade_directory(class_folder, secret_datasets(SECRET.encode()), sets=SETS).marks
    pd.testing.assert_frame_equal(by_files, by_secret)


def test_a_missing_dataset_costs_one_student_not_the_class(class_folder, tmp_path):
    data_dir = tmp_path / "some"
    data_dir.mkdir()
    student_dataset("s1", SECRET.encode()).to_csv(data_dir / "s1.csv", index=False)
    book = grade_directory(class_folder, folder_datasets(data_dir), sets=SETS)
    statuses = book.marks.groupby("student")["status"].agg(set)
    assert "correct" in statuses["s1"] and statuses["s2"] == {"invalid"}
    assert book.totals.set_index("student").loc["s2", "problems"].startswith("no dataset for this student: no dataset file")


def test_grade_refuses_bad_arguments(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    folder = tmp_path / "subs"
    folder.mkdir()
    code, _, err = run(capsys, "exercises", "grade", folder, "--out", tmp_path / "g.csv")
    assert code == 2 and "no course secret" in err
    code, _, err = run(capsys, "exercises", "grade", tmp_path / "nope", "--out", tmp_path / "g.csv", "--data-dir", folder)
    assert code == 2 and "not a folder of submissions" in err


@pytest.fixture()
def roster_folder(tmp_path, keys):
    """A class of three on the roster: s1 hands in, s2 hands in a folder, s3 nothing; x9 is not enrolled."""
    folder = tmp_path / "subs"
    folder.mkdir()
    plan = {qid: value for qid, value in keys["s1"].items() if qid.startswith("plan-")}
    (folder / "s1.yaml").write_text("student: S2\n" + filled_answers(plan) + "hyp-df: 12.5\n", encoding="utf-8")
    (folder / "s2.yaml").mkdir()
    (folder / "x9.yaml").write_text(filled_answers(plan), encoding="utf-8")
    (folder / "drafts").mkdir()  # a folder without a submission's suffix is not a submission
    roster = tmp_path / "roster.txt"
    roster.write_text("s1\ns2\ns3\n", encoding="utf-8")
    return folder, roster


def test_roster_folders_and_misnamed_files_are_reported_not_lost(roster_folder, tmp_path, capsys, monkeypatch):
    folder, roster = roster_folder
    monkeypatch.setenv(SECRET_ENV, SECRET)
    out = tmp_path / "grades.csv"
    code, _, stderr = run(capsys, "exercises", "grade", folder, "--out", out, "--set", "plan", "--roster", roster)
    assert code == 0
    plan = questions("plan")
    n_auto = sum(q.kind in AUTO_KINDS for q in plan)
    marks = read(out)
    assert marks.groupby("student", sort=False).size().to_dict() == {s: len(plan) for s in ("s1", "s2", "s3", "x9")}
    statuses = marks.groupby("student")["status"].agg(lambda s: sorted(set(s)))
    assert statuses.to_dict() == {"s1": ["correct", "not answered"], "s2": ["invalid"], "s3": ["not answered"],
                                  "x9": ["invalid"]}
    feedback = marks.groupby("student")["feedback"].agg(lambda s: sorted(set(s)))
    assert feedback["s2"] == ["s2.yaml is a folder, not an answer file"]
    assert feedback["x9"] == ["'x9' (x9.yaml) is not on the roster; check the file name"]
    assert (marks.loc[marks["student"] == "x9", "expected"] == "").all()  # no dataset made up for a stranger
    totals = read(tmp_path / "grades_totals.csv").set_index("student")
    assert totals.loc["s1", "points"] == str(n_auto)
    assert totals.loc["s1", "problems"] == ("the file says 'student: S2' but is named s1.yaml; graded as s1; "
                                           "1 answer to sets not graded here (hypothesis); ignored")
    assert totals.loc["s3", ["points", "not_answered", "problems"]].tolist() == [
        "0", str(len(plan)), "no submission in the folder"]
    assert "note: s3: no submission in the folder" in stderr and "drafts" not in stderr


def test_without_a_roster_a_folder_named_like_a_submission_still_gets_its_row(roster_folder):
    folder, _ = roster_folder
    book = grade_directory(folder, secret_datasets(SECRET.encode()), sets="plan")
    assert sorted(book.totals["student"]) == ["s1", "s2", "x9"]
    assert set(book.marks.loc[book.marks["student"] == "s2", "status"]) == {"invalid"}


def test_grade_never_writes_over_its_inputs(roster_folder, tmp_path, capsys, monkeypatch):
    folder, roster = roster_folder
    monkeypatch.setenv(SECRET_ENV, SECRET)
    before = (folder / "s1.yaml").read_bytes()
    for out in (folder / "s1.yaml", roster):
        code, _, err = run(capsys, "exercises", "grade", folder, "--out", out, "--set", "plan", "--roster", roster)
        assert code == 2 and f"{out}: refusing to overwrite the input file" in err, out
    assert (folder / "s1.yaml").read_bytes() == before and roster.read_text(encoding="utf-8") == "s1\ns2\ns3\n"
    monkeypatch.delenv(SECRET_ENV)
    data_dir = tmp_path / "datasets"
    data_dir.mkdir()
    for student in ("s1", "g_totals"):  # g.csv's totals would land on the dataset of student g_totals
        student_dataset(student, SECRET.encode()).to_csv(data_dir / f"{student}.csv", index=False)
    before = {p.name: p.read_bytes() for p in data_dir.iterdir()}
    for out in (data_dir / "s1.csv", data_dir / "g.csv"):
        code, _, err = run(capsys, "exercises", "grade", folder, "--out", out, "--data-dir", data_dir)
        assert code == 2 and "refusing to overwrite the input file" in err, out
    assert {p.name: p.read_bytes() for p in data_dir.iterdir()} == before


def test_a_data_dir_that_does_not_exist_is_an_error_not_a_class_of_zeros(roster_folder, tmp_path, capsys):
    folder, _ = roster_folder
    out = tmp_path / "grades.csv"
    code, stdout, err = run(capsys, "exercises", "grade", folder, "--out", out, "--data-dir", tmp_path / "nope")
    assert code == 2 and stdout == "" and err == f"claimstats: error: {tmp_path / 'nope'}: not a folder of datasets\n"
    assert not out.exists()
