"""Execute: which rows of a backlog of reports can be scored, and why the others cannot.

A reports file holds the data contract's columns (:mod:`claimstats.schema`)
except the label: :data:`REPORT_COLUMNS`. :func:`normalise_reports` reads the
variants of the course file that :func:`claimstats.load` reads too (``id`` for
``#``, padded or upper-case labels, apostrophes escaped as ``\\'``);
:func:`check_reports` gives each row the reasons it breaks the contract (``""``
for a valid row), so that :func:`claimstats.triage.prioritize` can refuse a
backlog with broken rows and :func:`claimstats.backlog.triage_file` can set
them aside in a side file.

Examples
--------
>>> from claimstats import simulate
>>> reports = simulate(4, seed=2).drop(columns="claim_status")
>>> reports.loc[2, "video_like_count"] = -1
>>> check_reports(reports).tolist()
['', '', 'video_like_count: negative', '']
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from claimstats.data import SeenIds, is_text
from claimstats.errors import ClaimstatsError
from claimstats.schema import (
    CATEGORIES,
    COLUMNS,
    COUNT_COLUMNS,
    DURATION,
    DURATION_RANGE,
    ROW_ID,
    TARGET,
    TEXT,
    VIDEO_ID,
    VIDEO_ID_RANGE,
    WHOLE_RANGES,
    arrow_strings,
    is_text_column,
)

__all__ = ["REPORT_COLUMNS", "RepeatedIds", "check_reports", "normalise_reports"]

#: Columns a reports file must have: the contract's, except the label.
REPORT_COLUMNS = tuple(c for c in COLUMNS if c != TARGET)


def normalise_reports(reports: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``reports`` with the course file's known variants brought to the contract.

    Column names lose surrounding spaces and ``id`` becomes ``#`` (when there
    is no ``#``); text labels of the categorical columns lose surrounding
    spaces and are lower-cased; ``\\'`` in transcriptions becomes ``'``, as
    :func:`claimstats.load` reads them. Row by row, so a chunk of a file reads
    as the whole file would; values that are still not valid are left for
    :func:`check_reports` to name. The input is not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"id": [1], "verified_status": [" Verified"], "video_transcription_text": ["it\\'s"]})
    >>> normalise_reports(raw).to_dict("records")
    [{'#': 1, 'verified_status': 'verified', 'video_transcription_text': "it's"}]
    """
    view = reports.rename(columns=lambda c: c.strip() if isinstance(c, str) else c)
    if "id" in view.columns and ROW_ID not in view.columns:
        view = view.rename(columns={"id": ROW_ID})
    view = view.copy()
    # .str gives NaN for a cell that is not text (a number in an object column): keep such cells
    # as they were, for check_reports to name.
    for name in CATEGORIES:
        # A column whose labels are all the contract's already (the usual case) is left as it is:
        # stripping and lower-casing would give the same values.
        if name in view.columns and is_text(view[name]) and not view[name].dropna().isin(CATEGORIES[name]).all():
            tidy = view[name].str.strip().str.lower()
            view[name] = tidy.where(tidy.notna(), view[name])
    if TEXT in view.columns and is_text(view[TEXT]):
        if _may_contain(view[TEXT], "\\'"):
            unescaped = view[TEXT].str.replace("\\'", "'", regex=False)
            view[TEXT] = unescaped.where(unescaped.notna(), view[TEXT])
        blank = (view[TEXT].str.strip() == "").fillna(False)  # spaces only: missing
        if blank.any():
            view[TEXT] = view[TEXT].where(~blank)
    return view


@functools.lru_cache(maxsize=64)
def normalised_header(names: tuple) -> tuple[tuple, str | None]:
    """``(names as normalise_reports gives them, why the header cannot hold reports or None)``.

    Cached: triage checks a file's header where it opens it and again before it scores, and each
    check of an empty frame costs pandas 8 ms; a header is a tuple of its column names.

    Examples
    --------
    >>> normalised_header((" id", "video_id"))[0]
    ('#', 'video_id')
    >>> normalised_header(("#",))[1].endswith("missing: video_id, video_duration_sec, video_transcription_text, "
    ...                                      "verified_status, author_ban_status, video_view_count, video_like_count, "
    ...                                      "video_share_count, video_download_count, video_comment_count")
    True
    """
    normalised = normalise_reports(pd.DataFrame(columns=list(names)))
    try:
        check_reports(normalised)
    except ClaimstatsError as err:
        return tuple(normalised.columns), str(err)
    return tuple(normalised.columns), None


