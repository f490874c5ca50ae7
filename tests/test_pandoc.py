"""claimstats.pandoc: Pandoc's Markdown syntax, on text built so the answer is known."""

from __future__ import annotations

from claimstats.pandoc import code_span_ranges, div_events, scan_fences, parse_attributes


def test_parse_attributes():
    attrs = parse_attributes("""{#fig-x .a .b key=v other="two words" q='it\\'s'}""")
    assert attrs.id == "fig-x" and attrs.classes == ("a", "b")
    assert dict(attrs.pairs) == {"key": "v", "other": "two words", "q": "it's"}
    assert parse_attributes("{.content-visible when-profile=instructor}").get("when-profile") == "instructor"


def test_fences_close_on_the_same_character_at_least_as_long():
    lines = ["text", "````{python}", "```", "inner", "```", "````", "~~~", "unclosed"]
    # the three-backtick lines sit inside the four-backtick block; an unclosed fence runs to the end
    assert list(scan_fences(lines)) == [(1, 5, "{python}"), (6, 7, "")]


def test_code_spans_close_on_a_run_of_the_same_length():
    text = "a `x` b ``y ` z`` c ```w"
    assert [text[start:end] for start, end in code_span_ranges(text)] == ["`x`", "``y ` z``"]


def test_div_fences_inside_code_are_code():
    lines = ["::: {.note}", "```", ":::", "```", ":::", ":::"]
    # the ':::' in code is skipped; the last one closes nothing (depth is back to 0)
    assert [(kind, index) for kind, index, _ in div_events(lines)] == [("open", 0), ("close", 4)]
