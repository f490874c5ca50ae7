"""Read a ``.qmd`` without Quarto: front matter, cells, inline code, labels, references, prose.

The book and the exercises are ``.qmd`` files. Their tests cannot run Quarto, so
this module reads a ``.qmd`` the way Quarto does, for the parts a test needs:

* :func:`parse_qmd` splits a document into its YAML front matter, executable
  code cells (with their ``#|`` options) and the Markdown between them, in
  order, which is also the order Quarto's Jupyter engine executes them in;
* :meth:`Qmd.inline_expressions`, :meth:`Qmd.labels`, :meth:`Qmd.references`
  and :meth:`Qmd.divs` find inline ```{python} expr``` code, cross-reference
  labels, ``@`` references and fenced divs;
* :func:`prose_text` keeps only the words a reader sees as running text (no
  code, no attributes, no link targets), for checks such as "no typed numbers".

The Markdown syntax underneath (fences, code spans, attributes, div fences) is
read by :mod:`claimstats.pandoc`; what one edition shows is decided by
:mod:`claimstats.quarto`; :mod:`claimstats.notebook` runs the cells.
The rules mirrored here come from Quarto's sources (``notebook.py``,
``jupyter-inline.ts``); each is cited where it is used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from claimstats.errors import ClaimstatsError
from claimstats.pandoc import (
    ATTRIBUTE_BLOCK,
    DIV_FENCE,
    Attributes,
    blank_ranges,
    code_span_ranges,
    div_events,
    mask_code,
    scan_fences,
    parse_attributes,
)

LANGUAGE = "python"

#: Prefixes Quarto treats as cross-reference types (floats, sections, theorems, equations).
CROSSREF_PREFIXES = (
    "fig", "tbl", "lst", "sec", "eq", "exr", "sol", "thm", "lem", "cor", "prp", "cnj", "def", "exm", "rem",
)

EXECUTABLE_INFO = re.compile(r"^\{\s*([A-Za-z][\w+-]*)(?=[\s,}])[^}]*\}$")
_OPTION_LINE = re.compile(r"^#\s*\| ?")  # Quarto's notebook.py: "^" + comment + "\\s*\\| ?"


def _inline_pattern(language: str) -> re.Pattern:
    # Quarto's jupyter-inline.ts / notebook.py: (?:^|[^`])`{lang}[ \t]([^`]+)`
    return re.compile(r"(^|[^`])`\{" + re.escape(language) + r"\}[ \t]([^`]+)`", re.MULTILINE)


# --------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Cell:
    """An executable code cell: ```` ```{python} ```` … ```` ``` ````.

    ``code`` is the source without the leading ``#|`` option lines (what the
    kernel runs); ``options`` the parsed options; ``line`` the 1-based line
    of the opening fence in the file.
    """

    language: str
    code: str
    options: Mapping = field(default_factory=dict)
    line: int = 0

    @property
    def label(self) -> str | None:
        label = self.options.get("label")
        return str(label) if label is not None else None


@dataclass(frozen=True)
class Markdown:
    """The Markdown between two cells (a notebook's markdown cell), starting at ``line``."""

    text: str
    line: int


@dataclass(frozen=True)
class InlineExpression:
    """An inline ```{python} expr``` : the expression and the line it is on."""

    code: str
    line: int


@dataclass(frozen=True)
class Label:
    """A cross-reference target: its name, where it is defined and how (cell, div, heading, attribute)."""

    name: str
    line: int
    origin: str

    @property
    def prefix(self) -> str:
        return self.name.split("-", 1)[0] if "-" in self.name else ""


@dataclass(frozen=True)
class Reference:
    """An ``@name`` in the prose (a cross-reference when ``name`` has a known prefix, else a citation)."""

    name: str
    line: int

    @property
    def is_crossref(self) -> bool:
        return "-" in self.name and self.name.split("-", 1)[0] in CROSSREF_PREFIXES


@dataclass(frozen=True)
class Div:
    """A fenced div ``::: {attrs}`` … ``:::``: its attributes, fence lines and body text."""

    attributes: Attributes
    line: int
    end_line: int
    body: str

    @property
    def caption(self) -> str:
        """The last paragraph of the body, which Quarto uses as a float's caption ('' if none)."""
        paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", mask_code(self.body)) if p.strip()]
        if not paragraphs:
            return ""
        # A paragraph may follow a code block without a blank line: drop the code's lines.
        last = "\n".join(line for line in paragraphs[-1].split("\n") if line != "\x00").strip()
        if not last or last.startswith((":::", "!", "|")):
            return ""
        return last


@dataclass(frozen=True)
class Qmd:
    """A parsed ``.qmd``: front matter, then cells and Markdown in document order."""

    front_matter: Mapping
    blocks: tuple
    text: str
    path: str | None = None

    @property
    def cells(self) -> list[Cell]:
        return [b for b in self.blocks if isinstance(b, Cell)]

    @property
    def markdown(self) -> list[Markdown]:
        return [b for b in self.blocks if isinstance(b, Markdown)]

    def inline_expressions(self, language: str = LANGUAGE) -> list[InlineExpression]:
        """Every inline expression, in order (Quarto scans each Markdown chunk, code blocks included)."""
        found = []
        for block in self.markdown:
            found.extend(inline_expressions(block.text, language, first_line=block.line))
        return found

    def labels(self) -> list[Label]:
        """Every identifier defined: cell ``label`` options, ``{#id}`` on divs, headings, images, spans."""
        found = [Label(c.label, c.line, "cell") for c in self.cells if c.label]
        for line_no, line in _markdown_lines(self):
            origin = "div" if DIV_FENCE.match(line) else "heading" if line.lstrip().startswith("#") else "attribute"
            for block in ATTRIBUTE_BLOCK.finditer(line):
                ident = parse_attributes(block.group(0)).id
                if ident:
                    found.append(Label(ident, line_no, origin))
        return found

    def references(self) -> list[Reference]:
        """Every ``@name`` in prose and in caption options (``fig-cap``, ``tbl-cap``, ``fig-subcap``)."""
        found = []
        for line_no, line in _markdown_lines(self):
            found.extend(Reference(name, line_no) for name in _references_in(line))
        for cell in self.cells:
            for key in ("fig-cap", "tbl-cap", "fig-subcap", "lst-cap"):
                for text in _strings(cell.options.get(key)):
                    found.extend(Reference(name, cell.line) for name in _references_in(text))
        return found

    def divs(self) -> list[Div]:
        """Every fenced div (outside code), outermost first, with its body text."""
        return _divs(self.text)

    def prose(self) -> str:
        """The running text a reader sees, lines kept in place: see :func:`prose_text`."""
        return prose_text(self.text)

    def captions(self) -> list[tuple[int, str]]:
        """Caption text from cell options, as ``(line, text)`` (prose in YAML, not evaluated)."""
        return [
            (cell.line, text)
            for cell in self.cells
            for key in ("fig-cap", "tbl-cap", "fig-subcap", "fig-alt")
            for text in _strings(cell.options.get(key))
        ]


def _strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def split_front_matter(text: str, where: str = "") -> tuple[dict, str, int]:
    """``(front matter, body, number of lines the front matter took)``.

    The front matter is a YAML block opened by ``---`` on the first line and
    closed by ``---`` or ``...``. Invalid YAML raises :class:`ClaimstatsError`.

    Examples
    --------
    >>> meta, body, skipped = split_front_matter("---\\ntitle: Plan\\n---\\n# Plan\\n")
    >>> meta, body, skipped
    ({'title': 'Plan'}, '# Plan\\n', 3)
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return {}, text, 0
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            raw = "".join(lines[1:index])
            try:
                meta = yaml.safe_load(raw) or {}
            except yaml.YAMLError as err:
                raise ClaimstatsError(f"{where or 'document'}: front matter is not valid YAML: {err}") from None
            if not isinstance(meta, dict):
                raise ClaimstatsError(f"{where or 'document'}: front matter must be a YAML mapping")
            return meta, "".join(lines[index + 1 :]), index + 1
    raise ClaimstatsError(f"{where or 'document'}: front matter opened with '---' on line 1 is never closed")


def _cell_options(source_lines: list[str], where: str) -> tuple[dict, list[str]]:
    option_lines = []
    for line in source_lines:
        match = _OPTION_LINE.match(line)
        if not match:
            break
        option_lines.append(re.sub(r":\s+$", ":", line[match.end() :]))
    if not option_lines:
        return {}, source_lines
    try:
        options = yaml.safe_load("\n".join(option_lines)) or {}
    except yaml.YAMLError as err:
        raise ClaimstatsError(f"{where}: cell options are not valid YAML: {err}") from None
    if not isinstance(options, dict):
        raise ClaimstatsError(f"{where}: cell options must be 'key: value' lines")
    return options, source_lines[len(option_lines) :]


def parse_qmd(text: str, path: str | None = None, language: str = LANGUAGE) -> Qmd:
    """Split a ``.qmd`` into front matter, cells and Markdown, in document order.

    Only cells in ``language`` (```` ```{python} ````) are executable cells;
    other fenced blocks (```` ```python ````, ```` ```{.python} ````,
    ```` ```{{python}} ````) stay in the Markdown, as in Quarto.

    Examples
    --------
    >>> doc = parse_qmd("---\\ntitle: T\\n---\\n\\nText `{python} n`.\\n\\n```{python}\\n#| label: tbl-x\\nn = 1\\n```\\n")
    >>> [type(b).__name__ for b in doc.blocks], doc.cells[0].options, doc.cells[0].code
    (['Markdown', 'Cell'], {'label': 'tbl-x'}, 'n = 1')
    >>> doc.inline_expressions()
    [InlineExpression(code='n', line=5)]
    """
    where = path or "document"
    front, body, skipped = split_front_matter(text, where)
    lines = body.splitlines()
    blocks: list = []
    chunk_start = 0

    def flush(upto: int) -> None:
        if upto > chunk_start:
            chunk = "\n".join(lines[chunk_start:upto])
            if chunk.strip():
                blocks.append(Markdown(chunk, chunk_start + skipped + 1))

    for start, end, info in scan_fences(lines):
        match = EXECUTABLE_INFO.match(info)
        if not match or match.group(1) != language:
            continue
        flush(start)
        line_no = start + skipped + 1
        options, source = _cell_options(lines[start + 1 : end], f"{where}, line {line_no}")
        blocks.append(Cell(language, "\n".join(source).strip("\n"), options, line_no))
        chunk_start = end + 1
    flush(len(lines))
    return Qmd(front, tuple(blocks), text, path)


def read_qmd(path: str | Path) -> Qmd:
    """:func:`parse_qmd` of a file."""
    path = Path(path)
    return parse_qmd(path.read_text(encoding="utf-8"), str(path))


def inline_expressions(text: str, language: str = LANGUAGE, first_line: int = 1) -> list[InlineExpression]:
    """Inline expressions in Markdown, found with Quarto's own pattern.

    Examples
    --------
    >>> inline_expressions("A `{python} a`, `x` and `{python} f'{b:,}'`.")
    [InlineExpression(code='a', line=1), InlineExpression(code="f'{b:,}'", line=1)]
    """
    found = []
    for match in _inline_pattern(language).finditer(text):
        line = first_line + text.count("\n", 0, match.start(2))
        found.append(InlineExpression(match.group(2).strip(), line))
    return found


# --------------------------------------------------------------------- prose


def _markdown_lines(doc: Qmd):
    """``(line number, text)`` of Markdown lines outside code blocks and code spans."""
    _, body, skipped = split_front_matter(doc.text, doc.path or "")
    masked = mask_code(body)
    masked = blank_ranges(masked, code_span_ranges(masked))
    masked = re.sub(r"<!--.*?-->", lambda m: re.sub(r"[^\n]", " ", m.group(0)), masked, flags=re.S)
    for index, line in enumerate(masked.split("\n")):
        if line != "\x00":
            yield index + skipped + 1, line


_REFERENCE = re.compile(r"(?<![\w@.`/])[-?]?@([A-Za-z][\w:.-]*[\w])")


def _references_in(text: str) -> list[str]:
    return [m.group(1) for m in _REFERENCE.finditer(text)]


def prose_text(text: str) -> str:
    """The running text of a ``.qmd``: what a number-in-prose check should read.

    Removed (replaced by spaces, so line numbers stay): front matter, fenced
    code and cells, inline code and inline expressions, HTML comments,
    attribute blocks ``{...}``, div fences, link and image targets, ``@``
    references and citations, shortcodes, ordered-list markers and raw
    LaTeX/Typst blocks.

    Examples
    --------
    >>> text = prose_text("See @fig-a and [the docs](https://x.org/v2){.ext}: `{python} n` rows.")
    >>> " ".join(text.split())
    'See and the docs : rows.'
    """
    meta, body, skipped = split_front_matter(text)
    out = mask_code(body)
    out = blank_ranges(out, code_span_ranges(out))
    out = re.sub(r"<!--.*?-->|\{\{<.*?>\}\}", lambda m: re.sub(r"[^\n]", " ", m.group(0)), out, flags=re.S)
    lines = []
    for line in out.split("\n"):
        if line == "\x00" or DIV_FENCE.match(line):
            lines.append("")
            continue
        line = re.sub(r"^(\s*)\d+([.)]\s)", r"\1 \2", line)  # ordered-list markers are markup
        line = ATTRIBUTE_BLOCK.sub(" ", line)
        line = re.sub(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)", "]", line)  # link/image targets
        line = re.sub(r"!?\[([^\]]*)\]", r"\1", line)
        line = re.sub(r"\[?[-?]?@[A-Za-z][\w:.-]*[\w](?:\s*;\s*-?@[A-Za-z][\w:.-]*[\w])*\]?", " ", line)
        line = re.sub(r"<https?://[^>]*>|https?://\S+", " ", line)
        lines.append(line.rstrip())
    return "\n" * skipped + "\n".join(lines)


# --------------------------------------------------------------------- divs


def _divs(text: str) -> list[Div]:
    _, body, skipped = split_front_matter(text)
    lines = body.split("\n")
    stack: list[tuple[int, Attributes]] = []
    found: list[tuple[int, Div]] = []
    for kind, index, attrs in div_events(lines):
        if kind == "open":
            stack.append((index, attrs))
        else:
            start, attrs = stack.pop()
            body_text = "\n".join(lines[start + 1 : index])
            found.append((start, Div(attrs, start + skipped + 1, index + skipped + 1, body_text)))
    for start, attrs in stack:  # unclosed: runs to the end, as in Pandoc
        found.append((start, Div(attrs, start + skipped + 1, len(lines) + skipped, "\n".join(lines[start + 1 :]))))
    return [div for _, div in sorted(found, key=lambda item: item[0])]
