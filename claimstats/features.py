"""Analyze the numeric features: outliers, engagement rates and correlations.

:func:`find_outliers` / :func:`cap_outliers` (Tukey's IQR fences),
:func:`engagement_rates` (counts per view) and :func:`correlations`
(Pearson and Spearman side by side; :func:`correlation_matrix` for one method).

Conventions shared by every function here (the same as in :mod:`claimstats.describe`):

* quartiles use linear interpolation between order statistics (the default
  of ``pandas.Series.quantile`` and ``numpy.quantile``);
* identifier columns (``#``, ``video_id``) are never used unless named;
* missing values are skipped by the statistics (``n`` says how many values
  were used) and give missing rates, never dropped from the caller's frame; no
  function modifies its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from claimstats.column_checks import as_column_list, numeric_columns
from claimstats.errors import ClaimstatsError, ColumnError, require_columns
from claimstats.schema import COUNT_COLUMNS

__all__ = [
    "RATE_COLUMNS",
    "ZERO_VIEW_POLICIES",
    "EngagementRates",
    "OutlierReport",
    "cap_outliers",
    "correlation_matrix",
    "correlations",
    "engagement_rates",
    "find_outliers",
]

#: Engagement count → name of its per-view rate column.
RATE_COLUMNS = {
    "video_like_count": "likes_per_view",
    "video_share_count": "shares_per_view",
    "video_download_count": "downloads_per_view",
    "video_comment_count": "comments_per_view",
}
VIEWS = COUNT_COLUMNS[0]
#: What a rate is for a video with zero views: missing (``"nan"``) or ``"zero"``.
ZERO_VIEW_POLICIES = ("nan", "zero")


# ---------------------------------------------------------------- outliers


@dataclass(frozen=True, eq=False)
class OutlierReport:
    """Tukey's IQR fences per column and how many values fall outside them.

    ``table`` has one row per column: ``column``, ``q1``, ``q3``, ``iqr``,
    ``lower`` (= q1 − k·iqr), ``upper`` (= q3 + k·iqr), ``n`` (non-missing
    values), ``below``, ``above``, ``outliers`` and ``share`` (outliers / n).
    """

    k: float
    table: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def bounds(self, column: str) -> tuple[float, float]:
        """``(lower, upper)`` fences of one column."""
        row = self.table.loc[self.table["column"] == column]
        if row.empty:
            raise ColumnError(f"no fences for {column!r}; columns: {', '.join(self.table['column'])}")
        return float(row["lower"].iloc[0]), float(row["upper"].iloc[0])

    def flags(self, data: pd.DataFrame) -> pd.DataFrame:
        """A boolean frame: True where a value lies outside its column's fences."""
        columns = list(self.table["column"])
        require_columns(data, columns)
        lower = self.table.set_index("column")["lower"]
        upper = self.table.set_index("column")["upper"]
        return data[columns].lt(lower, axis=1) | data[columns].gt(upper, axis=1)

    def cap(self, data: pd.DataFrame) -> pd.DataFrame:
        """A new frame with values outside the fences set to the nearest fence.

        Every row is kept; capped columns become ``float64`` because fences are
        generally fractional. Missing values stay missing.
        """
        columns = list(self.table["column"])
        require_columns(data, columns)
        out = data.copy()
        for name, lower, upper in self.table[["column", "lower", "upper"]].itertuples(index=False):
            out[name] = out[name].astype("float64").clip(lower, upper)
        return out

    def describe(self) -> str:
        """A sentence for a report.

        Examples
        --------
        >>> find_outliers(pd.DataFrame({"views": [1, 2, 3, 4, 100]})).describe()
        'Outside the 1.5 × IQR fences: views 1 of 5 (20.0%).'
        """
        parts = [
            f"{name} {int(out):,} of {int(n):,} ({share:.1%})"
            for name, n, out, share in self.table[["column", "n", "outliers", "share"]].itertuples(index=False)
        ]
        return f"Outside the {self.k:g} × IQR fences: {', '.join(parts)}."


