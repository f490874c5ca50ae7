"""Analyze: the case's figures, in one house style, each with alt text computed from the data.

Every figure function takes the (clean) frame and column names and returns a
:class:`FigureResult`: the matplotlib figure and a one-sentence ``alt`` text
describing what it shows, with the numbers it shows.

The house style, for any module that draws figures (the classifier figures use it too):

* :func:`apply_style` sets the seaborn theme and the colour-blind-safe
  palette :data:`PALETTE` (seaborn ``"colorblind"``);
* :data:`CLASS_COLORS` fixes the colour of ``claim`` and ``opinion`` in every
  figure; :func:`colors_for` extends it to any list of levels;
* :func:`new_figure` makes a figure :data:`BOOK_WIDTH` inches wide (readable
  at book width) with the style applied; :func:`axis_label` words a column
  for an axis ("Views (log scale)").

Figures are created with :class:`matplotlib.figure.Figure`, not
``pyplot``: pyplot keeps every figure it makes until it is closed, so a
loop over many figures would leak. Ours are freed like any object once the
last reference goes. A :class:`FigureResult` shows itself in Jupyter (and so
in the Quarto book) as a PNG; :meth:`FigureResult.save` writes a file.

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
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import cbook
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, PercentFormatter, StrMethodFormatter

from claimstats import column_checks, describe, features
from claimstats.errors import ClaimstatsError, require_columns
from claimstats.schema import BAN, COUNT_COLUMNS, DURATION, TARGET, VERIFIED

__all__ = [
    "BOOK_WIDTH",
    "CLASS_COLORS",
    "FIGURES",
    "FIGURE_FORMATS",
    "PALETTE",
    "FigureResult",
    "apply_style",
    "axis_label",
    "colors_for",
    "figure_format",
    "make_figure",
    "new_figure",
    "plot_ban_by_class",
    "plot_class_balance",
    "plot_correlation_heatmap",
    "plot_distribution",
    "plot_scatter",
    "plot_status_by_class",
    "plot_verified_by_class",
]

#: Width of a figure that fills the book's text column, in inches.
BOOK_WIDTH = 7.0
#: The colour-blind-safe palette every figure draws from (seaborn "colorblind", as RGB tuples).
PALETTE = tuple(tuple(float(v) for v in rgb) for rgb in sns.color_palette("colorblind"))
#: Claim and opinion keep their colour in every figure: vermillion and blue.
CLASS_COLORS = {"claim": PALETTE[3], "opinion": PALETTE[0]}
# Box plots lie along the x axis: `orientation` since matplotlib 3.10, `vert` before.
_HORIZONTAL = {"orientation": "horizontal"} if "orientation" in inspect.signature(Axes.bxp).parameters else {"vert": False}
_SAVE_DPI = 200
#: File formats :meth:`FigureResult.save` writes (each keeps the alt text in its metadata).
FIGURE_FORMATS = ("png", "svg", "pdf")
_SCREEN_DPI = 100
# Words for columns: (axis label, what it is in prose, its unit in prose). Others fall back to their name.
_WORDS = {
    "video_view_count": ("Views", "views", "views"),
    "video_like_count": ("Likes", "likes", "likes"),
    "video_share_count": ("Shares", "shares", "shares"),
    "video_download_count": ("Downloads", "downloads", "downloads"),
    "video_comment_count": ("Comments", "comments", "comments"),
    DURATION: ("Duration (seconds)", "duration", "seconds"),
    TARGET: ("Claim status", "claim status", ""),
    VERIFIED: ("Verified status", "verified status", ""),
    BAN: ("Author ban status", "author ban status", ""),
    **{
        rate: (rate.replace("_", " ").capitalize(), rate.replace("_", " "), rate.replace("_", " "))
        for rate in features.RATE_COLUMNS.values()
    },
}
# How a level reads after "videos ..." in alt text.
_LEVEL_PHRASES = {
    (VERIFIED, "verified"): "from verified accounts",
    (VERIFIED, "not verified"): "from unverified accounts",
    (BAN, "active"): "by active authors",
    (BAN, "under review"): "by authors under review",
    (BAN, "banned"): "by banned authors",
}


# ------------------------------------------------------------- house style


def apply_style() -> None:
    """Set the house style globally: seaborn theme, colour-blind palette, no chart junk.

    Every figure function here calls it, so a figure looks the same wherever
    it is drawn; call it before drawing a figure of your own (or use
    :func:`new_figure`, which does).

    Examples
    --------
    >>> apply_style()
    >>> import matplotlib
    >>> matplotlib.rcParams["axes.spines.top"]
    False
    """
    sns.set_theme(
        context="notebook",
        style="ticks",
        palette=list(PALETTE),
        font_scale=0.9,
        rc={
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlelocation": "left",
            "legend.frameon": False,
            "figure.dpi": _SCREEN_DPI,
            "savefig.dpi": _SAVE_DPI,
            "savefig.bbox": "tight",
        },
    )


def new_figure(nrows: int = 1, ncols: int = 1, *, height: float = 4.0, width: float = BOOK_WIDTH, **subplots_kw):
    """A house-style figure at book width and its axes: ``(figure, axes)``.

    ``axes`` is one :class:`~matplotlib.axes.Axes` for a single panel, else an
    array, as :meth:`matplotlib.figure.Figure.subplots` returns it (extra
    keywords such as ``sharex`` or ``gridspec_kw`` go there). The figure uses
    constrained layout and is not registered with pyplot, so it needs no
    closing.

    Examples
    --------
    >>> figure, ax = new_figure(height=3)
    >>> figure.get_size_inches().tolist()
    [7.0, 3.0]
    """
    apply_style()
    figure = Figure(figsize=(width, height), layout="constrained", dpi=_SCREEN_DPI)
    axes = figure.subplots(nrows, ncols, **subplots_kw)
    return figure, axes


def colors_for(levels) -> list[tuple[float, float, float]]:
    """Colours for a list of levels: claim and opinion keep theirs, others take the
    remaining palette colours in order.

    Examples
    --------
    >>> colors_for(["opinion", "claim"]) == [CLASS_COLORS["opinion"], CLASS_COLORS["claim"]]
    True
    """
    reserved = set(CLASS_COLORS.values())
    spare = [c for c in PALETTE if c not in reserved]
    out, i = [], 0
    for level in levels:
        if str(level) in CLASS_COLORS:
            out.append(CLASS_COLORS[str(level)])
        else:
            out.append(spare[i % len(spare)])
            i += 1
    return out


def axis_label(column: str, *, log: bool = False) -> str:
    """A column in words for an axis, with its unit and scale.

    Examples
    --------
    >>> axis_label("video_view_count", log=True)
    'Views (log scale)'
    """
    label = _WORDS[column][0] if column in _WORDS else column.replace("_", " ").capitalize()
    return f"{label} (log scale)" if log else label


def _noun(column: str) -> str:
    """What a column is, in prose: "views", "duration"."""
    return _WORDS[column][1] if column in _WORDS else column.replace("_", " ")


def _unit(column: str) -> str:
    """What a column's values count, in prose: "views", "seconds"."""
    return _WORDS[column][2] if column in _WORDS else ""


