"""The publish workflow (.github/workflows/publish.yml): its structure, checked without running it.

GitHub Actions cannot run here. The workflow is parsed with a YAML parser and
checked against what the actions it uses document as their inputs (their
``action.yml``, looked up for the versions pinned below), against the project
files it names, and against the rules of the book (a publishing build runs with
no frozen results; the instructor edition is never published).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from _render import STUDENT_FLAGS  # the flags README's render command adds

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"

#: The inputs each action documents in its action.yml (quarto-dev/quarto-actions setup/action.yml,
#: actions/setup-python, actions/upload-pages-artifact, actions/deploy-pages and actions/upload-artifact
#: action.yml at the major versions below). An input outside these is ignored by GitHub with a warning.
DOCUMENTED_INPUTS = {
    "actions/checkout@v4": {"repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user",
                            "persist-credentials", "path", "clean", "filter", "sparse-checkout",
                            "sparse-checkout-cone-mode", "fetch-depth", "fetch-tags", "show-progress", "lfs",
                            "submodules", "set-safe-directory", "github-server-url"},
    "actions/setup-python@v5": {"python-version", "python-version-file", "cache", "architecture", "check-latest",
                                "token", "cache-dependency-path", "update-environment", "allow-prereleases"},
    "quarto-dev/quarto-actions/setup@v2": {"version", "tinytex"},
    "actions/upload-pages-artifact@v3": {"name", "path", "retention-days"},
    "actions/deploy-pages@v4": {"token", "timeout", "error_count", "reporting_interval", "artifact_name", "preview"},
    "actions/upload-artifact@v4": {"name", "path", "if-no-files-found", "retention-days", "compression-level",
                                   "overwrite", "include-hidden-files"},
}
#: Inputs an action requires (no default).
REQUIRED_INPUTS = {"actions/upload-artifact@v4": {"path"}}


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))


def _steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def _uses(workflow: dict, job: str) -> list[str]:
    return [step["uses"] for step in _steps(workflow, job) if "uses" in step]


def _script(workflow: dict, job: str) -> str:
    return "\n".join(step["run"] for step in _steps(workflow, job) if "run" in step)


def test_it_publishes_on_pushes_to_main(workflow):
    triggers = _triggers(workflow)
    assert triggers["push"]["branches"] == ["main"]
    assert set(triggers) <= {"push", "workflow_dispatch"}, "publishing must not run for pull requests"
    assert workflow["permissions"] == {"contents": "read"}, "the default token should only read"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "book"
    assert "github.ref == 'refs/heads/main'" in deploy["if"] and "push" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert _uses(workflow, "deploy") == ["actions/deploy-pages@v4"]
    step_id = _steps(workflow, "deploy")[0]["id"]
    assert deploy["environment"]["url"] == f"${{{{ steps.{step_id}.outputs.page_url }}}}"


def test_the_book_job_installs_the_book_extra_and_quarto_with_the_official_action(workflow):
    for job in ("book", "instructor"):
        uses = _uses(workflow, job)
        assert "actions/setup-python@v5" in uses and "quarto-dev/quarto-actions/setup@v2" in uses
        assert re.search(r'pip install -e "\.\[book\]"', _script(workflow, job)), job
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"^book = \[", pyproject, re.M), "pyproject.toml has no `book` extra"


def test_the_book_and_the_deck_are_rendered_from_scratch_into_the_published_folder(workflow):
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    site = config["project"]["output-dir"]
    script = _script(workflow, "book")
    lines = [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]
    # freeze: auto would reuse the results of unchanged chapters: a publishing build clears the freezer first.
    assert lines.index("rm -rf _freeze") < lines.index(" ".join(("quarto render",) + STUDENT_FLAGS))
    assert "quarto render slides/executive.qmd" in lines and (ROOT / "slides" / "executive.qmd").is_file()
    assert f"cp -r slides/executive.html slides/executive_files {site}/slides/" in lines
    upload = next(s for s in _steps(workflow, "book") if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == site
    assert _uses(workflow, "book")[-1].startswith("actions/upload-pages-artifact"), "upload after rendering"


def test_the_instructor_edition_is_an_artifact_and_never_published(workflow):
    profile = yaml.safe_load((ROOT / "_quarto-instructor.yml").read_text(encoding="utf-8"))
    output = profile["project"]["output-dir"]
    script = _script(workflow, "instructor")
    assert "quarto render --profile instructor" in script and "rm -rf _freeze" in script
    uses = _uses(workflow, "instructor")
    assert not any("pages" in u for u in uses), "the instructor edition must never reach GitHub Pages"
    artifact = next(s for s in _steps(workflow, "instructor") if s.get("uses") == "actions/upload-artifact@v4")
    assert artifact["with"]["path"] == output and artifact["with"]["if-no-files-found"] == "error"
    assert "needs" not in workflow["jobs"]["instructor"]
    assert all(job.get("needs") != "instructor" for job in workflow["jobs"].values())
    # No other job reads the instructor output folder.
    for name in ("book", "deploy"):
        assert output not in yaml.safe_dump(workflow["jobs"][name])


def test_every_action_is_pinned_and_given_only_its_documented_inputs(workflow):
    for name, job in workflow["jobs"].items():
        assert job["runs-on"] == "ubuntu-latest", name
        for step in job["steps"]:
            assert "name" in step, f"{name}: a step without a name"
            if "uses" not in step:
                continue
            action = step["uses"]
            assert action in DOCUMENTED_INPUTS, f"{name}: {action} is not one of the actions checked here"
            given = set(step.get("with", {}))
            unknown = given - DOCUMENTED_INPUTS[action]
            assert not unknown, f"{name}: {action} does not document the inputs {sorted(unknown)}"
            missing = REQUIRED_INPUTS.get(action, set()) - given
            assert not missing, f"{name}: {action} needs {sorted(missing)}"


def test_the_documented_input_table_catches_a_wrong_input():
    step = {"uses": "quarto-dev/quarto-actions/setup@v2", "with": {"versoin": "1.10"}}
    assert set(step["with"]) - DOCUMENTED_INPUTS[step["uses"]] == {"versoin"}


def test_run_steps_are_valid_bash(workflow):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not on PATH")
    for name in workflow["jobs"]:
        for step in _steps(workflow, name):
            if "run" in step:
                done = subprocess.run([bash, "-n"], input=step["run"], text=True, capture_output=True)
                assert done.returncode == 0, f"{name}: {step['name']}: {done.stderr}"
