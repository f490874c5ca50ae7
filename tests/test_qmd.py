"""claimstats.qmd: reading .qmd files as Quarto does, on documents built so the answer is known."""

from __future__ import annotations

import textwrap

import pytest

from claimstats.errors import ClaimstatsError
from claimstats.qmd import (
    Cell,
    Markdown,
    inline_expressions,
    parse_qmd,
    prose_text,
    read_qmd,
    split_front_matter,
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


# --------------------------------------------------------------------- prose


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


def test_blocks_are_plain_dataclasses():
    doc = parse_qmd("Hi\n\n```{python}\nx = 1\n```\n\nBye\n")
    assert doc.blocks == (Markdown("Hi\n", 1), Cell("python", "x = 1", {}, 3), Markdown("\nBye", 6))
