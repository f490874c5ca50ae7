"""The column contract of the TikTok claims data, and the error that lists its breaches.

Every stage downstream relies on this contract, so it is written once here:
column names and order, what each holds, allowed categories and ranges.
:func:`validate` checks a frame against it and returns every problem at once
(a user fixing a file wants the whole list, not one error per attempt).
"""

from __future__ import annotations

import difflib
from collections import Counter
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from claimstats.errors import ClaimstatsError

#: Bump when the contract changes in a way saved models must notice.
SCHEMA_VERSION = 1

ROW_ID = "#"
TARGET = "claim_status"
VIDEO_ID = "video_id"
DURATION = "video_duration_sec"
TEXT = "video_transcription_text"
VERIFIED = "verified_status"
BAN = "author_ban_status"
COUNT_COLUMNS = (
    "video_view_count",
    "video_like_count",
    "video_share_count",
    "video_download_count",
    "video_comment_count",
)
COLUMNS = (ROW_ID, TARGET, VIDEO_ID, DURATION, TEXT, VERIFIED, BAN, *COUNT_COLUMNS)

#: Allowed values of the categorical columns, in the order tables show them.
CATEGORIES = {
    TARGET: ("claim", "opinion"),
    VERIFIED: ("not verified", "verified"),
    BAN: ("active", "under review", "banned"),
}
DURATION_RANGE = (5, 60)
VIDEO_ID_RANGE = (10**9, 10**10 - 1)  # ten digits, no leading zero
#: The largest count a video can have: a trillion (over a hundred views per person alive). Larger is a
#: corrupt cell; the bound keeps every count exact as float64 and int64 sums of millions of rows exact.
COUNT_MAX = 10**12
#: The largest row number: 2**53 - 1, the largest whole number float64 holds exactly.
ROW_ID_MAX = 2**53 - 1
#: The range of every whole-number column, checked by every reader (validate, clean, triage's intake).
WHOLE_RANGES = {
    ROW_ID: (0, ROW_ID_MAX),
    VIDEO_ID: VIDEO_ID_RANGE,
    DURATION: DURATION_RANGE,
    **{name: (0, COUNT_MAX) for name in COUNT_COLUMNS},
}

#: Columns that may be empty in a row the cleaning step will drop.
NULLABLE = frozenset({TARGET, TEXT, *COUNT_COLUMNS})


@dataclass(frozen=True)
class ColumnSpec:
    """What one column holds, for the data dictionary and for validation."""

    name: str
    kind: str  # "integer", "category", "text", "count"
    description: str
    allowed: str
    nullable: bool


def _allowed(name: str) -> str:
    if name in CATEGORIES:
        return " | ".join(CATEGORIES[name])
    if name == DURATION:
        return f"{DURATION_RANGE[0]}–{DURATION_RANGE[1]}"
    if name == VIDEO_ID:
        return "10-digit integer, unique"
    if name in COUNT_COLUMNS:
        return f"whole number, 0 to {COUNT_MAX:,}"
    if name == ROW_ID:
        return f"whole number, 0 to {ROW_ID_MAX:,}"
    return "any text"


_DESCRIPTIONS = {
    ROW_ID: "Row number assigned by the data provider.",
    TARGET: "Whether the video makes a claim or states an opinion (the label to predict).",
    VIDEO_ID: "Identifier of the video.",
    DURATION: "Length of the video in seconds.",
    TEXT: "Transcription of what is said in the video.",
    VERIFIED: "Whether the account that posted the video is verified.",
    BAN: "Moderation status of the video's author.",
    "video_view_count": "Times the video has been viewed.",
    "video_like_count": "Times the video has been liked.",
    "video_share_count": "Times the video has been shared.",
    "video_download_count": "Times the video has been downloaded.",
    "video_comment_count": "Comments left on the video.",
}
_KINDS = {ROW_ID: "integer", VIDEO_ID: "integer", DURATION: "integer", TEXT: "text"}

SPECS = tuple(
    ColumnSpec(
        name=name,
        kind=_KINDS.get(name, "category" if name in CATEGORIES else "count"),
        description=_DESCRIPTIONS[name],
        allowed=_allowed(name),
        nullable=name in NULLABLE,
    )
    for name in COLUMNS
)


def data_dictionary() -> pd.DataFrame:
    """The contract as a table: one row per column, for the book and the README.

    Examples
    --------
    >>> data_dictionary().loc[1, "column"]
    'claim_status'
    """
    return pd.DataFrame(
        {
            "column": [s.name for s in SPECS],
            "type": [s.kind for s in SPECS],
            "allowed values": [s.allowed for s in SPECS],
            "may be missing": ["yes" if s.nullable else "no" for s in SPECS],
            "description": [s.description for s in SPECS],
        }
    )


