"""fit_logit against independent computations: scikit-learn, hand formulas, numpy least squares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression

from claimstats import ClaimstatsError, clean, simulate
from claimstats.design import split_and_balance
from claimstats.regression import DEFAULT_PREDICTORS, INTERCEPT, fit_logit


@pytest.fixture(scope="module")
def tidy():
    return clean(simulate(4000, seed=21))[0]


def hand_design(rows: pd.DataFrame, terms) -> np.ndarray:
    """The design rebuilt from the term names alone: ``name[level]`` is a 0/1 indicator."""
    columns = [np.ones(len(rows))]
    for term in terms:
        if term == INTERCEPT:
            continue
        if "[" in term:
            name, level = term[:-1].split("[", 1)
            columns.append((rows[name].astype(str) == level).to_numpy(float))
        else:
            columns.append(rows[term].to_numpy(float))
    return np.column_stack(columns)


def inference_rows(data, result):
    """The inference fit uses every usable row; the split serves only the evaluation."""
    assert result.n == len(data)
    return data


def test_coefficients_match_unpenalised_sklearn(tidy):
    result = fit_logit(tidy, balance=None)
    table = result.to_frame()
    train = inference_rows(tidy, result)
    X = hand_design(train, table["term"])[:, 1:]
    y = (train["verified_status"] == "verified").to_numpy(int)
    # C=inf is the unpenalised fit (penalty=None is deprecated in scikit-learn 1.8+).
    reference = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    expected = np.r_[reference.intercept_, reference.coef_[0]]
    np.testing.assert_allclose(table["coef"].to_numpy(), expected, rtol=1e-4)
    assert result.n_train + result.n_test == len(train) and result.n_test == len(result.test_index)
    assert result.method == "maximum likelihood" and not result.separation.found


def test_likelihood_ratio_p_values_match_statsmodels_refits(tidy):
    import statsmodels.api as sm

    result = fit_logit(tidy, balance=None)
    table = result.to_frame().set_index("term")
    X = pd.DataFrame(hand_design(tidy, table.index), columns=table.index)
    y = (tidy["verified_status"] == "verified").to_numpy(int)
    full = sm.Logit(y, X).fit(disp=0)
    for term in table.index:
        reduced = sm.Logit(y, X.drop(columns=term)).fit(disp=0)
        assert table.loc[term, "lr_p_value"] == pytest.approx(stats.chi2.sf(2 * (full.llf - reduced.llf), 1),
                                                              rel=1e-5, abs=1e-300), term
    assert result.log_likelihood == pytest.approx(full.llf) and result.pseudo_r2 == pytest.approx(full.prsquared)


def test_standard_errors_odds_ratios_and_intervals_by_hand(tidy):
    result = fit_logit(tidy, balance=None)
    table = result.to_frame()
    train = inference_rows(tidy, result)
    X = hand_design(train, table["term"])
    beta = table["coef"].to_numpy()
    p = 1 / (1 + np.exp(-X @ beta))
    covariance = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))  # inverse Fisher information
    se = np.sqrt(np.diag(covariance))
    np.testing.assert_allclose(table["std_err"], se, rtol=1e-6)
    np.testing.assert_allclose(table["z"], beta / se, rtol=1e-6)
    np.testing.assert_allclose(table["p_value"], 2 * stats.norm.sf(np.abs(beta / se)), rtol=1e-5)
    half = stats.norm.ppf(0.975) * se
    np.testing.assert_allclose(table[["ci_low", "ci_high"]], np.c_[beta - half, beta + half], rtol=1e-6)
    np.testing.assert_allclose(table["odds_ratio"], np.exp(table["coef"]), rtol=1e-12)
    np.testing.assert_allclose(table[["or_ci_low", "or_ci_high"]], np.exp(table[["ci_low", "ci_high"]]), rtol=1e-12)
    np.testing.assert_allclose(table["odds_ratio_per"], np.exp(table["coef"] * table["per"]), rtol=1e-12)
    per = table.set_index("term")["per"]
    assert per["video_view_count"] == 10 ** np.floor(np.log10(train["video_view_count"].std()))
    assert per["claim_status[opinion]"] == 1
    # Log-likelihood and McFadden's pseudo-R² by formula.
    y = (train["verified_status"] == "verified").to_numpy(int)
    llf = np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
    share = y.mean()
    llnull = len(y) * (share * np.log(share) + (1 - share) * np.log(1 - share))
    assert result.log_likelihood == pytest.approx(llf, rel=1e-8)
    assert result.pseudo_r2 == pytest.approx(1 - llf / llnull, rel=1e-6)


def test_dummy_coding_and_reference_levels(tidy):
    default = fit_logit(tidy, balance=None).to_frame().set_index("term")
    assert {"claim_status[opinion]", "author_ban_status[under review]", "author_ban_status[banned]"} <= set(default.index)
    assert default.loc["claim_status[opinion]", "reference"] == "vs claim"
    flipped_result = fit_logit(tidy, balance=None, reference={"claim_status": "opinion"})
    flipped = flipped_result.to_frame().set_index("term")
    assert dict(flipped_result.reference_levels)["claim_status"] == "opinion"
    # The same model, reparametrised: the dummy changes sign, the slopes stay put.
    assert flipped.loc["claim_status[claim]", "coef"] == pytest.approx(-default.loc["claim_status[opinion]", "coef"], rel=1e-6)
    assert flipped.loc["video_view_count", "coef"] == pytest.approx(default.loc["video_view_count", "coef"], rel=1e-6)


def test_standardised_odds_ratios_are_per_training_sd(tidy):
    raw = fit_logit(tidy, balance=None).to_frame().set_index("term")
    result = fit_logit(tidy, balance=None, standardize=True)
    scaled = result.to_frame().set_index("term")
    train = inference_rows(tidy, result)
    for name in ("video_duration_sec", "video_view_count", "video_comment_count"):
        assert scaled.loc[name, "coef"] == pytest.approx(raw.loc[name, "coef"] * train[name].std(), rel=1e-5)
    assert scaled.loc["claim_status[opinion]", "coef"] == pytest.approx(raw.loc["claim_status[opinion]", "coef"], rel=1e-6)
    text = result.describe()
    for term, row in scaled.iterrows():
        if term in ("video_duration_sec", "video_view_count", "video_share_count", "video_download_count",
                    "video_comment_count"):
            sentence = f"each additional standard deviation of {term} multiplies the odds that the account is verified"
            assert (sentence in text) == (row["p_value"] < 0.05), term
            assert row["per"] == 1


def test_vif_matches_its_definition(tidy):
    predictors = [*DEFAULT_PREDICTORS, "video_like_count"]
    result = fit_logit(tidy, predictors, balance=None)
    vif = result.vif_frame().set_index("predictor")
    terms = [t for t in result.to_frame()["term"] if t != INTERCEPT]
    X = hand_design(tidy, terms)[:, 1:]
    for j, term in enumerate(terms):
        if "[" in term:
            continue
        others = np.column_stack([np.ones(len(X)), np.delete(X, j, axis=1)])
        coef, *_ = np.linalg.lstsq(others, X[:, j], rcond=None)
        residual = X[:, j] - others @ coef
        r2 = 1 - residual @ residual / np.sum((X[:, j] - X[:, j].mean()) ** 2)
        assert vif.loc[term, "gvif"] == pytest.approx(1 / (1 - r2), rel=1e-6), term
    # The three-level ban status gets one generalised VIF (Fox & Monette 1992), not one per dummy.
    R = np.corrcoef(X, rowvar=False)
    own = [j for j, t in enumerate(terms) if t.startswith("author_ban_status[")]
    rest = [j for j in range(len(terms)) if j not in own]
    gvif = np.linalg.det(R[np.ix_(own, own)]) * np.linalg.det(R[np.ix_(rest, rest)]) / np.linalg.det(R)
    assert vif.loc["author_ban_status", "gvif"] == pytest.approx(gvif, rel=1e-8)
    assert vif.loc["author_ban_status", "df"] == 2
    assert vif.loc["author_ban_status", "gvif_1_2df"] == pytest.approx(gvif ** 0.25)
    corr = result.correlation_frame()
    assert corr.loc["video_view_count", "video_like_count"] == pytest.approx(
        np.corrcoef(tidy["video_view_count"], tidy["video_like_count"])[0, 1])


def test_vif_threshold_drops_the_worst_predictor_until_none_exceeds_it():
    rng = np.random.default_rng(3)
    n = 1500
    x1 = rng.normal(size=n)
    frame = pd.DataFrame({"x1": x1, "x2": x1 + rng.normal(scale=0.2, size=n), "x3": rng.normal(size=n)})
    frame["y"] = np.where(rng.random(n) < 1 / (1 + np.exp(-(x1 - 1))), "yes", "no")
    kept = fit_logit(frame, ["x1", "x2", "x3"], outcome="y", event="yes", balance=None)
    before = kept.vif_frame().set_index("predictor")["gvif"]
    assert kept.dropped == () and before["x1"] > 5 and before["x2"] > 5
    result = fit_logit(frame, ["x1", "x2", "x3"], outcome="y", event="yes", balance=None, vif_threshold=5)
    worst = before.idxmax()
    assert [(name, why) for name, _, why in result.dropped] == [(worst, f"VIF {before.max():.2f} > 5")]
    assert worst not in result.predictors and len(result.predictors) == 2
    table = result.vif_frame().set_index("predictor")
    assert bool(table.loc[worst, "dropped"]) and (table["gvif_final"].dropna() <= 5).all()
    assert any(worst in note and "VIF" in note for note in result.notes)


def test_balancing_never_reaches_the_test_rows_or_the_coefficients(tidy):
    y = (tidy["verified_status"] == "verified").astype(int)
    raw, _ = split_and_balance(tidy, y, seed=4, balance="upsample")
    fits = {balance: fit_logit(tidy, balance=balance, seed=4) for balance in ("upsample", "weights", None)}
    for result in fits.values():
        assert result.test_index.equals(fits[None].test_index)
        split = result.split_frame()
        assert split.loc[split["split"] == "test", "rows"].tolist() == [(raw.test["__y__"] == c).sum() for c in (0, 1)]
    # Inference never sees the balancing: the coefficient table is the same for every choice.
    pd.testing.assert_frame_equal(fits["upsample"].to_frame(), fits[None].to_frame())


def test_evaluation_metrics_by_hand(tidy):
    result = fit_logit(tidy, balance=None)  # without balancing, the evaluation model is fitted on the training rows
    test = tidy.loc[result.test_index]
    train = tidy.drop(index=result.test_index)
    terms = result.to_frame()["term"]
    y_train = (train["verified_status"] == "verified").to_numpy(int)
    reference = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(
        hand_design(train, terms)[:, 1:], y_train)
    probability = reference.predict_proba(hand_design(test, terms)[:, 1:])[:, 1]
    actual = (test["verified_status"] == "verified").to_numpy()
    predicted = probability >= 0.5
    tp, fp = np.sum(predicted & actual), np.sum(predicted & ~actual)
    fn, tn = np.sum(~predicted & actual), np.sum(~predicted & ~actual)
    metrics = result.evaluation_frame().set_index("metric")["value"]
    assert metrics["accuracy"] == pytest.approx((tp + tn) / len(actual))
    assert metrics["recall"] == pytest.approx(tp / (tp + fn))
    if tp + fp:
        assert metrics["precision"] == pytest.approx(tp / (tp + fp))
    u = stats.mannwhitneyu(probability[actual], probability[~actual]).statistic
    assert metrics["roc_auc"] == pytest.approx(u / (actual.sum() * (~actual).sum()), rel=1e-6)
    confusion = result.confusion_frame().set_index("actual")
    assert confusion.loc["verified", "predicted verified"] == tp
    assert confusion.loc["not verified", "predicted verified"] == fp
    balanced = fit_logit(tidy).evaluation_frame().set_index("metric")["value"]
    assert balanced["recall"] > metrics["recall"]  # rebalancing moves the threshold toward the rare class


def _box_tidwell_by_hand(frame, result, name, shift):
    import statsmodels.api as sm

    train = inference_rows(frame, result)
    x = train[name].to_numpy(float)
    exog = np.column_stack([np.ones(len(x)), x, (x + shift) * np.log(x + shift)])
    return sm.Logit((train["y"] == "yes").to_numpy(int), exog).fit(disp=0).pvalues[2]


def test_box_tidwell_detects_a_curved_logit():
    rng = np.random.default_rng(8)
    n = 3000
    x = rng.uniform(1, 200, n)
    curved = pd.DataFrame({"x": x, "y": np.where(rng.random(n) < 1 / (1 + np.exp(-(2 * np.log(x) - 7))), "yes", "no")})
    result = fit_logit(curved, ["x"], outcome="y", event="yes", balance=None)
    row = result.box_tidwell_frame().iloc[0]
    assert row["shift"] == 0 and row["p_value"] < 1e-4
    assert row["p_value"] == pytest.approx(_box_tidwell_by_hand(curved, result, "x", 0.0), rel=1e-4)
    assert any("Box–Tidwell" in note for note in result.notes)

    counts = rng.integers(0, 60, n)  # zeros: the term uses (x + 1)·ln(x + 1)
    linear = pd.DataFrame({"c": counts, "y": np.where(rng.random(n) < 1 / (1 + np.exp(-(counts / 20 - 1))), "yes", "no")})
    result = fit_logit(linear, ["c"], outcome="y", event="yes", balance=None)
    row = result.box_tidwell_frame().iloc[0]
    assert row["shift"] == 1 and row["term"] == "(c + 1)·ln(c + 1)"
    assert row["p_value"] == pytest.approx(_box_tidwell_by_hand(linear, result, "c", 1.0), rel=1e-4)


def test_describe_reports_significant_predictors_as_odds_ratios(tidy):
    result = fit_logit(tidy, balance=None)
    text = result.describe()
    row = result.to_frame().set_index("term").loc["claim_status[opinion]"]
    assert row["p_value"] < 0.05
    assert (f"claim_status = opinion (vs claim) multiplies the odds that the account is verified by "
            f"{row['odds_ratio']:.2f} (95% CI [{row['or_ci_low']:.2f}, {row['or_ci_high']:.2f}]") in text
    assert f"McFadden's pseudo-R² = {result.pseudo_r2:.3f}" in text


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"predictors": ["nope"]}, "unknown column 'nope'; available columns: #, claim_status"),
        ({"predictors": ["video_transcription_text"]}, "looks like text"),
        ({"predictors": ["verified_status"]}, "cannot also be a predictor"),
        ({"outcome": "author_ban_status", "event": "banned", "predictors": ["video_view_count"]},
         "exactly two levels; found 3: active, under review, banned"),
        ({"event": "yes"}, "event 'yes' not found in 'verified_status'; levels: not verified, verified"),
        ({"balance": "smote"}, "balance must be"),
        ({"vif_threshold": 0.5}, "vif_threshold must be above 1"),
        ({"vif_threshold": float("nan")}, "vif_threshold must be above 1"),
        ({"seed": -1}, "seed must be a non-negative integer; got -1"),
        ({"alpha": 1.5}, "alpha must be between 0 and 1"),
        ({"reference": {"claim_status": "maybe"}}, "reference level 'maybe' not found"),
    ],
)
def test_bad_input_is_a_clear_error(tidy, kwargs, message):
    with pytest.raises(ClaimstatsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fit_logit(tidy, **kwargs)


def _signs(data):
    table = fit_logit(data).to_frame().set_index("term")
    return np.sign(table["coef"]), table["p_value"]


def test_coefficient_directions_match_between_synthetic_and_course_data(synthetic_clean, course_frame):
    synthetic_sign, synthetic_p = _signs(synthetic_clean)
    course_sign, course_p = _signs(clean(course_frame)[0])
    # A coefficient whose sign the data cannot pin down (p ≥ .05 in both) is noise; every other must agree.
    decided = (course_p < 0.05) | (synthetic_p < 0.05)
    disagree = sorted(decided.index[decided & (synthetic_sign != course_sign)])
    assert disagree == [], f"coefficient signs differ for {disagree}"


def test_case_direction_on_synthetic_data(synthetic_clean):
    table = fit_logit(synthetic_clean).to_frame().set_index("term")
    opinion = table.loc["claim_status[opinion]"]
    assert opinion["coef"] > 0 and opinion["p_value"] < 0.001  # opinion videos come more often from verified accounts
    assert table.loc[INTERCEPT, "coef"] < 0


def test_complete_separation_is_detected_and_fitted_by_firth():
    # x > 0 exactly when y is "yes": the maximum-likelihood slope is infinite. statsmodels only warns
    # and returns a huge coefficient with a huge standard error, which must not be reported as a result.
    rng = np.random.default_rng(5)
    x = np.r_[rng.uniform(-3, -0.1, 200), rng.uniform(0.1, 3, 60)]
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=260), "y": np.where(x > 0, "yes", "no")})
    result = fit_logit(frame, ["x", "z"], outcome="y", event="yes", balance=None)
    assert result.separation.kind == "complete" and "x" in result.separation.terms
    assert result.method == "Firth's penalised likelihood"
    table = result.to_frame().set_index("term")
    assert np.isfinite(table.loc["x", "coef"]) and table.loc["x", "coef"] > 0 and table.loc["x", "p_value"] < 1e-6
    assert any(note.startswith("Complete separation") for note in result.notes)


def quasi_separated(seed=9, n=3000):
    """Case-like data where every video of a 'flagged' author is verified: quasi-complete separation."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(["active", "flagged", "banned"], size=n, p=[0.8, 0.05, 0.15])
    views = rng.lognormal(8, 1, n)
    logit = -2.5 + 0.3 * (np.log(views) - 8)
    verified = rng.random(n) < 1 / (1 + np.exp(-logit))
    verified[kind == "flagged"] = True
    return pd.DataFrame({"author_ban_status": pd.Categorical(kind, ["active", "flagged", "banned"]),
                         "video_view_count": views, "verified_status": np.where(verified, "verified", "not verified")})


