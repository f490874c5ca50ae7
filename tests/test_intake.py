"""intake: the reasons each row of a reports table cannot be scored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from claimstats import classify, simulate
from claimstats.errors import ClaimstatsError
from claimstats.intake import as_numbers, check_reports, normalise_reports
from claimstats.triage import train_claim_model


def test_check_reports_gives_each_broken_row_its_reasons(model, reports):
    raw = pd.read_csv(reports, dtype=str)
    reasons = check_reports(raw, model.columns)
    bad = reasons[reasons != ""]
    assert bad.loc[4] == "video_duration_sec: outside 5–60"
    assert bad.loc[9] == "verified_status: not one of not verified, verified"
    assert bad.loc[14] == "video_like_count: negative"
    assert bad.loc[24] == "video_id: not 10 digits"
    missing = raw["video_view_count"].isna()  # simulate's incomplete rows: no text and no counts
    assert bad.index.difference([4, 9, 14, 24]).equals(raw.index[missing])
    assert bad[missing].str.startswith("video_transcription_text: missing; video_view_count: missing").all()
    with pytest.raises(ClaimstatsError, match="missing: video_id"):
        check_reports(raw.drop(columns="video_id"))


def test_an_at_upload_model_accepts_reports_without_counts(tidy, reports):
    upload, _ = train_claim_model(tidy.sample(1200, random_state=3), feature_set="upload", grid="fast",
                                  importance_repeats=0)
    raw = pd.read_csv(reports, dtype=str).head(40).assign(video_view_count=np.nan)
    assert not check_reports(raw, upload.columns).str.contains("video_view_count").any()
    assert check_reports(raw, classify.input_columns("all")).str.contains("video_view_count: missing").all()


def test_normalise_reports_brings_variants_to_the_contract_and_keeps_the_rest():
    raw = pd.DataFrame({" id ": [7, 8, 9], "verified_status": [" Verified", 5, None],
                        "author_ban_status": ["UNDER REVIEW", "active", "Gone"],
                        "video_transcription_text": ["it\\'s true", 3, None]}, dtype=object)
    copy = raw.copy()
    view = normalise_reports(raw)
    assert view.columns.tolist() == ["#", "verified_status", "author_ban_status", "video_transcription_text"]
    assert view["verified_status"].tolist()[:2] == ["verified", 5] and pd.isna(view["verified_status"].iloc[2])
    assert view["author_ban_status"].tolist() == ["under review", "active", "gone"]
    assert view["video_transcription_text"].tolist()[:2] == ["it's true", 3]
    pd.testing.assert_frame_equal(raw, copy)  # the input is not modified
    # what is still wrong is left for check_reports to name
    full = simulate(3, seed=4).drop(columns="claim_status")
    full["author_ban_status"] = ["Gone", " ACTIVE", "banned"]
    assert check_reports(normalise_reports(full)).tolist() == [
        "author_ban_status: not one of active, under review, banned", "", ""]


# ----------------------------------------------------------- as_numbers: Arrow's cast, pandas's numbers

AWKWARD = [" 5", "5 ", "+5", "1e3", "1E3", "inf", "-inf", "Infinity", "INF", "nan", "NaN", "-nan", ".5", "5.", "1_000",
           "0x10", "\u0661\u0662", "1e400", "-0", "00012", "1.5e-400", "5e", "e5", "1.2.3", "--5", "1,5", "\u00a05",
           "12345678901234567890", "0.30000000000000004", "9007199254740993", "1d3", ""]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all((a == b) & (np.signbit(a) == np.signbit(b)) | (np.isnan(a) & np.isnan(b))))


@pytest.mark.parametrize("text", AWKWARD)
def test_as_numbers_reads_text_as_pandas_does(text):
    column = pd.Series([text, "7", None], dtype="str")
    expected = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float) + 0.0
    assert _same(as_numbers(column), expected), text
    assert _same(as_numbers(column.astype(object)), expected), text


def test_as_numbers_parses_plain_numbers_with_arrow_not_pandas(monkeypatch):
    column = pd.Series(["12", None, "3.5", "-0", "1e3"], dtype="str")
    expected = np.array([12.0, np.nan, 3.5, 0.0, 1000.0])

    def refuse(*args, **kwargs):
        raise AssertionError("pandas parsed a column Arrow can cast")

    monkeypatch.setattr(pd, "to_numeric", refuse)
    assert _same(as_numbers(column), expected)
    with pytest.raises(AssertionError, match="pandas parsed"):
        as_numbers(pd.Series(["12", "x"], dtype="str"))  # not all numbers: pandas reads it


# ------------------------------------------- Arrow-held text: the byte searches that skip cell-by-cell work

_TEXTS = ["it\\'s true", "plain", "   ", "", None, "nul \x00 inside", "ends with \\", "' starts", "=x\\'y", "é\\'à"]


def _arrow_frame(frame: pd.DataFrame, pieces: int = 3, drop_first: int = 2) -> pd.DataFrame:
    """``frame`` held as Arrow strings, as triage's chunks are: several chunks, sliced (a non-zero offset)."""
    import pyarrow as pa

    padded = pd.concat([frame.iloc[:drop_first], frame], ignore_index=True).astype(object)
    cuts = np.linspace(0, len(padded), pieces + 1).astype(int)
    table = pa.concat_tables([pa.Table.from_pandas(padded.iloc[a:b], preserve_index=False,
                                                   schema=pa.schema([(c, pa.large_string()) for c in padded]))
                              for a, b in zip(cuts[:-1], cuts[1:])])
    held = table.slice(drop_first).to_pandas()
    assert all(str(held[c].dtype) == "str" for c in held) and table.column(0).num_chunks == pieces
    return held


