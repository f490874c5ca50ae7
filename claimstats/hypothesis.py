"""Construct: compare one numeric column between two groups, as a careful analyst reports it.

The case asks whether videos from verified and unverified accounts get different
numbers of views. :func:`compare_groups` answers with the t-test the course uses
(Welch's by default, Student's on request) and everything a reader needs to
trust or doubt it: the mean difference with its confidence interval, Cohen's d
Hedges' g and the average-variance standardised difference (the one that
matches Welch's unequal variances), the Mann–Whitney U test as a check that
does not assume normality (exact or by permutation for small or heavily tied
samples), the assumption checks themselves, an optional permutation test, and
plain-language notes on what the result means when the assumptions are shaky.
This module holds the test and its result; the checks and their notes are in
:mod:`claimstats.assumptions`, the APA number formatting in :mod:`claimstats.reporting`.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"views": [3, 5, 4, 6, 9, 11, 10, 12], "account": list("aaaabbbb")})
>>> result = compare_groups(frame, "views", "account")
>>> round(result.t, 2), round(result.df, 2), result.levels
(-6.57, 6.0, ('a', 'b'))
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from claimstats.assumptions import assumption_checks, assumption_notes
from claimstats.design import observed_levels
from claimstats.errors import ClaimstatsError, ColumnError, require_columns
from claimstats.figure_style import column_noun, group_phrase
from claimstats.reporting import COUNT_NOUNS, format_number, format_p, magnitude_decimals
from claimstats.schema import BAN, TARGET, VERIFIED

METHODS = ("welch", "student")
ALTERNATIVES = ("two-sided", "less", "greater")
#: Seed used when none is given, so that two runs of the same call agree.
DEFAULT_SEED = 0
#: Mann–Whitney p-values are exact (every split enumerated) up to this many distinct splits.
EXACT_MAX_SPLITS = 20_000
#: Below this many values in a group, or with ties this heavy, the normal approximation is not used...
MANN_WHITNEY_MIN_N = 30
#: ... where "heavy" is a tie correction factor 1 − Σ(t³ − t) / (n³ − n) below this (ties remove 10% of the rank variance).
HEAVY_TIES = 0.9
#: ... and the p-value comes from this many seeded random relabellings instead, when there are at most
#: PERMUTATION_MAX_N values in all (above it the tie-corrected normal approximation is accurate and far cheaper).
MANN_WHITNEY_RESAMPLES = 9_999
PERMUTATION_MAX_N = 2_000

_GROUP_PHRASES = {
    (VERIFIED, "verified"): "videos from verified accounts",
    (VERIFIED, "not verified"): "videos from unverified accounts",
    (TARGET, "claim"): "claim videos",
    (TARGET, "opinion"): "opinion videos",
    (BAN, "active"): "videos by active authors",
    (BAN, "under review"): "videos by authors under review",
    (BAN, "banned"): "videos by banned authors",
}


# ------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class GroupComparison:
    """Everything :func:`compare_groups` found. Tuples hold (first group, second group).

    ``difference`` is mean(first) − mean(second); ``ci`` is its confidence
    interval at level 1 − ``alpha``; ``cohens_d`` and ``rank_biserial`` have the
    same sign as the difference. ``permutation_p`` is ``None`` unless a
    permutation test was asked for.
    """

    value: str
    group: str
    levels: tuple[Any, Any]
    method: str
    alternative: str
    alpha: float
    n: tuple[int, int]
    mean: tuple[float, float]
    sd: tuple[float, float]
    median: tuple[float, float]
    difference: float
    ci: tuple[float, float]
    t: float
    df: float
    p_value: float
    cohens_d: float
    hedges_g: float
    d_av: float
    mann_whitney_u: float
    mann_whitney_p: float
    mann_whitney_method: str
    rank_biserial: float
    permutation_p: float | None
    permutations: int
    seed: int
    h0: str
    h1: str
    notes: tuple[str, ...]
    assumptions: pd.DataFrame = field(repr=False)

    @property
    def test_name(self) -> str:
        return "Welch's t-test" if self.method == "welch" else "Student's t-test"

    @property
    def confidence(self) -> float:
        return 1.0 - self.alpha

    @property
    def significant(self) -> bool:
        """Whether the t-test rejects H0 at ``alpha``."""
        return bool(self.p_value < self.alpha)

    @property
    def assumptions_doubtful(self) -> bool:
        """True when a check failed: non-normal groups or, for Student's t, unequal variances."""
        return bool(self.assumptions["doubtful"].any())

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: ``statistic``, ``value``."""
        a, b = (str(level) for level in self.levels)
        rows = [
            (f"mean difference ({a} − {b})", self.difference),
            (f"CI {self.confidence:.0%} low", self.ci[0]),
            (f"CI {self.confidence:.0%} high", self.ci[1]),
            ("t", self.t),
            ("df", self.df),
            ("p-value (t-test)", self.p_value),
            ("Cohen's d", self.cohens_d),
            ("Hedges' g", self.hedges_g),
            ("d (average variance)", self.d_av),
            ("Mann–Whitney U", self.mann_whitney_u),
            (f"p-value (Mann–Whitney, {self.mann_whitney_method})", self.mann_whitney_p),
            ("rank-biserial r", self.rank_biserial),
        ]
        if self.permutation_p is not None:
            rows.append((f"p-value (permutation, {self.permutations:,} resamples)", self.permutation_p))
        rows.append(("alpha", self.alpha))
        return pd.DataFrame(rows, columns=["statistic", "value"])

    def groups_frame(self) -> pd.DataFrame:
        """Descriptive statistics per group: n, mean, SD, median."""
        return pd.DataFrame(
            {self.group: [str(level) for level in self.levels], "n": list(self.n),
             "mean": list(self.mean), "sd": list(self.sd), "median": list(self.median)}
        )

    def assumptions_frame(self) -> pd.DataFrame:
        """One row per check: ``check``, ``group``, ``statistic``, ``p_value``, ``conclusion``, ``doubtful``."""
        return self.assumptions.copy()

    def assumptions_table(self) -> pd.DataFrame:
        """The checks as a report shows them: group sizes in full, statistics to three digits, APA p-values."""
        checks = self.assumptions[["check", "group", "statistic", "p_value", "conclusion"]]
        return checks.assign(
            statistic=[f"n = {format_number(v, 0)}" if check == "group size" else f"{v:.3g}"
                       for check, v in zip(checks["check"], checks["statistic"])],
            p_value=[format_p(p) if pd.notna(p) else "" for p in checks["p_value"]],
        ).rename(columns={"p_value": "p-value"})

    def statistics_table(self) -> pd.DataFrame:
        """:meth:`to_frame` as a report shows it: p-values the APA way, other statistics to two decimals."""
        table = self.to_frame()
        table["value"] = [format_p(v) if "p-value" in s else format_number(v, 2)
                          for s, v in zip(table["statistic"], table["value"])]
        return table

    def in_plain_words(self) -> str:
        """The conclusion for a reader without statistics: is the gap in means larger than chance?

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"x": [3, 5, 4, 6, 9, 11, 10, 12], "g": list("aaaabbbb")})
        >>> compare_groups(frame, "x", "g").in_plain_words()
        'rows with g = a and rows with g = b do not have the same mean x, and the gap is too large to be chance'
        """
        phrase_a, phrase_b = (_group_phrase(self.group, level) for level in self.levels)
        topic = f"mean {COUNT_NOUNS[self.value]}" if self.value in COUNT_NOUNS else f"mean {self.value}"
        if self.significant:
            return f"{phrase_a} and {phrase_b} do not have the same {topic}, and the gap is too large to be chance"
        return f"the data show no difference in {topic} between {phrase_a} and {phrase_b} beyond what chance would produce"

    def describe(self) -> str:
        """The result as APA-style sentences a report can quote.

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"x": [3, 5, 4, 6, 9, 11, 10, 12], "g": list("aaaabbbb")})
        >>> print(compare_groups(frame, "x", "g").describe())  # doctest: +NORMALIZE_WHITESPACE
        Rows with g = a had a lower mean x (M = 4.50, SD = 1.29) than rows with g = b (M = 10.50,
        SD = 1.29), Welch's t(6.0) = -6.57, p < .001, d_av = -4.65 (pooled d = -4.65), 95% CI of
        the difference [-8.23, -3.77]. A Mann–Whitney U test agreed (U = 0.00, exact p = .029, r = -1.00).
        """
        phrase_a, phrase_b = (_group_phrase(self.group, level) for level in self.levels)
        noun = COUNT_NOUNS.get(self.value)
        decimals = magnitude_decimals(*self.mean, *self.sd)
        stats_a = f"(M = {format_number(self.mean[0], decimals)}, SD = {format_number(self.sd[0], decimals)})"
        stats_b = f"(M = {format_number(self.mean[1], decimals)}, SD = {format_number(self.sd[1], decimals)})"
        if self.significant:
            higher = self.difference > 0
            comparison = (f"{'more' if higher else 'fewer'} {noun}" if noun
                          else f"a {'higher' if higher else 'lower'} mean {self.value}")
            head = f"{phrase_a} had {comparison} {stats_a} than {phrase_b} {stats_b}"
        else:
            topic = noun or f"mean {self.value}"
            head = f"{phrase_a} {stats_a} and {phrase_b} {stats_b} did not differ significantly in {topic}"
        df_text = format_number(self.df, 1 if self.method == "welch" else 0)
        tail = " (one-tailed)" if self.alternative != "two-sided" else ""
        ci_decimals = magnitude_decimals(*self.ci)
        sentence = (
            f"{head[0].upper()}{head[1:]}, {self.test_name.split(' t-')[0]} t({df_text}) = {self.t:.2f}, "
            f"{format_p(self.p_value)}{tail}, {self._effect_size()}, {self.confidence:.0%} CI of the difference "
            f"[{format_number(self.ci[0], ci_decimals)}, {format_number(self.ci[1], ci_decimals)}]."
        )
        mw_agrees = (self.mann_whitney_p < self.alpha) == self.significant
        sentence += (
            f" A Mann–Whitney U test {'agreed' if mw_agrees else 'did not agree'} "
            f"(U = {format_number(self.mann_whitney_u)}, {self._mann_whitney_words()}{format_p(self.mann_whitney_p)}, "
            f"r = {self.rank_biserial:.2f})."
        )
        if self.permutation_p is not None:
            sentence += f" A permutation test of the mean difference ({self.permutations:,} resamples) gave {format_p(self.permutation_p)}."
        return sentence


    def _effect_size(self) -> str:
        # Welch's test does not pool the variances, so neither does its effect size: the
        # average-variance d; Student's pools them, as Cohen's d does.
        if self.method == "welch":
            return f"d_av = {self.d_av:.2f} (pooled d = {self.cohens_d:.2f})"
        return f"d = {self.cohens_d:.2f}"

    def _mann_whitney_words(self) -> str:
        if self.mann_whitney_method == "exact":
            return "exact "
        if self.mann_whitney_method == "permutation":
            return f"permutation ({MANN_WHITNEY_RESAMPLES:,} resamples) "
        return ""


def _group_phrase(group: str, level: Any) -> str:
    return _GROUP_PHRASES.get((group, str(level)), f"rows with {group} = {level}")


# ----------------------------------------------------------------- analysis


def _two_samples(data: pd.DataFrame, value: str, group: str, groups) -> tuple[tuple[Any, Any], np.ndarray, np.ndarray]:
    require_columns(data, [value, group])
    if value == group:
        raise ClaimstatsError(f"{value!r} cannot be both the value and the group column; choose a grouping column")
    if not pd.api.types.is_numeric_dtype(data[value]) or pd.api.types.is_bool_dtype(data[value]):
        raise ColumnError(f"column {value!r} is not numeric ({data[value].dtype}); choose a numeric --value column")
    usable = data.loc[data[value].notna() & data[group].notna(), [value, group]]
    column = usable[group]
    if isinstance(column.dtype, pd.CategoricalDtype):
        present = set(column.unique())
        found = [c for c in column.cat.categories if c in present]
    else:
        found = sorted(column.unique(), key=str)
    listing = ", ".join(map(str, found)) or "none"
    if groups is None:
        if len(found) != 2:
            raise ClaimstatsError(
                f"group column {group!r} has {len(found)} levels among rows with a value ({listing}); "
                "it needs exactly two, or pick two with groups=(a, b) (command line: --groups A B)"
            )
        levels = (found[0], found[1])
    else:
        if len(groups) != 2 or groups[0] == groups[1]:
            raise ClaimstatsError(f"groups must name two different levels of {group!r}; available: {listing}")
        by_text = {str(level): level for level in found}
        missing = [g for g in groups if g not in found and str(g) not in by_text]
        if missing:
            raise ClaimstatsError(f"level {missing[0]!r} not found in column {group!r}; available: {listing}")
        levels = tuple(g if g in found else by_text[str(g)] for g in groups)
    samples = [usable.loc[column == level, value].to_numpy(dtype="float64") for level in levels]
    infinite = sum(int(np.isinf(sample).sum()) for sample in samples)
    if infinite:  # an infinite value makes every mean, SD and t undefined (nan), silently
        raise ClaimstatsError(f"column {value!r} has {infinite:,} infinite value(s) in the groups compared; "
                              "remove or cap them first")
    for level, sample in zip(levels, samples):
        if len(sample) < 2:
            raise ClaimstatsError(f"group {level!r} of {group!r} has {len(sample)} value(s); each group needs at least 2")
    if all(np.ptp(sample) == 0 for sample in samples):
        # Both standard deviations are 0, so is the standard error: t, p, the interval and d are undefined.
        constants = ", ".join(f"{level}: {sample[0]:g}" for level, sample in zip(levels, samples))
        raise ClaimstatsError(f"{value!r} is constant within each group ({constants}); "
                              "a t-test needs variation in at least one group")
    return levels, samples[0], samples[1]


def _hypotheses(value: str, group: str, levels, alternative: str) -> tuple[str, str]:
    a, b = (_group_phrase(group, level) for level in levels)
    h0 = f"H0: the mean {value} is the same for {a} and {b}."
    relation = {"two-sided": "differs between", "less": "is lower for", "greater": "is higher for"}[alternative]
    h1 = f"H1: the mean {value} {relation} {a} and {b}." if alternative == "two-sided" else \
        f"H1: the mean {value} {relation} {a} than for {b}."
    return h0, h1


def _permutation_p(a: np.ndarray, b: np.ndarray, *, permutations: int, alternative: str, seed: int) -> float:
    def mean_difference(x, y, axis):
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    # Memory is batch × n floats; keep it near 40 MB whatever the sample size.
    batch = int(max(1, min(permutations, 5_000_000 // (len(a) + len(b)))))
    result = stats.permutation_test((a, b), mean_difference, permutation_type="independent", vectorized=True,
                                    n_resamples=permutations, batch=batch, alternative=alternative, rng=seed)
    return float(result.pvalue)


#: The label of the all-rows stratum in :meth:`WithinComparison.to_frame`.
OVERALL = "all videos"


@dataclass(frozen=True, eq=False)
class WithinComparison:
    """:func:`compare_within`'s result: the two-group comparison on all rows and within each level of ``by``.

    ``overall`` and the values of ``within`` (level of ``by`` → result) are
    :class:`GroupComparison` objects; ``mix`` is the share of each ``by``
    level within each group (rows: groups, columns: levels of ``by``).
    """

    value: str
    group: str
    by: str
    overall: GroupComparison = field(repr=False)
    within: dict = field(repr=False)
    mix: pd.DataFrame = field(repr=False)

    @property
    def significant_within(self) -> list:
        """The levels of ``by`` within which the two groups differ significantly."""
        return [level for level, result in self.within.items() if result.significant]

    @property
    def n_significant(self) -> int:
        """How many levels of ``by`` show a significant difference."""
        return len(self.significant_within)

    @property
    def confounded(self) -> bool:
        """True when the groups differ overall but within no level of ``by``: the mix explains the gap."""
        return bool(self.overall.significant and not self.significant_within)

    def to_frame(self) -> pd.DataFrame:
        """One row per stratum, all rows first: group sizes and means, difference, its interval, Welch's p-value."""
        rows = []
        for stratum, r in [(OVERALL, self.overall), *self.within.items()]:
            (a, b), (na, nb), (ma, mb) = r.levels, r.n, r.mean
            rows.append({"stratum": str(stratum), f"n {a}": na, f"n {b}": nb, f"mean {a}": ma, f"mean {b}": mb,
                         "difference": r.difference, "ci_low": r.ci[0], "ci_high": r.ci[1],
                         "p_value": r.p_value, "significant": bool(r.significant)})
        return pd.DataFrame(rows)

    def table(self) -> pd.DataFrame:
        """:meth:`to_frame` for a report: rows, mean difference, its interval and the APA p-value."""
        frame = self.to_frame()
        a, b = (str(level) for level in self.overall.levels)
        return pd.DataFrame({
            "videos": frame["stratum"], "rows": frame[f"n {a}"] + frame[f"n {b}"],
            "mean difference": frame["difference"], "CI low": frame["ci_low"], "CI high": frame["ci_high"],
            "p-value": frame["p_value"].map(format_p),
        })

    def where_significant(self) -> str:
        """In which levels the difference is significant: "in neither class", "in both classes", "in 1 of the 3 ..."."""
        k, n = self.n_significant, len(self.within)
        noun = "class" if self.by == TARGET else f"level of {self.by}"
        plural = "classes" if self.by == TARGET else f"levels of {self.by}"
        if k == 0:
            return f"in neither {noun}" if n == 2 else f"in no {noun}"
        if k == n:
            return f"in both {plural}" if n == 2 else f"in all {n} {plural}"
        return f"in {k} of the {n} {plural}"

    def describe_overall(self) -> str:
        """One sentence: the gap between the two groups on all rows, in words."""
        a, b = (str(level) for level in self.overall.levels)
        what = column_noun(self.value)
        if not self.overall.significant:
            return f"Overall, {group_phrase(self.group, a)} and {group_phrase(self.group, b)} get similar {what} on average."
        more = "more" if self.overall.difference > 0 else "fewer"
        return f"Overall, {group_phrase(self.group, a)} get {more} {what} on average than {group_phrase(self.group, b)}."

    def describe_within(self) -> str:
        """One sentence: whether the gap survives within each level of ``by``, or is the mix showing through."""
        mix = "the mix of claims and opinions" if self.by == TARGET else f"the mix of {column_noun(self.by)}"
        if not self.significant_within:
            return (f"The difference is significant {self.where_significant()}: the overall gap is {mix} "
                    "showing through, a textbook case of confounding.")
        return (f"The difference is significant {self.where_significant()} "
                f"({', '.join(str(level) for level in self.significant_within)}), so {mix} "
                "explains only part of the overall gap.")

    def describe(self) -> str:
        """Two sentences for a report: :meth:`describe_overall`, then :meth:`describe_within`.

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"x": [1, 2, 3, 2, 9, 8, 10, 9], "g": list("abab" * 2), "k": list("ccccdddd")})
        >>> compare_within(frame, "x", "g", "k").describe_within()
        'The difference is significant in neither level of k: the overall gap is the mix of k showing through, a textbook case of confounding.'
        """
        return f"{self.describe_overall()} {self.describe_within()}"


