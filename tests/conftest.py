"""Shared test set-up: a headless plotting backend, the data fixtures, the course file."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COURSE_FILE_CANDIDATES = (
    ROOT / "data" / "tiktok_dataset.csv",
    ROOT.parent / "shared" / "data" / "tiktok_dataset.csv",
)
# Read once at start-up: the autouse fixture below hides the variable from each test.
_ENV_DATA = os.environ.get("CLAIMSTATS_DATA", "")


def course_file_path() -> Path | None:
    """The real course file: CLAIMSTATS_DATA (if it names a file), data/, or ../shared/data/."""
    env = _ENV_DATA
    if env and not env.startswith("synthetic") and Path(env).is_file():
        return Path(env)
    for candidate in COURSE_FILE_CANDIDATES:
        if candidate.is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def course_file() -> Path:
    path = course_file_path()
    if path is None:
        pytest.skip("the course file is absent (set CLAIMSTATS_DATA or put it in data/tiktok_dataset.csv)")
    return path


@pytest.fixture(scope="session")
def course_frame(course_file):
    from claimstats import load

    return load(course_file).frame


@pytest.fixture(scope="session")
def synthetic_frame():
    """The synthetic default, as a new user gets it (full size, default seed)."""
    from claimstats import load

    return load("synthetic").frame


@pytest.fixture(scope="session")
def synthetic_clean(synthetic_frame):
    from claimstats import clean

    return clean(synthetic_frame)[0]


@pytest.fixture(autouse=True)
def _no_stray_data_source(monkeypatch):
    """Tests choose their data explicitly; a developer's CLAIMSTATS_DATA must not leak in."""
    monkeypatch.delenv("CLAIMSTATS_DATA", raising=False)


# ------------------------------------------- a small claim model and a backlog
# Shared by test_triage, test_modelfile, test_intake and test_backlog: trained once a session.


@pytest.fixture(scope="session")
def tidy():
    """2,400 cleaned synthetic videos (seed 31): what the test claim model is trained on."""
    from claimstats import clean, simulate

    return clean(simulate(2400, seed=31))[0]


@pytest.fixture(scope="session")
def model(tidy):
    """A ClaimModel on all features (fast grid) trained on ``tidy``."""
    from claimstats.triage import train_claim_model

    return train_claim_model(tidy, feature_set="all", grid="fast", importance_repeats=0, source="test data")[0]


@pytest.fixture(scope="session")
def reports(tmp_path_factory):
    """3,000 reports without labels, with a few rows broken on purpose (rows counted from 1)."""
    from claimstats import simulate

    frame = simulate(3000, seed=32).drop(columns="claim_status")
    frame["video_transcription_text"] = frame["video_transcription_text"].astype(object)
    frame.loc[4, "video_duration_sec"] = 99                   # row 5
    frame.loc[9, "verified_status"] = "maybe"                 # row 10
    frame.loc[14, "video_like_count"] = -3                    # row 15
    frame.loc[19, "video_transcription_text"] = "=HYPERLINK(\"http://x\")"  # scored, neutralised
    frame.loc[24, "video_id"] = 12345                         # row 25
    path = tmp_path_factory.mktemp("triage") / "reports.csv"
    frame.to_csv(path, index=False)
    return path


# ------------------------------------------- the book rendered by Quarto, once per test run


@pytest.fixture(scope="session")
def quarto() -> str:
    import shutil

    path = shutil.which("quarto")
    if path is None:
        pytest.skip("quarto is not on PATH, so the book is not rendered here (install it with "
                    "`bash ../shared/quarto/install.sh .quarto-local` or `pip install -e '.[book]'`); "
                    "the chapters' code still runs in a Jupyter kernel")
    return path


@pytest.fixture(scope="session")
def student_book(quarto, tmp_path_factory):
    """The student edition (HTML site and Typst PDF) of a fresh copy of the project, synthetic data."""
    from _render import render

    return render(quarto, tmp_path_factory.mktemp("student"), cache=tmp_path_factory.getbasetemp() / "book-cache")


@pytest.fixture(scope="session")
def instructor_book(quarto, tmp_path_factory):
    """The instructor edition (``--profile instructor``), HTML and PDF."""
    from _render import INSTRUCTOR, render

    return render(quarto, tmp_path_factory.mktemp("instructor"), INSTRUCTOR,
                  cache=tmp_path_factory.getbasetemp() / "book-cache")


def pytest_terminal_summary(terminalreporter):
    """How long each render of the book took (wall clock, and CPU time of Quarto and all it ran)."""
    import sys

    render = sys.modules.get("_render")
    for edition, wall, cpu in getattr(render, "TIMINGS", []):
        terminalreporter.write_line(f"quarto render, {edition} edition (HTML + PDF): {wall:.0f} s wall, {cpu:.0f} s CPU")
