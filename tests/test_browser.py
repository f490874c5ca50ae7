"""The execute chapter's threshold explorer and the stakeholder deck, rendered by Quarto and read in Chromium.

Once per session, in a temporary copy of the project (the repository is never
written to), Quarto renders chapter 7 to HTML and the deck to revealjs, on the
synthetic default data. Headless Chromium, driven by Playwright, opens them
from a local HTTP server with every request outside it aborted and recorded,
and the tests compare what a reader sees with the numbers the package
computes. They skip, saying why, where Quarto, Chromium or Playwright is absent
(``.ci/run`` installs Debian's chromium; ``pip install -e ".[test]"`` brings Playwright).

Set ``CLAIMSTATS_SCREENSHOTS=DIR`` to keep screenshots of the explorer and the slides.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
#: The book's theme (cosmo) asks Google Fonts for its web font; the page works without it.
THEME_FONT_HOSTS = {"fonts.googleapis.com", "fonts.gstatic.com"}


def _chromium() -> str | None:
    for candidate in (os.environ.get("CLAIMSTATS_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _requirements() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if shutil.which("quarto") is None:
        return "quarto is not on PATH: the rendered explorer and deck are not tested here"
    if _chromium() is None:
        return "chromium is not installed (.ci/run installs Debian's chromium): the browser tests do not run"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]'): the browser tests do not run"
    return None


pytestmark = pytest.mark.skipif(_requirements() is not None, reason=_requirements() or "")


# ------------------------------------------------------------------ rendering, once


def _copy_project(target: Path) -> Path:
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(
        ".git", "_freeze", ".quarto", "_book*", "*.quarto_ipynb", "__pycache__", ".venv", "venv", "*.csv", "*.csv.gz",
        "executive.html", "executive_files", "figures", ".pytest_cache", ".quarto-local", "wip"))
    return target


@pytest.fixture(scope="session")
def rendered(tmp_path_factory, request):
    """Chapter 7 (HTML) and the deck: ``(book folder, slides folder)``.

    Chapter 7 is read from the student edition that the book tests render once
    per run (``student_book`` in conftest.py); the deck is rendered here, in a
    copy of the project.
    """
    book = request.getfixturevalue("student_book").folder
    project = _copy_project(tmp_path_factory.mktemp("render") / "project")
    env = dict(os.environ, CLAIMSTATS_DATA="synthetic", MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(project), os.environ.get("PYTHONPATH")])))
    env.setdefault("QUARTO_PYTHON", sys.executable)
    env.pop("QUARTO_PROFILE", None)
    # The book's tuning cache (conftest.py): the deck reads chapter 6's comparison back instead of tuning again.
    env["CLAIMSTATS_BOOK_CACHE"] = str(tmp_path_factory.getbasetemp() / "book-cache")
    run = subprocess.run(["quarto", "render", "slides/executive.qmd"], cwd=project, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800)
    assert run.returncode == 0, f"quarto render of the deck failed:\n{run.stdout[-4000:]}"
    slides = project / "slides"
    assert (book / "chapters" / "07-execute.html").is_file() and (slides / "executive.html").is_file()
    return book, slides


@pytest.fixture(scope="session")
def expected():
    """The numbers, from the package: chapter 7's model on the synthetic default, and its test split."""
    import claimstats
    from claimstats import triage
    from claimstats.evaluation import claim_labels

    frame, source = claimstats.load("synthetic")
    tidy, _ = claimstats.clean(frame)
    seed = source.seed if source.seed is not None else claimstats.DEFAULT_SEED
    # The training of chapter 7 and of the deck.
    model, comparison = triage.train_claim_model(
        tidy, feature_set="upload", grid="fast", seed=seed, importance_repeats=0,
        target_recall=triage.DEFAULT_TARGET_RECALL, first_recall=triage.DEFAULT_FIRST_RECALL)
    test = comparison.phrasing.split.test  # as chapter 7: the deployed model's held-out-phrasing test split
    labels, scores = claim_labels(test), model.predict_proba(test)
    return {"tidy": tidy, "model": model, "test": test, "labels": labels, "scores": scores,
            "curve": triage.workload_curve(labels, scores)}


