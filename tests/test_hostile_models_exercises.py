"""Hostile input (issue 13): model files whose members lie, zip bombs, answer files written over,
YAML booleans, numbers rounded onto a bound, and the CLI's tables and help.

Hostile model files are made the way an attacker would: a real model written by
:func:`claimstats.modelfile.save_model`, then one member of the zip changed.
"""

from __future__ import annotations

import io
import re
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

from _cli import run
from claimstats.modelfile import MAX_MODEL_BYTES, ModelFileError, load_model, save_model

# ---------------------------------------------------------------- model files


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def tampered(model, folder, name, *, metadata=None, arrays=None, schema=None, members=None):
    """A real model file with members changed: ``metadata`` keys, ``arrays`` by payload key, raw ``members``."""
    path = save_model(model, folder / "good.skops")
    files = _members(path)
    tree = json.loads(files["schema.json"])
    content = tree["content"]
    if metadata:
        meta = {**json.loads(json.loads(content["metadata"]["content"])), **metadata}
        content["metadata"]["content"] = json.dumps(json.dumps(meta))
    for key, array in (arrays or {}).items():
        files[content[key]["file"]] = _npy(array)
    if schema:
        schema(tree)
    files["schema.json"] = json.dumps(tree).encode()
    files.update(members or {})
    out = folder / name
    with zipfile.ZipFile(out, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return out


def test_an_untouched_rewrite_still_loads(model, tmp_path):
    # the tampering helper itself changes nothing when asked to change nothing
    loaded = load_model(tampered(model, tmp_path, "same.skops"))
    assert loaded.metadata() == model.metadata()


@pytest.mark.parametrize("change, phrase", [
    ({"arrays": {"validation_scores": "nan"}}, "scores must be probabilities: finite, from 0 to 1"),
    ({"arrays": {"validation_scores": "inf"}}, "scores must be probabilities"),
    ({"arrays": {"validation_scores": "above one"}}, "scores must be probabilities"),
    ({"arrays": {"validation_scores": "text"}}, "scores must be probabilities"),
    ({"arrays": {"validation_labels": "floats"}}, "labels must be 0 or 1"),
    ({"metadata": {"threshold": float("nan")}}, "threshold nan \\(must be from 0 to 1\\)"),
    ({"metadata": {"threshold": 1.5}}, "threshold 1.5 \\(must be from 0 to 1\\)"),
    ({"metadata": {"first_threshold": -0.2}}, "first_threshold -0.2 \\(must be from 0 to 1\\)"),
    ({"metadata": {"threshold": 0.01}}, "threshold 0.01 \\(the validation scores give 0\\.\\d+ for a recall of 0.95"),
    ({"metadata": {"target_recall": 0}}, "target_recall 0 \\(must be above 0 and at most 1\\)"),
    ({"metadata": {"target_recall": float("inf")}}, "target_recall inf"),
    ({"metadata": {"first_recall": True}}, "first_recall True \\(not a number\\)"),
    ({"metadata": {"metrics": {"recall": 7.0}}}, "test metric recall 7.0 \\(must be from 0 to 1\\)"),
    ({"metadata": {"rows": {"train": 10, "validation": 3, "test": 5}}}, "row counts .*must match its"),
    ({"metadata": {"model": "backdoor"}}, "model name 'backdoor'"),
    ({"metadata": {"source_sha256": "not a digest"}}, "source_sha256"),
])
def test_members_that_save_model_never_writes_are_refused(model, tmp_path, change, phrase):
    n = len(model.validation_scores)
    arrays = {"nan": np.full(n, np.nan), "inf": np.where(np.arange(n) == 3, np.inf, model.validation_scores),
              "above one": model.validation_scores * 3, "text": np.array(["0.5"] * n),
              "floats": model.validation_labels + 0.5}
    if "arrays" in change:
        change = {"arrays": {key: arrays[kind] for key, kind in change["arrays"].items()}}
    path = tampered(model, tmp_path, "bad.skops", **change)
    with pytest.raises(ModelFileError, match=f"bad.skops: corrupt model file \\(malformed .*{phrase}"):
        load_model(path)


def test_triage_refuses_a_model_with_nan_scores_in_one_line(model, reports, tmp_path, capsys):
    path = tampered(model, tmp_path, "nan.skops",
                    arrays={"validation_scores": np.full(len(model.validation_scores), np.nan)})
    queue = tmp_path / "queue.csv"
    code, out, err = run(capsys, "triage", path, reports, "--out", queue)
    assert code == 2 and out == "" and not queue.exists()
    assert err.count("\n") == 1 and "Traceback" not in err and "scores must be probabilities" in err
    assert "nan" not in err.replace("nan.skops", "")  # never "review threshold nan"


def _npy_header(size: int) -> tuple[bytes, int]:
    """The header of an .npy of float zeros about ``size`` bytes long, and how many bytes of zeros follow it."""
    count = size // 8
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f8", "fortran_order": False, "shape": (count,)})
    return head.getvalue(), count * 8


def _bomb(model, folder, extra_bytes: int):
    """A real model file whose validation scores member inflates to ``extra_bytes`` bytes."""
    path = tampered(model, folder, "plain.skops")
    files = _members(path)
    target = json.loads(files["schema.json"])["content"]["validation_scores"]["file"]
    out = folder / "bomb.skops"
    head, body = _npy_header(extra_bytes)
    chunk = bytes(2**20)
    with zipfile.ZipFile(out, "w") as archive:
        for member, data in files.items():
            if member != target:
                archive.writestr(member, data)
        info = zipfile.ZipInfo(target)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as stream:
            stream.write(head)
            for start in range(0, body, len(chunk)):
                stream.write(chunk[: min(len(chunk), body - start)])
    return out


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_unpacked(model, tmp_path):
    path = _bomb(model, tmp_path, MAX_MODEL_BYTES + 2**20)
    with zipfile.ZipFile(path) as archive:
        declared = sum(info.file_size for info in archive.infolist())
    assert path.stat().st_size < MAX_MODEL_BYTES / 50 and declared > MAX_MODEL_BYTES  # small on disk, huge inside
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=f"bomb.skops: not loaded: its members would unpack {declared:,} "
                           f"bytes from [0-9,]+ stored, more than a model file may hold \\({MAX_MODEL_BYTES:,}"):
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # only the directory and the schema were read, never the 257 MB member


