"""backlog: spreadsheet-safe CSVs and chunked triage of a file (queue, side file, merge, progress bar)."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from claimstats.backlog import neutralize_formulas, triage_file
from claimstats.errors import ClaimstatsError
from claimstats.intake import check_reports
from claimstats.triage import prioritize


# ------------------------------------------------------- spreadsheet safety


def test_formula_cells_are_neutralised_and_numbers_left_alone():
    frame = pd.DataFrame({"text": ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", None, "a=b"],
                          "n": [-1, 2, 3, 4, 5, 6, 7, 8, 9]})
    out = neutralize_formulas(frame)
    text = out["text"].tolist()
    assert text[:7] + text[8:] == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "plain", "a=b"]
    assert pd.isna(text[7])
    assert out["n"].tolist() == frame["n"].tolist()
    assert frame["text"].iloc[0] == "=1+1"  # the input is not modified
    named = neutralize_formulas(pd.DataFrame({"=HYPERLINK(\"http://x\")": ["a"], "@x": [1], "plain": ["-1"]}))
    assert named.columns.tolist() == ["'=HYPERLINK(\"http://x\")", "'@x", "plain"]
    assert named["plain"].tolist() == ["-1"] and named["'@x"].tolist() == [1]  # a plain number is no formula


# ------------------------------------------------------------ file triage


def _one_shot_queue(model, path) -> pd.DataFrame:
    """The queue prioritize gives for the valid rows, neutralised, as the CSV text of each cell."""
    raw = pd.read_csv(path, dtype=str)
    valid = raw[check_reports(raw, model.columns) == ""]
    buffer = io.StringIO()
    neutralize_formulas(prioritize(model, valid)).to_csv(buffer, index=False, lineterminator="\r\n")
    return _cells(buffer.getvalue())


def _cells(text: str) -> pd.DataFrame:
    # Cells as text (quoting and number formatting aside), probabilities as numbers
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, lineterminator=None)
    return frame.assign(claim_probability=frame["claim_probability"].astype(float))


def _same_queue(out, expected: pd.DataFrame) -> None:
    text = _text(out)
    assert text.split("\r\n")[0].startswith("rank,tier,claim_probability,") and text.endswith("\r\n")
    pd.testing.assert_frame_equal(_cells(text), expected)


def _text(path) -> str:
    return path.read_bytes().decode("utf-8")  # not read_text: it would turn every CR LF and CR into LF


@pytest.mark.parametrize("chunksize, held_bytes", [(10, 0), (10, 40_000), (10, None), (1000, 0), (1000, None),
                                                   (100_000, None)])
def test_chunked_triage_equals_one_shot_and_accounts_for_every_row(model, reports, tmp_path, monkeypatch,
                                                                  chunksize, held_bytes):
    # Nothing held (0 bytes) and 10 rows a chunk makes 300 runs: more than one merge round (256 at a
    # time); 40,000 bytes holds a few chunks (runs of several chunks); the default holds every row.
    from claimstats import backlog

    if held_bytes is not None:
        monkeypatch.setattr(backlog, "_HELD_BYTES", held_bytes)
    spilled = []
    real_spill = backlog._Runs._spill
    monkeypatch.setattr(backlog._Runs, "_spill", lambda self: (spilled.append(sum(len(s) for _, _, s, _ in self.held)),
                                                               real_spill(self)))
    out, rejected = tmp_path / "queue.csv", tmp_path / "rejected.csv"
    report = triage_file(model, reports, out, chunksize=chunksize, rejected=rejected)
    _same_queue(out, _one_shot_queue(model, reports))
    queue, side = pd.read_csv(out), pd.read_csv(rejected)
    assert report.rows_in == 3000 and report.rows_scored + report.rows_rejected == 3000
    assert len(queue) == report.rows_scored and len(side) == report.rows_rejected
    # every input row is in exactly one of the two files
    input_ids = pd.read_csv(reports)["#"]
    assert sorted(queue["#"].tolist() + side["#"].tolist()) == sorted(input_ids.tolist())
    assert side["row"].tolist() == (input_ids[input_ids.isin(side["#"])].index + 1).tolist()
    assert dict(report.reasons)["video_duration_sec: outside 5–60"] == 1
    assert sum(n for _, n in report.tiers) == report.rows_scored
    assert report.threshold == model.threshold
    if held_bytes is None:  # 3,000 reports fit in memory: ranked there, no run written
        assert spilled == []
    elif held_bytes == 0:  # each chunk's rows become one run, the last one's too
        # (a chunk whose rows were all rejected makes none: 296 runs of 10 rows, more than the 256 merged at once)
        assert 0.9 * 3000 / chunksize < len(spilled) <= 3000 / chunksize and max(spilled) <= chunksize
        assert sum(spilled) == report.rows_scored
    else:  # several chunks a run
        assert 1 < len(spilled) < 3000 // chunksize and max(spilled) > chunksize and sum(spilled) == report.rows_scored


def test_the_merge_holds_about_two_chunks_of_rows_whatever_the_number_of_runs(tmp_path, monkeypatch):
    import numpy as np
    import pyarrow as pa

    from claimstats import backlog

    # A fan-in of 4 with chunks of 4,000 rows: record batches of 1,000 rows. Each run's buffer
    # then holds under a block plus a batch (2,000 rows), so the 4 runs merged at once hold at
    # most 2 chunks. With whole-run batches (4,096 rows, as before) they held 4 chunks.
    monkeypatch.setattr(backlog, "_MAX_FAN_IN", 4)
    chunksize, n_runs = 4000, 6  # 6 runs: a first round of 4, then the last merge
    merged_runs, peaks = [], []
    real_merge, real_tables = backlog._merge_runs, backlog._run_tables
    held = [0]

    def counting_tables(path):
        for table in real_tables(path):
            held[0] += table.num_rows
            peaks[-1] = max(peaks[-1], held[0])
            yield table

    def counting_merge(paths, emit, block):
        merged_runs.append(len(paths))
        peaks.append(0)
        held[0] = 0

        def counted(table):
            held[0] -= table.num_rows
            emit(table)
        real_merge(paths, counted, block)

    monkeypatch.setattr(backlog, "_run_tables", counting_tables)
    monkeypatch.setattr(backlog, "_merge_runs", counting_merge)
    rng = np.random.default_rng(0)
    runs = backlog._Runs(tmp_path, chunksize, held_bytes=0)  # nothing held: one run a chunk
    for k in range(n_runs):
        runs.add(pa.table({"x": np.arange(chunksize)}), None, rng.random(chunksize),
                 np.arange(k, n_runs * chunksize, n_runs))
    out = []
    runs.merge(out.append, chunksize)
    queue = pa.concat_tables(out)
    assert merged_runs == [4, 2, 2]  # two runs of the first round (4, then the 2 left), then those two
    assert queue.num_rows == n_runs * chunksize
    score = queue.column(backlog.SCORE_COLUMN).to_numpy()
    assert (np.diff(score) <= 0).all()  # the queue order, across every run
    assert 0 < max(peaks) <= 2 * chunksize


_LOGGING_POOLS: list = []


def test_ranking_the_held_rows_copies_them_a_few_times_not_once_a_block(tmp_path, capfd):
    import numpy as np
    import pyarrow as pa

    from claimstats import backlog

    # 100 chunks of 20 rows held, ranked in 40 blocks of 50 rows. Arrow's take from a table of many
    # pieces joins each column's pieces at every call: every block copied every row held.
    rng = np.random.default_rng(3)
    runs = backlog._Runs(tmp_path, 50)
    for k in range(0, 2000, 20):
        runs.add(pa.table({"text": [f"report {i} " * 8 for i in range(k, k + 20)]}), None, rng.random(20),
                 np.arange(k, k + 20))
    held, out = runs.held_size, []
    default = pa.default_memory_pool()
    # every allocation written out (to stdout); the pool kept for as long as the process runs (the buffers
    # it allocated free themselves into it, whenever they go)
    _LOGGING_POOLS.append(pa.logging_memory_pool(default))
    pa.set_memory_pool(_LOGGING_POOLS[-1])
    capfd.readouterr()
    try:
        runs.merge(out.append, 50)
    finally:
        pa.set_memory_pool(default)
    allocated = sum(int(size) for size in re.findall(r"Allocate: size = (\d+)", "".join(capfd.readouterr())))
    assert len(out) == 40 and not list(tmp_path.iterdir())  # ranked in memory
    assert 2 * held <= allocated < 4 * held  # joined once and taken once, with the score and row columns
    queue = pa.concat_tables(out)
    scores, rows = queue.column(backlog.SCORE_COLUMN).to_numpy(), queue.column(backlog._ROW).to_numpy()
    assert (np.diff(scores) <= 0).all() and sorted(rows.tolist()) == list(range(2000))
    assert queue.column("text").to_pylist() == [f"report {i} " * 8 for i in rows]


@pytest.mark.parametrize("batch_rows, block", [(1, 1), (3, 7), (64, 5), (500, 1000)])
def test_the_merge_gives_the_queue_order_with_ties_across_runs(tmp_path, batch_rows, block):
    import numpy as np
    import pyarrow as pa

    from claimstats import backlog

    # Scores from three values only: most rows tie with rows of other runs, and ties go by row.
    # Runs of uneven length (one of a single row), cut into record batches smaller and larger
    # than the block, so that blocks end inside batches and on their edges.
    rng = np.random.default_rng(7)
    lengths, paths, first = [40, 1, 333, 90, 7], [], 0
    for k, n in enumerate(lengths):
        scores, rows = rng.choice([0.1, 0.5, 0.9], n), np.arange(first, first + n)
        order = np.lexsort((rows, -scores))
        paths.append(tmp_path / f"run{k}.arrow")
        run = pa.table({backlog.SCORE_COLUMN: scores[order], backlog._ROW: rows[order],
                        "text": [f"row {r}" for r in rows[order]]})
        with backlog._IpcWriter(paths[-1], run.schema) as writer:
            writer.write(run, batch_rows)
        first += n
    out = []
    backlog._merge_runs(paths, out.append, block)
    queue = pa.concat_tables(out)
    # expected, independently: every row of every run, sorted by (score descending, row)
    every = pa.concat_tables([pa.ipc.open_file(str(p)).read_all() for p in paths])
    expected = every.take(np.lexsort((every.column(backlog._ROW).to_numpy(), -every.column(backlog.SCORE_COLUMN).to_numpy())))
    assert queue.num_rows == sum(lengths)
    assert queue.column(backlog._ROW).to_pylist() == expected.column(backlog._ROW).to_pylist()
    assert queue.column("text").to_pylist() == [f"row {r}" for r in expected.column(backlog._ROW).to_pylist()]
    assert all(table.num_rows for table in out)  # no empty block is emitted


def test_the_merge_opens_at_most_half_the_files_the_process_may_open(model, reports, tmp_path, monkeypatch):
    import resource

    from claimstats import backlog

    assert backlog._fan_in() == min(256, resource.getrlimit(resource.RLIMIT_NOFILE)[0] // 2)
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (64, 64))  # a low limit: 32 runs at once
    assert backlog._fan_in() == 32
    monkeypatch.setattr(backlog, "_HELD_BYTES", 0)  # one run a chunk
    merged = []
    real_merge = backlog._merge_runs
    monkeypatch.setattr(backlog, "_merge_runs", lambda paths, emit, block: (merged.append(len(paths)),
                                                                            real_merge(paths, emit, block)))
    out = tmp_path / "queue.csv"
    triage_file(model, reports, out, chunksize=50)  # 60 runs: a round of 32 and 28, then the last merge of 2
    assert merged == [32, 28, 2]
    _same_queue(out, _one_shot_queue(model, reports))


@pytest.mark.parametrize("chunksize", [4, 1000])
def test_carriage_returns_inside_cells_survive_the_queue_and_the_merge(model, reports, tmp_path, chunksize):
    # A quoted bare CR is one cell to every CSV reader; written unquoted it ends the row.
    raw = pd.read_csv(reports, dtype=str).head(40)
    texts = {3: "first part\rsecond part", 7: "with\r\nboth", 8: "=x\ry"}
    for at, text in texts.items():
        raw.loc[at, "video_transcription_text"] = text
    path = tmp_path / "cr.csv"
    raw.to_csv(path, index=False, lineterminator="\r\n")  # CR LF: the input quotes its CRs
    assert len(pd.read_csv(path)) == 40
    out, rejected = tmp_path / "queue.csv", tmp_path / "rejected.csv"
    report = triage_file(model, path, out, chunksize=chunksize, rejected=rejected)
    _same_queue(out, _one_shot_queue(model, path))
    queue = pd.read_csv(out, dtype=str)
    assert report.rows_in == 40 and len(queue) == report.rows_scored == 40 - report.rows_rejected
    assert len(pd.read_csv(rejected)) == report.rows_rejected
    found = queue.set_index("#")["video_transcription_text"]
    for at, text in texts.items():
        assert found[raw.loc[at, "#"]] == ("'" + text if text.startswith("=") else text)


def test_queue_cells_that_look_like_formulas_are_neutralised(model, reports, tmp_path):
    out = tmp_path / "queue.csv"
    triage_file(model, reports, out, chunksize=500)
    texts = pd.read_csv(out, dtype=str)["video_transcription_text"]
    assert "'=HYPERLINK(\"http://x\")" in texts.tolist()
    assert not texts.str.startswith(("=", "+", "-", "@")).any()
    # a column name is a cell of the header row: an extra column named like a formula is neutralised too
    extra = tmp_path / "extra.csv"
    pd.read_csv(reports, dtype=str).head(50).assign(**{"=cmd()": "x", "-note": "=1"}).to_csv(extra, index=False)
    for chunksize in (7, 100):
        triage_file(model, extra, out, chunksize=chunksize)
        queue = pd.read_csv(out, dtype=str)
        assert queue.columns[-2:].tolist() == ["'=cmd()", "'-note"] and (queue["'-note"] == "'=1").all()


def test_labels_may_be_absent_empty_or_present_but_must_be_valid(model, reports, tmp_path):
    raw = pd.read_csv(reports, dtype=str)
    raw.insert(1, "claim_status", "")
    raw.loc[0, "claim_status"], raw.loc[1, "claim_status"], raw.loc[2, "claim_status"] = "claim", "maybe", "opinion"
    path = tmp_path / "labelled.csv"
    raw.to_csv(path, index=False)
    report = triage_file(model, path, tmp_path / "q.csv", chunksize=700)
    side = pd.read_csv(report.rejected_path)
    assert side.loc[side["row"] == 2, "reason"].item() == "claim_status: not one of claim, opinion"
    # the bad label, the four broken rows of the fixture and simulate's incomplete rows
    assert report.rows_rejected == 1 + 4 + int(raw["video_view_count"].isna().sum())


def test_default_side_file_and_header_errors(model, reports, tmp_path):
    report = triage_file(model, reports, tmp_path / "q.csv", chunksize=1000)
    assert report.rejected_path == str(tmp_path / "q.rejected.csv")
    bad = tmp_path / "bad.csv"
    pd.read_csv(reports).drop(columns="author_ban_status").to_csv(bad, index=False)
    with pytest.raises(ClaimstatsError, match=r"^\S*bad.csv: a reports file needs the columns .*missing: author_ban_status"):
        triage_file(model, bad, tmp_path / "q2.csv")
    with pytest.raises(ClaimstatsError, match="refusing to overwrite the input file"):
        triage_file(model, reports, reports)
    # the queue is written last: it would erase the rejected rows
    with pytest.raises(ClaimstatsError, match="the queue and the rejected rows cannot go to the same file"):
        triage_file(model, reports, tmp_path / "both.csv", rejected=tmp_path / "both.csv")
    assert not (tmp_path / "both.csv").exists()
    for added in ("tier", "reason", "row"):  # columns triage adds to the queue or to the side file
        clashing = tmp_path / f"{added}.csv"
        pd.read_csv(reports).head(30).assign(**{added: "x"}).to_csv(clashing, index=False)
        with pytest.raises(ClaimstatsError, match=f"column '{added}' clashes with a column that triage adds"):
            triage_file(model, clashing, tmp_path / "q4.csv")
    header_only = tmp_path / "header.csv"
    pd.read_csv(reports).head(0).to_csv(header_only, index=False)
    with pytest.raises(ClaimstatsError, match="header.csv: has a header but no data rows"):
        triage_file(model, header_only, tmp_path / "q3.csv", rejected=tmp_path / "r3.csv")
    assert not (tmp_path / "q3.csv").exists() and not (tmp_path / "r3.csv").exists()


def test_a_file_with_no_valid_row_is_refused_and_writes_nothing(model, reports, tmp_path):
    broken = tmp_path / "broken.csv"
    pd.read_csv(reports).head(30).assign(video_duration_sec=0).to_csv(broken, index=False)
    with pytest.raises(ClaimstatsError, match="no report can be scored: all 30 rows .*30 × video_duration_sec"):
        triage_file(model, broken, tmp_path / "q.csv", chunksize=7)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.csv"]


def test_progress_bar_only_on_a_terminal(model, reports, tmp_path, monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    triage_file(model, reports, tmp_path / "q.csv", chunksize=1000)  # stderr is not a terminal here
    assert capsys.readouterr().err == ""
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    triage_file(model, reports, tmp_path / "q.csv", chunksize=1000)
    drawn = terminal.getvalue()
    # Both bars are drawn and then cleared (leave=False); whether a 100% frame is drawn before the clear
    # depends on tqdm's refresh interval, so it is not asserted.
    assert "scoring" in drawn and "writing" in drawn and drawn.endswith("\r")
    quiet = Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    triage_file(model, reports, tmp_path / "q.csv", chunksize=1000, progress=False)
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("chunksize", [7, 1000])
def test_course_file_variants_are_scored_as_the_contract_and_written_as_read(model, reports, tmp_path, chunksize):
    # The variants claimstats.load reads: an unnamed index column, `id` for `#`, padded or
    # upper-case labels, apostrophes escaped as \'. Scores must equal those of the plain file.
    plain = pd.read_csv(reports, dtype=str).head(60)
    variant = plain.rename(columns={"#": "id"})
    variant["verified_status"] = " " + variant["verified_status"].str.upper()
    variant["author_ban_status"] = variant["author_ban_status"].str.title()
    variant["video_transcription_text"] = variant["video_transcription_text"].str.replace("'", "\\'")
    variant.insert(0, "Unnamed: 0", range(len(variant)))
    plain_path, variant_path = tmp_path / "plain.csv", tmp_path / "variant.csv"
    plain.to_csv(plain_path, index=False)
    variant.to_csv(variant_path, index=False)
    before = variant_path.read_bytes()
    triage_file(model, plain_path, tmp_path / "plain_queue.csv")
    report = triage_file(model, variant_path, tmp_path / "variant_queue.csv", chunksize=chunksize)
    expected = pd.read_csv(tmp_path / "plain_queue.csv")
    got = pd.read_csv(tmp_path / "variant_queue.csv")
    assert report.rows_rejected == len(pd.read_csv(tmp_path / "plain_queue.rejected.csv"))
    assert got["claim_probability"].tolist() == expected["claim_probability"].tolist()
    assert got["id"].tolist() == expected["#"].tolist()
    # the rows are written as they were read
    assert got["verified_status"].str.startswith(" ").all() and got["verified_status"].str.isupper().all()
    assert variant_path.read_bytes() == before


def test_prioritize_reads_the_variants_too(model, reports):
    plain = pd.read_csv(reports, dtype=str).head(60)
    plain = plain[check_reports(plain, model.columns) == ""].reset_index(drop=True)
    variant = plain.rename(columns={"#": "id"}).assign(verified_status=plain["verified_status"].str.upper())
    ranked, expected = prioritize(model, variant), prioritize(model, plain)
    assert ranked["claim_probability"].tolist() == expected["claim_probability"].tolist()
    assert ranked["id"].tolist() == expected["#"].tolist()
    assert set(ranked["verified_status"]) <= {"VERIFIED", "NOT VERIFIED"}


def test_a_side_file_from_an_earlier_run_is_replaced(model, reports, tmp_path):
    out = tmp_path / "queue.csv"
    first = triage_file(model, reports, out)  # the fixture has broken rows: the default side file is written
    side = tmp_path / "queue.rejected.csv"
    assert first.rows_rejected > 0 and len(pd.read_csv(side)) == first.rows_rejected
    clean_reports = tmp_path / "clean.csv"
    raw = pd.read_csv(reports, dtype=str)
    raw[check_reports(raw, model.columns) == ""].to_csv(clean_reports, index=False)
    second = triage_file(model, clean_reports, out)
    assert second.rows_rejected == 0
    assert len(pd.read_csv(side)) == 0  # header only: no stale rejected rows beside the new queue
    assert pd.read_csv(side).columns.tolist()[:2] == ["row", "reason"]
    # without an earlier file, a run that rejects nothing writes none
    other = tmp_path / "other.csv"
    triage_file(model, clean_reports, other)
    assert not (tmp_path / "other.rejected.csv").exists()


@pytest.mark.parametrize("failing_block", [1, 3])
def test_a_failure_while_writing_the_queue_is_raised_and_leaves_the_earlier_files(model, reports, tmp_path,
                                                                                  monkeypatch, failing_block):
    # The queue is written by a background thread while the merge goes on: its error must still reach the
    # caller, and the outputs must stay as they were (the first block, or one after others were written).
    from claimstats import backlog

    out, side = tmp_path / "queue.csv", tmp_path / "queue.rejected.csv"
    out.write_bytes(b"earlier queue\r\n")
    side.write_bytes(b"earlier side\r\n")
    real_write, blocks = backlog._Sink._write, []

    def write(self, table):
        if "rank" in table.column_names:
            blocks.append(table.num_rows)
            if len(blocks) == failing_block:
                raise OSError(28, "No space left on device")  # as a full disk says it: no file named
        real_write(self, table)

    monkeypatch.setattr(backlog._Sink, "_write", write)
    monkeypatch.setattr(backlog, "_HELD_BYTES", 0)  # one run a chunk
    # the message names the queue, the file being written, though the rejected rows' file was opened first
    with pytest.raises(ClaimstatsError, match=f"^{re.escape(str(out))}: cannot write: No space left on device; "
                                              "nothing was written$"):
        triage_file(model, reports, out, chunksize=10)  # 300 runs: two rounds, the last in blocks of 256 a run
    assert len(blocks) == failing_block  # no block was written after the failure
    assert out.read_bytes() == b"earlier queue\r\n" and side.read_bytes() == b"earlier side\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queue.csv", "queue.rejected.csv"]


def test_tier_strings_equal_tier_of_at_and_around_the_thresholds():
    import numpy as np

    from claimstats.backlog import _tier_strings
    from claimstats.triage import tier_of

    first, review = 0.8, 0.4
    scores = np.concatenate([np.random.default_rng(5).random(1000), [first, review, np.nextafter(first, 0),
                                                                      np.nextafter(review, 0), 0.0, 1.0, np.nan]])
    assert _tier_strings(scores, first, review).to_pylist() == tier_of(scores, first, review).tolist()