def find_outliers(data: pd.DataFrame, columns=None, *, k: float = 1.5) -> OutlierReport:
    """Report values beyond Tukey's fences, q1 − k·IQR and q3 + k·IQR, per column.

    Nothing is dropped or changed: use :meth:`OutlierReport.flags` to mark the
    rows, or :func:`cap_outliers` to winsorise at the fences.

    Parameters
    ----------
    data : DataFrame
    columns : str or list of str, optional
        Numeric columns (default: every numeric column except identifiers).
    k : float
        Fence multiplier: 1.5 for Tukey's outliers, 3 for "far out" values.

    Examples
    --------
    >>> report = find_outliers(pd.DataFrame({"views": [1, 2, 3, 4, 100]}))
    >>> report.bounds("views")
    (-1.0, 7.0)
    """
    if not np.isfinite(k) or k < 0:
        raise ClaimstatsError(f"the IQR multiplier k must be a non-negative number, got {k!r}")
    rows = []
    for name in numeric_columns(data, columns):
        values = data[name].astype("float64")
        q1, q3 = values.quantile(0.25), values.quantile(0.75)
        iqr = q3 - q1
        lower, upper = q1 - k * iqr, q3 + k * iqr
        n = int(values.notna().sum())
        below, above = int((values < lower).sum()), int((values > upper).sum())
        rows.append((name, q1, q3, iqr, lower, upper, n, below, above, below + above, (below + above) / n if n else np.nan))
    table = pd.DataFrame(
        rows, columns=["column", "q1", "q3", "iqr", "lower", "upper", "n", "below", "above", "outliers", "share"]
    )
    return OutlierReport(float(k), table)


def cap_outliers(data: pd.DataFrame, columns=None, *, k: float = 1.5) -> tuple[pd.DataFrame, OutlierReport]:
    """Winsorise: a new frame with each value clipped to its column's IQR fences.

    Returns ``(capped frame, report)``; the report describes the values before
    capping. No row is dropped and the input is not modified.

    Examples
    --------
    >>> capped, report = cap_outliers(pd.DataFrame({"views": [1, 2, 3, 4, 100]}))
    >>> capped["views"].tolist(), report.bounds("views")
    ([1.0, 2.0, 3.0, 4.0, 7.0], (-1.0, 7.0))
    """
    report = find_outliers(data, columns, k=k)
    return report.cap(data), report


# ------------------------------------------------------------- engagement


@dataclass(frozen=True, eq=False)
class EngagementRates:
    """The input frame with per-view rate columns added.

    ``columns`` names the added columns (see :data:`RATE_COLUMNS`);
    ``zero_view_rows`` counts videos with zero views, whose rates follow
    ``zero_views`` (``"nan"``: missing, ``"zero"``: 0).
    """

    frame: pd.DataFrame = field(repr=False)
    columns: tuple[str, ...]
    zero_view_rows: int
    zero_views: str

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def describe(self) -> str:
        """A sentence for a report.

        Examples
        --------
        >>> frame = pd.DataFrame({"video_view_count": [10, 0], "video_like_count": [5, 1]})
        >>> engagement_rates(frame, counts=["video_like_count"]).describe()
        'Added 1 per-view rate (likes_per_view); 1 video has zero views, so its rates are missing.'
        """
        noun = "rate" if len(self.columns) == 1 else "rates"
        videos = "video has" if self.zero_view_rows == 1 else "videos have"
        its = "its" if self.zero_view_rows == 1 else "their"
        value = "missing" if self.zero_views == "nan" else "set to 0"
        return (
            f"Added {len(self.columns)} per-view {noun} ({', '.join(self.columns)}); "
            f"{self.zero_view_rows:,} {videos} zero views, so {its} rates are {value}."
        )


