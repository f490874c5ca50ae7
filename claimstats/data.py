"""Loading and cleaning: the first two stages of every analysis.

:func:`load` finds the data (an explicit path, ``CLAIMSTATS_DATA``,
``data/tiktok_dataset.csv`` in the project, or the synthetic default), reads
it, normalises the variants of the course file that circulate, validates it
against :mod:`claimstats.schema` and says where it came from. :func:`clean`
drops the rows an analysis cannot use and reports every one of them.
Neither ever writes to its input.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from claimstats import schema
from claimstats.errors import ClaimstatsError
from claimstats.schema import (
    CATEGORIES,
    COLUMNS,
    COUNT_COLUMNS,
    DURATION,
    ROW_ID,
    TARGET,
    TEXT,
    VIDEO_ID,
    DataValidationError,
    Problem,
)

ENV_VAR = "CLAIMSTATS_DATA"
DEFAULT_FILE = Path("data") / "tiktok_dataset.csv"
SYNTHETIC = "synthetic"
_PROJECT_MARKERS = ("_quarto.yml", "pyproject.toml")


@dataclass(frozen=True)
class DataSource:
    """Where a frame came from, and what :func:`load` changed on the way.

    ``kind`` is ``"file"`` (``path`` and ``sha256`` set) or ``"synthetic"``
    (``seed`` set). ``chosen_by`` says which rule picked it: ``"argument"``,
    ``"CLAIMSTATS_DATA"``, ``"project data folder"`` or ``"default"``.
    """

    kind: str
    rows: int
    chosen_by: str
    path: str | None = None
    sha256: str | None = None
    seed: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def is_synthetic(self) -> bool:
        return self.kind == SYNTHETIC

    def describe(self) -> str:
        """One sentence for a report or the book's edition callout.

        Examples
        --------
        >>> DataSource("synthetic", rows=100, chosen_by="default", seed=7).describe()
        'synthetic data (claimstats.simulate, seed 7), 100 rows'
        """
        if self.is_synthetic:
            return f"synthetic data (claimstats.simulate, seed {self.seed}), {self.rows:,} rows"
        return f"{self.path} (sha256 {self.sha256[:12]}…), {self.rows:,} rows"


class LoadResult(NamedTuple):
    """``frame, source = load()``."""

    frame: pd.DataFrame
    source: DataSource


def find_project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` holding ``_quarto.yml`` or ``pyproject.toml``.

    Book chapters execute in ``chapters/``; this lets them find ``data/`` at the top.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / m).is_file() for m in _PROJECT_MARKERS):
            return folder
    return None


def resolve_source(source: str | os.PathLike | None = None) -> tuple[str | Path, str]:
    """Decide where the data come from: ``(path or "synthetic[:seed]", rule)``.

    Order: the ``source`` argument, then ``CLAIMSTATS_DATA``, then
    ``data/tiktok_dataset.csv`` in the project root, then the synthetic default.
    ``"synthetic"`` or ``"synthetic:SEED"`` in either of the first two forces
    synthetic data.
    """
    if source is not None and str(source) != "":
        return _as_source(source), "argument"
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return _as_source(env), ENV_VAR
    root = find_project_root()
    candidate = (root or Path.cwd()) / DEFAULT_FILE
    if candidate.is_file():
        return candidate, "project data folder"
    return SYNTHETIC, "default"


def _as_source(value: str | os.PathLike) -> str | Path:
    text = str(value)
    if text == SYNTHETIC or text.startswith(SYNTHETIC + ":"):
        return text
    return Path(text).expanduser()


def _synthetic_seed(spec: str, default: int) -> int:
    if ":" not in spec:
        return default
    raw = spec.split(":", 1)[1]
    try:
        return int(raw)
    except ValueError:
        raise ClaimstatsError(f"bad data source {spec!r}: the seed after 'synthetic:' must be an integer") from None


def load(
    source: str | os.PathLike | None = None,
    *,
    seed: int | None = None,
    rows: int | None = None,
) -> LoadResult:
    """Read, normalise and validate the claims data.

    Parameters
    ----------
    source : path, "synthetic", "synthetic:SEED" or None
        Where to read from. ``None`` resolves ``CLAIMSTATS_DATA``, then
        ``data/tiktok_dataset.csv`` in the project, then the synthetic default.
    seed, rows : int, optional
        Seed and size of the synthetic data when that is what is loaded
        (defaults: :data:`claimstats.simulate.DEFAULT_SEED` and 19,382 rows).

    Returns
    -------
    LoadResult
        ``(frame, source)``: the frame in contract column order with the course
        file's dtypes, and a :class:`DataSource` naming the file and its sha256
        (or the seed) and listing what was normalised.

    Raises
    ------
    DataValidationError
        When the file cannot be used; ``error.report()`` lists every problem.
    FileNotFoundError
        When an explicit path does not exist.

    Examples
    --------
    >>> frame, source = load("synthetic:3", rows=200)
    >>> frame.shape, source.describe()
    ((200, 12), 'synthetic data (claimstats.simulate, seed 3), 200 rows')
    """
    from claimstats.simulate import DEFAULT_ROWS, DEFAULT_SEED, simulate

    where, rule = resolve_source(source)
    if isinstance(where, str):
        chosen_seed = seed if seed is not None else _synthetic_seed(where, DEFAULT_SEED)
        frame = simulate(rows if rows is not None else DEFAULT_ROWS, seed=chosen_seed)
        schema.check(frame, source=f"synthetic seed {chosen_seed}")
        return LoadResult(frame, DataSource(SYNTHETIC, len(frame), rule, seed=chosen_seed))
    frame, notes, digest = read_csv(where)
    return LoadResult(frame, DataSource("file", len(frame), rule, str(where), digest, notes=tuple(notes)))


def read_bytes(path: Path) -> bytes:
    """The file's bytes, with the errors a user can act on."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ClaimstatsError(f"{path}: is a folder, not a CSV file")
    try:
        return path.read_bytes()
    except PermissionError:
        raise ClaimstatsError(f"{path}: permission denied") from None


