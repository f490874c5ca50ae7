"""Helpers shared by the verb modules: loading a file, printing a table, failing cleanly."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd

from claimstats.cli._tables import table_markdown
from claimstats.errors import ClaimstatsError
from claimstats.outputs import in_place, inside, same_file

EXIT_INPUT = 2
MAX_MESSAGE = 400


def data_file_help(what: str = "CSV file") -> str:
    """The help of a verb's data FILE argument: every such verb also takes the synthetic dataset."""
    return f"{what}, never modified; or 'synthetic' (or 'synthetic:SEED') for the built-in synthetic dataset"


def fail(message: str) -> int:
    """Print one line on stderr and return the input-error exit status."""
    first = " ".join(str(message).split())
    if len(first) > MAX_MESSAGE:  # one readable line, however long the names in it
        first = first[: MAX_MESSAGE - 1] + "…"
    print(f"claimstats: error: {first}", file=sys.stderr)
    return EXIT_INPUT


def load_file(path: str):
    """Load and validate a data file for a verb: ``(frame, source)``."""
    from claimstats.data import load

    return load(path)


def load_clean(path: str):
    """Load, validate and clean a data file: ``(clean frame, report, source)``."""
    from claimstats.data import clean

    from claimstats.data import require_rows

    frame, source = load_file(path)
    tidy, report = clean(frame)
    require_rows(report, str(path))
    return tidy, report, source


def _writable_target(out: str, flag: str, folders: bool = False) -> Path:
    """``out`` as a path, or the one-line reason it cannot be written (``folders``: a folder may be replaced)."""
    if not str(out).strip():
        raise ClaimstatsError(f"{flag} is empty; give a file name")
    target = Path(out)
    if target.is_dir() and not folders:
        raise ClaimstatsError(f"{out}: is a folder; give a file name for {flag}")
    parent = Path(os.path.realpath(target)).parent if target.is_symlink() else target.parent
    folder = parent
    while not folder.exists() and folder != folder.parent:  # the nearest part of the path that exists
        folder = folder.parent
    if folder.exists() and not folder.is_dir():
        raise ClaimstatsError(f"{out}: {folder} is a file, not a folder; choose another {flag}")
    if not parent.exists():
        raise ClaimstatsError(f"{out}: folder {parent} does not exist")
    if target.exists() and not os.access(target, os.W_OK) or not os.access(parent, os.W_OK | os.X_OK):
        raise ClaimstatsError(f"{out}: permission denied; choose another {flag}")
    return target


def check_outputs(outputs: dict[str, str | None], *inputs: str | None, folders: bool = False
                  ) -> dict[str, Path | None]:
    """Check every output of a run before any work: ``{flag: path}`` for the given ones.

    Refused, with one line naming the flag: an empty name, a folder (unless
    ``folders``: a Parquet dataset a cluster writes), a path under a file or a
    missing or unwritable folder, an output that is an input by any route (the
    same path, a symlink or a hard link to it) or lies inside an input folder,
    and two outputs that are one file (the second would erase the first).
    """
    checked: dict[str, Path | None] = {}
    for flag, out in outputs.items():
        if out is None:
            checked[flag] = None
            continue
        target = _writable_target(out, flag, folders)
        for given in inputs:
            if given and same_file(target, Path(given)):
                raise ClaimstatsError(f"{out}: refusing to overwrite the input file; choose another {flag}")
            if given and Path(given).is_dir() and inside(target, given):
                raise ClaimstatsError(f"{out}: is inside the input folder {given}; choose another {flag}")
        for other, path in checked.items():
            if path is not None and same_file(target, path) and not in_place(target):
                raise ClaimstatsError(f"{out}: {other} and {flag} name the same file; give each its own file")
        checked[flag] = target
    return checked


def check_output_path(out: str, *inputs: str, flag: str = "--out") -> Path:
    """Refuse to write over an input file, or where a file cannot be written (see :func:`check_outputs`).

    ``flag`` is the option that named ``out``, so that the message says which one to change.
    """
    return check_outputs({flag: out}, *inputs)[flag]


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
