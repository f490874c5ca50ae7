"""Pandoc's Markdown syntax, read without Pandoc: fenced code, code spans, attribute sets, div fences.

Both readers of a ``.qmd``, :mod:`claimstats.qmd` (cells, labels, prose) and
:mod:`claimstats.quarto` (conditional content), must agree on what is code and
what is a fence, so they share the scanners here:

* :func:`parse_attributes` reads an attribute set ``{#id .class key="value"}``
  into :class:`Attributes`;
* :func:`scan_fences` finds fenced code blocks (backticks or tildes, closed by a
  fence of the same character at least as long);
* :func:`mask_code`, :func:`code_span_ranges` and :func:`blank_ranges` hide code blocks and
  code spans, keeping line numbers (and offsets when asked);
* :func:`div_events` walks the ``:::`` fences of fenced divs outside code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ATTRIBUTE_BLOCK",
    "DIV_FENCE",
    "FENCE",
    "Attributes",
    "blank_ranges",
    "code_span_ranges",
    "div_events",
    "mask_code",
    "parse_attributes",
    "scan_fences",
]

#: An opening code fence: indent, the fence (3+ backticks or tildes), the info string.
FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`]*?)[ \t]*$")
#: A div fence: 3+ colons, then its attributes (none on a closing fence).
DIV_FENCE = re.compile(r"^ {0,3}(:{3,})[ \t]*(.*?)[ \t]*:*[ \t]*$")
_ATTR_TOKEN = re.compile(r"""\s*(?:(#[^\s}]+)|(\.[^\s}]+)|([\w:-]+)=("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s}]+))""")
#: An attribute set in braces, as it follows a heading, a span or an image.
ATTRIBUTE_BLOCK = re.compile(
    r"""\{\s*((?:(?:[#.][\w:.-]+|[\w:-]+=(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s{}]+))\s*)+)\}"""
)


# --------------------------------------------------------------------- attributes


@dataclass(frozen=True)
class Attributes:
    """A Pandoc attribute set ``{#id .class key="value"}``."""

    id: str | None = None
    classes: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()

    def get(self, key: str, default: str | None = None) -> str | None:
        """The last value given for ``key`` (Pandoc keeps one value per key)."""
        found = [v for k, v in self.pairs if k == key]
        return found[-1] if found else default


def parse_attributes(text: str) -> Attributes:
    """Parse ``{#id .class key=value key="quoted value"}`` (braces optional) or a bare class word.

    Examples
    --------
    >>> a = parse_attributes('{#fig-x .wide fig-alt="A \\\\"box\\\\" plot"}')
    >>> a.id, a.classes, a.get("fig-alt")
    ('fig-x', ('wide',), 'A "box" plot')
    >>> parse_attributes("callout-note").classes
    ('callout-note',)
    """
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    elif re.fullmatch(r"[\w-]+", body):
        return Attributes(classes=(body,))
    ident, classes, pairs = None, [], []
    for match in _ATTR_TOKEN.finditer(body):
        if match.group(1):
            ident = match.group(1)[1:]
        elif match.group(2):
            classes.append(match.group(2)[1:])
        elif match.group(3):
            value = match.group(4)
            if value[:1] in "\"'" and value[-1:] == value[:1] and len(value) >= 2:
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            pairs.append((match.group(3), value))
    return Attributes(ident, tuple(classes), tuple(pairs))


# --------------------------------------------------------------------- code blocks and code spans


def scan_fences(lines: list[str]):
    """Yield ``(start, end, info)`` for every fenced code block (0-based line indices, end inclusive).

    Examples
    --------
    >>> list(scan_fences(["text", "```{python}", "x = 1", "```", "more"]))
    [(1, 3, '{python}')]
    """
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        fence, info = match.group(2), match.group(3)
        close = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
        end = index + 1
        while end < len(lines) and not close.match(lines[end]):
            end += 1
        yield index, min(end, len(lines) - 1), info
        index = end + 1


def mask_code(text: str, same_length: bool = False) -> str:
    """Blank out fenced code blocks: each line becomes a NUL marker (or spaces, keeping offsets).

    Examples
    --------
    >>> lines = ["a", "```", "b", "```", "c"]
    >>> mask_code("\\n".join(lines)).split("\\n")
    ['a', '\\x00', '\\x00', '\\x00', 'c']
    """
    lines = text.split("\n")
    for start, end, _ in scan_fences(lines):
        for index in range(start, end + 1):
            lines[index] = " " * len(lines[index]) if same_length else "\x00"
    return "\n".join(lines)


def code_span_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of inline code spans (a run of n backticks closed by exactly n).

    Examples
    --------
    >>> code_span_ranges("see `x` and ``y ` z``")
    [(4, 7), (12, 21)]
    """
    ranges = []
    position = 0
    opener = re.compile(r"(?<!`)(`+)(?!`)")
    while True:
        match = opener.search(text, position)
        if not match:
            return ranges
        ticks = match.group(1)
        closer = re.compile(r"(?<!`)" + ticks + r"(?!`)")
        close = closer.search(text, match.end())
        if not close:
            position = match.end()
            continue
        ranges.append((match.start(), close.end()))
        position = close.end()


def blank_ranges(text: str, ranges: Iterable[tuple[int, int]]) -> str:
    """``text`` with the characters in ``ranges`` replaced by spaces (line breaks kept).

    Examples
    --------
    >>> blank_ranges("see `x` here", [(4, 7)])
    'see     here'
    """
    chars = list(text)
    for start, end in ranges:
        for index in range(start, end):
            if chars[index] != "\n":
                chars[index] = " "
    return "".join(chars)


# --------------------------------------------------------------------- divs


def div_events(lines: list[str]):
    """Yield ``("open", index, Attributes)`` and ``("close", index, None)`` for div fences outside code.

    Examples
    --------
    >>> [(kind, index) for kind, index, _ in div_events(["::: {.note}", "```", ":::", "```", ":::"])]
    [('open', 0), ('close', 4)]
    """
    code = set()
    for start, end, _ in scan_fences(lines):
        code.update(range(start, end + 1))
    depth = 0
    for index, line in enumerate(lines):
        if index in code:
            continue
        match = DIV_FENCE.match(line)
        if not match:
            continue
        attrs = match.group(2).strip()
        if attrs:
            depth += 1
            yield "open", index, parse_attributes(attrs)
        elif depth:
            depth -= 1
            yield "close", index, None
