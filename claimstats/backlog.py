"""Execute: triage of a backlog held in a CSV or Parquet file of any size.

:func:`triage_file` reads the file in chunks (Arrow record batches:
:func:`claimstats.scale.read_batches`), checks each row against the data
contract (:func:`claimstats.intake.check_reports`; rejected rows go to a side
file with the reason), scores the valid rows with a
:class:`~claimstats.triage.ClaimModel` (several chunks at once, on threads of
this process), ranks the
scored rows in memory while they fit in :data:`_HELD_BYTES`, and beyond that
writes them in sorted runs to temporary Arrow files and merges those files
into the queue, so memory stays bounded, not growing with the file size.
The queue is the one :func:`claimstats.triage.prioritize` gives for the
valid rows; what was done is summed up in a :class:`TriageReport`.
Queue and side file are written beside their targets and renamed into place
together only when the whole run succeeded (:class:`claimstats.outputs.Outputs`,
the project's one writer), whether they are CSV or Parquet.

Output CSVs are safe to open in a spreadsheet: a text cell that starts like a
formula is prefixed with ``'`` (:func:`claimstats.outputs.neutralize_formulas`;
for Arrow tables :func:`claimstats.outputs.neutralize_arrow`, the same rule).
Text cells are quoted and lines end with CR LF (as RFC 4180 and spreadsheets
write CSV), so a carriage return inside a cell stays inside it.

Examples
--------
>>> import pandas as pd
>>> neutralize_formulas(pd.DataFrame({"t": ["=A1", "text"]}))["t"].tolist()
["'=A1", 'text']
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import os
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from claimstats.data import check_header
from claimstats.errors import ClaimstatsError
from claimstats.intake import RepeatedIds, normalised_header
from claimstats.outputs import LINE_END, Outputs, inside, neutralize_arrow, neutralize_formulas, same_file
from claimstats.progress import progress_bar
from claimstats.reporting import format_bounded
from claimstats.scale import REASON, ROW, file_format, read_batches, score_frame
from claimstats.schema import COUNT_COLUMNS, ROW_ID, TEXT, VIDEO_ID
from claimstats.triage import SCORE_COLUMN, TIERS, ClaimModel, check_recall

__all__ = ["TriageReport", "neutralize_formulas", "triage_file"]

DEFAULT_CHUNKSIZE = 50_000
_ROW = "_row"
# Runs merged at once, at most: every run merged holds an open file, so fewer where the
# process may open fewer files (_fan_in); more runs are merged in rounds (each a full extra pass).
_MAX_FAN_IN = 256
# Rows per record batch of a run file, at least: the merge reads runs a batch at a time, so it holds
# up to _MAX_FAN_IN batches at once; a batch of chunksize / _MAX_FAN_IN rows keeps that about one chunk.
_MIN_RUN_BATCH = 256
_IPC_BUFFER = 1 << 20  # bytes: run files are written through a buffer this size (_IpcWriter)
# Bytes of scored chunks (Arrow's count) held in memory before they are sorted and written to disk
# as one run. A backlog that fits (about 320,000 reports) is ranked with one sort in memory: no
# run files, and each row is copied twice, into one table and into queue order (sorting every
# chunk, writing and reading it back and taking it again in the merge cost 140 ms of 10^5
# reports' 440 ms). Beyond it, runs of this size make fewer, longer runs to merge than one a chunk.
_HELD_BYTES = 64 << 20
_SPILL_BLOCK = 65_536  # rows taken at a time when held rows are written to disk as a run
# Chunks are scored on threads of this process. Most of a chunk's scoring runs in Arrow, NumPy,
# SciPy and the text kernel, which let go of the GIL. Threads were measured against worker
# processes (loky, a fresh interpreter each, with glibc's and mimalloc's freed memory kept) on
# 2 cores, alternating runs: Parquet 10^6 reports 3.6 s on threads against 5.0-5.3 s on processes,
# 3x10^6 10.2 s against 12.9 s, and with the text kernel and LinearScores 10^7 37.4 and 39.6 s
# (peak 856 MB) against 47.7 and 48.7 s (702 MB, and 342 MB a worker). A worker costs about 1.5 s
# of CPU to start (importing scikit-learn) and every chunk is pickled to it and back; the
# worker-process path was removed once it lost at every size.
_CSV_BYTES_PER_ROW = 250  # about what a report takes in a CSV file: to guess a file's chunks from its size
# Arrow's writer quotes every text cell ("needed" quotes strings), so a CR or LF inside a cell stays inside it.
_CSV_OPTIONS = pcsv.WriteOptions(include_header=False, eol=LINE_END)


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


# ------------------------------------------------------------ output files


def check_paths(source: Path, target: Path, rejected_target: Path) -> None:
    """Refuse outputs that would overwrite the input (by path, symlink or hard link) or join an input
    dataset folder, and a queue and rejected rows in one file."""
    for written in (target, rejected_target):
        if same_file(written, source):
            raise ClaimstatsError(f"{written}: refusing to overwrite the input file")
        if source.is_dir() and inside(written, source):  # it would become part of the dataset it is made from
            raise ClaimstatsError(f"{written}: is inside the input dataset folder {source}; write it elsewhere")
    if same_file(rejected_target, target):  # the queue, written last, would erase the rejected rows
        raise ClaimstatsError(f"{rejected_target}: the queue and the rejected rows cannot go to the same file; "
                              "choose another file for the rejected rows")


def check_thresholds(model: ClaimModel, target_recall, first_recall) -> tuple[float, float, float, float]:
    """``(target_recall, first_recall, first threshold, review threshold)``, the model's unless given."""
    target_recall = model.target_recall if target_recall is None else check_recall(target_recall)
    first_recall = min(model.first_recall if first_recall is None else check_recall(first_recall), target_recall)
    first, review = model.thresholds(target_recall, first_recall)
    return target_recall, first_recall, first, review


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """The columns a Parquet output dictionary-encodes: text columns whose values repeat.

    Tiers, statuses, labels and reasons repeat, so a dictionary makes them
    smaller and cheaper to write. The transcription, the ids and the counts
    (text when read from a CSV) are nearly all distinct: building a
    dictionary for them only to give it up at the first page that outgrows it
    took about a third of the queue's encoding time.

    Examples
    --------
    >>> _dictionary_columns(pa.schema([("tier", pa.string()), ("video_id", pa.string()),
    ...                                ("video_transcription_text", pa.large_string()), ("rank", pa.int64())]))
    ['tier']
    """
    distinct = {TEXT, ROW_ID, VIDEO_ID, *COUNT_COLUMNS}
    return [field.name for field in schema if field.name.strip() not in distinct and _holds_text(field.type)]


