"""claimstats: the TikTok claims case study as tested, reusable statistics.

The data flow one way: :func:`load` → :func:`clean` → analysis modules
(Analyze: ``describe``, ``features``, ``plots``; Construct: ``hypothesis``,
``regression``, ``classify``, ``comparison``; Execute: ``triage``, ``backlog``)
→ the book, the command line and the exercise checker.

Examples
--------
>>> import claimstats
>>> frame, source = claimstats.load("synthetic", rows=300)
>>> tidy, report = claimstats.clean(frame)
>>> report.rows_out == len(tidy)
True
"""

from claimstats.data import CleaningReport, DataSource, LoadResult, clean, load
from claimstats.errors import ClaimstatsError, ColumnError
from claimstats.schema import COLUMNS, DataValidationError, data_dictionary, validate
from claimstats.simulate import DEFAULT_SEED, simulate

__version__ = "0.1.0"

__all__ = [
    "COLUMNS",
    "DEFAULT_SEED",
    "ClaimstatsError",
    "CleaningReport",
    "ColumnError",
    "DataSource",
    "DataValidationError",
    "LoadResult",
    "clean",
    "data_dictionary",
    "load",
    "simulate",
    "validate",
]