def compare_within(data: pd.DataFrame, value: str, group: str, by: str, **kwargs) -> WithinComparison:
    """:func:`compare_groups` of ``value`` between the groups of ``group``, on all rows and within each level of ``by``.

    Comparing verified and unverified accounts within each claim status
    separates two explanations of an overall gap: verification, or the mix of
    claims and opinions each kind of account posts (confounding). Every
    stratum compares the same two groups in the same order as the overall
    comparison.

    Parameters
    ----------
    data, value, group
        As for :func:`compare_groups`.
    by : str
        The column whose levels are compared separately (the case: ``claim_status``).
    **kwargs
        Passed to :func:`compare_groups` (``method``, ``alpha``, ``seed``, ...).

    Returns
    -------
    WithinComparison
        ``to_frame()``, ``table()``, ``describe()``, ``mix``, ``confounded``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [1, 2, 3, 2, 9, 8, 10, 9], "g": list("abab" * 2), "k": list("ccccdddd")})
    >>> compare_within(frame, "x", "g", "k").to_frame()["stratum"].tolist()
    ['all videos', 'c', 'd']
    """
    require_columns(data, [value, group, by])
    levels = observed_levels(data[by])
    if not levels:
        raise ClaimstatsError(f"column {by!r} has no values to compare within")
    overall = compare_groups(data, value, group, **kwargs)
    same_groups = {**kwargs, "groups": overall.levels}
    within = {level: compare_groups(data[data[by] == level], value, group, **same_groups) for level in levels}
    mix = pd.crosstab(data[group], data[by], normalize="index")
    return WithinComparison(value, group, by, overall, within, mix)