@pytest.mark.parametrize("same_id", [False, True])
def test_a_schema_that_reads_one_member_again_and_again_is_refused(model, tmp_path, same_id):
    # 1 MiB stored once, read 300 times: skops would hold 300 MiB for a 1 MiB file. It builds a
    # node once per true __id__, so 300 nodes with id 0 are 300 reads too.
    member = _npy(np.zeros(2**17))

    def repeat(tree):
        node = {"__class__": "ndarray", "__module__": "numpy", "__loader__": "NdArrayNode", "type": "numpy",
                "file": "extra.npy"}
        ids = [0] * 300 if same_id else [7 + i for i in range(300)]
        tree["content"]["extra"] = {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
                                    "content": [{**node, "__id__": i} for i in ids], "__id__": 5}

    path = tampered(model, tmp_path, "reread.skops", schema=repeat, members={"extra.npy": member})
    assert path.stat().st_size < 5 * 2**20
    with pytest.raises(ModelFileError, match="reread.skops: not loaded: reading its members as its schema asks "
                       "would unpack"):
        load_model(path)


# ------------------------------------------------------------ exercise files

SECRET = "test-course-secret-0123456789"


@pytest.mark.parametrize("argv, what", [
    (["template", "--set", "plan"], "the answer template"),
    (["key", "--student", "s1", "--set", "plan"], "the reference answers"),
])
def test_an_answer_file_is_never_replaced_without_force(tmp_path, capsys, monkeypatch, argv, what):
    monkeypatch.setenv("CLAIMSTATS_COURSE_SECRET", SECRET)
    answers = tmp_path / "answers.yaml"
    filled = "plan-rows: 2913\nplan-target: claim_status\n"
    answers.write_text(filled, encoding="utf-8")
    code, out, err = run(capsys, "exercises", *argv, "--out", answers)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{answers}: already exists and may hold answers; give --force to replace it" in err
    assert answers.read_text(encoding="utf-8") == filled
    code, _, err = run(capsys, "exercises", *argv, "--out", answers, "--force")
    assert code == 0 and f"wrote {what} to {answers}" in err and answers.read_text(encoding="utf-8") != filled
    fresh = tmp_path / "new.yaml"  # a new file needs no --force
    assert run(capsys, "exercises", *argv, "--out", fresh)[0] == 0 and fresh.read_text(encoding="utf-8").strip()


