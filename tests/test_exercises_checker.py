"""The checker: reference answers pass, wrong ones get a hint that never shows the answer, bad files are data."""

from __future__ import annotations

import json

import pytest

from _cli import run
from claimstats.exercises.answers import MAX_FILE_BYTES, parse_submission, read_submission
from claimstats.exercises.bank import CHOICE, CHOICES, COUNT, NUMBER, ExerciseData, question, questions
from claimstats.exercises.checker import (
    BLANK,
    CORRECT,
    TO_MARK,
    WITHIN,
    WRONG,
    answer_key,
    check_submission,
)
from claimstats.exercises.datasets import student_dataset
from claimstats.exercises.template import answer_template, filled_answers

SECRET = b"test-course-secret-0123456789"
STUDENTS = ("s101", "s202", "ana.lopez")


@pytest.fixture(scope="module")
def datasets():
    return {s: ExerciseData(student_dataset(s, SECRET), f"dataset of {s}") for s in STUDENTS}


@pytest.fixture(scope="module")
def keys(datasets):
    return {s: answer_key(d) for s, d in datasets.items()}


def shown_forms(value) -> set[str]:
    """How a value could appear in a message (written independently of checker.leaks)."""
    if isinstance(value, list):
        return set().union(*(shown_forms(v) for v in value))
    if isinstance(value, str):
        return {value}
    forms = {f"{value:.{d}f}" for d in range(5)} | {f"{value:,.0f}", repr(value), f"{value:g}"}
    return {f for f in forms if len(f.strip("-0.,")) >= 2}  # '0', '1' are in too many words


def wrong_answer(q, value):
    """A wrong answer of the right type that matches none of the question's common mistakes."""
    if q.kind == NUMBER:
        return value * 3 + 17.25
    if q.kind == COUNT:
        return value + 7
    if q.kind == CHOICE:
        mistaken = {m.value(None, value) for m in q.mistakes}
        others = [k for k in q.option_keys() if k != value and k not in mistaken]
        return (others or [k for k in q.option_keys() if k != value])[0]
    if q.kind == CHOICES:
        return sorted(set(q.option_keys()) - set(value))[:1] or [q.option_keys()[0]]
    raise AssertionError(q.kind)


@pytest.mark.parametrize("student", STUDENTS)
def test_reference_answers_pass_for_every_student(student, datasets, keys):
    text = filled_answers(keys[student], header=f"reference answers for {student}")
    submission = parse_submission(text)
    assert submission.readable and not submission.problems and not submission.invalid
    report = check_submission(submission, datasets[student], sets="all")
    auto = [m for m in report.marks if m.kind in (NUMBER, COUNT, CHOICE, CHOICES)]
    assert auto and all(m.status == CORRECT for m in auto), [(m.question, m.status) for m in auto if m.status != CORRECT]
    assert report.points == report.max_points == len(auto)
    assert {m.status for m in report.marks if m not in auto} == {BLANK}


def test_wrong_answers_fail_with_a_hint_that_never_shows_the_answer(datasets, keys):
    student = STUDENTS[0]
    answers = {qid: wrong_answer(question(qid), value) for qid, value in keys[student].items()}
    report = check_submission(parse_submission(filled_answers(answers)), datasets[student], sets="all")
    for mark in report.marks:
        if mark.question not in answers:
            continue
        assert mark.status == WRONG and mark.points == 0, mark.question
        assert mark.message, f"{mark.question}: no hint"
        forms = shown_forms(keys[student][mark.question])
        assert not any(f in mark.message for f in forms), f"{mark.question}: hint {mark.message!r} shows the answer"
        q = question(mark.question)
        assert mark.message in {q.hint, *(m.hint for m in q.mistakes)}
    printed = "\n".join(report.lines())
    for qid, value in keys[student].items():
        if question(qid).kind in (NUMBER, COUNT):
            assert not any(f in printed for f in shown_forms(value) if len(f) >= 4), qid


