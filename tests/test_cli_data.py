"""The data verbs of the command line: exit codes, messages, files written and left alone."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from claimstats import clean, load, simulate
from _cli import run
from claimstats.cli import main



def test_simulate_validate_clean_round_trip(tmp_path, capsys):
    raw = tmp_path / "raw.csv"
    code, out, _ = run(capsys, "simulate", "--rows", "500", "--seed", "4", "--out", str(raw))
    assert code == 0 and "500 synthetic rows (seed 4)" in out
    assert raw.read_bytes() == simulate(500, seed=4).to_csv(index=False, lineterminator="\r\n").encode()

    code, out, _ = run(capsys, "validate", str(raw))
    assert code == 0 and "valid (500 rows, 12 columns)" in out

    before = raw.read_bytes()
    tidy_path, dropped_path = tmp_path / "tidy.csv", tmp_path / "dropped.csv"
    code, out, _ = run(capsys, "clean", str(raw), "--out", str(tidy_path), "--dropped", str(dropped_path))
    expected, report = clean(load(raw).frame)
    assert code == 0 and report.describe() in out
    assert raw.read_bytes() == before
    assert len(pd.read_csv(tidy_path)) == report.rows_out == len(expected)
    assert len(pd.read_csv(dropped_path)) == report.rows_dropped


def test_validate_lists_problems_and_exits_2(tmp_path, capsys):
    bad = simulate(30, seed=1).drop(columns="video_like_count").assign(video_duration_sec=0)
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2
    assert "2 problems found" in out and "'video_like_count': is missing" in out and "outside 5–60" in out
    assert err.count("\n") == 1 and err.startswith("claimstats: error: ")


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["validate", "{tmp}/nope.csv"], "no such file"),
        (["clean", "{tmp}/raw.csv", "--out", "{tmp}/raw.csv"], "refusing to overwrite the input file"),
        (["clean", "{tmp}/raw.csv", "--out", "{tmp}/missing_dir/x.csv"], "does not exist"),
        (["clean", "{tmp}/empty.csv", "--out", "{tmp}/x.csv"], "the file is empty"),
        (["simulate", "--rows", "0", "--out", "{tmp}/x.csv"], "--rows must be at least 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, phrase):
    simulate(50, seed=1).to_csv(tmp_path / "raw.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    before = (tmp_path / "raw.csv").read_bytes()
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv])
    assert code == 2, (out, err)
    assert phrase in err and err.count("\n") == 1
    assert (tmp_path / "raw.csv").read_bytes() == before


def test_bad_flag_exits_2_without_traceback(tmp_path):
    for argv in (["clean"], ["simulate", "--rows", "many", "--out", "x.csv"], ["frobnicate"]):
        proc = subprocess.run([sys.executable, "-m", "claimstats", *argv], capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr and "error:" in proc.stderr


def test_real_process_reports_invalid_file_without_traceback(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    proc = subprocess.run([sys.executable, "-m", "claimstats", "clean", str(path), "--out", str(tmp_path / "o.csv")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "not UTF-8" in proc.stderr


def test_help_for_every_verb(capsys):
    for verb in ("simulate", "validate", "clean"):
        with pytest.raises(SystemExit) as info:
            main([verb, "--help"])
        assert info.value.code == 0
        assert verb in capsys.readouterr().out


def test_clean_on_course_file(tmp_path, capsys, course_file):
    code, out, _ = run(capsys, "clean", str(course_file), "--out", str(tmp_path / "tidy.csv"))
    assert code == 0 and "298 missing claim_status or transcription" in out
    assert len(pd.read_csv(tmp_path / "tidy.csv")) == 19_084


@pytest.mark.parametrize("argv, wrong", [
    (["ttest", "--bogus"], "the following arguments are required: file, --value, --group"),
    (["nope"], "invalid choice: 'nope'"),
    (["simulate", "--rows", "many"], "argument --rows: invalid int value: 'many'"),
    (["exercises", "grade"], "the following arguments are required: submissions, --out"),
])
def test_bad_flags_are_one_line_with_status_2(capsys, argv, wrong):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.count("\n") == 1 and wrong in err and "usage:" not in err
    assert err.rstrip().endswith("--help')")


def test_clean_names_the_flag_whose_path_is_wrong(tmp_path, capsys):
    raw = tmp_path / "raw.csv"
    simulate(50, seed=3).to_csv(raw, index=False)
    before = raw.read_bytes()
    code, _, err = run(capsys, "clean", raw, "--out", tmp_path / "tidy.csv", "--dropped", raw)
    assert code == 2 and "refusing to overwrite the input file; choose another --dropped" in err
    code, _, err = run(capsys, "clean", raw, "--out", tmp_path / "tidy.csv", "--dropped", tmp_path)
    assert code == 2 and "is a folder; give a file name for --dropped" in err
    assert raw.read_bytes() == before
