"""Tests of claimstats.transcripts: the phrase banks of the synthetic transcriptions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from claimstats import transcripts
from claimstats.transcripts import FACTS, PERIOD_SHARE, draw_transcriptions, openings


@pytest.mark.parametrize("kind", ["claim", "opinion"])
def test_openings_are_a_distribution_over_distinct_phrases(kind):
    texts, p = openings(kind)
    assert len(texts) == len(p) == len(set(texts))
    assert (p > 0).all()
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert all(t.endswith(" ") and not t.startswith(" ") for t in texts)


def test_no_opening_is_shared_by_the_classes():
    claim, _ = openings("claim")
    opinion, _ = openings("opinion")
    assert not set(claim) & set(opinion)


def test_opening_weights_follow_the_templates():
    # the claim templates with a rumor phrase carry 0.36 of the weight; the six
    # templates weigh 0.26 + 0.36 + 0.20 + 0.105 + 0.04 + 0.035 = 1 (by construction)
    texts, p = openings("claim")
    rumor = np.array([any(f" {r} that" in t for r in transcripts._CLAIM_RUMORS) for t in texts])
    assert p[rumor].sum() == pytest.approx(0.36, abs=1e-9)


def test_draw_follows_the_blocks_and_the_generator():
    block = np.repeat(np.array([0, 1, 2], dtype=np.int8), [300, 300, 5])
    texts = draw_transcriptions(np.random.default_rng(3), block)
    again = draw_transcriptions(np.random.default_rng(3), block)
    assert pd.Series(texts).equals(pd.Series(again))
    assert pd.isna(texts[block == 2]).all() and not pd.isna(texts[block < 2]).any()
    claim, _ = openings("claim")
    opinion, _ = openings("opinion")
    assert all(any(t.startswith(o) for o in claim) for t in texts[block == 0])
    assert all(any(t.startswith(o) for o in opinion) for t in texts[block == 1])
    facts = set(FACTS) | {f + "." for f in FACTS}
    assert all(any(t.endswith(f) for f in facts) for t in texts[block < 2])
    other = draw_transcriptions(np.random.default_rng(4), block)
    assert not pd.Series(texts).equals(pd.Series(other))


def test_full_stop_share():
    block = np.zeros(40_000, dtype=np.int8)
    texts = draw_transcriptions(np.random.default_rng(0), block)
    share = np.mean([t.endswith(".") for t in texts])
    # binomial sd at this size is 0.0008
    assert share == pytest.approx(PERIOD_SHARE, abs=0.004)


def test_repeated_pairs_are_redrawn():
    # 2,000 rows over many (opening, fact) pairs: independent draws repeat some
    # pairs; after the redraws there are (almost) none
    rng = np.random.default_rng(1)
    texts, p = openings("opinion")
    cdf = np.cumsum(p)
    n = 2_000
    pick = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(p) - 1)
    fact = rng.integers(0, len(FACTS), size=n)
    before = n - len(set(zip(pick, fact)))
    after_pick = transcripts._fewer_repeats(rng, pick, fact, cdf, len(FACTS))
    after = n - len(set(zip(after_pick, fact)))
    assert before > 0 and after < before
    assert (after_pick != pick).sum() >= before


def test_no_course_sentence_is_reused(course_frame):
    # the phrase banks are our own: no fact shares six consecutive words with
    # any course transcription, and no whole transcription is reproduced
    def grams(text, k=6):
        words = re.findall(r"\S+", text)
        return {tuple(words[i:i + k]) for i in range(len(words) - k + 1)}

    course_text = course_frame["video_transcription_text"].dropna()
    course_grams = set().union(*(grams(t) for t in course_text.unique()))
    for fact in FACTS:
        assert not grams(fact) & course_grams, fact
    from claimstats.simulate import simulate

    synthetic = set(simulate()["video_transcription_text"].dropna())
    assert not synthetic & set(course_text)
