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
