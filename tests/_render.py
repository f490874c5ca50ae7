"""The book rendered by the real Quarto, once per test run, and read back as a reader sees it.

:func:`render` copies the project to a temporary folder (no ``_freeze/``, so
every chapter executes), runs one ``quarto render`` (HTML and Typst PDF, one
edition) on the synthetic default and returns a :class:`Book`: the text of
every HTML page as a reader sees it, the raw HTML, and the PDF's text.
``tests/conftest.py`` holds the session fixtures; without ``quarto`` on PATH
they skip.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTOR = "instructor"
#: ``(edition, wall seconds, CPU seconds of Quarto and everything it ran)`` of each render this run.
TIMINGS: list[tuple[str, float, float]] = []
#: What README's command adds to ``quarto render`` for the student edition.
STUDENT_FLAGS = ("--execute-daemon", "15")
_IGNORE = shutil.ignore_patterns(".git", "_freeze", ".quarto", "_book*", "*.quarto_ipynb", "__pycache__", ".venv",
                                 "venv", ".quarto-local", "*.csv", "*.csv.gz", "*.png", ".pytest_cache", "*.egg-info")


def copy_project(target: Path) -> Path:
    """The project's sources in ``target`` (no outputs, caches, data files or figures)."""
    shutil.copytree(ROOT, target, ignore=_IGNORE)
    return target


def _merge(base, extra):
    """Quarto's merge of a profile over ``_quarto.yml`` (``mergeConfigs``): maps merge key by key,
    lists are concatenated without repeats, anything else is replaced."""
    if isinstance(base, dict) and isinstance(extra, dict):
        return {**base, **{key: _merge(base[key], value) if key in base else value for key, value in extra.items()}}
    if isinstance(base, list) or isinstance(extra, list):
        if base is None or extra is None:
            return base if extra is None else extra
        combined, seen = [], set()
        for item in (base if isinstance(base, list) else [base]) + (extra if isinstance(extra, list) else [extra]):
            key = json.dumps(item, sort_keys=True)
            if key not in seen:
                seen.add(key)
                combined.append(item)
        return combined
    return extra


def edition_config(profile: str | None = None) -> dict:
    """The book's configuration as Quarto reads it for ``profile`` (by default, the default profile):
    ``_quarto.yml`` with ``_quarto-<profile>.yml`` merged over it."""
    import yaml

    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    profile = profile or (config.get("profile") or {}).get("default")
    if profile:
        config = _merge(config, yaml.safe_load((ROOT / f"_quarto-{profile}.yml").read_text(encoding="utf-8")))
    return config


def book_files(config: dict) -> list[str]:
    """The files of a book project in reading order: ``book.chapters`` (through parts), then ``appendices``."""

    def walk(items):
        for item in items or []:
            if isinstance(item, str):
                yield item
            else:
                yield from walk(item.get("chapters"))

    book = config.get("book") or {}
    return list(walk(book.get("chapters"))) + list(walk(book.get("appendices")))


def render_env(data: str = "synthetic", profile: str | None = None) -> dict[str, str]:
    env = dict(os.environ, CLAIMSTATS_DATA=data, MPLBACKEND="Agg", QUARTO_PYTHON=sys.executable)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("QUARTO_PROFILE", None)
    if profile:
        env["QUARTO_PROFILE"] = profile
    return env


class _Text(html.parser.HTMLParser):
    """Visible text (no scripts, styles or tags) and every ``<img>``'s attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.images, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


@dataclass(frozen=True)
class Page:
    html: str
    text: str
    images: list


@dataclass(frozen=True)
class Book:
    """One rendered edition: ``pages`` by source name (``chapters/02-inspect.qmd``), the PDF's text."""

    folder: Path
    pages: dict
    pdf: Path
    pdf_text: str
    search: str
    stderr: str
    seconds: float


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def render(quarto: str, workdir: Path, profile: str | None = None, cache: Path | None = None) -> Book:
    """One ``quarto render`` (every format of ``_quarto.yml``) of a fresh copy of the project.

    ``cache``: where the chapters memoise model tuning (``CLAIMSTATS_BOOK_CACHE``), so that two renders
    in one test run share it; by default the copy's own ``.quarto/claimstats-cache``.
    """
    project = copy_project(workdir / "book")
    # The student edition as README renders it (one kernel per chapter for both formats); the
    # instructor edition without daemons, which its profile turns off and a flag would turn on.
    args = [quarto, "render"] + (["--profile", profile] if profile else list(STUDENT_FLAGS))
    env = render_env(profile=profile)
    if cache is not None:
        env["CLAIMSTATS_BOOK_CACHE"] = str(cache)
    tick, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - tick
    TIMINGS.append((profile or "student", seconds, _children_cpu() - cpu))
    assert done.returncode == 0, f"quarto render {profile or ''} failed:\n{done.stderr[-4000:]}"
    return read_book(project / ("_book-instructor" if profile == INSTRUCTOR else "_book"), done.stderr, seconds)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def read_book(out: Path, stderr: str = "", seconds: float = 0.0) -> Book:
    """A rendered edition's output folder, read back: pages, PDF text, search index."""
    pages = {}
    for page in out.rglob("*.html"):
        parser = _Text()
        raw = page.read_text(encoding="utf-8")
        parser.feed(raw)
        source = page.relative_to(out).with_suffix(".qmd").as_posix()
        pages[source] = Page(raw, " ".join(" ".join(parser.parts).split()), parser.images)
    pdfs = list(out.glob("*.pdf"))
    assert len(pdfs) == 1, f"expected one PDF in {out}: {pdfs}"
    search = ""
    if (out / "search.json").is_file():
        entries = json.loads((out / "search.json").read_text(encoding="utf-8"))
        search = "\n".join(" ".join(str(e.get(k, "")) for k in ("title", "section", "text")) for e in entries)
    return Book(out, pages, pdfs[0], pdf_text(pdfs[0]), search, stderr, seconds)


def letters(text: str) -> str:
    """Lower-case letters and digits only: text compared across HTML, PDF (hyphenation, line breaks,
    smart quotes) and Markdown sources."""
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKC", text).lower())  # NFKC: "H₀" is "H0"
