"""Loading and cleaning: the first two stages of every analysis.

:func:`load` finds the data (an explicit path, ``CLAIMSTATS_DATA``,
``data/tiktok_dataset.csv`` in the project, or the synthetic default), reads
it, normalises the variants of the course file that circulate, validates it
against :mod:`claimstats.schema` and says where it came from. :func:`clean`
drops the rows an analysis cannot use and reports every one of them.
Neither ever writes to its input.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
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
        seed = int(raw)
    except ValueError:
        seed = -1
    if seed < 0:
        raise ClaimstatsError(f"bad data source {spec!r}: the seed after 'synthetic:' must be an integer, 0 or more")
    return seed


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


#: Rows read at a time: reading, validating and cleaning hold a few chunks in memory, not the file.
CHUNK_ROWS = 50_000
_BLOCK = 1 << 20
_MANY_COLUMNS = 50
_DELIMITERS = {";": "';'", "\t": "tabs", "|": "'|'"}


def _check_readable(path: Path) -> None:
    """The errors a user can act on, before reading: no such file, a folder."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ClaimstatsError(f"{path}: is a folder, not a CSV file")


def is_parquet(path: str | os.PathLike) -> bool:
    """Whether a data file is Parquet: a ``.parquet``/``.pq`` file, or a folder of them (a dataset).

    Examples
    --------
    >>> is_parquet("reports.parquet"), is_parquet("reports.csv")
    (True, False)
    """
    from claimstats.scale import file_format

    return file_format(path) == "parquet"


def _scan(path: Path) -> str:
    """:func:`scan_file` for a CSV; for Parquet, the sha256 of its bytes (its footer is checked when read)."""
    if path.exists() and is_parquet(path):
        from claimstats.scale import parquet_digest

        return parquet_digest(path)
    return scan_file(path)


def scan_file(path: str | os.PathLike) -> str:
    """Check a file's bytes in one pass and return its sha256; memory is one block.

    Refused, with the line where it breaks: an empty file, a zip or Excel
    workbook, bytes that are not UTF-8 (a BOM is allowed), NUL bytes.
    """
    path = Path(path)
    where = str(path)
    _check_readable(path)
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = 0
    blank = True
    try:
        with open(path, "rb") as handle:
            first = True
            while block := handle.read(_BLOCK):
                if first and block[:4] == b"PK\x03\x04":
                    raise DataValidationError(
                        [Problem("", "this is a zip or Excel workbook, not a CSV file; export it as 'CSV UTF-8'")],
                        source=where)
                first = False
                digest.update(block)
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as err:
                    line = lines + block[: max(err.start - pending, 0)].count(b"\n") + 1
                    bad = (decoder.getstate()[0] + block)[err.start : err.start + 1].hex() or block[:1].hex()
                    raise DataValidationError(
                        [Problem("", f"not UTF-8 text: byte 0x{bad} on line {line}; save the file as 'CSV UTF-8'")],
                        source=where) from None
                if b"\x00" in block:
                    line = lines + block[: block.index(b"\x00")].count(b"\n") + 1
                    raise DataValidationError(
                        [Problem("", f"contains NUL bytes (line {line}): this is a binary file, not a CSV")],
                        source=where)
                blank = blank and not block.strip()
                lines += block.count(b"\n")
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise DataValidationError(
                    [Problem("", "not UTF-8 text: the file ends inside a character; save the file as 'CSV UTF-8'")],
                    source=where) from None
    except PermissionError:
        raise ClaimstatsError(f"{path}: permission denied") from None
    if blank:
        raise DataValidationError([Problem("", "the file is empty")], source=where)
    return digest.hexdigest()


