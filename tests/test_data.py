"""load() and clean(): source resolution, the variants of the course file, bad files, the report."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from claimstats import clean, load, simulate
from claimstats.data import REASON_COUNTS, REASON_DUPLICATE, REASON_TARGET_OR_TEXT, resolve_source
from claimstats.errors import ClaimstatsError
from claimstats.schema import COLUMNS, COUNT_COLUMNS, DataValidationError

COURSE_SHA256 = "f4ad29b425886bfa5d04962ff0bcb5847bd1a870f0e67ad7f5449273fecdaf95"


@pytest.fixture(scope="module")
def base_frame() -> pd.DataFrame:
    """A small synthetic frame in the course file's shape, with apostrophes in some texts."""
    frame = simulate(400, seed=11)
    text = frame["video_transcription_text"].copy()
    has_text = text.notna()
    first = np.flatnonzero(has_text.to_numpy())[:25]
    text.iloc[first] = text.iloc[first].str.replace(" ", " it's ", n=1, regex=False)
    frame["video_transcription_text"] = text
    assert frame["claim_status"].isna().any(), "the base frame should have incomplete rows to drop"
    return frame


def write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def course_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)


def loaded_clean(path):
    frame, source = load(path)
    return clean(frame)[0], source


# ------------------------------------------------------------------ variants


def test_course_format_round_trips(tmp_path, base_frame):
    path = write(tmp_path, "course.csv", course_csv(base_frame))
    frame, source = load(path)
    assert list(frame.columns) == list(COLUMNS)
    assert source.kind == "file" and source.chosen_by == "argument" and source.notes == ()
    assert source.sha256 == hashlib.sha256(open(path, "rb").read()).hexdigest()
    pd.testing.assert_frame_equal(frame, base_frame, check_dtype=False)


