"""scale: Parquet in and out, the per-partition scoring function, bad Parquet input, the Dask path."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from _cli import run
from claimstats.backlog import triage_file
from claimstats.errors import ClaimstatsError
from claimstats.intake import check_reports
from claimstats.modelfile import save_model
from claimstats.scale import file_format, parquet_pieces, score_partition
from claimstats.schema import COUNT_COLUMNS
from claimstats.triage import prioritize


@pytest.fixture(scope="module")
def typed(reports):
    """The reports fixture as pandas reads it with types: what a Parquet file of it holds."""
    return pd.read_csv(reports)


def _parquet(frame: pd.DataFrame, path, row_group_size=700):
    frame.to_parquet(path, index=False, row_group_size=row_group_size)
    return path


def _expected(model, frame: pd.DataFrame) -> pd.DataFrame:
    valid = frame[check_reports(frame, model.columns) == ""]
    return prioritize(model, valid)


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ------------------------------------------------------------ round trips


@pytest.mark.parametrize("chunksize", [250, 100_000])
def test_parquet_to_parquet_equals_prioritize_and_accounts_for_every_row(model, typed, tmp_path, chunksize):
    source = _parquet(typed, tmp_path / "reports.parquet")
    before = source.read_bytes()
    report = triage_file(model, source, tmp_path / "queue.parquet", chunksize=chunksize)
    queue = pd.read_parquet(tmp_path / "queue.parquet")
    side = pd.read_parquet(report.rejected_path)
    assert report.rejected_path == str(tmp_path / "queue.rejected.parquet")
    expected = _expected(model, typed)
    assert queue["#"].tolist() == expected["#"].tolist()
    np.testing.assert_array_equal(queue["claim_probability"], expected["claim_probability"])
    assert queue["tier"].tolist() == expected["tier"].tolist() and queue["rank"].tolist() == list(range(1, len(queue) + 1))
    # the columns keep their Parquet types, and the rows are as read
    assert queue["video_id"].dtype == np.int64 and queue["video_view_count"].dtype == np.float64
    pd.testing.assert_frame_equal(queue.drop(columns=["rank", "tier", "claim_probability"]),
                                  typed.set_index("#").loc[queue["#"]].reset_index(), check_dtype=False)
    assert sorted(queue["#"].tolist() + side["#"].tolist()) == sorted(typed["#"].tolist())
    assert side["row"].tolist() == (typed.index[typed["#"].isin(side["#"])] + 1).tolist()
    assert dict(report.reasons)["video_like_count: negative"] == 1
    assert source.read_bytes() == before and _leftovers(tmp_path) == []


@pytest.mark.parametrize("given", ["parquet", "csv"])
def test_a_parquet_queue_dictionary_encodes_its_repeated_text_columns_only(model, typed, reports, tmp_path, given):
    # from a CSV every column is text: the ids and counts are still left out, being nearly all distinct
    source = _parquet(typed, tmp_path / "reports.parquet") if given == "parquet" else reports
    triage_file(model, source, tmp_path / "queue.parquet", chunksize=500)
    meta = pq.ParquetFile(tmp_path / "queue.parquet").metadata
    encodings = {meta.schema.column(i).name: set(meta.row_group(0).column(i).encodings)
                 for i in range(meta.num_columns)}
    for name in ("tier", "verified_status", "author_ban_status"):
        assert "RLE_DICTIONARY" in encodings[name], name
    for name in ("video_transcription_text", "video_id", "#", "video_view_count", "claim_probability", "rank"):
        assert "RLE_DICTIONARY" not in encodings[name], name
    # min/max statistics for every column but the text ones without a dictionary, and true ones
    queue = pq.read_table(tmp_path / "queue.parquet")
    rows = meta.row_group(0).num_rows
    for i in range(meta.num_columns):
        name, column = meta.schema.column(i).name, meta.row_group(0).column(i)
        free_text = name == "video_transcription_text" or (given == "csv" and name in ("video_id", "#", *COUNT_COLUMNS))
        assert column.is_stats_set != free_text, name
        if name in ("rank", "claim_probability"):
            values = queue.column(name).to_numpy()[:rows]
            assert (column.statistics.min, column.statistics.max) == (values.min(), values.max())


def test_csv_and_parquet_in_any_mix_give_the_same_queue(model, reports, typed, tmp_path):
    parquet = _parquet(typed, tmp_path / "reports.parquet")
    queues = {}
    for source in (reports, parquet):
        for suffix in (".csv", ".parquet"):
            out = tmp_path / f"{file_format(source)}-to{suffix}"
            out = out.with_name(out.name.replace(suffix, "") + suffix)
            report = triage_file(model, source, out, chunksize=400)
            read = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
            queues[(file_format(source), suffix)] = read
            assert report.rows_scored == len(read) and report.rows_in == len(typed)
    first = queues[("csv", ".csv")]
    for key, queue in queues.items():
        assert queue["#"].astype(int).tolist() == first["#"].tolist(), key
        np.testing.assert_allclose(queue["claim_probability"].astype(float), first["claim_probability"], rtol=0,
                                   atol=0, err_msg=str(key))
    # a CSV queue of Parquet reports writes each cell as text a spreadsheet cannot run
    csv_of_parquet = pd.read_csv(tmp_path / "parquet-to.csv", dtype=str)
    assert not csv_of_parquet["video_transcription_text"].str.startswith(("=", "+", "-", "@")).any()


def test_a_parquet_dataset_of_many_files_is_read_in_order(model, typed, tmp_path):
    folder = tmp_path / "dataset"
    folder.mkdir()
    for i, start in enumerate(range(0, len(typed), 700)):
        _parquet(typed.iloc[start:start + 700], folder / f"part-{i:02d}.parquet", row_group_size=300)
    # files of one dataset written by different tools: string for large_string, integers for floats
    table = pq.read_table(folder / "part-01.parquet")
    narrow = pa.schema([pa.field(f.name, pa.string() if f.type == pa.large_string() else
                                 pa.int64() if f.name == "video_duration_sec" else f.type) for f in table.schema])
    pq.write_table(table.cast(narrow), folder / "part-01.parquet", row_group_size=300)
    schema, pieces = parquet_pieces(folder)
    assert [p.first_row for p in pieces][:4] == [1, 301, 601, 701]  # row groups of 300, files of 700
    assert sum(p.rows for p in pieces) == len(typed) and "video_id" in schema.names
    report = triage_file(model, folder, tmp_path / "queue.csv", chunksize=512)
    queue = pd.read_csv(tmp_path / "queue.csv")
    assert queue["#"].tolist() == _expected(model, typed)["#"].tolist()
    side = pd.read_csv(report.rejected_path)
    assert side["row"].tolist() == (typed.index[typed["#"].isin(side["#"])] + 1).tolist()


def test_chunks_scored_side_by_side_give_the_same_queue(model, typed, tmp_path):
    from claimstats import backlog

    source = _parquet(typed, tmp_path / "reports.parquet")
    assert backlog._scorers(2, len(typed), 300) == 2
    one = triage_file(model, source, tmp_path / "one.parquet", chunksize=300, jobs=1)
    two = triage_file(model, source, tmp_path / "two.parquet", chunksize=300, jobs=2)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "one.parquet"), pd.read_parquet(tmp_path / "two.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(one.rejected_path), pd.read_parquet(two.rejected_path))
    assert one.tiers == two.tiers and one.reasons == two.reasons
    with pytest.raises(ClaimstatsError, match="jobs must be 1 or more"):
        triage_file(model, source, tmp_path / "x.parquet", jobs=0)


def test_scoring_threads_use_one_blas_and_one_openmp_thread_each_and_the_limits_are_restored(model, typed, tmp_path,
                                                                                          monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    from claimstats import backlog

    seen = []
    score = backlog._score_chunk

    def watched(*args):
        limits = {(lib["user_api"], lib["filepath"]): lib["num_threads"] for lib in threadpool_info()}
        seen.append((threading.current_thread().name, limits))
        return score(*args)

    monkeypatch.setattr(backlog, "_score_chunk", watched)
    source = _parquet(typed, tmp_path / "reports.parquet")
    with threadpool_limits(limits=2):  # two threads before, whatever the machine's cores: the limit shows
        before = {(lib["user_api"], lib["filepath"]): lib["num_threads"] for lib in threadpool_info()}
        assert set(before.values()) == {2}
        triage_file(model, source, tmp_path / "queue.parquet", chunksize=300, jobs=2)
        after = {(lib["user_api"], lib["filepath"]): lib["num_threads"] for lib in threadpool_info()}
    assert len(seen) == -(-len(typed) // 300)
    assert {name.rsplit("_", 1)[0] for name, _ in seen} == {"claimstats-scoring"}
    assert all(set(limits.values()) <= {1} for _, limits in seen)
    if any(api == "openmp" for api, _ in before):  # scikit-learn's OpenMP is loaded: it was limited too
        assert all(any(api == "openmp" for api, _ in limits) for _, limits in seen)
    assert after == before  # this thread's and the process's limits are as they were


def test_overlapping_scoring_runs_share_the_blas_limit_and_the_last_to_finish_restores_it():
    from threadpoolctl import threadpool_info, threadpool_limits

    from claimstats import backlog

    def blas():
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    if not blas():
        pytest.skip("no BLAS library is loaded")
    with threadpool_limits(limits=2, user_api="blas"):
        first, second = backlog._one_blas_thread(), backlog._one_blas_thread()
        first.__enter__()
        second.__enter__()  # a second run starts while the first goes on
        assert blas() == {1}
        first.__exit__(None, None, None)  # the first finishes before the second
        assert blas() == {1}  # the second still scores with one BLAS thread
        second.__exit__(None, None, None)
        assert blas() == {2}  # the last to finish restores what was set before the first began


# ---------------------------------------------------- the partition function


def test_score_partition_is_a_pure_frame_function(model, typed):
    part = typed.iloc[100:400].copy()
    before = part.copy()
    scored = score_partition(part, model)
    pd.testing.assert_frame_equal(part, before)  # the input is not modified
    assert scored.columns[:4].tolist() == ["row", "reason", "claim_probability", "tier"]
    assert scored["row"].tolist() == list(range(1, 301))
    valid = scored["reason"] == ""
    assert scored.loc[~valid, "claim_probability"].isna().all()
    expected = model.predict_proba(typed.iloc[100:400][valid.to_numpy()])
    np.testing.assert_array_equal(scored.loc[valid, "claim_probability"], expected)
    numbered = score_partition(part.assign(row=np.arange(101, 401)), model)
    assert numbered["row"].tolist() == list(range(101, 401))
    assert numbered.drop(columns="row").equals(scored.drop(columns="row"))
    empty = score_partition(part.head(0), model)
    assert len(empty) == 0 and empty.columns.tolist() == scored.columns.tolist()


# ----------------------------------------------------------- bad Parquet


def _bad_inputs(typed, folder):
    cases = {}
    cases["missing"] = _parquet(typed.drop(columns="author_ban_status"), folder / "missing.parquet")
    cases["type"] = _parquet(typed.assign(verified_status=1), folder / "type.parquet")
    cases["nested"] = folder / "nested.parquet"
    table = pa.Table.from_pandas(typed, preserve_index=False)
    at = table.schema.get_field_index("video_view_count")
    pq.write_table(table.set_column(at, "video_view_count", pa.array([[1]] * len(typed))), cases["nested"])
    good = _parquet(typed, folder / "good.parquet")
    cases["footer"] = folder / "footer.parquet"
    cases["footer"].write_bytes(good.read_bytes()[:-100])
    cases["empty"] = folder / "empty.parquet"
    cases["empty"].write_bytes(b"")
    mixed = folder / "mixed"
    mixed.mkdir()
    _parquet(typed.head(100), mixed / "a.parquet")
    _parquet(typed.iloc[100:200].assign(verified_status=1.5), mixed / "b.parquet")
    cases["mixed"] = mixed
    clash = folder / "clash"
    clash.mkdir()
    _parquet(typed.head(100), clash / "a.parquet")
    _parquet(typed.iloc[100:200].astype({"video_id": str}), clash / "b.parquet")
    cases["clash"] = clash
    return cases


MESSAGES = {"missing": r"missing\.parquet: a reports file needs the columns .*missing: author_ban_status",
            "type": r"type\.parquet: column 'verified_status' holds int64; it must hold text",
            "nested": r"nested\.parquet: column 'video_view_count' holds list<\w+: int64>; it must hold numbers",
            "footer": r"footer\.parquet: not a readable Parquet file \(.+\)",
            "empty": r"empty\.parquet: not a readable Parquet file",
            "mixed": r"b\.parquet: column 'verified_status' holds double; it must hold text",
            "clash": r"b\.parquet: its schema differs from the dataset's first file: column 'video_id' is large_string "
                     r"here, int64 in a\.parquet"}


def test_bad_parquet_is_one_line_naming_the_file_and_leaves_no_output(model, typed, tmp_path, capsys):
    cases = _bad_inputs(typed, tmp_path)
    model_path = tmp_path / "model.skops"
    save_model(model, model_path)
    for name, source in cases.items():
        out = tmp_path / f"queue-{name}.parquet"
        with pytest.raises(ClaimstatsError, match=MESSAGES[name]):
            triage_file(model, source, out)
        code, stdout, err = run(capsys, "triage", model_path, source, "--out", out)
        assert code == 2 and stdout == "" and len(err.strip().splitlines()) == 1, (name, err)
        assert "Traceback" not in err and str(source.name) in err
        assert not out.exists() and _leftovers(tmp_path) == []


def test_a_failure_half_way_leaves_no_partial_queue(model, reports, tmp_path):
    # the rows after the first chunks are malformed: the error comes once the queue's runs exist
    text = reports.read_text(encoding="utf-8")
    broken = tmp_path / "late.csv"
    broken.write_text(text + "1,2,3,4,5,6,7,8,9,10,11,12,13,14\n", encoding="utf-8")
    out = tmp_path / "queue.csv"
    out.write_text("an earlier queue\n")
    with pytest.raises(ClaimstatsError, match=r"late\.csv: not a well-formed CSV file: Expected 11 columns, got 14"):
        triage_file(model, broken, out, chunksize=200)
    assert out.read_text() == "an earlier queue\n"  # replaced only by a complete queue
    assert not (tmp_path / "queue.rejected.csv").exists() and _leftovers(tmp_path) == []


# ---------------------------------------------------------------- Dask


def test_dask_on_a_local_cluster_ranks_as_the_single_process_path(model, typed, tmp_path, capsys):
    distributed = pytest.importorskip("dask.distributed")
    from claimstats.scale import triage_dask

    folder = tmp_path / "dataset"
    folder.mkdir()
    for i, start in enumerate(range(0, 2000, 500)):
        _parquet(typed.iloc[start:start + 500], folder / f"part-{i}.parquet", row_group_size=200)
    single = triage_file(model, folder, tmp_path / "single.parquet", chunksize=300)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        spread = triage_dask(model, folder, tmp_path / "dask.parquet", client=client)
    expected, got = pd.read_parquet(tmp_path / "single.parquet"), pd.read_parquet(tmp_path / "dask.parquet")
    assert got.columns.tolist() == expected.columns.tolist()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)  # row for row: ranks, scores, tiers, data
    pd.testing.assert_frame_equal(pd.read_parquet(spread.rejected_path), pd.read_parquet(single.rejected_path),
                                  check_dtype=False)
    assert (spread.rows_in, spread.rows_scored, spread.tiers, spread.reasons) == (
        single.rows_in, single.rows_scored, single.tiers, single.reasons)
    # the Dask engine takes Parquet only, and says so
    with pytest.raises(ClaimstatsError, match="the Dask engine reads a Parquet file or dataset"):
        triage_dask(model, folder, tmp_path / "q.csv", client=client)


# ------------------------------------------------------- validate and clean


def test_load_validate_and_clean_read_parquet_as_they_read_csv(tmp_path, capsys):
    from claimstats import clean, load, simulate

    frame = simulate(400, seed=12)
    csv_path, parquet_path = tmp_path / "data.csv", tmp_path / "data.parquet"
    frame.to_csv(csv_path, index=False)
    frame.rename(columns={"#": "id"}).to_parquet(parquet_path, index=False)  # a variant load normalises
    from_csv, from_parquet = load(csv_path), load(parquet_path)
    pd.testing.assert_frame_equal(from_parquet.frame, from_csv.frame)
    assert "renamed column 'id' to '#'" in from_parquet.source.notes
    assert clean(from_parquet.frame)[1].rows_out == clean(from_csv.frame)[1].rows_out
    code, out, _ = run(capsys, "validate", parquet_path)
    assert code == 0 and f"valid ({len(frame):,} rows" in out
    code, _, _ = run(capsys, "clean", parquet_path, "--out", tmp_path / "tidy.csv")
    assert code == 0 and len(pd.read_csv(tmp_path / "tidy.csv")) == clean(from_csv.frame)[1].rows_out
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(parquet_path.read_bytes()[:-50])
    code, out, err = run(capsys, "validate", broken)
    assert code == 2 and "not a readable Parquet file" in out + err and "Traceback" not in out + err
    wrong = tmp_path / "wrong.parquet"
    frame.assign(video_duration_sec=frame["video_duration_sec"] + 100).to_parquet(wrong, index=False)
    code, out, _ = run(capsys, "validate", wrong)
    assert code == 2 and "video_duration_sec" in out


def test_the_engine_flags_are_checked_before_any_work(model, reports, tmp_path, capsys):
    model_path = tmp_path / "model.skops"
    save_model(model, model_path)
    code, _, err = run(capsys, "triage", model_path, reports, "--out", tmp_path / "q.csv", "--scheduler", "tcp://x:1")
    assert code == 2 and err.strip().endswith("--scheduler needs --engine dask")
    code, _, err = run(capsys, "triage", model_path, reports, "--out", tmp_path / "q.parquet", "--engine", "dask")
    assert code == 2 and "the Dask engine reads a Parquet file or dataset" in err
    assert not (tmp_path / "q.csv").exists() and not (tmp_path / "q.parquet").exists()


# ------------------------------------------ main's hostile-input rules, on Parquet


def _hostile(typed):
    """The reports with a repeated video_id (rows 7 and 1,801 repeat rows 3 and 1,200) and NUL bytes (row 12)."""
    frame = typed.copy()
    frame["video_transcription_text"] = frame["video_transcription_text"].astype(object)
    frame.loc[6, "video_id"] = frame.loc[2, "video_id"]
    frame.loc[1800, "video_id"] = frame.loc[1199, "video_id"]
    frame.loc[11, "video_transcription_text"] = "a claim\x00 hidden after a NUL"
    return frame


def _expected_reasons(model, frame):
    """Each row's reasons, worked out row by row: the contract's, then repeats of an earlier valid row's id."""
    reasons = check_reports(frame, model.columns).tolist()
    seen = set()
    for i, (reason, video) in enumerate(zip(reasons, frame["video_id"])):
        if reason == "":
            if video in seen:
                reasons[i] = "video_id: repeats an earlier row"
            seen.add(video)
    return reasons