def _statistics_columns(schema: pa.Schema) -> list[str]:
    """The columns a Parquet output keeps min/max statistics for: all but the text columns
    without a dictionary (:func:`_dictionary_columns`), whose values are nearly all distinct.

    A transcription's minimum and maximum select nothing, and computing them took a third of the
    queue's writing time (10^5 rows: 64 ms, 44 ms without them).

    Examples
    --------
    >>> _statistics_columns(pa.schema([("tier", pa.string()), ("video_id", pa.string()),
    ...                                ("video_transcription_text", pa.large_string()), ("rank", pa.int64())]))
    ['tier', 'rank']
    """
    dictionary = set(_dictionary_columns(schema))
    return [field.name for field in schema if field.name in dictionary or not _holds_text(field.type)]


def _holds_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        return _holds_text(kind.value_type)
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


class _Sink:
    """A queue or rejected-rows file (CSV or Parquet by extension) written through :class:`Outputs`.

    The file is a temporary one beside the target until ``outputs`` commits;
    :meth:`close` must come before that (and after an error, before ``outputs`` aborts).
    """

    def __init__(self, target: Path, schema: pa.Schema, outputs: Outputs):
        self.format = file_format(target)
        self.schema = schema
        self.rows = 0
        self.writer = self.handle = None
        if self.format == "parquet":
            self.path = str(outputs.path(target))
            self.writer = pq.ParquetWriter(self.path, schema, use_dictionary=_dictionary_columns(schema),
                                           write_statistics=_statistics_columns(schema))
        else:  # a text handle, as every CSV the project writes (Arrow writes each block to memory first)
            self.handle = outputs.open(target)
            self.path = str(self.handle.name)
            header = io.StringIO()
            csv.writer(header, lineterminator=LINE_END).writerow(neutralize_arrow(schema.empty_table()).column_names)
            with self._naming_this_file():
                self.handle.write(header.getvalue())

    @contextlib.contextmanager
    def _naming_this_file(self):
        """An ``OSError`` that names no file (a full disk) is said to be about this one, not about
        whichever output was opened first (:meth:`claimstats.outputs.Outputs` names the file it is about)."""
        try:
            yield
        except OSError as err:
            if err.filename is None:
                err.filename = self.path
            raise

    def write(self, table: pa.Table) -> None:
        with self._naming_this_file():
            self._write(table)

    def _write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        table = table.cast(self.schema) if not table.schema.equals(self.schema) else table
        if self.format == "parquet":
            self.writer.write_table(table)
        else:
            block = pa.BufferOutputStream()
            pcsv.write_csv(neutralize_arrow(table), block, _CSV_OPTIONS)
            self.handle.write(block.getvalue().to_pybytes().decode("utf-8"))
        self.rows += table.num_rows

    def close(self) -> None:
        opened, self.writer, self.handle = self.writer or self.handle, None, None
        if opened is not None:
            with self._naming_this_file():
                opened.close()