def _tie_factor(pooled: np.ndarray) -> float:
    """1 − Σ(t³ − t) / (n³ − n) over groups of t tied values: the share of the rank variance ties leave."""
    _, counts = np.unique(pooled, return_counts=True)
    n = len(pooled)
    return float(1 - ((counts.astype(float) ** 3 - counts).sum()) / (float(n) ** 3 - n))


def mann_whitney(a: np.ndarray, b: np.ndarray, *, alternative: str = "two-sided", seed: int = DEFAULT_SEED):
    """The Mann–Whitney U test of ``a`` against ``b`` with a p-value fit for the sample.

    The normal approximation (with its tie correction) is accurate for large
    samples but not for small or heavily tied ones, where it can err on the
    wrong side of alpha. So the p-value is

    * ``"exact"``: every split of the pooled values into groups of these sizes
      enumerated, when there are at most :data:`EXACT_MAX_SPLITS` of them
      (ties included);
    * ``"permutation"``: :data:`MANN_WHITNEY_RESAMPLES` seeded random
      relabellings, when a group has fewer than :data:`MANN_WHITNEY_MIN_N`
      values or the tie correction factor is below :data:`HEAVY_TIES`, and
      there are at most :data:`PERMUTATION_MAX_N` values in all;
    * ``"normal approximation"`` otherwise (scipy's asymptotic method).

    Parameters
    ----------
    a, b : arrays
        The two samples (no missing values).
    alternative : {"two-sided", "less", "greater"}
        H1 about the distribution of ``a`` against ``b``.
    seed : int
        Seeds the random relabellings.

    Returns
    -------
    (U, p, method) : float, float, str
        U of the first sample, the p-value and how it was computed.

    Examples
    --------
    >>> import numpy as np
    >>> u, p, method = mann_whitney(np.array([5.0, 5, 5]), np.array([1.0, 2, 3, 4]))
    >>> float(u), round(p, 4), method  # 2 of the 35 splits are as extreme: p = 2/35
    (12.0, 0.0571, 'exact')
    """
    n_a, n_b = len(a), len(b)
    splits = math.comb(n_a + n_b, n_a)
    if splits <= EXACT_MAX_SPLITS:
        method, how = "exact", stats.PermutationMethod(n_resamples=np.inf)
    elif (n_a + n_b <= PERMUTATION_MAX_N
          and (min(n_a, n_b) < MANN_WHITNEY_MIN_N or _tie_factor(np.r_[a, b]) < HEAVY_TIES)):
        method, how = "permutation", stats.PermutationMethod(n_resamples=MANN_WHITNEY_RESAMPLES, rng=seed)
    else:
        method, how = "normal approximation", "asymptotic"
    result = stats.mannwhitneyu(a, b, alternative=alternative, method=how)
    return float(result.statistic), float(min(1.0, result.pvalue)), method


