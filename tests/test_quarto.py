"""claimstats.quarto: conditional content, project file, output helpers, on inputs built so the answer is known."""

from __future__ import annotations

import re
import textwrap

import pandas as pd
import pytest

from claimstats.errors import ClaimstatsError
from claimstats.pandoc import parse_attributes
from claimstats.quarto import (
    figure_markdown,
    is_format,
    markdown_table,
    package_versions,
    project_config,
    visible_text,
)


def qmd(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --------------------------------------------------------------------- conditional content

EXERCISE = qmd(
    """
    Question: what is 2 + 2?

    ::: {.content-visible when-profile="instructor"}
    SOLUTION-A: 4.

    ```python
    :::
    a fence-looking line inside code
    ```
    :::

    ::: {.content-hidden when-profile="instructor"}
    STUDENT-ONLY: try it yourself.
    :::

    ::: {.callout-tip}
    TIP-TEXT

    ::: {.content-visible unless-profile="instructor"}
    NESTED-STUDENT
    :::
    :::

    ::: {.content-visible when-format="html" when-profile="instructor"}
    HTML-INSTRUCTOR
    :::

    ::: {.content-visible when-format="pdf"}
    PDF-ONLY
    :::

    ::: {.content-visible when-format="typst"}
    TYPST-ONLY
    :::

    ::: {.content-visible when-meta="solutions.show"}
    META-ONLY
    :::

    Inline: [SPAN-INSTRUCTOR]{.content-visible when-profile="instructor"} and
    [SPAN-[NESTED]-HTML]{.content-hidden unless-format="html"}.

    ```{.python .content-visible when-profile="instructor"}
    CODE-INSTRUCTOR = 1
    ```
    """
)

MARKERS = (
    "SOLUTION-A", "STUDENT-ONLY", "TIP-TEXT", "NESTED-STUDENT", "HTML-INSTRUCTOR", "PDF-ONLY",
    "TYPST-ONLY", "META-ONLY", "SPAN-INSTRUCTOR", "SPAN-[NESTED]-HTML", "CODE-INSTRUCTOR",
)


def shown(**kwargs) -> set[str]:
    text = visible_text(EXERCISE, **kwargs)
    return {m for m in MARKERS if m in text}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, {"STUDENT-ONLY", "TIP-TEXT", "NESTED-STUDENT", "SPAN-[NESTED]-HTML"}),
        (
            {"profile": "instructor"},
            {"SOLUTION-A", "TIP-TEXT", "HTML-INSTRUCTOR", "SPAN-INSTRUCTOR", "SPAN-[NESTED]-HTML", "CODE-INSTRUCTOR"},
        ),
        ({"profile": "instructor", "fmt": "typst"}, {"SOLUTION-A", "TIP-TEXT", "TYPST-ONLY", "SPAN-INSTRUCTOR", "CODE-INSTRUCTOR"}),
        ({"fmt": "pdf"}, {"STUDENT-ONLY", "TIP-TEXT", "NESTED-STUDENT", "PDF-ONLY"}),
        ({"profile": "student,instructor", "fmt": "revealjs"},
         {"SOLUTION-A", "TIP-TEXT", "HTML-INSTRUCTOR", "SPAN-INSTRUCTOR", "SPAN-[NESTED]-HTML", "CODE-INSTRUCTOR"}),
        ({"profile": ["other"], "meta": {"solutions": {"show": True}}},
         {"STUDENT-ONLY", "TIP-TEXT", "NESTED-STUDENT", "META-ONLY", "SPAN-[NESTED]-HTML"}),
    ],
)
def test_visible_text_applies_conditions_like_quarto(kwargs, expected):
    assert shown(**kwargs) == expected


def test_visible_text_keeps_everything_else_verbatim_and_drops_only_condition_fences():
    text = visible_text(EXERCISE, profile="instructor")
    assert text.startswith("Question: what is 2 + 2?\n")
    assert "content-visible" not in text and "content-hidden" not in text
    assert "::: {.callout-tip}" in text  # other divs stay
    # the ':::' line inside the solution's code block is code, not a fence
    assert ":::\na fence-looking line inside code" in text
    # seven conditional divs lose both fences; the callout's two fences and the line in code stay
    assert EXERCISE.count("\n:::") == 2 * 7 + 2 + 1 and text.count("\n:::") == 2 + 1
    assert visible_text("No conditions here.\n") == "No conditions here.\n"


def test_meta_condition_needs_a_true_boolean():
    block = '::: {.content-visible when-meta="show"}\nX\n:::\n'
    assert "X" in visible_text(block, meta={"show": True})
    assert "X" not in visible_text(block, meta={"show": "yes"})


def test_format_aliases_match_quarto():
    assert is_format("html", "html5") and is_format("html", "epub3") and is_format("html", "revealjs")
    assert not is_format("html:js", "epub") and is_format("html:js", "html")
    assert is_format("pdf", "latex") and is_format("latex", "pdf") and not is_format("pdf", "typst")
    assert is_format("markdown", "gfm") and not is_format("typst", "pdf")


# --------------------------------------------------------------------- output helpers


def test_figure_markdown_round_trips_the_alt_text():
    alt = 'Box plot: "claims" get ~100x the views\nof opinions \\ more'
    md = figure_markdown("figures/fig-a.png", alt, width="75%")
    assert md.startswith("![](figures/fig-a.png){")
    attrs = parse_attributes(md[md.index("{") :])
    assert attrs.get("fig-alt") == " ".join(alt.split()) and attrs.get("width") == "75%"
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
