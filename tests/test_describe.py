"""describe: every number checked against numpy, pandas or a hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from claimstats import clean, simulate
from claimstats.describe import (
    STATISTICS,
    class_balance,
    crosstab,
    grouped_summary,
    missing_summary,
    overview,
)
from claimstats.errors import ClaimstatsError, ColumnError


@pytest.fixture(scope="module")
def small_clean() -> pd.DataFrame:
    return clean(simulate(600, seed=5))[0]


@pytest.fixture(scope="module")
def grouped_frame() -> pd.DataFrame:
    """Three groups of different sizes, two value columns, a few missing values."""
    rng = np.random.default_rng(42)
    n = 90
    frame = pd.DataFrame(
        {
            "group": pd.Categorical(rng.choice(["b", "a", "c"], size=n, p=[0.5, 0.3, 0.2]), categories=["c", "a", "b"]),
            "side": rng.choice(["left", "right"], size=n),
            "x": rng.lognormal(3, 1, size=n),
            "y": rng.integers(0, 1000, size=n),
        }
    )
    frame.loc[[3, 17, 40], "x"] = np.nan
    return frame


# ------------------------------------------------------------ grouped summary


def test_grouped_summary_matches_numpy_per_group(grouped_frame):
    table = grouped_summary(grouped_frame, ["x", "y"], "group")
    assert list(table.columns) == ["group", "variable", *STATISTICS]
    # Categories' order (c, a, b), variables in the order asked.
    assert list(table["group"].astype(str)) == ["c", "a", "b", "c", "a", "b"]
    assert list(table["variable"]) == ["x"] * 3 + ["y"] * 3
    for row in table.itertuples(index=False):
        values = grouped_frame.loc[grouped_frame["group"] == row.group, row.variable].dropna().to_numpy(float)
        assert row.count == len(values)
        assert row.mean == pytest.approx(values.mean())
        assert row.sd == pytest.approx(values.std(ddof=1))
        assert row.min == values.min() and row.max == values.max()
        assert row.q1 == pytest.approx(np.quantile(values, 0.25))
        assert row.median == pytest.approx(np.median(values))
        assert row.q3 == pytest.approx(np.quantile(values, 0.75))
    assert table["count"].sum() == grouped_frame[["x", "y"]].notna().sum().sum()


def test_grouped_summary_two_keys_ungrouped_and_wide(grouped_frame):
    two = grouped_summary(grouped_frame, "y", ["group", "side"])
    expected = grouped_frame.groupby(["group", "side"], observed=True)["y"].median()
    assert len(two) == len(expected)
    for row in two.itertuples(index=False):
        assert row.median == expected[(row.group, row.side)]

    whole = grouped_summary(grouped_frame, None, by=None)
    assert list(whole["variable"]) == ["x", "y"]  # the default picks the numeric columns
    assert whole.loc[0, "count"] == 87 and whole.loc[1, "mean"] == pytest.approx(grouped_frame["y"].mean())

    wide = grouped_summary(grouped_frame, ["x", "y"], "group", layout="wide")
    assert list(wide.columns) == ["variable", "statistic", "c", "a", "b"]
    assert list(wide["statistic"][:8]) == list(STATISTICS)
    sd_a = wide.loc[(wide["variable"] == "y") & (wide["statistic"] == "sd"), "a"].item()
    assert sd_a == pytest.approx(grouped_frame.loc[grouped_frame["group"] == "a", "y"].std(ddof=1))


def test_grouped_summary_rejects_bad_columns(grouped_frame):
    with pytest.raises(ColumnError, match=r"unknown column 'views'; available columns: group, side, x, y"):
        grouped_summary(grouped_frame, ["views"], "group")
    with pytest.raises(ColumnError, match=r"column 'side' is not numeric; numeric columns: x, y"):
        grouped_summary(grouped_frame, ["side"], "group")
    with pytest.raises(ColumnError, match=r"cannot group by 'x': it has 87 distinct values"):
        grouped_summary(grouped_frame, ["y"], "x")
    with pytest.raises(ClaimstatsError, match="layout must be"):
        grouped_summary(grouped_frame, ["y"], "group", layout="tall")


# ------------------------------------------------------- balance and crosstab


def test_class_balance_counts_shares_and_empty_levels():
    frame = pd.DataFrame(
        {"claim_status": pd.Categorical(["opinion"] * 3 + ["claim"] * 5 + [None] * 2, categories=["claim", "opinion"]),
         "ban": pd.Categorical(["active"] * 10, categories=["active", "banned"])}
    )
    balance = class_balance(frame)
    table = balance.to_frame()
    assert list(table["level"]) == ["claim", "opinion"] and list(table["count"]) == [5, 3]
    assert table["share"].tolist() == pytest.approx([5 / 8, 3 / 8]) and table["share"].sum() == pytest.approx(1)
    assert balance.missing == 2
    assert balance.describe() == "Of 8 videos with a claim_status (2 missing), 5 (62.5%) are claim and 3 (37.5%) opinion."
    empty = class_balance(frame, "ban").to_frame()
    assert list(empty["count"]) == [10, 0]


def test_crosstab_counts_and_every_normalisation():
    rows = [("claim", "banned")] * 3 + [("claim", "active")] * 5 + [("opinion", "active")] * 8 + [("opinion", None)]
    frame = pd.DataFrame(rows, columns=["claim_status", "author_ban_status"])
    table = crosstab(frame, "claim_status", "author_ban_status")
    counts = table.table()
    assert counts.loc["claim", "banned"] == 3 and counts.loc["opinion", "banned"] == 0
    assert counts.to_numpy().sum() == 16 and table.missing == 1
    row = table.table("row")
    assert row.sum(axis=1).tolist() == pytest.approx([1, 1])
    assert row.loc["claim", "banned"] == pytest.approx(3 / 8)
    column = table.table("column")
    assert column.sum(axis=0).tolist() == pytest.approx([1, 1])
    assert column.loc["claim", "active"] == pytest.approx(5 / 13)
    overall = table.table("overall")
    assert overall.to_numpy().sum() == pytest.approx(1) and overall.loc["opinion", "active"] == pytest.approx(8 / 16)
    expected = pd.crosstab(frame["claim_status"], frame["author_ban_status"], normalize="index")
    pd.testing.assert_frame_equal(row, expected, check_names=False, check_dtype=False)

    tidy = table.to_frame()
    assert list(tidy.columns) == ["claim_status", "author_ban_status", "count", "row_share", "column_share", "overall_share"]
    banned = tidy[(tidy["claim_status"] == "claim") & (tidy["author_ban_status"] == "banned")].iloc[0]
    assert (banned["count"], banned["row_share"], banned["column_share"]) == (3, pytest.approx(3 / 8), pytest.approx(1.0))
    assert table.describe() == "Share with author_ban_status 'banned' by claim_status: claim 37.5% (3 of 8), opinion 0.0% (0 of 8)."
    with pytest.raises(ClaimstatsError, match="normalize must be one of row, column, overall"):
        table.table("rows")
    with pytest.raises(ClaimstatsError, match="has no level 'gone'"):
        table.describe("gone")


def test_crosstab_on_clean_data_keeps_category_order(small_clean):
    table = crosstab(small_clean, "claim_status", "author_ban_status").table()
    assert list(table.index) == ["claim", "opinion"] and list(table.columns) == ["active", "under review", "banned"]
    assert table.to_numpy().sum() == len(small_clean)


# ------------------------------------------------------------ inspect and clean


def test_overview_and_missing_summary():
    frame = pd.DataFrame(
        {"video_id": [1, 2, 2, 3, 3], "text": ["a", "b", "b", None, "c"], "views": [1.0, 2.0, 2.0, np.nan, 5.0]}
    )
    info = overview(frame)
    assert (info.rows, info.columns, info.duplicate_rows, info.duplicate_ids, info.incomplete_rows) == (5, 3, 1, 2, 1)
    table = info.to_frame().set_index("column")
    assert table.loc["views", "missing"] == 1 and table.loc["video_id", "distinct"] == 3
    assert table.loc["views", "dtype"] == "float64"
    assert info.describe() == "5 rows and 3 columns; 1 duplicate rows; 2 repeated video_id values; 1 row with a missing value."
    assert overview(frame.drop(columns="video_id")).duplicate_ids is None

    missing = missing_summary(frame)
    assert missing["missing"].tolist() == [0, 1, 1] and missing["share"].tolist() == [0, 0.2, 0.2]
    assert missing_summary(frame, ["views"])["column"].tolist() == ["views"]


def test_missing_summary_on_raw_synthetic_rows():
    raw = simulate(500, seed=2)
    table = missing_summary(raw).set_index("column")
    n_missing = int(raw["claim_status"].isna().sum())
    assert n_missing > 0 and table.loc["claim_status", "missing"] == n_missing
    assert table.loc["video_id", "missing"] == 0


# ------------------------------------------------------------ real data


def test_course_file_claims_get_about_100_times_the_views(course_frame):
    tidy, _ = clean(course_frame)
    table = grouped_summary(tidy, "video_view_count").set_index("claim_status")
    ratio = table.loc["claim", "median"] / table.loc["opinion", "median"]
    assert 80 < ratio < 125, ratio
    assert table.loc["claim", "count"] == 9_608 and table.loc["opinion", "count"] == 9_476


def test_crosstab_describe_with_an_empty_level_says_so():
    # A categorical level with no rows has no share (0 of 0): the sentence must not print "nan%".
    frame = pd.DataFrame({
        "author_ban_status": pd.Categorical(["active"] * 3 + ["banned"], categories=["active", "under review", "banned"]),
        "claim_status": ["claim", "opinion", "opinion", "claim"],
    })
    text = crosstab(frame, "author_ban_status", "claim_status").describe()
    assert text == ("Share with claim_status 'opinion' by author_ban_status: active 66.7% (2 of 3), "
                    "under review n/a (no videos), banned 0.0% (0 of 1).")


def test_a_column_named_twice_is_used_once():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3]})
    assert grouped_summary(frame, ["b", "b"], by=None)["variable"].tolist() == ["b"]


def test_class_balance_describe_without_values():
    empty = class_balance(pd.DataFrame({"claim_status": pd.Series([None, None], dtype="str")}))
    assert empty.describe() == "No video has a claim_status (2 missing)."


def test_levels_of_mixed_types_sort_as_text():
    mixed = pd.Series(["b", 1, None, "a", 1], dtype=object)
    assert class_balance(pd.DataFrame({"g": mixed}), "g").to_frame()["count"].tolist() == [2, 1, 1]


def test_grouping_column_named_twice_is_used_once(grouped_frame):
    twice = grouped_summary(grouped_frame, "y", ["group", "group"])
    once = grouped_summary(grouped_frame, "y", "group")
    pd.testing.assert_frame_equal(twice, once)
    assert twice["count"].tolist() == grouped_frame.groupby("group", observed=True)["y"].count().tolist()


def test_missing_pattern_says_whether_gaps_share_the_unlabelled_rows():
    from claimstats.describe import missing_pattern
    from claimstats.schema import NULLABLE, TARGET

    frame = pd.DataFrame({TARGET: ["claim", None, "opinion", None], "a": [1.0, None, 2.0, None], "b": [1, 2, 3, 4]})
    assert missing_pattern(frame) == "they are not scattered: the same 2 rows lack the label and a"
    scattered = frame.assign(a=[None, None, 2.0, 3.0])  # rows 1, 2, 4 incomplete; 2 and 4 unlabelled
    assert missing_pattern(scattered) == "3 rows have at least one missing value, 2 of them without a label"
    whole = pd.DataFrame({c: [None, "x"] for c in sorted(NULLABLE)})
    assert missing_pattern(whole).endswith("the same 1 rows lack the label, the transcription and every engagement count")
