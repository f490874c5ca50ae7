"""Analyze: the case's figures, in the house style of :mod:`claimstats.figure_style`.

Every figure function takes the (clean) frame and column names and returns a
:class:`~claimstats.figure_style.FigureResult`: the matplotlib figure and a
one-sentence ``alt`` text describing what it shows, with the numbers it shows.
:data:`FIGURES` names them for ``claimstats plot --kind``; :func:`make_figure`
draws one by that name.

Examples
--------
>>> from claimstats import clean, load
>>> tidy, _ = clean(load("synthetic:1", rows=400).frame)
>>> result = plot_class_balance(tidy)
>>> result.alt.startswith("Bar chart of videos by claim status:")
True
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import cbook
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter, StrMethodFormatter

from claimstats import column_checks, describe, features
from claimstats.errors import ClaimstatsError, require_columns
from claimstats.figure_style import (
    LEVEL_PHRASES,
    FigureResult,
    axis_label,
    colors_for,
    column_noun,
    column_unit,
    group_phrase,
    join_phrases,
    new_figure,
    round_for_prose,
    set_log_scale,
    wants_log_scale,
)
from claimstats.schema import BAN, COUNT_COLUMNS, TARGET, VERIFIED

__all__ = [
    "FIGURES",
    "make_figure",
    "plot_ban_by_class",
    "plot_class_balance",
    "plot_correlation_heatmap",
    "plot_distribution",
    "plot_scatter",
    "plot_status_by_class",
    "plot_verified_by_class",
]

# Box plots lie along the x axis: `orientation` since matplotlib 3.10, `vert` before.
_HORIZONTAL = {"orientation": "horizontal"} if "orientation" in inspect.signature(Axes.bxp).parameters else {"vert": False}


# ------------------------------------------------------------ data helpers


def _groups(data: pd.DataFrame, column: str, by: str) -> list[tuple[object, np.ndarray]]:
    """Non-missing values of ``column`` per level of ``by``, in level order, empty levels left out."""
    column_checks.numeric_columns(data, [column])
    require_columns(data, [by])
    if data[by].nunique() > column_checks.MAX_GROUPS:
        raise ClaimstatsError(f"cannot colour by {by!r}: it has {data[by].nunique():,} distinct values")
    out = []
    for level in column_checks.category_levels(data[by]):
        values = data.loc[data[by] == level, column].dropna().to_numpy(dtype="float64")
        if len(values):
            out.append((level, values))
    if not out:
        raise ClaimstatsError(f"no rows with both {column!r} and {by!r} to plot")
    return out


def _bin_edges(values: np.ndarray, log: bool, bins: int) -> np.ndarray:
    if not log:
        return np.histogram_bin_edges(values, bins=bins)
    positive = values[values > 0]
    edges = np.geomspace(positive.min(), positive.max(), bins + 1)
    if np.array_equal(values, np.round(values)):
        # Counts: put edges halfway between whole numbers, else a narrow log bin at
        # the low end can fall between two counts and show as a false gap.
        edges = np.unique(np.concatenate([np.round(edges) - 0.5, [positive.max() + 0.5]]))
    # Zeros get their own bin, from 0 to the first positive edge.
    return np.concatenate([[0.0], edges]) if (values == 0).any() else edges


def _thousands(axis) -> None:
    """Tick labels with thousands separators (2,000 rather than 2000)."""
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


# ----------------------------------------------------------------- figures


def plot_distribution(
    data: pd.DataFrame, column: str = COUNT_COLUMNS[0], by: str = TARGET, *, log: bool | None = None, bins: int = 40
) -> FigureResult:
    """Histogram of a numeric column by group, with a box plot panel on the same axis.

    Parameters
    ----------
    data : DataFrame
    column : str
        Numeric column (default ``video_view_count``).
    by : str
        Categorical column whose levels get one colour each (default ``claim_status``).
    log : bool, optional
        Log axis; by default when the positive values span at least two orders
        of magnitude. Zeros then get a bin of their own at the left
        (symmetric-log axis).
    bins : int
        Number of bins.

    Examples
    --------
    >>> frame = pd.DataFrame({"claim_status": ["claim"] * 3 + ["opinion"] * 3,
    ...                       "video_view_count": [1e5, 5e5, 9e5, 1e3, 5e3, 9e3]})
    >>> plot_distribution(frame).alt
    'Histogram and box plot of views by claim status, log scale: claim videos are centred near 500,000 views and opinion videos near 5,000 (medians).'
    """
    groups = _groups(data, column, by)
    values = np.concatenate([v for _, v in groups])
    log = wants_log_scale(values, log, column)
    edges = _bin_edges(values, log, bins)
    figure, (hist_ax, box_ax) = new_figure(2, 1, height=4.5, sharex=True, gridspec_kw={"height_ratios": [3, 1.2]})
    levels = [level for level, _ in groups]
    colors = colors_for(levels)
    for (level, vals), color in zip(groups, colors):
        hist_ax.hist(vals, bins=edges, histtype="stepfilled", alpha=0.45, color=color, edgecolor=color,
                     linewidth=1.0, label=f"{level} (n = {len(vals):,})")
    hist_ax.set_ylabel("Videos")
    hist_ax.legend(title=axis_label(by))
    stats = cbook.boxplot_stats([v for _, v in groups], labels=[str(level) for level in levels])
    boxes = box_ax.bxp(stats, **_HORIZONTAL, patch_artist=True, widths=0.6,
                       flierprops={"marker": ".", "markersize": 2, "alpha": 0.3},
                       medianprops={"color": "black"})
    for patch, color in zip(boxes["boxes"], colors):
        patch.set_facecolor(color)
        patch.set_alpha(0.6)
    box_ax.invert_yaxis()  # first level on top, as in the legend
    if log:
        set_log_scale(hist_ax, "x", values, linthresh=edges[1] if (values == 0).any() else None)
    _thousands(hist_ax.yaxis)
    box_ax.set_xlabel(axis_label(column, log=log))
    box_ax.set_ylabel(axis_label(by))
    unit = f" {column_unit(column)}" if column_unit(column) else ""
    medians = [
        f"{group_phrase(by, level)} are centred near {round_for_prose(float(np.median(vals)))}{unit}" if i == 0
        else f"{group_phrase(by, level)} near {round_for_prose(float(np.median(vals)))}"
        for i, (level, vals) in enumerate(groups)
    ]
    scale = ", log scale" if log else ""
    alt = (f"Histogram and box plot of {column_noun(column)} by {column_noun(by)}{scale}: "
           f"{join_phrases(medians)} (medians).")
    return FigureResult(figure, alt)


def plot_class_balance(data: pd.DataFrame, column: str = TARGET) -> FigureResult:
    """Horizontal bar chart of the number of videos in each level, labelled with count and share.

    Examples
    --------
    >>> frame = pd.DataFrame({"claim_status": ["claim"] * 3 + ["opinion"]})
    >>> plot_class_balance(frame).alt
    'Bar chart of videos by claim status: 3 claim (75.0%) and 1 opinion (25.0%).'
    """
    table = describe.class_balance(data, column).to_frame()
    if not table["count"].sum():
        raise ClaimstatsError(f"no rows with a {column!r} value to plot")
    figure, ax = new_figure(height=2.2 + 0.3 * len(table))
    bars = ax.barh(table["level"], table["count"], color=colors_for(table["level"]), height=0.6)
    ax.bar_label(bars, labels=[f"{n:,} ({s:.1%})" for n, s in zip(table["count"], table["share"])], padding=4)
    ax.invert_yaxis()
    ax.set_xlabel("Videos")
    _thousands(ax.xaxis)
    ax.set_ylabel(axis_label(column))
    ax.margins(x=0.15)
    parts = [f"{n:,} {level} ({s:.1%})" for level, n, s in table.itertuples(index=False)]
    return FigureResult(figure, f"Bar chart of videos by {column_noun(column)}: {join_phrases(parts)}.")


def plot_status_by_class(data: pd.DataFrame, status: str = BAN, by: str = TARGET, *, highlight=None) -> FigureResult:
    """Grouped bars: the share of each ``by`` group's videos in each level of ``status``.

    Bars of one ``by`` level sum to 100 %. The alt text quotes the shares of
    ``highlight`` (default: the last level of ``status``, e.g. ``banned``).

    Examples
    --------
    >>> frame = pd.DataFrame({"claim_status": ["claim", "claim", "opinion", "opinion"],
    ...                       "author_ban_status": ["banned", "active", "active", "active"]})
    >>> plot_status_by_class(frame).alt
    'Bar chart of author ban status within each claim status: 50.0% of claim videos and 0.0% of opinion videos are by banned authors.'
    """
    table = describe.crosstab(data, by, status)
    shares = table.table("row").dropna(how="all") * 100
    if shares.empty:
        raise ClaimstatsError(f"no rows with both {by!r} and {status!r} to plot")
    highlight = shares.columns[-1] if highlight is None else highlight
    if highlight not in shares.columns:
        raise ClaimstatsError(f"{status} has no level {highlight!r}; levels: {', '.join(map(str, shares.columns))}")
    figure, ax = new_figure(height=3.5)
    positions = np.arange(len(shares.columns))
    width = 0.8 / len(shares.index)
    for i, (level, color) in enumerate(zip(shares.index, colors_for(shares.index))):
        offset = (i - (len(shares.index) - 1) / 2) * width
        bars = ax.bar(positions + offset, shares.loc[level], width=width, color=color, label=str(level))
        ax.bar_label(bars, fmt="%.1f%%", padding=2, fontsize="small")
    ax.set_xticks(positions, [str(c) for c in shares.columns])
    ax.set_xlabel(axis_label(status))
    ax.set_ylabel(f"Videos (% of each {'class' if by == TARGET else 'group'})")
    ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.margins(y=0.12)
    ax.legend(title=axis_label(by))
    parts = [f"{shares.loc[level, highlight]:.1f}% of {group_phrase(by, level)}" for level in shares.index]
    what = LEVEL_PHRASES.get((status, str(highlight)), f"with {status} {str(highlight)!r}")
    alt = f"Bar chart of {column_noun(status)} within each {column_noun(by)}: {join_phrases(parts)} are {what}."
    return FigureResult(figure, alt)


def plot_ban_by_class(data: pd.DataFrame, by: str = TARGET) -> FigureResult:
    """Author ban status within each class (see :func:`plot_status_by_class`)."""
    return plot_status_by_class(data, BAN, by)


def plot_verified_by_class(data: pd.DataFrame, by: str = TARGET) -> FigureResult:
    """Verified status within each class (see :func:`plot_status_by_class`)."""
    return plot_status_by_class(data, VERIFIED, by)


def plot_correlation_heatmap(data: pd.DataFrame, columns=None, *, method: str = "pearson") -> FigureResult:
    """Lower-triangle heatmap of the correlations between numeric columns, annotated.

    Examples
    --------
    >>> frame = pd.DataFrame({"video_view_count": [1, 2, 3, 4], "video_like_count": [1, 3, 2, 4],
    ...                       "video_duration_sec": [4, 1, 1, 4]})
    >>> plot_correlation_heatmap(frame).alt
    'Heatmap of Pearson correlations between views, likes and duration (seconds): the strongest pair is views and likes (r = 0.80), the weakest views and duration (seconds) (r = 0.00).'
    """
    matrix = features.correlation_matrix(data, columns, method=method)
    names = [axis_label(c) for c in matrix.columns]
    symbol = "r" if method == "pearson" else "rho"
    # Lower triangle without the diagonal of ones: row i against columns 0..i-1.
    lower = matrix.set_axis(names, axis=0).set_axis(names, axis=1).iloc[1:, :-1]
    hidden = np.triu(np.ones(lower.shape, dtype=bool), k=1)
    text = lower.map(lambda v: f"{v:.2f}".replace("-0.00", "0.00"))
    figure, ax = new_figure(height=5.0)
    sns.heatmap(
        lower, mask=hidden, vmin=-1, vmax=1, center=0, cmap="vlag", annot=text.to_numpy(), fmt="", square=True,
        linewidths=0.5, cbar_kws={"label": f"{method.capitalize()} {symbol}", "shrink": 0.8}, ax=ax,
    )
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    key = "pearson_r" if method == "pearson" else "spearman_rho"
    pairs = features.correlations(data, list(matrix.columns)).dropna(subset=[key])
    if pairs.empty:
        raise ClaimstatsError("no pair of columns has a defined correlation (constant columns?)")
    coefficient = pairs[key]
    strongest, weakest = pairs.loc[coefficient.abs().idxmax()], pairs.loc[coefficient.abs().idxmin()]

    def pair(row, value):
        shown = f"{value:.2f}".replace("-0.00", "0.00")
        return f"{axis_label(row['x']).lower()} and {axis_label(row['y']).lower()} ({symbol} = {shown})"

    listed = join_phrases([n.lower() for n in names])
    if len(pairs) == 1:  # strongest and weakest would name the same pair twice
        alt = f"Heatmap of {method.capitalize()} correlations between {listed}: {pair(strongest, coefficient[strongest.name])}."
    else:
        alt = (
            f"Heatmap of {method.capitalize()} correlations between {listed}: the strongest pair is "
            f"{pair(strongest, coefficient[strongest.name])}, the weakest {pair(weakest, coefficient[weakest.name])}."
        )
    return FigureResult(figure, alt)


def plot_scatter(
    data: pd.DataFrame,
    x: str = COUNT_COLUMNS[0],
    y: str = COUNT_COLUMNS[1],
    by: str = TARGET,
    *,
    log: bool | None = None,
    max_points: int = 5000,
    seed: int = 0,
) -> FigureResult:
    """Scatter plot of two numeric columns coloured by group; a seeded random sample when large.

    Points are drawn in random order so that no group hides another. ``log``
    applies to both axes (default: each axis whose values span two orders of
    magnitude); zeros stay visible on a symmetric-log axis.

    Examples
    --------
    >>> frame = pd.DataFrame({"claim_status": ["claim"] * 2 + ["opinion"] * 2,
    ...                       "video_view_count": [1e5, 9e5, 1e3, 9e3], "video_like_count": [2e4, 2e5, 100, 900]})
    >>> plot_scatter(frame).alt  # doctest: +ELLIPSIS
    'Scatter plot of likes against views, log axes, for all 4 videos: claim videos are centred near 500,000 views and 110,000 likes...'
    """
    if max_points < 1:
        raise ClaimstatsError(f"max_points must be at least 1, got {max_points}")
    if seed != int(seed) or seed < 0:
        raise ClaimstatsError(f"seed must be a non-negative integer, got {seed}")
    column_checks.numeric_columns(data, [x, y])
    require_columns(data, [by])
    complete = data[[x, y, by]].dropna()
    if complete.empty:
        raise ClaimstatsError(f"no rows with {x!r}, {y!r} and {by!r} all present to plot")
    shown = complete.sample(n=min(max_points, len(complete)), random_state=seed)
    xs, ys = shown[x].to_numpy(dtype="float64"), shown[y].to_numpy(dtype="float64")
    log_x, log_y = wants_log_scale(xs, log, x), wants_log_scale(ys, log, y)
    levels = [level for level in column_checks.category_levels(complete[by]) if (shown[by] == level).any()]
    color_of = dict(zip(levels, colors_for(levels)))
    figure, ax = new_figure(height=5.0)
    ax.scatter(xs, ys, c=[color_of[v] for v in shown[by]], s=6, alpha=0.5, linewidths=0, rasterized=len(shown) > 2000)
    if log_x:
        set_log_scale(ax, "x", xs)
    if log_y:
        set_log_scale(ax, "y", ys)
    ax.set_xlabel(axis_label(x, log=log_x))
    ax.set_ylabel(axis_label(y, log=log_y))
    handles = [Line2D([], [], marker="o", linestyle="", color=color_of[level], label=str(level)) for level in levels]
    ax.legend(handles=handles, title=axis_label(by))
    parts = []
    for i, level in enumerate(levels):
        group = shown[shown[by] == level]
        verb = " are centred" if i == 0 else ""
        parts.append(f"{group_phrase(by, level)}{verb} near {round_for_prose(group[x].median())} {column_unit(x)} "
                     f"and {round_for_prose(group[y].median())} {column_unit(y)}".replace("  ", " "))
    axes_kind = "log axes" if log_x and log_y else "log x axis" if log_x else "log y axis" if log_y else "linear axes"
    sample = (f"a random sample of {len(shown):,} of {len(complete):,} videos (seed {seed})"
              if len(shown) < len(complete) else f"all {len(shown):,} videos")
    alt = (f"Scatter plot of {column_noun(y)} against {column_noun(x)}, {axes_kind}, for {sample}: "
           f"{'; '.join(parts)} (medians).")
    return FigureResult(figure, alt)


#: The figures by short name, as ``claimstats plot --kind`` knows them.
FIGURES = {
    "views": plot_distribution,
    "balance": plot_class_balance,
    "ban": plot_ban_by_class,
    "verified": plot_verified_by_class,
    "corr": plot_correlation_heatmap,
    "scatter": plot_scatter,
}


def make_figure(kind: str, data: pd.DataFrame, **options) -> FigureResult:
    """The figure named ``kind`` (a key of :data:`FIGURES`), drawn from ``data``.

    Examples
    --------
    >>> make_figure("pie", pd.DataFrame())
    Traceback (most recent call last):
    ...
    claimstats.errors.ClaimstatsError: unknown figure 'pie'; figures: views, balance, ban, verified, corr, scatter
    """
    if kind not in FIGURES:
        raise ClaimstatsError(f"unknown figure {kind!r}; figures: {', '.join(FIGURES)}")
    return FIGURES[kind](data, **options)