@pytest.mark.parametrize("jobs", [1, 2])
def test_repeated_ids_and_nul_bytes_in_parquet_are_rejected_as_in_csv(model, typed, tmp_path, jobs):
    frame = _hostile(typed)
    reasons = _expected_reasons(model, frame)
    assert reasons[6] == reasons[1800] == "video_id: repeats an earlier row"
    assert reasons[11] == "video_transcription_text: contains a NUL byte"
    source = _parquet(frame, tmp_path / "reports.parquet")
    csv_source = tmp_path / "reports.csv"
    frame.to_csv(csv_source, index=False)
    for given in (source, csv_source):
        # chunks of 250: the repeats of row 1,200 and its first sighting are in different chunks (and workers)
        report = triage_file(model, given, tmp_path / "queue.parquet", chunksize=250, jobs=jobs)
        queue, side = pd.read_parquet(tmp_path / "queue.parquet"), pd.read_parquet(report.rejected_path)
        bad = [i + 1 for i, r in enumerate(reasons) if r]
        assert side["row"].tolist() == bad and side["reason"].tolist() == [r for r in reasons if r]
        assert len(queue) + len(side) == len(frame) and queue["video_id"].astype(np.int64).is_unique
        assert not queue["video_transcription_text"].str.contains("\x00").any()
        valid = frame[[r == "" for r in reasons]]
        assert queue["#"].astype(int).tolist() == prioritize(model, valid)["#"].tolist()


