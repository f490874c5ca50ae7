"""claimstats.confounding: a group comparison overall and within strata, checked against scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from claimstats.confounding import compare_within
from claimstats.errors import ClaimstatsError


def _mixed(seed: int = 0, within_gap: float = 0.0) -> pd.DataFrame:
    """Class 'high' has values near 100, 'low' near 10; group 'a' is mostly 'low', group 'b' mostly 'high'.

    With ``within_gap`` 0 the groups differ only through the mix of classes.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for group, share_high in (("a", 0.2), ("b", 0.8)):
        n = 400
        high = rng.random(n) < share_high
        value = np.where(high, 100, 10) + rng.normal(0, 5, n) + (within_gap if group == "b" else 0)
        rows.append(pd.DataFrame({"g": group, "cls": np.where(high, "high", "low"), "v": value}))
    return pd.concat(rows, ignore_index=True)


def test_a_gap_made_by_the_mix_is_confounded():
    data = _mixed()
    result = compare_within(data, "v", "g", "cls", seed=1)
    assert result.overall.significant and result.confounded and result.significant_within == []
    frame = result.to_frame()
    assert frame["stratum"].tolist() == ["all videos", "high", "low"]
    # Welch's t-test, by scipy, in each stratum.
    for stratum, part in [("all videos", data), *data.groupby("cls")]:
        expected = stats.ttest_ind(part.loc[part["g"] == "a", "v"], part.loc[part["g"] == "b", "v"], equal_var=False)
        row = frame.set_index("stratum").loc[stratum]
        assert row["p_value"] == pytest.approx(expected.pvalue, rel=1e-6)
        assert row["n a"] == (part["g"] == "a").sum() and row["mean b"] == pytest.approx(part.loc[part["g"] == "b", "v"].mean())
    # The mix: share of each class within each group, counted by hand.
    by_hand = data.groupby("g")["cls"].apply(lambda s: (s == "high").mean())
    assert result.mix["high"].to_dict() == pytest.approx(by_hand.to_dict())
    assert "the overall gap is the mix showing through" in result.describe()


def test_a_gap_that_survives_within_the_classes_is_not_confounded():
    result = compare_within(_mixed(within_gap=4.0), "v", "g", "cls", seed=1)
    assert result.significant_within == ["high", "low"] and not result.confounded
    assert result.describe().endswith("Within high, low the difference remains, so the mix explains only part of it.")


def test_an_unknown_stratum_column_is_named():
    with pytest.raises(ClaimstatsError, match="column 'nope' is not in the data"):
        compare_within(_mixed(), "v", "g", "nope")
