"""Execute: triage of a backlog held in a CSV file of any size.

:func:`triage_file` reads the file in chunks, checks each row against the data
contract (:func:`claimstats.intake.check_reports`; rejected rows go to a side
file with the reason), scores the valid rows with a
:class:`~claimstats.triage.ClaimModel`, writes each scored chunk sorted to a
temporary file and merges those files into the queue, so memory stays bounded
by the chunk size, not the file size. The queue is the one
:func:`claimstats.triage.prioritize` gives for the valid rows; what was done is
summed up in a :class:`TriageReport`.

Output CSVs are safe to open in a spreadsheet: a text cell that starts like a
formula is prefixed with ``'`` (:func:`neutralize_formulas`). Their lines end
with CR LF (as RFC 4180 and spreadsheets write CSV), which makes Python's CSV
writer quote any cell holding a carriage return: a bare CR inside an unquoted
cell would end the row for every CSV reader.

Examples
--------
>>> import pandas as pd
>>> neutralize_formulas(pd.DataFrame({"t": ["=A1", "text"]}))["t"].tolist()
["'=A1", 'text']
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from claimstats.data import check_header
from claimstats.errors import ClaimstatsError
from claimstats.intake import RepeatedIds, check_reports, normalise_reports
from claimstats.outputs import LINE_END, Outputs, neutralize_formulas, same_file, write_rows
from claimstats.reporting import format_bounded
from claimstats.triage import SCORE_COLUMN, TIERS, ClaimModel, check_recall, tier_of

__all__ = ["TriageReport", "neutralize_formulas", "triage_file"]

DEFAULT_CHUNKSIZE = 50_000
_ROW = "_row"
_MAX_FAN_IN = 128


# --------------------------------------------------------- triage of a file


@dataclass(frozen=True)
class TriageReport:
    """What :func:`triage_file` did: rows in, scored and rejected (with reasons), thresholds, tiers."""

    rows_in: int
    rows_scored: int
    rows_rejected: int
    reasons: tuple[tuple[str, int], ...]
    tiers: tuple[tuple[str, int], ...]
    target_recall: float
    threshold: float
    first_recall: float
    first_threshold: float
    out: str
    rejected_path: str | None
    seconds: float

    def to_frame(self) -> pd.DataFrame:
        """Rows per outcome: each tier, then each rejection reason (a row may have several), then totals."""
        rows = [(f"tier: {tier}", n) for tier, n in self.tiers]
        rows += [(f"rejected: {reason}", n) for reason, n in self.reasons]
        rows += [("rows scored", self.rows_scored), ("rows rejected", self.rows_rejected), ("rows in", self.rows_in)]
        return pd.DataFrame(rows, columns=["outcome", "rows"])

    def describe(self) -> str:
        """A sentence for a report.

        Examples
        --------
        >>> TriageReport(10, 9, 1, (("video_id: missing", 1),), (("review first", 3), ("review", 1),
        ...              ("low priority", 5)), 0.95, 0.42, 0.8, 0.9, "q.csv", "r.csv", 0.1).describe()
        'Scored 9 of 10 reports (1 rejected, listed in r.csv); 4 are at or above the review threshold 0.42 (chosen to catch at least 95% of the validation claims), 3 of them at or above the review-first threshold 0.9; queue written to q.csv.'
        """
        above = sum(n for tier, n in self.tiers if tier != TIERS[2])
        first = dict(self.tiers).get(TIERS[0], 0)
        rejected = f" ({self.rows_rejected:,} rejected, listed in {self.rejected_path})" if self.rows_rejected else ""
        return (f"Scored {self.rows_scored:,} of {self.rows_in:,} reports{rejected}; {above:,} are at or above the "
                f"review threshold {format_bounded(self.threshold)} (chosen to catch at least "
                f"{format_bounded(100 * self.target_recall, '.6g', (0.0, 100.0))}% of the validation claims), "
                f"{first:,} of them at or above the review-first threshold {format_bounded(self.first_threshold)}; "
                f"queue written to {self.out}.")


class _Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total_bytes: int, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = max(total_bytes, 1)

    def update(self, done_bytes: int, rows: int, stage: str = "scoring") -> None:
        if self.enabled:
            share = min(done_bytes / self.total, 1.0)
            bar = "#" * int(share * 30)
            self.stream.write(f"\r{stage} [{bar:<30}] {share:4.0%} {rows:,} rows")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _to_csv(frame: pd.DataFrame, handle, header: bool = True) -> None:
    frame.to_csv(handle, index=False, header=header, lineterminator=LINE_END)


class _SideFile:
    """The rejected rows: opened at the first one (or at the end, header only, when asked for)."""

    def __init__(self, path: Path, always: bool, outputs: Outputs):
        self.path, self.always, self.outputs = path, always, outputs
        self.handle = None
        self.rows = 0
        self.reasons: dict[str, int] = {}
        self.columns: list[str] | None = None

    def write(self, rows: pd.DataFrame, numbers: np.ndarray, reasons: np.ndarray) -> None:
        if not len(rows):
            return
        first = self.handle is None
        if first:
            self.handle = self.outputs.open(self.path)
        side = rows.copy()
        side.insert(0, "reason", reasons)
        side.insert(0, "row", numbers)
        write_rows(side, self.handle, first)
        self.rows += len(rows)
        for text in reasons:
            for reason in text.split("; "):
                self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def close(self) -> None:
        if self.handle is None and self.always and self.columns is not None:
            self.handle = self.outputs.open(self.path)
            write_rows(pd.DataFrame(columns=["row", "reason", *self.columns]), self.handle, True)


class _Runs:
    """Scored chunks, each sorted by (score descending, row): the last one in memory, earlier ones on disk."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths: list[Path] = []
        self.last: pd.DataFrame | None = None

    def add(self, run: pd.DataFrame) -> None:
        if self.last is not None:
            self._spill(self.last)
        self.last = run

    def _spill(self, run: pd.DataFrame) -> None:
        self.paths.append(self.folder / f"run{len(self.paths):06d}.csv")
        with open(self.paths[-1], "w", newline="", encoding="utf-8") as handle:
            _to_csv(run, handle)

    def merge(self, columns: list[str], emit, chunksize: int) -> None:
        """Feed every row to ``emit`` in queue order, in blocks."""
        if self.last is None:
            return
        if not self.paths:  # the whole file was one chunk: no temporary file at all
            emit(self.last)
            return
        self._spill(self.last)
        paths, block = self.paths, max(500, chunksize // min(len(self.paths), _MAX_FAN_IN))
        round_number = 0
        while len(paths) > _MAX_FAN_IN:  # too many runs to hold a block of each: merge in rounds
            merged = []
            for start in range(0, len(paths), _MAX_FAN_IN):
                part = self.folder / f"round{round_number}-{start:06d}.csv"
                with open(part, "w", newline="", encoding="utf-8") as handle:
                    header = [True]

                    def keep(frame, handle=handle, header=header):
                        _to_csv(frame, handle, header[0])
                        header[0] = False
                    _merge_runs(paths[start:start + _MAX_FAN_IN], columns, keep, block)
                merged.append(part)
            paths, round_number = merged, round_number + 1
        _merge_runs(paths, columns, emit, block)


def _read_run(path: Path, columns: list[str], block: int):
    dtypes = {c: str for c in columns}
    dtypes.update({SCORE_COLUMN: float, _ROW: np.int64})
    return pd.read_csv(path, dtype=dtypes, chunksize=block, keep_default_na=False, na_values=[""])


def _merge_runs(paths: list[Path], columns: list[str], emit, block: int) -> None:
    """Merge runs sorted by (score descending, row ascending) into one stream, block by block.

    Every run keeps at least ``block`` rows buffered (while it has rows left).
    No row still to be read can come before the smallest last buffered key of
    the runs not yet exhausted, so every buffered row up to that key is
    emitted, sorted, at each step. Keeping the buffers full makes each step
    emit about ``block`` rows per run, so the steps number about rows / (runs ×
    block), not rows / block. Memory: at most two blocks per run.
    """
    readers = [iter(_read_run(p, columns, block)) for p in paths]
    buffers: list[pd.DataFrame | None] = [None] * len(paths)
    exhausted = [False] * len(paths)
    while True:
        for i, reader in enumerate(readers):
            while not exhausted[i] and (buffers[i] is None or len(buffers[i]) < block):
                more = next(reader, None)
                if more is None:
                    exhausted[i] = True
                else:
                    buffers[i] = more if buffers[i] is None else pd.concat([buffers[i], more], ignore_index=True)
        live = [i for i, b in enumerate(buffers) if b is not None and len(b)]
        if not live:
            return
        waiting = [i for i in live if not exhausted[i]]
        limit = min(((-buffers[i][SCORE_COLUMN].iat[-1], buffers[i][_ROW].iat[-1]) for i in waiting),
                    default=(np.inf, np.inf))
        taken = []
        for i in live:
            b = buffers[i]
            key_score, row = -b[SCORE_COLUMN].to_numpy(), b[_ROW].to_numpy()
            upto = (key_score < limit[0]) | ((key_score == limit[0]) & (row <= limit[1]))
            count = int(upto.sum())  # the buffer is sorted: the rows up to the limit are its first ones
            if count:
                taken.append(b.iloc[:count])
                buffers[i] = b.iloc[count:].reset_index(drop=True)
        pool = pd.concat(taken, ignore_index=True)
        emit(pool.iloc[np.lexsort((pool[_ROW].to_numpy(), -pool[SCORE_COLUMN].to_numpy()))])


def _chunks(handle, source: Path, chunksize: int):
    """The file's chunks as text (empty cells missing), with CSV problems as one clear error."""
    try:
        yield from pd.read_csv(handle, dtype=str, chunksize=chunksize, encoding="utf-8-sig")
    except pd.errors.ParserError as err:
        detail = str(err).strip().splitlines()[-1]
        raise ClaimstatsError(f"{source}: not a well-formed CSV file: {detail}") from None
    except pd.errors.EmptyDataError:
        raise ClaimstatsError(f"{source}: the file is empty") from None
    except UnicodeDecodeError:
        raise ClaimstatsError(f"{source}: not UTF-8 text; save the file as 'CSV UTF-8'") from None


def _top_reasons(reasons: dict[str, int], shown: int = 3) -> str:
    """The commonest rejection reasons, for a one-line message.

    Examples
    --------
    >>> _top_reasons({"a: missing": 3, "b: negative": 5})
    '5 × b: negative, 3 × a: missing'
    """
    top = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{n:,} × {reason}" for reason, n in top[:shown])
    return text + (", …" if len(top) > shown else "")


def _check_header(chunk: pd.DataFrame, needed, source: Path) -> list[str]:
    if len(chunk.columns) == 1:  # another delimiter: say so, as load does
        check_header(str(chunk.columns[0]), str(source))
    try:
        # one clear error naming the missing columns, before any work
        check_reports(normalise_reports(chunk.head(0)), needed)
    except ClaimstatsError as err:
        raise ClaimstatsError(f"{source}: {err}") from None
    columns = [str(c) for c in chunk.columns]
    clash = [c for c in ("rank", "tier", SCORE_COLUMN, _ROW, "row", "reason") if c in columns]
    if clash:
        raise ClaimstatsError(f"{source}: column {clash[0]!r} clashes with a column that triage adds to the queue "
                              "or to the rejected rows; rename it")
    return columns


def triage_file(model: ClaimModel, path, out, *, target_recall: float | None = None,
                first_recall: float | None = None, chunksize: int = DEFAULT_CHUNKSIZE, rejected=None,
                progress: bool | None = None, temp_dir=None) -> TriageReport:
    """Rank the reports in a CSV file of any size into a review queue file.

    Parameters
    ----------
    model : ClaimModel
    path : path
        CSV with the contract's columns (``claim_status`` may be absent or
        empty); other columns are carried through. The course file's variants
        are read as :func:`claimstats.load` reads them
        (:func:`claimstats.intake.normalise_reports`). Never modified.
    out : path
        The queue: ``rank``, ``tier``, ``claim_probability``, then the input
        columns as they were read, highest probability first (ties in input order).
    target_recall, first_recall : float, optional
        Recalls on validation that set the tier thresholds (default: the model's).
    chunksize : int
        Rows read, checked and scored at a time. Memory grows with it, not
        with the file.
    rejected : path, optional
        Where rows that break the contract go, with their data row number
        (``row``, from 1) and ``reason``. Default: ``<out>.rejected.csv``,
        written only when a row is rejected (or replaced, header only, when
        an earlier run left one there). Every input row ends in exactly
        one of the two files; a repeated ``video_id`` is rejected. Both files
        are written beside their targets and renamed at the end
        (:class:`claimstats.outputs.Outputs`): a run that fails, or can score
        no row (a :class:`ClaimstatsError`), leaves the previous files as they were.
    progress : bool, optional
        Draw a progress bar on stderr; default: when stderr is a terminal.
    temp_dir : path, optional
        Folder for the sorted runs (as much space as the queue needs).

    Returns
    -------
    TriageReport

    Notes
    -----
    Ranking a file larger than memory is an external merge sort: each scored
    chunk is sorted and written to a temporary file (a "run"), then the runs
    are merged block by block (at most 128 at once; more runs are merged in
    rounds). Memory is a few chunks of rows, whatever the file size.
    """
    started = time.perf_counter()
    if chunksize < 1:
        raise ClaimstatsError(f"chunksize must be at least 1; got {chunksize}")
    source, target = Path(path), Path(out)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    rejected_target = Path(rejected) if rejected else target.with_name(target.stem + ".rejected.csv")
    for written in (target, rejected_target):
        if same_file(written, source):  # the same path, a symlink or a hard link
            raise ClaimstatsError(f"{written}: refusing to overwrite the input file")
    if same_file(rejected_target, target):  # the queue, written last, would erase the rejected rows
        raise ClaimstatsError(f"{rejected_target}: the queue and the rejected rows cannot go to the same file; "
                              "choose another file for the rejected rows")
    target_recall = model.target_recall if target_recall is None else check_recall(target_recall)
    first_recall = min(model.first_recall if first_recall is None else check_recall(first_recall), target_recall)
    first, review = model.thresholds(target_recall, first_recall)
    needed = model.columns
    meter = _Progress(source.stat().st_size, progress)
    rows_in = rows_scored = 0
    tiers = dict.fromkeys(TIERS, 0)
    # A side file left at the default path by an earlier run would read as this run's rejected rows:
    # replace it (header only when nothing is rejected), as the queue is replaced.
    # Both files are written beside their targets and appear together, only if the whole run succeeds.
    outputs = Outputs()
    side = _SideFile(rejected_target, always=bool(rejected) or rejected_target.exists(), outputs=outputs)
    with outputs, tempfile.TemporaryDirectory(prefix="claimstats-triage-", dir=temp_dir) as work, \
            open(source, "rb") as raw:
        runs, repeats = _Runs(Path(work)), RepeatedIds()
        try:
            for chunk in _chunks(raw, source, chunksize):
                if side.columns is None:
                    columns = _check_header(chunk, needed, source)
                    if chunk.empty:  # only a file with a header and no row gives an empty chunk
                        raise ClaimstatsError(f"{source}: has a header but no data rows")
                    side.columns = columns
                numbers = np.arange(rows_in + 1, rows_in + len(chunk) + 1)  # data rows, from 1
                rows_in += len(chunk)
                view = normalise_reports(chunk)  # checked and scored; the rows are written as read
                reasons = repeats.check(view, check_reports(view, needed).to_numpy())
                bad = reasons != ""
                side.write(chunk[bad], numbers[bad], reasons[bad])
                if not bad.all():
                    good, numbers = chunk[~bad], numbers[~bad]
                    scores = model.predict_proba(view[~bad])
                    for tier, n in zip(*np.unique(tier_of(scores, first, review), return_counts=True)):
                        tiers[str(tier)] += int(n)
                    order = np.lexsort((numbers, -scores))
                    run = good.iloc[order].reset_index(drop=True)
                    run.insert(0, _ROW, numbers[order])
                    run.insert(0, SCORE_COLUMN, scores[order])
                    runs.add(run)
                    rows_scored += len(good)
                meter.update(raw.tell(), rows_in)
        finally:
            side.close()
        if side.columns is None:
            raise ClaimstatsError(f"{source}: has a header but no data rows")
        if not rows_scored:
            raise ClaimstatsError(f"{source}: no report can be scored: all {rows_in:,} rows break the data contract "
                                  f"({_top_reasons(side.reasons)}); nothing was written")
        handle = outputs.open(target)
        written = [0]

        def write(frame):
            s = frame[SCORE_COLUMN].to_numpy()
            queue = frame.drop(columns=[_ROW, SCORE_COLUMN])
            queue.insert(0, SCORE_COLUMN, s)
            queue.insert(0, "tier", tier_of(s, first, review))
            queue.insert(0, "rank", np.arange(written[0] + 1, written[0] + len(frame) + 1))
            write_rows(queue, handle, written[0] == 0)
            written[0] += len(frame)
            meter.update(written[0], written[0], "writing")

        meter.total = max(rows_scored, 1)
        runs.merge(side.columns, write, chunksize)
    meter.close()
    return TriageReport(
        rows_in=rows_in, rows_scored=rows_scored, rows_rejected=side.rows,
        reasons=tuple(sorted(side.reasons.items(), key=lambda kv: (-kv[1], kv[0]))), tiers=tuple(tiers.items()),
        target_recall=target_recall, threshold=review, first_recall=first_recall, first_threshold=first,
        out=str(target), rejected_path=str(rejected_target) if side.rows or rejected else None,
        seconds=time.perf_counter() - started)