def decode(raw: bytes, where: str) -> str:
    """Strict UTF-8 (a BOM is allowed), or an error that says where it breaks."""
    if not raw.strip():
        raise DataValidationError([Problem("", "the file is empty")], source=where)
    if raw[:4] == b"PK\x03\x04":
        raise DataValidationError(
            [Problem("", "this is a zip or Excel workbook, not a CSV file; export it as 'CSV UTF-8'")], source=where
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        bad = raw[err.start : err.start + 1].hex()
        raise DataValidationError(
            [Problem("", f"not UTF-8 text: byte 0x{bad} on line {line}; save the file as 'CSV UTF-8'")],
            source=where,
        ) from None


def read_csv(path: str | os.PathLike) -> tuple[pd.DataFrame, list[str], str]:
    """Read one CSV file: ``(frame, notes on what was normalised, sha256)``.

    The file is opened read-only and never written.
    """
    path = Path(path)
    where = str(path)
    raw = read_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    text = decode(raw, where)
    frame = parse_csv_text(text, where)
    frame, notes = normalise(frame, where)
    schema.check(frame, source=where)
    return coerce(frame), notes, digest


def parse_csv_text(text: str, where: str) -> pd.DataFrame:
    """Parse CSV text into strings-and-numbers, turning parser failures into one clear problem."""
    if "\x00" in text:
        raise DataValidationError([Problem("", "contains NUL bytes: this is a binary file, not a CSV")], source=where)
    header = text.split("\n", 1)[0]
    if "," not in header and ";" in header:
        raise DataValidationError(
            [Problem("", "fields are separated by ';', not ','; export the file as comma-separated CSV")], source=where
        )
    try:
        frame = pd.read_csv(io.StringIO(text), dtype={TEXT: "str"}, keep_default_na=True)
    except pd.errors.EmptyDataError:
        raise DataValidationError([Problem("", "the file has no header row")], source=where) from None
    except pd.errors.ParserError as err:
        detail = str(err).strip().splitlines()[-1]
        raise DataValidationError([Problem("", f"not a well-formed CSV file: {detail}")], source=where) from None
    except csv.Error as err:  # pragma: no cover - pandas usually wraps these
        raise DataValidationError([Problem("", f"not a well-formed CSV file: {err}")], source=where) from None
    names = next(csv.reader([header.rstrip("\r")]), [])
    if not set(names) & (set(COLUMNS) | {"id"}):
        raise DataValidationError(
            [Problem("", f"this does not look like the claims data: none of the expected columns in the header ({header[:60]!r})")],
            source=where,
        )
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise DataValidationError([Problem(n, "appears more than once in the header") for n in repeated], source=where)
    if len(frame) == 0:
        raise DataValidationError([Problem("", "has a header but no data rows")], source=where)
    return frame


def normalise(frame: pd.DataFrame, where: str = "") -> tuple[pd.DataFrame, list[str]]:
    """Bring the known variants of the course file to the contract; say what changed.

    Handles an unnamed index column in front, ``id`` for ``#``, padded or
    upper-case category labels, apostrophes escaped as ``\\'`` and integer
    counts. Returns a new frame; the input is not modified.
    """
    frame = frame.copy()
    notes: list[str] = []
    first = str(frame.columns[0])
    if first.startswith("Unnamed: 0") or first == "":
        frame = frame.drop(columns=frame.columns[0])
        notes.append("dropped an unnamed index column in front of the data")
    if "id" in frame.columns and ROW_ID not in frame.columns:
        frame = frame.rename(columns={"id": ROW_ID})
        notes.append("renamed column 'id' to '#'")
    stripped = {c: c.strip() for c in frame.columns if isinstance(c, str) and c != c.strip()}
    if stripped:
        frame = frame.rename(columns=stripped)
        notes.append("removed spaces around column names")
    for name, allowed in CATEGORIES.items():
        if name not in frame.columns or not is_text(frame[name]):
            continue
        col = frame[name]
        tidy = col.str.strip().str.lower()
        changed = int((col.notna() & (tidy != col)).sum())
        if changed and tidy.dropna().isin(allowed).all():
            frame[name] = tidy
            notes.append(f"normalised case or spacing of {changed:,} {name} labels")
    if TEXT in frame.columns and is_text(frame[TEXT]):
        escaped = frame[TEXT].str.contains("\\'", regex=False, na=False)
        if escaped.any():
            frame[TEXT] = frame[TEXT].str.replace("\\'", "'", regex=False)
            notes.append(f"unescaped \\' to ' in {int(escaped.sum()):,} transcriptions")
    integer_counts = [c for c in COUNT_COLUMNS if c in frame.columns and pd.api.types.is_integer_dtype(frame[c])]
    if integer_counts:
        notes.append(f"read {len(integer_counts)} count columns written as integers")
    present = [c for c in COLUMNS if c in frame.columns]
    if present != [c for c in frame.columns if c in COLUMNS]:
        notes.append("reordered columns to the contract order")
    ordered = present + [c for c in frame.columns if c not in COLUMNS]
    return frame[ordered], notes


def is_text(series: pd.Series) -> bool:
    """Whether a column holds text as read from a CSV (pandas' ``str`` dtype, or ``object``).

    Examples
    --------
    >>> is_text(pd.Series(["a", None])), is_text(pd.Series([1.0]))
    (True, False)
    """
    return pd.api.types.is_string_dtype(series) or series.dtype == object


def coerce(frame: pd.DataFrame) -> pd.DataFrame:
    """The contract's dtypes (as the course file reads): ids as int64, counts as float64.

    Text columns keep the dtype pandas read them with (``str`` in pandas 3).
    """
    out = frame.copy()
    for name in (ROW_ID, VIDEO_ID, DURATION):
        out[name] = pd.to_numeric(out[name]).astype("int64")
    for name in COUNT_COLUMNS:
        out[name] = pd.to_numeric(out[name]).astype("float64")
    return out[list(COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------- cleaning

REASON_TARGET_OR_TEXT = "missing claim_status or transcription"
REASON_COUNTS = "missing engagement counts"
REASON_DUPLICATE = "duplicate video_id"
REASONS = (REASON_TARGET_OR_TEXT, REASON_COUNTS, REASON_DUPLICATE)


@dataclass(frozen=True, eq=False)
class CleaningReport:
    """What :func:`clean` kept and dropped, and why.

    ``dropped`` has one row per dropped row: its ``#``, ``video_id`` and
    ``reason`` (the first reason that applied, in the order of :data:`REASONS`).
    """

    rows_in: int
    rows_out: int
    reasons: tuple[tuple[str, int], ...]
    dropped: pd.DataFrame = field(repr=False)

    @property
    def rows_dropped(self) -> int:
        return self.rows_in - self.rows_out

    def to_frame(self) -> pd.DataFrame:
        """One row per reason (zero counts included), then the totals."""
        rows = [(reason, n) for reason, n in self.reasons]
        rows += [("rows dropped", self.rows_dropped), ("rows in", self.rows_in), ("rows kept", self.rows_out)]
        return pd.DataFrame(rows, columns=["step", "rows"])

    def describe(self) -> str:
        """A sentence for a report.

        Examples
        --------
        >>> import pandas as pd
        >>> CleaningReport(10, 8, ((REASON_COUNTS, 2),), pd.DataFrame()).describe()
        'Of 10 rows, 2 (20.0%) were dropped (2 missing engagement counts); 8 rows remain.'
        """
        share = self.rows_dropped / self.rows_in if self.rows_in else 0.0
        parts = "; ".join(f"{n:,} {reason}" for reason, n in self.reasons if n)
        why = f" ({parts})" if parts else ""
        return (
            f"Of {self.rows_in:,} rows, {self.rows_dropped:,} ({share:.1%}) were dropped{why}; "
            f"{self.rows_out:,} rows remain."
        )


def clean(data: pd.DataFrame) -> tuple[pd.DataFrame, CleaningReport]:
    """Drop the rows an analysis cannot use, and report each of them.

    A row is dropped when it has no ``claim_status`` or no transcription, when
    any engagement count is missing, or when its ``video_id`` repeats an
    earlier row's. Counts become ``int64`` and the three categorical columns
    pandas categoricals with the contract's categories. The input is not modified.

    Parameters
    ----------
    data : DataFrame
        A frame as :func:`load` returns it.

    Returns
    -------
    (DataFrame, CleaningReport)

    Examples
    --------
    >>> frame, _ = load("synthetic:1", rows=500)
    >>> tidy, report = clean(frame)
    >>> report.rows_in == 500 and report.rows_out == len(tidy)
    True
    """
    missing = [c for c in COLUMNS if c not in data.columns]
    if missing:
        raise DataValidationError([Problem(c, "is missing from the header") for c in missing])
    no_target_or_text = (data[TARGET].isna() | data[TEXT].isna()).to_numpy()
    no_counts = data[list(COUNT_COLUMNS)].isna().any(axis=1).to_numpy() & ~no_target_or_text
    usable = ~(no_target_or_text | no_counts)
    # A duplicate of an unusable row is not a duplicate of anything kept.
    duplicate = usable & pd.Series(np.where(usable, data[VIDEO_ID].to_numpy(), -1)).duplicated(keep="first").to_numpy()
    reason = np.select([no_target_or_text, no_counts, duplicate], list(REASONS), default="")
    keep = reason == ""
    dropped = pd.DataFrame(
        {ROW_ID: data[ROW_ID].to_numpy()[~keep], VIDEO_ID: data[VIDEO_ID].to_numpy()[~keep], "reason": reason[~keep]}
    )
    out = data.loc[keep, list(COLUMNS)].copy().reset_index(drop=True)
    for name in COUNT_COLUMNS:
        out[name] = out[name].astype("int64")
    for name, categories in CATEGORIES.items():
        out[name] = pd.Categorical(out[name], categories=list(categories))
    counts = tuple((r, int((reason == r).sum())) for r in REASONS)
    return out, CleaningReport(len(data), len(out), counts, dropped)