def _may_contain(column: pd.Series, text: str) -> bool:
    """Whether a cell of a text column may contain ``text``: ``False`` only when none does.

    For a column held as Arrow strings (every chunk that triage reads) the
    answer is a search of the column's bytes at once, about thirty times
    faster than asking each cell; a column held otherwise, or whose bytes
    hold ``text`` somewhere, gives ``True``, and the caller then looks cell
    by cell.

    Examples
    --------
    >>> _may_contain(pd.Series(["cats", None], dtype="str"), "dog"), _may_contain(pd.Series(["hotdog"], dtype="str"), "dog")
    (False, True)
    >>> _may_contain(pd.Series(["cats"], dtype=object), "dog")  # not held by Arrow: look cell by cell
    True
    """
    strings = arrow_strings(column)
    if strings is None:
        return True
    import pyarrow as pa

    needle = text.encode("utf-8")
    width = np.int64 if pa.types.is_large_string(strings.type) else np.int32  # the offsets' type
    for chunk in strings.chunks:
        _, offsets, data = chunk.buffers()
        if data is None or not len(chunk):
            continue
        bounds = np.frombuffer(offsets, dtype=width)[[chunk.offset, chunk.offset + len(chunk)]]
        # The bytes of every cell of the chunk (a null cell's too: a hit there only costs the slow path),
        # searched by NumPy, which lets go of the interpreter's lock (a scoring thread beside this one
        # waits while Python's own bytes search runs).
        if _holds(np.frombuffer(data, dtype=np.uint8, count=int(bounds[1] - bounds[0]), offset=int(bounds[0])),
                  needle):
            return True
    return False


def _holds(haystack: np.ndarray, needle: bytes) -> bool:
    """Whether the bytes ``haystack`` (a uint8 array) hold ``needle`` somewhere.

    Examples
    --------
    >>> [_holds(np.frombuffer(b"it\\'s", np.uint8), n) for n in (b"\\'", b"'s", b"s'", b"it\\'s!", b"")]
    [True, True, False, False, True]
    """
    if len(needle) > len(haystack):
        return False
    if not needle:
        return True
    # where the first byte is (few places: the needles are rare bytes), then which go on with the others
    at = np.flatnonzero(haystack[:len(haystack) - len(needle) + 1] == needle[0])
    for k in range(1, len(needle)):
        at = at[haystack[at + k] == needle[k]]
    return bool(len(at))


