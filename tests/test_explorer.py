"""claimstats.explorer: the threshold explorer's numbers, checked by hand and against statsmodels."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from claimstats import clean, simulate
from claimstats.errors import ClaimstatsError
from claimstats.explorer import COLUMNS, OjsDefine, plot_explorer, recall_interval, threshold_explorer


def _toy(labels, scores, target_recall=1.0):
    """A stand-in for a ClaimModel: the explorer only reads the validation labels and scores."""
    return SimpleNamespace(validation_labels=np.asarray(labels), validation_scores=np.asarray(scores, float),
                           target_recall=target_recall)


# Validation: 4 claims scored 0.9, 0.7, 0.7 (a tie) and 0.2; opinions 0.8, 0.5, 0.1.
VAL_Y = [1, 0, 1, 1, 0, 1, 0]
VAL_P = [0.9, 0.8, 0.7, 0.7, 0.5, 0.2, 0.1]


def test_thresholds_and_counts_on_a_hand_worked_example():
    model = _toy(VAL_Y, VAL_P)
    explorer = threshold_explorer(model, targets=[0.25, 0.5, 0.75, 1.0])
    frame = explorer.to_frame()
    assert list(frame.columns) == list(COLUMNS)
    # 25%: 1 claim needed -> 0.9; 50%: 2 -> 0.7 (the tie lets it catch 3); 75%: 3 -> 0.7; 100%: 4 -> 0.2.
    assert frame["threshold"].tolist() == [0.9, 0.7, 0.7, 0.2]
    assert frame["reviewed"].tolist() == [1, 4, 4, 6]
    assert frame["claims_caught"].tolist() == [1, 3, 3, 4]
    assert frame["claims_missed"].tolist() == [3, 1, 1, 0]
    assert frame["opinions_reviewed"].tolist() == [0, 1, 1, 2]
    assert frame["opinion_share_of_reviews"].tolist() == pytest.approx([0, 1 / 4, 1 / 4, 2 / 6])
    assert frame["share_reviewed"].tolist() == pytest.approx([1 / 7, 4 / 7, 4 / 7, 6 / 7])
    assert frame["workload_saved"].tolist() == pytest.approx([1 / 4 - 1 / 7, 3 / 4 - 4 / 7, 3 / 4 - 4 / 7, 1 - 6 / 7])
    assert set(frame["split"]) == {"validation"} and explorer.readout_split == "validation"


def test_thresholds_chosen_on_validation_are_applied_to_the_other_split():
    model = _toy(VAL_Y, VAL_P, target_recall=0.75)
    test = pd.DataFrame({"claim_status": ["claim", "opinion", "claim", "opinion", "claim"]})
    scores = np.array([0.95, 0.75, 0.6, 0.3, 0.25])
    explorer = threshold_explorer(model, test, scores=scores, targets=[0.5, 0.75, 1.0])
    on_test = explorer.to_frame().query("split == 'test'")
    # Thresholds 0.7, 0.7, 0.2 from validation; on the test rows: scores >= 0.7 are 0.95 and 0.75.
    assert on_test["threshold"].tolist() == [0.7, 0.7, 0.2]
    assert on_test["reviewed"].tolist() == [2, 2, 5]
    assert on_test["claims_caught"].tolist() == [1, 1, 3]
    assert on_test["recall"].tolist() == pytest.approx([1 / 3, 1 / 3, 1.0])
    assert explorer.splits == ("validation", "test") and explorer.readout_split == "test"
    assert explorer.default_target == 0.75
    assert explorer.at(1.0)["opinions_reviewed"] == 2


def test_recall_interval_is_clopper_pearson():
    for caught, claims in [(0, 10), (7, 10), (10, 10), (480, 500), (1, 3)]:
        expected = proportion_confint(caught, claims, alpha=0.05, method="beta")
        assert recall_interval(caught, claims) == pytest.approx(expected, abs=1e-9)
    assert recall_interval(45, 50, 0.9) == pytest.approx(proportion_confint(45, 50, alpha=0.1, method="beta"))


def test_explorer_intervals_match_statsmodels_and_bracket_the_recall():
    explorer = threshold_explorer(_toy(VAL_Y, VAL_P), targets=[0.25, 0.5, 1.0], confidence=0.9)
    for row in explorer.to_frame().itertuples():
        low, high = proportion_confint(row.claims_caught, row.claims, alpha=0.1, method="beta")
        assert (row.recall_low, row.recall_high) == pytest.approx((low, high))
        assert row.recall_low <= row.recall <= row.recall_high


@pytest.fixture(scope="module")
def held_out():
    return clean(simulate(1200, seed=77))[0]


def test_on_a_trained_model_validation_recall_reaches_each_target_and_counts_match(model, held_out):
    explorer = threshold_explorer(model, held_out)
    frame = explorer.to_frame()
    validation = frame[frame["split"] == "validation"]
    assert len(validation) == len(frame) / 2 == 51
    assert (validation["recall"] >= validation["target_recall"] - 1e-12).all()
    assert validation["threshold"].is_monotonic_decreasing
    # Counts on the held-out rows, recomputed from the model's scores.
    scores = model.predict_proba(held_out)
    claims = (held_out["claim_status"] == "claim").to_numpy()
    for row in frame[frame["split"] == "test"].itertuples():
        flagged = scores >= row.threshold
        assert row.reviewed == flagged.sum() and row.claims_caught == (flagged & claims).sum()
        assert row.opinions_reviewed == (flagged & ~claims).sum()
        assert row.claims == claims.sum() and row.reports == len(held_out)
    assert explorer.default_target == pytest.approx(model.target_recall)
    assert explorer.at(model.target_recall, "validation")["threshold"] == pytest.approx(model.threshold)


def test_curves_are_thinned_and_keep_both_ends(model, held_out):
    explorer = threshold_explorer(model, held_out, curve_points=50)
    for split, part in explorer.curves.groupby("split"):
        assert len(part) <= 50
        assert part["share_reviewed"].iloc[0] == 0 and part["share_reviewed"].iloc[-1] == 1
        assert part["share_caught"].iloc[-1] == 1 and part["share_caught"].is_monotonic_increasing


def test_to_dict_is_json_and_carries_the_rows(model, held_out):
    explorer = threshold_explorer(model, held_out, targets=[0.8, 0.9])
    data = json.loads(explorer.to_json())
    assert data["chosen_on"] == "validation" and data["readout_split"] == "test"
    assert data["splits"] == ["validation", "test"]
    assert data["reports"]["test"] == len(held_out)
    # 0.8 and 0.9 asked for, the model's 0.95 added; validation rows first.
    assert [(r["split"], r["target_recall"]) for r in data["rows"]] == [
        (s, t) for s in ("validation", "test") for t in (0.8, 0.9, 0.95)]
    assert data["rows"][4]["claims_caught"] == explorer.at(0.9)["claims_caught"]
    assert set(data["curves"]) == {"validation", "test"}


def test_ojs_define_writes_the_script_quarto_reads_as_a_raw_html_block():
    markdown = OjsDefine("x", {"text": "a </script> b"})._repr_markdown_()
    first, body, last = markdown.split("\n")
    assert (first, last) == ("```{=html}", "```")
    assert body.startswith('<script type="ojs-define">') and body.count("</script>") == 1
    payload = json.loads(body[len('<script type="ojs-define">'):-len("</script>")])
    assert payload == {"contents": [{"name": "x", "value": {"text": "a </script> b"}}]}
    # Never HTML output: Quarto adds require.js and jQuery from a CDN to any page with HTML output.
    assert not hasattr(OjsDefine, "_repr_html_") and not hasattr(OjsDefine, "_repr_mimebundle_")


def test_the_model_recalls_are_always_on_the_grid():
    model = _toy(VAL_Y, VAL_P, target_recall=0.975)
    model.first_recall = 0.8
    explorer = threshold_explorer(model, targets=[0.5, 0.9])
    assert explorer.to_frame()["target_recall"].tolist() == [0.5, 0.8, 0.9, 0.975]
    assert explorer.default_target == 0.975


def test_table_and_sentence_quote_the_rows():
    explorer = threshold_explorer(_toy(VAL_Y, VAL_P), targets=[0.5, 1.0])
    table = explorer.table([0.5, 1.0])
    assert table["claims caught"].tolist() == ["3 of 4", "4 of 4"]
    assert table["reports reviewed"].tolist() == ["4 (57.1%)", "6 (85.7%)"]
    sentence = explorer.describe(1.0)
    assert "6 of the 7 reports" in sentence and "miss 0" in sentence and "2 of the reviews" in sentence


def test_plot_marks_each_target_with_its_interval():
    explorer = threshold_explorer(_toy(VAL_Y, VAL_P), targets=[0.25, 0.5, 1.0])
    result = plot_explorer(explorer, [0.25, 1.0])
    ax = result.figure.axes[0]
    assert len(ax.containers) == 2  # one error bar per target
    assert "for a target of 25%" in result.alt and "for a target of 100%" in result.alt


@pytest.mark.parametrize("kwargs, message", [
    ({"targets": [0.5, 1.2]}, "each target recall must be above 0 and at most 1; got 1.2"),
    ({"targets": []}, "targets is empty"),
    ({"confidence": 1.0}, "confidence must be between 0 and 1"),
    ({"curve_points": 1}, "curve_points must be at least 2"),
])
def test_bad_arguments_say_what_is_wrong(kwargs, message):
    with pytest.raises(ClaimstatsError, match=message.replace("(", r"\(")):
        threshold_explorer(_toy(VAL_Y, VAL_P), **kwargs)


def test_bad_data_say_what_is_wrong():
    model = _toy(VAL_Y, VAL_P)
    with pytest.raises(ClaimstatsError, match="no 'claim_status' column"):
        threshold_explorer(model, pd.DataFrame({"x": [1]}), scores=[0.5])
    with pytest.raises(ClaimstatsError, match="the name of the split thresholds are chosen on"):
        threshold_explorer(model, pd.DataFrame({"claim_status": ["claim"]}), split="validation", scores=[0.5])
    with pytest.raises(ClaimstatsError, match="scores has 2 values for 1 test rows"):
        threshold_explorer(model, pd.DataFrame({"claim_status": ["claim"]}), scores=[0.5, 0.1])
    with pytest.raises(ClaimstatsError, match="the test split holds no claims"):
        threshold_explorer(model, pd.DataFrame({"claim_status": ["opinion"]}), scores=[0.5])
    explorer = threshold_explorer(model, targets=[0.5])
    with pytest.raises(ClaimstatsError, match="target recall 0.9 is not on the explorer's grid"):
        explorer.at(0.9)
    with pytest.raises(ClaimstatsError, match="split 'test' is not in the explorer"):
        explorer.at(0.5, "test")
    with pytest.raises(ClaimstatsError, match="no claims among the rows"):
        recall_interval(0, 0)


def test_thresholds_follow_the_models_confident_rule_when_it_has_one():
    """A model whose thresholds carry a confidence (and templates) is explored by that same rule."""
    from claimstats.triage import threshold_for_recall

    rng = np.random.default_rng(7)
    y = np.r_[np.ones(200, int), np.zeros(200, int)]
    p = np.r_[rng.uniform(0.3, 1.0, 200), rng.uniform(0.0, 0.6, 200)]
    groups = np.repeat(np.arange(40), 10)
    model = SimpleNamespace(validation_labels=y, validation_scores=p, target_recall=0.9, confidence=0.95,
                            validation_groups=groups)
    explorer = threshold_explorer(model, targets=[0.8, 0.9])
    confident = threshold_for_recall(y, p, 0.9, 0.95, groups)
    assert explorer.at(0.9, "validation")["threshold"] == pytest.approx(confident)
    # The plain rank rule would review less (a higher threshold) and fall short on new claims half the time.
    assert confident < threshold_for_recall(y, p, 0.9)
