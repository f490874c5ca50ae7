"""column_checks: which columns are picked, checked and in what order their levels come."""

from __future__ import annotations

import pandas as pd
import pytest

from claimstats import clean, simulate
from claimstats.column_checks import MAX_GROUPS, as_column_list, category_levels, check_groupable, numeric_columns
from claimstats.errors import ColumnError
from claimstats.schema import COUNT_COLUMNS


@pytest.fixture(scope="module")
def small_clean() -> pd.DataFrame:
    return clean(simulate(600, seed=5))[0]


def test_numeric_columns_skips_identifiers(small_clean):
    picked = numeric_columns(small_clean)
    assert "#" not in picked and "video_id" not in picked
    assert picked == ["video_duration_sec", *COUNT_COLUMNS]
    assert numeric_columns(small_clean, exclude=["video_duration_sec"]) == list(COUNT_COLUMNS)


def test_a_column_named_twice_is_used_once():
    frame = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 1, 4, 3]})
    assert numeric_columns(frame, ["a", "a", "b"]) == ["a", "b"]


def test_levels_of_mixed_types_sort_as_text():
    mixed = pd.Series(["b", 1, None, "a", 1], dtype=object)
    assert category_levels(mixed) == [1, "a", "b"]  # "1" < "a" < "b"


def test_as_column_list():
    assert as_column_list(None) == []
    assert as_column_list("a") == ["a"]
    assert as_column_list(("a", "b")) == ["a", "b"]


def test_grouping_by_too_many_levels_is_refused():
    frame = pd.DataFrame({"many": range(MAX_GROUPS + 1), "few": [0, 1] * 25 + [0]})
    check_groupable(frame, ["few"])  # 2 levels: fine
    with pytest.raises(ColumnError, match=r"cannot group by 'many': it has 51 distinct values \(at most 50\); "
                                          r"categorical columns: few$"):
        check_groupable(frame, ["many"])
    with pytest.raises(ColumnError, match="nope"):
        check_groupable(frame, ["nope"])
