"""Helpers shared by the verb modules: loading a file, printing a table, failing cleanly."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from claimstats.cli._tables import table_markdown
from claimstats.errors import ClaimstatsError

EXIT_INPUT = 2


def data_file_help(what: str = "CSV file") -> str:
    """The help of a verb's data FILE argument: every such verb also takes the synthetic dataset."""
    return f"{what}, never modified; or 'synthetic' (or 'synthetic:SEED') for the built-in synthetic dataset"


def fail(message: str) -> int:
    """Print one line on stderr and return the input-error exit status."""
    first = " ".join(str(message).split())
    print(f"claimstats: error: {first}", file=sys.stderr)
    return EXIT_INPUT


def load_file(path: str):
    """Load and validate a data file for a verb: ``(frame, source)``."""
    from claimstats.data import load

    return load(path)


def load_clean(path: str):
    """Load, validate and clean a data file: ``(clean frame, report, source)``."""
    from claimstats.data import clean

    frame, source = load_file(path)
    tidy, report = clean(frame)
    return tidy, report, source


def check_output_path(out: str, *inputs: str, flag: str = "--out") -> Path:
    """Refuse to write over an input file, or into a folder that does not exist.

    ``flag`` is the option that named ``out``, so that the message says which one to change.
    """
    target = Path(out)
    for given in inputs:
        if given and Path(given).exists() and target.exists() and target.resolve() == Path(given).resolve():
            raise ClaimstatsError(f"{out}: refusing to overwrite the input file; choose another {flag}")
    if target.is_dir():
        raise ClaimstatsError(f"{out}: is a folder; give a file name for {flag}")
    if not target.parent.exists():
        raise ClaimstatsError(f"{out}: folder {target.parent} does not exist")
    return target


def print_table(table: pd.DataFrame, *, as_json: bool = False, title: str | None = None, floatfmt: str = ".4g") -> None:
    """A readable table on stdout, or records as JSON with ``--json``."""
    if as_json:
        print(table.to_json(orient="records", double_precision=10))
        return
    if title:
        print(title)
    print(table_markdown(table, floatfmt))  # cells as a reader sees them: no nan, counts as integers


def print_json(payload) -> None:
    print(json.dumps(payload, indent=2, default=_json_default))


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)
