"""The house style and plumbing of every figure: style, colours, words, saving, log axes.

Any module that draws figures (:mod:`claimstats.plots` for the case's
figures, :mod:`claimstats.model_plots` for the classifier's) builds them from
these parts:

* :func:`apply_style` sets the seaborn theme and the colour-blind-safe
  palette :data:`PALETTE` (seaborn ``"colorblind"``);
* :data:`CLASS_COLORS` fixes the colour of ``claim`` and ``opinion`` in every
  figure; :func:`colors_for` extends it to any list of levels;
* :func:`new_figure` makes a figure :data:`BOOK_WIDTH` inches wide (readable
  at book width) with the style applied; :func:`axis_label` words a column
  for an axis ("Views (log scale)");
* :func:`column_noun`, :func:`column_unit`, :func:`group_phrase`,
  :func:`round_for_prose` and :func:`join_phrases` word the alt text;
* :func:`wants_log_scale` and :func:`set_log_scale` decide on and draw a log
  axis (symmetric-log when zeros must show);
* :class:`FigureResult` carries a figure and its alt text.

Figures are created with :class:`matplotlib.figure.Figure`, not
``pyplot``: pyplot keeps every figure it makes until it is closed, so a
loop over many figures would leak. Ours are freed like any object once the
last reference goes. A :class:`FigureResult` shows itself in Jupyter (and so
in the Quarto book) as a PNG; :meth:`FigureResult.save` writes a file.

Examples
--------
>>> figure, ax = new_figure(height=2)
>>> bars = ax.bar(["claim", "opinion"], [3, 1], color=colors_for(["claim", "opinion"]))
>>> result = FigureResult(figure, f"Bar chart of {join_phrases(['claims', 'opinions'])}.")
>>> result.alt
'Bar chart of claims and opinions.'
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

from claimstats import features
from claimstats.errors import ClaimstatsError
from claimstats.schema import BAN, DURATION, TARGET, VERIFIED

__all__ = [
    "BOOK_WIDTH",
    "CLASS_COLORS",
    "FIGURE_FORMATS",
    "LEVEL_PHRASES",
    "PALETTE",
    "FigureResult",
    "apply_style",
    "axis_label",
    "colors_for",
    "column_noun",
    "column_unit",
    "figure_format",
    "group_phrase",
    "join_phrases",
    "new_figure",
    "round_for_prose",
    "set_log_scale",
    "wants_log_scale",
]

#: Width of a figure that fills the book's text column, in inches.
BOOK_WIDTH = 7.0
#: The colour-blind-safe palette every figure draws from (seaborn "colorblind", as RGB tuples).
PALETTE = tuple(tuple(float(v) for v in rgb) for rgb in sns.color_palette("colorblind"))
#: Claim and opinion keep their colour in every figure: vermillion and blue.
CLASS_COLORS = {"claim": PALETTE[3], "opinion": PALETTE[0]}
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
#: How a level reads after "videos ..." in alt text, by (column, level): "by banned authors".
LEVEL_PHRASES = {
    (VERIFIED, "verified"): "from verified accounts",
    (VERIFIED, "not verified"): "from unverified accounts",
    (BAN, "active"): "by active authors",
    (BAN, "under review"): "by authors under review",
    (BAN, "banned"): "by banned authors",
}


# ------------------------------------------------------------- house style


def apply_style() -> None:
    """Set the house style globally: seaborn theme, colour-blind palette, no chart junk.

    Every figure function calls it, so a figure looks the same wherever
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


# ------------------------------------------------------------------- words


def axis_label(column: str, *, log: bool = False) -> str:
    """A column in words for an axis, with its unit and scale.

    Examples
    --------
    >>> axis_label("video_view_count", log=True)
    'Views (log scale)'
    """
    label = _WORDS[column][0] if column in _WORDS else column.replace("_", " ").capitalize()
    return f"{label} (log scale)" if log else label


def column_noun(column: str) -> str:
    """What a column is, in prose: "views", "duration".

    Columns the house style does not know read as their name with spaces.

    Examples
    --------
    >>> column_noun("video_duration_sec"), column_noun("my_score")
    ('duration', 'my score')
    """
    return _WORDS[column][1] if column in _WORDS else column.replace("_", " ")


