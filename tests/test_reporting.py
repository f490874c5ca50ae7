"""APA formatting of p-values and numbers, against the rules written out by hand."""

from __future__ import annotations

from claimstats.reporting import COUNT_NOUNS, format_number, format_p, magnitude_decimals
from claimstats.schema import COUNT_COLUMNS


def test_format_p_and_numbers_follow_apa():
    assert [format_p(p) for p in (0.0009999, 0.001, 0.0449, 0.05, 0.5, 0.9999)] == [
        "p < .001", "p = .001", "p = .045", "p = .050", "p = .500", "p > .999"]
    assert format_number(1571.163, 1) == "1,571.2" and format_number(-0.396) == "-0.40"


def test_decimals_follow_the_largest_finite_magnitude():
    assert magnitude_decimals(999.99, -12.5) == 2
    assert magnitude_decimals(3.2, -1000.0) == 0  # the sign does not matter, only the size
    assert magnitude_decimals(float("inf"), 5.0) == 2 and magnitude_decimals(float("nan")) == 2


def test_every_count_column_has_a_noun():
    assert [COUNT_NOUNS[c] for c in COUNT_COLUMNS] == [c.split("_")[1] + "s" for c in COUNT_COLUMNS]
