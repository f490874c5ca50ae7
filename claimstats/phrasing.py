"""Construct: phrasing templates, the groups of a held-out-phrasing evaluation.

The course file's transcriptions open with one of a few fixed phrasings ("a
colleague read …", "my friends are …") followed by a fact. A random split
puts every phrasing in both training and test, so a text model can recognise
the template instead of the claim. :func:`opening` names each row's template
by its first words, :func:`template_structure` measures how many words define
the templates of a dataset, and :func:`claimstats.evaluation.grouped_split`
holds whole templates out.

On the course file the first :data:`TEMPLATE_WORDS` words give 135 openings,
every one used by one class only and by at least 39 rows; a fourth word
already reaches into the facts (openings of one row). The synthetic default
follows the same structure (see ``tests/test_phrasing.py``).

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"video_transcription_text": ["A friend read  online that x", "my view is that y"]})
>>> opening(frame).tolist()
['a friend read', 'my view is']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from claimstats.errors import ClaimstatsError, require_columns
from claimstats.schema import TARGET, TEXT

__all__ = ["MIN_TEMPLATE_ROWS", "TEMPLATE_WORDS", "opening", "template_structure"]

#: Words that name a phrasing template: the longest opening at which, on the course file,
#: every opening is still shared by many rows (:data:`MIN_TEMPLATE_ROWS`) and by one class only.
TEMPLATE_WORDS = 3
#: An opening shared by fewer rows than this is no template but the start of a fact.
MIN_TEMPLATE_ROWS = 20


def opening(data: pd.DataFrame, words: int = TEMPLATE_WORDS, column: str = TEXT) -> pd.Series:
    """The phrasing template of each row: its first ``words`` words, lower-cased.

    Words are runs of characters between white space, so a doubled space
    ("read  online") and capitals do not make a new template; punctuation
    stays with its word. A text shorter than ``words`` words is its own
    opening. Missing texts are an error.

    Examples
    --------
    >>> import pandas as pd
    >>> opening(pd.DataFrame({"video_transcription_text": ["I think that cats fly"]}), words=2).tolist()
    ['i think']
    """
    if isinstance(words, bool) or not isinstance(words, (int, np.integer)) or words < 1:
        raise ClaimstatsError(f"a phrasing template is at least one word; got words={words!r}")
    require_columns(data, [column])
    texts = data[column]
    if texts.isna().any():
        raise ClaimstatsError(f"{column!r} is missing in {int(texts.isna().sum()):,} rows; a phrasing template "
                              "needs a text in every row (run claimstats.clean first)")
    return texts.astype(str).str.lower().str.split().str[:int(words)].str.join(" ").rename("opening")


def template_structure(data: pd.DataFrame, *, max_words: int = 6, min_rows: int = MIN_TEMPLATE_ROWS,
                       column: str = TEXT, label: str = TARGET) -> pd.DataFrame:
    """How many words define the templates: the openings of 1 to ``max_words`` words.

    One row per number of words: the distinct ``openings``; how many only
    claims use (``claim_only``), only opinions (``opinion_only``), or both
    (``shared``); the smallest opening's row count (``smallest``); and the
    share of rows whose opening at least ``min_rows`` rows share
    (``rows_in_templates``). Templates end where that share falls: longer
    openings reach into the facts, which are not repeated.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"video_transcription_text": ["i read that a", "i read that b", "we think c"],
    ...                       "claim_status": ["claim", "claim", "opinion"]})
    >>> template_structure(frame, max_words=2, min_rows=2)[["words", "openings", "shared"]].values.tolist()
    [[1, 2, 0], [2, 2, 0]]
    """
    if max_words < 1:
        raise ClaimstatsError(f"max_words must be at least 1; got {max_words}")
    require_columns(data, [column, label])
    rows = []
    for words in range(1, max_words + 1):
        groups = opening(data, words, column)
        table = pd.crosstab(groups, data[label].astype(str))
        claims = table["claim"] if "claim" in table else pd.Series(0, index=table.index)
        opinions = table["opinion"] if "opinion" in table else pd.Series(0, index=table.index)
        sizes = groups.map(groups.value_counts())
        rows.append({"words": words, "openings": len(table), "claim_only": int(((claims > 0) & (opinions == 0)).sum()),
                     "opinion_only": int(((opinions > 0) & (claims == 0)).sum()),
                     "shared": int(((claims > 0) & (opinions > 0)).sum()),
                     "smallest": int(table.sum(axis=1).min()) if len(table) else 0,
                     "rows_in_templates": float((sizes >= min_rows).mean()) if len(groups) else float("nan")})
    return pd.DataFrame(rows)