def column_unit(column: str) -> str:
    """What a column's values count, in prose: "views", "seconds"; empty when unknown or unitless.

    Examples
    --------
    >>> column_unit("video_duration_sec"), column_unit("claim_status")
    ('seconds', '')
    """
    return _WORDS[column][2] if column in _WORDS else ""


def group_phrase(by: str, level) -> str:
    """How a group of videos reads in prose: "claim videos", "videos by banned authors".

    Examples
    --------
    >>> group_phrase("claim_status", "claim"), group_phrase("author_ban_status", "banned")
    ('claim videos', 'videos by banned authors')
    """
    if by == TARGET:
        return f"{level} videos"
    phrase = LEVEL_PHRASES.get((by, str(level)), f"with {by} {str(level)!r}")
    return f"videos {phrase}"


def round_for_prose(value: float) -> str:
    """A number rounded to two significant figures for prose: 501,555 → "500,000".

    Examples
    --------
    >>> round_for_prose(501_555), round_for_prose(0.01234), round_for_prose(float("nan"))
    ('500,000', '0.012', 'n/a')
    """
    if not np.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    decimals = 1 - int(math.floor(math.log10(abs(value))))
    rounded = round(value, decimals)
    if decimals <= 0 or float(rounded).is_integer():
        return f"{int(rounded):,}"
    return f"{rounded:,.{decimals}f}".rstrip("0")


def join_phrases(parts: list[str]) -> str:
    """Phrases joined as in a sentence: "a", "a and b", "a, b and c".

    Examples
    --------
    >>> join_phrases(["views", "likes", "shares"])
    'views, likes and shares'
    """
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# ------------------------------------------------------------------ saving


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


# ------------------------------------------------------------- log axes


def wants_log_scale(values: np.ndarray, log: bool | None, column: str) -> bool:
    """Log scale when asked, or by default when positive values span two orders of magnitude
    and none is negative (the axis is cut at 0, so a negative value would be hidden).

    ``log`` is the caller's choice (``None``: decide from the values);
    asking for a log scale of values that cannot have one raises
    :class:`~claimstats.errors.ClaimstatsError` naming ``column``.

    Examples
    --------
    >>> import numpy as np
    >>> wants_log_scale(np.array([0.0, 10, 5000]), None, "views")
    True
    >>> wants_log_scale(np.array([-1.0, 10, 5000]), None, "score")
    False
    >>> wants_log_scale(np.array([0.0, 0.0]), True, "views")
    Traceback (most recent call last):
    ...
    claimstats.errors.ClaimstatsError: cannot draw 'views' on a log scale: it has no positive values
    """
    positive = values[values > 0]
    if log is None:
        return len(positive) > 0 and positive.max() / positive.min() >= 100 and not (values < 0).any()
    if log and not len(positive):
        raise ClaimstatsError(f"cannot draw {column!r} on a log scale: it has no positive values")
    if log and (values < 0).any():
        raise ClaimstatsError(f"cannot draw {column!r} on a log scale: it has negative values")
    return bool(log)


def set_log_scale(ax: Axes, axis: str, values: np.ndarray, linthresh: float | None = None) -> None:
    """Log axis; when zeros must show, symmetric-log (linear from 0 to ``linthresh``) cut at 0.

    ``axis`` is ``"x"`` or ``"y"``; ``values`` are the values drawn on it
    (non-negative); ``linthresh`` defaults to the smallest positive value.

    Examples
    --------
    >>> import numpy as np
    >>> figure, ax = new_figure()
    >>> set_log_scale(ax, "x", np.array([0.0, 5, 2000]))
    >>> ax.get_xscale(), ax.xaxis.get_major_locator().tick_values(0, 1).tolist()
    ('symlog', [0.0, 10.0, 100.0, 1000.0])
    >>> set_log_scale(ax, "y", np.array([5.0, 2000]))
    >>> ax.get_yscale()
    'log'
    """
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

