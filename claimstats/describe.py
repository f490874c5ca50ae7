"""Analyze: what the cleaned data look like, in tables a report can quote.

Inspect and clean: :func:`overview` (size, dtypes, duplicates) and
:func:`missing_summary`. Explore: :func:`grouped_summary` (count, mean, sd,
quartiles, min, max of numeric columns by categorical ones), :func:`class_balance`,
:func:`crosstab`, :func:`find_outliers` / :func:`cap_outliers` (Tukey's IQR
fences), :func:`engagement_rates` (counts per view) and :func:`correlations`
(Pearson and Spearman side by side).

Conventions shared by every function here:

* quartiles use linear interpolation between order statistics (the default
  of ``pandas.Series.quantile`` and ``numpy.quantile``), and ``sd`` is the
  sample standard deviation (``ddof=1``);
* identifier columns (``#``, ``video_id``) are never summarised unless named;
* missing values are skipped by the statistics and counted, never dropped from
  the caller's frame; no function modifies its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from claimstats.errors import ClaimstatsError, ColumnError, require_columns
from claimstats.schema import COUNT_COLUMNS, ROW_ID, TARGET, VIDEO_ID

__all__ = [
    "MAX_GROUPS",
    "NORMALISATIONS",
    "RATE_COLUMNS",
    "STATISTICS",
    "ZERO_VIEW_POLICIES",
    "ClassBalance",
    "CrossTab",
    "EngagementRates",
    "OutlierReport",
    "Overview",
    "cap_outliers",
    "class_balance",
    "category_levels",
    "correlation_matrix",
    "correlations",
    "crosstab",
    "engagement_rates",
    "find_outliers",
    "grouped_summary",
    "missing_summary",
    "numeric_columns",
    "overview",
]

#: Statistics of :func:`grouped_summary`, in the order its columns appear.
STATISTICS = ("count", "mean", "sd", "min", "q1", "median", "q3", "max")
#: A grouping column with more distinct values than this is not categorical.
MAX_GROUPS = 50
#: How :meth:`CrossTab.table` can turn counts into proportions.
NORMALISATIONS = ("row", "column", "overall")
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
_IDENTIFIERS = (ROW_ID, VIDEO_ID)


# ------------------------------------------------------------- column checks


def _as_list(columns) -> list[str]:
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    return list(columns)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def numeric_columns(data: pd.DataFrame, columns=None, *, exclude=()) -> list[str]:
    """The numeric columns to analyse: the ones named, checked, or all but identifiers.

    Parameters
    ----------
    data : DataFrame
    columns : str or list of str, optional
        Columns to use; each must exist and be numeric. ``None`` picks every
        numeric column except ``#``, ``video_id`` and those in ``exclude``.
    exclude : list of str
        Columns never picked by default (e.g. the grouping columns).

    Raises
    ------
    ColumnError
        A named column is missing or not numeric, or no numeric column is left.

    Examples
    --------
    >>> frame = pd.DataFrame({"#": [1, 2], "views": [10, 20], "label": ["a", "b"]})
    >>> numeric_columns(frame)
    ['views']
    """
    if columns is None:
        skip = set(_IDENTIFIERS) | set(_as_list(exclude))
        picked = [c for c in data.columns if c not in skip and _is_numeric(data[c])]
        if not picked:
            raise ColumnError(f"no numeric column to analyse; columns: {', '.join(map(str, data.columns))}")
        return picked
    picked = list(dict.fromkeys(_as_list(columns)))  # a column named twice is analysed once
    require_columns(data, picked)
    for name in picked:
        if not _is_numeric(data[name]):
            available = ", ".join(c for c in data.columns if _is_numeric(data[c]))
            raise ColumnError(f"column {name!r} is not numeric; numeric columns: {available}")
    return picked


def _check_groupable(data: pd.DataFrame, by: list[str]) -> None:
    """Refuse grouping columns with too many levels to be categories (e.g. the text)."""
    require_columns(data, by)
    for name in by:
        levels = data[name].nunique()
        if levels > MAX_GROUPS:
            usable = ", ".join(c for c in data.columns if data[c].nunique() <= MAX_GROUPS)
            raise ColumnError(
                f"cannot group by {name!r}: it has {levels:,} distinct values (at most {MAX_GROUPS}); "
                f"categorical columns: {usable}"
            )


def category_levels(series: pd.Series) -> list:
    """Levels in display order: a categorical's own order (empty levels included), else sorted.

    Examples
    --------
    >>> category_levels(pd.Series(["b", "a", None, "b"]))
    ['a', 'b']
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    values = series.dropna().unique().tolist()
    try:
        return sorted(values)
    except TypeError:  # mixed types in an object column (1 and "a") do not compare: sort as text
        return sorted(values, key=str)


