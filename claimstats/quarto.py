"""What Quarto makes of a ``.qmd``: conditional content, the project file, the book's output helpers.

:mod:`claimstats.qmd` reads a document's structure; this module applies
Quarto's project semantics to it:

* :func:`visible_text` applies ``.content-visible`` / ``.content-hidden``
  conditions (``when-profile``, ``unless-profile``, ``when-format``,
  ``unless-format``, ``when-meta``, ``unless-meta``) exactly as Quarto's
  filter does, so a test can prove what one edition shows
  (:func:`is_format` and :func:`conditions_match` are its parts);
* :func:`project_config` reads the book's ``_quarto.yml`` and
  :func:`book_files` lists its chapters in reading order.

It also holds the output helpers the book's cells use: :func:`figure_markdown`
(an image with its alt text, for cells with ``output: asis``),
:func:`markdown_table` (a pipe table that reads the same in HTML and Typst) and
:func:`package_versions` (the "how to reproduce" table).

The rules mirrored here come from Quarto's sources (``content-hidden.lua``,
``_format.lua``); each is cited where it is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import yaml

from claimstats.errors import ClaimstatsError
from claimstats.pandoc import (
    FENCE,
    Attributes,
    blank_ranges,
    code_span_ranges,
    div_events,
    mask_code,
    scan_fences,
    parse_attributes,
)
from claimstats.qmd import EXECUTABLE_INFO


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
    for kind, index, attrs in div_events(lines):
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
    for start, end, info in scan_fences(lines):
        if info.startswith("{") and not EXECUTABLE_INFO.match(info):
            attrs = parse_attributes(info)
            if not _is_conditional(attrs):
                continue
            if _shown(attrs, profiles, fmt, meta):
                # Quarto keeps the block and clears the condition (clearHiddenVisibleAttributes).
                fence = FENCE.match(lines[start])
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
        masked = mask_code(text, same_length=True)
        masked = blank_ranges(masked, code_span_ranges(masked))
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


# A cell that writes a number as text: "17,884", "-0.5", "4.2%", "< .001", "n = 9,608".
_NUMBER_TEXT = re.compile(r"(?:[a-z] = )?[<>≤≥~−+-]?\s*(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?\s*%?")


def markdown_table(frame, *, index: bool = False, floatfmt: str = ",.3g", intfmt: str = ",") -> str:
    """A pipe table (Pandoc reads it in HTML and Typst alike), numbers formatted for reading.

    A ``|`` inside a cell is escaped, so "claim | opinion" stays one cell. Text
    columns are shown as they are: a number already written as text ("17884",
    "0.5") is not re-read and re-formatted.

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

    def alignment(values: pd.Series | pd.Index) -> tuple[bool, str]:
        """(is text, alignment): numbers, and text that only writes numbers ("17,884", "4.2%"), go right."""
        if pd.api.types.is_numeric_dtype(values):
            return False, "right"
        cells = [str(v) for v in values if isinstance(v, str) and v.strip()]
        numeric = bool(cells) and all(_NUMBER_TEXT.fullmatch(cell.strip()) for cell in cells)
        return True, "right" if numeric else "left"

    table = frame.rename(columns=lambda c: escape(str(c)))
    shown = ([table.index] if index else []) + [table.iloc[:, k] for k in range(table.shape[1])]
    kinds = [alignment(values) for values in shown]
    for position, name in enumerate(table.columns):
        if kinds[position + (1 if index else 0)][0]:
            table[name] = table[name].map(escape)
    text_columns = [k for k, (is_text, _) in enumerate(kinds) if is_text]
    return table.to_markdown(index=index, floatfmt=floatfmt, intfmt=intfmt, colalign=[a for _, a in kinds],
                             disable_numparse=text_columns or False)


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