def _header_line(path: Path) -> str:
    """The first line of the file (any line ending: LF, CR LF or CR alone)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:  # newline="": any line ending ends a line
        line = handle.readline(1 << 24)
        while line and not line.strip("\r\n"):  # blank lines before the header, as pandas skips them
            line = handle.readline(1 << 24)
    return line.rstrip("\r\n")


def check_header(header: str, where: str) -> list[str]:
    """The column names of a header line, or one clear problem: another delimiter, not the claims data, repeats.

    Examples
    --------
    >>> check_header("#;claim_status;video_id", "f.csv")
    Traceback (most recent call last):
    ...
    claimstats.schema.DataValidationError: f.csv: fields are separated by ';', not ','; export the file as comma-separated CSV
    """
    if "," not in header:
        for delimiter, name in _DELIMITERS.items():
            if delimiter in header:
                raise DataValidationError(
                    [Problem("", f"fields are separated by {name}, not ','; export the file as comma-separated CSV")],
                    source=where)
    names = next(csv.reader([header]), [])
    if not set(names) & (set(COLUMNS) | {"id"}):
        raise DataValidationError(
            [Problem("", f"this does not look like the claims data: none of the expected columns in the header "
                         f"({header[:60]!r})")], source=where)
    repeated = sorted(n for n, k in Counter(names).items() if n and k > 1)
    if repeated:
        raise DataValidationError([Problem(n, "appears more than once in the header") for n in repeated[:5]],
                                  source=where)
    return names


def _field_count_problem(path: Path, n_fields: int, where: str) -> DataValidationError:
    """Which data rows have more fields than the header (read with the csv module: only on this error)."""
    rows, counts, total = [], [], 0
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for number, record in enumerate(reader, start=1):
            if len(record) > n_fields:
                total += 1
                if len(rows) < schema.MAX_ROWS_SHOWN:
                    rows.append(number)
                    counts.append(f"{len(record)} fields")
    message = (f"not a well-formed CSV file: rows with more fields than the header's {n_fields}; quote the cells "
               "that hold a comma, or remove the extra fields")
    return DataValidationError([Problem("", message, tuple(rows), max(total, 1), tuple(dict.fromkeys(counts)))],
                               source=where)


def _contract_column(name: str) -> bool:
    """Whether a header name can be (or become, once normalised) a contract column."""
    name = str(name)
    return name.strip() in COLUMNS or name.strip() == "id" or name == "" or name.startswith("Unnamed: 0")


def read_chunks(path: str | os.PathLike, chunksize: int = CHUNK_ROWS, *, usecols_contract: bool = False):
    """The file's rows as text, ``chunksize`` at a time (empty cells missing).

    Checks the header first (:func:`check_header`); a row with more fields than
    the header is one clear problem naming the rows, not a shifted column.
    Call :func:`scan_file` first to refuse files that are not UTF-8 text.
    ``usecols_contract`` reads only the columns that can be the contract's,
    for a file with many others (named from the header), so that thousands
    of columns read fast; rows are then not checked for extra fields.
    """
    path = Path(path)
    where = str(path)
    names = check_header(_header_line(path), where)
    try:
        reader = pd.read_csv(path, dtype=str, chunksize=chunksize, encoding="utf-8-sig", keep_default_na=True,
                             usecols=_contract_column if usecols_contract else None)
        seen = 0
        for chunk in reader:
            if not isinstance(chunk.index, pd.RangeIndex):  # pandas took the extra fields of every row as an index
                raise _field_count_problem(path, len(names), where)
            seen += len(chunk)
            yield chunk
    except pd.errors.EmptyDataError:
        raise DataValidationError([Problem("", "the file has no header row")], source=where) from None
    except pd.errors.ParserError as err:
        if "fields in line" in str(err):
            raise _field_count_problem(path, len(names), where) from None
        detail = str(err).strip().splitlines()[-1]
        raise DataValidationError([Problem("", f"not a well-formed CSV file: {detail}")], source=where) from None
    if not seen:
        raise DataValidationError([Problem("", "has a header but no data rows")], source=where)


class _Notes:
    """What normalising changed, summed over chunks (a count per kind of change)."""

    def __init__(self):
        self.counts: dict[str, int] = {}
        self.integer_counts: set[str] | None = None

    def add(self, kind: str, n: int = 1) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    def lines(self) -> list[str]:
        out = []
        for kind, n in self.counts.items():
            out.append(kind.format(n=n) if "{n" in kind else kind)
        if self.integer_counts:
            out.append(f"read {len(self.integer_counts)} count columns written as integers")
        return out


def _normalise(frame: pd.DataFrame, notes: _Notes) -> pd.DataFrame:
    frame = frame.copy()
    first = str(frame.columns[0])
    if first.startswith("Unnamed: 0") or first == "":
        frame = frame.drop(columns=frame.columns[0])
        notes.add("dropped an unnamed index column in front of the data")
    if "id" in frame.columns and ROW_ID not in frame.columns:
        frame = frame.rename(columns={"id": ROW_ID})
        notes.add("renamed column 'id' to '#'")
    stripped = {c: c.strip() for c in frame.columns if isinstance(c, str) and c != c.strip()}
    if stripped:
        frame = frame.rename(columns=stripped)
        notes.add("removed spaces around column names")
    for name, allowed in CATEGORIES.items():
        if name not in frame.columns or not is_text(frame[name]):
            continue
        col = frame[name]
        if col.isin(allowed).to_numpy().sum() == col.notna().to_numpy().sum():
            continue  # every label already as the contract writes it (the common case: no string work)
        tidy = col.str.strip().str.lower()
        fixable = col.notna().to_numpy() & (tidy != col).to_numpy() & tidy.isin(allowed).to_numpy()
        if fixable.any():  # cell by cell: a label that is still not allowed is left for validation to name
            frame[name] = col.where(~fixable, tidy)
            notes.add(f"normalised case or spacing of {{n:,}} {name} labels", int(fixable.sum()))
    if TEXT in frame.columns and is_text(frame[TEXT]):
        text = frame[TEXT]
        escaped = text.str.contains("\\'", regex=False, na=False)
        if escaped.any():
            text = text.str.replace("\\'", "'", regex=False)
            notes.add("unescaped \\' to ' in {n:,} transcriptions", int(escaped.sum()))
        blank = text.str.isspace().fillna(False).to_numpy(dtype=bool)  # cells are never "" (read as missing)
        if blank.any():  # as empty as an empty cell: cleaning drops both
            text = text.where(~blank)
            notes.add("read {n:,} transcription(s) holding only spaces as missing", int(blank.sum()))
        frame[TEXT] = text
    present = [c for c in COLUMNS if c in frame.columns]
    if present != [c for c in frame.columns if c in COLUMNS]:
        notes.add("reordered columns to the contract order")
    ordered = present + [c for c in frame.columns if c not in COLUMNS]
    return frame[ordered]


def _integer_counts(typed: pd.DataFrame, notes: _Notes) -> None:
    """Count columns with no empty cell and whole numbers only (pandas would read them as integers)."""
    integer = {c for c in COUNT_COLUMNS
               if not typed[c].isna().any() and bool((typed[c] == np.floor(typed[c])).all())}
    notes.integer_counts = integer if notes.integer_counts is None else notes.integer_counts & integer


def normalise(frame: pd.DataFrame, where: str = "") -> tuple[pd.DataFrame, list[str]]:
    """Bring the known variants of the course file to the contract; say what changed.

    Handles an unnamed index column in front, ``id`` for ``#``, padded or
    upper-case category labels, apostrophes escaped as ``\\'`` and transcriptions
    holding only spaces (read as missing); a file's readers also note integer counts. Cell by cell, so
    a chunk of a file reads as the whole file would. Returns a new frame; the
    input is not modified.

    Examples
    --------
    >>> raw = pd.DataFrame({"id": ["1"], "claim_status": [" Claim"], "video_transcription_text": ["  "]})
    >>> frame, notes = normalise(raw)
    >>> frame.iloc[0].tolist()[:2], notes[0]
    (['1', 'claim'], "renamed column 'id' to '#'")
    """
    notes = _Notes()
    out = _normalise(frame, notes)
    return out, notes.lines()


class _ProblemLog:
    """Problems found chunk by chunk, merged by (column, message): rows shown, rows counted, examples."""

    def __init__(self):
        self.merged: dict[tuple[str, str], list] = {}

    def add(self, problems, offset: int = 0) -> None:
        for p in problems:
            entry = self.merged.setdefault((p.column, p.message), [[], 0, []])
            entry[0] += [r + offset for r in p.rows][: schema.MAX_ROWS_SHOWN - len(entry[0])]
            entry[1] += p.n_rows
            entry[2] += [e for e in p.examples if e not in entry[2]][: 3 - len(entry[2])]

    def problems(self) -> list[Problem]:
        """In :func:`claimstats.schema.validate`'s order: the header's problems, then column by column."""
        found = [Problem(column, message, tuple(rows), n, tuple(examples))
                 for (column, message), (rows, n, examples) in self.merged.items()]
        order = {name: i for i, name in enumerate(COLUMNS)}
        # sorted is stable: the header's problems keep validate's order, the others follow column by column
        return sorted(found, key=lambda p: (p.n_rows > 0, order.get(p.column, len(order)) if p.n_rows else 0))


@dataclass(frozen=True)
class FileCheck:
    """What :func:`check_file` found: the rows, what was normalised, every problem, what cleaning drops.

    ``drops`` has one entry per reason a row is dropped (:data:`REASONS`):
    ``(reason, rows dropped, first data rows)``.
    """

    path: str
    rows: int
    columns: int
    sha256: str
    notes: tuple[str, ...]
    problems: tuple[Problem, ...]
    drops: tuple[tuple[str, int, tuple[int, ...]], ...]

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def rows_dropped(self) -> int:
        return sum(n for _, n, _ in self.drops)

    def to_frame(self) -> pd.DataFrame:
        """One row per problem (``column``, ``problem``, ``rows``), then one per reason cleaning drops rows."""
        rows = [(p.column, p.message, p.n_rows) for p in self.problems]
        rows += [("", f"clean drops: {reason}", n) for reason, n, _ in self.drops]
        return pd.DataFrame(rows, columns=["column", "problem", "rows"])

    def describe(self) -> str:
        """A sentence: valid or not, and what cleaning will drop.

        Examples
        --------
        >>> FileCheck("f.csv", 10, 12, "", (), (), ((REASON_COUNTS, 2, (3, 7)),)).describe()
        'f.csv: valid (10 rows); `claimstats clean` will drop 2 of them (2 missing engagement counts).'
        """
        if self.problems:
            n = len(self.problems)
            return f"{self.path}: {n} problem{'s' if n != 1 else ''}; the file does not satisfy the data contract."
        text = f"{self.path}: valid ({self.rows:,} rows)"
        if self.rows_dropped:
            why = ", ".join(f"{n:,} {reason}" for reason, n, _ in self.drops if n)
            text += f"; `claimstats clean` will drop {self.rows_dropped:,} of them ({why})"
        return text + "."


def _chunks_of(path: Path, where: str, chunksize: int):
    """``(offset, normalised chunk, problems)`` for each chunk, plus the notes (filled as chunks are read)."""
    notes = _Notes()

    def generate():
        # The header's problems (unknown or missing columns) come from the whole header; the chunks hold
        # only the columns that can be the contract's.
        if is_parquet(path):  # typed columns, read by row groups
            from claimstats.scale import parquet_frames

            names, frames = parquet_frames(path, chunksize)
            frames = _some_rows(frames, where)
        else:
            names = check_header(_header_line(path), where)
            wide = sum(not _contract_column(n) for n in names) > _MANY_COLUMNS  # invalid anyway: read what matters
            frames = read_chunks(path, chunksize, usecols_contract=wide)
        header = _normalise(pd.DataFrame(columns=names), _Notes())
        offset = 0
        for chunk in frames:
            frame = _normalise(chunk, notes)
            problems = schema.validate(frame)
            yield offset, frame, (schema.validate(header) + problems if offset == 0 else problems)
            offset += len(chunk)

    return generate(), notes


def _some_rows(frames, where: str):
    """``frames``, refusing a file with none of them (as a CSV with a header and no row is refused)."""
    seen = 0
    for frame in frames:
        seen += len(frame)
        yield frame
    if not seen:
        raise DataValidationError([Problem("", "has no data rows")], source=where)


def _synthetic_file(spec: str, folder: str | os.PathLike) -> tuple[Path, DataSource]:
    """The synthetic data ``spec`` names, written as a CSV in ``folder``, and their source."""
    frame, source = load(spec)
    target = Path(folder) / "synthetic.csv"
    frame.to_csv(target, index=False)
    return target, source


def check_file(path: str | os.PathLike, *, chunksize: int = CHUNK_ROWS) -> FileCheck:
    """Check a CSV file against the contract and say what cleaning will drop, in bounded memory.

    The file is read in chunks of ``chunksize`` rows; every problem is
    reported (with its first rows, counted from 1 after the header), as
    :func:`claimstats.schema.validate` reports it for a whole frame.

    Raises
    ------
    DataValidationError
        When the file cannot be read as a CSV at all (not UTF-8, another delimiter, ...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from claimstats import simulate
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "f.csv"
    >>> simulate(200, seed=1).to_csv(path, index=False)
    >>> check_file(path, chunksize=64).describe()  # doctest: +ELLIPSIS
    '...f.csv: valid (200 rows); `claimstats clean` will drop 3 of them (3 missing claim_status or transcription).'
    """
    if isinstance(_as_source(path), str):  # "synthetic[:SEED]": checked as the CSV it would be
        with tempfile.TemporaryDirectory(prefix="claimstats-") as folder:
            file, _ = _synthetic_file(str(path), folder)
            return replace(check_file(file, chunksize=chunksize), path=str(path))
    path = Path(path)
    where = str(path)
    digest = _scan(path)
    log = _ProblemLog()
    dropper = _Dropper()
    drops: dict[str, list] = {r: [0, []] for r in REASONS}
    rows = columns = 0
    chunks, notes = _chunks_of(path, where, chunksize)
    for offset, frame, problems in chunks:
        log.add(problems, offset)
        rows += len(frame)
        columns = frame.shape[1]
        if not log.merged:
            typed = coerce(frame)
            _integer_counts(typed, notes)
            reason = dropper.reasons(typed)
            for r in REASONS:
                hits = np.flatnonzero(reason == r)
                drops[r][0] += len(hits)
                drops[r][1] += [int(i) + offset + 1 for i in hits[: schema.MAX_ROWS_SHOWN - len(drops[r][1])]]
    problems = tuple(log.problems())
    found = () if problems else tuple((r, n, tuple(first)) for r, (n, first) in drops.items() if n)
    return FileCheck(where, rows, columns, digest, tuple(notes.lines()), problems, found)


def read_csv(path: str | os.PathLike, *, chunksize: int = CHUNK_ROWS) -> tuple[pd.DataFrame, list[str], str]:
    """Read one CSV file: ``(frame, notes on what was normalised, sha256)``.

    The file is opened read-only and never written. It is read in chunks, so
    memory holds the typed frame and one chunk of text, not the file's bytes.
    """
    path = Path(path)
    where = str(path)
    digest = _scan(path)
    log = _ProblemLog()
    parts = []
    chunks, notes = _chunks_of(path, where, chunksize)
    for offset, frame, problems in chunks:
        log.add(problems, offset)
        if not log.merged:
            parts.append(coerce(frame))
            _integer_counts(parts[-1], notes)
    if log.merged:
        raise DataValidationError(log.problems(), source=where)
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return frame, notes.lines(), digest


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
        out[name] = schema.as_numbers(out[name])[0].astype("int64")
    for name in COUNT_COLUMNS:
        out[name] = schema.as_numbers(out[name])[0]
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
    reason = _Dropper().reasons(data)
    return _kept(data, reason), _report(len(data), [reason], [_dropped(data, reason)])


class SeenIds:
    """Whole-number ids seen so far, chunk after chunk, in 8 bytes an id (a few sorted arrays) and a
    fixed 16 MiB filter.

    The arrays are kept as a log-structured merge: a new chunk's array is
    merged with the last one while that one is at most twice its size (and
    the result at most ``_MAX_PART`` ids), so there are about log2(ids /
    chunk) arrays, plus one per ``_MAX_PART`` ids, and each id is merged
    about as many times: adding N ids costs O(N log N), not a re-sort of
    every id seen at every few chunks.

    Most ids looked up are new ones. A bit per hashed id (2^27 bits: a
    Bloom filter with one hash) says "not seen" for all but a few per cent
    of them (about 7% once 10 million ids are in), so only those are
    searched for in the arrays: the searches, cache misses into arrays of
    millions, were most of the time spent in triage's main process.

    Examples
    --------
    >>> seen = SeenIds()
    >>> seen.add(np.array([5, 3]))
    >>> seen.contains(np.array([3, 4, 5])).tolist()
    [True, False, True]
    """

    _BITS = 27  # 2^27 bits: 16 MiB, allocated as bits are set
    #: Largest array a merge makes (2^21 ids, 16 MiB): merging two arrays briefly holds them twice, so
    #: unbounded merges would peak at 16 bytes an id; past this size arrays are kept side by side
    #: (the filter keeps their searches few).
    _MAX_PART = 1 << 21

    def __init__(self):
        self.parts: list[np.ndarray] = []
        self.filter = np.zeros(1 << (self._BITS - 3), dtype=np.uint8)

    def _slots(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each id's byte of the filter and its bit in it (Fibonacci hashing: the product's top bits)."""
        hashed = ids.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15) >> np.uint64(64 - self._BITS)
        return (hashed >> np.uint64(3)).astype(np.intp), np.left_shift(1, hashed & np.uint64(7)).astype(np.uint8)

    def contains(self, ids: np.ndarray) -> np.ndarray:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        found = np.zeros(len(ids), bool)
        if not self.parts or not len(ids):
            return found
        byte, bit = self._slots(ids)
        maybe = np.flatnonzero(self.filter[byte] & bit)
        maybe = maybe[np.argsort(ids[maybe], kind="stable")]
        wanted = ids[maybe]  # looked up in order: each search starts where the last one ended
        for part in self.parts:
            at = np.minimum(np.searchsorted(part, wanted), len(part) - 1)
            found[maybe] |= part[at] == wanted
        return found

    def add(self, ids: np.ndarray) -> None:
        if not len(ids):
            return
        new = np.sort(np.ascontiguousarray(ids, dtype=np.int64))
        new = new[np.concatenate([[True], new[1:] != new[:-1]])]  # once each
        byte, bit = self._slots(new)
        while len(byte):  # ids that share a byte: one of them per round sets its bit (np.bitwise_or.at is slower)
            self.filter[byte] |= bit
            unset = (self.filter[byte] & bit) == 0
            byte, bit = byte[unset], bit[unset]
        self.parts.append(new)
        while (len(self.parts) > 1 and len(self.parts[-2]) <= 2 * len(self.parts[-1])
               and len(self.parts[-2]) + len(self.parts[-1]) <= self._MAX_PART):
            merged = np.concatenate([self.parts.pop(-2), self.parts.pop()])
            merged.sort(kind="stable")  # in place; two sorted runs: a linear merge
            repeated = merged[1:] == merged[:-1]  # callers add unseen ids, so usually none
            self.parts.append(np.delete(merged, np.flatnonzero(repeated) + 1) if repeated.any() else merged)