def test_a_parquet_input_whose_rows_are_all_rejected_writes_nothing(model, typed, tmp_path, capsys):
    source = _parquet(typed.head(40).assign(video_duration_sec=0), tmp_path / "reports.parquet")
    model_path = tmp_path / "model.skops"
    save_model(model, model_path)
    code, out, err = run(capsys, "triage", model_path, source, "--out", tmp_path / "q.parquet", "--chunksize", "15")
    assert code == 2 and out == "" and "no report can be scored: all 40 rows" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skops", "reports.parquet"]


def test_an_output_that_is_the_input_or_inside_its_dataset_is_refused(model, typed, tmp_path, capsys):
    folder = tmp_path / "dataset"
    folder.mkdir()
    _parquet(typed.head(500), folder / "a.parquet")
    source = _parquet(typed.head(500), tmp_path / "reports.parquet")
    link = tmp_path / "link.parquet"
    link.symlink_to(source)
    before = source.read_bytes()
    model_path = tmp_path / "model.skops"
    save_model(model, model_path)
    for given, out, message in ((source, link, "refusing to overwrite the input file"),
                                (folder, folder / "queue.parquet", "inside the input folder"),
                                (source, tmp_path / "q.parquet", "refusing to overwrite the input file")):
        extra = ["--rejected", source] if out.name == "q.parquet" else []
        code, _, err = run(capsys, "triage", model_path, given, "--out", out, *extra)
        assert code == 2 and message in err, err
    with pytest.raises(ClaimstatsError, match="inside the input dataset folder"):
        triage_file(model, folder, folder / "queue.parquet")
    assert source.read_bytes() == before and sorted(p.name for p in folder.iterdir()) == ["a.parquet"]


