"""compare_groups against independent computations: scipy, pingouin, hand formulas, exhaustive enumeration."""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from _samples import two_groups
from claimstats import ClaimstatsError, clean
from claimstats.hypothesis import compare_groups


def hand_t(a, b, *, welch, alternative="two-sided", confidence=0.95):
    """Textbook formulas: (t, df, p, CI of mean(a) - mean(b))."""
    n1, n2 = len(a), len(b)
    v1, v2 = np.var(a, ddof=1), np.var(b, ddof=1)
    diff = a.mean() - b.mean()
    if welch:
        se = np.sqrt(v1 / n1 + v2 / n2)
        df = (v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    else:
        pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2)
        se = np.sqrt(pooled * (1 / n1 + 1 / n2))
        df = n1 + n2 - 2
    t = diff / se
    if alternative == "two-sided":
        p = 2 * stats.t.sf(abs(t), df)
        half = stats.t.ppf(1 - (1 - confidence) / 2, df) * se
        ci = (diff - half, diff + half)
    elif alternative == "less":
        p = stats.t.cdf(t, df)
        ci = (-np.inf, diff + stats.t.ppf(confidence, df) * se)
    else:
        p = stats.t.sf(t, df)
        ci = (diff - stats.t.ppf(confidence, df) * se, np.inf)
    return t, df, p, ci