def test_common_mistakes_get_their_own_hint(datasets, keys):
    student = STUDENTS[1]
    key = keys[student]
    data = datasets[student]
    welch = question("hyp-t-statistic")
    cases = {
        "hyp-t-statistic": -key["hyp-t-statistic"],  # groups reversed
        "hyp-df": float(len(data.tidy) - 2),  # Student's df
        "insp-rows-kept": len(data.raw),  # before cleaning
        "expl-banned-share": 100 * key["expl-banned-share"],  # a percentage
        "reg-odds-ratio": 1 / key["reg-odds-ratio"],  # claim vs opinion
        "hyp-which-test": "paired_t",
    }
    report = check_submission(parse_submission(filled_answers(cases)), data, sets="all")
    hints = {m.question: m.message for m in report.marks if m.question in cases}
    assert all(m.status == WRONG for m in report.marks if m.question in cases)
    assert "order of the groups" in hints["hyp-t-statistic"] and hints["hyp-t-statistic"] != welch.hint
    assert "Welch–Satterthwaite" in hints["hyp-df"] and "Student" in hints["hyp-df"]
    assert "before cleaning" in hints["insp-rows-kept"]
    assert "not a percentage" in hints["expl-banned-share"]
    assert "reference" in hints["reg-odds-ratio"]
    assert "same unit" in hints["hyp-which-test"]


def test_rounding_and_tolerance(datasets, keys):
    student = STUDENTS[2]
    t = keys[student]["hyp-t-statistic"]  # 2 decimals asked, ±0.02 accepted
    rounded, near, far = round(t, 2), t + 0.015, t + 0.05
    for value, status in ((rounded, CORRECT), (near, WITHIN), (far, WRONG)):
        report = check_submission(parse_submission(f"hyp-t-statistic: {value!r}\n"), datasets[student])
        assert report.marks[[m.question for m in report.marks].index("hyp-t-statistic")].status == status, value
    only = [m.question for m in report.marks]
    assert only == [q.id for q in questions("hypothesis")], "feedback covers the sets the file answers"


def test_two_students_get_different_datasets_and_answers(datasets, keys):
    a, b = STUDENTS[:2]
    assert not datasets[a].raw.equals(datasets[b].raw)
    numeric = [qid for qid in keys[a] if question(qid).kind == NUMBER]
    assert all(keys[a][q] != keys[b][q] for q in numeric)
    report = check_submission(parse_submission(filled_answers(keys[a])), datasets[b], sets="all")
    accepted = [m.question for m in report.marks if m.question in numeric and m.status in (CORRECT, WITHIN)]
    assert len(accepted) <= len(numeric) // 4, f"{a}'s numbers pass for {b}: {accepted}"
    counts = [qid for qid in keys[a] if question(qid).kind == COUNT and keys[a][qid] != keys[b][qid]]
    assert len(counts) >= 3


def test_text_and_build_answers_wait_for_the_instructor(datasets):
    sub = parse_submission("plan-stakeholder: |\n  We rank reported videos.\n  Moderators review the top.\n"
                           "expl-views-figure: views.png\n")
    report = check_submission(sub, datasets[STUDENTS[0]], sets="plan,explore")
    marks = {m.question: m for m in report.marks}
    assert marks["plan-stakeholder"].status == TO_MARK and marks["plan-stakeholder"].points is None
    assert marks["plan-stakeholder"].answer == "We rank reported videos.\nModerators review the top."
    assert marks["expl-views-figure"].status == TO_MARK
    assert report.to_mark == 2 and "2 answers to be marked by the instructor" in report.describe()
    assert "to be marked by the instructor" in "\n".join(report.lines())


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    "text, qid, message",
    [
        ("plan-rows: lots\n", "plan-rows", "expected a number, got 'lots'"),
        ("plan-rows: 12.5\n", "plan-rows", "expected a whole number, got 12.5"),
        ("plan-rows: yes\n", "plan-rows", "expected a number, got 'yes'"),
        ("hyp-t-statistic: [1, 2]\n", "hyp-t-statistic", "expected a number, got a list"),
        ("hyp-t-statistic: 45%\n", "hyp-t-statistic", "without '%'"),
        ("hyp-t-statistic: .nan\n", "hyp-t-statistic", "expected a finite number"),
        ("plan-metric: f1\n", "plan-metric", "'f1' is not an option; choose from: accuracy, precision, recall"),
        ("plan-metric: {a: 1}\n", "plan-metric", "expected one of the options, got a mapping"),
        ("plan-stakeholder: [a, b]\n", "plan-stakeholder", "expected text, got a list"),
        ("plan-stakeholder: " + "x" * 6000 + "\n", "plan-stakeholder", "too long"),
        ("plan-rows: 1\nplan-rows: 2\n", "plan-rows", "answered more than once"),
    ],
)
def test_wrong_types_are_refused_with_a_message(text, qid, message):
    sub = parse_submission(text)
    assert sub.readable and qid not in sub.answers
    assert message in sub.invalid[qid]


