"""Execute: the classifier's errors by account group, with exact intervals.

A triage model can serve one kind of account worse than another: miss more of
the claims posted by verified accounts, or flag more reports of banned
authors for review. :func:`error_rates_by_group` scores a set of labelled
reports at a threshold and reports, for every level of each grouping column
(``verified_status`` and ``author_ban_status`` by default), the **flag rate**
(share of reports at or above the threshold), the **recall** (share of claims
flagged) and the **precision** (share of flagged reports that are claims),
each with an exact Clopper–Pearson interval (:func:`clopper_pearson`).

Examples
--------
>>> import pandas as pd
>>> reports = pd.DataFrame({"claim_status": ["claim", "claim", "opinion", "claim", "opinion", "opinion"],
...                         "verified_status": ["verified"] * 3 + ["not verified"] * 3})
>>> rates = error_rates_by_group(reports, [0.9, 0.2, 0.7, 0.8, 0.1, 0.3], threshold=0.5, by=["verified_status"])
>>> rates.to_frame()[["level", "claims", "flagged", "recall", "precision"]].round(3)
          level  claims  flagged  recall  precision
0           all       3        3   0.667      0.667
1  not verified       1        1   1.000      1.000
2      verified       2        2   0.500      0.500
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from claimstats.errors import ClaimstatsError, require_columns
from claimstats.evaluation import claim_labels
from claimstats.schema import BAN, TARGET, VERIFIED

__all__ = ["DEFAULT_GROUPS", "GroupErrorRates", "clopper_pearson", "error_rates_by_group"]

#: The account columns a moderation lead compares errors across.
DEFAULT_GROUPS = (VERIFIED, BAN)
_RATES = ("flag_rate", "recall", "precision")


def clopper_pearson(successes, trials, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper–Pearson) confidence interval of a proportion ``successes / trials``.

    The interval inverts two one-sided binomial tests, so it covers the true
    proportion at least ``1 − alpha`` of the time whatever the sample size:
    the lower bound is the ``alpha / 2`` quantile of Beta(k, n − k + 1) (0 when
    k = 0), the upper the ``1 − alpha / 2`` quantile of Beta(k + 1, n − k)
    (1 when k = n). With no trials the interval is undefined (nan).

    Parameters
    ----------
    successes, trials : int or array of int
        Counts, with ``0 <= successes <= trials``.
    alpha : float
        1 − the confidence level.

    Returns
    -------
    (low, high) : arrays of float

    Examples
    --------
    >>> low, high = clopper_pearson([0, 7, 10], [10, 10, 10])
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([0.0, 0.3475, 0.6915], [0.3085, 0.9333, 1.0])
    """
    if not 0 < alpha < 1:
        raise ClaimstatsError(f"alpha must be between 0 and 1; got {alpha}")
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if np.any(k < 0) or np.any(k > n):
        raise ClaimstatsError("successes must lie between 0 and the number of trials")
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    empty = n == 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


@dataclass(frozen=True, eq=False)
class GroupErrorRates:
    """What :func:`error_rates_by_group` found: one row per level of each grouping column."""

    threshold: float
    alpha: float
    by: tuple[str, ...]
    rates: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """``group``, ``level``, ``reports``, ``claims``, ``claim_share``, ``flagged``, then each of
        ``flag_rate``, ``recall``, ``precision`` with its ``_low`` and ``_high`` bounds; the first row is all reports."""
        return self.rates.copy()

    def table(self) -> pd.DataFrame:
        """The rates as a reader sees them: percentages with their intervals, one row per level."""
        rates = self.rates
        out = pd.DataFrame({"group": rates["group"], "level": rates["level"], "reports": rates["reports"],
                            "claims": rates["claims"]})
        for name, title in zip(_RATES, ("flag rate", "recall", "precision")):
            out[title] = [_interval(v, lo, hi) for v, lo, hi in
                          zip(rates[name], rates[f"{name}_low"], rates[f"{name}_high"])]
        return out

    def describe(self) -> str:
        """What a moderation lead should watch: for each group, where recall is lowest and flag rates differ.

        Examples
        --------
        >>> import pandas as pd
        >>> reports = pd.DataFrame({"claim_status": ["claim"] * 4 + ["opinion"] * 4,
        ...                         "verified_status": ["verified", "not verified"] * 4})
        >>> rates = error_rates_by_group(reports, [0.9, 0.8, 0.2, 0.7, 0.1, 0.6, 0.3, 0.2], threshold=0.5,
        ...                              by=["verified_status"])
        >>> print(rates.describe())  # doctest: +NORMALIZE_WHITESPACE
        By verified_status, recall is lowest for verified (50%, 95% CI 1% to 99%) and highest for not verified
        (100%, 95% CI 16% to 100%); the intervals overlap, so the gap may be chance. Flag rates run from 25%
        (verified) to 75% (not verified).
        """
        sentences = []
        confidence = f"{1 - self.alpha:.0%}"
        for column in self.by:
            part = self.rates[self.rates["group"] == column].dropna(subset=["recall"])
            if len(part) < 2:
                continue
            low, high = part.loc[part["recall"].idxmin()], part.loc[part["recall"].idxmax()]
            overlap = low["recall_high"] >= high["recall_low"]
            verdict = ("the intervals overlap, so the gap may be chance" if overlap else
                       f"the intervals do not overlap: the model misses more of the claims of {low['level']} accounts; "
                       "audit that group's low-priority tier first")
            flags = part.sort_values("flag_rate")
            sentences.append(
                f"By {column}, recall is lowest for {low['level']} ({_percent(low['recall'])}, {confidence} CI "
                f"{_percent(low['recall_low'])} to {_percent(low['recall_high'])}) and highest for {high['level']} "
                f"({_percent(high['recall'])}, {confidence} CI {_percent(high['recall_low'])} to "
                f"{_percent(high['recall_high'])}); {verdict}. Flag rates run from "
                f"{_percent(flags['flag_rate'].iloc[0])} ({flags['level'].iloc[0]}) to "
                f"{_percent(flags['flag_rate'].iloc[-1])} ({flags['level'].iloc[-1]})"
                + self._flag_reason(flags) + "."
            )
        return " ".join(sentences) or "No group has claims in two or more levels: recall cannot be compared."

    @staticmethod
    def _flag_reason(flags: pd.DataFrame) -> str:
        # A group that posts more claims is flagged more by a model that works: say so, so that a
        # higher flag rate is not read as bias by itself.
        if flags["claim_share"].iloc[-1] > flags["claim_share"].iloc[0]:
            return (f", in step with their shares of claims ({_percent(flags['claim_share'].iloc[0])} and "
                    f"{_percent(flags['claim_share'].iloc[-1])}): flagging more where there are more claims is "
                    "the model working, not a bias by itself")
        return ""