# ------------------------------------------------------ inspect and clean


@dataclass(frozen=True, eq=False)
class Overview:
    """Size, column types, duplicates and missing values of a frame.

    ``table`` has one row per column: ``column``, ``dtype``, ``non_missing``,
    ``missing`` and ``distinct`` (number of distinct non-missing values).
    ``duplicate_ids`` is ``None`` when the frame has no id column.
    """

    rows: int
    columns: int
    duplicate_rows: int
    duplicate_ids: int | None
    incomplete_rows: int
    table: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def describe(self) -> str:
        """A sentence for a report.

        Examples
        --------
        >>> overview(pd.DataFrame({"video_id": [1, 1], "x": [2.0, None]})).describe()
        '2 rows and 2 columns; 0 duplicate rows; 1 repeated video_id value; 1 row with a missing value.'
        """
        parts = [f"{self.rows:,} rows and {self.columns} columns", f"{self.duplicate_rows:,} duplicate rows"]
        if self.duplicate_ids is not None:
            noun = "value" if self.duplicate_ids == 1 else "values"
            parts.append(f"{self.duplicate_ids:,} repeated {VIDEO_ID} {noun}")
        noun = "row" if self.incomplete_rows == 1 else "rows"
        parts.append(f"{self.incomplete_rows:,} {noun} with a missing value")
        return "; ".join(parts) + "."


def overview(data: pd.DataFrame, *, id_column: str = VIDEO_ID) -> Overview:
    """Rows, columns, dtypes and duplicates: the first look at a file.

    Parameters
    ----------
    data : DataFrame
    id_column : str
        Column whose repeated values are counted as duplicate ids (skipped
        when the frame does not have it).

    Returns
    -------
    Overview
        ``duplicate_rows`` counts rows identical to an earlier row in every
        column; ``duplicate_ids`` rows whose id repeats an earlier row's.

    Examples
    --------
    >>> frame = pd.DataFrame({"video_id": [1, 2, 2], "views": [5, 7, 7]})
    >>> info = overview(frame)
    >>> info.rows, info.duplicate_rows, info.duplicate_ids
    (3, 1, 1)
    """
    table = pd.DataFrame(
        {
            "column": [str(c) for c in data.columns],
            "dtype": [str(t) for t in data.dtypes],
            "non_missing": data.notna().sum().to_numpy(),
            "missing": data.isna().sum().to_numpy(),
            "distinct": data.nunique().to_numpy(),
        }
    )
    ids = int(data[id_column].duplicated().sum()) if id_column in data.columns else None
    return Overview(
        rows=len(data),
        columns=data.shape[1],
        duplicate_rows=int(data.duplicated().sum()),
        duplicate_ids=ids,
        incomplete_rows=int(data.isna().any(axis=1).sum()),
        table=table,
    )


def missing_summary(data: pd.DataFrame, columns=None) -> pd.DataFrame:
    """Missing values per column: ``column``, ``missing`` (count) and ``share`` of rows.

    Examples
    --------
    >>> missing_summary(pd.DataFrame({"a": [1.0, None, 3.0, None], "b": [1, 2, 3, 4]}))
      column  missing  share
    0      a        2    0.5
    1      b        0    0.0
    """
    picked = _as_list(columns) or list(data.columns)
    require_columns(data, picked)
    missing = data[picked].isna().sum()
    share = missing / len(data) if len(data) else missing * np.nan
    return pd.DataFrame({"column": picked, "missing": missing.to_numpy(), "share": share.to_numpy(dtype=float)})


# --------------------------------------------------------- grouped summaries


