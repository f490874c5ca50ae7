"""Exceptions that mean "the input is wrong", as opposed to a bug.

The command line turns any :class:`ClaimstatsError` into one line on stderr and
exit status 2; everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class ClaimstatsError(ValueError):
    """Bad input: a file, a column name, an option. The message says what and where."""


class ColumnError(ClaimstatsError):
    """A column named by the caller is missing or of the wrong kind."""


def require_columns(data, columns, *, what: str = "column") -> None:
    """Raise :class:`ColumnError` naming the first missing column and the available ones.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"])
    >>> require_columns(pd.DataFrame({"a": [1]}), ["b"])
    Traceback (most recent call last):
    ...
    claimstats.errors.ColumnError: unknown column 'b'; available columns: a
    """
    missing = [c for c in columns if c not in data.columns]
    if missing:
        available = ", ".join(map(str, data.columns))
        names = ", ".join(repr(c) for c in missing)
        plural = "s" if len(missing) > 1 else ""
        raise ColumnError(f"unknown {what}{plural} {names}; available columns: {available}")
