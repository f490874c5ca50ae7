"""Every file the project writes: spreadsheet-safe CSV, written atomically.

Two promises hold for every output (``clean``, ``simulate``, ``triage``, the
exercise datasets and grade sheets, figures and model files):

* **Safe to open in a spreadsheet.** A text cell that a spreadsheet would run
  as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage
  return or a line feed, and is not a plain number such as ``-0.5``) is
  prefixed with ``'`` (:func:`neutralize_formulas`); lines end with CR LF, as
  RFC 4180 and spreadsheets write CSV, which makes the CSV writer quote any
  cell holding a carriage return (a bare CR in an unquoted cell would end the
  row for every CSV reader).
* **All or nothing.** Each file is written to a temporary file beside its
  target and renamed over it only when every file of the run was written
  (:class:`Outputs`): on a full disk, a crash or an error half-way, nothing new
  is left, the previous files survive and the error is one line. A target that
  is not a regular file (``/dev/null``, ``/dev/stdout``, a pipe) is written in
  place, last.

Examples
--------
>>> import pandas as pd
>>> neutralize_formulas(pd.DataFrame({"t": ["=A1", "text", "-0.5", "+4+4"]}))["t"].tolist()
["'=A1", 'text', '-0.5', "'+4+4"]
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from claimstats.errors import ClaimstatsError

__all__ = ["LINE_END", "Outputs", "atomic_path", "in_place", "inside", "neutralize_arrow", "neutralize_formulas",
           "same_file", "write_csv", "write_rows"]

LINE_END = "\r\n"  # with "\n", a cell holding a bare "\r" is written unquoted and splits its row
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


# ------------------------------------------------------ spreadsheet safety


def _risky(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value)


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text cells that a spreadsheet would run as a formula start with ``'``.

    Cells starting with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or
    a line feed are prefixed, column names included (a header row is cells
    too); numbers, and text that is a plain number (``"-1"``, ``"+2.5e3"``),
    are left alone: a spreadsheet reads them as the number they are.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralize_formulas(pd.DataFrame({"t": ["=1+1", "ok", "@SUM(A1)"], "n": [-1, 2, 3]}))["t"].tolist()
    ["'=1+1", 'ok', "'@SUM(A1)"]
    """
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        values = col.astype(object).to_numpy()
        # One pass in C over the joined column finds whether any cell needs a look (most do not).
        if pd.api.types.is_string_dtype(col) and col.dtype != object:
            items = col.fillna("").tolist()
        else:
            items = [v if isinstance(v, str) else "" for v in values]
        joined = "\x00" + "\x00".join(items)
        if not any(f"\x00{start}" in joined for start in FORMULA_START):
            continue
        risky = np.fromiter((_risky(v) for v in values), bool, len(values))
        if risky.any():
            values = values.copy()
            values[risky] = ["'" + v for v in values[risky]]
            out[name] = values
    names = ["'" + c if _risky(c) else c for c in out.columns]
    if names != list(out.columns):
        out.columns = names
    return out


def neutralize_arrow(table):
    """:func:`neutralize_formulas` for an Arrow table: the same cells (and column names) prefixed with ``'``.

    Done in Arrow's compute kernels, column by column, so a queue of millions
    of rows is made safe without converting it to Python objects.

    Examples
    --------
    >>> import pyarrow as pa
    >>> neutralize_arrow(pa.table({"t": ["=1+1", "ok", "-0.5", None], "n": [-1, 2, 3, 4]})).column("t").to_pylist()
    ["'=1+1", 'ok', '-0.5', None]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.cast(kind.value_type), kind.value_type
        if (pa.types.is_string(kind) or pa.types.is_large_string(kind)) and len(column):
            risky = None
            for start in FORMULA_START:
                hit = pc.starts_with(column, start)
                risky = hit if risky is None else pc.or_(risky, hit)
            if pc.any(risky).as_py():
                risky = pc.and_(risky, pc.invert(pc.match_substring_regex(column, f"^(?:{_NUMBER.pattern})$")))
                quote, nothing = pa.scalar("'", kind), pa.scalar("", kind)
                column = pc.if_else(risky, pc.binary_join_element_wise(quote, column, nothing), column)
        columns.append(column)
    names = ["'" + n if _risky(n) else n for n in table.column_names]
    return pa.table(columns, names=names)


def write_rows(frame: pd.DataFrame, handle, header: bool = True) -> None:
    """Append ``frame`` to an open output, spreadsheet-safe, CR LF line ends."""
    neutralize_formulas(frame).to_csv(handle, index=False, header=header, lineterminator=LINE_END)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``frame`` to ``path``, spreadsheet-safe and atomically; return the path.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_csv(pd.DataFrame({"t": ["=1"]}), target).read_bytes()
    b"t\\r\\n'=1\\r\\n"
    """
    with Outputs() as outputs:
        write_rows(frame, outputs.open(path))
    return Path(path)


# ------------------------------------------------------------ atomic files