class _Dropper:
    """Why each row is dropped, chunk after chunk: the video ids kept so far are remembered."""

    def __init__(self):
        self.seen = SeenIds()

    def reasons(self, data: pd.DataFrame) -> np.ndarray:
        """The reason each row of ``data`` is dropped (the first that applies, :data:`REASONS`), ``""`` if kept."""
        text = data[TEXT]
        blank_text = text.isna().to_numpy()
        if is_text(text):  # a transcription of spaces only is as empty as an empty cell
            blank_text = blank_text | (text.str.isspace() | (text == "")).fillna(False).to_numpy(dtype=bool)
        no_target_or_text = data[TARGET].isna().to_numpy() | blank_text
        no_counts = data[list(COUNT_COLUMNS)].isna().any(axis=1).to_numpy() & ~no_target_or_text
        usable = ~(no_target_or_text | no_counts)
        ids = data[VIDEO_ID].to_numpy()
        # A duplicate of an unusable row is not a duplicate of anything kept.
        duplicate = usable & pd.Series(np.where(usable, ids, -1)).duplicated(keep="first").to_numpy()
        duplicate |= usable & self.seen.contains(ids)
        self.seen.add(ids[usable & ~duplicate])
        return np.select([no_target_or_text, no_counts, duplicate], list(REASONS), default="")


