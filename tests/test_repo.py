"""The project's own promises: README's commands are what CI runs, data stay out of git."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from _render import STUDENT_FLAGS  # the flags README's render command adds

tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set up and run", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    render, test = commands
    assert 'pip install -e ".[book]"' in render and render.endswith(" ".join(("quarto render",) + STUDENT_FLAGS))
    assert 'pip install -e ".[test]"' in test and test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = readme_commands()[1]
    lines = [line.strip() for line in ci.splitlines()]
    assert test_command in lines


def test_extras_and_entry_point():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["scripts"]["claimstats"] == "claimstats.cli:main"
    test_extra = " ".join(meta["optional-dependencies"]["test"])
    for needed in ("pytest", "nbclient", "nbformat", "ipykernel", "pyyaml"):
        assert needed in test_extra
    assert any(dep.startswith("quarto-cli>=1.10") for dep in meta["optional-dependencies"]["book"])
    assert not any("quarto" in dep for dep in meta["optional-dependencies"]["test"])


def test_required_quarto_is_the_one_the_book_extra_installs():
    yaml = pytest.importorskip("yaml")
    book_extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"]["book"]
    pinned = next(re.fullmatch(r"quarto-cli>=([\d.]+)", dep).group(1) for dep in book_extra
                  if dep.startswith("quarto-cli"))
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    required = re.fullmatch(r">=([\d.]+)", config["quarto-required"]).group(1)

    def version(text):
        parts = [int(p) for p in text.split(".")]
        return parts + [0] * (3 - len(parts))

    assert version(required) == version(pinned)


def test_course_data_is_ignored_by_git():
    probe = "data/tiktok_dataset.csv"
    result = subprocess.run(["git", "check-ignore", "-q", probe], cwd=ROOT)
    if result.returncode == 128:  # not a git checkout (e.g. an sdist): nothing to check
        return
    assert result.returncode == 0, f"{probe} must be git-ignored"
    tracked = subprocess.run(["git", "ls-files", "*.csv"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked.strip() == "", f"CSV files are tracked: {tracked}"
