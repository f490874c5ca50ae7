"""Construct: does a difference between two groups survive within each level of a third column?

The case's example: videos from verified accounts get fewer views than those
from unverified accounts, but verified accounts mostly post opinions, and
opinions get far fewer views than claims. :func:`compare_within` runs the
two-group comparison of :func:`claimstats.hypothesis.compare_groups` on all
rows and again within each level of ``by`` (the class), and says whether the
overall gap is the mix of ``by`` levels showing through.

Examples
--------
>>> import claimstats
>>> tidy, _ = claimstats.clean(claimstats.simulate(3000, seed=3))
>>> result = compare_within(tidy, "video_view_count", "verified_status", "claim_status", seed=3)
>>> result.to_frame()["stratum"].tolist()
['all videos', 'claim', 'opinion']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from claimstats.errors import ClaimstatsError
from claimstats.figure_style import column_noun, group_phrase
from claimstats.hypothesis import GroupComparison, compare_groups
from claimstats.schema import TARGET

__all__ = ["WithinComparison", "compare_within"]

OVERALL = "all videos"


@dataclass(frozen=True, eq=False)
class WithinComparison:
    """A two-group comparison on all rows and within each level of ``by``.

    ``overall`` and ``within`` (level → result) are
    :class:`~claimstats.hypothesis.GroupComparison` objects; ``mix`` is the
    share of each ``by`` level within each group (rows: groups, columns: levels).
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
    def confounded(self) -> bool:
        """True when the groups differ overall but within no level of ``by``: the mix explains the gap."""
        return bool(self.overall.significant and not self.significant_within)

    def to_frame(self) -> pd.DataFrame:
        """One row per stratum (all rows first): sizes, means, difference with its interval, p-value."""
        rows = []
        for stratum, r in [(OVERALL, self.overall), *self.within.items()]:
            (a, b), (na, nb), (ma, mb) = r.levels, r.n, r.mean
            rows.append({"stratum": str(stratum), f"n {a}": na, f"n {b}": nb, f"mean {a}": ma, f"mean {b}": mb,
                         "difference": r.difference, "ci_low": r.ci[0], "ci_high": r.ci[1],
                         "p_value": r.p_value, "significant": bool(r.significant)})
        return pd.DataFrame(rows)

    def describe(self) -> str:
        """Two sentences for a report: the overall gap, and what is left of it within each level.

        Examples
        --------
        >>> import claimstats
        >>> tidy, _ = claimstats.clean(claimstats.simulate(3000, seed=3))
        >>> compare_within(tidy, "video_view_count", "verified_status", "claim_status", seed=3).describe()
        'Overall, videos from unverified accounts get more views on average than videos from verified accounts. Within each class (claim, opinion) the difference is not significant: the overall gap is the mix showing through.'
        """
        o = self.overall
        a, b = (str(level) for level in o.levels)
        phrase = lambda level: group_phrase(self.group, level)  # noqa: E731
        what = column_noun(self.value)
        if not o.significant:
            first = f"Overall, {phrase(a)} and {phrase(b)} get similar {what} on average."
        else:
            more = "more" if o.difference > 0 else "fewer"
            first = f"Overall, {phrase(a)} get {more} {what} on average than {phrase(b)}."
        levels = [str(level) for level in self.within]
        if not self.significant_within:
            second = (f"Within each {'class' if self.by == TARGET else column_noun(self.by)} ({', '.join(levels)}) the difference is not "
                      "significant: the overall gap is the mix showing through.")
        else:
            second = (f"Within {', '.join(str(level) for level in self.significant_within)} the difference "
                      "remains, so the mix explains only part of it.")
        return f"{first} {second}"


def compare_within(data: pd.DataFrame, value: str, group: str, by: str, *, seed: int = 0,
                   **options) -> WithinComparison:
    """Compare ``value`` between the two levels of ``group``, overall and within each level of ``by``.

    Parameters
    ----------
    data : DataFrame
    value : str
        The numeric column compared.
    group : str
        The column with the two groups (for example ``verified_status``).
    by : str
        The column within whose levels the comparison is repeated (for
        example ``claim_status``).
    seed : int
        Seed for the comparisons' random steps.
    **options
        Passed to :func:`claimstats.hypothesis.compare_groups` (``alpha``, ``alternative``...).

    Returns
    -------
    WithinComparison
    """
    if by not in data.columns:
        raise ClaimstatsError(f"column {by!r} is not in the data; available: {', '.join(map(str, data.columns))}")
    overall = compare_groups(data, value, group, seed=seed, **options)
    levels = data[by].cat.categories if isinstance(data[by].dtype, pd.CategoricalDtype) else sorted(data[by].dropna().unique())
    within = {level: compare_groups(data[data[by] == level], value, group, groups=overall.levels, seed=seed, **options)
              for level in levels}
    mix = pd.crosstab(data[group], data[by], normalize="index")
    return WithinComparison(value, group, by, overall, within, mix)