def _group_phrase(by: str, level) -> str:
    """How a group of videos reads in prose: "claim videos", "videos by banned authors"."""
    if by == TARGET:
        return f"{level} videos"
    phrase = _LEVEL_PHRASES.get((by, str(level)), f"with {by} {str(level)!r}")
    return f"videos {phrase}"


def _about(value: float) -> str:
    """A number rounded to two significant figures for prose: 501,555 → "500,000"."""
    if not np.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    decimals = 1 - int(math.floor(math.log10(abs(value))))
    rounded = round(value, decimals)
    if decimals <= 0 or float(rounded).is_integer():
        return f"{int(rounded):,}"
    return f"{rounded:,.{decimals}f}".rstrip("0")


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def figure_format(path) -> str:
    """The format a figure file is written in, from its suffix: png, svg or pdf.

    Examples
    --------
    >>> figure_format("views.PNG")
    'png'
    >>> figure_format("views.jpg")
    Traceback (most recent call last):
    ...
    claimstats.errors.ClaimstatsError: views.jpg: cannot write a jpg figure; use .png, .svg or .pdf
    """
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        allowed = ", ".join(f".{f}" for f in FIGURE_FORMATS[:-1]) + f" or .{FIGURE_FORMATS[-1]}"
        raise ClaimstatsError(f"{path}: cannot write a {fmt or 'suffix-less'} figure; use {allowed}")
    return fmt


@dataclass(frozen=True, eq=False)
class FigureResult:
    """A figure and its alt text (one sentence saying what the figure shows).

    Shows itself as a PNG in Jupyter and Quarto; :meth:`save` writes a file
    with the alt text in its metadata.
    """

    figure: Figure
    alt: str

    def save(self, path, *, dpi: int = _SAVE_DPI) -> Path:
        """Write the figure; the format follows the suffix (see :func:`figure_format`)."""
        target = Path(path)
        key = {"pdf": "Subject"}.get(figure_format(target), "Description")
        self.figure.savefig(target, dpi=dpi, bbox_inches="tight", metadata={key: self.alt})
        return target

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=_SAVE_DPI, bbox_inches="tight")
        return buffer.getvalue()


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


