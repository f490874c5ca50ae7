"""Analyze: what the cleaned data look like, in tables a report can quote.

Inspect and clean: :func:`overview` (size, dtypes, duplicates) and
:func:`missing_summary`. Explore: :func:`grouped_summary` (count, mean, sd,
quartiles, min, max of numeric columns by categorical ones), :func:`class_balance`
and :func:`crosstab`. Outliers, engagement rates and correlations are in
:mod:`claimstats.features`; which columns are analysed is decided in
:mod:`claimstats.column_checks`.

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

from claimstats.column_checks import as_column_list, category_levels, check_groupable, numeric_columns
from claimstats.errors import ClaimstatsError, require_columns
from claimstats.schema import NULLABLE, TARGET, VIDEO_ID

__all__ = [
    "NORMALISATIONS",
    "STATISTICS",
    "ClassBalance",
    "CrossTab",
    "Overview",
    "class_balance",
    "crosstab",
    "grouped_summary",
    "missing_summary",
    "overview",
]

#: Statistics of :func:`grouped_summary`, in the order its columns appear.
STATISTICS = ("count", "mean", "sd", "min", "q1", "median", "q3", "max")
#: How :meth:`CrossTab.table` can turn counts into proportions.
NORMALISATIONS = ("row", "column", "overall")


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
    picked = as_column_list(columns) or list(data.columns)
    require_columns(data, picked)
    missing = data[picked].isna().sum()
    share = missing / len(data) if len(data) else missing * np.nan
    return pd.DataFrame({"column": picked, "missing": missing.to_numpy(), "share": share.to_numpy(dtype=float)})


def missing_pattern(data: pd.DataFrame, label: str = TARGET) -> str:
    """Where the missing values sit, as a clause for a report: in the same rows as a missing ``label``, or scattered.

    Examples
    --------
    >>> frame = pd.DataFrame({"claim_status": ["claim", None, "opinion"], "views": [5.0, None, 7.0]})
    >>> missing_pattern(frame)
    'they are not scattered: the same 1 rows lack the label and views'
    >>> missing_pattern(frame.assign(views=[None, None, 7.0]))
    '2 rows have at least one missing value, 1 of them without a label'
    """
    require_columns(data, [label])
    incomplete = data.isna().any(axis=1)
    unlabelled = data[label].isna()
    gaps = [c for c in data.columns if data[c].isna().any()]
    if unlabelled.any() and incomplete.equals(unlabelled) and bool(data.loc[unlabelled, gaps].isna().all(axis=None)):
        others = [c for c in gaps if c != label]
        what = (", the transcription and every engagement count" if set(gaps) == set(NULLABLE) and label == TARGET
                else "".join(f", {c}" for c in others[:-1]) + (f" and {others[-1]}" if others else ""))
        return f"they are not scattered: the same {int(unlabelled.sum()):,} rows lack the label{what}"
    return f"{int(incomplete.sum()):,} rows have at least one missing value, {int(unlabelled.sum()):,} of them without a label"


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
    by_columns = list(dict.fromkeys(as_column_list(by)))  # grouping twice by a column would clash on reset_index
    check_groupable(data, by_columns)
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
    check_groupable(data, [column])
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
    check_groupable(data, [row, column])
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
