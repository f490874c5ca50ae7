"""features: outliers, engagement rates and correlations checked against numpy, scipy or a hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from claimstats import clean, simulate
from claimstats.errors import ClaimstatsError, ColumnError
from claimstats.features import (
    RATE_COLUMNS,
    cap_outliers,
    correlation_matrix,
    correlations,
    engagement_rates,
    find_outliers,
)


@pytest.fixture(scope="module")
def small_clean() -> pd.DataFrame:
    return clean(simulate(600, seed=5))[0]


# -------------------------------------------------------------------- outliers


def test_outlier_fences_by_hand():
    # Nine values: linear quantiles sit on order statistics 3 and 7 (positions 2 and 6).
    frame = pd.DataFrame({"views": [1, 2, 3, 4, 5, 6, 7, 8, 100], "likes": [-50, 1, 2, 3, 4, 5, 6, 7, 8]})
    table = find_outliers(frame).to_frame().set_index("column")
    assert (table.loc["views", "q1"], table.loc["views", "q3"]) == (3, 7)
    assert (table.loc["views", "lower"], table.loc["views", "upper"]) == (3 - 1.5 * 4, 7 + 1.5 * 4)
    assert (table.loc["views", "below"], table.loc["views", "above"], table.loc["views", "outliers"]) == (0, 1, 1)
    assert table.loc["views", "share"] == pytest.approx(1 / 9)
    assert (table.loc["likes", "q1"], table.loc["likes", "q3"], table.loc["likes", "below"]) == (2, 6, 1)
    # Interpolated quartiles: positions 0.75 and 2.25 of [10, 20, 30, 40].
    report = find_outliers(pd.DataFrame({"x": [40, 10, 30, 20, np.nan]}), k=3)
    q1, q3 = 10 + 0.75 * 10, 30 + 0.25 * 10
    assert report.bounds("x") == pytest.approx((q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)))
    assert np.quantile([10, 20, 30, 40], [0.25, 0.75]).tolist() == [q1, q3]
    assert report.to_frame().loc[0, "n"] == 4
    assert find_outliers(frame, "views", k=0.5).bounds("views") == (1.0, 9.0)


def test_outliers_on_clean_data_match_numpy(small_clean):
    report = find_outliers(small_clean, ["video_like_count", "video_comment_count"])
    for column in ("video_like_count", "video_comment_count"):
        values = small_clean[column].to_numpy(float)
        q1, q3 = np.quantile(values, [0.25, 0.75])
        lower, upper = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        assert report.bounds(column) == pytest.approx((lower, upper))
        flagged = report.flags(small_clean)[column]
        assert flagged.sum() == ((values < lower) | (values > upper)).sum()
    assert "Outside the 1.5 × IQR fences: video_like_count" in report.describe()


def test_capping_clips_exactly_and_never_drops_rows():
    frame = pd.DataFrame({"views": [1, 2, 3, 4, 5, 6, 7, 8, 100, np.nan], "label": list("abcdefghij"),
                          "likes": [-50, 1, 2, 3, 4, 5, 6, 7, 8, 9]})
    before = frame.copy()
    capped, report = cap_outliers(frame, ["views", "likes"])
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    assert len(capped) == len(frame) and list(capped.index) == list(frame.index)
    assert list(capped["label"]) == list(frame["label"])
    lower, upper = report.bounds("views")
    assert capped.loc[8, "views"] == upper and capped["views"].max() == upper
    assert np.isnan(capped.loc[9, "views"])
    inside = frame["views"].between(lower, upper)
    assert (capped.loc[inside, "views"] == frame.loc[inside, "views"]).all()
    assert capped.loc[0, "likes"] == report.bounds("likes")[0]
    assert report.to_frame().set_index("column").loc["views", "above"] == 1  # describes the data before capping


def test_outlier_errors():
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(ClaimstatsError, match="non-negative number"):
        find_outliers(frame, k=-1)
    with pytest.raises(ColumnError, match="no fences for 'y'"):
        find_outliers(frame).bounds("y")


# ----------------------------------------------------------------- rates


def test_engagement_rates_and_zero_views():
    frame = pd.DataFrame(
        {
            "video_view_count": [100, 0, 50, 0],
            "video_like_count": [10, 3, 5, 0],
            "video_share_count": [1, 0, 5, 0],
            "video_download_count": [0, 0, 1, 0],
            "video_comment_count": [2, 1, 0, 0],
        }
    )
    before = frame.copy()
    as_nan = engagement_rates(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert as_nan.columns == tuple(RATE_COLUMNS.values()) and as_nan.zero_view_rows == 2
    out = as_nan.to_frame()
    assert out["likes_per_view"].tolist()[::2] == [0.10, 0.10]
    assert out["comments_per_view"][0] == 0.02 and out["downloads_per_view"][2] == 1 / 50
    assert out.loc[[1, 3], list(RATE_COLUMNS.values())].isna().all().all()
    assert "2 videos have zero views, so their rates are missing" in as_nan.describe()

    as_zero = engagement_rates(frame, zero_views="zero").to_frame()
    assert (as_zero.loc[[1, 3], list(RATE_COLUMNS.values())] == 0).all().all()
    assert as_zero["shares_per_view"][2] == 0.1
    with pytest.raises(ClaimstatsError, match="zero_views must be one of nan, zero"):
        engagement_rates(frame, zero_views="drop")
    with pytest.raises(ClaimstatsError, match="negative values"):
        engagement_rates(frame.assign(video_view_count=[-1, 0, 1, 2]))


# ----------------------------------------------------------------- correlation


def test_correlations_match_scipy(small_clean):
    columns = ["video_view_count", "video_like_count", "video_duration_sec"]
    pairs = correlations(small_clean, columns)
    assert list(pairs.columns) == ["x", "y", "n", "pearson_r", "spearman_rho"] and len(pairs) == 3
    for row in pairs.itertuples(index=False):
        x, y = small_clean[row.x], small_clean[row.y]
        assert row.pearson_r == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
        assert row.spearman_rho == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
        assert row.n == len(small_clean)


def test_correlations_use_pairwise_complete_rows_and_ties():
    frame = pd.DataFrame({"a": [1, 2, 2, 3, 5, np.nan, 7], "b": [2, 1, 4, 4, 9, 3, 8], "c": [0, 0, 1, 1, 1, 2, 2]})
    pairs = correlations(frame).set_index(["x", "y"])
    keep = frame[["a", "b"]].dropna()
    assert pairs.loc[("a", "b"), "n"] == 6 and pairs.loc[("b", "c"), "n"] == 7
    assert pairs.loc[("a", "b"), "spearman_rho"] == pytest.approx(stats.spearmanr(keep["a"], keep["b"]).statistic)
    assert pairs.loc[("b", "c"), "pearson_r"] == pytest.approx(stats.pearsonr(frame["b"], frame["c"]).statistic)
    matrix = correlation_matrix(frame, method="spearman")
    assert matrix.loc["b", "c"] == pytest.approx(stats.spearmanr(frame["b"], frame["c"]).statistic)
    with pytest.raises(ClaimstatsError, match="at least two numeric columns"):
        correlations(frame, ["a"])
    with pytest.raises(ClaimstatsError, match="method must be"):
        correlation_matrix(frame, method="kendall")


def test_a_column_named_twice_is_used_once():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3]})
    pairs = correlations(frame, ["a", "a", "b"])  # one pair, not (a, a) and (a, b) twice
    assert pairs[["x", "y"]].values.tolist() == [["a", "b"]]
    assert pairs.loc[0, "pearson_r"] == pytest.approx(stats.pearsonr(frame["a"], frame["b"]).statistic)