def test_grade_keeps_a_sheet_that_holds_marks_filled_in_by_hand(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CLAIMSTATS_COURSE_SECRET", SECRET)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "s1.yaml").write_text("plan-rows: 3\n", encoding="utf-8")
    out = tmp_path / "grades.csv"
    assert run(capsys, "exercises", "grade", submissions, "--out", out, "--set", "plan")[0] == 0
    marked = out.read_text(encoding="utf-8") + "# points filled in by the instructor\n"
    out.write_text(marked, encoding="utf-8")
    code, _, err = run(capsys, "exercises", "grade", submissions, "--out", out, "--set", "plan")
    assert code == 2 and f"{out}: already exists and may hold marks you filled in; give --force" in err
    assert out.read_text(encoding="utf-8") == marked
    assert run(capsys, "exercises", "grade", submissions, "--out", out, "--set", "plan", "--force")[0] == 0
    assert out.read_text(encoding="utf-8") != marked


def test_dataset_for_a_roster_makes_its_out_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CLAIMSTATS_COURSE_SECRET", SECRET)
    roster = tmp_path / "roster.txt"
    roster.write_text("s1\ns2\n", encoding="utf-8")
    folder = tmp_path / "term" / "datasets"  # as the guide says: --out-dir datasets/, not made beforehand
    code, _, err = run(capsys, "exercises", "dataset", "--roster", roster, "--out-dir", folder)
    assert code == 0 and sorted(p.name for p in folder.iterdir()) == ["s1.csv", "s2.csv"], err
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "exercises", "dataset", "--roster", roster, "--out-dir", a_file)
    assert code == 2 and f"{a_file}: is a file; --out-dir names a folder" in err
    monkeypatch.delenv("CLAIMSTATS_COURSE_SECRET")
    absent = tmp_path / "never"
    code, _, err = run(capsys, "exercises", "dataset", "--roster", roster, "--out-dir", absent)
    assert code == 2 and "no course secret" in err and not absent.exists()  # nothing made when it cannot run


@pytest.mark.parametrize("text, qid, answer, invalid", [
    ("plan-rows: yes\n", "plan-rows", None, "expected a number, got 'yes'"),
    ("plan-rows: Off\n", "plan-rows", None, "expected a number, got 'Off'"),
    ("plan-stakeholder: yes\n", "plan-stakeholder", "yes", None),       # text, as written
    ("plan-metric: [on]\n", "plan-metric", None, "'on' is not an option"),
    ("insp-missing-columns: [no, claim_status]\n", "insp-missing-columns", None, "'no' is not an option"),
])
def test_yaml_yes_and_no_are_read_as_the_student_wrote_them(text, qid, answer, invalid):
    from claimstats.exercises.answers import parse_submission

    sub = parse_submission(text)
    if invalid is None:
        assert sub.answers[qid] == answer and qid not in sub.invalid
    else:
        assert qid not in sub.answers and invalid in sub.invalid[qid]
        assert "True" not in sub.invalid[qid] and "False" not in sub.invalid[qid]


def test_yaml_booleans_elsewhere_in_the_file_stay_as_written():
    from claimstats.exercises.answers import parse_submission

    sub = parse_submission("student: no\nyes: 3\n")
    assert sub.meta == {"student": "no"}
    assert sub.problems == ["unknown question id 'yes'; ignored"]


def test_json_booleans_are_quoted_in_json_and_explained():
    from claimstats.exercises.answers import parse_submission

    sub = parse_submission(json.dumps({"plan-rows": True, "plan-metric": False}), as_json=True)
    assert sub.invalid["plan-rows"] == "expected a number, got true (true/false are not numbers)"
    assert sub.invalid["plan-metric"] == "expected one of the options, got false"


# ------------------------------------------------- numbers rounded onto a bound


def _reads_as(text: str) -> float:
    return float(text.rstrip("%").replace(",", "")) / (100 if text.endswith("%") else 1)


@pytest.mark.parametrize("spec", [".4g", ".3f", ".1%", ".0%", ",.2f"])
def test_format_bounded_never_writes_a_value_as_a_bound_it_is_not(spec):
    from claimstats.reporting import format_bounded

    near = [1 - 10.0 ** -k for k in range(2, 16)] + [10.0 ** -k for k in range(2, 16)] + [-(10.0 ** -k) for k in (3, 6)]
    for x in near:
        text = format_bounded(x, spec)
        assert _reads_as(text) not in (0.0, 1.0), (x, spec, text)
        assert abs(_reads_as(text) - x) <= abs(x - round(x)), (x, spec, text)  # closer to x than to the bound
    rng = np.random.default_rng(3)
    for x in [*rng.uniform(0.05, 0.95, 200), 0.0, 1.0, 0.5, 12.5, 1234.5678]:  # away from the bounds: as spec writes
        assert format_bounded(x, spec) == format(x, spec), (x, spec)


