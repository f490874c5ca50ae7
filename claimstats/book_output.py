"""What the book's cells print: a figure with its alt text, a pipe table, the versions table.

The chapters call these at render time, through ``chapters/_setup.py``:
:func:`figure_markdown` (an image carrying its computed alt text, for a cell
with ``output: asis`` inside a ``#fig-`` div), :func:`markdown_table` (a pipe
table that reads the same in HTML and in the Typst PDF) and, in the reproduce
appendix, :func:`project_config` and :func:`package_versions`.
:func:`memoised` lets a render do its costly, deterministic work once, although
Quarto executes every chapter once per output format. Nothing here reads
Markdown: Quarto renders the book, and its render is tested.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import yaml

from claimstats.errors import ClaimstatsError


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


def markdown_table(frame, *, index: bool = False, floatfmt: str = ",.3g", intfmt: str = ",",
                   bounded: Iterable[str] = (), percent: Iterable[str] = ()) -> str:
    """A pipe table (Pandoc reads it in HTML and Typst alike), numbers formatted for reading.

    A ``|`` inside a cell is escaped, so "claim | opinion" stays one cell. Text
    columns are shown as they are: a number already written as text ("17884",
    "0.5") is not re-read and re-formatted. The ``bounded`` columns (probabilities,
    shares) are written with :func:`claimstats.reporting.format_bounded` and
    ``floatfmt``: a score of 0.99996 shows as 0.99996, not as 1.0000. The
    ``percent`` columns (shares from 0 to 1) are written as percentages with
    one decimal ("97.3%"); a missing share stays empty.

    Examples
    --------
    >>> import pandas as pd
    >>> print(markdown_table(pd.DataFrame({"class": ["claim"], "rows": [9608]})))
    | class   |   rows |
    |:--------|-------:|
    | claim   |  9,608 |
    >>> print(markdown_table(pd.DataFrame({"p": [0.99996, 0.5]}), floatfmt=".4f", bounded=["p"]))
    |       p |
    |--------:|
    | 0.99996 |
    |  0.5000 |
    >>> print(markdown_table(pd.DataFrame({"share": [0.9731, 1.0]}), percent=["share"]))
    |   share |
    |--------:|
    |   97.3% |
    |  100.0% |
    """
    from claimstats.reporting import format_bounded

    bounded, percent = list(bounded), list(percent)
    for kind, columns in (("bounded", bounded), ("percent", percent)):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ClaimstatsError(f"{kind} columns not in the table: {missing}")
    both = sorted(set(bounded) & set(percent))
    if both:
        raise ClaimstatsError(f"columns both bounded and percent: {both}")
    if bounded:
        frame = frame.assign(**{c: frame[c].map(lambda v: format_bounded(float(v), floatfmt)) for c in bounded})
    if percent:
        frame = frame.assign(**{c: frame[c].map(lambda v: "" if pd.isna(v) else f"{float(v):.1%}") for c in percent})

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


_LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn", "statsmodels")


@functools.lru_cache(maxsize=1)
def _code_key() -> str:
    """A digest of what a result depends on besides its arguments: claimstats's source and library versions."""
    import platform
    from importlib import metadata

    digest = hashlib.sha256(platform.python_version().encode())
    for name in _LIBRARIES:
        digest.update(f"{name}={metadata.version(name)}".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _frame_key(data: pd.DataFrame) -> bytes:
    values = pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes()
    return values + repr([(str(c), str(t)) for c, t in data.dtypes.items()]).encode()


def memoised(func: Callable, folder: str | Path, *, ignore: Iterable[str] = ("n_jobs",)) -> Callable:
    """``func(data, **options)`` that computes each result once and reads it back from ``folder`` after.

    The key is everything the result depends on: the data frame's values,
    index and types, the keyword options (except ``ignore``: the number of
    jobs changes the time, not the result), claimstats's own source and the
    versions of Python and the numerical libraries. A deterministic function
    (every random step seeded) therefore returns exactly what it would compute.
    The book uses it for model tuning, which every chapter execution would
    otherwise repeat: Quarto executes each chapter once per output format.
    Results are pickled: keep ``folder`` private to the project.

    Examples
    --------
    >>> import tempfile
    >>> calls = []
    >>> def total(data, *, column):
    ...     calls.append(column)
    ...     return int(data[column].sum())
    >>> cached = memoised(total, tempfile.mkdtemp())
    >>> frame = pd.DataFrame({"a": [1, 2]})
    >>> cached(frame, column="a"), cached(frame.copy(), column="a"), calls
    (3, 3, ['a'])
    """
    folder = Path(folder)
    skipped = set(ignore)

    @functools.wraps(func)
    def wrapper(data: pd.DataFrame, **options):
        digest = hashlib.sha256(f"{_code_key()}|{func.__module__}.{func.__qualname__}".encode())
        digest.update(_frame_key(data))
        digest.update(repr(sorted((k, v) for k, v in options.items() if k not in skipped)).encode())
        path = folder / f"{func.__name__}-{digest.hexdigest()[:24]}.pickle"
        if path.is_file():
            with path.open("rb") as handle:
                return pickle.load(handle)
        result = func(data, **options)
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.part")
        with partial.open("wb") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)  # atomic: a concurrent reader never sees half a file
        return result

    return wrapper