@pytest.mark.parametrize("method", ["welch", "student"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_t_test_matches_hand_formula_scipy_and_pingouin(method, alternative):
    frame, a, b = two_groups()
    welch = method == "welch"
    result = compare_groups(frame, "x", "g", method=method, alternative=alternative)
    t, df, p, ci = hand_t(a, b, welch=welch, alternative=alternative)
    assert result.t == pytest.approx(t, rel=1e-10)
    assert result.df == pytest.approx(df, rel=1e-10)
    assert result.p_value == pytest.approx(p, rel=1e-8)
    assert result.ci == pytest.approx(ci, rel=1e-8)
    assert result.difference == pytest.approx(a.mean() - b.mean())

    reference = stats.ttest_ind(a, b, equal_var=not welch, alternative=alternative)
    assert (result.t, result.p_value) == pytest.approx((reference.statistic, reference.pvalue), rel=1e-10)

    table = pg.ttest(a, b, correction=welch, alternative=alternative)
    assert {"T", "dof", "p_val", "CI95", "cohen_d"} <= set(table.columns)
    row = table.iloc[0]
    assert result.t == pytest.approx(row["T"], rel=1e-8)
    assert result.df == pytest.approx(row["dof"], rel=1e-8)
    assert result.p_value == pytest.approx(row["p_val"], rel=1e-6)
    finite = [(ours, theirs) for ours, theirs in zip(result.ci, row["CI95"]) if np.isfinite(ours)]
    assert all(abs(ours - theirs) <= 0.006 for ours, theirs in finite)  # pingouin rounds CI95 to 2 decimals
    assert abs(result.cohens_d) == pytest.approx(row["cohen_d"], rel=1e-6)  # pingouin reports |d|


def exhaustive_u_p(a, b, alternative):
    """Exact Mann–Whitney p-value by enumerating every split of the pooled values (ties as midranks)."""
    pooled = np.r_[a, b]
    ranks = stats.rankdata(pooled)
    n_a = len(a)
    offset = n_a * (n_a + 1) / 2
    observed = ranks[:n_a].sum() - offset
    us = np.array([ranks[list(chosen)].sum() - offset for chosen in combinations(range(len(pooled)), n_a)])
    tol = 1e-9
    greater, less = np.mean(us >= observed - tol), np.mean(us <= observed + tol)
    return observed, {"greater": greater, "less": less, "two-sided": min(1.0, 2 * min(greater, less))}[alternative]


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_mann_whitney_p_is_exact_for_small_tied_samples(alternative):
    a, b = np.array([5.0, 5, 5]), np.array([1.0, 2, 3, 4])
    frame = pd.DataFrame({"x": np.r_[a, b], "g": ["a"] * 3 + ["b"] * 4})
    result = compare_groups(frame, "x", "g", alternative=alternative)
    u, p = exhaustive_u_p(a, b, alternative)
    assert result.mann_whitney_method == "exact"
    assert result.mann_whitney_u == u == 12
    assert result.mann_whitney_p == pytest.approx(p, rel=1e-12)
    if alternative == "two-sided":
        assert p == pytest.approx(2 / 35)
        # The normal approximation this replaces is below .05 here: the exact p is not.
        assert stats.mannwhitneyu(a, b, method="asymptotic").pvalue == pytest.approx(0.0436, abs=1e-4)
        assert "exact p = .057" in result.describe()


def test_mann_whitney_uses_permutation_for_heavy_ties_and_the_normal_approximation_otherwise():
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 3, 150).astype(float), rng.integers(0, 3, 170).astype(float) + (rng.random(170) < 0.2)
    tied = pd.DataFrame({"x": np.r_[a, b], "g": ["a"] * len(a) + ["b"] * len(b)})
    result = compare_groups(tied, "x", "g")
    assert result.mann_whitney_method == "permutation"
    # An independent Monte-Carlo estimate (scipy's permutation test of the rank sum, another seed) agrees
    # within the sampling error of two estimates from 9,999 relabellings each.
    ranks = stats.rankdata(np.r_[a, b])
    other = stats.permutation_test((ranks[:150], ranks[150:]), lambda x, y, axis: x.sum(axis=axis),
                                   permutation_type="independent", vectorized=True, n_resamples=9_999, rng=99).pvalue
    assert abs(result.mann_whitney_p - other) < 4 * np.sqrt(2 * other * (1 - other) / 9_999) + 1e-3
    assert "permutation (9,999 resamples) p" in result.describe()

    frame, a, b = two_groups(300, 400, seed=4)
    large = compare_groups(frame, "x", "g")
    assert large.mann_whitney_method == "normal approximation"
    assert large.mann_whitney_p == pytest.approx(stats.mannwhitneyu(a, b, method="asymptotic").pvalue, rel=1e-12)


def test_average_variance_d_matches_welchs_standardiser_on_the_course_file(course_frame):
    tidy = clean(course_frame)[0]
    result = compare_groups(tidy, "video_view_count", "verified_status")
    a, b = (tidy.loc[tidy["verified_status"] == level, "video_view_count"].to_numpy(float)
            for level in ("not verified", "verified"))
    d_av = (a.mean() - b.mean()) / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    assert result.d_av == pytest.approx(d_av, rel=1e-12)
    assert (round(result.d_av, 3), round(result.cohens_d, 3)) == (0.626, 0.544)


def test_effect_sizes_by_formula():
    frame, a, b = two_groups()
    result = compare_groups(frame, "x", "g")
    n1, n2 = len(a), len(b)
    pooled = np.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / (n1 + n2 - 2))
    d = (a.mean() - b.mean()) / pooled
    assert result.cohens_d == pytest.approx(d, rel=1e-12)
    assert result.hedges_g == pytest.approx(d * (1 - 3 / (4 * (n1 + n2) - 9)), rel=1e-12)
    assert result.hedges_g == pytest.approx(pg.compute_effsize(a, b, eftype="hedges"), rel=1e-8)
    assert result.d_av == pytest.approx((a.mean() - b.mean()) / np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2), rel=1e-12)
    assert abs(result.d_av) > abs(result.cohens_d)  # the larger group has the larger SD: pooling weights it up
    assert result.sd == pytest.approx((a.std(ddof=1), b.std(ddof=1)))
    assert result.median == pytest.approx((np.median(a), np.median(b)))


def test_mann_whitney_matches_scipy_pingouin_and_pair_counting():
    frame, a, b = two_groups()
    result = compare_groups(frame, "x", "g", alternative="less")
    # 25 values in a group: the p-value is by 9,999 seeded relabellings, not the normal approximation.
    assert result.mann_whitney_method == "permutation"
    reference = stats.mannwhitneyu(a, b, alternative="less")
    assert result.mann_whitney_u == reference.statistic
    # A Monte-Carlo p-value lies within 4 standard errors of the exact one; the normal approximation
    # (scipy's default for these sizes) is itself close to the exact p here, as there are no ties.
    assert abs(result.mann_whitney_p - reference.pvalue) < 4 * np.sqrt(reference.pvalue * (1 - reference.pvalue) / 9_999)
    # r = P(a > b) - P(a < b), counted over every pair.
    signs = np.sign(a[:, None] - b[None, :])
    assert result.rank_biserial == pytest.approx(signs.mean(), rel=1e-12)
    table = pg.mwu(a, b)
    assert {"U_val", "RBC", "p_val"} <= set(table.columns)
    assert result.rank_biserial == pytest.approx(table["RBC"].iloc[0], rel=1e-8)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_permutation_p_value_equals_exhaustive_enumeration(alternative):
    a = np.array([4.1, 6.3, 5.2, 7.9, 6.8])
    b = np.array([3.0, 4.4, 2.9, 5.0, 3.7])
    pooled = np.r_[a, b]
    observed = a.mean() - b.mean()
    differences = []
    for chosen in combinations(range(10), 5):
        mask = np.zeros(10, bool)
        mask[list(chosen)] = True
        differences.append(pooled[mask].mean() - pooled[~mask].mean())
    differences = np.array(differences)
    tol = 1e-9
    expected = {
        "two-sided": np.mean(np.abs(differences) >= abs(observed) - tol),  # equal n: the null is symmetric
        "greater": np.mean(differences >= observed - tol),
        "less": np.mean(differences <= observed + tol),
    }[alternative]
    frame = pd.DataFrame({"x": pooled, "g": ["a"] * 5 + ["b"] * 5})
    # 252 distinct splits: asking for more makes the test exact.
    result = compare_groups(frame, "x", "g", alternative=alternative, permutations=1000, seed=5)
    assert result.permutation_p == pytest.approx(expected, abs=1e-12)