# ------------------------------------------------------------------ the browser


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser, folder: Path, page_path: str, viewport=(1200, 1400)):
    """Serve ``folder`` on localhost and open ``page_path`` with the network off: ``(page, external, errors, stop)``."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    external, errors = [], []

    def route(r):
        if r.request.url.startswith((origin, "data:", "blob:")):
            r.continue_()
        else:
            external.append((r.request.url, r.request.resource_type))
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{origin}/{page_path}")

    def stop():
        context.close()
        server.shutdown()
        server.server_close()

    return page, external, errors, stop


def _screenshot(page, name: str):
    folder = os.environ.get("CLAIMSTATS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


# ------------------------------------------------------------------ the explorer


def _settle(page):
    """Wait until the OJS cells have caught up with the slider (the label beside it updates at once)."""
    page.wait_for_function(
        "() => document.querySelector('#explorer-readout [data-field=target]')?.textContent"
        " === document.getElementById('explorer-target-value').value", timeout=10_000)


def _readout(page) -> dict[str, str]:
    _settle(page)
    fields = page.eval_on_selector_all(
        "#explorer-readout [data-field]", "els => els.map(e => [e.dataset.field, e.textContent.trim()])")
    return dict(fields)


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def _percent(text: str) -> float:
    return float(text.rstrip("%")) / 100


@pytest.fixture(scope="module")
def explorer_page(browser, rendered):
    page, external, errors, stop = _open(browser, rendered[0], "chapters/07-execute.html")
    page.wait_for_selector("#explorer-readout [data-field='threshold']", timeout=30_000)
    yield page, external, errors
    stop()


def test_the_explorer_runs_with_the_network_off_and_asks_nothing_from_outside(explorer_page):
    page, external, errors = explorer_page
    assert not errors, errors
    hosts = {re.match(r"\w+://([^/:]+)", url).group(1) for url, _ in external}
    assert hosts <= THEME_FONT_HOSTS, f"the page asked for {external}"
    assert not [url for url, kind in external if kind in ("script", "fetch", "xhr")], external
    # Every library of the page (the OJS runtime included) came from the book's own folder.
    scripts = page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
    assert scripts and all(src.startswith("http://127.0.0.1") for src in scripts), scripts


def test_the_readout_equals_the_package_workload_curve_at_three_slider_positions(explorer_page, expected):
    from claimstats.triage import threshold_for_recall

    page, _, _ = explorer_page
    model, curve = expected["model"], expected["curve"]
    slider = page.locator("#explorer-target")
    n_positions = int(slider.get_attribute("max")) + 1
    seen = []
    # Three positions: the lowest target and the highest, by keyboard; the model's review target, by setting it.
    slider.focus()
    page.keyboard.press("Home")
    seen.append(_readout(page))
    page.keyboard.press("End")
    seen.append(_readout(page))
    page.locator("#sec-execute-explorer").scroll_into_view_if_needed()
    _screenshot(page, "explorer-end")
    # Find the model's target by stepping down from the end with the arrow keys.
    for _ in range(n_positions):
        if _readout(page)["target"] == f"{model.target_recall:.0%}":
            break
        page.keyboard.press("ArrowLeft")
    seen.append(_readout(page))
    page.locator("#sec-execute-explorer").scroll_into_view_if_needed()
    _screenshot(page, "explorer-review-target")
    assert [r["target"] for r in seen] == ["50%", "100%", f"{model.target_recall:.0%}"]
    markers = set()
    for shown in seen:
        target = _percent(shown["target"])
        # The model's own rule: its confidence and validation templates (ClaimModel.thresholds).
        groups = model.validation_groups if model.confidence is not None else None
        threshold = threshold_for_recall(model.validation_labels, model.validation_scores, target,
                                         model.confidence, groups)
        if target == pytest.approx(model.target_recall):
            assert threshold == model.threshold, "at the model's target the explorer shows its review threshold"
        point = curve.at_threshold(threshold)
        assert shown["threshold"] == f"{threshold:.4f}"
        assert shown["split"] == "test" and shown["chosen-on"] == "validation"
        assert _count(shown["reports"]) == curve.n_reports == len(expected["test"])
        assert _count(shown["reviewed"]) == point["reviewed"]
        assert _count(shown["caught"]) == point["claims_caught"]
        assert _count(shown["claims"]) == curve.n_claims
        assert _count(shown["missed"]) == curve.n_claims - point["claims_caught"]
        assert _count(shown["opinions"]) == point["reviewed"] - point["claims_caught"]
        assert _percent(shown["share-reviewed"]) == pytest.approx(point["share_reviewed"], abs=0.0006)
        assert _percent(shown["recall"]) == pytest.approx(point["share_caught"], abs=0.0006)
        low, high = proportion_confint(point["claims_caught"], curve.n_claims, alpha=0.05, method="beta")
        assert _percent(shown["recall-low"]) == pytest.approx(low, abs=0.0006)
        assert _percent(shown["recall-high"]) == pytest.approx(high, abs=0.0006)
        markers.add(shown["threshold"])
    assert len(markers) == 3, "the three positions should show three thresholds"


def test_the_explorer_is_keyboard_operable_and_speaks_its_readout(explorer_page):
    page, _, _ = explorer_page
    slider = page.locator("#explorer-target")
    assert page.locator("label[for='explorer-target']").count() == 1
    readout = page.locator("#explorer-readout")
    assert readout.get_attribute("role") == "status" and readout.get_attribute("aria-live") == "polite"
    slider.focus()
    page.keyboard.press("Home")
    _settle(page)
    before = (slider.get_attribute("aria-valuetext"), page.locator("#explorer-marker").get_attribute("cx"),
              readout.inner_text())
    page.keyboard.press("ArrowRight")
    _settle(page)
    after = (slider.get_attribute("aria-valuetext"), page.locator("#explorer-marker").get_attribute("cx"),
             readout.inner_text())
    assert all(b != a for b, a in zip(before, after)), (before, after)
    assert after[0].endswith("of the validation claims")
    assert page.locator("#explorer-chart").get_attribute("role") == "img"
    assert "Workload curve of the test split" in page.locator("#explorer-chart").get_attribute("aria-label")


def test_the_html_page_carries_no_pdf_fallback(explorer_page):
    page, _, _ = explorer_page
    assert page.locator("#fig-explorer-static").count() == 0 and page.locator("#tbl-explorer-thresholds").count() == 0


# ------------------------------------------------------------------ the deck


@pytest.fixture(scope="module")
def deck_page(browser, rendered):
    page, external, errors, stop = _open(browser, rendered[1], "executive.html", viewport=(1280, 720))
    page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
    yield page, external, errors
    stop()


def _slide_text(page, slide_id: str) -> str:
    return page.evaluate(f"() => document.getElementById('{slide_id}').innerText")


def test_the_deck_has_its_slides_and_notes_and_needs_no_network(deck_page):
    page, external, errors = deck_page
    source = (ROOT / "slides" / "executive.qmd").read_text(encoding="utf-8")
    headings = re.findall(r"(?m)^## ", source)
    assert page.evaluate("Reveal.getTotalSlides()") == 1 + len(headings)  # the title slide and the ## slides
    assert page.locator(".reveal .slides section aside.notes").count() == len(headings)
    assert not errors and not external, (errors, external)


def test_the_deck_numbers_are_the_package_numbers(deck_page, expected):
    from claimstats.explorer import threshold_explorer

    page, _, _ = deck_page
    tidy, model, test = expected["tidy"], expected["model"], expected["test"]
    data = _slide_text(page, "sec-deck-data")
    assert f"{len(tidy):,} reported videos" in data
    assert f"{(tidy['claim_status'] == 'claim').mean():.0%} are claims" in data
    assert f"{model.rows['test']:,} kept aside" in data and len(test) == model.rows["test"]
    # The confounding, counted here with pandas.
    verified = tidy["verified_status"] == "verified"
    opinion = tidy["claim_status"] == "opinion"
    text = _slide_text(page, "sec-deck-confounding")
    assert f"{opinion[verified].mean():.0%} of the videos from verified accounts are opinions" in text
    assert f"against {opinion[~verified].mean():.0%} from unverified accounts" in text
    medians = tidy.groupby("claim_status", observed=True)["video_view_count"].median()
    assert f"{medians['claim'] / medians['opinion']:,.0f} times the views" in text
    text = " ".join(_slide_text(page, "sec-deck-leakage").split())
    assert f"caught {model.metrics['recall']:.1%} of the test claims" in text
    assert f"{model.metrics['precision']:.1%} of what it flagged were claims" in text
    # What the queue buys: the workload curve at the review threshold.
    point = expected["curve"].at_threshold(model.threshold)
    low, high = proportion_confint(point["claims_caught"], expected["curve"].n_claims, alpha=0.05, method="beta")
    text = " ".join(_slide_text(page, "sec-deck-workload").split())
    assert (f"Reviewing {point['share_reviewed']:.0%} of the test reports in the model’s order catches "
            f"{point['share_caught']:.0%} of the claims") in text
    assert f"interval on that recall: {low:.0%} to {high:.0%}" in text
    assert f"{point['share_caught'] - point['share_reviewed']:.0%} of the queue saved" in text
    # The table of three thresholds: the package's own table, cell by cell.
    explorer = threshold_explorer(model, test, scores=expected["scores"])
    table = explorer.table(sorted({model.first_recall, model.target_recall, 1.0}))
    cells = page.eval_on_selector_all("#sec-deck-choice table tbody tr",
                                      "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
    assert cells == table.astype(str).values.tolist()
    page.evaluate("Reveal.slide(Reveal.getIndices(document.getElementById('sec-deck-workload')).h)")
    page.wait_for_timeout(500)
    _screenshot(page, "deck-workload")
    page.evaluate("Reveal.slide(Reveal.getIndices(document.getElementById('sec-deck-choice')).h)")
    page.wait_for_timeout(500)
    _screenshot(page, "deck-choice")
    assert np.isclose(explorer.at(model.target_recall)["threshold"], model.threshold)
