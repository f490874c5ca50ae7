"""Hostile input (issue 13): model files whose members lie, zip bombs, answer files written over,
YAML booleans, numbers rounded onto a bound, and the CLI's tables and help.

Hostile model files are made the way an attacker would: a real model written by
:func:`claimstats.modelfile.save_model`, then one member of the zip changed.
"""

from __future__ import annotations

import io
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


def test_a_schema_that_reads_one_member_again_and_again_is_refused(model, tmp_path):
    # 1 MiB stored once, read 300 times: skops would hold 300 MiB for a 1 MiB file
    member = _npy(np.zeros(2**17))

    def repeat(tree):
        node = {"__class__": "ndarray", "__module__": "numpy", "__loader__": "NdArrayNode", "type": "numpy",
                "file": "extra.npy"}
        tree["content"]["extra"] = {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
                                    "content": [{**node, "__id__": 7 + i} for i in range(300)], "__id__": 5}

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