def test_a_corrupt_row_group_after_the_first_chunks_leaves_no_partial_queue(model, typed, tmp_path, capsys):
    good = _parquet(typed, tmp_path / "good.parquet", row_group_size=500)
    column = pq.ParquetFile(good).metadata.row_group(3).column(4)  # its footer is sound; a page header is not
    raw = bytearray(good.read_bytes())
    raw[column.data_page_offset:column.data_page_offset + 64] = b"\xff" * 64
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(bytes(raw))
    model_path = tmp_path / "model.skops"
    save_model(model, model_path)
    for suffix in (".parquet", ".csv"):
        out = tmp_path / f"queue{suffix}"
        out.write_text("an earlier queue\n")
        code, stdout, err = run(capsys, "triage", model_path, broken, "--out", out, "--chunksize", "200")
        assert code == 2 and stdout == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert "broken.parquet: row group 3 cannot be read" in err
        assert out.read_text() == "an earlier queue\n" and _leftovers(tmp_path) == []
        assert not (tmp_path / f"queue.rejected{suffix}").exists()


def test_a_full_disk_while_writing_parquet_keeps_the_previous_queue(model, typed, tmp_path, capsys, monkeypatch):
    import errno

    source = _parquet(typed, tmp_path / "reports.parquet")
    out = tmp_path / "queue.parquet"
    out.write_bytes(b"the previous queue")
    written = pq.ParquetWriter.write_table

    def full_disk(self, table, *args, **kwargs):
        written(self, table.slice(0, 1), *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full_disk)
    model_path = tmp_path / "model.skops"
    save_model(model, model_path)
    code, _, err = run(capsys, "triage", model_path, source, "--out", out)
    assert code == 2 and "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert out.read_bytes() == b"the previous queue" and _leftovers(tmp_path) == []
    assert not (tmp_path / "queue.rejected.parquet").exists()


