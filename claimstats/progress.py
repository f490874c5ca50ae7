"""Progress bars for the long jobs (train, triage, grading a class, writing a roster's datasets).

One place that says how a bar looks: :func:`progress_bar` is `tqdm
<https://tqdm.github.io>`_ on stderr, drawn only when stderr is a terminal
(so logs, pipes and tests stay quiet), and cleared when the job ends.

Examples
--------
>>> sum(progress_bar(range(3), desc="counting"))
3
"""

from __future__ import annotations

import sys

from tqdm.auto import tqdm

__all__ = ["progress_bar"]


def progress_bar(iterable=None, *, total: int | None = None, desc: str = "", unit: str = "it",
                 enabled: bool | None = None, **options) -> tqdm:
    """A tqdm bar on stderr; ``enabled=None`` (the default) draws it only when stderr is a terminal.

    Examples
    --------
    >>> list(progress_bar(["a.yaml", "b.yaml"], desc="files", enabled=False))  # drawn nowhere
    ['a.yaml', 'b.yaml']
    """
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True,
                disable=None if enabled is None else not enabled, **options)