def _percent(share: float) -> str:
    return f"{share:.0%}" if np.isfinite(share) else "n/a"


def _interval(value: float, low: float, high: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.1%} [{low:.1%}, {high:.1%}]"


def error_rates_by_group(data: pd.DataFrame, scores, *, threshold: float, by=DEFAULT_GROUPS, label: str = TARGET,
                         alpha: float = 0.05) -> GroupErrorRates:
    """Flag rate, recall and precision of a scored set of reports, for each level of the ``by`` columns.

    Parameters
    ----------
    data : DataFrame
        The labelled reports that were scored, in the order of ``scores``
        (``label`` holds claim or opinion).
    scores : array of float
        The model's claim probability of each row of ``data``.
    threshold : float
        Reports with a score at or above it are flagged for review (the
        model's review threshold).
    by : list of str
        Grouping columns; rows missing a column's value are left out of that
        column's levels (not of the first row, which covers every report).
    label : str
        The label column.
    alpha : float
        The intervals are exact Clopper–Pearson intervals at level ``1 − alpha``.

    Returns
    -------
    GroupErrorRates
        ``to_frame()`` (numbers), ``table()`` (percentages with intervals), ``describe()``.

    Examples
    --------
    >>> import pandas as pd
    >>> reports = pd.DataFrame({"claim_status": ["claim", "opinion", "claim", "claim"],
    ...                         "author_ban_status": ["active", "active", "banned", "banned"]})
    >>> rates = error_rates_by_group(reports, [0.8, 0.6, 0.9, 0.4], threshold=0.5, by=["author_ban_status"])
    >>> rates.to_frame().set_index("level")[["flag_rate", "recall"]].round(3).to_dict("index")["banned"]
    {'flag_rate': 0.5, 'recall': 0.5}
    """
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise ClaimstatsError("give at least one grouping column")
    require_columns(data, [label, *by])
    p = np.asarray(scores, dtype=float).ravel()
    if len(p) != len(data):
        raise ClaimstatsError(f"scores and rows differ in length ({len(p):,} scores for {len(data):,} rows)")
    if not np.isfinite(p).all():
        raise ClaimstatsError("scores must be finite numbers; found a missing or infinite score")
    if not 0 <= threshold <= 1:
        raise ClaimstatsError(f"threshold must be between 0 and 1; got {threshold}")
    y = claim_labels(data, label)
    flagged = p >= threshold
    frame = pd.DataFrame({"y": y, "flagged": flagged}, index=data.index)
    rows = [_counts("all", "all", frame)]
    for column in by:
        for level, part in frame.groupby(data[column], observed=True, sort=True):
            rows.append(_counts(column, str(level), part))
    rates = pd.DataFrame(rows, columns=["group", "level", "reports", "claims", "flagged", "flagged_claims"])
    rates["claim_share"] = rates["claims"] / rates["reports"]
    for name, k, n in (("flag_rate", "flagged", "reports"), ("recall", "flagged_claims", "claims"),
                       ("precision", "flagged_claims", "flagged")):
        with np.errstate(invalid="ignore", divide="ignore"):
            rates[name] = np.where(rates[n] > 0, rates[k] / rates[n].where(rates[n] > 0, 1), np.nan)
        rates[f"{name}_low"], rates[f"{name}_high"] = clopper_pearson(rates[k], rates[n], alpha)
    return GroupErrorRates(threshold=float(threshold), alpha=alpha, by=tuple(by), rates=rates)


def _counts(group: str, level: str, part: pd.DataFrame) -> tuple:
    claims = part["y"] == 1
    return (group, level, len(part), int(claims.sum()), int(part["flagged"].sum()),
            int((claims & part["flagged"]).sum()))
