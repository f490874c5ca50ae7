"""Execute at scale: reports files as Arrow record batches, one per-partition scoring function, a Dask path.

:func:`score_partition` is the unit that scales: a frame of reports in, the
same rows out with their data row number, the reasons a row cannot be scored
(``""`` when it can), its claim probability and its review tier. It keeps no
state, so one process (:func:`claimstats.backlog.triage_file`), Dask's
``map_partitions`` (:func:`triage_dask`) and Spark's ``mapInPandas`` run it
unchanged.

Files are chosen by extension: ``.parquet`` (or ``.pq``, or a folder of them:
a Parquet dataset) is read with pyarrow by row groups and record batches,
anything else as CSV (pyarrow's streaming reader, every cell as text). A
Parquet file must hold the contract's columns with types a CSV cell could
have: text columns as strings, number columns as numbers (or as text, checked
row by row); anything else is one clear error naming the file.

Outputs are written through :class:`claimstats.outputs.Outputs` (the project's
one writer): beside the target under a temporary name, renamed into place only
when the whole run succeeded, so a failed run leaves no partial queue.

Spark recipe (the same function, not run by the tests)::

    from claimstats.modelfile import load_model
    from claimstats.scale import score_partition, spark_schema

    model = load_model("model.skops")
    first, review = model.thresholds()
    reports = spark.read.parquet("reports/")                # with a row column: the arrival order
    reports = reports.withColumn("row", F.monotonically_increasing_id() + 1)

    def score(frames):
        for frame in frames:
            yield score_partition(frame, model, first=first, review=review)

    scored = reports.mapInPandas(score, schema=spark_schema(reports.schema))
    queue = scored.where("reason = ''").orderBy(F.desc("claim_probability"), "row")

Examples
--------
>>> from claimstats import simulate
>>> from claimstats.triage import train_claim_model
>>> model, _ = train_claim_model(simulate(1500, seed=2), feature_set="upload", grid="fast",
...                              importance_repeats=0)
>>> reports = simulate(5, seed=3).drop(columns="claim_status")
>>> reports.loc[1, "video_duration_sec"] = 99
>>> scored = score_partition(reports, model)
>>> list(scored.columns[:4]), scored["reason"].tolist()[:2]
(['row', 'reason', 'claim_probability', 'tier'], ['', 'video_duration_sec: outside 5–60'])
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from claimstats.errors import ClaimstatsError
from claimstats.intake import check_reports, normalise_reports, normalised_header
from claimstats.schema import CATEGORIES, COLUMNS, TEXT, VIDEO_ID
from claimstats.triage import SCORE_COLUMN, TIERS, ClaimModel, tier_of

__all__ = [
    "PARQUET_SUFFIXES",
    "file_format",
    "parquet_pieces",
    "read_batches",
    "parquet_digest",
    "parquet_frames",
    "score_partition",
    "spark_schema",
    "triage_dask",
]

PARQUET_SUFFIXES = (".parquet", ".pq")
ROW, REASON, TIER = "row", "reason", "tier"
#: Columns :func:`score_partition` puts in front of the reports' own.
ADDED = (ROW, REASON, SCORE_COLUMN, TIER)
_TEXT_COLUMNS = tuple(c for c in COLUMNS if c in CATEGORIES or c == TEXT)


# --------------------------------------------------------------- formats


def file_format(path) -> str:
    """``"parquet"`` for a ``.parquet``/``.pq`` file or a folder (a Parquet dataset), else ``"csv"``.

    Examples
    --------
    >>> file_format("queue.parquet"), file_format("reports.CSV")
    ('parquet', 'csv')
    """
    path = Path(path)
    return "parquet" if path.suffix.lower() in PARQUET_SUFFIXES or path.is_dir() else "csv"


# --------------------------------------------------------------- reading


@dataclass(frozen=True)
class Piece:
    """One row group of one Parquet file, and the data row number (from 1) of its first row."""

    path: str
    row_group: int
    first_row: int
    rows: int


def _parquet_files(source: Path) -> list[Path]:
    if not source.is_dir():
        return [source]
    files = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES)
    if not files:
        raise ClaimstatsError(f"{source}: is a folder with no .parquet files; give a CSV or Parquet file, or a "
                              "folder of Parquet files")
    return files


def _open_parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise ClaimstatsError(f"{path}: not a readable Parquet file ({_first_line(err)})") from None


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind) or (
        pa.types.is_dictionary(kind) and _is_text(kind.value_type))


def check_parquet_schema(schema: pa.Schema, path, *, required: bool = True) -> None:
    """Refuse a Parquet schema without the reports' columns or with a column of the wrong type.

    Text columns must hold strings; number columns numbers, or text (checked
    row by row, as in a CSV file). ``required=False`` checks the types only
    (``validate`` and ``clean`` name missing columns among a file's problems).

    Examples
    --------
    >>> import pyarrow as pa
    >>> check_parquet_schema(pa.schema([("#", pa.int64())]), "r.parquet")
    Traceback (most recent call last):
    ...
    claimstats.errors.ClaimstatsError: r.parquet: a reports file needs the columns #, video_id, video_duration_sec, video_transcription_text, verified_status, author_ban_status, video_view_count, video_like_count, video_share_count, video_download_count, video_comment_count; missing: video_id, video_duration_sec, video_transcription_text, verified_status, author_ban_status, video_view_count, video_like_count, video_share_count, video_download_count, video_comment_count
    """
    names, problem = normalised_header(tuple(schema.names))
    if required and problem:
        raise ClaimstatsError(f"{path}: {problem}")
    for field, name in zip(schema, names):
        if name not in COLUMNS:
            continue
        kind = field.type
        if name in _TEXT_COLUMNS:
            ok = _is_text(kind)
            wanted = "text"
        else:
            ok = pa.types.is_integer(kind) or pa.types.is_floating(kind) or _is_text(kind)
            wanted = "numbers"
        if not ok:
            raise ClaimstatsError(f"{path}: column {field.name!r} holds {kind}; it must hold {wanted}")


def _family(kind: pa.DataType) -> str:
    if pa.types.is_null(kind):
        return "null"
    if _is_text(kind):
        return "text"
    return "number" if pa.types.is_integer(kind) or pa.types.is_floating(kind) else str(kind)


def _unified(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    """One type for a column held as ``a`` in one file and ``b`` in another, or None when they do not mix."""
    if a == b or pa.types.is_null(b):
        return a
    if pa.types.is_null(a):
        return b
    if _family(a) == _family(b) == "text":
        return pa.large_string()
    if _family(a) == _family(b) == "number":
        return pa.float64()
    return None


def parquet_pieces(source, *, required: bool = True) -> tuple[pa.Schema, list[Piece]]:
    """The schema of a Parquet file or dataset and its row groups in order, each with its first row number.

    Every file must have the first file's columns, of types that mix with
    its own (text with text, numbers with numbers; the dataset's type is then
    the wider one); each file's footer is read (not its data), so a wrong or
    corrupt file is named before any work.
    """
    source = Path(source)
    files = _parquet_files(source)
    schema, pieces, start = None, [], 1
    for path in files:
        handle = _open_parquet(path)
        found = handle.schema_arrow
        check_parquet_schema(found, path, required=required)
        if schema is None:
            schema = found
        elif not found.equals(schema):
            if found.names != schema.names:
                raise ClaimstatsError(f"{path}: its columns differ from the dataset's first file ({files[0].name}): "
                                      f"{', '.join(found.names)} instead of {', '.join(schema.names)}")
            fields = []
            for a, b in zip(schema, found):
                kind = _unified(a.type, b.type)
                if kind is None:
                    raise ClaimstatsError(f"{path}: its schema differs from the dataset's first file: column "
                                          f"{a.name!r} is {b.type} here, {a.type} in {files[0].name}")
                fields.append(pa.field(a.name, kind))
            schema = pa.schema(fields)
        meta = handle.metadata
        for group in range(meta.num_row_groups):
            rows = meta.row_group(group).num_rows
            if rows:
                pieces.append(Piece(str(path), group, start, rows))
                start += rows
    return schema, pieces


def _csv_names(source: Path) -> list[str]:
    try:
        with open(source, newline="", encoding="utf-8-sig") as handle:
            names = next(csv.reader(handle), None)
    except UnicodeDecodeError:
        raise ClaimstatsError(f"{source}: not UTF-8 text; save the file as 'CSV UTF-8'") from None
    except csv.Error as err:
        raise ClaimstatsError(f"{source}: not a well-formed CSV file: {err}") from None
    if not names:
        raise ClaimstatsError(f"{source}: the file is empty")
    return names


def _csv_error(source: Path, err: Exception) -> ClaimstatsError:
    text = _first_line(err)
    if "invalid UTF8" in text:
        return ClaimstatsError(f"{source}: not UTF-8 text; save the file as 'CSV UTF-8'")
    if "Empty CSV file" in text:
        return ClaimstatsError(f"{source}: the file is empty")
    return ClaimstatsError(f"{source}: not a well-formed CSV file: {text.removeprefix('CSV parse error: ')}")


def _csv_tables(source: Path, handle):
    names = _csv_names(source)
    convert = pcsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                                  quoted_strings_can_be_null=True)
    try:
        reader = pcsv.open_csv(handle, read_options=pcsv.ReadOptions(block_size=1 << 22),
                               convert_options=convert)
        for batch in reader:
            yield pa.Table.from_batches([batch])
    except pa.ArrowInvalid as err:
        raise _csv_error(source, err) from None


def _parquet_tables(pieces: list[Piece], chunksize: int, schema: pa.Schema):
    for piece in pieces:
        handle = _open_parquet(Path(piece.path))
        try:
            for batch in handle.iter_batches(batch_size=chunksize, row_groups=[piece.row_group],
                                             use_pandas_metadata=False):
                table = pa.Table.from_batches([batch])
                yield table if table.schema.equals(schema) else table.cast(schema)
        except (pa.ArrowException, OSError) as err:
            raise ClaimstatsError(f"{piece.path}: row group {piece.row_group} cannot be read "
                                  f"({_first_line(err)})") from None


def _rebatch(tables, chunksize: int):
    """Tables of exactly ``chunksize`` rows (the last one shorter) from tables of any length."""
    pending, held = [], 0
    for table in tables:
        pending.append(table)
        held += table.num_rows
        while held >= chunksize:
            whole = pa.concat_tables(pending)
            yield whole.slice(0, chunksize).combine_chunks()
            rest = whole.slice(chunksize)
            pending, held = ([rest] if rest.num_rows else []), rest.num_rows
    if held:
        yield pa.concat_tables(pending).combine_chunks()


@dataclass
class Batches:
    """What :func:`read_batches` opens: the columns, the tables in row order, and a progress measure."""

    names: list[str]
    schema: pa.Schema | None
    tables: object
    total: int
    unit: str
    position: object  # () -> progress so far, in ``unit``

    def close(self) -> None:
        closer = getattr(self, "_handle", None)
        if closer is not None:
            closer.close()


def read_batches(source, chunksize: int) -> Batches:
    """Open a CSV file, a Parquet file or a Parquet dataset as tables of ``chunksize`` rows, in row order.

    CSV cells are read as text (empty cells missing); Parquet columns keep
    their types. Problems (not UTF-8, malformed, a missing column, a wrong
    type, a corrupt file) are one :class:`ClaimstatsError` naming the file.
    """
    source = Path(source)
    if file_format(source) == "parquet":
        schema, pieces = parquet_pieces(source)
        done = [0]

        def counted():
            for table in _parquet_tables(pieces, chunksize, schema):
                done[0] += table.num_rows
                yield table
        batches = Batches(list(schema.names), schema, _rebatch(counted(), chunksize),
                          sum(p.rows for p in pieces), "rows", lambda: done[0])
        return batches
    names = _csv_names(source)
    handle = open(source, "rb")
    batches = Batches(names, None, _rebatch(_csv_tables(source, handle), chunksize), source.stat().st_size,
                      "bytes", handle.tell)
    batches._handle = handle
    return batches


def parquet_frames(source, chunksize: int) -> tuple[list[str], object]:
    """A Parquet file's or dataset's column names and its rows as frames of ``chunksize`` rows, in order.

    What :func:`claimstats.data.load`, ``validate`` and ``clean`` read a
    ``.parquet`` file (or a folder of them) with, in bounded memory: columns
    keep their Parquet types (text as Python strings), so the contract is
    checked as for a frame in memory. The footers are read first, so a
    corrupt or mistyped file is one :class:`ClaimstatsError` naming it
    before any row is read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from claimstats import simulate
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "f.parquet"
    >>> simulate(5, seed=1).to_parquet(path, index=False)
    >>> names, frames = parquet_frames(path, 2)
    >>> names[:2], [len(f) for f in frames]
    (['#', 'claim_status'], [2, 2, 1])
    """
    schema, pieces = parquet_pieces(source, required=False)
    return list(schema.names), (_to_pandas(t) for t in _rebatch(_parquet_tables(pieces, chunksize, schema), chunksize))


def parquet_digest(source) -> str:
    """The sha256 of a Parquet file, or of a dataset's files in name order (read in blocks, never written)."""
    import hashlib

    digest = hashlib.sha256()
    for path in _parquet_files(Path(source)):
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------- scoring


def score_frame(reports: pd.DataFrame, model: ClaimModel) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, reasons)`` of each row: NaN and the reasons for a row that breaks the contract."""
    view = normalise_reports(reports)
    reasons = check_reports(view, model.columns).to_numpy(dtype=object)
    good = reasons == ""
    scores = np.full(len(reports), np.nan)
    if good.any():
        scores[good] = model.predict_proba(view[good] if not good.all() else view)
    return scores, reasons


def score_partition(reports: pd.DataFrame, model: ClaimModel, *, first: float | None = None,
                    review: float | None = None) -> pd.DataFrame:
    """Score one partition of reports: frame in, frame out, no state kept.

    Parameters
    ----------
    reports : DataFrame
        Reports with the contract's columns (``claim_status`` may be absent);
        a ``row`` column, when present, numbers them in arrival order
        (otherwise 1, 2, …).
    model : ClaimModel
    first, review : float, optional
        The review-first and review thresholds (default: the model's).

    Returns
    -------
    DataFrame
        ``row``, ``reason`` (``""`` for a row that was scored), ``claim_probability``
        (missing for a rejected row), ``tier``, then the reports' columns as given.
    """
    if first is None or review is None:
        first, review = model.thresholds()
    rows = (reports[ROW].to_numpy(dtype=np.int64) if ROW in reports.columns
            else np.arange(1, len(reports) + 1, dtype=np.int64))
    given = reports.drop(columns=[ROW]) if ROW in reports.columns else reports
    scores, reasons = score_frame(given, model)
    tiers = np.where(np.isnan(scores), None, tier_of(scores, first, review)).astype(object)
    out = given.copy()
    out.insert(0, TIER, pd.array(tiers, dtype="str"))
    out.insert(0, SCORE_COLUMN, scores)
    out.insert(0, REASON, pd.array(reasons, dtype="str"))
    out.insert(0, ROW, rows)
    return out


def spark_schema(schema):
    """A Spark schema for :func:`score_partition`'s output, given the input's (``pyspark`` needed)."""
    from pyspark.sql import types as T  # noqa: N812 (optional, not installed here)

    added = [T.StructField(ROW, T.LongType()), T.StructField(REASON, T.StringType()),
             T.StructField(SCORE_COLUMN, T.DoubleType()), T.StructField(TIER, T.StringType())]
    return T.StructType(added + [f for f in schema.fields if f.name != ROW])


# ------------------------------------------------------------- Dask path


def _read_piece(piece: Piece, columns: list[str], schema: pa.Schema) -> pd.DataFrame:
    """One row group as a frame with its data row numbers: the partitions of :func:`triage_dask`."""
    table = _open_parquet(Path(piece.path)).read_row_group(piece.row_group)
    frame = _to_pandas(table if table.schema.equals(schema) else table.cast(schema))
    frame.insert(0, ROW, np.arange(piece.first_row, piece.first_row + piece.rows, dtype=np.int64))
    return frame[[ROW, *columns]]


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    # nullable integers, so that a row group with a missing count has the same dtypes as one without
    mapping = {t: d for t, d in ((pa.int8(), pd.Int8Dtype()), (pa.int16(), pd.Int16Dtype()),
                                 (pa.int32(), pd.Int32Dtype()), (pa.int64(), pd.Int64Dtype()),
                                 (pa.uint8(), pd.UInt8Dtype()), (pa.uint16(), pd.UInt16Dtype()),
                                 (pa.uint32(), pd.UInt32Dtype()), (pa.uint64(), pd.UInt64Dtype()),
                                 (pa.bool_(), pd.BooleanDtype()))}
    return table.to_pandas(types_mapper=mapping.get)


def _ranked_part(frame: pd.DataFrame, offsets, first: float, review: float, partition_info=None) -> pd.DataFrame:
    start = offsets[partition_info["number"]] if partition_info else 0
    out = frame.drop(columns=["_key", REASON, ROW])
    out.insert(0, "rank", np.arange(start + 1, start + len(out) + 1, dtype=np.int64))
    return out[["rank", TIER, SCORE_COLUMN, *[c for c in out.columns if c not in ("rank", TIER, SCORE_COLUMN)]]]


def _valid_ids(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """The row numbers and ``video_id`` of a scored partition's valid rows."""
    valid = (frame[REASON] == "").to_numpy()
    ids = pd.to_numeric(frame[id_column], errors="coerce").to_numpy(dtype=float)[valid]
    return pd.DataFrame({ROW: frame[ROW].to_numpy(dtype=np.int64)[valid], VIDEO_ID: ids.astype(np.int64)})


def _mark_repeats(frame: pd.DataFrame, repeats: np.ndarray) -> pd.DataFrame:
    """A scored partition with the rows numbered in ``repeats`` rejected as repeats of an earlier row."""
    from claimstats.intake import RepeatedIds

    hit = np.isin(frame[ROW].to_numpy(), repeats)
    if not hit.any():
        return frame
    out = frame.copy()
    out.loc[hit, REASON] = RepeatedIds.REASON  # only valid rows can be repeats: their reason was ""
    out.loc[hit, SCORE_COLUMN] = np.nan
    out.loc[hit, TIER] = None
    return out


def triage_dask(model: ClaimModel, source, out, *, scheduler: str | None = None, workers: int = 2,
                target_recall: float | None = None, first_recall: float | None = None, rejected=None,
                client=None):
    """Rank a Parquet file or dataset into a queue on a Dask cluster; the queue is a Parquet dataset.

    Each row group is a partition scored by :func:`score_partition` (through
    ``map_partitions``); the valid rows are sorted by claim probability
    (highest first, ties by data row number) and written, with their rank and
    tier, to ``out`` (a folder of ``part-NNNNN.parquet`` files, in queue
    order); rejected rows go to ``rejected`` (default ``<out>.rejected.parquet``)
    with their row number and reason; a repeat of an earlier valid row's
    ``video_id`` and a cell holding a NUL byte are rejected, as in one
    process. Both folders are written beside their targets and swapped into
    place only when the whole run succeeded (:class:`claimstats.outputs.Outputs`);
    a run that can score no row writes nothing. The scores and the order
    equal :func:`claimstats.backlog.triage_file`'s.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler; default: a
        ``LocalCluster`` of ``workers`` single-threaded workers, shut down at the end.
    client : distributed.Client, optional
        Use this client instead (the caller closes it).

    Returns
    -------
    claimstats.backlog.TriageReport
    """
    import time

    from claimstats.backlog import TriageReport, _top_reasons, check_paths, check_thresholds
    from claimstats.outputs import Outputs

    try:
        import dask
        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ClaimstatsError("the Dask engine needs the dask extra: pip install 'claimstats[dask]'") from None
    started = time.perf_counter()
    source, target = Path(source), Path(out)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    if file_format(source) != "parquet" or file_format(target) != "parquet":
        raise ClaimstatsError("the Dask engine reads a Parquet file or dataset and writes the queue as Parquet "
                              f"(.parquet); got {source.name} -> {target.name}")
    rejected_target = Path(rejected) if rejected else target.with_name(target.stem + ".rejected.parquet")
    check_paths(source, target, rejected_target)
    target_recall, first_recall, first, review = check_thresholds(model, target_recall, first_recall)
    schema, pieces = parquet_pieces(source)
    if not pieces:
        raise ClaimstatsError(f"{source}: has no data rows")
    names = list(schema.names)
    clash = [c for c in ("rank", *ADDED, "_key") if c in names]
    if clash:
        raise ClaimstatsError(f"{source}: column {clash[0]!r} clashes with a column that triage adds to the queue "
                              "or to the rejected rows; rename it")
    meta_in = _to_pandas(schema.empty_table())
    meta_in.insert(0, ROW, np.array([], dtype=np.int64))
    meta_scored = score_partition(meta_in, model, first=first, review=review)

    own = None
    if client is None:
        if scheduler:
            client = own = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, host="127.0.0.1")
            client = own = Client(cluster)
    try:
        with Outputs() as outputs, dask.config.set({"dataframe.convert-string": False,
                                                     "dataframe.shuffle.method": "tasks"}):
            frames = dd.from_map(_read_piece, pieces, columns=names, schema=schema, meta=meta_in, enforce_metadata=False)
            scored = frames.map_partitions(score_partition, model, first=first, review=review,
                                           meta=meta_scored).persist()
            # A repeat of an earlier valid row's video_id is rejected, as in one process: the valid rows'
            # ids (16 bytes a row) come to the client, which finds the repeats in row order.
            id_column = next(c for c in names if c.strip() == VIDEO_ID)
            ids = scored.map_partitions(_valid_ids, id_column, meta=_valid_ids(meta_scored, id_column)).compute()
            ids = ids.sort_values(ROW, kind="stable")
            repeats = ids[ROW].to_numpy()[ids[VIDEO_ID].duplicated(keep="first").to_numpy()]
            if len(repeats):
                scored = scored.map_partitions(_mark_repeats, repeats, meta=meta_scored).persist()
            valid = scored[scored[REASON] == ""]
            valid = valid.assign(_key=-valid[SCORE_COLUMN]).sort_values(["_key", ROW]).persist()
            lengths = valid.map_partitions(len).compute().tolist()
            side = scored[scored[REASON] != ""].drop(columns=[SCORE_COLUMN, TIER])
            reasons = side[REASON].compute()
            counted: dict[str, int] = {}
            for text in reasons:
                for reason in text.split("; "):
                    counted[reason] = counted.get(reason, 0) + 1
            if not sum(lengths):
                raise ClaimstatsError(f"{source}: no report can be scored: all {len(reasons):,} rows break the data "
                                      f"contract ({_top_reasons(counted)}); nothing was written")
            offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64).tolist()
            meta_queue = _ranked_part(valid._meta, [0], first, review)
            queue = valid.map_partitions(_ranked_part, offsets, first, review, meta=meta_queue)
            tiers = valid[TIER].value_counts().compute()
            name = lambda i: f"part-{i:05d}.parquet"  # noqa: E731 (queue order is file order)
            dask.compute(queue.to_parquet(outputs.folder(target), name_function=name, write_index=False,
                                          compute=False),
                         side.to_parquet(outputs.folder(rejected_target), name_function=name, write_index=False,
                                         compute=False))
    finally:
        if own is not None:
            cluster = getattr(own, "cluster", None)
            own.close()
            if cluster is not None:
                cluster.close()
    rows_in = sum(p.rows for p in pieces)
    return TriageReport(
        rows_in=rows_in, rows_scored=int(sum(lengths)), rows_rejected=len(reasons),
        reasons=tuple(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))),
        tiers=tuple((t, int(tiers.get(t, 0))) for t in TIERS), target_recall=target_recall, threshold=review,
        first_recall=first_recall, first_threshold=first, out=str(target), rejected_path=str(rejected_target),
        seconds=time.perf_counter() - started)
