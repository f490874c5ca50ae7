"""A dataset per student: HMAC-derived, needs the course secret, same structure as the course file."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from _cli import run
from claimstats import load, simulate
from claimstats.errors import ClaimstatsError
from claimstats.exercises.bank import ExerciseData
from claimstats.exercises.checker import answer_key
from claimstats.exercises.datasets import (
    MIN_SECRET_LENGTH,
    ROWS_RANGE,
    SECRET_ENV,
    read_secret,
    student_dataset,
    student_spec,
)
from claimstats.schema import COLUMNS, validate

SECRET = "another-course-secret-42"


def test_spec_is_hmac_sha256_of_the_id_under_the_secret():
    # Recomputed by hand from the documented derivation.
    digest = hmac.new(SECRET.encode(), b"claimstats-exercises-v1\0s123", hashlib.sha256).digest()
    spec = student_spec(" S123 ", SECRET.encode())
    assert spec.student == "s123"
    assert spec.seed == int.from_bytes(digest[:8], "big")
    assert spec.rows == ROWS_RANGE[0] + int.from_bytes(digest[8:12], "big") % (ROWS_RANGE[1] - ROWS_RANGE[0] + 1)


def test_another_secret_or_id_gives_another_dataset():
    specs = {student_spec(s, k.encode()) for s in ("s1", "s2", "s3") for k in (SECRET, SECRET + "x")}
    assert len({(s.rows, s.seed) for s in specs}) == 6
    sizes = [student_spec(f"s{i}", SECRET.encode()).rows for i in range(200)]
    assert ROWS_RANGE[0] <= min(sizes) and max(sizes) <= ROWS_RANGE[1] and len(set(sizes)) > 150


def test_dataset_has_the_course_file_structure():
    frame = student_dataset("s1", SECRET.encode())
    assert tuple(frame.columns) == COLUMNS and validate(frame) == []
    assert frame["claim_status"].isna().sum() > 0  # incomplete rows to clean, as in the course file
    assert frame.equals(student_dataset("S1", SECRET.encode()))


def test_secret_is_required_and_must_not_be_short(monkeypatch, tmp_path):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(ClaimstatsError, match=f"no course secret: set {SECRET_ENV} or pass --secret-file"):
        read_secret()
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(ClaimstatsError, match=f"too short .5 characters; at least {MIN_SECRET_LENGTH}"):
        read_secret()
    monkeypatch.setenv(SECRET_ENV, f"  {SECRET}\n")
    assert read_secret() == SECRET.encode()
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "-file\n", encoding="utf-8")
    assert read_secret(path) == (SECRET + "-file").encode()  # the file wins over the variable
    with pytest.raises(ClaimstatsError, match="secret file not found"):
        read_secret(tmp_path / "nope.txt")


@pytest.mark.parametrize("bad", ["", "../etc", "a b", "x" * 65, "-s1"])
def test_student_ids_must_be_file_names(bad):
    with pytest.raises(ClaimstatsError, match="bad student id"):
        student_spec(bad, SECRET.encode())


def test_cli_dataset_writes_the_students_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "s9.csv"
    monkeypatch.delenv(SECRET_ENV, raising=False)
    code, _, err = run(capsys, "exercises", "dataset", "--student", "s9", "--out", out)
    assert code == 2 and "no course secret" in err and not out.exists()
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET, encoding="utf-8")
    code, stdout, _ = run(capsys, "exercises", "dataset", "--student", "s9", "--out", out, "--secret-file", secret_file)
    spec = student_spec("s9", SECRET.encode())
    assert code == 0 and f"({spec.rows:,} rows)" in stdout
    assert out.read_bytes() == simulate(spec.rows, seed=spec.seed).to_csv(index=False, lineterminator="\r\n").encode()


def test_cli_dataset_for_a_roster(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    roster = tmp_path / "roster.txt"
    roster.write_text("# class of 2025\ns1\n\nS2\n", encoding="utf-8")
    folder = tmp_path / "data"
    folder.mkdir()
    code, out, _ = run(capsys, "exercises", "dataset", "--roster", roster, "--out-dir", folder)
    assert code == 0 and sorted(p.name for p in folder.iterdir()) == ["s1.csv", "s2.csv"]
    assert len(pd.read_csv(folder / "s2.csv")) == student_spec("s2", SECRET.encode()).rows
    roster.write_text("s1\ns1\n", encoding="utf-8")
    code, _, err = run(capsys, "exercises", "dataset", "--roster", roster, "--out-dir", folder)
    assert code == 2 and "listed twice" in err


def test_the_file_a_student_gets_gives_the_same_answers_as_the_secret(tmp_path):
    path = tmp_path / "s5.csv"
    student_dataset("s5", SECRET.encode()).to_csv(path, index=False)
    from_file = answer_key(ExerciseData(load(path).frame), "plan,inspect,explore,hypothesis")
    from_secret = answer_key(ExerciseData(student_dataset("s5", SECRET.encode())), "plan,inspect,explore,hypothesis")
    assert from_file.keys() == from_secret.keys()
    for qid, value in from_secret.items():
        assert from_file[qid] == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value), qid


@pytest.mark.parametrize("flag", ["--roster", "--secret-file"])
def test_a_roster_or_secret_that_is_not_text_is_a_one_line_error(flag, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00s1\n")
    folder = tmp_path / "data"
    folder.mkdir()
    where = ["--roster", binary, "--out-dir", folder] if flag == "--roster" else \
        ["--student", "s1", "--out", folder / "s1.csv", "--secret-file", binary]
    code, out, err = run(capsys, "exercises", "dataset", *where)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"claimstats: error: {binary}: the ") and "is not UTF-8 text (byte 0)" in err
    assert list(folder.iterdir()) == []


def test_read_roster_skips_comments_and_names_what_is_wrong(tmp_path):
    from claimstats.exercises.datasets import read_roster

    roster = tmp_path / "roster.txt"
    roster.write_text("\ufeff# class of 2025\n  S1 \n\ns2\n", encoding="utf-8")  # a BOM, as Notepad writes
    assert read_roster(roster) == ["s1", "s2"]
    roster.write_text("s1\ns2\nS1\ns2\n", encoding="utf-8")
    with pytest.raises(ClaimstatsError, match="student id listed twice: s1, s2"):
        read_roster(roster)
    roster.write_text("s1\nana lopez\n", encoding="utf-8")
    with pytest.raises(ClaimstatsError, match="bad student id 'ana lopez'"):
        read_roster(roster)
    with pytest.raises(ClaimstatsError, match="roster file not found"):
        read_roster(tmp_path / "nope.txt")


def test_cli_dataset_never_writes_over_the_secret_or_the_roster(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    secret_file = tmp_path / "secret.csv"
    secret_file.write_text(SECRET, encoding="utf-8")
    code, _, err = run(capsys, "exercises", "dataset", "--student", "s1", "--out", secret_file,
                       "--secret-file", secret_file)
    assert code == 2 and "refusing to overwrite the input file" in err
    roster = tmp_path / "roster.csv"  # a roster that lists itself by accident
    roster.write_text("s1\nroster\n", encoding="utf-8")
    code, _, err = run(capsys, "exercises", "dataset", "--roster", roster, "--out-dir", tmp_path,
                       "--secret-file", secret_file)
    assert code == 2 and f"{roster}: refusing to overwrite the input file" in err
    assert secret_file.read_text(encoding="utf-8") == SECRET and roster.read_text(encoding="utf-8") == "s1\nroster\n"
    assert not (tmp_path / "s1.csv").exists()  # refused before any dataset was written
