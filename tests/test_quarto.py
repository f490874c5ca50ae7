"""claimstats.quarto: reading .qmd files as Quarto does, on documents built so the answer is known."""

from __future__ import annotations

import re
import textwrap

import pandas as pd
import pytest

from claimstats.errors import ClaimstatsError
from claimstats.quarto import (
    Cell,
    Markdown,
    figure_markdown,
    inline_expressions,
    is_format,
    markdown_table,
    parse_attributes,
    package_versions,
    parse_qmd,
    project_config,
    prose_text,
    read_qmd,
    split_front_matter,
    visible_text,
)


def qmd(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


DOC = qmd(
    """
    ---
    title: "Explore"
    execute:
      echo: true
    ---

    # Explore {#sec-explore}

    ```{python}
    #| label: setup
    #| include: false
    %run _setup.py
    rows = 12
    ```

    We keep `{python} rows` rows; see @fig-views and @tbl-summary, not a@b.com.

    ```python
    # shown, not run: `{python} shown_in_code_block`
    print("hello")
    ```

    ````{python}
    #| label: tbl-summary
    #| tbl-cap: "Rows by class (see @sec-explore)"
    text = '''
    ```
    not a fence of ours
    ```'''
    ````

    ::: {#fig-views}
    ```{python}
    #| output: asis
    print("![](a.png)")
    ```

    Views by class, `{python} f"{rows:,}"` rows.
    :::

    ```{{python}}
    escaped = "not run"
    ```
    """
)


def test_front_matter_cells_and_markdown_in_document_order():
    doc = parse_qmd(DOC, "explore.qmd")
    assert doc.front_matter == {"title": "Explore", "execute": {"echo": True}}
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["Markdown", "Cell", "Markdown", "Cell", "Markdown", "Cell", "Markdown"]
    setup, table, figure = doc.cells
    assert setup.options == {"label": "setup", "include": False}
    assert setup.code == "%run _setup.py\nrows = 12"
    assert setup.line == DOC.splitlines().index("```{python}") + 1
    # a four-backtick cell keeps its three-backtick lines as code
    assert table.label == "tbl-summary" and table.code.count("```") == 2
    assert figure.options == {"output": "asis"}
    # ```python and ```{{python}} are not executable: they stay in the Markdown
    markdown = "\n".join(b.text for b in doc.markdown)
    assert 'print("hello")' in markdown and 'escaped = "not run"' in markdown


def test_inline_expressions_follow_quartos_pattern_and_lines():
    doc = parse_qmd(DOC)
    lines = DOC.splitlines()
    found = [(e.code, e.line) for e in doc.inline_expressions()]
    expected_line = next(i for i, line in enumerate(lines, 1) if line.startswith("We keep"))
    caption_line = next(i for i, line in enumerate(lines, 1) if line.startswith("Views by class"))
    code_line = next(i for i, line in enumerate(lines, 1) if "shown_in_code_block" in line)
    # Quarto scans whole markdown cells, non-executable code blocks included
    assert found == [("rows", expected_line), ("shown_in_code_block", code_line), ('f"{rows:,}"', caption_line)]
    assert inline_expressions("``{python} x`` and `{python}x` and `{python}\tz`") == [
        inline_expressions("`{python}\tz`")[0]
    ]


def test_labels_references_and_captions():
    doc = parse_qmd(DOC)
    labels = {(l.name, l.origin) for l in doc.labels()}
    assert labels == {("sec-explore", "heading"), ("setup", "cell"), ("tbl-summary", "cell"), ("fig-views", "div")}
    refs = [r.name for r in doc.references()]
    assert sorted(refs) == ["fig-views", "sec-explore", "tbl-summary"]  # the e-mail is not a reference
    (div,) = doc.divs()
    assert div.attributes.id == "fig-views"
    assert div.caption == 'Views by class, `{python} f"{rows:,}"` rows.'


def test_references_skip_code_spans_and_keep_citations_apart():
    doc = parse_qmd("Text `@fig-no` and @fig-yes, [@smith2020; -@tbl-t] and ?@sec-s.\n")
    refs = doc.references()
    assert [r.name for r in refs] == ["fig-yes", "smith2020", "tbl-t", "sec-s"]
    assert [r.is_crossref for r in refs] == [True, False, True, True]


def test_div_caption_is_the_last_paragraph_and_empty_without_one():
    doc = parse_qmd(
        qmd(
            """
            ::: {#fig-a}
            ```{python}
            x = 1
            ```
            Caption right after the cell.
            :::

            ::: {#fig-b}
            ```{python}
            x = 2
            ```
            :::

            ::: {.callout-note}
            ## Note
            Outer text.

            ::: {#tbl-c}
            | a |
            |---|
            | 1 |

            Table caption.
            :::
            :::
            """
        )
    )
    divs = {d.attributes.id or d.attributes.classes[0]: d for d in doc.divs()}
    assert divs["fig-a"].caption == "Caption right after the cell."
    assert divs["fig-b"].caption == ""
    assert divs["tbl-c"].caption == "Table caption."
    assert divs["callout-note"].line < divs["tbl-c"].line < divs["tbl-c"].end_line < divs["callout-note"].end_line


def test_bad_yaml_is_a_clear_error():
    with pytest.raises(ClaimstatsError, match="front matter is not valid YAML"):
        split_front_matter("---\ntitle: [unclosed\n---\n", "ch.qmd")
    with pytest.raises(ClaimstatsError, match="never closed"):
        split_front_matter("---\ntitle: x\n", "ch.qmd")
    with pytest.raises(ClaimstatsError, match=r"ch.qmd, line 1: cell options"):
        parse_qmd("```{python}\n#| label: [x\n1\n```\n", "ch.qmd")


def test_read_qmd(tmp_path):
    path = tmp_path / "a.qmd"
    path.write_text("```{python}\nx = 1\n```\n", encoding="utf-8")
    doc = read_qmd(path)
    assert doc.path == str(path) and doc.cells == [Cell("python", "x = 1", {}, 1)]


def test_parse_attributes():
    attrs = parse_attributes("""{#fig-x .a .b key=v other="two words" q='it\\'s'}""")
    assert attrs.id == "fig-x" and attrs.classes == ("a", "b")
    assert dict(attrs.pairs) == {"key": "v", "other": "two words", "q": "it's"}
    assert parse_attributes("{.content-visible when-profile=instructor}").get("when-profile") == "instructor"


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


# --------------------------------------------------------------------- prose and output helpers


def test_prose_text_keeps_running_text_only_and_line_numbers():
    text = qmd(
        """
        ---
        title: "Ch 1"
        ---
        Rows: `{python} n`, code `x = 3`, see @fig-a2 and [link](http://x.org/a1){.c3}.
        <!-- note 4 -->
        ```{python}
        y = 5
        ```
        ::: {#fig-a2 width="6"}
        Typed 7 here.
        :::
        8. a list item with 9 in it
        """
    )
    prose = prose_text(text)
    assert len(prose.split("\n")) == len(text.split("\n"))
    digits = [(i, ch) for i, line in enumerate(prose.split("\n"), 1) for ch in line if ch.isdigit()]
    assert digits == [(10, "7"), (12, "9")]


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


def test_blocks_are_plain_dataclasses():
    doc = parse_qmd("Hi\n\n```{python}\nx = 1\n```\n\nBye\n")
    assert doc.blocks == (Markdown("Hi\n", 1), Cell("python", "x = 1", {}, 3), Markdown("\nBye", 6))


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


def test_execute_qmd_runs_cells_and_inline_code_in_quartos_order(tmp_path):
    from claimstats.quarto import ExecutionError, execute_qmd

    folder = tmp_path / "chapters"
    folder.mkdir()
    (folder / "data.txt").write_text("41", encoding="utf-8")
    doc = folder / "ch.qmd"
    doc.write_text(
        qmd(
            """
            # Chapter

            ```{python}
            #| label: first
            import os
            x = int(open("data.txt").read())
            ```

            Before the change: `{python} x`, folder `{python} os.path.basename(os.getcwd())`.

            ```{python}
            #| eval: false
            x = 1000
            ```

            ```{python}
            x = x + 1
            print("printed")
            ```

            After: `{python} f"{x:,}"`.
            """
        ),
        encoding="utf-8",
    )
    run = execute_qmd(doc, env=dict(__import__("os").environ, MPLBACKEND="Agg"))
    values = [(r.expression.code, r.data["text/plain"]) for r in run.inline]
    # inline code sees the cells above it only; the working directory is the document's folder
    assert values == [("x", "41"), ("os.path.basename(os.getcwd())", "'chapters'"), ('f"{x:,}"', "'42'")]
    assert [c.cell.line for c in run.cells] == [3, 16] and run.cells[1].stdout == "printed\n"
    assert run.seconds >= run.kernel_start_seconds > 0

    doc.write_text("Text.\n\n```{python}\nx = 1\n```\n\nBroken `{python} y`.\n", encoding="utf-8")
    with pytest.raises(ExecutionError, match=r"ch.qmd, line 7: inline `y` failed: NameError"):
        execute_qmd(doc)
    doc.write_text("```{python}\n1 / 0\n```\n", encoding="utf-8")
    with pytest.raises(ExecutionError, match=r"^ch.qmd, cell at line 1: ZeroDivisionError: division by zero$") as err:
        execute_qmd(doc)
    assert "1 / 0" in err.value.traceback and "\x1b[" not in err.value.traceback
    doc.write_text("# No code\n\nJust `code`.\n", encoding="utf-8")
    assert execute_qmd(doc).seconds == 0.0  # no kernel, as Quarto's markdown engine
