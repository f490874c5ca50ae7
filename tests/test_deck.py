"""The stakeholder deck (slides/executive.qmd): its structure, without Quarto.

Rendering it, and checking its numbers against the package's, is
tests/test_browser.py's job (where Quarto and Chromium are around).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DECK = ROOT / "slides" / "executive.qmd"
TEXT = DECK.read_text(encoding="utf-8")
FRONT, BODY = re.match(r"(?s)^---\n(.*?)\n---\n(.*)$", TEXT).groups()
META = yaml.safe_load(FRONT)


def slides(body: str = BODY) -> list[tuple[str, str]]:
    """``(title, content)`` of each ``##`` slide, code cells included."""
    parts = re.split(r"(?m)^## (.+)$", body)
    return list(zip(parts[1::2], parts[2::2]))


def prose(text: str) -> str:
    """What a reader of the slides reads: no code cells, inline code, attributes, div fences or list numbers."""
    text = re.sub(r"(?ms)^```.*?^```[ \t]*$", " ", text)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"\{[^}\n]*\}", " ", text)
    text = re.sub(r"(?m)^:{3,}.*$", " ", text)
    return re.sub(r"(?m)^\s*\d+\.\s", " ", text)


def typed_numbers(text: str) -> list[str]:
    return re.findall(r"\S*\d\S*", prose(text))


def test_the_number_check_catches_typed_numbers():
    sample = "## A {#sec-a}\n\n1. We saved 47% of `{python} n` reviews.\n\n```{python}\nx = 3\n```\n\n::: {.notes}\nSay 12.\n:::\n"
    assert typed_numbers(sample) == ["47%", "12."]


def test_it_is_a_revealjs_deck_of_about_ten_slides():
    assert list(META["format"]) == ["revealjs"]
    assert META["title"] and META["subtitle"]
    # The title slide and the ## slides: "about 8 to 10 slides".
    assert 8 <= 1 + len(slides()) <= 10
    ids = [re.search(r"\{#(sec-deck-[\w-]+)", title).group(1) for title, _ in slides()]
    assert len(set(ids)) == len(ids)


def test_every_slide_has_speaker_notes():
    for title, content in slides():
        notes = re.search(r"(?ms)^::: \{\.notes\}\n(.*?)^:::$", content)
        assert notes and len(notes.group(1).split()) >= 20, f"{title}: no speaker notes (or too short)"


def test_no_number_is_typed_into_the_slides_or_the_notes():
    problems = {title: typed_numbers(content) for title, content in slides()}
    problems = {title: found for title, found in problems.items() if found}
    assert not problems, f"numbers typed into the deck (compute them with claimstats): {problems}"
    assert not typed_numbers(str(META["title"]) + " " + str(META["subtitle"]))


def test_the_deck_covers_the_case_in_order():
    titles = [title.lower() for title, _ in slides()]
    wanted = ["question", "data", "confounded", "leak", "queue buys", "review", "recommendation", "risks"]
    positions = [next((i for i, t in enumerate(titles) if w in t), None) for w in wanted]
    assert None not in positions, dict(zip(wanted, positions))
    assert positions == sorted(positions)


def test_its_code_starts_from_the_book_setup_and_calls_only_claimstats():
    cells = re.findall(r"(?ms)^```\{python\}\n(.*?)^```", BODY)
    code = [line for line in cells[0].splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert code[0] == "%run ../chapters/_setup.py", "the first cell must run the book's shared set-up"
    for cell in cells:
        for line in cell.splitlines():
            match = re.match(r"\s*(?:from\s+(\S+)\s+import|import\s+(\S+))", line)
            if match:
                assert (match.group(1) or match.group(2)).split(".")[0] == "claimstats", line
    inline = re.findall(r"`\{python\} ([^`]+)`", BODY)
    assert inline and all(re.fullmatch(r"[A-Za-z_]\w*", name) for name in inline), "inline code shows names only"
    defined = set(re.findall(r"(?m)^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=", "\n".join(cells)))
    names = {n.strip() for group in defined for n in group.split(",")}
    assert set(inline) <= names, f"inline names never assigned: {set(inline) - names}"


@pytest.mark.parametrize("pattern", ["slides/*.html", "slides/*_files/", "slides/figures/"])
def test_the_deck_output_is_ignored(pattern):
    assert pattern in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
