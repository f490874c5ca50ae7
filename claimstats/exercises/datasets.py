"""A dataset per student, derived from the student id under a course secret.

Each student's data are ``claimstats.simulate(n, seed)`` with ``seed`` and
``n`` taken from HMAC-SHA256(course secret, student id). Without the secret
nobody can work out another student's dataset (or answers) from their id;
with it, the instructor can rebuild any student's dataset at marking time
instead of storing files. The size varies between students
(:data:`ROWS_RANGE`) so that even the counts differ: the synthetic generator
fixes the shares of claims, opinions and incomplete rows, not their numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from claimstats.errors import ClaimstatsError

#: Environment variable holding the course secret (the instructor's, never the students').
SECRET_ENV = "CLAIMSTATS_COURSE_SECRET"
#: Shortest secret accepted: a short word can be guessed, and with it every dataset.
MIN_SECRET_LENGTH = 16
#: Rows of a student's dataset, drawn uniformly in this range (inclusive). About
#: 3,000 rows keep every answer of a student computable in a few seconds while
#: leaving the course file's conclusions intact.
ROWS_RANGE = (2_400, 3_600)
#: Changing this string gives every student a new dataset (e.g. for a resit).
_DERIVATION = b"claimstats-exercises-v1"
_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def normalise_student_id(student_id: str) -> str:
    """The id as used for the dataset: trimmed and lower-case; must be usable as a file name.

    Examples
    --------
    >>> normalise_student_id("  S123 ")
    's123'
    >>> normalise_student_id("../x")
    Traceback (most recent call last):
    ...
    claimstats.errors.ClaimstatsError: bad student id '../x': use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)
    """
    text = str(student_id).strip()
    if not _STUDENT_ID.match(text):
        raise ClaimstatsError(
            f"bad student id {text!r}: use letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)"
        )
    return text.lower()


def read_secret(secret_file: str | os.PathLike | None = None) -> bytes:
    """The course secret: from ``secret_file`` if given, else :data:`SECRET_ENV`.

    Raises :class:`ClaimstatsError` when neither is set, or the secret is too short.
    """
    if secret_file is not None:
        path = Path(secret_file)
        if not path.is_file():
            raise ClaimstatsError(f"{path}: secret file not found")
        text = _read_text(path, "secret file").strip()
        where = f"secret file {path}"
    else:
        text = os.environ.get(SECRET_ENV, "").strip()
        where = SECRET_ENV
        if not text:
            raise ClaimstatsError(
                f"no course secret: set {SECRET_ENV} or pass --secret-file FILE "
                "(students check against the file they were given with --data FILE instead)"
            )
    if len(text) < MIN_SECRET_LENGTH:
        raise ClaimstatsError(
            f"the course secret in {where} is too short ({len(text)} characters; at least "
            f"{MIN_SECRET_LENGTH}); make one with: python -c \"import secrets; print(secrets.token_hex(16))\""
        )
    return text.encode("utf-8")


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ClaimstatsError(f"{path}: the {what} is not UTF-8 text (byte {err.start}); save it as plain text") from None


def read_roster(path: str | os.PathLike) -> list[str]:
    """The student ids of a roster file: one per line; blank lines and ``#`` comments are skipped.

    Ids are normalised (:func:`normalise_student_id`); a bad or repeated id is
    a :class:`ClaimstatsError` naming it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> roster = pathlib.Path(tempfile.mkdtemp()) / "roster.txt"
    >>> _ = roster.write_text("# class of 2025\\nS1\\n\\ns2\\n", encoding="utf-8")
    >>> read_roster(roster)
    ['s1', 's2']
    """
    path = Path(path)
    if not path.is_file():
        raise ClaimstatsError(f"{path}: roster file not found")
    lines = [line.strip() for line in _read_text(path, "roster").splitlines()]
    ids = [normalise_student_id(line) for line in lines if line and not line.startswith("#")]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ClaimstatsError(f"{path}: student id listed twice: {', '.join(repeated)}")
    return ids


@dataclass(frozen=True)
class StudentSpec:
    """Which synthetic dataset a student gets: ``simulate(rows, seed)``."""

    student: str
    rows: int
    seed: int

    def describe(self) -> str:
        # No row count: how many rows the file has is itself an exercise.
        return f"dataset of student {self.student}"


def student_spec(student_id: str, secret: bytes) -> StudentSpec:
    """Rows and seed of a student's dataset, from HMAC-SHA256(secret, id).

    Examples
    --------
    >>> a = student_spec("s1", b"x" * 16)
    >>> a == student_spec("S1", b"x" * 16), a == student_spec("s2", b"x" * 16)
    (True, False)
    >>> ROWS_RANGE[0] <= a.rows <= ROWS_RANGE[1]
    True
    """
    if not secret:
        raise ClaimstatsError("the course secret is empty")
    student = normalise_student_id(student_id)
    digest = hmac.new(secret, _DERIVATION + b"\0" + student.encode("utf-8"), hashlib.sha256).digest()
    seed = int.from_bytes(digest[:8], "big")
    low, high = ROWS_RANGE
    rows = low + int.from_bytes(digest[8:12], "big") % (high - low + 1)
    return StudentSpec(student, rows, seed)


def student_dataset(student_id: str, secret: bytes) -> pd.DataFrame:
    """The student's dataset, with the course file's columns and dtypes.

    Examples
    --------
    >>> frame = student_dataset("s1", b"x" * 16)
    >>> list(frame.columns)[:3], len(frame) == student_spec("s1", b"x" * 16).rows
    (['#', 'claim_status', 'video_id'], True)
    """
    from claimstats.simulate import simulate

    spec = student_spec(student_id, secret)
    return simulate(spec.rows, seed=spec.seed)


def write_student_dataset(student_id: str, secret: bytes, out: str | os.PathLike) -> StudentSpec:
    """Write the student's dataset as a CSV shaped like the course file."""
    spec = student_spec(student_id, secret)
    from claimstats.outputs import write_csv

    write_csv(student_dataset(spec.student, secret), out)
    return spec
