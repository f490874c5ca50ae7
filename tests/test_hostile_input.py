"""Hostile input (issue 13): each class of bad file or bad output path, across every verb that reads or writes files.

The verbs are parametrised, not written out one case per verb: a class of
input (a count too large to be a count, another delimiter, CR-only lines, a
row with extra fields, a full disk, an output that is an input by a hard
link, ...) is run through every verb it concerns, and each verb must give one
line on stderr, exit 2 (or accept the file as it should), leave its input as
it was and leave no file half-written.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from _cli import run
from claimstats import clean, load, simulate
from claimstats.data import check_file, clean_file
from claimstats.errors import ClaimstatsError
from claimstats.modelfile import save_model
from claimstats.outputs import FORMULA_START, Outputs, neutralize_formulas
from claimstats.schema import COUNT_COLUMNS, COUNT_MAX, DataValidationError, range_breaches, validate

SECRET = "hostile-input-tests-secret"


# ------------------------------------------------------------------ files


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def base(folder):
    """200 valid rows (3 without a label, as in the course file), written as the course file is."""
    path = folder / "base.csv"
    simulate(200, seed=5).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_file(folder, model):
    return save_model(model, folder / "model.skops")


@pytest.fixture(scope="module")
def answers(folder):
    path = folder / "answers.yaml"
    path.write_text("plan-rows: 200\n", encoding="utf-8")
    return path


def _raw(base) -> pd.DataFrame:
    return pd.read_csv(base, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index=False, lineterminator="\r\n")  # with "\n", a cell's bare CR would end its row
    return str(path)


def _edit(base, path, column, row, value) -> str:
    frame = _raw(base)
    frame.loc[row, column] = value
    return _write(frame, path)


def _text(base) -> str:
    return base.read_bytes().decode("utf-8")


# Files that every reading verb must refuse: name -> (builder, phrase the error must hold).
REFUSED = {
    "count 1e30": (lambda b, p: _edit(b, p, "video_view_count", 3, "1e30"), "video_view_count"),
    "count of 23 digits": (lambda b, p: _edit(b, p, "video_like_count", 7, "99999999999999999999999"),
                           "video_like_count"),
    "count 2**63": (lambda b, p: _edit(b, p, "video_share_count", 9, str(2**63)), "video_share_count"),
    "row number 2**64": (lambda b, p: _edit(b, p, "#", 9, str(2**64)), "'#'"),
    "semicolons": (lambda b, p: p.write_text(_text(b).replace(",", ";")) or str(p), "separated by ';'"),
    "tabs": (lambda b, p: p.write_text(_text(b).replace(",", "\t")) or str(p), "separated by tabs"),
    "extra field on every row": (lambda b, p: p.write_text(_text(b).replace("\n", ",x\n").replace(",x\n", "\n", 1))
                                 or str(p), "more fields than the header's 12"),
    "extra field on one row": (lambda b, p: p.write_text(_text(b).replace("\n", ",x\n", 5).replace(",x\n", "\n", 4))
                               or str(p), "remove the extra fields (1 row: 4"),
    "leading zero id": (lambda b, p: _edit(b, p, "video_id", 5, "0123456789"), "e.g. 0123456789"),
    "leading zero on a 10-digit id": (lambda b, p: _edit(b, p, "video_id", 5, "01234567890"), "starts with 0"),
    "NUL byte": (lambda b, p: p.write_bytes(b.read_bytes().replace(b"claim", b"cl\x00aim", 1)) or str(p), "NUL"),
    "10,000 extra columns": (lambda b, p: _write(pd.concat([_raw(b), pd.DataFrame(
        "1", index=range(200), columns=[f"extra{i}" for i in range(10_000)])], axis=1), p),
        "10,000 columns are not part of the contract"),
    "one very long column name": (lambda b, p: _write(_raw(b).assign(**{"x" * 2000: "1"}), p),
                                  "is not part of the contract"),
}

# Every verb that reads a data file, as argv templates ({f}: the file, {tmp}: a fresh folder).
READERS = {
    "validate": ["validate", "{f}"],
    "clean": ["clean", "{f}", "--out", "{tmp}/out.csv", "--dropped", "{tmp}/dropped.csv"],
    "describe": ["describe", "{f}"],
    "ttest": ["ttest", "{f}", "--value", "video_view_count", "--group", "verified_status"],
    "plot": ["plot", "{f}", "--kind", "balance", "--out", "{tmp}/figure.png"],
    "evaluate": ["evaluate", "{model}", "{f}"],
    "exercises check": ["exercises", "check", "{answers}", "--data", "{f}"],
}


def _argv(template, **values):
    return [str(a).format(**values) for a in template]


def _one_line_error(code, out, err, phrase):
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("claimstats: error: "), err
    assert len(err) <= 420, len(err)  # one readable line, however long the names in the file
    assert phrase in out + err, (out, err)


@pytest.mark.parametrize("verb", sorted(READERS))
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_every_reader_refuses_a_hostile_file_in_one_line(base, folder, model_file, answers, tmp_path, capsys,
                                                         verb, case):
    build, phrase = REFUSED[case]
    path = folder / f"{case.replace(' ', '_').replace('*', '')}.csv"
    if not path.exists():
        build(base, path)
    before = path.read_bytes()
    code, out, err = run(capsys, *_argv(READERS[verb], f=path, tmp=tmp_path, model=model_file, answers=answers))
    _one_line_error(code, out, err, phrase)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file
    assert out.count("\n") < 20  # validate lists problems: summarised, not one line per column


def test_validate_names_the_column_and_rows_of_huge_counts(base, tmp_path):
    frame = _raw(base)
    frame.loc[[3, 8], "video_view_count"] = ["1e30", "99999999999999999999999"]
    frame.loc[4, "video_comment_count"] = str(COUNT_MAX + 1)
    path = _write(frame, tmp_path / "huge.csv")
    problems = check_file(path).problems
    assert [(p.column, p.rows) for p in problems] == [("video_view_count", (4, 9)), ("video_comment_count", (5,))]
    assert "above 1,000,000,000,000" in str(problems[0]) and "e.g. 1e30, 99999999999999999999999" in str(problems[0])
    ok = frame.copy()
    ok.loc[[3, 8], "video_view_count"] = str(COUNT_MAX)
    ok.loc[4, "video_comment_count"] = "0"
    assert check_file(_write(ok, tmp_path / "edge.csv")).valid  # the bound itself is a count


@pytest.mark.parametrize("value", [1e30, 2.0**63, float(COUNT_MAX + 1)])
@pytest.mark.parametrize("column", COUNT_COLUMNS)
def test_every_count_column_has_the_same_upper_bound_for_every_reader(value, column):
    frame = simulate(20, seed=1)
    frame.loc[2, column] = value
    assert [p.column for p in validate(frame)] == [column]
    with pytest.raises(DataValidationError, match=column):
        clean(frame)  # never an int64 overflow written as a count
    from claimstats.intake import check_reports

    reasons = check_reports(frame.drop(columns="claim_status"))
    assert reasons.iloc[2] == f"{column}: above {COUNT_MAX:,}" and (reasons.drop(2) == "").all()
    assert [m for m, _ in range_breaches(column, [value])] == [f"has counts above {COUNT_MAX:,}"]


# ------------------------------------------------------ line endings, text


@pytest.mark.parametrize("verb", sorted(READERS))
@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_every_reader_reads_cr_only_and_crlf_files_as_the_lf_file(base, folder, model_file, answers, tmp_path,
                                                                  capsys, verb, ending):
    variant = folder / f"ending{len(ending)}.csv"
    variant.write_bytes(base.read_bytes().replace(b"\n", ending.encode()))
    results = []
    for path in (base, variant):
        out_dir = tmp_path / path.stem
        out_dir.mkdir()
        code, out, err = run(capsys, *_argv(READERS[verb], f=path, tmp=out_dir, model=model_file, answers=answers))
        assert code == 0, err
        results.append(out.replace(str(path), "FILE"))
        results.append(sorted(p.name for p in out_dir.iterdir()))
    assert results[0] == results[2] and results[1] == results[3]


def test_grade_with_a_cr_only_dataset_grades_the_class(base, tmp_path, capsys):
    data_dir, subs = tmp_path / "data", tmp_path / "subs"
    data_dir.mkdir(), subs.mkdir()
    (data_dir / "s1.csv").write_bytes(base.read_bytes().replace(b"\n", b"\r"))
    (subs / "s1.yaml").write_text("plan-rows: 200\n", encoding="utf-8")
    code, _, err = run(capsys, "exercises", "grade", subs, "--out", tmp_path / "g.csv", "--data-dir", data_dir,
                       "--set", "plan")
    assert code == 0, err
    marks = pd.read_csv(tmp_path / "g.csv", dtype=str)
    assert marks.set_index("question").loc["plan-rows", "status"] == "correct"


def test_a_whitespace_only_transcription_is_dropped_as_an_empty_one(base, tmp_path, model_file, capsys):
    frame = _raw(base)
    frame.loc[[5, 6], "video_transcription_text"] = ["   ", ""]
    frame.loc[7, "video_transcription_text"] = "\t \r\n "
    path = _write(frame, tmp_path / "blank.csv")
    report, _ = clean_file(path, tmp_path / "out.csv", tmp_path / "dropped.csv")
    dropped = pd.read_csv(tmp_path / "dropped.csv")
    assert set(dropped["#"]) >= {6, 7, 8} and report.rows_dropped == 3 + 3
    loaded, _ = clean(load(path).frame)
    assert len(loaded) == report.rows_out  # load + clean agree with the streaming clean
    code, _, _ = run(capsys, "triage", model_file, path, "--out", tmp_path / "q.csv")
    rejected = pd.read_csv(tmp_path / "q.rejected.csv", dtype=str)
    assert code == 0 and {"6", "7", "8"} <= set(rejected["row"])


def test_a_nul_byte_never_reaches_the_queue(base, tmp_path, model_file, capsys):
    path = tmp_path / "nul.csv"
    path.write_bytes(base.read_bytes().replace(b"someone", b"some\x00one", 1))
    code, _, err = run(capsys, "triage", model_file, path, "--out", tmp_path / "q.csv")
    assert code == 0, err
    assert b"\x00" not in (tmp_path / "q.csv").read_bytes()
    rejected = pd.read_csv(tmp_path / "q.rejected.csv", dtype=str)
    assert rejected["reason"].str.contains("contains a NUL byte").sum() == 1


def test_duplicate_video_ids_are_reported_by_validate_and_queued_once(base, tmp_path, model_file, capsys):
    frame = _raw(base)
    frame.loc[[60, 150], "video_id"] = frame.loc[10, "video_id"]  # one repeat in another chunk of 50
    path = _write(frame, tmp_path / "dup.csv")
    result = check_file(path, chunksize=50)
    assert ("duplicate video_id", 2, (61, 151)) in result.drops
    code, out, _ = run(capsys, "validate", path)
    assert code == 0 and "will drop 2 rows: duplicate video_id (rows 61, 151)" in out
    code, _, err = run(capsys, "triage", model_file, path, "--out", tmp_path / "q.csv", "--chunksize", "50")
    assert code == 0, err
    queue = pd.read_csv(tmp_path / "q.csv", dtype=str)
    assert queue["video_id"].is_unique and (queue["video_id"] == frame.loc[10, "video_id"]).sum() == 1
    rejected = pd.read_csv(tmp_path / "q.rejected.csv", dtype=str).set_index("row")
    assert rejected.loc[["61", "151"], "reason"].tolist() == ["video_id: repeats an earlier row"] * 2


# ------------------------------------------- rows that cleaning would drop


def test_validate_reports_what_clean_will_drop(base, capsys):
    code, out, _ = run(capsys, "validate", base)
    assert code == 0
    assert "will drop 3 rows: missing claim_status or transcription (rows 198, 199, 200)" in out


@pytest.mark.parametrize("verb", ["validate", "clean", "describe", "ttest", "plot", "evaluate", "triage"])
def test_a_run_that_keeps_no_row_says_so_and_exits_2(base, tmp_path, model_file, capsys, verb):
    frame = _raw(base)
    frame["video_share_count"] = ""
    path = _write(frame, tmp_path / "noshare.csv")
    argv = {**READERS, "triage": ["triage", "{model}", "{f}", "--out", "{tmp}/q.csv"]}[verb]
    (tmp_path / "out").mkdir()
    code, out, err = run(capsys, *_argv(argv, f=path, tmp=tmp_path / "out", model=model_file, answers=""))
    _one_line_error(code, out, err, "all 200 rows")
    assert list((tmp_path / "out").iterdir()) == []


# ----------------------------------------------------- streaming = whole


@pytest.mark.parametrize("chunksize", [1, 7, 64, 10_000])
def test_chunked_reading_gives_what_the_whole_file_gives(base, tmp_path, chunksize):
    frame = _raw(base)
    frame.loc[[3, 90], "video_duration_sec"] = ["99", "0"]
    frame.loc[[4, 120, 121], "claim_status"] = ["maybe", "maybe", "nope"]
    bad = _write(frame, tmp_path / "bad.csv")
    whole = [str(p) for p in validate(load_frame_unchecked(bad))]
    assert [str(p) for p in check_file(bad, chunksize=chunksize).problems] == whole
    report, _ = clean_file(base, tmp_path / "tidy.csv", tmp_path / "dropped.csv", chunksize=chunksize)
    expected, expected_report = clean(load(base).frame)
    assert report.reasons == expected_report.reasons
    got = pd.read_csv(tmp_path / "tidy.csv")
    pd.testing.assert_frame_equal(got, pd.read_csv(io.StringIO(expected.to_csv(index=False))))


def load_frame_unchecked(path) -> pd.DataFrame:
    """The file as pandas reads it as text, normalised as load would, without the contract check."""
    from claimstats.data import normalise

    return normalise(pd.read_csv(path, dtype=str))[0]


def test_the_course_file_still_loses_298_rows(course_file, tmp_path, capsys):
    code, out, _ = run(capsys, "clean", course_file, "--out", tmp_path / "o.csv", "--json")
    steps = dict((r["step"], r["rows"]) for r in pd.read_json(io.StringIO(out)).to_dict("records"))
    assert code == 0 and steps["rows dropped"] == 298
    code, out, _ = run(capsys, "validate", course_file)
    assert code == 0 and "will drop 298 rows" in out


# ------------------------------------------------------------ outputs


def _writers(base, model_file, tmp):
    """Every verb that writes files: name -> argv, with {out} for the file it writes."""
    subs = tmp / "subs"
    subs.mkdir(exist_ok=True)
    (subs / "s1.yaml").write_text("plan-rows: 1\n", encoding="utf-8")
    secret = tmp / "secret"
    secret.write_text(SECRET, encoding="utf-8")
    return {
        "simulate": ["simulate", "--rows", "300", "--out", "{out}"],
        "clean --out": ["clean", base, "--out", "{out}"],
        "clean --dropped": ["clean", base, "--out", tmp / "tidy.csv", "--dropped", "{out}"],
        "triage": ["triage", model_file, base, "--out", "{out}", "--chunksize", "50"],
        "triage --rejected": ["triage", model_file, base, "--out", tmp / "queue.csv", "--rejected", "{out}"],
        "exercises dataset": ["exercises", "dataset", "--student", "s1", "--out", "{out}", "--secret-file", secret],
        "exercises grade": ["exercises", "grade", subs, "--out", "{out}", "--secret-file", secret, "--set", "plan", "--force"],
        "plot": ["plot", base, "--kind", "balance", "--out", "{out}"],
    }


WRITERS = ["simulate", "clean --out", "clean --dropped", "triage", "triage --rejected", "exercises dataset",
           "exercises grade", "plot"]


def _target(verb, tmp):
    return tmp / ("figure.png" if verb == "plot" else "target.csv")


def _leftovers(tmp):
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("."))


class _FullDisk:
    """A handle that takes ``room`` characters, then fails as a full disk does."""

    def __init__(self, handle, room):
        self.handle, self.room = handle, room

    def write(self, text):
        if len(text) > self.room:
            self.handle.write(text[: self.room])
            self.room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(text)
        return self.handle.write(text)

    def __getattr__(self, name):
        return getattr(self.handle, name)


@pytest.mark.parametrize("verb", WRITERS)
def test_a_full_disk_leaves_the_previous_file_and_no_temporary_file(base, model_file, tmp_path, capsys,
                                                                   monkeypatch, verb):
    target = _target(verb, tmp_path)
    argv = _writers(base, model_file, tmp_path)[verb]
    target.write_bytes(b"the previous file\n")
    opened = Outputs.open

    def full_disk(self, path):
        return _FullDisk(opened(self, path), room=100)

    monkeypatch.setattr(Outputs, "open", full_disk)
    if verb == "plot":  # matplotlib writes through a path: the disk fills while it writes
        import matplotlib.figure

        def savefig(self, path, **kwargs):
            open(path, "wb").write(b"half a figure")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

        monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    code, out, err = run(capsys, *_argv(argv, out=target))
    _one_line_error(code, out, err, "No space left on device")
    assert target.read_bytes() == b"the previous file\n"
    assert _leftovers(tmp_path) == []
    for other in ("tidy.csv", "queue.csv", "target_totals.csv", "queue.rejected.csv", "target.rejected.csv"):
        assert not (tmp_path / other).exists()  # the run's other outputs are not written either


@pytest.mark.parametrize("verb", WRITERS)
def test_dev_full_is_one_line_and_exit_2(base, model_file, tmp_path, capsys, verb):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    argv = _writers(base, model_file, tmp_path)[verb]
    if verb == "plot":
        pytest.skip("a figure file needs a suffix: /dev/full has none (refused before writing)")
    code, out, err = run(capsys, *_argv(argv, out="/dev/full"))
    _one_line_error(code, out, err, "/dev/full")
    assert not (tmp_path / "tidy.csv").exists() and not (tmp_path / "queue.csv").exists()
    assert _leftovers(tmp_path) == []


def test_a_triage_that_fails_after_its_first_chunk_leaves_no_partial_file(base, model_file, tmp_path, capsys,
                                                                          monkeypatch):
    from claimstats.triage import ClaimModel

    frame = _raw(base)
    frame.loc[2, "video_duration_sec"] = "99"  # rejected in the first chunk
    path = _write(frame, tmp_path / "reports.csv")
    queue, rejected = tmp_path / "q.csv", tmp_path / "q.rejected.csv"
    queue.write_text("old queue\n")
    calls = []
    scores = ClaimModel.predict_proba

    def failing(self, frame):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return scores(self, frame)

    monkeypatch.setattr(ClaimModel, "predict_proba", failing)
    code, out, err = run(capsys, "triage", model_file, path, "--out", queue, "--chunksize", "50")
    _one_line_error(code, out, err, "No space left on device")
    assert queue.read_text() == "old queue\n" and not rejected.exists() and _leftovers(tmp_path) == []


def test_an_unwritable_dropped_file_means_no_output_at_all(base, tmp_path, capsys):
    out = tmp_path / "tidy.csv"
    code, _, err = run(capsys, "clean", base, "--out", out, "--dropped", "/dev/full")
    assert code == 2 and "/dev/full" in err and not out.exists() and _leftovers(tmp_path) == []
    code, _, err = run(capsys, "clean", base, "--out", out, "--dropped", tmp_path / "nowhere" / "d.csv")
    assert code == 2 and "does not exist" in err and not out.exists()


def _same_file_cases(tmp):
    """(how, the path to give, the file it is)."""
    real = tmp / "input.csv"
    (tmp / "link.csv").symlink_to(real)
    os.link(real, tmp / "hardlink.csv")
    return {"same path": real, "another spelling": tmp / "." / "input.csv", "symlink": tmp / "link.csv",
            "hard link": tmp / "hardlink.csv"}


@pytest.mark.parametrize("how", ["same path", "another spelling", "symlink", "hard link"])
@pytest.mark.parametrize("verb", ["clean --out", "clean --dropped", "triage", "triage --rejected", "plot"])
def test_an_output_that_is_the_input_by_any_route_is_refused(base, model_file, tmp_path, capsys, verb, how):
    real = tmp_path / "input.csv"
    shutil.copy(base, real)
    alias = _same_file_cases(tmp_path)[how]
    argv = [a if a != base else real for a in _writers(base, model_file, tmp_path)[verb]]
    before = real.read_bytes()
    code, out, err = run(capsys, *_argv(argv, out=alias))
    _one_line_error(code, out, err, "refusing to overwrite the input file")
    assert real.read_bytes() == before


@pytest.mark.parametrize("how", ["same path", "another spelling", "symlink", "hard link"])
@pytest.mark.parametrize("pair", [("clean", "--out", "--dropped"), ("triage", "--out", "--rejected")])
def test_two_outputs_that_are_one_file_are_refused(base, model_file, tmp_path, capsys, pair, how):
    verb, first, second = pair
    (tmp_path / "input.csv").write_text("placeholder")
    alias = _same_file_cases(tmp_path)[how]
    inputs = [model_file, base] if verb == "triage" else [base]
    code, out, err = run(capsys, verb, *inputs, first, tmp_path / "input.csv", second, alias)
    _one_line_error(code, out, err, "name the same file")
    assert (tmp_path / "input.csv").read_text() == "placeholder"


@pytest.mark.parametrize("verb", WRITERS)
@pytest.mark.parametrize("bad, phrase", [("", "is empty"), ("{file}/o.csv", "is a file, not a folder"),
                                         ("{tmp}/missing/o.csv", "does not exist"), ("{tmp}", "is a folder")])
def test_an_output_path_that_cannot_be_a_file_is_one_line(base, model_file, tmp_path, capsys, verb, bad, phrase):
    if verb == "exercises dataset" and bad == "":
        phrase = "give --student ID and --out FILE"  # an empty --out is no --out
    argv = _writers(base, model_file, tmp_path)[verb]
    code, out, err = run(capsys, *_argv(argv, out=bad.format(file=base, tmp=tmp_path)))
    _one_line_error(code, out, err, phrase)


# ------------------------------------------------------ spreadsheet safety


HOSTILE_CELLS = ["=1+1", "@SUM(A1)", "+cmd", '=HYPERLINK("http://evil","x")', "+4+4", "-2+3", "\t=1", "\r=1", "\n=1"]


def _unsafe_cells(path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    return [c for c in cells if c.startswith(FORMULA_START) and c != neutralize_formulas(pd.DataFrame({"c": [c]}))
            ["c"].iloc[0]]


def test_grade_sheets_neutralise_names_and_answers(tmp_path, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    named = [("=1+1", "x"), ("@SUM(A1)", "x"), ("+cmd", "x")]  # not student ids: their names are still written
    for name, answer in named + [(f"s{i}", cell) for i, cell in enumerate(HOSTILE_CELLS)]:
        (subs / f"{name}.yaml").write_text(f"plan-stakeholder: {json.dumps(answer)}\n", encoding="utf-8")
    (tmp_path / "secret").write_text(SECRET, encoding="utf-8")
    code, _, err = run(capsys, "exercises", "grade", subs, "--out", tmp_path / "grades.csv", "--secret-file",
                       tmp_path / "secret", "--set", "plan")
    assert code == 0, err
    written = sorted(tmp_path.glob("grades*.csv"))
    assert [p.name for p in written] == ["grades.csv", "grades_by_question.csv", "grades_totals.csv"]
    for path in written:
        assert _unsafe_cells(path) == [], path
    marks = pd.read_csv(tmp_path / "grades.csv", dtype=str, keep_default_na=False)
    assert {"'=1+1", "'@SUM(A1)", "'+cmd"} <= set(marks["student"])
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in set(marks["answer"])


def test_every_csv_written_from_a_hostile_file_is_spreadsheet_safe(base, model_file, tmp_path, capsys):
    frame = _raw(base)
    frame.loc[: len(HOSTILE_CELLS) - 1, "video_transcription_text"] = HOSTILE_CELLS
    path = _write(frame, tmp_path / "hostile.csv")
    outputs = tmp_path / "out"
    outputs.mkdir()
    assert run(capsys, "clean", path, "--out", outputs / "tidy.csv", "--dropped", outputs / "dropped.csv")[0] == 0
    frame.loc[20, "video_duration_sec"] = "=99"  # a rejected row is written too
    path = _write(frame, tmp_path / "hostile2.csv")
    assert run(capsys, "triage", model_file, path, "--out", outputs / "q.csv")[0] == 0
    written = sorted(outputs.iterdir())
    assert len(written) == 4
    for output in written:
        assert _unsafe_cells(output) == [], output
    tidy = pd.read_csv(outputs / "tidy.csv", dtype=str)
    assert set(tidy["video_transcription_text"]) >= {"'=1+1", "'+4+4"}
    assert b"\r\n" in (outputs / "tidy.csv").read_bytes()  # CR LF: a CR inside a cell stays quoted


def test_plain_numbers_are_left_as_numbers():
    cells = pd.DataFrame({"t": ["-1", "+2.5", "-0.5e3", "-1-1", "- 1"]})
    assert neutralize_formulas(cells)["t"].tolist() == ["-1", "+2.5", "-0.5e3", "'-1-1", "'- 1"]


# ------------------------------------------------------------- odd flags


def test_describe_refuses_a_negative_synthetic_seed(capsys):
    code, out, err = run(capsys, "describe", "synthetic:-1")
    _one_line_error(code, out, err, "0 or more")


def test_simulate_refuses_more_rows_than_memory_before_any_work(tmp_path, capsys):
    code, out, err = run(capsys, "simulate", "--rows", "10000000000", "--out", tmp_path / "big.csv")
    _one_line_error(code, out, err, "GB of memory")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ClaimstatsError, match="GB of memory"):
        simulate(10**11)


def test_error_lines_are_capped_however_long_the_input(tmp_path, capsys):
    frame = simulate(20, seed=1)
    frame.insert(3, "y" * 5000, 1)
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    for verb in (["validate", path], ["describe", path]):
        code, out, err = run(capsys, *verb)
        _one_line_error(code, out, err, "not part of the contract")
        assert max(len(line) for line in out.splitlines() or [""]) < 200


def test_no_temporary_file_survives_a_successful_run(base, model_file, tmp_path, capsys):
    argv = _writers(base, model_file, tmp_path)
    for verb in WRITERS:
        assert run(capsys, *_argv(argv[verb], out=_target(verb, tmp_path)))[0] == 0, verb
    assert _leftovers(tmp_path) == []
    assert np.all([os.stat(p).st_mode & 0o777 != 0o600 for p in tmp_path.glob("*.csv")])  # not mkstemp's mode
