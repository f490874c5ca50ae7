"""How the command line writes a table: each cell as a reader should see it.

Every verb's table goes through :func:`table_markdown` (called by
``print_table``): missing cells are shown as ``—`` (not ``nan``), whole
numbers as integers with thousands separators (a count is ``14,305``, not
``14,305.0``, even in a column that also holds means), and other numbers with
the verb's format, never rounded onto 0 or 1 when they are not
(:func:`claimstats.reporting.format_bounded`).
"""

from __future__ import annotations

import numbers

import pandas as pd

from claimstats.reporting import format_bounded

MISSING = "—"
# Floats stay exact integers up to 2**53; beyond that a "whole" float is an approximation.
_EXACT = 2**53


def format_cell(value, floatfmt: str = ".4g") -> str:
    """One cell as text: missing → ``—``, whole numbers as integers, other numbers with ``floatfmt``.

    Examples
    --------
    >>> [format_cell(v) for v in (float("nan"), None, 14305.0, 14305, 0.99996, 0.25, "claim", True)]
    ['—', '—', '14,305', '14,305', '0.99996', '0.25', 'claim', 'True']
    """
    if isinstance(value, (bool, str)) or not isinstance(value, numbers.Number):
        return MISSING if value is None or value is pd.NaT or value is pd.NA else str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    number = float(value)
    if number != number:  # NaN
        return MISSING
    if number.is_integer() and abs(number) < _EXACT:
        return f"{int(number):,}"
    return format_bounded(number, floatfmt)


def table_markdown(table: pd.DataFrame, floatfmt: str = ".4g") -> str:
    """A pipe table of ``table``'s cells (see :func:`format_cell`), numeric columns aligned right.

    Examples
    --------
    >>> print(table_markdown(pd.DataFrame({"statistic": ["count", "mean"], "claim": [14305.0, 33.25],
    ...                                    "p": [float("nan"), 0.99996]})))
    | statistic   |   claim |       p |
    |:------------|--------:|--------:|
    | count       |  14,305 |       — |
    | mean        |   33.25 | 0.99996 |
    """
    def numeric(column: pd.Series) -> bool:
        present = [v for v in column if format_cell(v) != MISSING]
        return bool(present) and all(isinstance(v, numbers.Number) and not isinstance(v, bool) for v in present)

    columns = [table.iloc[:, k] for k in range(table.shape[1])]
    cells = pd.DataFrame({k: [format_cell(v, floatfmt) for v in column] for k, column in enumerate(columns)})
    cells.columns = [str(name) for name in table.columns]
    align = ["right" if numeric(column) else "left" for column in columns]
    return cells.to_markdown(index=False, colalign=align or None, disable_numparse=True)