def compare_groups(
    data: pd.DataFrame,
    value: str,
    group: str,
    *,
    method: str = "welch",
    alpha: float = 0.05,
    alternative: str = "two-sided",
    permutations: int = 0,
    seed: int | None = None,
    groups: tuple[Any, Any] | None = None,
) -> GroupComparison:
    """Compare the mean of ``value`` between the two groups of ``group``.

    Parameters
    ----------
    data : DataFrame
        One row per observation; rows missing ``value`` or ``group`` are left out.
    value : str
        Numeric column to compare (the case: ``video_view_count``).
    group : str
        Column with exactly two levels among the usable rows (the case:
        ``verified_status``), unless ``groups`` picks two of its levels.
    method : {"welch", "student"}
        Welch's t-test (default: no equal-variance assumption, Welch–Satterthwaite
        df) or Student's pooled-variance t-test.
    alpha : float
        Significance level; the confidence interval has level 1 − alpha.
    alternative : {"two-sided", "less", "greater"}
        H1 for mean(first) − mean(second): different, below 0, above 0.
    permutations : int
        If positive, also run a permutation test of the mean difference with this
        many random relabellings (exact when it reaches the number of distinct
        splits). Its p-value counts the observed split, so it is never 0; the
        two-sided p-value is twice the smaller one-sided one (at most 1).
    seed : int, optional
        Seed for the permutation test and the Shapiro–Wilk subsample (groups
        above 5,000 rows are tested on a random 5,000); ``None`` means 0, so
        repeated calls agree.
    groups : (level, level), optional
        The two levels to compare, in this order. By default the two levels in
        category order (or sorted), e.g. ``("not verified", "verified")``.

    Returns
    -------
    GroupComparison
        ``to_frame()``, ``groups_frame()``, ``assumptions_frame()``, ``describe()``.

    Notes
    -----
    Cohen's d divides the mean difference by the pooled SD; Hedges' g multiplies
    it by ``1 − 3 / (4 (n1 + n2) − 9)`` to remove its small-sample bias. The
    pooled SD weights each group's variance by its size and assumes the two
    variances equal, as Student's t does; ``d_av`` divides by
    ``sqrt((s1² + s2²) / 2)`` instead, the standardiser that matches Welch's
    test when the variances differ.
    The Mann–Whitney p-value is exact or by permutation for small or heavily
    tied samples (:func:`mann_whitney`). The
    rank-biserial r is ``2 U / (n1 n2) − 1`` = P(first > second) − P(first <
    second), with U the Mann–Whitney statistic of the first group.

    Examples
    --------
    >>> import claimstats
    >>> tidy, _ = claimstats.clean(claimstats.load("synthetic", rows=2000).frame)
    >>> result = compare_groups(tidy, "video_view_count", "verified_status")
    >>> result.levels, result.p_value < 0.001, result.difference > 0
    (('not verified', 'verified'), True, True)
    """
    if method not in METHODS:
        raise ClaimstatsError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if alternative not in ALTERNATIVES:
        raise ClaimstatsError(f"alternative must be one of {', '.join(ALTERNATIVES)}; got {alternative!r}")
    if not 0 < alpha < 1:
        raise ClaimstatsError(f"alpha must be between 0 and 1; got {alpha}")
    if permutations != int(permutations):
        raise ClaimstatsError(f"permutations must be a whole number; got {permutations}")
    if permutations < 0:
        raise ClaimstatsError(f"permutations must be 0 (no permutation test) or positive; got {permutations}")
    permutations = int(permutations)
    if seed is not None and (seed != int(seed) or seed < 0):
        raise ClaimstatsError(f"seed must be a non-negative integer; got {seed}")
    seed = DEFAULT_SEED if seed is None else int(seed)
    levels, a, b = _two_samples(data, value, group, groups)
    n_a, n_b = len(a), len(b)

    welch = method == "welch"
    with warnings.catch_warnings():
        if np.ptp(a) == 0 or np.ptp(b) == 0:
            # One exactly constant group: its variance is exactly 0 and the test is
            # well defined (the other group carries the variance), but scipy warns of
            # "precision loss" whenever a sample's values are all equal.
            warnings.filterwarnings("ignore", message="Precision loss occurred", category=RuntimeWarning)
        test = stats.ttest_ind(a, b, equal_var=not welch, alternative=alternative)
    interval = test.confidence_interval(confidence_level=1 - alpha)
    sd_a, sd_b = float(np.std(a, ddof=1)), float(np.std(b, ddof=1))
    pooled_sd = np.sqrt(((n_a - 1) * sd_a**2 + (n_b - 1) * sd_b**2) / (n_a + n_b - 2))
    difference = float(a.mean() - b.mean())
    cohens_d = difference / pooled_sd if pooled_sd > 0 else np.nan
    hedges_g = cohens_d * (1 - 3 / (4 * (n_a + n_b) - 9))
    average_sd = np.sqrt((sd_a**2 + sd_b**2) / 2)
    d_av = difference / average_sd if average_sd > 0 else np.nan
    mw_u, mw_p, mw_method = mann_whitney(a, b, alternative=alternative, seed=seed)
    rank_biserial = 2 * mw_u / (n_a * n_b) - 1

    rng = np.random.default_rng(seed)
    checks = assumption_checks(levels, (a, b), method=method, alpha=alpha, rng=rng)
    significant = float(test.pvalue) < alpha
    notes = assumption_notes(value, levels, (a, b), checks, method=method, alpha=alpha,
                             t_significant=significant, mw_p=mw_p)
    permutation_p = (_permutation_p(a, b, permutations=permutations, alternative=alternative, seed=seed)
                     if permutations else None)
    h0, h1 = _hypotheses(value, group, levels, alternative)
    return GroupComparison(
        value=value, group=group, levels=levels, method=method, alternative=alternative, alpha=alpha,
        n=(n_a, n_b), mean=(float(a.mean()), float(b.mean())), sd=(sd_a, sd_b),
        median=(float(np.median(a)), float(np.median(b))), difference=difference,
        ci=(float(interval.low), float(interval.high)), t=float(test.statistic), df=float(test.df),
        p_value=float(test.pvalue), cohens_d=float(cohens_d), hedges_g=float(hedges_g),
        d_av=float(d_av), mann_whitney_u=mw_u, mann_whitney_p=mw_p, mann_whitney_method=mw_method,
        rank_biserial=rank_biserial,
        permutation_p=permutation_p, permutations=int(permutations), seed=seed, h0=h0, h1=h1,
        notes=notes, assumptions=checks,
    )