@pytest.mark.parametrize("verb", ["validate", "clean"])
def test_validate_and_clean_say_what_is_wrong_with_a_parquet_file_in_one_line(typed, tmp_path, capsys, verb):
    from claimstats import simulate

    cases = _bad_inputs(typed, tmp_path)
    labelled = simulate(300, seed=4)
    dataset = tmp_path / "labelled"
    dataset.mkdir()
    _parquet(labelled.head(150), dataset / "a.parquet")
    (dataset / "b.parquet").write_bytes(b"PAR1 not really")
    cases["bad file in a dataset"] = dataset
    expected = {"type": "column 'verified_status' holds int64; it must hold text",
                "nested": "column 'video_view_count' holds list", "footer": "not a readable Parquet file",
                "empty": "not a readable Parquet file", "mixed": "column 'verified_status' holds double",
                "clash": "column 'video_id' is large_string here, int64 in a.parquet",
                "bad file in a dataset": "b.parquet: not a readable Parquet file"}
    for name, source in cases.items():
        out = tmp_path / "tidy.csv"
        argv = [verb, source] + (["--out", out] if verb == "clean" else [])
        code, stdout, err = run(capsys, *argv)
        assert code == 2 and "Traceback" not in stdout + err, (name, err)
        if name == "missing":  # a contract problem: listed on stdout, summed up in one line
            assert "author_ban_status" in stdout + err
        else:
            assert len(err.strip().splitlines()) == 1 and expected[name] in err, (name, err)
        assert not out.exists() and _leftovers(tmp_path) == []
    # a sound dataset of two files reads as the one frame
    (dataset / "b.parquet").unlink()
    _parquet(labelled.iloc[150:], dataset / "b.parquet")
    code, stdout, _ = run(capsys, "validate", dataset)
    assert code == 0 and "valid (300 rows" in stdout


