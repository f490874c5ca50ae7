"""triage: thresholds, the workload curve, model files, spreadsheet-safe CSVs, chunked triage."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression

from claimstats import clean, simulate, triage
from claimstats.errors import ClaimstatsError
from claimstats.triage import (
    TIERS,
    ModelFileError,
    check_reports,
    evaluate_model,
    load_model,
    neutralize_formulas,
    prioritize,
    save_model,
    threshold_for_recall,
    train_claim_model,
    triage_file,
    workload_curve,
)


@pytest.fixture(scope="module")
def tidy() -> pd.DataFrame:
    return clean(simulate(2400, seed=31))[0]


@pytest.fixture(scope="module")
def model(tidy):
    return train_claim_model(tidy, feature_set="all", grid="fast", importance_repeats=0, source="test data")[0]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """3,000 reports without labels, with a few rows broken on purpose (rows counted from 1)."""
    frame = simulate(3000, seed=32).drop(columns="claim_status")
    frame["video_transcription_text"] = frame["video_transcription_text"].astype(object)
    frame.loc[4, "video_duration_sec"] = 99                   # row 5
    frame.loc[9, "verified_status"] = "maybe"                 # row 10
    frame.loc[14, "video_like_count"] = -3                    # row 15
    frame.loc[19, "video_transcription_text"] = "=HYPERLINK(\"http://x\")"  # scored, neutralised
    frame.loc[24, "video_id"] = 12345                         # row 25
    path = tmp_path_factory.mktemp("triage") / "reports.csv"
    frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------- thresholds


@pytest.mark.parametrize("seed", range(8))
def test_threshold_achieves_its_target_recall_and_is_the_highest_that_does(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400))
    y = rng.integers(0, 2, n)
    y[0] = 1
    p = np.round(rng.random(n), 2)  # rounding makes ties
    for target in (0.5, 0.8, 0.95, 0.99, 1.0):
        t = threshold_for_recall(y, p, target)
        assert skm.recall_score(y, p >= t) >= target
        higher = p[p > t]
        if len(higher):  # the next score up misses the target
            assert skm.recall_score(y, p >= higher.min()) < target


def test_threshold_errors():
    with pytest.raises(ClaimstatsError, match="no claims among the rows"):
        threshold_for_recall([0, 0], [0.1, 0.2], 0.9)
    with pytest.raises(ClaimstatsError, match="target recall must be above 0 and at most 1; got 1.5"):
        threshold_for_recall([1, 0], [0.1, 0.2], 1.5)


# ----------------------------------------------------------------- workload


def test_workload_curve_arithmetic_on_a_hand_built_queue():
    # scores rank the reports: A(claim) .9, B(opinion) .8, C(claim) .7, E(opinion) .2, D(opinion) .1
    curve = workload_curve([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.1, 0.2])
    frame = curve.to_frame()
    assert frame["reviewed"].tolist() == [0, 1, 2, 3, 4, 5]
    assert frame["share_reviewed"].tolist() == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert frame["claims_caught"].tolist() == [0, 1, 1, 2, 2, 2]
    assert frame["share_caught"].tolist() == [0.0, 0.5, 0.5, 1.0, 1.0, 1.0]
    assert curve.at_recall(0.5) == {"reviewed": 1, "share_reviewed": 0.2, "claims_caught": 1, "share_caught": 0.5}
    assert curve.at_recall(1.0)["share_reviewed"] == 0.6
    assert curve.at_threshold(0.75) == {"threshold": 0.75, "reviewed": 2, "share_reviewed": 0.4,
                                        "claims_caught": 1, "share_caught": 0.5}
    summary = curve.summary(0.7).set_index("review")
    # the model reviews 3 of 5 (60%) for all claims; arrival order needs 100% on average: saves 40 points
    assert summary["share_reviewed"].tolist() == [0.6, 1.0, 1.0]
    assert summary["workload_saved_by_ranking"].tolist() == pytest.approx([0.0, 0.4, 0.4])


def test_workload_ties_are_reviewed_in_arrival_order():
    curve = workload_curve([0, 1, 1], [0.5, 0.5, 0.5])
    assert curve.to_frame()["claims_caught"].tolist() == [0, 0, 1, 2]


# ----------------------------------------------------------------- the model


def test_model_thresholds_are_chosen_on_validation(model):
    labels, scores = model.validation_labels, model.validation_scores
    assert skm.recall_score(labels, scores >= model.threshold) >= 0.95
    assert skm.recall_score(labels, scores >= model.first_threshold) >= 0.80
    assert model.first_threshold >= model.threshold
    first, review = model.thresholds(0.99, 0.5)
    assert review == threshold_for_recall(labels, scores, 0.99) and first == threshold_for_recall(labels, scores, 0.5)


def test_model_round_trip(model, tidy, tmp_path):
    path = save_model(model, tmp_path / "model.skops")
    loaded = load_model(path)
    rows = tidy.sample(300, random_state=1)
    np.testing.assert_array_equal(loaded.predict_proba(rows), model.predict_proba(rows))
    assert loaded.metadata() == model.metadata()
    meta = loaded.metadata()
    assert meta["schema_version"] == triage.SCHEMA_VERSION and meta["feature_set"] == "all"
    assert meta["source"] == "test data" and meta["threshold"] == model.threshold
    assert set(meta["metrics"]) >= {"recall", "precision", "f1", "roc_auc"}
    np.testing.assert_array_equal(loaded.validation_scores, model.validation_scores)


def test_every_kind_of_model_saves_and_loads(tidy, tmp_path):
    from claimstats.classify import compare_models
    from claimstats.triage import make_claim_model

    sample = tidy.sample(1200, random_state=2)
    result = compare_models(sample, feature_sets=("text",), grid="fast", importance_repeats=0)
    base = make_claim_model(result, "text")
    for (_, name), pipeline in result.pipelines.items():
        # each model's pipeline must pass the trusted-types check and predict the same after loading
        saved = save_model(replace(base, pipeline=pipeline, model=name), tmp_path / f"{name}.skops")
        loaded = load_model(saved)
        assert loaded.model == name
        direct = pipeline.predict_proba(sample[["video_transcription_text"]])[:, 1]
        np.testing.assert_array_equal(loaded.predict_proba(sample), direct)


class Tripwire:
    """A type no claimstats model holds; loading it would run its __setstate__."""

    ran = False

    def __setstate__(self, state):
        Tripwire.ran = True


def test_foreign_corrupt_and_wrong_schema_files_are_refused(model, tmp_path):
    good = save_model(model, tmp_path / "good.skops").read_bytes()

    foreign = tmp_path / "sklearn.skops"
    sio.dump(LogisticRegression().fit([[0], [1]], [0, 1]), foreign)
    with pytest.raises(ModelFileError, match="not a claimstats model file \\(made by another program\\)"):
        load_model(foreign)

    hostile = tmp_path / "hostile.skops"
    sio.dump({"format": "claimstats-model", "payload": Tripwire()}, hostile)
    with pytest.raises(ModelFileError, match="holds types claimstats never saves .*Tripwire.*so it is not loaded"):
        load_model(hostile)
    assert not Tripwire.ran

    for name, data in [("empty", b""), ("noise", bytes(range(256)) * 8), ("truncated", good[: len(good) // 2])]:
        path = tmp_path / f"{name}.skops"
        path.write_bytes(data)
        with pytest.raises(ModelFileError, match="not a claimstats model file|corrupt model file"):
            load_model(path)
    no_schema = tmp_path / "no_schema.skops"
    with zipfile.ZipFile(no_schema, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match="cannot read it as a skops archive"):
        load_model(no_schema)

    for key, value, phrase in [("schema_version", 999, "made for data schema version 999, but this claimstats uses "
                                "schema version 1"), ("format_version", 7, "in model format 7")]:
        meta = {**model.metadata(), key: value}
        other = tmp_path / f"{key}.skops"
        sio.dump({"format": "claimstats-model", "metadata": json.dumps(meta), "pipeline": model.pipeline,
                  "validation_labels": model.validation_labels, "validation_scores": model.validation_scores}, other)
        with pytest.raises(ModelFileError, match=phrase):
            load_model(other)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.skops")


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


# ------------------------------------------------------------- the reports


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
    assert check_reports(raw, triage.classify.input_columns("all")).str.contains("video_view_count: missing").all()


def test_prioritize_ranks_by_score_with_ties_in_arrival_order(model, tidy):
    backlog = tidy.drop(columns="claim_status").sample(200, random_state=4).reset_index(drop=True)
    backlog = pd.concat([backlog, backlog.iloc[[3]], backlog.iloc[[3]]], ignore_index=True)  # exact duplicates
    queue = prioritize(model, backlog)
    scores = model.predict_proba(backlog)
    assert queue["rank"].tolist() == list(range(1, 203))
    assert queue["claim_probability"].tolist() == sorted(scores, reverse=True)
    twins = queue[queue["#"] == backlog.loc[3, "#"]]
    assert twins.index.is_monotonic_increasing and len(twins) == 3
    first, review = model.thresholds()
    expected = np.where(queue["claim_probability"] >= first, TIERS[0],
                        np.where(queue["claim_probability"] >= review, TIERS[1], TIERS[2]))
    assert queue["tier"].tolist() == expected.tolist()
    with pytest.raises(ClaimstatsError, match=r"1 reports cannot be scored \(row 2: video_duration_sec: outside"):
        prioritize(model, backlog.assign(video_duration_sec=[30, 0, *([30] * 200)]))


def test_evaluate_model_metrics_at_the_review_threshold(model, tidy):
    evaluation = evaluate_model(model, tidy)
    y = (tidy["claim_status"] == "claim").to_numpy()
    flagged = model.predict_proba(tidy) >= model.threshold
    assert evaluation.threshold == model.threshold
    assert evaluation.metrics["recall"] == pytest.approx(skm.recall_score(y, flagged))
    assert evaluation.metrics["precision"] == pytest.approx(skm.precision_score(y, flagged))


# ------------------------------------------------------------ file triage


def _one_shot_queue(model, path) -> str:
    raw = pd.read_csv(path, dtype=str)
    valid = raw[check_reports(raw, model.columns) == ""]
    buffer = io.StringIO()
    neutralize_formulas(prioritize(model, valid)).to_csv(buffer, index=False)
    return buffer.getvalue()


@pytest.mark.parametrize("chunksize", [20, 1000, 100_000])
def test_chunked_triage_equals_one_shot_and_accounts_for_every_row(model, reports, tmp_path, chunksize):
    # 20 rows a chunk makes 150 runs: more than one merge round (128 at a time)
    out, rejected = tmp_path / "queue.csv", tmp_path / "rejected.csv"
    report = triage_file(model, reports, out, chunksize=chunksize, rejected=rejected)
    assert out.read_text(encoding="utf-8") == _one_shot_queue(model, reports)
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


def test_queue_cells_that_look_like_formulas_are_neutralised(model, reports, tmp_path):
    out = tmp_path / "queue.csv"
    triage_file(model, reports, out, chunksize=500)
    texts = pd.read_csv(out, dtype=str)["video_transcription_text"]
    assert "'=HYPERLINK(\"http://x\")" in texts.tolist()
    assert not texts.str.startswith(("=", "+", "-", "@")).any()


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
    with pytest.raises(ClaimstatsError, match="missing: author_ban_status"):
        triage_file(model, bad, tmp_path / "q2.csv")
    with pytest.raises(ClaimstatsError, match="refusing to overwrite the input file"):
        triage_file(model, reports, reports)


def test_a_file_with_no_valid_row_gives_an_empty_queue(model, reports, tmp_path):
    broken = tmp_path / "broken.csv"
    pd.read_csv(reports).head(30).assign(video_duration_sec=0).to_csv(broken, index=False)
    report = triage_file(model, broken, tmp_path / "q.csv", chunksize=7)
    assert (report.rows_scored, report.rows_rejected) == (0, 30)
    assert pd.read_csv(tmp_path / "q.csv").columns[:3].tolist() == ["rank", "tier", "claim_probability"]
    assert len(pd.read_csv(tmp_path / "q.csv")) == 0 and len(pd.read_csv(report.rejected_path)) == 30


def test_progress_bar_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    shown, hidden = Terminal(), io.StringIO()
    for stream in (shown, hidden):
        meter = triage._Progress(1000, stream=stream)
        meter.update(500, 1234)
        meter.close()
    assert shown.getvalue() == "\rscoring [###############               ]  50% 1,234 rows\n"
    assert hidden.getvalue() == ""


def test_describe_prints_the_threshold_to_four_significant_digits():
    # 0.9994 rounded to 2 decimals would read 1.00, a threshold nothing can reach
    curve = workload_curve([1, 0, 1, 0], [0.9994, 0.2, 0.99, 0.1])
    sentence = curve.describe(0.9994)
    assert "at or above 0.9994 " in sentence
    assert "1.00" not in sentence
