"""Read Quarto documents without Quarto: cells, inline code, labels, conditional content.

The book and the exercises are ``.qmd`` files. Their tests cannot run Quarto, so
this module reads a ``.qmd`` the way Quarto does, for the parts a test needs:

* :func:`parse_qmd` splits a document into its YAML front matter, executable
  code cells (with their ``#|`` options) and the Markdown between them, in
  order, which is also the order Quarto's Jupyter engine executes them in;
* :meth:`Qmd.inline_expressions`, :meth:`Qmd.labels`, :meth:`Qmd.references`
  and :meth:`Qmd.divs` find inline ```{python} expr``` code, cross-reference
  labels, ``@`` references and fenced divs;
* :func:`prose_text` keeps only the words a reader sees as running text (no
  code, no attributes, no link targets), for checks such as "no typed numbers";
* :func:`visible_text` applies ``.content-visible`` / ``.content-hidden``
  conditions (``when-profile``, ``unless-profile``, ``when-format``,
  ``unless-format``, ``when-meta``, ``unless-meta``) exactly as Quarto's
  filter does, so a test can prove what one edition shows.

It also holds the two output helpers the book's cells use: :func:`figure_markdown`
(an image with its alt text, for cells with ``output: asis``) and
:func:`markdown_table` (a pipe table that reads the same in HTML and Typst).

The rules mirrored here come from Quarto's sources (``notebook.py``,
``jupyter-inline.ts``, ``content-hidden.lua``, ``_format.lua``); each is cited
where it is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from claimstats.errors import ClaimstatsError

LANGUAGE = "python"

#: Prefixes Quarto treats as cross-reference types (floats, sections, theorems, equations).
CROSSREF_PREFIXES = (
    "fig", "tbl", "lst", "sec", "eq", "exr", "sol", "thm", "lem", "cor", "prp", "cnj", "def", "exm", "rem",
)

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`]*?)[ \t]*$")
_EXECUTABLE_INFO = re.compile(r"^\{\s*([A-Za-z][\w+-]*)(?=[\s,}])[^}]*\}$")
_OPTION_LINE = re.compile(r"^#\s*\| ?")  # notebook.py: "^" + comment + "\\s*\\| ?"
_DIV_FENCE = re.compile(r"^ {0,3}(:{3,})[ \t]*(.*?)[ \t]*:*[ \t]*$")
_ATTR_TOKEN = re.compile(r"""\s*(?:(#[^\s}]+)|(\.[^\s}]+)|([\w:-]+)=("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s}]+))""")
_ATTR_BLOCK = re.compile(
    r"""\{\s*((?:(?:[#.][\w:.-]+|[\w:-]+=(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s{}]+))\s*)+)\}"""
)


def _inline_pattern(language: str) -> re.Pattern:
    # jupyter-inline.ts / notebook.py: (?:^|[^`])`{lang}[ \t]([^`]+)`
    return re.compile(r"(^|[^`])`\{" + re.escape(language) + r"\}[ \t]([^`]+)`", re.MULTILINE)


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
        paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", _mask_code(self.body)) if p.strip()]
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
            origin = "div" if _DIV_FENCE.match(line) else "heading" if line.lstrip().startswith("#") else "attribute"
            for block in _ATTR_BLOCK.finditer(line):
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


def _scan_fences(lines: list[str]):
    """Yield ``(start, end, info)`` for every fenced code block (0-based line indices, end inclusive)."""
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
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

    for start, end, info in _scan_fences(lines):
        match = _EXECUTABLE_INFO.match(info)
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


def _mask_code(text: str, same_length: bool = False) -> str:
    """Blank out fenced code blocks: each line becomes a NUL marker (or spaces, keeping offsets)."""
    lines = text.split("\n")
    for start, end, _ in _scan_fences(lines):
        for index in range(start, end + 1):
            lines[index] = " " * len(lines[index]) if same_length else "\x00"
    return "\n".join(lines)


def _code_span_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of inline code spans (a run of n backticks closed by exactly n)."""
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


def _blank(text: str, ranges: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in ranges:
        for index in range(start, end):
            if chars[index] != "\n":
                chars[index] = " "
    return "".join(chars)


def _markdown_lines(doc: Qmd):
    """``(line number, text)`` of Markdown lines outside code blocks and code spans."""
    _, body, skipped = split_front_matter(doc.text, doc.path or "")
    masked = _mask_code(body)
    masked = _blank(masked, _code_span_ranges(masked))
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
    out = _mask_code(body)
    out = _blank(out, _code_span_ranges(out))
    out = re.sub(r"<!--.*?-->|\{\{<.*?>\}\}", lambda m: re.sub(r"[^\n]", " ", m.group(0)), out, flags=re.S)
    lines = []
    for line in out.split("\n"):
        if line == "\x00" or _DIV_FENCE.match(line):
            lines.append("")
            continue
        line = re.sub(r"^(\s*)\d+([.)]\s)", r"\1 \2", line)  # ordered-list markers are markup
        line = _ATTR_BLOCK.sub(" ", line)
        line = re.sub(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)", "]", line)  # link/image targets
        line = re.sub(r"!?\[([^\]]*)\]", r"\1", line)
        line = re.sub(r"\[?[-?]?@[A-Za-z][\w:.-]*[\w](?:\s*;\s*-?@[A-Za-z][\w:.-]*[\w])*\]?", " ", line)
        line = re.sub(r"<https?://[^>]*>|https?://\S+", " ", line)
        lines.append(line.rstrip())
    return "\n" * skipped + "\n".join(lines)


# --------------------------------------------------------------------- divs


def _div_events(lines: list[str]):
    """Yield ``("open", index, Attributes)`` and ``("close", index, None)`` for div fences outside code."""
    code = set()
    for start, end, _ in _scan_fences(lines):
        code.update(range(start, end + 1))
    depth = 0
    for index, line in enumerate(lines):
        if index in code:
            continue
        match = _DIV_FENCE.match(line)
        if not match:
            continue
        attrs = match.group(2).strip()
        if attrs:
            depth += 1
            yield "open", index, parse_attributes(attrs)
        elif depth:
            depth -= 1
            yield "close", index, None


def _divs(text: str) -> list[Div]:
    _, body, skipped = split_front_matter(text)
    lines = body.split("\n")
    stack: list[tuple[int, Attributes]] = []
    found: list[tuple[int, Div]] = []
    for kind, index, attrs in _div_events(lines):
        if kind == "open":
            stack.append((index, attrs))
        else:
            start, attrs = stack.pop()
            body_text = "\n".join(lines[start + 1 : index])
            found.append((start, Div(attrs, start + skipped + 1, index + skipped + 1, body_text)))
    for start, attrs in stack:  # unclosed: runs to the end, as in Pandoc
        found.append((start, Div(attrs, start + skipped + 1, len(lines) + skipped, "\n".join(lines[start + 1 :]))))
    return [div for _, div in sorted(found, key=lambda item: item[0])]


# --------------------------------------------------------------------- conditional content

_CONDITION_KEYS = ("when-meta", "unless-meta", "when-format", "unless-format", "when-profile", "unless-profile")
_VISIBLE, _HIDDEN = "content-visible", "content-hidden"
_LATEX = ("latex", "beamer", "pdf")
_EPUB = ("epub", "epub2", "epub3")
_HTML_SLIDES = ("s5", "dzslides", "slidy", "slideous", "revealjs")
_HTML = ("html", "html4", "html5", *_EPUB, *_HTML_SLIDES)
_MARKDOWN = ("markdown", "markdown_github", "markdown_mmd", "markdown_phpextra", "markdown_strict",
             "gfm", "commonmark", "commonmark_x", "markua")


def is_format(target: str, fmt: str) -> bool:
    """Whether ``when-format=target`` matches output format ``fmt`` (Quarto's ``_format.lua`` aliases).

    ``html`` covers html4/5, epub and HTML slides; ``pdf`` and ``latex`` are
    synonyms and do **not** cover ``typst``.

    Examples
    --------
    >>> is_format("html", "revealjs"), is_format("pdf", "typst"), is_format("typst", "typst")
    (True, False, True)
    """
    if target == fmt:
        return True
    if target in ("latex", "pdf"):
        return fmt in _LATEX
    if target in ("odt", "opendocument"):
        return fmt in ("odt", "opendocument")
    if "epub" in target:
        return fmt in _EPUB
    if target == "html":
        return fmt in _HTML
    if target == "html:js":
        return fmt in _HTML and fmt not in _EPUB
    if target == "markdown":
        return fmt in _MARKDOWN
    if target in ("asciidoc", "asciidoctor"):
        return fmt in ("asciidoc", "asciidoctor")
    return False


def _profiles(profile) -> tuple[str, ...]:
    if profile is None:
        return ()
    if isinstance(profile, str):  # QUARTO_PROFILE style: "a,b"
        return tuple(p.strip() for p in profile.split(",") if p.strip())
    return tuple(str(p) for p in profile)


def _meta_true(meta: Mapping | None, dotted: str) -> bool:
    value = meta
    for key in dotted.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return False
        value = value[key]
    return value is True


def conditions_match(attrs: Attributes, profiles: tuple[str, ...], fmt: str, meta: Mapping | None = None) -> bool:
    """Whether a conditional block's conditions hold (content-hidden.lua ``propertiesMatch``).

    Every condition key present must hold (*and*); several values for one key
    hold when any of them does (*or*), then ``unless-`` negates. No condition → True.
    """
    tests = {
        "meta": lambda v: _meta_true(meta, v),
        "format": lambda v: is_format(v, fmt),
        "profile": lambda v: v in profiles,
    }
    match = True
    for key in _CONDITION_KEYS:
        values = [v for k, v in attrs.pairs if k == key]
        if values:
            mode, kind = key.split("-", 1)
            holds = any(tests[kind](v) for v in values)
            match = match and (holds if mode == "when" else not holds)
    return match


def _is_conditional(attrs: Attributes) -> str | None:
    if _VISIBLE in attrs.classes:
        return _VISIBLE
    if _HIDDEN in attrs.classes:
        return _HIDDEN
    return None


def _shown(attrs: Attributes, profiles, fmt, meta) -> bool:
    match = conditions_match(attrs, profiles, fmt, meta)
    return match if _is_conditional(attrs) == _VISIBLE else not match


def visible_text(qmd_text: str, profile=None, fmt: str = "html", meta: Mapping | None = None) -> str:
    """The ``.qmd`` as one edition shows it: conditional content applied as Quarto does.

    A ``::: {.content-visible ...}`` div is replaced by its content when its
    conditions hold and removed otherwise; ``.content-hidden`` the other way
    round. Conditions combine with *and*; ``when-profile``/``unless-profile``
    compare with the active profiles (``profile``: a name, ``"a,b"`` as in
    ``QUARTO_PROFILE``, a list, or None), ``when-format``/``unless-format``
    with ``fmt`` using Quarto's aliases (:func:`is_format`), and
    ``when-meta``/``unless-meta`` with boolean keys of ``meta``. Spans
    ``[text]{.content-visible ...}`` and non-executable code blocks with those
    classes are handled too. Executable cells in a hidden div disappear from
    the text, though Quarto still runs them.

    Examples
    --------
    >>> qmd = "Q.\\n\\n::: {.content-visible when-profile=\\"instructor\\"}\\nAnswer: 4.\\n:::\\n"
    >>> visible_text(qmd)
    'Q.\\n\\n'
    >>> visible_text(qmd, profile="instructor")
    'Q.\\n\\nAnswer: 4.\\n'
    """
    profiles = _profiles(profile)
    lines = qmd_text.split("\n")
    drop: set[int] = set()
    # Conditional divs: drop the fences always, the content when the div is not shown.
    stack: list[tuple[int, Attributes]] = []
    for kind, index, attrs in _div_events(lines):
        if kind == "open":
            stack.append((index, attrs))
            continue
        start, attrs = stack.pop()
        if _is_conditional(attrs):
            drop.update((start, index))
            if not _shown(attrs, profiles, fmt, meta):
                drop.update(range(start, index + 1))
    for start, attrs in stack:
        if _is_conditional(attrs):
            drop.add(start)
            if not _shown(attrs, profiles, fmt, meta):
                drop.update(range(start, len(lines)))
    # Non-executable code blocks carrying a condition: ```{.python .content-visible when-format="html"}
    for start, end, info in _scan_fences(lines):
        if info.startswith("{") and not _EXECUTABLE_INFO.match(info):
            attrs = parse_attributes(info)
            if not _is_conditional(attrs):
                continue
            if _shown(attrs, profiles, fmt, meta):
                # Quarto keeps the block and clears the condition (clearHiddenVisibleAttributes).
                fence = _FENCE.match(lines[start])
                lines[start] = fence.group(1) + fence.group(2) + _format_attributes(_without_conditions(attrs))
            else:
                drop.update(range(start, end + 1))
    kept = "\n".join(line for index, line in enumerate(lines) if index not in drop)
    return _apply_spans(kept, profiles, fmt, meta)


def _without_conditions(attrs: Attributes) -> Attributes:
    classes = tuple(c for c in attrs.classes if c not in (_VISIBLE, _HIDDEN))
    pairs = tuple((k, v) for k, v in attrs.pairs if k not in _CONDITION_KEYS)
    return Attributes(attrs.id, classes, pairs)


def _format_attributes(attrs: Attributes) -> str:
    parts = ([f"#{attrs.id}"] if attrs.id else []) + [f".{c}" for c in attrs.classes]
    parts += [f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in attrs.pairs]
    return "{" + " ".join(parts) + "}" if parts else ""


_SPAN_ATTRS = re.compile(r"\]\{([^{}\n]*\.content-(?:visible|hidden)[^{}\n]*)\}")


def _apply_spans(text: str, profiles, fmt, meta) -> str:
    """Resolve ``[inline]{.content-visible ...}`` spans, innermost and rightmost first."""
    while True:
        masked = _mask_code(text, same_length=True)
        masked = _blank(masked, _code_span_ranges(masked))
        candidates = []
        for match in _SPAN_ATTRS.finditer(masked):
            close = match.start()
            depth, index = 0, close
            while index >= 0:
                char = masked[index]
                if char == "]" and (index == 0 or masked[index - 1] != "\\"):
                    depth += 1
                elif char == "[" and (index == 0 or masked[index - 1] != "\\"):
                    depth -= 1
                    if depth == 0:
                        break
                index -= 1
            if index >= 0:
                candidates.append((index, close, match))
        if not candidates:
            return text
        open_at, close_at, match = candidates[-1]
        attrs = parse_attributes("{" + match.group(1) + "}")
        inner = text[open_at + 1 : close_at] if _shown(attrs, profiles, fmt, meta) else ""
        text = text[:open_at] + inner + text[match.end() :]


# --------------------------------------------------------------------- output helpers


def figure_markdown(path: str | Path, alt: str, *, width: str | None = None) -> str:
    """Markdown for an image with alt text, for a cell with ``output: asis`` inside a ``#fig-`` div.

    Quarto reads ``fig-alt`` only from YAML cell options, where inline code is
    not evaluated; a computed alt text (a ``FigureResult.alt``) therefore goes
    on an image the cell prints. The caption is the div's last paragraph.

    Examples
    --------
    >>> figure_markdown("figures/a.png", 'Box plot of "views"', width="80%")
    '![](figures/a.png){fig-alt="Box plot of \\\\"views\\\\"" width="80%"}'
    """
    alt = " ".join(str(alt).split())
    if not alt:
        raise ClaimstatsError(f"figure {path}: alt text is empty; describe what the figure shows")
    escaped = alt.replace("\\", "\\\\").replace('"', '\\"')
    size = f' width="{width}"' if width else ""
    return f'![]({Path(path).as_posix()}){{fig-alt="{escaped}"{size}}}'


def markdown_table(frame, *, index: bool = False, floatfmt: str = ",.3g", intfmt: str = ",") -> str:
    """A pipe table (Pandoc reads it in HTML and Typst alike), numbers formatted for reading.

    A ``|`` inside a cell is escaped, so "claim | opinion" stays one cell.

    Examples
    --------
    >>> import pandas as pd
    >>> print(markdown_table(pd.DataFrame({"class": ["claim"], "rows": [9608]})))
    | class   |   rows |
    |:--------|-------:|
    | claim   |  9,608 |
    """
    def escape(value):
        return value.replace("|", "\\|") if isinstance(value, str) else value

    table = frame.rename(columns=lambda c: escape(str(c)))
    for name in table.columns:
        if not pd.api.types.is_numeric_dtype(table[name]):
            table[name] = table[name].map(escape)
    return table.to_markdown(index=index, floatfmt=floatfmt, intfmt=intfmt)


def project_config(start: str | Path | None = None) -> dict:
    """The book's ``_quarto.yml``, found in ``start`` (default: the working directory) or above it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> book = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (book / "_quarto.yml").write_text("project:\\n  type: book\\n")
    >>> project_config(book / "chapters")["project"]["type"]
    'book'
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "_quarto.yml"
        if candidate.is_file():
            return yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
    raise ClaimstatsError(f"no _quarto.yml in {here} or any folder above it")


def book_files(config: Mapping) -> list[str]:
    """The files of a book project, in reading order: ``book.chapters`` (through parts), then ``appendices``.

    Examples
    --------
    >>> book_files({"book": {"chapters": ["index.qmd", {"part": "Plan", "chapters": ["a.qmd"]}],
    ...                      "appendices": ["z.qmd"]}})
    ['index.qmd', 'a.qmd', 'z.qmd']
    """

    def walk(items) -> list[str]:
        found = []
        for item in items or []:
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, Mapping):
                if item.get("href") or item.get("file"):
                    found.append(item.get("href") or item.get("file"))
                found.extend(walk(item.get("chapters")))
        return found

    book = config.get("book") or {}
    return walk(book.get("chapters")) + walk(book.get("appendices"))


def package_versions(packages: Iterable[str]) -> pd.DataFrame:
    """Python's version and each installed package's, for a book's "how to reproduce" table.

    Examples
    --------
    >>> table = package_versions(["pandas"])
    >>> list(table["package"])
    ['Python', 'pandas']
    """
    import platform
    from importlib import metadata

    rows = [("Python", platform.python_version())]
    for name in packages:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    return pd.DataFrame(rows, columns=["package", "version"])


# --------------------------------------------------------------------- execution


class ExecutionError(RuntimeError):
    """A cell or an inline expression of a ``.qmd`` failed: which file, which line, which error.

    For a failing cell, ``traceback`` holds the kernel's full report.
    """

    traceback: str = ""


@dataclass(frozen=True)
class ExecutedCell:
    """A cell and what it produced: ``outputs`` are nbformat output dicts; ``stdout`` joined."""

    cell: Cell
    outputs: tuple
    seconds: float

    @property
    def stdout(self) -> str:
        return "".join(o.get("text", "") for o in self.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


@dataclass(frozen=True)
class ExecutedInline:
    """An inline expression and its result as the kernel formatted it (a mime bundle)."""

    expression: InlineExpression
    data: Mapping

    @property
    def text(self) -> str:
        return str(self.data.get("text/markdown") or self.data.get("text/plain", ""))


@dataclass(frozen=True)
class ExecutedQmd:
    """A ``.qmd`` run as Quarto runs it: cells and inline results in document order, and timings."""

    path: str
    cells: tuple
    inline: tuple
    seconds: float
    kernel_start_seconds: float


def execute_qmd(
    path: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    kernel: str = "python3",
    timeout: int = 600,
    language: str = LANGUAGE,
) -> ExecutedQmd:
    """Run a ``.qmd``'s cells and inline expressions in a fresh Jupyter kernel, in Quarto's order.

    Mirrors Quarto's Jupyter engine (``notebook.py``): the kernel's working
    directory is the document's folder; cells run in order without their
    ``#|`` option lines (``eval: false`` cells are skipped); the inline
    expressions of the Markdown between two cells are evaluated, as
    ``user_expressions``, after the cell before them. Needs ``nbclient``,
    ``nbformat`` and ``ipykernel`` (the ``test`` extra).

    Parameters
    ----------
    path : path of the ``.qmd``
    env : environment of the kernel (default: this process's)
    kernel : kernel name (Quarto's ``jupyter: python3``)
    timeout : seconds allowed per cell

    Raises
    ------
    ExecutionError
        On the first failing cell or inline expression, naming the file and line.
    """
    import time

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path).resolve()
    doc = read_qmd(path)
    if not doc.cells and not doc.inline_expressions(language):
        # Quarto renders such a file with its markdown engine: no kernel is started.
        return ExecutedQmd(str(path), (), (), 0.0, 0.0)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": language}
    client = NotebookClient(
        nb, kernel_name=kernel, timeout=timeout, allow_errors=False, resources={"metadata": {"path": str(path.parent)}}
    )
    cells, inline = [], []
    started = time.perf_counter()
    with client.setup_kernel(**({"env": dict(env)} if env is not None else {})):
        kernel_ready = time.perf_counter()
        for block in doc.blocks:
            if isinstance(block, Cell):
                if block.options.get("eval", True) is False:
                    continue
                nb_cell = nbformat.v4.new_code_cell(block.code)
                nb.cells.append(nb_cell)
                tick = time.perf_counter()
                try:
                    done = client.execute_cell(nb_cell, len(nb.cells) - 1)
                except CellExecutionError as err:
                    error = ExecutionError(f"{path.name}, cell at line {block.line}: {err.ename}: {err.evalue}")
                    error.traceback = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # the full report, without colours
                    raise error from None
                cells.append(ExecutedCell(block, tuple(done.outputs), time.perf_counter() - tick))
                continue
            expressions = inline_expressions(block.text, language, first_line=block.line)
            if not expressions:
                continue
            msg_id = client.kc.execute("", user_expressions={str(i): e.code for i, e in enumerate(expressions)})
            content = client.wait_for_reply(msg_id)["content"]
            if content.get("status") != "ok":
                raise ExecutionError(f"{path.name}, line {block.line}: {content.get('ename')}: {content.get('evalue')}")
            for index, expression in enumerate(expressions):
                result = content["user_expressions"][str(index)]
                if result.get("status") != "ok":
                    raise ExecutionError(
                        f"{path.name}, line {expression.line}: inline `{expression.code}` failed: "
                        f"{result.get('ename')}: {result.get('evalue')}"
                    )
                inline.append(ExecutedInline(expression, dict(result.get("data", {}))))
    finished = time.perf_counter()
    return ExecutedQmd(str(path), tuple(cells), tuple(inline), finished - started, kernel_ready - started)