def test_permutation_test_is_seeded():
    frame, _, _ = two_groups(60, 60, seed=3)
    frame = frame.assign(x=frame["x"] + np.where(frame["g"] == "a", 6.0, 0.0))
    first = compare_groups(frame, "x", "g", permutations=300, seed=7).permutation_p
    again = compare_groups(frame, "x", "g", permutations=300, seed=7).permutation_p
    other = compare_groups(frame, "x", "g", permutations=300, seed=8).permutation_p
    assert first == again and first != other
    assert compare_groups(frame, "x", "g").permutation_p is None


def test_apa_sentence_on_a_fixed_example():
    # means 4.5 and 10.5, both SDs sqrt(5/3) = 1.29, t = -6 / sqrt(2 * (5/3) / 4) = -6.57 on 6 df,
    # d = -6 / 1.29 = -4.65, CI -6 ± 2.447 * 0.913 = [-8.23, -3.77], exact Mann–Whitney p = 2/70 = .029
    frame = pd.DataFrame({"x": [3, 5, 4, 6, 9, 11, 10, 12], "g": list("aaaabbbb")})
    assert compare_groups(frame, "x", "g").describe() == (
        "Rows with g = a had a lower mean x (M = 4.50, SD = 1.29) than rows with g = b (M = 10.50, SD = 1.29), "
        "Welch's t(6.0) = -6.57, p < .001, d_av = -4.65 (pooled d = -4.65), 95% CI of the difference [-8.23, -3.77]. "
        "A Mann–Whitney U test agreed (U = 0.00, exact p = .029, r = -1.00)."
    )
    case = pd.DataFrame({
        "video_view_count": [1000, 2000, 1500, 900, 5000, 7000, 6500, 8000],
        "verified_status": ["verified"] * 4 + ["not verified"] * 4,
    })
    # SDs sqrt(770,000 / 3) = 507 and sqrt(4,687,500 / 3) = 1,250; pooled SD 953.7, SE 674.4,
    # t = -5,275 / 674.4 = -7.82, d = -5,275 / 953.7 = -5.53, CI -5,275 ± 2.447 * 674.4 = [-6,925, -3,625]
    sentence = compare_groups(case, "video_view_count", "verified_status",
                              groups=("verified", "not verified"), method="student").describe()
    assert sentence == (
        "Videos from verified accounts had fewer views (M = 1,350, SD = 507) than videos from unverified accounts "
        "(M = 6,625, SD = 1,250), Student's t(6) = -7.82, p < .001, d = -5.53, 95% CI of the difference "
        "[-6,925, -3,625]. A Mann–Whitney U test agreed (U = 0.00, exact p = .029, r = -1.00)."
    )
    same = pd.DataFrame({"x": [1.0, 2, 3, 4, 2, 3, 4, 1.5], "g": list("aaaabbbb")})
    assert "did not differ significantly in mean x" in compare_groups(same, "x", "g").describe()


def test_hypotheses_and_alpha_are_part_of_the_result():
    frame, _, _ = two_groups()
    result = compare_groups(frame, "x", "g", alpha=0.01, alternative="less")
    assert result.h0 == "H0: the mean x is the same for rows with g = a and rows with g = b."
    assert result.h1 == "H1: the mean x is lower for rows with g = a than for rows with g = b."
    table = result.to_frame().set_index("statistic")["value"]
    assert table["alpha"] == 0.01 and "CI 99% low" in table.index
    assert result.significant == (result.p_value < 0.01)