def _where(target: Path) -> Path:
    """The file that will really be replaced: a symlink's destination, not the link."""
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def in_place(target: Path) -> bool:
    """Whether ``target`` exists and is not a regular file (a device, a pipe): written directly."""
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file: the same path, a symlink or a hard link to it.

    Examples
    --------
    >>> same_file("a/../b.csv", "b.csv")
    True
    """
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def inside(target: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Whether ``target`` lies in ``folder`` (a dataset folder: a file written there would join it).

    Examples
    --------
    >>> inside("data/part-1.parquet", "data"), inside("queue.parquet", "data")
    (True, False)
    """
    where, folder = Path(os.path.realpath(target)), Path(os.path.realpath(folder))
    return folder in where.parents


def _umask_mode(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)  # keep the mode of the file being replaced
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _cannot_write(target: Path, err: OSError) -> ClaimstatsError:
    reason = err.strerror or str(err)
    return ClaimstatsError(f"{target}: cannot write: {reason}; nothing was written")


class Outputs:
    """Files written together and committed all at once.

    :meth:`open` gives a text handle on a temporary file beside each target;
    leaving the ``with`` block without an error renames every temporary file
    over its target; an error (of any kind) deletes them all, so the targets
    keep what they held. ``OSError`` (a full disk, a folder that cannot be
    written) becomes one :class:`~claimstats.errors.ClaimstatsError` naming the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with Outputs() as outputs:
    ...     _ = outputs.open(folder / "a.txt").write("a")
    ...     _ = outputs.open(folder / "b.txt").write("b")
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt', 'b.txt']
    """

    def __init__(self):
        self._files: list[tuple[Path, Path | None, object]] = []  # (target, temporary or None, handle)

    def _temporary(self, target: Path, suffix: str = ".part") -> Path:
        try:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
        except OSError as err:
            raise _cannot_write(target, err) from None
        os.close(fd)
        os.chmod(name, _umask_mode(target))
        return Path(name)

    def open(self, target: str | os.PathLike):
        """A text handle (UTF-8, newlines as written) whose content becomes ``target`` at commit."""
        target = _where(Path(target))
        if in_place(target):
            handle = open(target, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed at commit
            self._files.append((target, None, handle))
            return handle
        temporary = self._temporary(target)
        handle = open(temporary, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed at commit
        self._files.append((target, temporary, handle))
        return handle

    def path(self, target: str | os.PathLike) -> Path:
        """A temporary path (with ``target``'s suffix) for a writer that takes a file name."""
        target = _where(Path(target))
        if in_place(target):
            self._files.append((target, None, None))
            return target
        temporary = self._temporary(target, suffix=".part" + target.suffix)
        self._files.append((target, temporary, None))
        return temporary

    def folder(self, target: str | os.PathLike) -> Path:
        """A temporary folder beside ``target`` (a Parquet dataset a cluster writes), swapped in at commit.

        At commit an existing ``target`` (a folder or a file) is moved aside,
        the new folder renamed into its place, then the old one deleted.
        """
        target = _where(Path(target))
        try:
            name = tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        except OSError as err:
            raise _cannot_write(target, err) from None
        self._files.append((target, Path(name), None))
        return Path(name)

    def commit(self) -> None:
        """Flush every file, then rename each temporary file over its target."""
        for target, _, handle in self._files:
            if handle is not None:
                try:
                    handle.close()
                except OSError as err:
                    self.abort()
                    raise _cannot_write(target, err) from None
        old = []
        for target, temporary, _ in self._files:
            if temporary is not None:
                try:
                    if temporary.is_dir() and target.exists():  # a folder cannot be renamed over another
                        aside = target.with_name(f".{target.name}.{os.getpid()}.old")
                        os.replace(target, aside)
                        old.append(aside)
                    os.replace(temporary, target)
                except OSError as err:
                    self.abort()
                    raise _cannot_write(target, err) from None
        for aside in old:
            if aside.is_dir():
                shutil.rmtree(aside, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    aside.unlink()
        self._files = []

    def abort(self) -> None:
        """Delete every temporary file; the targets keep what they held."""
        for _, temporary, handle in self._files:
            if handle is not None:
                with contextlib.suppress(OSError):
                    handle.close()
            if temporary is not None and temporary.is_dir():
                shutil.rmtree(temporary, ignore_errors=True)
            elif temporary is not None:
                with contextlib.suppress(OSError):
                    temporary.unlink()
        self._files = []

    def _about(self, err: OSError) -> Path | None:
        """The target an OSError is about: the file it names, or (no name: a full disk) the first one."""
        if err.filename is None:
            return self._files[0][0] if self._files else None
        for target, temporary, _ in self._files:
            if str(err.filename) in (str(target), str(temporary)):
                return target
        return None  # about another file (an input): left as it is

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None:
            self.commit()
            return False
        about = self._about(error) if isinstance(error, OSError) else None
        self.abort()
        if about is not None:
            raise _cannot_write(about, error) from None
        return False


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike):
    """A temporary path to write ``target`` through (for writers that take a file name).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "fig.txt"
    >>> with atomic_path(target) as path:
    ...     _ = path.write_text("done")
    >>> target.read_text()
    'done'
    """
    with Outputs() as outputs:
        yield outputs.path(target)