def grouped_summary(data: pd.DataFrame, columns=None, by=TARGET, *, layout: str = "long") -> pd.DataFrame:
    """Count, mean, sd, min, quartiles and max of numeric columns within groups.

    Parameters
    ----------
    data : DataFrame
    columns : str or list of str, optional
        Numeric columns to summarise (default: every numeric column except the
        identifiers and the grouping columns).
    by : str, list of str or None
        Categorical columns to group by (default ``claim_status``); ``None`` or
        ``[]`` summarises the whole frame. Groups follow the categories' order
        and groups with no rows are left out.
    layout : {"long", "wide"}
        ``"long"`` (tidy): one row per variable and group, with the grouping
        columns, ``variable``, then one column per statistic in
        :data:`STATISTICS`. ``"wide"``: one row per variable and statistic,
        one column per group (levels joined with " / "; ``all`` when
        ungrouped), handy to read groups side by side.

    Returns
    -------
    DataFrame
        ``count`` (an integer) is the number of non-missing values; the other
        statistics are floats; ``sd`` uses ``ddof=1``;
        ``q1``/``q3`` are the 25th/75th percentiles (linear interpolation).

    Examples
    --------
    >>> frame = pd.DataFrame({"claim_status": ["claim", "claim", "opinion"], "views": [10, 30, 5]})
    >>> grouped_summary(frame)[["claim_status", "variable", "count", "mean", "median"]]
      claim_status variable  count  mean  median
    0        claim    views      2  20.0    20.0
    1      opinion    views      1   5.0     5.0
    """
    if layout not in ("long", "wide"):
        raise ClaimstatsError(f"layout must be 'long' or 'wide', got {layout!r}")
    by_columns = list(dict.fromkeys(_as_list(by)))  # grouping twice by a column would clash on reset_index
    _check_groupable(data, by_columns)
    values = numeric_columns(data, columns, exclude=by_columns)
    if by_columns:
        grouped = data.groupby(by_columns, observed=True, sort=True)
    else:  # one group holding every row
        grouped = data.groupby(np.zeros(len(data), dtype=int))
    parts = []
    for name in values:
        series = grouped[name]
        part = pd.DataFrame(
            {
                "count": series.count(),
                "mean": series.mean(),
                "sd": series.std(),
                "min": series.min().astype("float64"),
                "q1": series.quantile(0.25),
                "median": series.median(),
                "q3": series.quantile(0.75),
                "max": series.max().astype("float64"),
            }
        )
        part.insert(0, "variable", name)
        parts.append(part)
    long = pd.concat(parts)
    long = long.reset_index() if by_columns else long.reset_index(drop=True)
    if layout == "long":
        return long
    return _widen(long, by_columns, values)


def _widen(long: pd.DataFrame, by_columns: list[str], values: list[str]) -> pd.DataFrame:
    if by_columns:
        group = long[by_columns].astype(str).agg(" / ".join, axis=1)
    else:
        group = pd.Series("all", index=long.index)
    melted = long.assign(group=group).melt(
        id_vars=["group", "variable"], value_vars=list(STATISTICS), var_name="statistic"
    )
    wide = melted.pivot(index=["variable", "statistic"], columns="group", values="value")
    order = pd.MultiIndex.from_product([values, STATISTICS], names=["variable", "statistic"])
    wide = wide.reindex(index=order, columns=list(dict.fromkeys(group)))
    wide.columns.name = None
    return wide.reset_index()


# ------------------------------------------------ class balance and crosstabs


@dataclass(frozen=True, eq=False)
class ClassBalance:
    """How many rows fall in each level of a categorical column.

    ``table`` has ``level``, ``count`` and ``share`` (of the non-missing rows);
    ``missing`` counts rows with no value.
    """

    column: str
    table: pd.DataFrame = field(repr=False)
    missing: int = 0

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def describe(self) -> str:
        """A sentence for a report.

        Examples
        --------
        >>> class_balance(pd.DataFrame({"claim_status": ["claim"] * 3 + ["opinion"]})).describe()
        'Of 4 videos with a claim_status, 3 (75.0%) are claim and 1 (25.0%) opinion.'
        """
        total = int(self.table["count"].sum())
        missing = f" ({self.missing:,} missing)" if self.missing else ""
        if not total:  # no shares to quote (they would read "nan%")
            return f"No video has a {self.column}{missing}."
        parts = [
            f"{n:,} ({share:.1%}) {'are ' if i == 0 else ''}{level}"
            for i, (level, n, share) in enumerate(self.table.itertuples(index=False))
        ]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"Of {total:,} videos with a {self.column}{missing}, {listed}."


def class_balance(data: pd.DataFrame, column: str = TARGET) -> ClassBalance:
    """Count and share of each level of ``column`` (default ``claim_status``).

    Levels follow the categories' order for a categorical column (empty levels
    included), else they are sorted.

    Examples
    --------
    >>> class_balance(pd.DataFrame({"claim_status": ["claim", "opinion", "claim", None]})).to_frame()
         level  count     share
    0    claim      2  0.666667
    1  opinion      1  0.333333
    """
    _check_groupable(data, [column])
    series = data[column]
    levels = category_levels(series)
    counts = series.value_counts().reindex(levels, fill_value=0)
    total = counts.sum()
    table = pd.DataFrame(
        {
            "level": [str(v) for v in levels],
            "count": counts.to_numpy(dtype="int64"),
            "share": (counts / total).to_numpy(dtype=float) if total else np.full(len(levels), np.nan),
        }
    )
    return ClassBalance(column, table, int(series.isna().sum()))


