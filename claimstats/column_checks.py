"""Which columns an analysis may use: numeric ones to summarise, categorical ones to group by.

:func:`numeric_columns` picks the numeric columns to analyse (never the
identifiers ``#`` and ``video_id`` unless named) or checks the ones named;
:func:`category_levels` gives a column's levels in display order; a grouping
column may have at most :data:`MAX_GROUPS` levels. :mod:`claimstats.describe`,
:mod:`claimstats.features` and :mod:`claimstats.plots` all pick and order
columns through these, so their tables and figures agree.
"""

from __future__ import annotations

import pandas as pd

from claimstats.errors import ColumnError, require_columns
from claimstats.schema import ROW_ID, VIDEO_ID

__all__ = [
    "MAX_GROUPS",
    "as_column_list",
    "category_levels",
    "check_groupable",
    "numeric_columns",
]

#: A grouping column with more distinct values than this is not categorical.
MAX_GROUPS = 50
_IDENTIFIERS = (ROW_ID, VIDEO_ID)


def as_column_list(columns) -> list[str]:
    """Column names as a list: ``None`` → none, one name → a list of it.

    Examples
    --------
    >>> as_column_list("video_view_count"), as_column_list(None)
    (['video_view_count'], [])
    """
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
        skip = set(_IDENTIFIERS) | set(as_column_list(exclude))
        picked = [c for c in data.columns if c not in skip and _is_numeric(data[c])]
        if not picked:
            raise ColumnError(f"no numeric column to analyse; columns: {', '.join(map(str, data.columns))}")
        return picked
    picked = list(dict.fromkeys(as_column_list(columns)))  # a column named twice is analysed once
    require_columns(data, picked)
    for name in picked:
        if not _is_numeric(data[name]):
            available = ", ".join(c for c in data.columns if _is_numeric(data[c]))
            raise ColumnError(f"column {name!r} is not numeric; numeric columns: {available}")
    return picked


def check_groupable(data: pd.DataFrame, by: list[str]) -> None:
    """Refuse grouping columns with too many levels to be categories (e.g. the text).

    Raises
    ------
    ColumnError
        If a column is missing, or has more than :data:`MAX_GROUPS` distinct values.

    Examples
    --------
    >>> check_groupable(pd.DataFrame({"g": ["a", "b"]}), ["g"])
    """
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
