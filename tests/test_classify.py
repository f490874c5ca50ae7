"""classify: text features against scikit-learn, no leakage, the split, metrics, the rule, the comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from claimstats import classify, clean, simulate
from claimstats.classify import (
    EngagementFeatures,
    TextFeatures,
    calibration_table,
    choose,
    claim_labels,
    compare_models,
    count_separation,
    input_columns,
    metrics_at,
    split_data,
)
from claimstats.errors import ClaimstatsError
from claimstats.schema import COUNT_COLUMNS, TEXT

ODD_TEXTS = [
    "Hello, World! hello", "", "a b c", "x\x00y zz\x00q", "Ünïcode çà ça ÇA ö x ö", "one", "two words",
    "42 is 42", "İstanbul ΣΑΣ ς", "big a deal", "big é deal", "__ _ x_y", "it’s “quoted” — and…", "tab\tand\nnewline",
    "don't stop", "ÀÉÎ õ ü", "3.14 is pi, 2,5 is not",
]


@pytest.fixture(scope="module")
def tidy() -> pd.DataFrame:
    return clean(simulate(2400, seed=21))[0]


@pytest.fixture(scope="module")
def texts(tidy) -> list[str]:
    return tidy[TEXT].tolist()


# ----------------------------------------------------------- text features


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_text_features_equal_sklearn_tfidf_for_the_same_vocabulary(texts, ngram_range):
    fit_docs, new_docs = texts[:1500] + ODD_TEXTS, texts[1500:] + ODD_TEXTS[::-1]
    ours = TextFeatures(max_features=150, min_df=1, ngram_range=ngram_range).fit(fit_docs)
    reference = TfidfVectorizer(ngram_range=ngram_range, vocabulary=ours.terms_).fit(fit_docs)
    np.testing.assert_allclose(ours.idf_, reference.idf_, rtol=1e-12)
    for docs in (fit_docs, new_docs):
        got = ours.transform(docs)
        np.testing.assert_allclose(got[:, 1:].toarray(), reference.transform(docs).toarray(), rtol=1e-12, atol=1e-15)
        assert got[:, 0].toarray().ravel().tolist() == [float(len(t)) for t in docs]


def test_text_features_on_odd_texts_only():
    # A vocabulary drawn from the odd texts themselves: bigrams across dropped one-letter words,
    # non-ASCII letters and punctuation must tokenise as scikit-learn does.
    ours = TextFeatures(max_features=1000, min_df=1).fit(ODD_TEXTS)
    reference = TfidfVectorizer(ngram_range=(1, 2)).fit(ODD_TEXTS)
    assert ours.terms_ == sorted(reference.vocabulary_)
    assert "big deal" in ours.terms_ and "ünïcode" in ours.terms_ and "it" in ours.terms_
    np.testing.assert_allclose(ours.transform(ODD_TEXTS)[:, 1:].toarray(), reference.transform(ODD_TEXTS).toarray(),
                               rtol=1e-12, atol=1e-15)


def test_text_vocabulary_is_the_most_frequent_terms_ties_alphabetical(texts):
    docs = texts[:800]
    counter = CountVectorizer(ngram_range=(1, 2), min_df=3).fit(docs)
    totals = np.asarray(counter.transform(docs).sum(axis=0)).ravel()
    names = counter.get_feature_names_out()
    expected = sorted(sorted(zip(-totals, names))[:60], key=lambda pair: pair[1])
    ours = TextFeatures(max_features=60, min_df=3).fit(docs)
    assert ours.terms_ == [name for _, name in expected]
    assert list(ours.get_feature_names_out()[:2]) == ["text_length", f"text: {ours.terms_[0]}"]


def test_text_features_reject_missing_text_and_other_ngrams():
    fitted = TextFeatures(min_df=1).fit(["some text here"])
    with pytest.raises(ClaimstatsError, match="must hold text in every row"):
        fitted.transform(["fine", None])
    with pytest.raises(ClaimstatsError, match=r"ngram_range must be \(1, 1\) or \(1, 2\)"):
        TextFeatures(ngram_range=(2, 3)).fit(["a text"])


def test_engagement_features_by_hand():
    counts = pd.DataFrame([[200, 50, 10, 4, 1], [0, 0, 0, 0, 0]], columns=list(COUNT_COLUMNS))
    out = EngagementFeatures().fit(counts).transform(counts)
    np.testing.assert_allclose(out[0], [np.log(201), np.log(51), np.log(11), np.log(5), np.log(2),
                                        0.25, 0.05, 0.02, 0.005])
    np.testing.assert_array_equal(out[1], np.zeros(9))  # no views: every rate is 0, not a division error


# ------------------------------------------------------------------ leakage


def test_feature_transformers_never_see_validation_or_test_rows(tidy, monkeypatch):
    seen: list[pd.Index] = []

    class SpyText(TextFeatures):
        def fit(self, X, y=None):
            seen.append(pd.Index(X.index))
            return super().fit(X, y)

    monkeypatch.setattr(classify, "TextFeatures", SpyText)
    result = compare_models(tidy, feature_sets=("upload",), models=("logistic",), grid="small", cv=3, seed=4,
                            importance_repeats=2)
    train, held_out = result.split.train.index, result.split.validation.index.union(result.split.test.index)
    # three fold fits on two thirds of the training rows, then one refit on all of them
    assert [len(s) for s in seen[:3]] == [len(train) - len(train) // 3 - (1 if i < len(train) % 3 else 0)
                                          for i in range(3)]
    assert seen[3].sort_values().equals(train.sort_values())
    for index in seen:
        assert index.isin(train).all() and not index.isin(held_out).any()
    assert len(seen) == 4  # evaluating, permuting and predicting never refit


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


def test_choose_follows_the_stated_rule():
    table = pd.DataFrame({"recall": [0.990, 0.9915, 0.95, 0.9919], "f1": [0.970, 0.985, 0.999, 0.9845]})
    # recall ties within 0.002: rows 0, 1, 3; F1 ties within 0.002 among them: rows 1 and 3; simplest: row 1
    assert choose(table) == 1
    assert choose(table, tolerance=0.0) == 3
    assert choose(table.iloc[[2]].reset_index(drop=True)) == 0


def test_unknown_choices_name_what_is_available(tidy):
    with pytest.raises(ClaimstatsError, match="unknown feature set 'meta'; choose from 'all', 'text', 'upload'"):
        input_columns("meta")
    with pytest.raises(ClaimstatsError, match="unknown model 'svm'; choose from 'logistic'"):
        compare_models(tidy, models=("svm",))
    with pytest.raises(ClaimstatsError, match="unknown grid 'huge'"):
        compare_models(tidy, grid="huge")
    with pytest.raises(ClaimstatsError, match="cv must be at least 2 folds"):
        compare_models(tidy, cv=1)


# --------------------------------------------------------------- comparison


@pytest.fixture(scope="module")
def comparison(tidy):
    return compare_models(tidy, grid="fast", seed=7, importance_repeats=2)


def test_comparison_picks_champions_on_validation_and_tests_them_once(comparison):
    table = comparison.to_frame()
    assert len(table) == 9 and table.groupby("feature_set")["champion"].sum().tolist() == [1, 1, 1]
    for feature_set, rows in table.groupby("feature_set", sort=False):
        rows = rows.reset_index(drop=True)
        assert rows.loc[choose(rows, recall="validation_recall", f1="validation_f1"), "champion"]
        assert rows.loc[~rows["champion"], "test_recall"].isna().all()  # the test split is for champions only
        champion = comparison.champion(feature_set)
        y_test = claim_labels(comparison.split.test)
        scores = champion.predict_proba(comparison.split.test[input_columns(feature_set)])[:, 1]
        winner = rows[rows["champion"]].iloc[0]
        assert winner["test_recall"] == pytest.approx(skm.recall_score(y_test, scores >= 0.5))
        assert winner["test_f1"] == pytest.approx(skm.f1_score(y_test, scores >= 0.5))
        y_val, val_scores = comparison.validation_scores[feature_set]
        assert winner["validation_recall"] == pytest.approx(skm.recall_score(y_val, val_scores >= 0.5))


def test_fresh_video_recall_is_the_champion_with_counts_zeroed(comparison):
    fresh = comparison.split.test.assign(**{c: 0 for c in COUNT_COLUMNS})
    table = comparison.to_frame().set_index(["feature_set", "model"])
    for feature_set in ("all", "upload"):
        champion = comparison.champion(feature_set)
        scores = champion.predict_proba(fresh[input_columns(feature_set)])[:, 1]
        expected = skm.recall_score(claim_labels(fresh), scores >= 0.5)
        assert table.loc[(feature_set, comparison.champion_model(feature_set)), "fresh_recall"] == \
            pytest.approx(expected)
    # the at-upload model never reads counts: zeroing them changes nothing
    upload = table.loc[(feature_set, comparison.champion_model("upload"))]
    assert upload["fresh_recall"] == upload["test_recall"]
    text = comparison.describe()
    assert "Engagement counts nearly separate the classes" in text and "cannot help on a fresh video" in text


def test_evaluation_tables_match_sklearn(comparison):
    evaluation = comparison.evaluations["all"]
    matrix = skm.confusion_matrix(evaluation.y_true, evaluation.scores >= 0.5, labels=[1, 0])
    assert evaluation.confusion_frame().iloc[:, 1:].to_numpy().tolist() == matrix.tolist()
    assert evaluation.to_frame()["metric"].tolist() == ["precision", "recall", "f1", "accuracy", "roc_auc",
                                                        "average_precision", "brier"]
    importances = evaluation.importance_frame()
    assert sorted(importances["column"]) == sorted(input_columns("all"))
    assert importances["importance"].is_monotonic_decreasing
    assert evaluation.describe().startswith(f"The {classify.MODELS[evaluation.model]} on all features catches")


def test_permutation_importance_finds_the_only_informative_column(tidy):
    # Shuffle the transcriptions across rows: text then carries no information, views still do.
    rng = np.random.default_rng(0)
    scrambled = tidy.assign(**{TEXT: tidy[TEXT].to_numpy()[rng.permutation(len(tidy))]})
    result = compare_models(scrambled, feature_sets=("all",), models=("random_forest",), grid="fast", seed=1,
                            importance_repeats=3)
    importances = result.evaluations["all"].importance_frame().set_index("column")["importance"]
    assert importances.idxmax() in COUNT_COLUMNS
    assert abs(importances[TEXT]) < 0.01


def test_comparison_is_deterministic_and_independent_of_workers(tidy):
    small = tidy.sample(900, random_state=0)
    kwargs = dict(feature_sets=("text", "upload"), grid="fast", seed=3, importance_repeats=0)
    one = compare_models(small, **kwargs).to_frame()
    again = compare_models(small, **kwargs).to_frame()
    two_workers = compare_models(small, n_jobs=2, **kwargs).to_frame()
    pd.testing.assert_frame_equal(one, again)
    pd.testing.assert_frame_equal(one, two_workers)


def test_rows_missing_an_input_are_left_out_and_counted(tidy):
    holes = tidy.sample(1200, random_state=1)
    holes.loc[holes.index[:7], "video_view_count"] = np.nan
    result = compare_models(holes, feature_sets=("upload", "all"), models=("logistic",), grid="fast",
                            importance_repeats=0)
    assert result.n_missing == 7 and result.n_train + result.n_validation + result.n_test == 1193


def test_course_file_all_features_champion_reaches_the_quality_bar(course_frame):
    tidy, _ = clean(course_frame)
    result = compare_models(tidy, feature_sets=("all",), grid="fast", importance_repeats=0)
    metrics = result.evaluations["all"].metrics
    assert metrics["recall"] >= 0.99 and metrics["f1"] >= 0.99