def _variants(frame: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """name -> (CSV text, a phrase the load notes must contain)."""
    complete = frame.dropna(subset=["claim_status"])
    integer_counts = frame.astype({c: "Int64" for c in COUNT_COLUMNS})
    escaped = frame.copy()
    escaped["video_transcription_text"] = escaped["video_transcription_text"].str.replace("'", "\\'", regex=False)
    return {
        "unnamed index": (frame.to_csv(index=True), "unnamed index"),
        "id for #": (frame.rename(columns={"#": "id"}).to_csv(index=False), "'id' to '#'"),
        "integer counts": (integer_counts.to_csv(index=False), ""),  # blanks: pandas reads floats
        "escaped apostrophes": (escaped.to_csv(index=False), "unescaped"),
        "rows already dropped": (complete.to_csv(index=False), ""),
        "all at once": (
            complete.rename(columns={"#": "id"}).astype({c: "int64" for c in COUNT_COLUMNS}).to_csv(index=True),
            "unnamed index",
        ),
    }


@pytest.mark.parametrize(
    "variant",
    ["unnamed index", "id for #", "integer counts", "escaped apostrophes", "rows already dropped", "all at once"],
)
def test_every_variant_cleans_to_the_same_frame(tmp_path, base_frame, variant):
    expected, _ = clean(base_frame)
    text, note = _variants(base_frame)[variant]
    path = write(tmp_path, "variant.csv", text)
    before = open(path, "rb").read()
    got, source = loaded_clean(path)
    pd.testing.assert_frame_equal(got, expected)
    assert open(path, "rb").read() == before, "load must never modify its input"
    if note:
        assert any(note in n for n in source.notes), source.notes


def test_escaped_apostrophes_are_counted(tmp_path, base_frame):
    escaped = base_frame.copy()
    escaped["video_transcription_text"] = escaped["video_transcription_text"].str.replace("'", "\\'", regex=False)
    n_escaped = int(escaped["video_transcription_text"].str.contains("\\'", regex=False, na=False).sum())
    assert n_escaped >= 25
    _, source = load(write(tmp_path, "esc.csv", escaped.to_csv(index=False)))
    assert f"in {n_escaped} transcriptions" in " ".join(source.notes)


def test_upper_case_and_padded_labels_are_normalised(tmp_path, base_frame):
    shouty = base_frame.copy()
    shouty["verified_status"] = " " + shouty["verified_status"].str.upper()
    got, source = loaded_clean(write(tmp_path, "shouty.csv", shouty.to_csv(index=False)))
    pd.testing.assert_frame_equal(got, clean(base_frame)[0])
    assert any("verified_status" in n for n in source.notes)


# --------------------------------------------------------------- bad files

def _mutate(frame, column, row, value):
    bad = frame.astype({column: "object"}) if column in frame.columns else frame.copy()
    bad.iloc[row, bad.columns.get_loc(column)] = value
    return bad.to_csv(index=False)


BAD_FILES = {
    # name: (content builder, phrase in the one-line message)
    "empty file": (lambda f: b"", "the file is empty"),
    "header only": (lambda f: ",".join(COLUMNS) + "\n", "no data rows"),
    "not utf-8": (lambda f: f.to_csv(index=False).encode().replace(b"\n", b"\n\xe9", 1), "not UTF-8 text: byte 0xe9 on line 2"),
    "zip / excel": (lambda f: b"PK\x03\x04" + b"\x00" * 40, "Excel"),
    "binary with NUL": (lambda f: "#,a\n1,\x00\x00\n", "NUL"),
    "json, not csv": (lambda f: f.head(3).to_json(orient="records"), "does not look like the claims data"),
    "semicolons": (lambda f: f.to_csv(index=False, sep=";"), "separated by ';'"),
    "ragged row": (lambda f: f.to_csv(index=False) + "1,2,3,4,5,6,7,8,9,10,11,12,13,14\n", "not a well-formed CSV"),
    "missing column": (lambda f: f.drop(columns="video_like_count").to_csv(index=False), "column 'video_like_count': is missing from the header"),
    "misspelled column": (
        lambda f: f.rename(columns={"video_share_count": "video_shares_count"}).to_csv(index=False),
        "did you mean 'video_share_count'",
    ),
    "duplicate header": (
        lambda f: f.to_csv(index=False).replace("video_like_count", "video_view_count", 1),
        "appears more than once",
    ),
    "non-numeric count": (lambda f: _mutate(f, "video_view_count", 2, "lots"), "'video_view_count': has values that are not numbers (1 row: 3; e.g. 'lots')"),
    "negative count": (lambda f: _mutate(f, "video_comment_count", 4, -3), "'video_comment_count': has negative counts (1 row: 5"),
    "fractional count": (lambda f: _mutate(f, "video_share_count", 0, 12.5), "not whole numbers"),
    "duration out of range": (lambda f: _mutate(f, "video_duration_sec", 7, 99), "'video_duration_sec': outside 5–60 (1 row: 8; e.g. 99)"),
    "unknown category": (lambda f: _mutate(f, "claim_status", 1, "rumour"), "'claim_status': has values outside {claim, opinion}"),
    "short video id": (lambda f: _mutate(f, "video_id", 3, 12345), "'video_id': is not a 10-digit number"),
    "missing required value": (lambda f: _mutate(f, "author_ban_status", 6, None), "'author_ban_status': is empty where a value is required"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_gives_its_specific_error(tmp_path, base_frame, name):
    build, phrase = BAD_FILES[name]
    path = write(tmp_path, "bad.csv", build(base_frame.head(20)))
    before = open(path, "rb").read()
    with pytest.raises(DataValidationError) as info:
        load(path)
    message = str(info.value)
    assert phrase in message, message
    assert "\n" not in message, "the error must be one line"
    assert message.startswith(path)
    assert open(path, "rb").read() == before


def test_every_problem_is_listed(tmp_path, base_frame):
    bad = base_frame.head(30).astype({"video_duration_sec": "object", "claim_status": "object"})
    bad.loc[[2, 5, 9, 11, 13, 17], "video_duration_sec"] = 0
    bad.loc[4, "claim_status"] = "fact"
    bad = bad.drop(columns="author_ban_status")
    with pytest.raises(DataValidationError) as info:
        load(write(tmp_path, "many.csv", bad.to_csv(index=False)))
    err = info.value
    assert len(err.problems) == 3
    by_column = {p.column: p for p in err.problems}
    assert by_column["video_duration_sec"].rows == (3, 6, 10, 12, 14)  # the first five, 1-based
    assert by_column["video_duration_sec"].n_rows == 6
    assert by_column["claim_status"].examples == ("'fact'",)
    report = err.report()
    assert report.count("\n  - ") == 3 and "and 2 more problems" in str(err)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load(tmp_path / "nope.csv")
    with pytest.raises(ClaimstatsError, match="is a folder"):
        load(tmp_path)


# --------------------------------------------------------- source resolution

def test_resolution_order(tmp_path, monkeypatch, base_frame):
    explicit = write(tmp_path, "explicit.csv", course_csv(base_frame))
    env_file = write(tmp_path, "env.csv", course_csv(base_frame.head(100)))
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "chapters").mkdir()
    (project / "_quarto.yml").write_text("project:\n  type: book\n")
    monkeypatch.chdir(project / "chapters")
    assert resolve_source() == ("synthetic", "default")
    (project / "data" / "tiktok_dataset.csv").write_text(course_csv(base_frame.head(50)))
    assert load().source.chosen_by == "project data folder" and len(load().frame) == 50
    monkeypatch.setenv("CLAIMSTATS_DATA", env_file)
    assert load().source.chosen_by == "CLAIMSTATS_DATA" and len(load().frame) == 100
    assert load(explicit).source.chosen_by == "argument"
    monkeypatch.setenv("CLAIMSTATS_DATA", "synthetic:5")
    frame, source = load(rows=60)
    assert source.is_synthetic and source.seed == 5 and len(frame) == 60
    pd.testing.assert_frame_equal(frame, simulate(60, seed=5))


def test_bad_synthetic_seed():
    with pytest.raises(ClaimstatsError, match="must be an integer"):
        load("synthetic:abc")


def test_synthetic_default_is_validated_and_described():
    frame, source = load("synthetic", rows=100)
    assert source.describe().startswith("synthetic data (claimstats.simulate, seed ")
    assert len(frame) == 100 and list(frame.columns) == list(COLUMNS)


# ------------------------------------------------------------------ cleaning

def _hand_frame() -> pd.DataFrame:
    frame = simulate(8, seed=3).dropna(subset=["claim_status"]).head(6).reset_index(drop=True)
    assert len(frame) == 6
    frame["#"] = range(1, 7)
    frame["video_id"] = [1000000001, 1000000002, 1000000003, 1000000004, 1000000002, 1000000006]
    frame.loc[0, "claim_status"] = np.nan  # no target
    frame.loc[2, "video_transcription_text"] = np.nan  # no text
    frame.loc[3, "video_share_count"] = np.nan  # one count missing
    # row 5 (#5) repeats #2's video_id; #6 is fine
    return frame


def test_clean_reports_each_reason():
    frame = _hand_frame()
    snapshot = frame.copy()
    tidy, report = clean(frame)
    pd.testing.assert_frame_equal(frame, snapshot)  # the input is not mutated
    assert report.rows_in == 6 and report.rows_out == 2 and report.rows_dropped == 4
    assert dict(report.reasons) == {REASON_TARGET_OR_TEXT: 2, REASON_COUNTS: 1, REASON_DUPLICATE: 1}
    assert report.dropped["#"].tolist() == [1, 3, 4, 5]
    assert tidy["#"].tolist() == [2, 6]
    table = report.to_frame().set_index("step")["rows"]
    assert table["rows dropped"] == 4 and table["rows kept"] == 2
    assert report.describe() == (
        "Of 6 rows, 4 (66.7%) were dropped (2 missing claim_status or transcription; "
        "1 missing engagement counts; 1 duplicate video_id); 2 rows remain."
    )


def test_clean_types():
    tidy, _ = clean(simulate(300, seed=2))
    assert tidy["claim_status"].dtype == "category"
    assert list(tidy["claim_status"].cat.categories) == ["claim", "opinion"]
    assert list(tidy["author_ban_status"].cat.categories) == ["active", "under review", "banned"]
    assert all(tidy[c].dtype == "int64" for c in COUNT_COLUMNS)
    assert tidy.index.equals(pd.RangeIndex(len(tidy)))


def test_duplicate_of_a_dropped_row_is_kept():
    frame = _hand_frame()
    frame.loc[5, "video_id"] = frame.loc[0, "video_id"]  # repeats the unlabelled row only
    _, report = clean(frame)
    assert dict(report.reasons)[REASON_DUPLICATE] == 1  # only #5 vs #2


# --------------------------------------------------------------- course file

def test_course_file_loads_and_cleans(course_file):
    frame, source = load(course_file)
    assert source.sha256 == COURSE_SHA256
    assert frame.shape == (19_382, 12) and source.notes == ()
    tidy, report = clean(frame)
    assert report.rows_dropped == 298
    assert dict(report.reasons) == {REASON_TARGET_OR_TEXT: 298, REASON_COUNTS: 0, REASON_DUPLICATE: 0}
    assert tidy["claim_status"].value_counts().to_dict() == {"claim": 9_608, "opinion": 9_476}


def test_course_file_variants_clean_to_the_same_frame(tmp_path, course_frame):
    expected, _ = clean(course_frame)
    for name, (text, _) in _variants(course_frame).items():
        got, _ = loaded_clean(write(tmp_path, "v.csv", text))
        pd.testing.assert_frame_equal(got, expected, obj=name)


@pytest.mark.parametrize("bits, max_part", [(27, 1 << 21), (6, 1 << 21), (27, 1000)])
def test_seen_ids_answer_as_a_set_does_and_stay_a_few_sorted_arrays(bits, max_part, monkeypatch):
    # bits 6: a 64-bit filter, full at once: every answer comes from the arrays
    from claimstats.data import SeenIds

    monkeypatch.setattr(SeenIds, "_BITS", bits)
    monkeypatch.setattr(SeenIds, "_MAX_PART", max_part)
    rng = np.random.default_rng(0)
    seen, reference = SeenIds(), set()
    for chunk in range(300):
        ids = rng.integers(0, 40_000, 200) * (10**9 if chunk % 2 else 1) - (chunk % 3 == 0)  # big, and -1
        found = seen.contains(ids)
        assert found.tolist() == [int(i) in reference for i in ids]
        seen.add(ids if chunk % 7 == 0 else ids[~found])  # now and then ids seen before, too
        reference.update(int(i) for i in ids)
        assert all((np.diff(part) > 0).all() for part in seen.parts)
    # a log-structured merge: about log2(ids / chunk) arrays, not one per chunk
    assert len(seen.parts) <= 2 * np.log2(len(reference) / 200) + 2 + len(reference) // max_part
    assert max(len(part) for part in seen.parts) <= max_part
    # every id added has its bit set: the filter never hides a seen id
    byte, bit = seen._slots(np.array(sorted(reference), dtype=np.int64))
    assert (seen.filter[byte] & bit).all()


def test_seen_ids_filter_passes_few_new_ids_to_the_arrays():
    from claimstats.data import SeenIds

    rng = np.random.default_rng(1)
    seen = SeenIds()
    seen.add(rng.integers(10**9, 10**10, 1_000_000))
    byte, bit = seen._slots(rng.integers(10**10, 2 * 10**10, 100_000))  # none of them seen
    passed = (seen.filter[byte] & bit).astype(bool).mean()
    # one hash, 2^27 bits, 10^6 ids: a share of 1 - exp(-10^6 / 2^27) = 0.74% of new ids passes
    assert passed == pytest.approx(1 - np.exp(-1e6 / 2**27), abs=0.002)