def test_lenient_where_unambiguous():
    sub = parse_submission("plan-rows: '2,913'\nhyp-t-statistic: ' 3.5 '\nplan-metric: Recall\n"
                           "insp-missing-columns: claim_status, video_view_count\nhyp-decision: [reject]\n")
    assert sub.answers == {"plan-rows": 2913, "hyp-t-statistic": 3.5, "plan-metric": "recall",
                           "insp-missing-columns": ["claim_status", "video_view_count"], "hyp-decision": "reject"}
    assert parse_submission("hyp-t-statistic: '0,35'\n").invalid["hyp-t-statistic"].startswith("expected a number")


@pytest.mark.parametrize(
    "raw, problem",
    [
        (b"plan-rows: [1, 2\n", "not valid YAML"),
        (b"- plan-rows\n- 3\n", "got a list"),
        (b"a: &x [1, 2]\nb: *x\n", "aliases (*name) are not allowed"),
        (b"plan-rows: \xff\xfe\n", "not UTF-8"),
        (b"!!python/object/apply:os.system ['echo hi']\n", "not valid YAML"),
        (b"x" * (MAX_FILE_BYTES + 1), "too large"),
    ],
)
def test_malformed_files_are_reported_not_executed(raw, problem):
    sub = parse_submission(raw)
    assert not sub.readable and sub.answers == {}
    assert problem in sub.problems[0]


def test_json_submissions_and_unknown_ids():
    sub = parse_submission(json.dumps({"plan-rows": 10, "plan-rowz": 3, "student": "s1"}), as_json=True)
    assert sub.answers == {"plan-rows": 10} and sub.meta == {"student": "s1"}
    assert sub.problems == ["unknown question id 'plan-rowz' (did you mean 'plan-rows'?); ignored"]
    assert not parse_submission("{plan-rows: 1", as_json=True).readable


def test_huge_file_on_disk_is_not_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 10))
    sub = read_submission(path)
    assert not sub.readable and "too large" in sub.problems[0]


def test_an_empty_template_is_a_valid_submission_with_nothing_answered():
    for sets in ("all", "hypothesis", "plan,regression"):
        sub = parse_submission(answer_template(sets))
        assert sub.readable and sub.answers == {} and sub.invalid == {} and sub.problems == []
    text = answer_template("hypothesis")
    for q in questions("hypothesis"):
        assert f"\n{q.id}:" in text
    assert "plan-rows" not in text


# ------------------------------------------------------------------ the command line


@pytest.fixture(scope="module")
def student_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("student")
    data = folder / "s101.csv"
    student_dataset("s101", SECRET).to_csv(data, index=False)
    return data


def test_cli_check_with_the_data_file_matches_the_secret(student_file, keys, capsys, monkeypatch, tmp_path):
    answers = tmp_path / "answers.yaml"
    key = keys["s101"]
    wrong = dict(key, **{"hyp-t-statistic": key["hyp-t-statistic"] + 1, "plan-rows": key["plan-rows"] + 1})
    answers.write_text(filled_answers(wrong), encoding="utf-8")
    code, by_file, err = run(capsys, "exercises", "check", answers, "--data", student_file)
    assert code == 0 and err == ""
    assert "hyp-t-statistic" in by_file and "wrong" in by_file
    assert f"{len(key) - 2} of {len(key)} auto-marked points" in by_file
    for value in (key["hyp-t-statistic"], key["plan-rows"]):
        assert not any(f in by_file for f in shown_forms(value) if len(f) >= 4)
    monkeypatch.setenv("CLAIMSTATS_COURSE_SECRET", SECRET.decode())
    code, by_secret, _ = run(capsys, "exercises", "check", answers, "--student", "S101")
    assert code == 0
    assert by_file.split("\n", 1)[1] == by_secret.split("\n", 1)[1]  # same marks, whichever way the data came
    code, out, _ = run(capsys, "exercises", "check", answers, "--data", student_file, "--json", "--set", "plan")
    payload = json.loads(out)
    assert {r["question"] for r in payload["results"]} == {q.id for q in questions("plan")}
    assert "expected" not in out