@dataclass(frozen=True, eq=False)
class CrossTab:
    """Counts of rows by the levels of two categorical columns.

    ``counts`` is the wide table (rows: levels of ``row``; columns: levels of
    ``column``). :meth:`table` gives counts or proportions; :meth:`to_frame`
    the tidy version with every normalisation side by side. ``missing`` counts
    rows left out because either column is missing.
    """

    row: str
    column: str
    counts: pd.DataFrame = field(repr=False)
    missing: int = 0

    def table(self, normalize: str | None = None) -> pd.DataFrame:
        """Counts (``normalize=None``) or proportions that sum to 1 across each
        ``"row"``, down each ``"column"``, or over the whole table (``"overall"``).
        """
        counts = self.counts
        if normalize is None:
            return counts.copy()
        if normalize == "row":
            return counts.div(counts.sum(axis=1), axis=0)
        if normalize == "column":
            return counts.div(counts.sum(axis=0), axis=1)
        if normalize == "overall":
            return counts / counts.to_numpy().sum()
        raise ClaimstatsError(f"normalize must be one of {', '.join(NORMALISATIONS)} or None, got {normalize!r}")

    def to_frame(self) -> pd.DataFrame:
        """One row per pair of levels: the two levels, ``count``, ``row_share``,
        ``column_share`` and ``overall_share``."""
        pairs = pd.MultiIndex.from_product([self.counts.index, self.counts.columns], names=[self.row, self.column])
        long = pd.DataFrame({"count": self.counts.to_numpy().ravel()}, index=pairs)
        for kind in NORMALISATIONS:  # row-major, the order of `pairs`
            long[f"{kind}_share"] = self.table(kind).to_numpy(dtype=float).ravel()
        return long.reset_index()

    def describe(self, level=None) -> str:
        """The share of each ``row`` level that has ``column`` = ``level``
        (default: its last level, e.g. ``banned`` or ``verified``).

        Examples
        --------
        >>> frame = pd.DataFrame({"claim_status": ["claim", "claim", "opinion", "opinion"],
        ...                       "verified_status": ["verified", "not verified", "not verified", "not verified"]})
        >>> crosstab(frame, "claim_status", "verified_status").describe()
        "Share with verified_status 'verified' by claim_status: claim 50.0% (1 of 2), opinion 0.0% (0 of 2)."
        """
        level = self.counts.columns[-1] if level is None else level
        if level not in self.counts.columns:
            available = ", ".join(map(str, self.counts.columns))
            raise ClaimstatsError(f"{self.column} has no level {level!r}; levels: {available}")
        totals = self.counts.sum(axis=1)
        shares = self.table("row")[level]
        parts = [
            f"{name} {shares[name]:.1%} ({self.counts.loc[name, level]:,} of {totals[name]:,})" if totals[name]
            else f"{name} n/a (no videos)"  # an empty categorical level has no share
            for name in self.counts.index
        ]
        return f"Share with {self.column} {str(level)!r} by {self.row}: {', '.join(parts)}."


def crosstab(data: pd.DataFrame, row: str, column: str) -> CrossTab:
    """Cross-tabulate two categorical columns (e.g. ban status by claim status).

    Levels follow the categories' order for categoricals (empty levels kept as
    zero counts), else they are sorted. Rows missing either value are counted
    in ``missing`` and left out of the table.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": ["x", "x", "y"], "b": ["u", "v", "v"]})
    >>> crosstab(frame, "a", "b").table("row")  # doctest: +NORMALIZE_WHITESPACE
    b    u    v
    a
    x  0.5  0.5
    y  0.0  1.0
    """
    _check_groupable(data, [row, column])
    if row == column:
        raise ClaimstatsError(f"crosstab needs two different columns, got {row!r} twice")
    complete = data[[row, column]].dropna()
    counts = pd.DataFrame(
        0,
        index=pd.Index(category_levels(data[row]), name=row),
        columns=pd.Index(category_levels(data[column]), name=column),
    )
    observed = complete.groupby([row, column], observed=True).size()
    for (r, c), n in observed.items():
        counts.loc[r, c] = int(n)
    return CrossTab(row, column, counts, int(len(data) - len(complete)))


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
    numerators = numeric_columns(data, _as_list(counts))
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