def engagement_rates(
    data: pd.DataFrame, *, counts=tuple(RATE_COLUMNS), views: str = VIEWS, zero_views: str = "nan"
) -> EngagementRates:
    """Likes, shares, downloads and comments per view, as new columns.

    Parameters
    ----------
    data : DataFrame
    counts : list of str
        Count columns to divide by views (default: the four in :data:`RATE_COLUMNS`;
        other columns get ``<name>_per_view``).
    views : str
        The denominator column.
    zero_views : {"nan", "zero"}
        A rate is undefined for a video nobody watched: ``"nan"`` (default)
        leaves it missing so it cannot pull a mean down; ``"zero"`` sets it to 0.

    Examples
    --------
    >>> frame = pd.DataFrame({"video_view_count": [200, 0], "video_like_count": [50, 0]})
    >>> engagement_rates(frame, counts=["video_like_count"], zero_views="zero").frame["likes_per_view"].tolist()
    [0.25, 0.0]
    """
    if zero_views not in ZERO_VIEW_POLICIES:
        raise ClaimstatsError(f"zero_views must be one of {', '.join(ZERO_VIEW_POLICIES)}, got {zero_views!r}")
    numerators = numeric_columns(data, as_column_list(counts))
    denominator = numeric_columns(data, [views])[0]
    if (data[denominator] < 0).any():
        raise ClaimstatsError(f"column {denominator!r} has negative values; a view count cannot be negative")
    view_values = data[denominator].to_numpy(dtype="float64")
    zero = view_values == 0
    fill = np.nan if zero_views == "nan" else 0.0
    out = data.copy()
    added = []
    for name in numerators:
        rate_name = RATE_COLUMNS.get(name, f"{name}_per_view")
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = data[name].to_numpy(dtype="float64") / view_values
        out[rate_name] = np.where(zero, fill, rate)
        added.append(rate_name)
    return EngagementRates(out, tuple(added), int(zero.sum()), zero_views)


# ------------------------------------------------------------ correlation


def correlation_matrix(data: pd.DataFrame, columns=None, *, method: str = "pearson") -> pd.DataFrame:
    """Square matrix of ``"pearson"`` or ``"spearman"`` correlations (pairwise complete rows).

    Examples
    --------
    >>> float(correlation_matrix(pd.DataFrame({"a": [1, 2, 3], "b": [3, 2, 1]})).loc["a", "b"])
    -1.0
    """
    if method not in ("pearson", "spearman"):
        raise ClaimstatsError(f"method must be 'pearson' or 'spearman', got {method!r}")
    picked = numeric_columns(data, columns)
    if len(picked) < 2:
        raise ClaimstatsError(f"correlation needs at least two numeric columns, got {picked}")
    return data[picked].astype("float64").corr(method=method)


def correlations(data: pd.DataFrame, columns=None) -> pd.DataFrame:
    """Every pair of numeric columns with its Pearson and Spearman coefficient.

    Returns a tidy frame with ``x``, ``y``, ``n`` (rows where both are present),
    ``pearson_r`` and ``spearman_rho``, one row per unordered pair in column
    order. Spearman's rho is Pearson's r on ranks (ties get their mean rank):
    it measures monotone association and shrugs off a few huge counts.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 4, 9, 16], "c": [4, 3, 2, 1]})
    >>> correlations(frame, ["a", "b"])[["x", "y", "spearman_rho"]]
       x  y  spearman_rho
    0  a  b           1.0
    """
    pearson = correlation_matrix(data, columns, method="pearson")
    spearman = correlation_matrix(data, columns, method="spearman")
    picked = list(pearson.columns)
    present = data[picked].notna().to_numpy(dtype="int64")
    both = present.T @ present
    rows = [
        (a, b, int(both[i, j]), float(pearson.iloc[i, j]), float(spearman.iloc[i, j]))
        for i, a in enumerate(picked)
        for j, b in enumerate(picked)
        if j > i
    ]
    return pd.DataFrame(rows, columns=["x", "y", "n", "pearson_r", "spearman_rho"])