@pytest.mark.parametrize("seed", range(4))
def test_normalise_and_check_give_the_same_answers_for_arrow_held_and_object_columns(seed):
    rng = np.random.default_rng(seed)
    n = 60
    base = simulate(n, seed=seed).drop(columns="claim_status").astype(str)
    base["video_transcription_text"] = rng.choice(np.array(_TEXTS, dtype=object), n)
    base["verified_status"] = rng.choice(np.array(["verified", "not verified", " Verified", "VERIFIED", None,
                                                   "bad\x00", "not verified"], dtype=object), n)
    base["author_ban_status"] = rng.choice(np.array(["active", "banned", "under review"], dtype=object), n)
    if seed % 2:  # a chunk with no variant at all: the fast paths skip every rewrite
        base["video_transcription_text"] = "plain text"
        base["verified_status"] = "verified"
    plain = base.astype(object)
    arrow = _arrow_frame(base)
    expected = normalise_reports(plain)
    got = normalise_reports(arrow)
    # the rules, cell by cell, written out here: labels stripped and lower-cased, \' unescaped, blank text missing
    rule = {name: [v.strip().lower() if isinstance(v, str) else v for v in base[name]]
            for name in ("verified_status", "author_ban_status")}
    unescaped = [v.replace("\\'", "'") if isinstance(v, str) else v for v in base["video_transcription_text"]]
    rule["video_transcription_text"] = [None if isinstance(v, str) and not v.strip() else v for v in unescaped]
    for name in expected:  # the same values (a missing cell is NaN in one, None in the other)
        cells = [None if pd.isna(v) else v for v in got[name]]
        assert cells == [None if pd.isna(v) else v for v in expected[name]], name
        if name in rule:
            assert cells == [None if pd.isna(v) else v for v in rule[name]], name
    assert check_reports(got).tolist() == check_reports(expected).tolist()
    if not seed % 2:
        reasons = check_reports(got)
        assert reasons.str.contains("video_transcription_text: contains a NUL byte").sum() == \
            base["video_transcription_text"].str.contains("\x00", regex=False).fillna(False).sum() > 0


def test_may_contain_is_false_only_when_no_cell_holds_the_text():
    from claimstats.intake import _may_contain

    cells = pd.DataFrame({"t": ["ab\\", "'cd", "x\x00", "plain", None, "tail"]})
    for start in range(len(cells)):
        for stop in range(start, len(cells) + 1):
            part = cells.iloc[start:stop].reset_index(drop=True)
            held = _arrow_frame(part, pieces=1 if len(part) < 2 else 2, drop_first=min(1, len(part)))["t"] \
                if len(part) else part["t"].astype("str")
            for needle in ("\\'", "\x00", "tail", "zz"):
                holds = any(isinstance(v, str) and needle in v for v in part["t"])
                if holds:  # never a false "no"
                    assert _may_contain(held, needle), (start, stop, needle)
                if not any(isinstance(v, str) for v in part["t"]) or needle == "zz":
                    assert not _may_contain(held, needle), (start, stop, needle)
    assert _may_contain(cells["t"].astype(object), "zz")  # not held by Arrow: the cells are asked


def test_the_byte_search_agrees_with_pythons_on_every_slice():
    from claimstats.intake import _holds

    rng = np.random.default_rng(7)
    data = bytes(rng.choice(np.frombuffer(b"ab\\'\x00", np.uint8), size=40))  # few symbols: many near misses
    for start in range(len(data)):
        for stop in range(start, len(data) + 1):
            piece = data[start:stop]
            for needle in (b"\\'", b"\x00", b"a\\'b", b"''", b"b" * 6, b"a" * 41):
                assert _holds(np.frombuffer(piece, np.uint8), needle) == (needle in piece), (piece, needle)