@dataclass(frozen=True)
class Problem:
    """One breach of the contract: which column, what is wrong, where, an example."""

    column: str
    message: str
    rows: tuple[int, ...] = ()  # data rows, counted from 1 after the header
    n_rows: int = 0
    examples: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"column {_short(self.column)!r}: {self.message}" if self.column else self.message
        if self.n_rows:
            shown = ", ".join(map(str, self.rows))
            more = ", …" if self.n_rows > len(self.rows) else ""
            noun = "row" if self.n_rows == 1 else "rows"
            text += f" ({self.n_rows} {noun}: {shown}{more}"
            if self.examples:
                text += "; e.g. " + ", ".join(self.examples)
            text += ")"
        return text


class DataValidationError(ClaimstatsError):
    """The data break the contract. ``problems`` lists every breach found.

    ``str(error)`` is a single line (the first problem and how many more);
    :meth:`report` gives the full list, one problem per line.
    """

    def __init__(self, problems, source: str | None = None, hint: str | None = None):
        self.problems = tuple(problems)
        self.source = source
        self.hint = hint
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        where = f"{self.source}: " if self.source else ""
        first = str(self.problems[0]) if self.problems else "invalid data"
        more = len(self.problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''}; see `claimstats validate`)" if more else ""
        return f"{where}{first}{extra}"

    def report(self) -> str:
        """Every problem on its own line, then what to do."""
        head = f"{self.source}: " if self.source else ""
        n = len(self.problems)
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} found:"]
        lines += [f"  - {p}" for p in self.problems]
        lines.append(self.hint or _DEFAULT_HINT)
        return "\n".join(lines)


_DEFAULT_HINT = (
    "Fix these in the file (the data dictionary is in README.md and the book's Plan "
    "chapter), or start from a valid file with `claimstats simulate`."
)
MAX_ROWS_SHOWN = 5
_MAX_NAMES_SHOWN = 5
_NAME_WIDTH = 40


def _short(text: str, width: int = _NAME_WIDTH) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when cut (an error line stays readable)."""
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _names(names) -> str:
    shown = ", ".join(repr(_short(n)) for n in names[:_MAX_NAMES_SHOWN])
    return shown + (", …" if len(names) > _MAX_NAMES_SHOWN else "")


_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")


def _as_written(value) -> str:
    """A value as a message quotes it: a number as written in the file (leading zeros kept), text in quotes."""
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return value.strip()
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return repr(int(value))
    return repr(value)


def problem(column: str, message: str, mask: np.ndarray, values: pd.Series | None = None) -> Problem:
    """The :class:`Problem` of the rows flagged by ``mask``: the first rows (from 1) and up to three values as written."""
    positions = np.flatnonzero(mask)
    shown = positions[:MAX_ROWS_SHOWN]
    examples: tuple[str, ...] = ()
    if values is not None:
        seen: list[str] = []
        for v in values.iloc[shown]:
            text = _short(_as_written(v))
            if text not in seen:
                seen.append(text)
            if len(seen) == 3:
                break
        examples = tuple(seen)
    return Problem(column, message, tuple(int(p) + 1 for p in shown), int(len(positions)), examples)


def as_numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column as float64 values and a mask of the present values that are not numbers.

    Text read from a CSV is converted in one pass (numpy's float parsing);
    only a column holding something else falls back to :func:`pandas.to_numeric`.

    Examples
    --------
    >>> values, bad = as_numbers(pd.Series(["1", "0123", None, "x"]))
    >>> values.tolist()[:2], bad.tolist()
    ([1.0, 123.0], [False, False, False, True])
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype="float64", na_value=np.nan), np.zeros(len(series), bool)
    try:
        values = series.to_numpy(dtype=object, na_value=np.nan).astype(np.float64)
    except (ValueError, TypeError, OverflowError):
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return values, series.notna().to_numpy() & np.isnan(values)


def _numeric(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The column as float64 and a mask of present values that are not numbers."""
    values, bad = as_numbers(series)
    return pd.Series(values, index=series.index), bad


