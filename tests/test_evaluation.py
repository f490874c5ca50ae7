"""evaluation: the split, metrics and calibration against scikit-learn, single-count separation, evaluate()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from claimstats import clean, simulate
from claimstats.classify import MODELS, build_pipeline, input_columns
from claimstats.errors import ClaimstatsError
from claimstats.evaluation import (
    calibration_table,
    claim_labels,
    count_separation,
    evaluate,
    metrics_at,
    split_data,
)
from claimstats.schema import COUNT_COLUMNS, TEXT


@pytest.fixture(scope="module")
def tidy() -> pd.DataFrame:
    return clean(simulate(2400, seed=21))[0]


# -------------------------------------------------------------------- split


def test_split_is_stratified_disjoint_and_seeded(tidy):
    parts = split_data(tidy, seed=3)
    index = [p.index for p in parts]
    assert sum(len(i) for i in index) == len(tidy) and len(set().union(*map(set, index))) == len(tidy)
    share = claim_labels(tidy).mean()
    for part in parts:
        assert abs(claim_labels(part).mean() - share) < 2 / len(part)
    assert [len(p) for p in parts] == [len(tidy) - 2 * round(0.2 * len(tidy)), round(0.2 * len(tidy)),
                                       round(0.2 * len(tidy))]
    again = split_data(tidy, seed=3)
    assert all(a.index.equals(b.index) for a, b in zip(parts, again))
    assert not split_data(tidy, seed=4).test.index.equals(parts.test.index)


def test_labels_and_sizes_are_checked(tidy):
    with pytest.raises(ClaimstatsError, match="must be 'claim' or 'opinion' in every row; 1 rows are not"):
        claim_labels(tidy.head(5).assign(claim_status=["claim", "opinion", "maybe", "claim", "claim"]))
    with pytest.raises(ClaimstatsError, match="leave rows to train on"):
        split_data(tidy, validation_size=0.5, test_size=0.5)
    with pytest.raises(ClaimstatsError, match="needs both claims and opinions; all 40 rows are claims"):
        split_data(tidy[tidy["claim_status"] == "claim"].head(40))


# ------------------------------------------------------------------ metrics


def test_metrics_equal_sklearn():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 500)
    p = np.clip(0.3 * y + rng.random(500) * 0.7, 0, 1)
    for threshold in (0.2, 0.5, 0.8):
        got = metrics_at(y, p, threshold)
        flagged = (p >= threshold).astype(int)
        assert got["precision"] == pytest.approx(skm.precision_score(y, flagged))
        assert got["recall"] == pytest.approx(skm.recall_score(y, flagged))
        assert got["f1"] == pytest.approx(skm.f1_score(y, flagged))
        assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, flagged))
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert got["average_precision"] == pytest.approx(skm.average_precision_score(y, p))
    assert got["brier"] == pytest.approx(skm.brier_score_loss(y, p))


def test_metrics_with_nothing_flagged_are_zero_not_errors():
    got = metrics_at([1, 0, 1], [0.1, 0.2, 0.3], threshold=0.9)
    assert (got["precision"], got["recall"], got["f1"]) == (0.0, 0.0, 0.0)
    assert got["accuracy"] == pytest.approx(1 / 3)


def test_calibration_table_matches_sklearn_calibration_curve():
    rng = np.random.default_rng(8)
    p = rng.random(2000)
    y = (rng.random(2000) < p).astype(int)
    table = calibration_table(y, p, bins=10)
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(table["observed"], observed)
    np.testing.assert_allclose(table["predicted"], predicted)
    assert table["rows"].sum() == 2000
    np.testing.assert_allclose(table["gap"], table["observed"] - table["predicted"])
    # a forest of 60 trees scores in sixtieths: 0.1, 0.2, 0.3, ... fall exactly on the edges
    trees = rng.integers(0, 61, 3000)
    forest = trees / 60
    y = (rng.random(3000) < forest).astype(int)
    table = calibration_table(y, forest, bins=10)
    observed, predicted = calibration_curve(y, forest, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(table["observed"], observed)
    np.testing.assert_allclose(table["predicted"], predicted)
    # in whole trees: bin b holds 6b < trees <= 6b + 6, the first one from 0
    expected = [int((trees <= 6).sum())] + [int(((trees > 6 * b) & (trees <= 6 * b + 6)).sum()) for b in range(1, 10)]
    assert table["rows"].tolist() == expected


def test_count_separation_is_the_best_single_cut():
    rng = np.random.default_rng(2)
    views = rng.integers(0, 60, 300).astype(float)
    y = (views + rng.normal(0, 12, 300) > 30).astype(int)
    frame = pd.DataFrame({"claim_status": np.where(y == 1, "claim", "opinion"), "video_view_count": views})
    best = 0.0
    for cut in np.concatenate([[-1], np.unique(views) + 0.5]):  # brute force over every cut and direction
        above = ((views > cut) == (y == 1)).mean()
        best = max(best, above, 1 - above)
    row = count_separation(frame).iloc[0]
    assert row["accuracy"] == pytest.approx(best)
    rule = (views > row["cut"]) if row["claim_when"] == "above" else (views < row["cut"])
    assert (rule == (y == 1)).mean() == pytest.approx(best)


# --------------------------------------------------------------- evaluate


def _fitted(train: pd.DataFrame, feature_set: str, model: str):
    return build_pipeline(feature_set, model, seed=1).fit(train[input_columns(feature_set)], claim_labels(train))


def test_evaluation_tables_match_sklearn(tidy):
    train, _, test = split_data(tidy, seed=7)
    pipeline = _fitted(train, "all", "logistic")
    evaluation = evaluate(pipeline, test, importance_repeats=2, seed=7, feature_set="all", model="logistic")
    scores = pipeline.predict_proba(test[input_columns("all")])[:, 1]
    np.testing.assert_array_equal(evaluation.scores, scores)
    matrix = skm.confusion_matrix(evaluation.y_true, evaluation.scores >= 0.5, labels=[1, 0])
    assert evaluation.confusion_frame().iloc[:, 1:].to_numpy().tolist() == matrix.tolist()
    assert evaluation.to_frame()["metric"].tolist() == ["precision", "recall", "f1", "accuracy", "roc_auc",
                                                        "average_precision", "brier"]
    assert evaluation.metrics["recall"] == pytest.approx(skm.recall_score(claim_labels(test), scores >= 0.5))
    importances = evaluation.importance_frame()
    assert sorted(importances["column"]) == sorted(input_columns("all"))
    assert importances["importance"].is_monotonic_decreasing
    assert evaluation.describe().startswith(f"The {MODELS['logistic']} on all features catches")


def test_evaluate_refuses_a_threshold_that_is_not_a_probability(tidy):
    train, _, test = split_data(tidy, seed=7)
    pipeline = _fitted(train, "text", "logistic")
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ClaimstatsError, match="threshold must be a probability from 0 to 1"):
            evaluate(pipeline, test, threshold=bad, importance_repeats=0)
    at_one = evaluate(pipeline, test, threshold=1.0, importance_repeats=0)
    assert at_one.metrics["recall"] == skm.recall_score(at_one.y_true, at_one.scores >= 1.0)
    assert "held-out reports" in at_one.describe()
    opinions = test[test["claim_status"] == "opinion"]
    with pytest.raises(ClaimstatsError, match=f"both claims and opinions; all {len(opinions):,} rows are opinions"):
        evaluate(pipeline, opinions, importance_repeats=0)  # recall of no claims is undefined, not 0


def test_permutation_importance_finds_the_only_informative_column(tidy):
    # Shuffle the transcriptions across rows: text then carries no information, views still do.
    rng = np.random.default_rng(0)
    scrambled = tidy.assign(**{TEXT: tidy[TEXT].to_numpy()[rng.permutation(len(tidy))]})
    train, _, test = split_data(scrambled, seed=1)
    evaluation = evaluate(_fitted(train, "all", "random_forest"), test, importance_repeats=3, seed=1)
    importances = evaluation.importance_frame().set_index("column")["importance"]
    assert importances.idxmax() in COUNT_COLUMNS
    assert abs(importances[TEXT]) < 0.01


def test_describe_importance_names_the_top_input_and_the_account_columns():
    import pandas as pd

    from claimstats.evaluation import Evaluation

    def sentences(importances):
        table = pd.DataFrame({"column": list(importances), "importance": list(importances.values()), "sd": 0.0})
        fake = Evaluation.__new__(Evaluation)
        object.__setattr__(fake, "importances", table)
        object.__setattr__(fake, "importance_scoring", "average_precision")
        return fake.describe_importance()

    text = sentences({"video_transcription_text": 0.412, "verified_status": 0.0004, "author_ban_status": -0.002})
    assert text.startswith("Shuffling video_transcription_text lowers the average precision by 0.412; "
                           "shuffling either account status changes it by less than 0.001.")
    assert "not by who says it" in text
    leaning = sentences({"video_transcription_text": 0.2, "author_ban_status": 0.05})
    assert "lowers it by at most 0.050" in leaning and "leans on who posted" in leaning
    assert "does not lower it" in sentences({"video_transcription_text": 0.2, "verified_status": -0.01})
    with pytest.raises(Exception, match="importance_repeats"):
        sentences({})