def test_quasi_complete_separation_gets_firth_and_likelihood_ratio_tests_not_a_wald_p_near_one():
    import statsmodels.api as sm

    frame = quasi_separated()
    result = fit_logit(frame, ["author_ban_status", "video_view_count"], balance=None)
    assert result.separation.kind == "quasi-complete"
    assert result.separation.terms == ("author_ban_status[flagged]",)
    table = result.to_frame().set_index("term")
    term = "author_ban_status[flagged]"
    # What maximum likelihood reports (statsmodels, no separation check): a huge slope and SE, Wald p ~ 1,
    # while the likelihood-ratio test of the same term is overwhelming.
    X = sm.add_constant(pd.DataFrame({
        term: (frame["author_ban_status"] == "flagged").astype(float),
        "author_ban_status[banned]": (frame["author_ban_status"] == "banned").astype(float),
        "video_view_count": frame["video_view_count"]}))
    y = (frame["verified_status"] == "verified").astype(int)
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        mle = sm.Logit(y, X).fit(disp=0, maxiter=200)
        reduced = sm.Logit(y, X.drop(columns=term)).fit(disp=0)
    assert mle.params[term] > 10 and mle.bse[term] > 100 and mle.pvalues[term] > 0.9
    lr_p = stats.chi2.sf(2 * (mle.llf - reduced.llf), 1)
    assert lr_p < 1e-30
    # Ours: Firth's finite estimate, with a penalised likelihood-ratio p as small, and an interval above 0.
    assert result.method == "Firth's penalised likelihood"
    assert 2 < table.loc[term, "coef"] < 10 and table.loc[term, "p_value"] < 1e-30
    assert table.loc[term, "ci_low"] > 0 and np.isfinite(table.loc[term, "ci_high"])
    assert table.loc[term, "p_value"] == table.loc[term, "lr_p_value"]
    text = result.describe()
    assert "author_ban_status = flagged (vs active) multiplies the odds" in text
    assert "Because of quasi-complete separation (author_ban_status[flagged])" in text
    assert result.notes[0].startswith("Quasi-complete separation: author_ban_status[flagged] predicts the outcome")