class _BackgroundWrites:
    """Blocks written to a sink by one background thread, at most ``depth`` blocks behind.

    Arrow encodes, compresses and writes a block without holding the GIL, so
    while it writes one block of the queue this thread merges the next: the
    merge, which runs after every chunk is scored, then uses two cores, not
    one. An error in the writing thread is raised here, at the next
    :meth:`write` or at :meth:`finish`; leaving the ``with`` block waits for
    the thread, so the sink can be closed after it.
    """

    def __init__(self, sink: _Sink, depth: int = 2):
        self.sink, self.depth, self.failed = sink, depth, False
        self.pending: deque = deque()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claimstats-queue-writer")

    def write(self, table: pa.Table) -> None:
        self.pending.append(self.executor.submit(self._write, table))
        while len(self.pending) > self.depth:
            self.pending.popleft().result()

    def _write(self, table: pa.Table) -> None:
        if self.failed:  # a block after a failed one is not written: the first error is the one raised
            return
        try:
            self.sink.write(table)
        except BaseException:
            self.failed = True
            raise

    def finish(self) -> None:
        while self.pending:
            self.pending.popleft().result()

    def __enter__(self) -> _BackgroundWrites:
        return self

    def __exit__(self, *exc) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _tier_strings(scores: np.ndarray, first: float, review: float) -> pa.Array:
    """:func:`~claimstats.triage.tier_of` as Arrow strings, taken from the three tier names by code:
    a block of 50,000 in 0.5 ms, against 9 ms through NumPy's fixed-width strings.

    Examples
    --------
    >>> _tier_strings(np.array([0.9, 0.5, 0.1]), first=0.8, review=0.4).to_pylist()
    ['review first', 'review', 'low priority']
    """
    codes = np.where(scores >= first, 0, np.where(scores >= review, 1, 2)).astype(np.int8)
    return pa.array(list(TIERS), pa.string()).take(pa.array(codes))


def _with_front(table: pa.Table, front: dict) -> pa.Table:
    """``table`` with the columns of ``front`` (name → array) put in front, in order."""
    columns = [pa.array(v) if not isinstance(v, (pa.Array, pa.ChunkedArray)) else v for v in front.values()]
    return pa.table([*columns, *table.columns], names=[*front, *table.column_names])


# --------------------------------------------------------- sorted runs, merge