def test_cli_check_refuses_unreadable_files_and_missing_data(tmp_path, capsys, student_file):
    bad = tmp_path / "bad.yaml"
    bad.write_text("plan-rows: [1,\n", encoding="utf-8")
    code, _, err = run(capsys, "exercises", "check", bad, "--data", student_file)
    assert code == 2 and "not valid YAML" in err and err.count("\n") == 1
    good = tmp_path / "good.yaml"
    good.write_text("plan-rows: 3\n", encoding="utf-8")
    code, _, err = run(capsys, "exercises", "check", good)
    assert code == 2 and "either --data FILE" in err


def test_cli_template_and_key(tmp_path, capsys, monkeypatch, keys):
    code, out, _ = run(capsys, "exercises", "template", "--set", "regression")
    assert code == 0 and out == answer_template("regression")
    monkeypatch.setenv("CLAIMSTATS_COURSE_SECRET", SECRET.decode())
    target = tmp_path / "key.yaml"
    code, _, _ = run(capsys, "exercises", "key", "--student", "s101", "--set", "hypothesis", "--out", target)
    sub = read_submission(target)
    assert code == 0 and sub.answers == {k: v for k, v in keys["s101"].items() if k.startswith("hyp-")}


def test_a_key_the_analysis_refuses_goes_to_the_instructor(datasets, monkeypatch):
    from claimstats.errors import ClaimstatsError

    data = datasets[STUDENTS[0]]

    def refuse(q):
        raise ClaimstatsError("outcome has one level")

    monkeypatch.setattr(data, "key", refuse)
    report = check_submission(parse_submission("reg-odds-ratio: 2.5\n"), data)
    mark = next(m for m in report.marks if m.question == "reg-odds-ratio")
    assert mark.status == TO_MARK and mark.points is None and "outcome has one level" in mark.message


@pytest.mark.parametrize("as_json", [False, True])
def test_a_number_too_long_for_python_is_a_malformed_file_not_a_crash(as_json):
    digits = "9" * 5_000  # Python refuses to turn more than 4,300 digits into an int
    raw = f'{{"plan-rows": {digits}}}' if as_json else f"plan-rows: {digits}\n"
    sub = parse_submission(raw, as_json=as_json)
    assert not sub.readable and sub.answers == {}
    assert sub.problems[0].startswith(f"not valid {'JSON' if as_json else 'YAML'}: ")


@pytest.mark.parametrize(
    "text, qid, answer",
    [
        ("plan-rows: 0123\n", "plan-rows", 123),  # YAML 1.1 would read octal: 83
        ("plan-rows: 0o17\n", "plan-rows", None),  # not a decimal number: refused, not read as 15
        ("plan-rows: 0x1F\n", "plan-rows", None),
        ("plan-stakeholder: 0123\n", "plan-stakeholder", "0123"),
        ("hyp-df: 1:30\n", "hyp-df", None),  # YAML 1.1 would read base 60: 90
        ("hyp-df: 1:30.5\n", "hyp-df", None),
        ("hyp-df: 297.6\n", "hyp-df", 297.6),
        ("hyp-df: 1e3\n", "hyp-df", 1000.0),
        ("hyp-df: -.5\n", "hyp-df", -0.5),
        ("plan-rows: 1_000\n", "plan-rows", 1000),
    ],
)
def test_numbers_are_read_as_the_student_wrote_them(text, qid, answer):
    sub = parse_submission(text)
    assert sub.readable and sub.answers.get(qid) == answer
    if answer is None:
        assert sub.invalid[qid].startswith("expected a number")
    assert type(sub.answers.get(qid)) is type(answer)