def test_group_levels_are_checked_and_chosen():
    frame = pd.DataFrame({"x": np.arange(9.0), "g": list("aaabbbccc"), "t": ["u"] * 9})
    with pytest.raises(ClaimstatsError, match=r"3 levels .*\(a, b, c\)"):
        compare_groups(frame, "x", "g")
    picked = compare_groups(frame, "x", "g", groups=("c", "a"))
    assert picked.levels == ("c", "a") and picked.difference == pytest.approx(6.0)
    with pytest.raises(ClaimstatsError, match=r"'z' not found .*available: a, b, c"):
        compare_groups(frame, "x", "g", groups=("a", "z"))
    with pytest.raises(ClaimstatsError, match="unknown column 'nope'; available columns: x, g, t"):
        compare_groups(frame, "nope", "g")
    with pytest.raises(ClaimstatsError, match="'t' is not numeric"):
        compare_groups(frame, "t", "g")
    with pytest.raises(ClaimstatsError, match="1 levels"):
        compare_groups(frame, "x", "t")
    with pytest.raises(ClaimstatsError, match="method must be"):
        compare_groups(frame, "x", "g", groups=("a", "b"), method="anova")


def test_missing_values_are_left_out():
    frame = pd.DataFrame({"x": [1.0, 2, np.nan, 4, 5, 6, 7], "g": ["a", "a", "a", None, "b", "b", "b"]})
    result = compare_groups(frame, "x", "g")
    assert result.n == (2, 3) and result.mean == pytest.approx((1.5, 6.0))


def test_verified_accounts_get_fewer_views_on_synthetic_data(synthetic_clean):
    result = compare_groups(synthetic_clean, "video_view_count", "verified_status", groups=("verified", "not verified"))
    assert result.p_value < 0.001 and result.difference < 0 and result.cohens_d < 0
    assert result.mann_whitney_p < 0.001


def test_verified_accounts_get_fewer_views_on_the_course_file(course_frame):
    tidy, _ = clean(course_frame)
    result = compare_groups(tidy, "video_view_count", "verified_status", groups=("verified", "not verified"))
    assert result.p_value < 0.001 and result.difference < 0
    verified = tidy.loc[tidy["verified_status"] == "verified", "video_view_count"]
    other = tidy.loc[tidy["verified_status"] == "not verified", "video_view_count"]
    reference = stats.ttest_ind(verified, other, equal_var=False)
    assert (result.t, result.df) == pytest.approx((reference.statistic, reference.df))


def test_value_and_group_must_be_different_columns():
    frame = pd.DataFrame({"x": [1.0, 1, 2, 2], "g": list("aabb")})
    with pytest.raises(ClaimstatsError, match="'x' cannot be both the value and the group column"):
        compare_groups(frame, "x", "x")


def test_zero_variance_in_both_groups_is_a_clear_error():
    # Two constant groups: the standard error is 0, so t, p and d are undefined (scipy gives -inf or nan).
    with pytest.raises(ClaimstatsError, match=r"'x' is constant within each group \(a: 1, b: 2\)"):
        compare_groups(pd.DataFrame({"x": [1.0] * 3 + [2.0] * 3, "g": list("aaabbb")}), "x", "g")
    with pytest.raises(ClaimstatsError, match="constant within each group"):
        compare_groups(pd.DataFrame({"x": [5.0] * 6, "g": list("aaabbb")}), "x", "g")
    # One constant group is fine: the other carries the variance (Welch df by hand = n_b - 1 = 2).
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and without scipy's spurious "precision loss" warning
        one = compare_groups(pd.DataFrame({"x": [1.0] * 3 + [2.0, 3, 4], "g": list("aaabbb")}), "x", "g")
    assert one.t == pytest.approx(-2 / np.sqrt(1 / 3)) and one.df == pytest.approx(2.0)


def test_infinite_values_are_a_clear_error():
    frame = pd.DataFrame({"x": [1.0, np.inf, 3, 5, 6], "g": list("aabbb")})
    with pytest.raises(ClaimstatsError, match="'x' has 1 infinite value"):
        compare_groups(frame, "x", "g")


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": -1, "permutations": 10}, "seed must be a non-negative integer"),
    ({"permutations": 2.5}, "permutations must be a whole number"),
])
def test_bad_seed_and_permutations_are_clear_errors(kwargs, message):
    frame = pd.DataFrame({"x": [1.0, 2, 3, 5, 6], "g": list("aabbb")})
    with pytest.raises(ClaimstatsError, match=message):
        compare_groups(frame, "x", "g", **kwargs)