def _fan_in() -> int:
    """Runs to merge at once: ``_MAX_FAN_IN``, or half the open-file limit where that is lower
    (macOS's default soft limit is 256 files)."""
    try:
        import resource
    except ImportError:  # Windows has no resource module; its C runtime allows 512 open files by default
        return min(_MAX_FAN_IN, 128)
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return _MAX_FAN_IN
    return max(2, min(_MAX_FAN_IN, soft // 2))


def _run_batch_rows(chunksize: int) -> int:
    """Rows per record batch of a run file: the merge's buffers (a batch of each of up to
    ``_MAX_FAN_IN`` runs) then hold about one chunk of rows, whatever the number of runs."""
    return max(_MIN_RUN_BATCH, chunksize // _MAX_FAN_IN)


class _IpcWriter:
    """An Arrow IPC file written through a 1 MiB buffer.

    The IPC writer writes each buffer of each record batch with its own call:
    for a run's small batches, thousands of system calls. Buffered, writing a
    run takes about half the CPU time.
    """

    def __init__(self, path: Path, schema: pa.Schema):
        self.file = pa.OSFile(str(path), "wb")
        self.stream = self.writer = None
        try:
            self.stream = pa.BufferedOutputStream(self.file, buffer_size=_IPC_BUFFER)
            self.writer = pa.ipc.new_file(self.stream, schema)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> _IpcWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def write(self, table: pa.Table, batch_rows: int) -> None:
        self.writer.write_table(table, max_chunksize=batch_rows)

    def close(self) -> None:
        """Close the writer, the buffer and the file, each even when the one before fails."""
        try:
            if self.writer is not None:
                self.writer.close()
        finally:
            try:
                if self.stream is not None:
                    self.stream.close()  # flushes, then closes the file under it
            finally:
                self.file.close()  # closing a closed file does nothing


def _run_tables(path: Path):
    """A run file's record batches, in order."""
    # read, not memory-mapped: mapped pages would count in the process's memory as the merge touches them
    reader = pa.ipc.open_file(pa.OSFile(str(path)))
    for i in range(reader.num_record_batches):
        yield reader.get_batch(i)


class _RunCursor:
    """One sorted run in a merge: its buffered record batches and their rows' keys.

    ``keys`` holds the buffered rows' negated scores and ``rows`` their row
    numbers, so the queue order is ascending ``(keys, rows)``: those arrays
    are searched, and a block of rows is handed on as slices of the buffered
    batches, never as one table rebuilt per step.
    """

    def __init__(self, path: Path):
        self.batches = _run_tables(path)
        self.buffered: deque = deque()  # record batches not yet taken, the first perhaps partly taken
        self.keys = np.empty(0, dtype=np.float64)
        self.rows = np.empty(0, dtype=np.int64)
        self.exhausted = False

    def fill(self, block: int) -> None:
        """Read batches until ``block`` rows are buffered or the run is exhausted."""
        keys, rows = [self.keys], [self.rows]
        held = len(self.keys)
        while held < block:
            batch = next(self.batches, None)
            if batch is None:
                self.exhausted = True
                break
            if batch.num_rows:
                self.buffered.append(batch)
                keys.append(-batch.column(SCORE_COLUMN).to_numpy())
                rows.append(batch.column(_ROW).to_numpy())
                held += batch.num_rows
        if len(keys) > 1:
            self.keys, self.rows = np.concatenate(keys), np.concatenate(rows)

    def count_upto(self, key: float, row: int) -> int:
        """Buffered rows that come at or before ``(key, row)`` in the queue: the first ones (they are sorted)."""
        below = int(self.keys.searchsorted(key, "left"))
        ties = int(self.keys.searchsorted(key, "right"))
        return below + int(self.rows[below:ties].searchsorted(row, "right")) if ties > below else below

    def take(self, count: int, batches: list, keys: list) -> None:
        """Hand on the first ``count`` buffered rows: their slices to ``batches``, their keys to ``keys``."""
        keys.append(self.keys[:count])
        self.keys, self.rows = self.keys[count:], self.rows[count:]
        while count:
            batch = self.buffered[0]
            if batch.num_rows <= count:
                batches.append(self.buffered.popleft())
                count -= batch.num_rows
            else:
                batches.append(batch.slice(0, count))
                self.buffered[0] = batch.slice(count)
                count = 0


def _merge_runs(paths: list[Path], emit, block: int) -> None:
    """Merge runs sorted by (score descending, row ascending) into one stream, block by block.

    ``paths`` must be in row order: every row of a run comes before every row
    of the next one in the input (as the chunks were read, and as each merge
    round writes its parts). Every run keeps at least ``block`` rows buffered
    (while it has rows left). No row still to be read can come before the
    smallest last buffered key of the runs not yet exhausted, so every
    buffered row up to that key is emitted, sorted, at each step. Keeping the
    buffers full makes each step emit about ``block`` rows per run, so the
    steps number about rows / (runs × block), not rows / block. Memory: at
    most a block plus a record batch per run.
    """
    cursors = [_RunCursor(p) for p in paths]
    while True:
        for cursor in cursors:
            if not cursor.exhausted:
                cursor.fill(block)
        live = [c for c in cursors if len(c.keys)]
        if not live:
            return
        waiting = [c for c in live if not c.exhausted]
        key, row = min(((c.keys[-1], c.rows[-1]) for c in waiting), default=(np.inf, np.iinfo(np.int64).max))
        batches: list = []
        keys: list = []
        for cursor in live:
            count = cursor.count_upto(key, row)
            if count:
                cursor.take(count, batches, keys)
        # The pieces are in run order, so rows of equal score are in row order already: a stable
        # sort by score alone gives the queue order (score descending, then row).
        order = np.argsort(np.concatenate(keys), kind="stable")
        emit(pa.Table.from_batches(batches).take(order))


class _Runs:
    """Scored rows to rank, in row order: held in memory up to ``held_bytes``, beyond that written
    to disk in runs sorted by (score descending, row)."""

    def __init__(self, folder: Path, chunksize: int, held_bytes: int | None = None):
        self.folder, self.held_bytes = folder, _HELD_BYTES if held_bytes is None else held_bytes
        self.batch_rows = _run_batch_rows(chunksize)
        self.paths: list[Path] = []
        self.held: list = []  # (table, positions of its scored rows or None for all, scores, row numbers)
        self.held_size = 0

    def next_path(self) -> Path:
        return self.folder / f"run{len(self.paths):06d}.arrow"

    def add(self, table: pa.Table, keep: np.ndarray | None, scores: np.ndarray, numbers: np.ndarray) -> None:
        """The rows at ``keep`` of ``table`` (all of them for ``None``), with their scores and row
        numbers, which follow every row added before. Held until the held rows pass ``held_bytes``;
        then those held before are sorted and written to disk as one run."""
        size = table.nbytes
        if self.held and self.held_size + size > self.held_bytes:
            self._spill()
        self.held.append((table, keep, scores, numbers))
        self.held_size += size

    def _ranked_blocks(self, block: int):
        """The held rows in queue order, ``block`` rows at a time, with the score and row columns in front."""
        tables, positions, offset = [], [], 0
        for table, keep, _, _ in self.held:
            tables.append(table)
            positions.append(offset + (np.arange(table.num_rows) if keep is None else keep))
            offset += table.num_rows
        scores = np.concatenate([s for _, _, s, _ in self.held])
        numbers = np.concatenate([n for _, _, _, n in self.held])
        order = np.lexsort((numbers, -scores))
        at, scores, numbers = np.concatenate(positions)[order], scores[order], numbers[order]
        self.held, self.held_size = [], 0
        # One table of one piece: Arrow's take from a table of many pieces joins every column's
        # pieces again at each call (each block would copy every held row).
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables).combine_chunks()
        tables.clear()  # the pieces can go now
        for start in range(0, len(at), block):
            stop = start + block
            yield _with_front(table.take(at[start:stop]), {SCORE_COLUMN: pa.array(scores[start:stop], pa.float64()),
                                                           _ROW: pa.array(numbers[start:stop], pa.int64())})

    def _spill(self) -> None:
        path = self.next_path()
        writer = None
        try:
            for table in self._ranked_blocks(_SPILL_BLOCK):
                if writer is None:
                    writer = _IpcWriter(path, table.schema)
                writer.write(table, self.batch_rows)
        finally:
            if writer is not None:
                writer.close()
        self.paths.append(path)

    def merge(self, emit, chunksize: int) -> None:
        """Feed every row to ``emit`` in queue order, in blocks of about ``chunksize`` rows.

        The runs were added in row order (each the rows held at once, or the
        merge of consecutive runs): :func:`_merge_runs` relies on it for ties.
        """
        if not self.paths:  # every row was held: ranked in memory, no temporary file at all
            if self.held:
                for table in self._ranked_blocks(chunksize):
                    emit(table)
            return
        if self.held:
            self._spill()
        fan_in = _fan_in()
        paths, block = self.paths, max(_MIN_RUN_BATCH, chunksize // min(len(self.paths), fan_in))
        round_number = 0
        while len(paths) > fan_in:  # too many runs to hold a block of each: merge in rounds
            merged = []
            for start in range(0, len(paths), fan_in):
                part = self.folder / f"round{round_number}-{start:06d}.arrow"
                writer_box: list = []

                def keep(table, part=part, writer_box=writer_box):
                    if not writer_box:
                        writer_box.append(_IpcWriter(part, table.schema))
                    writer_box[0].write(table, self.batch_rows)
                try:
                    _merge_runs(paths[start:start + fan_in], keep, block)
                finally:
                    if writer_box:
                        writer_box[0].close()
                if writer_box:
                    merged.append(part)
            paths, round_number = merged, round_number + 1
        _merge_runs(paths, emit, block)


# ------------------------------------------------------------ one chunk


def _score_chunk(model: ClaimModel, table: pa.Table, id_column: str) -> tuple[np.ndarray, ...]:
    """``(scores, reasons, video ids as numbers)`` of one chunk's rows: the work a scoring thread
    does (:func:`claimstats.scale.score_frame`)."""
    frame = table.to_pandas()
    scores, reasons = score_frame(frame, model)
    return scores, reasons, pd.to_numeric(frame[id_column], errors="coerce").to_numpy(dtype=float)


class _Chunks:
    """Everything that follows the scoring of each chunk, in row order, in this process.

    Repeats of a valid row's ``video_id`` are found here, across chunks
    (:class:`claimstats.intake.RepeatedIds`), so that the queue does not
    depend on how the rows were shared out between scoring threads.
    """

    def __init__(self, runs: _Runs, id_column: str, first: float, review: float, open_side):
        self.runs, self.id_column, self.first, self.review = runs, id_column, first, review
        self.open_side = open_side  # () -> the rejected rows' sink, opened at the first one
        self.repeats = RepeatedIds()
        self.tiers = dict.fromkeys(TIERS, 0)
        self.reasons: dict[str, int] = {}
        self.scored = self.rejected = 0

    def add(self, table: pa.Table, first_row: int, scores: np.ndarray, reasons: np.ndarray, ids: np.ndarray) -> None:
        reasons = self.repeats.check_values(ids, reasons)
        numbers = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
        bad = reasons != ""
        if bad.any():
            at = np.flatnonzero(bad)
            side = _with_front(table.take(at), {ROW: pa.array(numbers[at], pa.int64()),
                                                REASON: pa.array(reasons[at].astype(str), pa.string())})
            self.open_side(side.schema).write(side)
            self.rejected += len(at)
            for text in reasons[at]:
                for reason in text.split("; "):
                    self.reasons[reason] = self.reasons.get(reason, 0) + 1
        good = np.flatnonzero(~bad)
        if len(good):
            s, n = scores[good], numbers[good]
            first, review = s >= self.first, s >= self.review  # the tiers of tier_of, counted without strings
            for tier, count in zip(TIERS, (first.sum(), (review & ~first).sum(), (~review).sum())):
                self.tiers[tier] += int(count)
            self.runs.add(table, None if len(good) == table.num_rows else good, s, n)
            self.scored += len(good)


def _scorers(jobs: int | None, estimated_rows: int, chunksize: int) -> int:
    """Chunks scored at once, on threads of this process: ``jobs`` of them (default: one per core),
    no more than the input's chunks.

    Examples
    --------
    >>> [_scorers(jobs, rows, 50_000) for jobs, rows in ((2, 10**5), (4, 10**5), (2, 10**7), (1, 10**7))]
    [2, 2, 2, 1]
    """
    if jobs is not None and jobs != -1 and jobs < 1:
        raise ClaimstatsError(f"jobs must be 1 or more, or -1 (one per core); got {jobs}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    wanted = cores if jobs in (None, -1) else jobs
    return max(1, min(wanted, -(-estimated_rows // chunksize)))


@functools.lru_cache(maxsize=None)
def _thread_pools():
    """One ``ThreadpoolController`` for the process, made at the first scoring run.

    ``threadpool_limits`` finds the loaded BLAS and OpenMP libraries again at each call, 6-10 ms
    of scanning every shared library; a triage made three such calls before its first chunk
    was scored. Scoring uses the libraries that NumPy, SciPy and scikit-learn had loaded by then.
    """
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _limit_this_thread() -> None:
    # OpenMP's thread count is a setting of each thread (BLAS's is the process's, limited by
    # _one_blas_thread): one OpenMP thread a scoring thread, the threads being the parallelism.
    _thread_pools().limit(limits=1, user_api="openmp")


_BLAS_LOCK = threading.Lock()
_BLAS_HELD: list = []  # one entry per scoring run in progress; the first holds the limiter that restores BLAS


@contextlib.contextmanager
def _one_blas_thread():
    """BLAS at one thread while any scoring run of this process goes on.

    The limit is the whole process's: runs that overlap (two triages on threads of one service)
    share one limiter, and the last to finish restores what was set before the first began.
    """
    with _BLAS_LOCK:
        _BLAS_HELD.append(_thread_pools().limit(limits=1, user_api="blas") if not _BLAS_HELD else None)
    try:
        yield
    finally:
        with _BLAS_LOCK:
            if len(_BLAS_HELD) == 1:
                _BLAS_HELD[0].restore_original_limits()
            _BLAS_HELD.pop()


@contextlib.contextmanager
def _scoring(model: ClaimModel, scorers: int, id_column: str):
    """``submit(table)``, which starts scoring a chunk on one of ``scorers`` threads and returns the
    future of :func:`_score_chunk`'s result; ``None`` for one chunk at a time in this thread. The
    threads are shut down on leaving. They use one BLAS and one OpenMP thread each; BLAS's limit is
    the process's (:func:`_one_blas_thread`), restored when the last run leaves."""
    if scorers > 1:
        with _one_blas_thread(), ThreadPoolExecutor(max_workers=scorers, thread_name_prefix="claimstats-scoring",
                                                    initializer=_limit_this_thread) as threads:
            yield lambda table: threads.submit(_score_chunk, model, table, id_column)
    else:
        yield None


def _progress(total: int, unit: str, enabled: bool | None, desc: str):
    return progress_bar(total=total, unit="B" if unit == "bytes" else " rows", unit_scale=True, desc=desc,
                        enabled=enabled)


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


def _check_header(names: list[str], source: Path, csv_file: bool) -> str:
    """Refuse a header without the reports' columns, or with a column triage adds; the raw ``video_id`` name."""
    if csv_file and len(names) == 1:  # another delimiter: say so, as load does
        check_header(str(names[0]), str(source))
    _, problem = normalised_header(tuple(names))
    if problem:  # one clear error naming the missing columns, before any work
        raise ClaimstatsError(f"{source}: {problem}")
    columns = [str(c) for c in names]
    clash = [c for c in ("rank", "tier", SCORE_COLUMN, _ROW, "row", "reason") if c in columns]
    if clash:
        raise ClaimstatsError(f"{source}: column {clash[0]!r} clashes with a column that triage adds to the queue "
                              "or to the rejected rows; rename it")
    return next(c for c in columns if c.strip() == VIDEO_ID)


def triage_file(model: ClaimModel, path, out, *, target_recall: float | None = None,
                first_recall: float | None = None, chunksize: int = DEFAULT_CHUNKSIZE, rejected=None,
                progress: bool | None = None, temp_dir=None, jobs: int | None = None) -> TriageReport:
    """Rank the reports in a CSV or Parquet file of any size into a review queue file.

    Parameters
    ----------
    model : ClaimModel
    path : path
        Reports with the contract's columns (``claim_status`` may be absent or
        empty); other columns are carried through. A CSV file, or a Parquet
        file (``.parquet``) or folder of them (read by row groups; columns
        must have the contract's types: :func:`claimstats.scale.check_parquet_schema`).
        The course file's variants are read as :func:`claimstats.load` reads
        them (:func:`claimstats.intake.normalise_reports`). Never modified.
    out : path
        The queue: ``rank``, ``tier``, ``claim_probability``, then the input
        columns as they were read, highest probability first (ties in input
        order). Parquet when it ends in ``.parquet``, else CSV.
    target_recall, first_recall : float, optional
        Recalls on validation that set the tier thresholds (default: the model's).
    chunksize : int
        Rows read, checked and scored at a time. Memory grows with it, not
        with the file.
    rejected : path, optional
        Where rows that break the contract go, with their data row number
        (``row``, from 1) and ``reason`` (Parquet or CSV by extension).
        Default: ``<out>.rejected.csv`` (``.rejected.parquet`` beside a
        Parquet queue), written only when a row is rejected (or replaced,
        header only, when an earlier run left one there). Every input row
        ends in exactly one of the two files; a repeated ``video_id`` is
        rejected, and so is a cell holding a NUL byte.
    progress : bool, optional
        Draw a progress bar (tqdm) on stderr; default: when stderr is a terminal.
    temp_dir : path, optional
        Folder for the sorted runs (as much space as the queue needs).
    jobs : int, optional
        Chunks checked and scored side by side (``-1`` or default: one per
        core; ``1``: one at a time, in this process), on threads of this
        process (they beat worker processes at every size measured, to
        10^7 reports). The queue does not depend on it.

    Returns
    -------
    TriageReport

    Raises
    ------
    ClaimstatsError
        For input that cannot be read (one line naming the file and the
        problem), an output that is the input, or a run in which no row can
        be scored. Nothing is written then.

    Notes
    -----
    Scored chunks are held in memory up to 64 MiB (Arrow's count; about
    320,000 reports of the course's columns, from CSV or Parquet), and a
    backlog that fits is ranked there with one sort.
    A larger one is ranked by an external merge sort: the rows held are
    sorted and written to a temporary Arrow file (a "run") each time they
    reach that size, then the runs are merged block by block (at most 256
    at once, fewer where the open-file limit is below 512; more runs are
    merged in rounds) while a second thread writes the queue. Memory is
    twice that bound (the rows held, then joined into one table to be
    ranked) plus a few chunks of rows per process, whatever the file size. Both outputs are written beside their targets and renamed into
    place together when complete (:class:`claimstats.outputs.Outputs`): a
    run that fails leaves the previous files as they were.
    """
    started = time.perf_counter()
    if chunksize < 1:
        raise ClaimstatsError(f"chunksize must be at least 1; got {chunksize}")
    source, target = Path(path), Path(out)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    suffix = ".rejected.parquet" if file_format(target) == "parquet" else ".rejected.csv"
    rejected_target = Path(rejected) if rejected else target.with_name(target.stem + suffix)
    check_paths(source, target, rejected_target)
    target_recall, first_recall, first, review = check_thresholds(model, target_recall, first_recall)
    # A side file left at the default path by an earlier run would read as this run's rejected rows:
    # replace it (header only when nothing is rejected), as the queue is replaced.
    always_side = bool(rejected) or rejected_target.exists()
    batches = read_batches(source, chunksize)
    sinks: list[_Sink] = []
    try:
        with Outputs() as outputs:
            try:
                rows_in, chunks = _triage(model, batches, source, target, rejected_target, always_side, outputs,
                                          sinks, first, review, chunksize, jobs, progress, temp_dir)
            except BaseException:
                for sink in sinks:  # closed before the temporary files are deleted
                    with contextlib.suppress(OSError):
                        sink.close()
                raise
            for sink in sinks:  # closed (flushed) before the files are renamed into place
                sink.close()
    finally:
        batches.close()
    return TriageReport(
        rows_in=rows_in, rows_scored=chunks.scored, rows_rejected=chunks.rejected,
        reasons=tuple(sorted(chunks.reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        tiers=tuple(chunks.tiers.items()), target_recall=target_recall, threshold=review, first_recall=first_recall,
        first_threshold=first, out=str(target),
        rejected_path=str(rejected_target) if chunks.rejected or rejected else None,
        seconds=time.perf_counter() - started)


def _triage(model, batches, source, target, rejected_target, always_side, outputs, sinks, first, review, chunksize,
            jobs, progress, temp_dir):
    """The body of :func:`triage_file`: ``(rows_in, _Chunks)``; opened sinks are appended to ``sinks``."""
    id_column = _check_header(batches.names, source, batches.unit == "bytes")
    estimated = batches.total if batches.unit == "rows" else batches.total // _CSV_BYTES_PER_ROW + 1
    scorers = _scorers(jobs, estimated, chunksize)
    side: list[_Sink] = []

    def open_side(schema: pa.Schema) -> _Sink:
        if not side:
            side.append(_Sink(rejected_target, schema, outputs))
            sinks.append(side[0])
        return side[0]

    rows_in = 0
    meter = _progress(batches.total, batches.unit, progress, "scoring")
    with tempfile.TemporaryDirectory(prefix="claimstats-triage-", dir=temp_dir) as work, meter:
        runs = _Runs(Path(work), chunksize)
        chunks = _Chunks(runs, id_column, first, review, open_side)
        schema = batches.schema
        pending: list = []  # (future, table, first row), in row order
        with _scoring(model, scorers, id_column) as submit:
            try:
                for table in batches.tables:
                    if schema is None:
                        schema = table.schema
                    first_row = rows_in + 1
                    rows_in += table.num_rows
                    if submit is None:
                        chunks.add(table, first_row, *_score_chunk(model, table, id_column))
                    else:
                        pending.append((submit(table), table, first_row))
                        while len(pending) > 2 * scorers:  # bounded memory: a few chunks in flight
                            future, done, at = pending.pop(0)
                            chunks.add(done, at, *future.result())
                    meter.update(batches.position() - meter.n)
                while pending:
                    future, done, at = pending.pop(0)
                    chunks.add(done, at, *future.result())
            finally:
                for future, _, _ in pending:  # after an error: do not leave work running
                    future.cancel()
                wait([future for future, _, _ in pending])
        if not rows_in:
            raise ClaimstatsError(f"{source}: has a header but no data rows" if batches.unit == "bytes"
                                  else f"{source}: has no data rows")
        if not chunks.scored:
            raise ClaimstatsError(f"{source}: no report can be scored: all {rows_in:,} rows break the data contract "
                                  f"({_top_reasons(chunks.reasons)}); nothing was written")
        if not side and always_side:
            open_side(pa.schema([(ROW, pa.int64()), (REASON, pa.string()), *schema]))
        queue_schema = pa.schema([("rank", pa.int64()), ("tier", pa.string()), (SCORE_COLUMN, pa.float64()),
                                  *schema])
        queue = _Sink(target, queue_schema, outputs)
        sinks.insert(0, queue)
        writing = _progress(chunks.scored, "rows", progress, "writing")
        ranked_rows = [0]  # counted here: the sink's own count runs behind, in the writing thread
        with writing, _BackgroundWrites(queue) as background:
            def write(table: pa.Table) -> None:
                s = table.column(SCORE_COLUMN).to_numpy()
                ranked = _with_front(table.drop_columns([SCORE_COLUMN, _ROW]), {
                    "rank": pa.array(np.arange(ranked_rows[0] + 1, ranked_rows[0] + len(s) + 1), pa.int64()),
                    "tier": _tier_strings(s, first, review),
                    SCORE_COLUMN: pa.array(s, pa.float64())})
                ranked_rows[0] += len(s)
                background.write(ranked)
                writing.update(len(s))

            runs.merge(write, chunksize)
            background.finish()
    return rows_in, chunks
