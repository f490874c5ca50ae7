"""Shared set-up, run by the first cell of every chapter (``%run _setup.py``).

Quarto gives each chapter a fresh Jupyter kernel whose working directory is the
chapter's folder. This script loads and cleans the data once for the chapter
(``claimstats.load`` decides where they come from: ``CLAIMSTATS_DATA``, then
``data/tiktok_dataset.csv``, then the synthetic default), sets display options,
and defines the two helpers chapters use to show results:

* ``show_table(frame, ...)`` returns a Markdown pipe table, which reads the same
  in HTML and in the Typst PDF; use it in a cell with ``label: tbl-...`` and
  ``tbl-cap``;
* ``show_figure(result, label)`` saves a ``FigureResult`` to ``figures/`` and
  prints it as a Markdown image carrying its computed alt text; use it in a cell
  with ``output: asis`` and ``echo: false`` inside a ``::: {#fig-...}`` div
  whose last paragraph is the caption.

Quarto executes each chapter once per output format (the HTML page, then the
Typst PDF). Model tuning, the costly step, is deterministic, so the chapters
that tune (6, 7 and the deck) wrap ``compare_models`` in their hidden set-up
cell with ``memoised`` (``claimstats.book_output.memoised`` on this project's
cache): later executions, and chapter 7 after chapter 6, read the result back
when the data, the options, claimstats's code and the library versions are the
same (in ``.quarto/claimstats-cache/``, or ``CLAIMSTATS_BOOK_CACHE``). The
set-up imports only what every chapter needs: scikit-learn is loaded by the
chapters that use it, not by each of the book's kernels.

Names defined here: ``claimstats``, ``pd``, ``np``, ``plt``, ``frame``, ``source``,
``tidy``, ``report``, ``SEED``, ``EDITION``, ``LOAD_NOTES``, ``show_table``, ``show_figure``,
``format_number``, ``format_p``, ``memoised``, and ``Markdown`` (an inline value that must stay Markdown, such
as code formatting, since Quarto escapes plain inline text).
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

import claimstats
from claimstats import book_output
from claimstats.reporting import format_number, format_p

# Figures appear only where show_figure prints them (with their alt text), never
# as a side effect of the cell that drew them.
plt.switch_backend("agg")
matplotlib.rcParams.update({"figure.autolayout": False, "axes.titlesize": "medium"})

pd.set_option("display.width", 100)
pd.set_option("display.max_columns", 12)
pd.set_option("display.precision", 3)

_CACHE = os.environ.get("CLAIMSTATS_BOOK_CACHE") or Path(__file__).resolve().parents[1] / ".quarto" / "claimstats-cache"


def memoised(func):
    """``func`` computing each result once per project (see the module's docstring)."""
    return book_output.memoised(func, _CACHE)


frame, source = claimstats.load()
tidy, report = claimstats.clean(frame)

#: Seed for every random step (splits, tuning): the data's seed when synthetic.
SEED = source.seed if source.seed is not None else claimstats.DEFAULT_SEED

#: Which data this edition was rendered from, for the preface and the appendix
#: (the synthetic description already names its seed).
EDITION = source.describe() if source.is_synthetic else f"{source.describe()}; full SHA-256 checksum {source.sha256}"
# Markdown, not text: a note may quote a backslash ("unescaped \\' to '"), which inline text would double.
# Never empty: Quarto leaves an inline expression whose value is empty in the page as code.
if source.notes:
    LOAD_NOTES = Markdown(("On loading, claimstats normalised the file: " + "; ".join(source.notes) + ".").replace("\\", "\\\\"))
elif source.is_synthetic:
    LOAD_NOTES = Markdown("The data were used as generated.")
else:
    LOAD_NOTES = Markdown("The file was used as it is: loading changed nothing in it.")

# Quarto sets the figure resolution per format (fig-dpi in _quarto.yml; doubled for retina HTML).
_FIGURE_DPI = float(os.environ.get("QUARTO_FIG_DPI", 150))
_FIGURES = Path("figures")


def show_table(table: pd.DataFrame, **formats) -> Markdown:
    """A pipe table of ``table`` (``floatfmt``, ``intfmt``, ``index``, ``bounded``, ``percent`` as in ``book_output.markdown_table``)."""
    return Markdown(book_output.markdown_table(table, **formats))


def show_figure(result, label: str) -> None:
    """Save ``result.figure`` as ``figures/<label>.png`` and print it with ``result.alt`` as alt text."""
    _FIGURES.mkdir(exist_ok=True)
    path = result.save(_FIGURES / f"{label}.png", dpi=_FIGURE_DPI)
    plt.close(result.figure)
    print(book_output.figure_markdown(path, result.alt))
