"""claimstats.book_output: what the book's cells print, on inputs built so the answer is known."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from claimstats.book_output import figure_markdown, markdown_table, memoised, package_versions, project_config
from claimstats.errors import ClaimstatsError


def test_figure_markdown_round_trips_the_alt_text():
    alt = 'Box plot: "claims" get ~100x the views\nof opinions \\ more'
    md = figure_markdown("figures/fig-a.png", alt, width="75%")
    match = re.fullmatch(r'!\[\]\(figures/fig-a\.png\)\{fig-alt="((?:[^"\\]|\\.)*)" width="75%"\}', md)
    assert match, md
    assert re.sub(r"\\(.)", r"\1", match.group(1)) == " ".join(alt.split())
    with pytest.raises(ClaimstatsError, match="alt text is empty"):
        figure_markdown("a.png", "  ")


def test_markdown_table_formats_numbers():
    table = markdown_table(pd.DataFrame({"class": ["claim", "opinion"], "rows": [9608, 9476], "share": [0.50348, 0.49652]}))
    lines = table.splitlines()
    assert len(lines) == 4 and lines[1].count("|") == 4
    assert "9,608" in lines[2] and "0.503" in lines[2] and "0.497" in lines[3]
    piped = markdown_table(pd.DataFrame({"allowed | values": ["claim | opinion"]})).splitlines()
    # two unescaped pipes per row: the outer borders only
    assert [len(re.findall(r"(?<!\\)\|", line)) for line in piped] == [2, 2, 2]


def test_markdown_table_shows_text_as_written_and_aligns_number_text_right():
    frame = pd.DataFrame({"statistic": ["17884", "0.5"], "p-value": ["< .001", "n = 4.2%"],
                          "conclusion": ["small group", "normal"], "count": [1234, 5]})
    header, rule, *rows = markdown_table(frame).splitlines()
    cells = [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]
    # re-read as numbers, "17884" and "0.5" would be one float column: 1.79e+04 and 0.5
    assert cells == [["17884", "< .001", "small group", "1,234"], ["0.5", "n = 4.2%", "normal", "5"]]
    aligned = ["right" if part.strip().endswith(":") and not part.strip().startswith(":") else "left"
               for part in rule.split("|")[1:-1]]
    assert aligned == ["right", "right", "left", "right"]
    indexed = markdown_table(frame.set_index("conclusion"), index=True).splitlines()
    assert indexed[1].split("|")[1].strip().startswith(":")  # a text index: left-aligned
    assert "| small group " in indexed[2]


def test_bounded_columns_never_round_onto_zero_or_one():
    table = pd.DataFrame({"rank": [1, 2, 3], "p": [0.999962, 0.25, 0.0000031]})
    text = markdown_table(table, floatfmt=".4f", bounded=["p"])
    cells = [line.split("|")[2].strip() for line in text.splitlines()[2:]]
    assert cells == ["0.99996", "0.2500", "0.000003"]
    assert "1.0000" in markdown_table(table, floatfmt=".4f")  # what a plain float format would show
    with pytest.raises(ClaimstatsError, match="bounded columns not in the table: \\['q'\\]"):
        markdown_table(table, bounded=["q"])


def test_percent_columns_are_written_as_percentages_and_the_rest_as_before():
    table = pd.DataFrame({"column": ["a", "b", "c"], "upper": [1234.5, 10.0, 7.25],
                          "share": [0.97312, 0.0004, float("nan")]})
    lines = markdown_table(table, floatfmt=",.0f", percent=["share"]).splitlines()
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in lines[2:]]
    assert [row[2] for row in rows] == ["97.3%", "0.0%", ""]  # by hand: 97.312% and 0.04% to one decimal
    assert [row[1] for row in rows] == ["1,234", "10", "7"]  # the other columns keep floatfmt
    assert lines[1].split("|")[3].strip().endswith(":")  # percentages are right-aligned, as numbers are
    with pytest.raises(ClaimstatsError, match="percent columns not in the table: \\['q'\\]"):
        markdown_table(table, percent=["q"])
    with pytest.raises(ClaimstatsError, match="both bounded and percent: \\['share'\\]"):
        markdown_table(table, percent=["share"], bounded=["share"])


def test_project_config_is_found_upwards_and_missing_is_an_error(tmp_path):
    (tmp_path / "_quarto.yml").write_text("book:\n  title: T\n", encoding="utf-8")
    (tmp_path / "chapters").mkdir()
    assert project_config(tmp_path / "chapters") == {"book": {"title": "T"}}
    with pytest.raises(ClaimstatsError, match="no _quarto.yml"):
        project_config("/")


def test_package_versions_match_importlib_metadata():
    import platform
    from importlib import metadata

    table = package_versions(["pandas", "no-such-package-xyz"])
    assert table.values.tolist() == [
        ["Python", platform.python_version()],
        ["pandas", metadata.version("pandas")],
        ["no-such-package-xyz", "not installed"],
    ]


def test_memoised_computes_once_per_data_and_options(tmp_path):
    calls = []

    def tally(data, *, column, n_jobs=None):
        calls.append((column, len(data)))
        return {"sum": float(data[column].sum()), "n": len(data)}

    cached = memoised(tally, tmp_path / "cache")
    frame = pd.DataFrame({"a": [1.5, 2.0, 4.0], "b": pd.Categorical(["x", "y", "x"])})
    first = cached(frame, column="a")
    assert first == {"sum": 7.5, "n": 3}
    # the same values in another frame object, another job count: read back, not recomputed
    assert cached(frame.copy(), column="a", n_jobs=4) == first and calls == [("a", 3)]
    # other values, another index or another dtype: computed again
    changed = frame.assign(a=[1.5, 2.0, 5.0])
    assert cached(changed, column="a")["sum"] == 8.5
    assert cached(frame.set_index(pd.Index([7, 8, 9])), column="a")["sum"] == 7.5
    assert cached(frame.astype({"a": "float32"}), column="a")["sum"] == 7.5
    assert len(calls) == 4
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 4 and not list((tmp_path / "cache").glob("*.part"))