def test_dask_worker_processes_on_the_command_line_rank_as_one_process(model, typed, tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    frame = _hostile(typed)
    folder = tmp_path / "dataset"
    folder.mkdir()
    for i, start in enumerate(range(0, len(frame), 1000)):
        _parquet(frame.iloc[start:start + 1000], folder / f"part-{i}.parquet", row_group_size=400)
    model_path = tmp_path / "model.skops"
    save_model(model, model_path)
    code, _, err = run(capsys, "triage", model_path, folder, "--out", tmp_path / "one.parquet")
    assert code == 0, err
    out = tmp_path / "queue.parquet"
    out.mkdir()
    (out / "part-00000.parquet").write_bytes(b"an earlier queue")  # a folder from an earlier run is replaced
    code, _, err = run(capsys, "triage", model_path, folder, "--out", out, "--engine", "dask", "--jobs", "2")
    assert code == 0, err
    one, spread = pd.read_parquet(tmp_path / "one.parquet"), pd.read_parquet(out)
    pd.testing.assert_frame_equal(spread, one, check_dtype=False)  # LocalCluster of 2 worker processes
    side = pd.read_parquet(tmp_path / "queue.rejected.parquet")
    reasons = _expected_reasons(model, frame)
    assert side["row"].tolist() == [i + 1 for i, r in enumerate(reasons) if r]
    assert side["reason"].tolist() == [r for r in reasons if r] and len(one) + len(side) == len(frame)
    assert _leftovers(tmp_path) == []
    # a run that can score no row writes nothing, on Dask too
    dead = tmp_path / "dead.parquet"
    _parquet(typed.head(30).assign(verified_status="maybe"), dead)
    code, _, err = run(capsys, "triage", model_path, dead, "--out", tmp_path / "dead-queue.parquet", "--engine",
                       "dask", "--jobs", "1")
    assert code == 2 and "no report can be scored: all 30 rows" in err
    assert not (tmp_path / "dead-queue.parquet").exists() and not (tmp_path / "dead-queue.rejected.parquet").exists()


def test_training_after_a_parallel_triage_in_one_process(model, typed, tmp_path, tidy):
    from claimstats.comparison import compare_models

    source = _parquet(typed, tmp_path / "reports.parquet")
    triage_file(model, source, tmp_path / "queue.parquet", chunksize=500, jobs=2)
    # the triage's worker pool is its own: joblib's workers for training start as usual
    kwargs = dict(feature_sets=("upload",), grid="fast", importance_repeats=0)
    spread = compare_models(tidy.sample(900, random_state=0), n_jobs=2, **kwargs).to_frame()
    pd.testing.assert_frame_equal(spread, compare_models(tidy.sample(900, random_state=0), **kwargs).to_frame())