def test_yaml_errors_name_the_file_not_a_string(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("plan-rows: [1, 2\n", encoding="utf-8")
    problem = read_submission(path).problems[0]
    assert f'in "{path}", line 1, column 12' in problem and "<unicode string>" not in problem


def test_cli_check_on_a_folder_says_so(tmp_path, capsys, student_file):
    folder = tmp_path / "answers.yaml"
    folder.mkdir()
    code, out, err = run(capsys, "exercises", "check", folder, "--data", student_file)
    assert code == 2 and out == ""
    assert err == f"claimstats: error: {folder}: is a folder, not an answer file\n"


def test_cli_key_never_writes_over_the_dataset_it_reads(tmp_path, capsys, student_file):
    data = tmp_path / "mine.csv"
    data.write_bytes(student_file.read_bytes())
    code, out, err = run(capsys, "exercises", "key", "--data", data, "--out", data, "--set", "plan")
    assert code == 2 and out == "" and "refusing to overwrite the input file" in err
    assert data.read_bytes() == student_file.read_bytes()


def test_the_regression_training_split_is_counted_as_sampled(datasets, keys):
    from sklearn.model_selection import train_test_split

    student = STUDENTS[0]
    tidy = datasets[student].tidy
    verified = (tidy["verified_status"] == "verified").astype(int)
    train, _ = train_test_split(tidy, test_size=0.25, stratify=verified, random_state=0)
    upsampled = 2 * int((train["verified_status"] == "not verified").sum())  # minority drawn up to the majority
    assert keys[student]["reg-n-train"] == len(train) != upsampled
    report = check_submission(parse_submission(f"reg-n-train: {upsampled}\n"), datasets[student])
    mark = next(m for m in report.marks if m.question == "reg-n-train")
    assert mark.status == WRONG and "after upsampling" in mark.message
    q = question("reg-n-train")
    assert "before any upsampling" in q.task and "upsampled" in q.given


def test_cli_key_never_writes_over_the_course_secret(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CLAIMSTATS_COURSE_SECRET", raising=False)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_bytes(SECRET)
    code, _, err = run(capsys, "exercises", "key", "--student", "s101", "--secret-file", secret_file,
                       "--out", secret_file, "--set", "plan")
    assert code == 2 and "refusing to overwrite the input file" in err and secret_file.read_bytes() == SECRET


def test_a_dataset_the_analyses_were_not_written_for_costs_questions_not_a_crash(student_file, keys, tmp_path, capsys):
    # The first rows of a student's file are all claims: a median ratio, a split and a model cannot be computed.
    claims_only = tmp_path / "claims_only.csv"
    claims_only.write_text("".join(student_file.read_text(encoding="utf-8").splitlines(keepends=True)[:41]),
                           encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text(filled_answers(keys["s101"]), encoding="utf-8")
    code, out, err = run(capsys, "exercises", "check", answers, "--data", claims_only)
    assert code == 0 and err == ""
    line = next(x for x in out.splitlines() if x.strip().startswith("expl-median-ratio"))
    assert "to be marked by the instructor — the answer could not be computed on this dataset (KeyError" in line
    from claimstats import load

    data = ExerciseData(load(claims_only).frame)
    for sub in (parse_submission(filled_answers(keys["s101"])), parse_submission("plan-rows: [1,\n")):
        report = check_submission(sub, data, sets="all", all_keys=True)  # the grader's call, readable or not
        marks = {m.question: m for m in report.marks}
        assert marks["plan-rows"].expected == 40
        assert marks["expl-median-ratio"].expected is None
        if sub.readable:
            assert marks["expl-median-ratio"].status == TO_MARK and marks["plan-rows"].status == WRONG


def test_a_mistake_is_recognised_at_the_rounding_a_student_would_use(datasets, keys):
    student = STUDENTS[1]
    share = keys[student]["expl-banned-share"]  # asked as a proportion to 3 decimals
    percent = round(100 * share, 1)  # 14.8 for 0.148: the percentage, rounded as people round percentages
    assert abs(percent - 100 * share) > question("expl-banned-share").tolerance.allowed(100 * share)
    answers = f"expl-banned-share: {percent}\nhyp-mean-difference: {-round(keys[student]['hyp-mean-difference'])}\n"
    report = check_submission(parse_submission(answers), datasets[student])
    hints = {m.question: m.message for m in report.marks if m.status == WRONG}
    assert "not a percentage" in hints["expl-banned-share"]
    assert "order of the groups" in hints["hyp-mean-difference"]
