"""The question bank, one module per exercise set (in PACE order).

Importing this package registers every question with :mod:`claimstats.exercises.bank`.
"""

from claimstats.exercises.sets import (  # noqa: F401
    classifier,
    execute,
    explore,
    hypothesis,
    inspect,
    plan,
    regression,
)