def _whole_numbers(values: pd.Series, name: str) -> pd.Series:
    """A count column as int64, refusing what int64 cannot hold faithfully (the contract's range)."""
    breaches = schema.range_breaches(name, values.to_numpy(dtype=float))
    if breaches:
        raise DataValidationError([schema.problem(name, message, mask, values) for message, mask in breaches])
    return values.astype("int64")


def _kept(data: pd.DataFrame, reason: np.ndarray) -> pd.DataFrame:
    keep = reason == ""
    out = data.loc[keep, list(COLUMNS)].copy().reset_index(drop=True)
    for name in COUNT_COLUMNS:
        out[name] = _whole_numbers(out[name], name)
    for name, categories in CATEGORIES.items():
        out[name] = pd.Categorical(out[name], categories=list(categories))
    return out


def _dropped(data: pd.DataFrame, reason: np.ndarray) -> pd.DataFrame:
    drop = reason != ""
    return pd.DataFrame({ROW_ID: data[ROW_ID].to_numpy()[drop], VIDEO_ID: data[VIDEO_ID].to_numpy()[drop],
                         "reason": reason[drop]})


def _report(rows_in: int, reasons: list[np.ndarray], dropped: list[pd.DataFrame]) -> CleaningReport:
    counts = tuple((r, int(sum((part == r).sum() for part in reasons))) for r in REASONS)
    rows_out = rows_in - sum(n for _, n in counts)
    frame = dropped[0] if len(dropped) == 1 else pd.concat(dropped, ignore_index=True)
    return CleaningReport(rows_in, rows_out, counts, frame)


