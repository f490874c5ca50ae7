"""Construct: the assumption checks of a two-group t-test, and the notes that explain them.

:func:`assumption_checks` tests what the t-test assumes, group by group
(Shapiro–Wilk normality, skewness, group size against the central limit
theorem) and across groups (Brown–Forsythe equal variances);
:func:`assumption_notes` turns those checks and the Mann–Whitney result into
plain-language notes on how far the t-test can be trusted.
:func:`claimstats.hypothesis.compare_groups` reports both.

Examples
--------
>>> import numpy as np
>>> samples = (np.array([3.0, 5, 4, 6]), np.array([9.0, 11, 10, 12]))
>>> checks = assumption_checks(("a", "b"), samples, method="welch", alpha=0.05, rng=np.random.default_rng(0))
>>> checks["check"].unique().tolist()
['normality (Shapiro–Wilk)', 'skewness', 'group size', 'equal variances (Brown–Forsythe)']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from claimstats.reporting import format_number, format_p, magnitude_decimals

__all__ = ["CLT_MIN_N", "HEAVY_SKEW", "SHAPIRO_MAX_N", "assumption_checks", "assumption_notes"]

#: Shapiro–Wilk's p-value is only accurate up to this many observations (scipy warns above).
SHAPIRO_MAX_N = 5000
#: Below this many observations per group the central limit theorem is not relied on.
CLT_MIN_N = 30
#: |skewness| above this is "heavy": the mean is pulled by a few extreme values.
HEAVY_SKEW = 1.0


def _skew_words(skew: float) -> str:
    side = "right" if skew > 0 else "left"
    if abs(skew) > HEAVY_SKEW:
        return f"heavily {side}-skewed"
    if abs(skew) > 0.5:
        return f"moderately {side}-skewed"
    return "roughly symmetric"


def assumption_checks(levels, samples, *, method: str, alpha: float, rng: np.random.Generator) -> pd.DataFrame:
    """Check what a two-group t-test assumes: normality, skewness and size per group, equal variances.

    Parameters
    ----------
    levels : (level, level)
        The group labels, in the order of ``samples``.
    samples : (array, array)
        The values of each group (float arrays without missing values).
    method : {"welch", "student"}
        The t-test the checks serve: unequal variances only make Student's
        doubtful.
    alpha : float
        Significance level of the Shapiro–Wilk and Brown–Forsythe tests.
    rng : numpy.random.Generator
        Draws the subsample of :data:`SHAPIRO_MAX_N` rows Shapiro–Wilk tests in
        a larger group.

    Returns
    -------
    DataFrame
        One row per check: ``check``, ``group``, ``statistic``, ``p_value``,
        ``conclusion``, ``doubtful`` (True when the check casts doubt on the test).

    Examples
    --------
    >>> import numpy as np
    >>> samples = (np.array([3.0, 5, 4, 6]), np.array([9.0, 11, 10, 12]))
    >>> checks = assumption_checks(("a", "b"), samples, method="welch", alpha=0.05, rng=np.random.default_rng(0))
    >>> checks.loc[checks["group"] == "a", "conclusion"].tolist(), bool(checks["doubtful"].any())
    (['consistent with normal', 'roughly symmetric', 'n < 30: small group'], False)
    """
    rows = []
    for level, sample in zip(levels, samples):
        n = len(sample)
        tested = rng.choice(sample, SHAPIRO_MAX_N, replace=False) if n > SHAPIRO_MAX_N else sample
        label = "normality (Shapiro–Wilk" + (f", seeded subsample of {SHAPIRO_MAX_N:,})" if n > SHAPIRO_MAX_N else ")")
        if n >= 3 and np.ptp(sample) > 0:
            w, p = stats.shapiro(tested)
            normal = p >= alpha
            rows.append((label, str(level), w, p, "consistent with normal" if normal else "not normal", not normal))
        else:
            rows.append((label, str(level), np.nan, np.nan, "not testable (too few or identical values)", False))
        skew = float(stats.skew(sample, bias=False)) if n >= 3 and np.ptp(sample) > 0 else 0.0
        rows.append(("skewness", str(level), skew, np.nan, _skew_words(skew), False))
        enough = n >= CLT_MIN_N
        rows.append(("group size", str(level), float(n), np.nan,
                     f"n ≥ {CLT_MIN_N}: the mean is close to normal (CLT)" if enough else f"n < {CLT_MIN_N}: small group", False))
    if all(np.ptp(s) > 0 for s in samples):
        with np.errstate(divide="ignore", invalid="ignore"):
            f, p = stats.levene(*samples, center="median")
        if not np.isfinite(f):
            # Two values per group leave no spread of the absolute deviations from the median
            # within a group: the ANOVA behind the test divides by 0 (scipy: W = inf, p = 0).
            rows.append(("equal variances (Brown–Forsythe)", "both", np.nan, np.nan,
                         "not testable (no spread of deviations within a group)", False))
        else:
            equal = p >= alpha
            doubtful = (not equal) and method == "student"
            conclusion = "variances consistent with equal" if equal else (
                "variances differ (Student's t assumes they are equal)" if method == "student" else
                "variances differ (Welch's t does not assume equality)")
            rows.append(("equal variances (Brown–Forsythe)", "both", f, p, conclusion, doubtful))
    return pd.DataFrame(rows, columns=["check", "group", "statistic", "p_value", "conclusion", "doubtful"])


def assumption_notes(value, levels, samples, checks: pd.DataFrame, *, method, alpha, t_significant,
                     mw_p) -> tuple[str, ...]:
    """Plain-language notes on what the checks mean for the t-test, and whether Mann–Whitney agrees.

    Parameters
    ----------
    value : str
        Name of the compared column, as the notes quote it.
    levels, samples
        As for :func:`assumption_checks`.
    checks : DataFrame
        What :func:`assumption_checks` returned for these samples.
    method : {"welch", "student"}
        The t-test used.
    alpha : float
        Significance level.
    t_significant : bool
        Whether the t-test rejected H0 at ``alpha``.
    mw_p : float
        The Mann–Whitney test's p-value.

    Returns
    -------
    tuple of str
        One sentence or two per doubtful check (unequal variances for Student's
        t, non-normal groups, heavy skew), then one on the Mann–Whitney test.

    Examples
    --------
    >>> import numpy as np
    >>> samples = (np.array([3.0, 5, 4, 6]), np.array([9.0, 11, 10, 12]))
    >>> checks = assumption_checks(("a", "b"), samples, method="welch", alpha=0.05, rng=np.random.default_rng(0))
    >>> assumption_notes("x", ("a", "b"), samples, checks, method="welch", alpha=0.05, t_significant=True, mw_p=0.029)
    ('The Mann–Whitney test reaches the same conclusion at alpha = 0.05 (p = .029).',)
    """
    notes = []
    normality = checks[checks["check"].str.startswith("normality")]
    non_normal = [g for g, bad in zip(normality["group"], normality["doubtful"]) if bad]
    sizes = [len(s) for s in samples]
    variance = checks[checks["check"].str.startswith("equal variances")]
    if method == "student" and len(variance) and bool(variance["doubtful"].iloc[0]):
        notes.append(
            f"The Brown–Forsythe test rejects equal variances ({format_p(variance['p_value'].iloc[0])}); Student's t "
            "assumes them, so its p-value and interval may be off. Welch's t-test (the default) does not assume them."
        )
    if non_normal:
        which = "either group" if len(non_normal) == 2 else f"the {non_normal[0]} group"
        if min(sizes) >= CLT_MIN_N:
            notes.append(
                f"{value} is not normally distributed in {which} (Shapiro–Wilk {format_p(normality['p_value'].min())}; "
                f"with thousands of rows this test flags even small departures). With {sizes[0]:,} and {sizes[1]:,} "
                "observations the sampling distribution of each mean is close to normal (central limit theorem), "
                "so the t-test still answers 'do the means differ?'."
            )
        else:
            notes.append(
                f"{value} is not normally distributed in {which} and a group has fewer than {CLT_MIN_N} observations, "
                "so the t-test's p-value may be inaccurate; rely on the Mann–Whitney test or a permutation test."
            )
    skews = checks.loc[checks["check"] == "skewness", "statistic"].to_numpy()
    heavy = [str(level) for level, skew in zip(levels, skews) if abs(skew) > HEAVY_SKEW]
    if heavy:
        medians = ", ".join(f"{level}: {format_number(float(np.median(s)), magnitude_decimals(np.median(s)))}"
                            for level, s in zip(levels, samples))
        where = "both groups" if len(heavy) == 2 else f"the {heavy[0]} group"
        skewness = ", ".join(f"{level}: {skew:.2f}" for level, skew in zip(levels, skews))
        notes.append(
            f"{value} is heavily skewed in {where} (skewness {skewness}): a few very large values "
            f"pull the mean, which may not describe a typical video. The medians ({medians}) and the Mann–Whitney "
            "test describe the typical case."
        )
    mw_significant = mw_p < alpha
    if mw_significant == t_significant:
        notes.append(f"The Mann–Whitney test reaches the same conclusion at alpha = {alpha:g} ({format_p(mw_p)}).")
    else:
        notes.append(
            f"The Mann–Whitney test reaches the opposite conclusion ({format_p(mw_p)}): the t-test compares means, "
            "Mann–Whitney whether values in one group tend to be larger. Report both and say which question matters."
        )
    return tuple(notes)