def as_numbers(column: pd.Series) -> np.ndarray:
    """``column`` as float64, NaN where it is empty or not a number: ``pd.to_numeric(errors="coerce")``'s values.

    A text column held by Arrow (how the reports of a CSV or Parquet chunk
    arrive) is parsed by Arrow's cast, in C++, when every value in it is a
    plain number, the usual case: about ten times faster than pandas, which
    parses text one value at a time. A column with any other value (a space,
    a thousands separator, a word) is parsed by pandas, as before; where both
    parse, they give the same numbers (a test compares them on awkward text).
    A negative zero is read as zero, whichever parses it.

    Examples
    --------
    >>> as_numbers(pd.Series(["12", None, "-0"], dtype="str")).tolist()
    [12.0, nan, 0.0]
    >>> as_numbers(pd.Series(["12", "1,000", " 7"], dtype="str")).tolist()
    [12.0, nan, 7.0]
    """
    strings = arrow_strings(column)
    if strings is not None:
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            parsed = pc.cast(strings, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = None  # a value that is not a plain number: pandas reads the column
        if parsed is not None:
            return parsed.to_numpy() + 0.0  # + 0.0: "-0" is 0 (-0.0 + 0.0 is 0.0)
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float) + 0.0


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64 and a mask of present values that are not numbers."""
    values = as_numbers(column)
    return values, column.notna().to_numpy() & np.isnan(values)


def check_reports(reports: pd.DataFrame, needed=REPORT_COLUMNS) -> pd.Series:
    """Why each row cannot be scored: ``""`` for a valid row, else the reasons joined by ``"; "``
    (an ``object`` Series of Python strings).

    The rules are the data contract's (:mod:`claimstats.schema`) for a reports
    file: every contract column but ``claim_status`` is in the header;
    ``claim_status`` may be absent or empty; the transcription and the counts
    may be empty only when they are not in ``needed`` (the columns the model
    reads); every value present must be valid. A file's header must have the
    columns (a :class:`ClaimstatsError` otherwise); other columns are kept.

    Examples
    --------
    >>> import pandas as pd
    >>> from claimstats import simulate
    >>> reports = simulate(3, seed=1).drop(columns="claim_status")
    >>> reports.loc[1, "video_duration_sec"] = 99
    >>> check_reports(reports).tolist()
    ['', 'video_duration_sec: outside 5–60', '']
    """
    missing = [c for c in REPORT_COLUMNS if c not in reports.columns]
    if missing:
        raise ClaimstatsError(f"a reports file needs the columns {', '.join(REPORT_COLUMNS)}; missing: "
                              f"{', '.join(missing)}")
    n = len(reports)
    reasons = np.full(n, "", dtype=object)

    def flag(mask: np.ndarray, message: str) -> None:
        if mask.any():
            current = reasons[mask]
            reasons[mask] = np.where(current == "", message, current + "; " + message)

    needed = set(needed)
    for name in [c for c in COLUMNS if c in reports.columns]:
        col = reports[name]
        empty = col.isna().to_numpy()
        if name != TARGET and (name in needed or name not in (TEXT, *COUNT_COLUMNS)):
            flag(empty, f"{name}: missing")
        if name in CATEGORIES:
            flag(~empty & ~col.isin(CATEGORIES[name]).to_numpy(), f"{name}: not one of {', '.join(CATEGORIES[name])}")
            continue
        if name == TEXT:
            if not pd.api.types.is_string_dtype(col) or col.dtype == object:
                is_text = np.fromiter((isinstance(v, str) for v in col.to_numpy(object)), bool, n)
                flag(~empty & ~is_text, f"{name}: not text")
            continue
        values, not_number = _numbers(col)
        flag(not_number, f"{name}: not a number")
        finite = np.isfinite(values)
        whole = finite & (values == np.floor(np.where(finite, values, 0)))
        flag(finite & ~whole, f"{name}: not a whole number")
        flag(~empty & ~not_number & ~finite, f"{name}: not a finite number")
        if name == DURATION:
            flag(finite & ((values < DURATION_RANGE[0]) | (values > DURATION_RANGE[1])),
                 f"{name}: outside {DURATION_RANGE[0]}–{DURATION_RANGE[1]}")
        elif name == VIDEO_ID:
            flag(finite & ((values < VIDEO_ID_RANGE[0]) | (values > VIDEO_ID_RANGE[1])), f"{name}: not 10 digits")
        elif name in COUNT_COLUMNS:
            flag(finite & (values < 0), f"{name}: negative")
        if name in (ROW_ID, *COUNT_COLUMNS):  # the contract's bounds (schema.WHOLE_RANGES)
            flag(finite & (values > WHOLE_RANGES[name][1]), f"{name}: above {WHOLE_RANGES[name][1]:,}")
    for name in reports.columns:  # a NUL byte ends a string for many tools: never copied into a queue
        col = reports[name]
        if is_text_column(col) and _may_contain(col, "\x00"):
            flag(col.str.contains("\x00", regex=False).fillna(False).to_numpy(dtype=bool),
                 f"{name}: contains a NUL byte")
    return pd.Series(reasons, index=reports.index, name="reason", dtype=object)


class RepeatedIds:
    """Video ids of the valid rows seen so far in a backlog, chunk after chunk: a repeat is rejected.

    The contract makes ``video_id`` unique; a report filed twice is queued
    once, at its first row.

    Examples
    --------
    >>> import pandas as pd
    >>> repeats = RepeatedIds()
    >>> repeats.check(pd.DataFrame({"video_id": ["1", "2"]}), np.array(["", ""], dtype=object)).tolist()
    ['', '']
    >>> repeats.check(pd.DataFrame({"video_id": ["2", "3", "3"]}), np.array(["", "", ""], dtype=object)).tolist()
    ['video_id: repeats an earlier row', '', 'video_id: repeats an earlier row']
    """

    REASON = f"{VIDEO_ID}: repeats an earlier row"

    def __init__(self):
        self.seen = SeenIds()  # 8 bytes a report: a backlog of millions stays small

    def check(self, reports: pd.DataFrame, reasons: np.ndarray) -> np.ndarray:
        """``reasons`` with the repeats of earlier valid rows' ids added."""
        return self.check_values(_numbers(reports[VIDEO_ID])[0], reasons)

    def check_values(self, values: np.ndarray, reasons: np.ndarray) -> np.ndarray:
        """:meth:`check` given the rows' ``video_id`` as numbers (NaN where not a number)."""
        valid = (reasons == "") & np.isfinite(values)
        ids = np.where(valid, values, -1).astype(np.int64)
        repeat = valid & pd.Series(np.where(valid, ids, -1)).duplicated(keep="first").to_numpy()
        repeat |= valid & self.seen.contains(ids)
        self.seen.add(ids[valid & ~repeat])
        out = reasons.copy()
        out[repeat] = np.where(out[repeat] == "", self.REASON, out[repeat] + "; " + self.REASON)
        return out