def test_a_level_missing_from_the_training_split_is_a_clear_error():
    rng = np.random.default_rng(6)
    n = 400
    frame = pd.DataFrame({"x": rng.normal(size=n), "kind": rng.choice(["a", "b"], size=n),
                          "y": np.where(rng.random(n) < 0.3, "yes", "no")})
    frame.loc[7, "kind"] = "rare"
    y = (frame["y"] == "yes").astype(int)
    seed = next(s for s in range(50) if 7 in split_and_balance(frame, y, seed=s, balance=None)[0].test.index)
    # Its dummy is all zeros in the training rows: the design is singular (statsmodels: "Singular matrix").
    with pytest.raises(ClaimstatsError, match=r"'kind\[rare\]' is constant \(0\) in the training split"):
        fit_logit(frame, ["x", "kind"], outcome="y", event="yes", balance=None, seed=seed)


def test_intervals_follow_alpha_like_the_significance_in_describe(tidy):
    # A term called significant at alpha = .10 must not be quoted with a 95% interval that holds 1.
    result = fit_logit(tidy, balance=None, alpha=0.10)
    table = result.to_frame()
    half = stats.norm.ppf(0.95) * table["std_err"]
    np.testing.assert_allclose(table["ci_low"], table["coef"] - half, rtol=1e-9)
    np.testing.assert_allclose(table["ci_high"], table["coef"] + half, rtol=1e-9)
    assert "90% CI [" in result.describe() and "95% CI" not in result.describe()


def test_report_tables_and_sentences_follow_the_coefficient_table(tidy):
    result = fit_logit(tidy, balance=None)
    table = result.to_frame().set_index("term")
    odds = result.odds_ratio_table().set_index("term")
    assert INTERCEPT not in odds.index and list(odds.index) == list(table.index[1:])
    for term in odds.index:
        assert odds.loc[term, "odds ratio"] == pytest.approx(np.exp(table.loc[term, "coef"] * table.loc[term, "per"]))
        p = table.loc[term, "lr_p_value"]
        assert odds.loc[term, "LR p-value"] == ("p < .001" if p < 0.001 else "p > .999" if p > 0.999 else "p = " + f"{p:.3f}"[1:])
    assert result.significant_terms() == [t for t in table.index[1:] if table.loc[t, "p_value"] < 0.05]
    vif = result.vif_table()
    assert list(vif["predictor"]) == list(result.vif_frame()["predictor"])
    assert vif.loc[vif["predictor"] == "author_ban_status", "df"].item() == 2
    flagged = result.box_tidwell_frame()["p_value"] < 0.05
    assert result.linearity_description().startswith("Box–Tidwell flags" if flagged.any() else "It finds no")