def test_within_class_comparison_matches_welch_on_each_class(synthetic_clean):
    from claimstats.hypothesis import compare_within

    within = compare_within(synthetic_clean, "video_view_count", "verified_status", "claim_status", seed=1)
    frame = within.to_frame().set_index("stratum")
    table = within.table().set_index("videos")
    assert frame.index.tolist() == ["all videos", "claim", "opinion"]
    for level in ("all videos", "claim", "opinion"):
        part = synthetic_clean if level == "all videos" else synthetic_clean[synthetic_clean["claim_status"] == level]
        views = part.groupby("verified_status", observed=True)["video_view_count"]
        a, b = views.get_group("not verified"), views.get_group("verified")
        reference = stats.ttest_ind(a, b, equal_var=False)
        interval = reference.confidence_interval()
        assert table.loc[level, "rows"] == len(part)
        assert frame.loc[level, "n not verified"] == len(a) and frame.loc[level, "mean verified"] == pytest.approx(b.mean())
        assert frame.loc[level, "difference"] == pytest.approx(a.mean() - b.mean())
        assert frame.loc[level, "p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
        assert (frame.loc[level, "ci_low"], frame.loc[level, "ci_high"]) == pytest.approx((interval.low, interval.high))
    significant = int((frame.loc[["claim", "opinion"], "p_value"] < 0.05).sum())
    assert within.n_significant == significant
    assert within.where_significant() == {0: "in neither class", 1: "in 1 of the 2 classes", 2: "in both classes"}[significant]
    assert within.describe_within().startswith(f"The difference is significant {within.where_significant()}")
    # The mix: the share of each class within each group, counted by hand.
    by_hand = synthetic_clean.groupby("verified_status", observed=True)["claim_status"].apply(lambda s: (s == "opinion").mean())
    assert within.mix["opinion"].to_dict() == pytest.approx(by_hand.to_dict())


def _mixed(seed: int = 0, within_gap: float = 0.0) -> pd.DataFrame:
    """Class 'high' has values near 100, 'low' near 10; group 'a' is mostly 'low', group 'b' mostly 'high'.

    With ``within_gap`` 0 the groups differ only through the mix of classes.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for group, share_high in (("a", 0.2), ("b", 0.8)):
        high = rng.random(400) < share_high
        value = np.where(high, 100, 10) + rng.normal(0, 5, 400) + (within_gap if group == "b" else 0)
        rows.append(pd.DataFrame({"g": group, "cls": np.where(high, "high", "low"), "v": value}))
    return pd.concat(rows, ignore_index=True)


def test_a_gap_made_by_the_mix_is_confounded():
    from claimstats.hypothesis import compare_within

    result = compare_within(_mixed(), "v", "g", "cls", seed=1)
    assert result.overall.significant and result.confounded and result.significant_within == []
    assert result.describe() == ("Overall, videos with g 'a' get fewer v on average than videos with g 'b'. The "
                                 "difference is significant in neither "
                                 "level of cls: the overall gap is the mix of cls showing through, a textbook case of "
                                 "confounding.")


def test_a_gap_that_survives_within_the_classes_is_not_confounded():
    from claimstats.hypothesis import compare_within

    result = compare_within(_mixed(within_gap=4.0), "v", "g", "cls", seed=1)
    assert result.significant_within == ["high", "low"] and not result.confounded
    assert result.describe_within() == ("The difference is significant in both levels of cls (high, low), so the mix "
                                        "of cls explains only part of the overall gap.")


def test_within_names_an_unknown_stratum_column():
    from claimstats.hypothesis import compare_within

    with pytest.raises(ClaimstatsError, match="unknown column 'nope'"):
        compare_within(_mixed(), "v", "g", "nope")


def test_report_tables_format_p_values_the_apa_way():
    frame, _, _ = two_groups()
    result = compare_groups(frame, "x", "g")
    table = result.statistics_table().set_index("statistic")["value"]
    p = result.p_value
    assert table["p-value (t-test)"] == ("p < .001" if p < 0.001 else "p = " + f"{p:.3f}"[1:])
    assert table["t"] == f"{result.t:,.2f}"
    checks = result.assumptions_table()
    assert checks.loc[checks["check"] == "group size", "statistic"].tolist() == ["n = 25", "n = 40"]
