"""triage: thresholds, the workload curve, the model's thresholds, ranking a backlog, evaluating a model.

The fixtures ``tidy``, ``model`` and ``reports`` are in conftest.py (shared with
test_modelfile, test_intake and test_backlog).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

from claimstats.errors import ClaimstatsError
from claimstats.triage import (
    TIERS,
    recall_lower_bound,
    evaluate_model,
    prioritize,
    threshold_for_recall,
    thresholds_for_recall,
    workload_curve,
)


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


def test_a_confident_threshold_is_the_smallest_rank_whose_binomial_bound_reaches_the_target():
    rng = np.random.default_rng(1)
    y = np.r_[np.ones(300, int), np.zeros(100, int)]
    p = rng.random(400)
    claims = np.sort(p[y == 1])[::-1]
    for target in (0.8, 0.9, 0.95):
        # smallest k whose one-sided exact (Clopper–Pearson) lower bound of k / 300 reaches the target
        k = next(k for k in range(1, 301) if stats.binomtest(k, 300, alternative="greater")
                 .proportion_ci(confidence_level=0.95, method="exact").low >= target)
        assert threshold_for_recall(y, p, target, confidence=0.95) == claims[k - 1]
        assert recall_lower_bound(k, 300) >= target > recall_lower_bound(k - 1, 300)
    # a target no number of these claims can guarantee: every claim is flagged
    assert threshold_for_recall(y, p, 1.0, confidence=0.95) == claims[-1]


def test_a_confident_threshold_reaches_its_target_on_new_claims_with_its_confidence():
    # Claim scores uniform on [0, 1]: a threshold t catches 1 − t of all new claims, exactly.
    rng = np.random.default_rng(7)
    draws = rng.random((2000, 200))
    ones = np.ones(200, int)
    confident = np.array([1 - threshold_for_recall(ones, d, 0.9, confidence=0.95) for d in draws])
    ranked = np.array([1 - threshold_for_recall(ones, d, 0.9) for d in draws])
    assert (confident >= 0.9).mean() >= 0.94  # at least 95% up to simulation noise (SE 0.005)
    assert (ranked >= 0.9).mean() < 0.6  # the rank alone reaches the target on new claims about half the time


def test_with_groups_the_threshold_also_holds_when_whole_groups_are_resampled():
    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(12), 30)
    y = np.ones(len(groups), int)
    p = np.clip(rng.normal(0.7, 0.05, len(groups)) + np.repeat(rng.normal(0, 0.1, 12), 30), 0, 1)
    alone = threshold_for_recall(y, p, 0.9, confidence=0.95)
    grouped = threshold_for_recall(y, p, 0.9, confidence=0.95, groups=groups, resamples=500, seed=3)
    assert grouped <= alone
    # the same cluster bootstrap written out resample by resample
    sorted_scores = np.sort(p)[::-1]
    order = np.argsort(-p, kind="stable")
    codes = groups[order]
    draws = np.random.default_rng(3).integers(0, 12, size=(500, 12))
    # how often each claim (highest score first) is drawn, resample by resample
    weights = np.array([[np.sum(draw == c) for c in range(12)] for draw in draws], dtype=float)[:, codes]
    lows = []
    for k in range(1, len(p) + 1):
        recalls = [weight[:k].sum() / weight.sum() for weight in weights]
        lows.append(np.quantile(recalls, 0.05))
        if lows[-1] >= 0.9:
            break
    assert grouped == min(alone, sorted_scores[len(lows) - 1])
    with pytest.raises(ClaimstatsError, match="groups need a confidence"):
        threshold_for_recall(y, p, 0.9, groups=groups)


def test_thresholds_for_many_targets_draw_the_bootstrap_once_and_match_each_target_alone():
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(10), 25)
    y = np.ones(len(groups), int)
    p = np.clip(rng.normal(0.6, 0.08, len(groups)) + np.repeat(rng.normal(0, 0.1, 10), 25), 0, 1)
    targets = [0.5, 0.8, 0.9, 0.95]
    together = thresholds_for_recall(y, p, targets, confidence=0.95, groups=groups, resamples=400, seed=2)
    # Written out: the exact one-sided bound by scipy, and the cluster bootstrap resample by resample.
    sorted_scores = np.sort(p)[::-1]
    # groups numbered in order of their highest score, as the package draws them
    codes = pd.factorize(groups[np.argsort(-p, kind="stable")])[0]
    draws = np.random.default_rng(2).integers(0, 10, size=(400, 10))
    weights = np.array([[np.sum(draw == c) for c in range(10)] for draw in draws], dtype=float)[:, codes]
    cumulative = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    lows = np.quantile(cumulative, 0.05, axis=0)
    n = len(p)
    for target, threshold in zip(targets, together):
        exact = next(k for k in range(1, n + 1)
                     if stats.binomtest(k, n, alternative="greater").proportion_ci(0.95, "exact").low >= target)
        bootstrap = int(np.flatnonzero(lows >= target)[0]) + 1
        assert threshold == sorted_scores[max(exact, bootstrap) - 1]
        assert threshold == threshold_for_recall(y, p, target, 0.95, groups, resamples=400, seed=2)
    # Without a confidence: the ceil(target × n)-th highest score, for every target.
    plain = thresholds_for_recall(y, p, targets)
    assert plain.tolist() == [sorted_scores[int(np.ceil(t * n)) - 1] for t in targets]


def test_recall_lower_bound_is_the_one_sided_clopper_pearson_bound():
    for k, n in ((20, 20), (95, 100), (1, 50), (1900, 1900)):
        expected = stats.binomtest(k, n, alternative="greater").proportion_ci(confidence_level=0.95, method="exact")
        assert recall_lower_bound(k, n) == pytest.approx(expected.low)
    assert recall_lower_bound(0, 10) == 0.0


def test_missing_scores_are_refused_not_turned_into_a_threshold():
    # a NaN score once gave a NaN threshold, or with target 1.0 a threshold whose recall was 0.75
    for target in (0.9, 1.0):
        with pytest.raises(ClaimstatsError, match="1 scores are missing \\(NaN\\)"):
            threshold_for_recall([1, 1, 1, 1], [0.9, np.nan, 0.3, 0.7], target)


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


def test_workload_sentence_states_shares_of_all_reports():
    # 10 reports, 3 claims; the two top-scored are claims, the third claim is scored last.
    curve = workload_curve([1, 1, 0, 0, 0, 0, 0, 0, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1])
    sentence = curve.describe(0.8)
    # reviewing 2 of 10 catches 2 of 3 claims; arrival order needs 2/3 of the reports for that: the ranking
    # spares 2/3 - 2/10 = 46.7% of all reports (70% of the arrival-order reviewing), 80% against everything
    assert "Reviewing the 2 of 10 reports (20.0%)" in sentence and "catches 66.7% of the 3 claims" in sentence
    assert "the ranking spares 46.7% of all reports from review (80.0% against reviewing everything)" in sentence


def test_workload_at_recall_without_claims_is_a_clear_error():
    with pytest.raises(ClaimstatsError, match="no claims among the rows: there is no recall to reach"):
        workload_curve([0, 0, 0], [0.1, 0.2, 0.3]).at_recall(0.5)


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
    groups = model.validation_groups  # the phrasing templates, when the model was trained with them
    assert review == threshold_for_recall(labels, scores, 0.99, model.confidence, groups)
    assert first == threshold_for_recall(labels, scores, 0.5, model.confidence, groups)
    # Templates as the units can only lower a threshold: never above the row-level one.
    assert review <= threshold_for_recall(labels, scores, 0.99, model.confidence)
    assert model.confidence == 0.95 and model.recall_bound() >= 0.95


def test_the_models_own_recalls_give_its_stored_thresholds_without_drawing_the_bootstrap_again(model, monkeypatch):
    from claimstats import triage

    labels, scores, groups = model.validation_labels, model.validation_scores, model.validation_groups
    # what the rule gives, drawn here: the stored thresholds are the same numbers
    expected = (threshold_for_recall(labels, scores, model.first_recall, model.confidence, groups),
                threshold_for_recall(labels, scores, model.target_recall, model.confidence, groups))
    assert (model.first_threshold, model.threshold) == expected

    def refuse(*args, **kwargs):
        raise AssertionError("the bootstrap was drawn again")

    monkeypatch.setattr(triage, "thresholds_for_recall", refuse)
    assert model.thresholds() == expected
    assert model.thresholds(model.target_recall, model.first_recall) == expected
    with pytest.raises(AssertionError, match="drawn again"):  # any other recall is chosen by the rule
        model.thresholds(0.99)


def test_an_edited_model_gets_the_thresholds_its_validation_scores_give_not_the_stored_ones(model):
    # without a confidence the rule is the validation rank alone: lower thresholds than the stored ones
    plain = replace(model, confidence=None)
    labels, scores = model.validation_labels, model.validation_scores
    expected = (threshold_for_recall(labels, scores, model.first_recall),
                threshold_for_recall(labels, scores, model.target_recall))
    assert expected != (model.first_threshold, model.threshold)
    assert plain.thresholds() == expected and plain.thresholds() is plain.thresholds()  # drawn once
    assert model.thresholds() == (model.first_threshold, model.threshold)


def test_model_states_the_recall_its_thresholds_reach_on_validation_not_only_the_target(model):
    # 20 validation claims, 17 of them tied at 0.9: the threshold for 80% (16 claims) is 0.9 and catches 17 (85%)
    labels = np.array([1] * 20 + [0] * 5)
    scores = np.array([0.9] * 17 + [0.5, 0.4, 0.3] + [0.1] * 5)
    tied = replace(model, validation_labels=labels, validation_scores=scores, target_recall=0.8,
                   threshold=threshold_for_recall(labels, scores, 0.8), first_recall=0.5,
                   first_threshold=threshold_for_recall(labels, scores, 0.5), confidence=None, checks={})
    assert tied.threshold == 0.9 and tied.validation_recall() == 17 / 20
    assert "which caught 85.0% of the validation claims (target 80%)" in tied.describe()
    facts = tied.to_frame().set_index("item")["value"]
    assert facts["review threshold"] == "0.9 (catches 85.0% of the validation claims; target 80%)"
    assert facts["review-first threshold"] == "0.9 (catches 85.0%; target 50%)"
    assert replace(tied, target_recall=0.975).describe().count("(target 97.5%)") == 1


def test_model_states_its_recall_bound_and_checks_its_thresholds_on_templates_it_never_saw(model):
    facts = model.to_frame().set_index("item")["value"]
    bound = recall_lower_bound(int((model.validation_scores[model.validation_labels == 1] >= model.threshold).sum()),
                               int(model.validation_labels.sum()))
    # The exact row-level bound; with the templates as units the bound is the cluster bootstrap's when lower.
    if model.validation_groups is None:
        assert model.recall_bound() == pytest.approx(bound)
    else:
        assert model.recall_bound() <= bound + 1e-12
    assert model.recall_bound() >= model.target_recall - 1e-9  # the threshold was chosen for that
    assert f"so at least {model.recall_bound():.1%} on new reports with 95% confidence" in facts["review threshold"]
    assert facts["tested on"].startswith("held-out phrasing")
    checks = model.checks_frame().set_index(["tier", "metric"])
    assert set(checks.index.get_level_values("tier")) == {"review", "review first"}
    assert (checks["low"] <= checks["value"] + 1e-12).all() and (checks["value"] <= checks["high"] + 1e-12).all()
    assert "its review threshold caught" in model.describe()


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
    # these rows include the model's own training rows: the sentence must not call them held out
    assert f"claims among {len(tidy):,} labelled reports" in evaluation.describe()
    assert "held-out" not in evaluation.describe()


def test_describe_prints_the_threshold_to_four_significant_digits():
    # 0.9994 rounded to 2 decimals would read 1.00, a threshold nothing can reach
    curve = workload_curve([1, 0, 1, 0], [0.9994, 0.2, 0.99, 0.1])
    sentence = curve.describe(0.9994)
    assert "at or above 0.9994 " in sentence
    assert "1.00" not in sentence


def test_a_feature_sets_model_is_the_same_whether_or_not_other_feature_sets_are_compared(tidy):
    # Chapter 7 deploys chapter 6's at-upload champion from the comparison of all feature sets;
    # training the at-upload feature set alone must give the same model, scores and thresholds.
    from claimstats.comparison import compare_models
    from claimstats.triage import make_claim_model, train_claim_model

    alone, _ = train_claim_model(tidy, feature_set="upload", grid="fast", seed=3, importance_repeats=0)
    together = make_claim_model(compare_models(tidy, grid="fast", seed=3, importance_repeats=0), "upload")
    assert (alone.model, alone.thresholds(), alone.metrics) == (together.model, together.thresholds(), together.metrics)
    assert np.array_equal(alone.predict_proba(tidy), together.predict_proba(tidy))


def test_tier_counts_count_every_tier_of_a_ranked_queue(model, tidy):
    from claimstats.triage import tier_counts

    queue = prioritize(model, tidy.drop(columns="claim_status").head(300))
    counts = tier_counts(queue).set_index("tier")
    assert counts.index.tolist() == list(TIERS)
    for tier in TIERS:
        by_hand = sum(1 for value in queue["tier"] if value == tier)
        assert counts.loc[tier, "reports"] == by_hand and counts.loc[tier, "share"] == by_hand / 300
    frame = pd.DataFrame({"tier": ["review", "review first", "review", "review"]})
    assert tier_counts(frame).set_index("tier")["reports"].to_dict() == {"review first": 1, "review": 3, "low priority": 0}
    with pytest.raises(ClaimstatsError, match="unknown tier 'urgent'"):
        tier_counts(pd.DataFrame({"tier": ["urgent"]}))


def test_the_workload_table_for_a_report_spells_out_the_summary():
    curve = workload_curve([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.1, 0.2])
    table = curve.table(0.7).set_index("review")
    # 3 of 5 reviewed (60%) catch both claims; arrival order needs all 5 on average: 40% of the reports spared.
    assert table["reports reviewed"].tolist() == ["60.0%", "100.0%", "100.0%"]
    assert table["claims caught"].tolist() == ["100.0%", "100.0%", "100.0%"]
    assert table["spared by the ranking"].tolist() == ["—", "40.0%", "40.0%"]
    # 1,999 of 2,000 claims caught is not "100.0%"
    scores = np.linspace(1, 0.01, 2010)
    near = workload_curve([1] * 1999 + [0] * 10 + [1], scores)
    assert near.table(scores[1998])["claims caught"].iloc[0] == "99.95%"