def validate(data: pd.DataFrame) -> list[Problem]:
    """Check a frame against the contract and return every problem found.

    Parameters
    ----------
    data : DataFrame
        Columns named as in :data:`COLUMNS` (after :func:`claimstats.data.load`'s
        normalisation of known variants).

    Returns
    -------
    list of Problem
        Empty when the frame satisfies the contract.

    Examples
    --------
    >>> from claimstats import simulate
    >>> validate(simulate(20, seed=1))
    []
    >>> bad = simulate(20, seed=1).assign(video_duration_sec=99)
    >>> print(validate(bad)[0])  # doctest: +ELLIPSIS
    column 'video_duration_sec': outside 5–60 (20 rows: 1, 2, 3, 4, 5, …; e.g. 99)
    """
    problems: list[Problem] = []
    present = [c for c in data.columns]
    dupes = sorted(str(c) for c, n in Counter(present).items() if n > 1)
    for name in dupes:
        problems.append(Problem(str(name), "appears more than once in the header"))
    unknown = [c for c in present if c not in COLUMNS]
    if len(unknown) > _MAX_NAMES_SHOWN:  # one line for many, not a line each
        problems.append(Problem("", f"{len(unknown):,} columns are not part of the contract: {_names(unknown)}"))
    for name in unknown if len(unknown) <= _MAX_NAMES_SHOWN else ():
        close = difflib.get_close_matches(str(name), COLUMNS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(Problem(str(name), f"is not part of the contract{hint}"))
    missing = [c for c in COLUMNS if c not in present]
    if len(missing) == 1:
        problems.append(Problem(missing[0], "is missing from the header"))
    elif missing:
        problems.append(Problem("", f"{len(missing)} columns are missing from the header: {', '.join(missing)}"))
    if dupes:
        return problems

    for name in COLUMNS:
        if name not in data.columns:
            continue
        col = data[name]
        nulls = col.isna().to_numpy()
        if name not in NULLABLE and nulls.any():
            problems.append(problem(name, "is empty where a value is required", nulls))
        if name in CATEGORIES:
            ok = col.isin(CATEGORIES[name]).to_numpy() | nulls
            if not ok.all():
                allowed = ", ".join(CATEGORIES[name])
                problems.append(problem(name, f"has values outside {{{allowed}}}", ~ok, col))
            continue
        if name == TEXT:
            if pd.api.types.is_string_dtype(col) and col.dtype != object:
                continue  # pandas' str dtype holds only text
            not_text = ~nulls & ~col.map(lambda v: isinstance(v, str)).to_numpy()
            if not_text.any():
                problems.append(problem(name, "has values that are not text", not_text, col))
            continue
        numbers, not_numeric = _numeric(col)
        if not_numeric.any():
            problems.append(problem(name, "has values that are not numbers", not_numeric, col))
        values = numbers.to_numpy()
        finite = np.isfinite(values)
        infinite = ~np.isnan(values) & ~finite
        if infinite.any():
            problems.append(problem(name, "has infinite values", infinite, col))
        fractional = finite & (np.floor(np.where(finite, values, 0)) != np.where(finite, values, 0))
        if fractional.any():
            problems.append(problem(name, "has values that are not whole numbers", fractional, col))
        out = np.zeros(len(values), bool)
        for message, mask in range_breaches(name, values):
            problems.append(problem(name, message, mask, col))
            out |= mask
        if name == VIDEO_ID and is_text_column(col):
            padded = (~out & col.str.strip().str.startswith("0").fillna(False)).to_numpy(dtype=bool)
            if padded.any():
                problems.append(problem(name, "starts with 0: a video id has 10 digits, no leading zero", padded,
                                         col))

    return problems


def is_text_column(series: pd.Series) -> bool:
    """Whether a column holds text (as read from a CSV), not numbers."""
    return pd.api.types.is_string_dtype(series) or series.dtype == object


def arrow_strings(column: pd.Series):
    """The column's Arrow string array (a ``pyarrow.ChunkedArray``) when pandas holds it as Arrow
    strings, as every chunk that triage reads; else ``None``.

    Code that reads text fast (parsing numbers, searching bytes, cutting
    words) works on this array; other columns take the per-cell path.

    Examples
    --------
    >>> arrow_strings(pd.Series(["a", None], dtype="str")).to_pylist(), arrow_strings(pd.Series(["a"], dtype=object))
    (['a', None], None)
    """
    if getattr(column.dtype, "storage", None) != "pyarrow":
        return None
    import pyarrow as pa

    strings = pa.chunked_array(column.array.__arrow_array__())
    return strings if pa.types.is_string(strings.type) or pa.types.is_large_string(strings.type) else None


def range_breaches(name: str, values) -> list[tuple[str, np.ndarray]]:
    """The present values of a whole-number column outside its range in :data:`WHOLE_RANGES`.

    Returns ``(message, mask)`` pairs, one per side of the range that is
    breached, in the contract's words; every reader of data (validation,
    cleaning, triage's intake, the exercise checker) uses these bounds.

    Examples
    --------
    >>> [(m, mask.tolist()) for m, mask in range_breaches("video_view_count", [0.0, 1e30, np.nan, -1.0])]
    [('has negative counts', [False, False, False, True]), ('has counts above 1,000,000,000,000', [False, True, False, False])]
    """
    low, high = WHOLE_RANGES[name]
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(values)
    below, above = present & (values < low), present & (values > high)
    if name == VIDEO_ID:
        pairs = [("is not a 10-digit number", below | above)]
    elif name == DURATION:
        pairs = [(f"outside {low}–{high}", below | above)]
    elif name in COUNT_COLUMNS:
        pairs = [("has negative counts", below), (f"has counts above {high:,}", above)]
    else:
        pairs = [("has negative row numbers", below), (f"has row numbers above {high:,}", above)]
    return [(message, mask) for message, mask in pairs if mask.any()]


def check(data: pd.DataFrame, source: str | None = None) -> None:
    """Raise :class:`DataValidationError` listing every problem, if there is any."""
    problems = validate(data)
    if problems:
        raise DataValidationError(problems, source=source)
