"""model_plots: what each classifier figure draws, its alt text, the house style, no leaked figures."""

from __future__ import annotations

import gc
import weakref

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

from claimstats import model_plots
from claimstats.evaluation import Evaluation, calibration_table, metrics_at
from claimstats.errors import ClaimstatsError
from claimstats.figure_style import CLASS_COLORS, PALETTE, FigureResult
from claimstats.triage import workload_curve


def make_evaluation(y, p, *, feature_set="all", model="random_forest", threshold=0.5, importances=None):
    """An Evaluation built by hand from labels and scores (confusion from the counts)."""
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    flagged = p >= threshold
    claim, opinion = y == 1, y == 0
    confusion = pd.DataFrame({"actual": ["claim", "opinion"],
                              "predicted claim": [int((flagged & claim).sum()), int((flagged & opinion).sum())],
                              "predicted opinion": [int((~flagged & claim).sum()), int((~flagged & opinion).sum())]})
    if importances is None:
        importances = pd.DataFrame(columns=["column", "importance", "sd"])
    return Evaluation(feature_set, model, threshold, len(y), int(y.sum()), metrics_at(y, p, threshold), confusion,
                      calibration_table(y, p), importances, y, p)


@pytest.fixture(scope="module")
def evaluation():
    # 6 claims and 4 opinions: at 0.5, 5 claims flagged (1 missed) and 1 opinion flagged
    y = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    p = [0.95, 0.9, 0.8, 0.7, 0.6, 0.3, 0.55, 0.2, 0.1, 0.05]
    importances = pd.DataFrame({"column": ["video_view_count", "video_transcription_text", "video_duration_sec"],
                                "importance": [0.30, 0.12, 0.001], "sd": [0.02, 0.01, 0.0005]})
    return make_evaluation(y, p, importances=importances)


def test_confusion_matrix_cells_and_alt(evaluation):
    result = model_plots.plot_confusion_matrix(evaluation)
    assert isinstance(result, FigureResult) and isinstance(result.figure, Figure)
    (ax,) = result.figure.axes
    assert [t.get_text() for t in ax.texts] == ["5\n83.3%", "1\n16.7%", "1\n25.0%", "3\n75.0%"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["claim", "opinion"]
    assert ax.get_xlabel() == "Predicted (threshold 0.5)" and ax.get_ylabel() == "Actual"
    assert result.alt == ("Confusion matrix of the random forest on all features at threshold 0.5: of 6 claims, "
                          "5 (83.3%) are flagged and 1 missed; of 4 opinions, 1 (25.0%) are flagged as claims.")


def test_precision_recall_curves_follow_sklearn_and_mark_the_threshold(evaluation):
    other = make_evaluation(evaluation.y_true, 1 - evaluation.scores, feature_set="upload", model="logistic")
    result = model_plots.plot_precision_recall({"all": evaluation, "upload": other})
    (ax,) = result.figure.axes
    curves = [line for line in ax.lines if len(line.get_xdata()) > 1]
    dots = [line for line in ax.lines if len(line.get_xdata()) == 1]
    precision, recall, _ = precision_recall_curve(evaluation.y_true, evaluation.scores)
    np.testing.assert_allclose(curves[0].get_xdata(), recall)
    np.testing.assert_allclose(curves[0].get_ydata(), precision)
    assert dots[0].get_xdata()[0] == pytest.approx(5 / 6) and dots[0].get_ydata()[0] == pytest.approx(5 / 6)
    assert np.allclose(to_rgb(curves[1].get_color()), PALETTE[1])
    assert result.alt.startswith("Precision–recall curves of 2 classifiers: random forest on all features, "
                                 f"average precision {evaluation.metrics['average_precision']:.3f} (recall 0.83 and "
                                 "precision 0.83 at its threshold); logistic regression on at-upload features")
    with pytest.raises(ClaimstatsError, match="at least one evaluation"):
        model_plots.plot_precision_recall([])


def test_importance_bars_and_alt(evaluation):
    result = model_plots.plot_importances(evaluation)
    (ax,) = result.figure.axes
    assert [p.get_width() for p in ax.patches] == pytest.approx([0.30, 0.12, 0.001])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["video_view_count", "video_transcription_text",
                                                            "video_duration_sec"]
    assert ax.get_xlabel() == "Drop in average precision when the column is shuffled"
    assert result.alt == ("Bar chart of permutation importances of the random forest on all features: shuffling "
                          "lowers the average precision by 0.300 for video_view_count and 0.120 for "
                          "video_transcription_text; the other column by less than 0.005.")
    bare = make_evaluation(evaluation.y_true, evaluation.scores)
    with pytest.raises(ClaimstatsError, match="no permutation importances"):
        model_plots.plot_importances(bare)


def test_workload_curve_points_and_alt():
    y = [1, 0, 1, 0, 0, 1, 0, 0]
    p = [0.9, 0.8, 0.7, 0.1, 0.2, 0.6, 0.3, 0.05]
    curve = workload_curve(y, p)
    result = model_plots.plot_workload(curve, threshold=0.6)
    (ax,) = result.figure.axes
    ranked, diagonal = ax.lines[0], ax.lines[1]
    assert list(ranked.get_xdata()) == pytest.approx(curve.frame["share_reviewed"].tolist())
    assert list(ranked.get_ydata()) == pytest.approx([0, 1 / 3, 1 / 3, 2 / 3, 1, 1, 1, 1, 1])
    assert list(diagonal.get_xdata()) == [0, 1] and diagonal.get_linestyle() == "--"
    assert np.allclose(to_rgb(ranked.get_color()), CLASS_COLORS["claim"])
    marker = ax.lines[2]  # reviewing down to 0.6: 4 of 8 reports, all 3 claims
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (0.5, 1.0)
    assert result.alt == ("Workload curve: reviewing reports in the order of the model catches 100% of the 3 claims "
                          "after 50% of the 8 reports (threshold 0.6); in arrival order the same share of claims "
                          "takes 100% of the reports on average.")
    plain = model_plots.plot_workload(curve)
    # half of 3 claims rounds up to 2 (67%), caught by the third report (0.9 claim, 0.8 opinion, 0.7 claim);
    # arrival order needs 67% of the reports for 67% of the claims, not half of them
    assert "catches 67% of the 3 claims (at least half) after 38% of the 8 reports" in plain.alt
    assert plain.alt.endswith("the same share of claims takes 67% of the reports on average.")


def test_long_curves_are_thinned_but_keep_their_ends():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 50_000)
    curve = workload_curve(y, rng.random(50_000))
    ranked = model_plots.plot_workload(curve).figure.axes[0].lines[0]
    assert len(ranked.get_xdata()) == 2_000
    assert ranked.get_xdata()[0] == 0 and ranked.get_xdata()[-1] == 1 and ranked.get_ydata()[-1] == 1


def test_figures_are_not_kept_alive(evaluation):
    before = plt.get_fignums()
    refs = [weakref.ref(f(evaluation).figure) for f in (model_plots.plot_confusion_matrix,
                                                         model_plots.plot_precision_recall,
                                                         model_plots.plot_importances)]
    assert plt.get_fignums() == before
    gc.collect()
    assert all(ref() is None for ref in refs)