def test_model_summaries_never_print_a_threshold_near_1_as_1(model):
    from dataclasses import replace

    n = 4000
    scores = np.full(n, 0.9)
    scores[0] = 0.1  # one claim of 4,000 below the threshold: 99.975% caught, which "{:.1%}" wrote as 100.0%
    near = replace(model, threshold=0.5, first_threshold=0.99996, target_recall=0.9999999,
                   validation_labels=np.ones(n, np.int64), validation_scores=scores, validation_groups=None,
                   confidence=None, checks={}, metrics={**model.metrics, "recall": 0.99996, "precision": 0.9996})
    text = near.describe()
    assert re.search(r"at or above 0\.5 are reviewed, which caught 99\.9[78]% of the validation claims "
                     r"\(target 99\.99999%\)", text), text
    assert "recall 0.99996 and precision 0.9996 above 0.5" in text
    facts = dict(replace(near, threshold=0.99996, first_threshold=0.999999).to_frame().values)
    assert facts["review threshold"].startswith("0.99996 (")
    assert facts["review-first threshold"].startswith("0.999999 (")
    assert facts["test recall"] == "0.99996" and "100" not in " ".join(facts.values())


def test_evaluation_and_workload_sentences_keep_a_threshold_near_1(model, tidy):
    from claimstats.triage import evaluate_model, workload_curve

    evaluation = evaluate_model(model, tidy.sample(400, random_state=1), threshold=0.99996)
    assert evaluation.describe().endswith("at threshold 0.99996.")
    curve = workload_curve(evaluation.y_true, evaluation.scores)
    assert "scored at or above 0.99996 catches" in curve.describe(0.99996)


def test_the_triage_report_keeps_a_threshold_near_1():
    from claimstats.backlog import TriageReport

    report = TriageReport(10, 10, 0, (), (("review first", 1), ("review", 0), ("low priority", 9)), 0.9999999,
                          0.99996, 0.8, 0.999999, "q.csv", None, 0.1)
    text = report.describe()
    assert "review threshold 0.99996 (chosen to catch at least 99.99999% of" in text
    assert "review-first threshold 0.999999;" in text


def _near_one_model(model, folder):
    """A valid model file whose validation claims all score 0.99996: both thresholds are 0.99996."""
    from dataclasses import replace

    scores = np.where(model.validation_labels == 1, 0.99996, 0.25)
    near = replace(model, validation_scores=scores, threshold=0.99996, first_threshold=0.99996)
    return save_model(near, folder / "near.skops")


def test_cli_evaluate_and_triage_print_a_threshold_near_1_as_it_is(model, tidy, reports, tmp_path, capsys):
    path = _near_one_model(model, tmp_path)
    labelled = tmp_path / "labelled.csv"
    tidy.sample(300, random_state=1).to_csv(labelled, index=False)
    code, out, err = run(capsys, "evaluate", path, labelled)
    assert code == 0, err
    assert "labelled rows, threshold 0.99996" in out and "reports scored at or above 0.99996 are reviewed" in out
    assert "threshold 1\n" not in out and "threshold 1." not in out and "above 1 " not in out
    code, out, err = run(capsys, "triage", path, reports, "--out", tmp_path / "queue.csv")
    assert code == 0, err
    assert "review threshold 0.99996 (chosen" in out and "review-first threshold 0.99996;" in out


# ------------------------------------------------------------- the CLI's tables


@pytest.fixture(scope="module")
def one_banned(tmp_path_factory):
    """300 videos, exactly one of them by a banned author: that group's SD and quartiles are missing."""
    from claimstats import simulate

    frame = simulate(300, seed=4).dropna()
    frame["author_ban_status"] = "active"
    frame.iloc[0, frame.columns.get_loc("author_ban_status")] = "banned"
    path = tmp_path_factory.mktemp("tables") / "one_banned.csv"
    frame.to_csv(path, index=False)
    return path, frame


@pytest.mark.parametrize("wide", [False, True])
def test_describe_tables_show_counts_as_integers_and_no_nan(one_banned, capsys, wide):
    path, frame = one_banned
    code, out, err = run(capsys, "describe", path, "--by", "author_ban_status", *(["--wide"] if wide else []))
    assert code == 0, err
    assert "nan" not in out.lower() and "—" in out  # the banned group's SD
    active = int((frame["author_ban_status"] == "active").sum())
    assert re.search(rf"\|\s+{active:,}\s+\|", out) and f"{active:,}.0" not in out, out


