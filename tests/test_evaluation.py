"""evaluation: the split, metrics and calibration against scikit-learn, single-count separation, evaluate()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.calibration import calibration_curve

from claimstats import clean, simulate
from claimstats.classify import MODELS, build_pipeline, input_columns
from claimstats.errors import ClaimstatsError
from claimstats.evaluation import (
    _weighted_curves,
    calibration_table,
    claim_labels,
    count_separation,
    evaluate,
    flagged_at,
    grouped_split,
    metric_intervals,
    metrics_at,
    proportion_interval,
    review_share_at_recall,
    split_data,
)
from claimstats.phrasing import opening
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
    predicted = pipeline.predict(test[input_columns("all")])  # the default cut is scikit-learn's predict
    matrix = skm.confusion_matrix(evaluation.y_true, predicted, labels=[1, 0])
    assert evaluation.confusion_frame().iloc[:, 1:].to_numpy().tolist() == matrix.tolist()
    assert evaluation.to_frame()["metric"].tolist() == ["precision", "recall", "f1", "accuracy", "roc_auc",
                                                        "average_precision", "brier", "workload_saving"]
    assert evaluation.metrics["recall"] == pytest.approx(skm.recall_score(claim_labels(test), predicted))
    # every headline metric has its interval, which holds the value
    frame = evaluation.to_frame().dropna(subset=["low"])
    assert set(frame["metric"]) == {"precision", "recall", "f1", "accuracy", "roc_auc", "average_precision",
                                    "workload_saving"}
    assert ((frame["low"] <= frame["value"] + 1e-12) & (frame["value"] <= frame["high"] + 1e-12)).all()
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
# --------------------------------------------------- the default cut, held-out phrasing, intervals


def test_a_score_of_exactly_one_half_is_an_opinion_as_predict_says():
    X = np.array([[-1.0], [1.0], [0.0]])
    fitted = LogisticRegression(fit_intercept=False).fit(X[:2], [0, 1])
    p = fitted.predict_proba(X)[:, 1]
    assert p[2] == 0.5
    np.testing.assert_array_equal(flagged_at(p), fitted.predict(X) == 1)
    assert metrics_at([0, 1, 1], p)["recall"] == skm.recall_score([0, 1, 1], fitted.predict(X)) == 0.5
    assert metrics_at([0, 1, 1], p, threshold=0.5)["recall"] == 1.0  # a chosen threshold flags scores at it


def test_review_share_at_recall_by_hand():
    y = [1, 0, 1, 0, 1, 0, 0, 0]
    p = [0.9, 0.85, 0.8, 0.7, 0.6, 0.6, 0.2, 0.1]
    # 2 of 3 claims: down to 0.8 → 3 of 8 rows; all 3: down to 0.6 with its tie → 6 of 8
    assert review_share_at_recall(y, p, 0.6) == 3 / 8
    assert review_share_at_recall(y, p, 1.0) == 6 / 8


def test_grouped_split_keeps_each_group_in_one_part_as_stratified_group_kfold(tidy):
    groups = opening(tidy).to_numpy()
    parts = grouped_split(tidy, groups, seed=5)
    seen = [set(opening(part)) for part in parts]
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    assert sum(map(len, parts)) == len(tidy)
    # the test part is the first fold of scikit-learn's StratifiedGroupKFold with 5 splits
    y = claim_labels(tidy)
    _, test = next(StratifiedGroupKFold(5, shuffle=True, random_state=5).split(np.zeros(len(y)), y, groups))
    assert parts.test.index.equals(tidy.index[test])
    assert grouped_split(tidy, groups, seed=5).validation.index.equals(parts.validation.index)
    with pytest.raises(ClaimstatsError, match="are too few for a train / validation / test split"):
        grouped_split(tidy, np.arange(len(tidy)) % 4)
    with pytest.raises(ClaimstatsError, match="give one group per row"):
        grouped_split(tidy, groups[:-1])


def test_proportion_interval_is_clopper_pearson():
    for k, n in ((0, 10), (3, 10), (10, 10), (1900, 1900), (950, 1000)):
        expected = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert proportion_interval(k, n) == pytest.approx((expected.low, expected.high), abs=1e-10)
    assert proportion_interval(20, 20)[0] == pytest.approx(0.025 ** (1 / 20))


def test_weighted_curves_equal_sklearn_with_sample_weights():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    p = np.round(np.clip(0.3 * y + rng.random(400) * 0.7, 0, 1), 2)  # rounded: many ties
    order = np.lexsort((np.arange(400), -p))
    ys, ps = y[order], p[order]
    weights = rng.integers(0, 4, (3, 400)).astype(float)
    flagged = int((ps >= 0.5).sum())
    got = _weighted_curves(ys, ps, weights, flagged)
    for b in range(3):
        w = weights[b]
        assert got["roc_auc"][b] == pytest.approx(skm.roc_auc_score(ys, ps, sample_weight=w))
        assert got["average_precision"][b] == pytest.approx(skm.average_precision_score(ys, ps, sample_weight=w))
        assert got["f1"][b] == pytest.approx(skm.f1_score(ys, ps >= 0.5, sample_weight=w))
        reviewed = (w * (ps >= 0.5)).sum() / w.sum()
        caught = (w * ys * (ps >= 0.5)).sum() / (w * ys).sum()
        assert got["workload_saving"][b] == pytest.approx(caught - reviewed)


def test_bootstrap_intervals_agree_with_scipy_bootstrap():
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(150, int), np.zeros(250, int)]
    p = np.clip(0.25 * y + rng.random(400) * 0.75, 0, 1)
    table = metric_intervals(y, p, resamples=4000, seed=1).set_index("metric")
    claims, opinions = p[y == 1], p[y == 0]

    def auc(c, o, axis=-1):  # stratified: scipy resamples each sample on its own
        return (c[..., :, None] > o[..., None, :]).mean(axis=(-1, -2))

    found = stats.bootstrap((claims, opinions), auc, vectorized=True, method="percentile", n_resamples=4000,
                            random_state=np.random.default_rng(9)).confidence_interval
    assert table.loc["roc_auc", "value"] == pytest.approx(skm.roc_auc_score(y, p))
    assert table.loc["roc_auc", ["low", "high"]].tolist() == pytest.approx([found.low, found.high], abs=0.006)
    assert table.loc["roc_auc", "method"] == "bootstrap"

    def ap(c, o, axis=-1):
        return np.array([skm.average_precision_score(np.r_[np.ones(len(a)), np.zeros(len(b))], np.r_[a, b])
                         for a, b in zip(np.atleast_2d(c), np.atleast_2d(o))])

    found = stats.bootstrap((claims, opinions), ap, vectorized=True, method="percentile", n_resamples=400,
                            random_state=np.random.default_rng(9)).confidence_interval
    assert table.loc["average_precision", ["low", "high"]].tolist() == pytest.approx([found.low, found.high],
                                                                                     abs=0.01)
    recall = stats.binomtest(int((claims > 0.5).sum()), 150).proportion_ci(method="exact")
    assert table.loc["recall", ["low", "high"]].tolist() == pytest.approx([recall.low, recall.high])
    assert metric_intervals(y, p, resamples=200, seed=4).equals(metric_intervals(y, p, resamples=200, seed=4))


def test_a_perfect_score_still_says_how_low_it_could_be():
    y = np.r_[np.ones(60, int), np.zeros(40, int)]
    p = np.where(y == 1, 0.9, 0.1)
    table = metric_intervals(y, p, resamples=300).set_index("metric")
    assert (table.loc[["recall", "precision", "f1", "roc_auc", "average_precision"], "value"] == 1).all()
    assert table.loc["recall", "low"] == pytest.approx(0.025 ** (1 / 60))  # Clopper–Pearson with 60 of 60
    assert table.loc["roc_auc", "low"] == pytest.approx(0.025 ** (1 / 40))  # 40 disjoint claim–opinion pairs
    assert table.loc["roc_auc", "method"] == "exact pairs"
    r, q = 0.025 ** (1 / 60), 0.025 ** (1 / 60)  # recall and precision (60 of 60 flagged are claims)
    assert table.loc["f1", "low"] == pytest.approx(2 * r * q / (r + q))
    # average precision: r − c·ln(1 + r/c), c = (share of opinions / share of claims) × false-positive bound
    c = (40 / 60) * (1 - 0.025 ** (1 / 40))
    assert table.loc["average_precision", "low"] == pytest.approx(r - c * np.log1p(r / c))
    assert 0.5 < table.loc["average_precision", "low"] < table.loc["recall", "low"]
    # the saving varies with the claim share of a resampled backlog: here 60% of the rows
    assert table.loc["workload_saving", "value"] == pytest.approx(1 - 0.6)
    assert table.loc["workload_saving", "low"] < 0.4 < table.loc["workload_saving", "high"]
    with pytest.raises(ClaimstatsError, match="1 scores are missing"):
        metric_intervals([1, 0], [np.nan, 0.2])


def test_bootstrap_intervals_of_a_large_test_split_are_drawn_in_blocks_and_agree(monkeypatch):
    from claimstats import evaluation

    rng = np.random.default_rng(1)
    y = (rng.random(3000) < 0.5).astype(int)
    p = np.clip(0.3 * y + 0.8 * rng.random(3000), 0, 1)
    whole = evaluation.metric_intervals(y, p, 0.5)
    monkeypatch.setattr(evaluation, "_BOOTSTRAP_CELLS", 3000 * 7)  # blocks of 7 resamples: 143 blocks
    blocks = evaluation.metric_intervals(y, p, 0.5)
    pd.testing.assert_frame_equal(blocks, evaluation.metric_intervals(y, p, 0.5))  # seeded: the same again
    pd.testing.assert_frame_equal(blocks[["metric", "value", "method"]], whole[["metric", "value", "method"]])
    # another stream of the same bootstrap: the ends agree to within its noise (about 0.002 here)
    np.testing.assert_allclose(blocks[["low", "high"]], whole[["low", "high"]], atol=0.005)
