"""phrasing: the openings that name a transcription's template, and how many words define them."""

from __future__ import annotations

import pandas as pd
import pytest

from claimstats import clean, simulate
from claimstats.errors import ClaimstatsError
from claimstats.phrasing import TEMPLATE_WORDS, opening, template_structure


def _frame(texts, labels=None):
    frame = pd.DataFrame({"video_transcription_text": texts})
    if labels is not None:
        frame["claim_status"] = labels
    return frame


def test_opening_is_the_first_words_lower_cased_whatever_the_spacing():
    frame = _frame(["A Friend read  online that x", "a friend read in the paper that y", "short", "i  think, that z"])
    assert opening(frame).tolist() == ["a friend read", "a friend read", "short", "i think, that"]
    assert opening(frame, words=1).tolist() == ["a", "a", "short", "i"]
    with pytest.raises(ClaimstatsError, match="at least one word; got words=0"):
        opening(frame, words=0)
    with pytest.raises(ClaimstatsError, match="missing in 1 rows"):
        opening(_frame(["a b c", None]))


def test_template_structure_counts_by_hand():
    frame = _frame(["i read that a", "i read that b", "i think c", "we think d", "we think e"],
                   ["claim", "claim", "opinion", "opinion", "opinion"])
    table = template_structure(frame, max_words=3, min_rows=2).set_index("words")
    # one word: "i" (claims and an opinion: shared), "we" (opinions)
    assert table.loc[1, ["openings", "claim_only", "opinion_only", "shared", "smallest"]].tolist() == [2, 0, 1, 1, 2]
    # two words: "i read" (2 claims), "i think" (1 opinion), "we think" (2 opinions): 4 of 5 rows in templates
    assert table.loc[2, ["openings", "claim_only", "opinion_only", "shared", "smallest"]].tolist() == [3, 1, 2, 0, 1]
    assert table.loc[2, "rows_in_templates"] == pytest.approx(4 / 5)
    assert table.loc[3, "rows_in_templates"] == pytest.approx(2 / 5)  # "i read that" alone is shared by 2 rows


def test_course_file_has_135_three_word_templates_none_shared(course_frame):
    tidy, _ = clean(course_frame)
    table = template_structure(tidy).set_index("words")
    three = table.loc[TEMPLATE_WORDS]
    assert three[["openings", "claim_only", "opinion_only", "shared"]].tolist() == [135, 48, 87, 0]
    assert three["smallest"] >= 20 and three["rows_in_templates"] == 1.0
    # a fourth word reaches into the facts: openings of a single row appear
    assert table.loc[TEMPLATE_WORDS + 1, "smallest"] == 1 and table.loc[TEMPLATE_WORDS + 1, "rows_in_templates"] < 1


def test_synthetic_default_has_the_course_files_template_structure():
    tidy, _ = clean(simulate())
    table = template_structure(tidy).set_index("words")
    three = table.loc[TEMPLATE_WORDS]
    # as in the course file: at three words no opening is used by both classes, and nearly every row's
    # opening is a template that many rows share; the synthetic banks hold more templates than the course's 135
    assert three["shared"] == 0 and three["rows_in_templates"] > 0.95
    assert three["claim_only"] >= 48 and three["opinion_only"] >= 87
    assert table.loc[TEMPLATE_WORDS + 2, "rows_in_templates"] < 0.7  # longer openings are facts, not templates