def _wants_log(values: np.ndarray, log: bool | None, column: str) -> bool:
    """Log scale when asked, or by default when positive values span two orders of magnitude
    and none is negative (the axis is cut at 0, so a negative value would be hidden)."""
    positive = values[values > 0]
    if log is None:
        return len(positive) > 0 and positive.max() / positive.min() >= 100 and not (values < 0).any()
    if log and not len(positive):
        raise ClaimstatsError(f"cannot draw {column!r} on a log scale: it has no positive values")
    if log and (values < 0).any():
        raise ClaimstatsError(f"cannot draw {column!r} on a log scale: it has negative values")
    return bool(log)


def _set_log_scale(ax: Axes, axis: str, values: np.ndarray, linthresh: float | None = None) -> None:
    """Log axis; when zeros must show, symmetric-log (linear from 0 to ``linthresh``) cut at 0."""
    if not (values == 0).any():
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
        return
    linthresh = float(values[values > 0].min()) if linthresh is None else linthresh
    # Ticks at 0 and at the powers of ten above the linear part; no negative side.
    powers = range(math.ceil(math.log10(linthresh)), math.floor(math.log10(values.max())) + 1)
    ticks = FixedLocator([0.0, *(10.0**p for p in powers)])
    if axis == "x":
        ax.set_xscale("symlog", linthresh=linthresh, linscale=0.4)
        ax.set_xlim(left=-0.1 * linthresh)
        ax.xaxis.set_major_locator(ticks)
    else:
        ax.set_yscale("symlog", linthresh=linthresh, linscale=0.4)
        ax.set_ylim(bottom=-0.1 * linthresh)
        ax.yaxis.set_major_locator(ticks)


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
    log = _wants_log(values, log, column)
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
        _set_log_scale(hist_ax, "x", values, linthresh=edges[1] if (values == 0).any() else None)
    _thousands(hist_ax.yaxis)
    box_ax.set_xlabel(axis_label(column, log=log))
    box_ax.set_ylabel(axis_label(by))
    unit = f" {_unit(column)}" if _unit(column) else ""
    medians = [
        f"{_group_phrase(by, level)} are centred near {_about(float(np.median(vals)))}{unit}" if i == 0
        else f"{_group_phrase(by, level)} near {_about(float(np.median(vals)))}"
        for i, (level, vals) in enumerate(groups)
    ]
    scale = ", log scale" if log else ""
    alt = f"Histogram and box plot of {_noun(column)} by {_noun(by)}{scale}: {_join(medians)} (medians)."
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
    return FigureResult(figure, f"Bar chart of videos by {_noun(column)}: {_join(parts)}.")


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
    parts = [f"{shares.loc[level, highlight]:.1f}% of {_group_phrase(by, level)}" for level in shares.index]
    what = _LEVEL_PHRASES.get((status, str(highlight)), f"with {status} {str(highlight)!r}")
    alt = f"Bar chart of {_noun(status)} within each {_noun(by)}: {_join(parts)} are {what}."
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

    listed = _join([n.lower() for n in names])
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
    log_x, log_y = _wants_log(xs, log, x), _wants_log(ys, log, y)
    levels = [level for level in column_checks.category_levels(complete[by]) if (shown[by] == level).any()]
    color_of = dict(zip(levels, colors_for(levels)))
    figure, ax = new_figure(height=5.0)
    ax.scatter(xs, ys, c=[color_of[v] for v in shown[by]], s=6, alpha=0.5, linewidths=0, rasterized=len(shown) > 2000)
    if log_x:
        _set_log_scale(ax, "x", xs)
    if log_y:
        _set_log_scale(ax, "y", ys)
    ax.set_xlabel(axis_label(x, log=log_x))
    ax.set_ylabel(axis_label(y, log=log_y))
    handles = [Line2D([], [], marker="o", linestyle="", color=color_of[level], label=str(level)) for level in levels]
    ax.legend(handles=handles, title=axis_label(by))
    parts = []
    for i, level in enumerate(levels):
        group = shown[shown[by] == level]
        verb = " are centred" if i == 0 else ""
        parts.append(f"{_group_phrase(by, level)}{verb} near {_about(group[x].median())} {_unit(x)} "
                     f"and {_about(group[y].median())} {_unit(y)}".replace("  ", " "))
    axes_kind = "log axes" if log_x and log_y else "log x axis" if log_x else "log y axis" if log_y else "linear axes"
    sample = (f"a random sample of {len(shown):,} of {len(complete):,} videos (seed {seed})"
              if len(shown) < len(complete) else f"all {len(shown):,} videos")
    alt = f"Scatter plot of {_noun(y)} against {_noun(x)}, {axes_kind}, for {sample}: {'; '.join(parts)} (medians)."
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