def require_rows(report: CleaningReport, where: str) -> None:
    """Refuse a cleaning that keeps no row: one line saying why each row went.

    Examples
    --------
    >>> require_rows(CleaningReport(2, 0, ((REASON_COUNTS, 2),), pd.DataFrame()), "f.csv")
    Traceback (most recent call last):
    ...
    claimstats.errors.ClaimstatsError: f.csv: cleaning keeps no row: all 2 rows are dropped (2 missing engagement counts); nothing to analyse
    """
    if report.rows_out == 0:
        why = "; ".join(f"{n:,} {reason}" for reason, n in report.reasons if n)
        raise ClaimstatsError(f"{where}: cleaning keeps no row: all {report.rows_in:,} rows are dropped ({why}); "
                              "nothing to analyse")


def clean_file(path: str | os.PathLike, out: str | os.PathLike, dropped: str | os.PathLike | None = None, *,
               chunksize: int = CHUNK_ROWS) -> tuple[CleaningReport, DataSource]:
    """Clean a CSV file into ``out`` chunk by chunk, in bounded memory; the same rows as :func:`clean`.

    ``dropped`` (optional) lists every dropped row's ``#``, ``video_id`` and
    ``reason``. Both files are spreadsheet-safe and written atomically
    (:mod:`claimstats.outputs`): when the file breaks the contract, when no row
    is kept, or when a write fails, nothing is written and the previous files
    are left as they were.

    Raises
    ------
    DataValidationError
        When the file breaks the contract (every problem listed).
    ClaimstatsError
        When cleaning keeps no row, or an output cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from claimstats import simulate
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> simulate(200, seed=1).to_csv(folder / "raw.csv", index=False)
    >>> report, _ = clean_file(folder / "raw.csv", folder / "tidy.csv", chunksize=64)
    >>> report.rows_out, len(pd.read_csv(folder / "tidy.csv"))
    (197, 197)
    """
    from claimstats.outputs import Outputs, write_rows

    if isinstance(_as_source(path), str):  # "synthetic[:SEED]": cleaned as the CSV it would be
        with tempfile.TemporaryDirectory(prefix="claimstats-") as folder:
            file, source = _synthetic_file(str(path), folder)
            return clean_file(file, out, dropped, chunksize=chunksize)[0], source
    path = Path(path)
    where = str(path)
    digest = _scan(path)
    log, dropper = _ProblemLog(), _Dropper()
    reasons, dropped_rows, rows_in = [], [], 0
    chunks, notes = _chunks_of(path, where, chunksize)
    with Outputs() as outputs:
        handle = outputs.open(out)
        side = outputs.open(dropped) if dropped is not None else None
        for offset, frame, problems in chunks:
            log.add(problems, offset)
            rows_in += len(frame)
            if log.merged:
                continue  # keep reading: every problem of the file is reported
            typed = coerce(frame)
            _integer_counts(typed, notes)
            reason = dropper.reasons(typed)
            write_rows(_kept(typed, reason), handle, header=offset == 0)
            reasons.append(reason[reason != ""])  # the dropped rows' only: memory grows with them, not the file
            dropped_rows.append(_dropped(typed, reason))
        if log.merged:
            raise DataValidationError(log.problems(), source=where)
        report = _report(rows_in, reasons, dropped_rows)
        require_rows(report, where)
        if side is not None:
            write_rows(report.dropped, side)
    source = DataSource("file", rows_in, "argument", where, digest, notes=tuple(notes.lines()))
    return report, source
