"""How results are written in sentences: APA-style p-values and numbers, words for the counts.

:func:`format_p` and :func:`format_number` write numbers the APA way,
:func:`magnitude_decimals` picks how many decimals a quantity deserves, and
:data:`COUNT_NOUNS` names the count columns in words ("views"), so that the
``describe()`` sentences of :mod:`claimstats.hypothesis`,
:mod:`claimstats.assumptions` and :mod:`claimstats.regression`, and the book's
tables, read alike.

Examples
--------
>>> f"{format_number(1571.163, 1)} {COUNT_NOUNS['video_view_count']}, {format_p(0.0345)}"
'1,571.2 views, p = .035'
"""

from __future__ import annotations

import re

import numpy as np

from claimstats.schema import COUNT_COLUMNS

__all__ = ["COUNT_NOUNS", "format_bounded", "format_number", "format_p", "magnitude_decimals"]

#: Words for the count columns, so that describe() reads like a report ("fewer views").
COUNT_NOUNS = dict(zip(COUNT_COLUMNS, ("views", "likes", "shares", "downloads", "comments")))


def format_p(p: float) -> str:
    """A p-value the APA way: ``p < .001``, else three decimals without a leading zero.

    Examples
    --------
    >>> format_p(2.6e-120), format_p(0.0345), format_p(0.5)
    ('p < .001', 'p = .035', 'p = .500')
    """
    if not np.isfinite(p):
        return "p = n/a"
    if p < 0.001:
        return "p < .001"
    if p > 0.999:
        return "p > .999"
    return "p = " + f"{p:.3f}".lstrip("0")


def format_number(x: float, decimals: int = 2) -> str:
    """A number with thousands separators (APA uses them from 1,000 up).

    Examples
    --------
    >>> format_number(1571.163, 1), format_number(-0.3961), format_number(float("-inf"))
    ('1,571.2', '-0.40', '-∞')
    """
    if np.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:,.{decimals}f}"


def format_bounded(x: float, spec: str = ".4g", bounds: tuple[float, ...] = (0.0, 1.0)) -> str:
    """``x`` written with ``spec``, with more digits when rounding would make it read as a bound it is not.

    A probability, a threshold or a share of 0.99996 is not 1: written ``.4g`` it
    would print as ``1`` (and 0.9996 as ``100.0%``), which reads as "everything".
    Digits are added until the text differs from every value in ``bounds``
    (0 and 1 by default; for a ``%`` spec, 0% and 100%). Other values, and a
    value exactly on a bound, are written as ``spec`` writes them.

    Examples
    --------
    >>> format_bounded(0.99996), format_bounded(0.9996, ".1%"), format_bounded(0.00004, ".2f")
    ('0.99996', '99.96%', '0.00004')
    >>> format_bounded(1.0), format_bounded(0.98765), format_bounded(0.5, ".1%")
    ('1', '0.9877', '50.0%')
    """
    text = format(x, spec)
    parts = re.fullmatch(r"([,_]?)\.(\d+)([eEfFgG%])", spec)
    if parts is None or not np.isfinite(x):
        return text
    separator, digits, kind = parts.groups()
    scale = 100.0 if kind == "%" else 1.0
    for more in range(int(digits), 18):
        text = format(x, f"{separator}.{more}{kind}")
        shown = float(text.rstrip("%").replace(",", "").replace("_", ""))
        if shown not in {b * scale for b in bounds} or shown == x * scale:
            return text
    return text


def magnitude_decimals(*values: float) -> int:
    """Whole numbers for large quantities (views), two decimals for small ones (seconds).

    Parameters
    ----------
    *values : float
        The quantities that will be written with the same number of decimals;
        infinite and missing ones are ignored.

    Returns
    -------
    int
        0 when the largest finite absolute value is at least 1,000, else 2.

    Examples
    --------
    >>> magnitude_decimals(1350.0, 507.2), magnitude_decimals(4.5, 1.29), magnitude_decimals(float("nan"))
    (0, 2, 2)
    """
    finite = [abs(v) for v in values if np.isfinite(v)]
    return 0 if finite and max(finite) >= 1000 else 2