def test_ttest_assumption_table_has_no_nan_cells(capsys, tmp_path):
    from claimstats import simulate

    path = tmp_path / "v.csv"
    simulate(500, seed=6).to_csv(path, index=False)
    code, out, err = run(capsys, "ttest", path, "--value", "video_view_count", "--group", "verified_status")
    assert code == 0, err
    table = out[out.index("Assumption checks"):]
    assert "nan" not in table and re.search(r"\| skewness .*\|\s+—\s+\|", table)


def test_table_cells_are_written_for_a_reader():
    import pandas as pd

    from claimstats.cli._tables import table_markdown

    frame = pd.DataFrame({"statistic": ["count", "mean", "p"], "claim": [14305.0, 33.25, 0.99996],
                          "opinion": [np.nan, 2.5e-9, 1.0]})
    lines = table_markdown(frame).splitlines()
    assert lines[0].split("|")[1:-1] == [" statistic   ", "   claim ", "   opinion "]
    cells = [[cell.strip() for cell in line.split("|")[1:-1]] for line in lines[2:]]
    assert cells == [["count", "14,305", "—"], ["mean", "33.25", "2.5e-09"], ["p", "0.99996", "1"]]
    assert lines[1] == "|:------------|--------:|----------:|"  # numbers right, text left


# ------------------------------------------------------------ newcomer friction


def _verbs_reading_a_data_file():
    import argparse

    from claimstats.cli import build_parser

    parser = build_parser()
    verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    for name, sub in verbs.choices.items():
        for action in sub._actions:  # noqa: SLF001
            if action.dest == "file" and not action.option_strings:
                yield name, action.help


def test_every_verb_that_reads_a_data_file_says_it_takes_synthetic():
    found = dict(_verbs_reading_a_data_file())
    assert set(found) == {"validate", "clean", "ttest", "logit", "describe", "plot", "train", "evaluate"}
    for verb, text in found.items():
        assert "'synthetic'" in text and "'synthetic:SEED'" in text, (verb, text)
    assert len({text.split(", never modified;")[1] for text in found.values()}) == 1  # one shared wording


def test_what_the_help_says_holds(capsys):
    code, out, _ = run(capsys, "validate", "synthetic:3")
    assert code == 0 and out.startswith("synthetic:3: valid (")


def test_validate_says_on_stderr_how_many_problems_and_where(tmp_path, capsys):
    from claimstats import simulate

    frame = simulate(60, seed=8)
    frame.loc[3, "video_duration_sec"] = 99
    frame.loc[6, "video_duration_sec"] = 0
    frame.loc[5, "verified_status"] = "maybe"
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(capsys, "validate", path)
    assert code == 2 and err.count("\n") == 1
    assert err == (f"claimstats: error: {path}: 2 problems in columns video_duration_sec, verified_status (listed "
                   "on stdout, with the rows concerned); the file does not satisfy the data contract\n")
    assert "rows: 4, 7" in out and "row: 6" in out


def test_the_comparison_train_prints_keeps_metrics_near_1_off_1(tidy):
    from dataclasses import replace

    from claimstats.comparison import compare_models

    result = compare_models(tidy.sample(900, random_state=5), feature_sets=("all",), grid="fast",
                            importance_repeats=0)
    ev = result.evaluations["all"]
    near = replace(result, evaluations={"all": replace(ev, metrics={**ev.metrics, "recall": 0.9996,
                                                                   "precision": 0.99996, "f1": 0.99978})})
    text = near.describe()
    # as few digits as keep them off 1 (the recall's interval, when there is one, follows it)
    assert re.search(r"test recall 0\.9996(?: \(95% interval from [^)]*\))?, precision 0\.99996 and F1 0\.9998\.", text), text
    assert "(against 99.96% with their real counts)" in text


def _find_file(tree, key: str) -> str:
    """The member holding the array ``key`` (e.g. a model's ``coef_``) somewhere in a skops schema."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get(key), dict) and "file" in node[key]:
                return node[key]["file"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise AssertionError(f"no {key} in the schema")


def test_a_pipeline_whose_own_arrays_hold_nan_is_refused(model, tmp_path):
    assert model.model == "logistic"
    path = save_model(model, tmp_path / "good.skops")
    files = _members(path)
    member = _find_file(json.loads(files["schema.json"]), "coef_")
    coef = np.load(io.BytesIO(files[member]))
    path = tampered(model, tmp_path, "nan_coef.skops", members={member: _npy(np.full_like(coef, np.nan))})
    with pytest.raises(ModelFileError, match="nan_coef.skops: corrupt model file \\(malformed pipeline \\(its "
                       "scores for sample reports are not probabilities"):
        load_model(path)
