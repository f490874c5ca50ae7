"""The assumption checks and notes compare_groups reports, against scipy, hand formulas and seeded draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _samples import two_groups
from claimstats.hypothesis import compare_groups


def test_assumption_checks_by_independent_routes():
    frame, a, b = two_groups(20, 35)
    result = compare_groups(frame, "x", "g")
    checks = result.assumptions_frame().set_index(["check", "group"])
    assert checks.loc[("normality (Shapiro–Wilk)", "a"), "p_value"] == pytest.approx(stats.shapiro(a).pvalue)
    assert checks.loc[("skewness", "b"), "statistic"] == pytest.approx(pd.Series(b).skew())
    # Brown–Forsythe = one-way ANOVA on absolute deviations from each group's median.
    deviations = [np.abs(a - np.median(a)), np.abs(b - np.median(b))]
    anova = stats.f_oneway(*deviations)
    row = checks.loc[("equal variances (Brown–Forsythe)", "both")]
    assert (row["statistic"], row["p_value"]) == pytest.approx((anova.statistic, anova.pvalue))
    assert checks.loc[("group size", "b"), "statistic"] == 35


def test_shapiro_uses_a_seeded_subsample_above_5000():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.exponential(1.0, 6000 + 40), "g": ["big"] * 6000 + ["small"] * 40})
    first = compare_groups(frame, "x", "g", seed=1).assumptions_frame()
    again = compare_groups(frame, "x", "g", seed=1).assumptions_frame()
    big = first[first["group"] == "big"].iloc[0]
    assert "subsample of 5,000" in big["check"]
    assert big["statistic"] == again[again["group"] == "big"].iloc[0]["statistic"]
    subsample = np.random.default_rng(1).choice(frame["x"].to_numpy()[:6000], 5000, replace=False)
    assert big["statistic"] == pytest.approx(stats.shapiro(subsample).statistic)


def test_notes_explain_doubtful_assumptions():
    frame, _, _ = two_groups(8, 12)  # small and skewed: lean on Mann–Whitney
    rng = np.random.default_rng(2)
    frame = frame.assign(x=np.r_[rng.exponential(1, 8), rng.exponential(1, 11), [60.0]])
    small = compare_groups(frame, "x", "g")
    assert small.assumptions_doubtful
    assert any("rely on the Mann–Whitney test" in note for note in small.notes)

    rng = np.random.default_rng(4)
    a, b = rng.exponential(1.0, 400), rng.exponential(3.0, 300)
    big = pd.DataFrame({"x": np.r_[a, b], "g": ["a"] * 400 + ["b"] * 300})
    student = compare_groups(big, "x", "g", method="student")
    assert any("central limit theorem" in note for note in student.notes)
    assert any("heavily skewed" in note and "typical" in note for note in student.notes)
    assert any("Welch's t-test (the default) does not assume them" in note for note in student.notes)
    welch = compare_groups(big, "x", "g")
    assert not any("Student's t assumes" in note for note in welch.notes)


def test_brown_forsythe_is_not_testable_with_two_values_per_group():
    # With two values, both absolute deviations from the median are equal: the within-group
    # variance of the ANOVA is 0 and scipy returns W = inf, p = 0 whatever the data.
    frame = pd.DataFrame({"x": [1.0, 2, 3, 5], "g": list("aabb")})
    with np.errstate(divide="ignore"):
        assert stats.levene([1.0, 2], [3.0, 5], center="median").pvalue == 0.0
    result = compare_groups(frame, "x", "g", method="student")
    row = result.assumptions_frame().set_index("check").loc["equal variances (Brown–Forsythe)"]
    assert np.isnan(row["p_value"]) and not row["doubtful"] and "not testable" in row["conclusion"]
    assert not any("rejects equal variances" in note for note in result.notes)


def test_notes_name_the_groups_that_are_skewed_or_not_normal():
    rng = np.random.default_rng(7)
    symmetric, skewed = rng.normal(10, 1, 400), rng.exponential(1.0, 300)
    frame = pd.DataFrame({"x": np.r_[symmetric, skewed], "g": ["sym"] * 400 + ["skew"] * 300})
    result = compare_groups(frame, "x", "g")
    skew_sym, skew_skew = pd.Series(symmetric).skew(), pd.Series(skewed).skew()
    assert abs(skew_sym) < 0.5 < 1.0 < skew_skew  # by construction (exponential skewness is 2)
    note = next(n for n in result.notes if "heavily skewed" in n)
    assert note.startswith(f"x is heavily skewed in the skew group (skewness skew: {skew_skew:.2f}, "
                           f"sym: {skew_sym:.2f})")
    both = pd.DataFrame({"x": np.r_[rng.exponential(1.0, 300), rng.exponential(2.0, 300)],
                         "g": ["a"] * 300 + ["b"] * 300})
    notes = compare_groups(both, "x", "g").notes
    assert any(n.startswith("x is heavily skewed in both groups") for n in notes)
    assert any(n.startswith("x is not normally distributed in either group") for n in notes)
