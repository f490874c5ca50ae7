"""Construct and Execute: the classifier's figures, in the house style of :mod:`claimstats.figure_style`.

Each function takes a result of :mod:`claimstats.classify` or
:mod:`claimstats.triage` and returns a :class:`~claimstats.figure_style.FigureResult`
(the figure and a one-sentence alt text quoting the numbers it shows):

* :func:`plot_confusion_matrix`: actual against predicted class, counts and shares;
* :func:`plot_precision_recall`: precision against recall of one or more
  champions, with each one's threshold marked;
* :func:`plot_importances`: permutation importance of each input column;
* :func:`plot_workload`: share of reports reviewed against share of claims
  caught, in ranked and in arrival order.

Examples
--------
>>> import numpy as np
>>> from claimstats.triage import workload_curve
>>> curve = workload_curve([1, 0, 1, 0], [0.9, 0.2, 0.8, 0.1])
>>> plot_workload(curve, threshold=0.8).alt.startswith("Workload curve")
True
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve

from claimstats.classify import FEATURE_PHRASES, MODELS
from claimstats.evaluation import Evaluation
from claimstats.errors import ClaimstatsError
from claimstats.figure_style import CLASS_COLORS, PALETTE, FigureResult, join_phrases, new_figure
from claimstats.reporting import format_bounded
from claimstats.triage import WorkloadCurve

__all__ = ["plot_confusion_matrix", "plot_importances", "plot_precision_recall", "plot_workload"]

_MAX_POINTS = 2_000  # a curve drawn with more points than this looks the same and weighs more


def _name(evaluation: Evaluation) -> str:
    """"logistic regression on all features"."""
    model = MODELS.get(evaluation.model, evaluation.model or "model")
    features = FEATURE_PHRASES.get(evaluation.feature_set, evaluation.feature_set)
    return f"{model} on {features}" if features else model


def plot_confusion_matrix(evaluation: Evaluation) -> FigureResult:
    """The confusion matrix as a 2 × 2 grid: counts, and the share of each actual class.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from claimstats.evaluation import Evaluation, calibration_table, metrics_at
    >>> y, p = np.array([1, 1, 0, 0]), np.array([0.9, 0.4, 0.6, 0.1])
    >>> confusion = pd.DataFrame({"actual": ["claim", "opinion"], "predicted claim": [1, 1],
    ...                           "predicted opinion": [1, 1]})
    >>> ev = Evaluation("text", "logistic", 0.5, 4, 2, metrics_at(y, p), confusion, calibration_table(y, p),
    ...                 pd.DataFrame(), y, p)
    >>> plot_confusion_matrix(ev).alt
    'Confusion matrix of the logistic regression on the text only at threshold 0.5: of 2 claims, 1 (50.0%) are flagged and 1 missed; of 2 opinions, 1 (50.0%) are flagged as claims.'
    """
    table = evaluation.confusion.set_index("actual")
    counts = table.to_numpy(dtype=float)
    shares = counts / np.where(counts.sum(axis=1, keepdims=True) > 0, counts.sum(axis=1, keepdims=True), 1)
    figure, ax = new_figure(height=3.4, width=5.0)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(2):
        for j in range(2):
            ax.text(j, i, f"{int(counts[i, j]):,}\n{shares[i, j]:.1%}", ha="center", va="center",
                    color="white" if shares[i, j] > 0.6 else "black")
    ax.set_xticks([0, 1], [c.replace("predicted ", "") for c in table.columns])
    ax.set_yticks([0, 1], list(table.index))
    ax.set_xlabel(f"Predicted (threshold {format_bounded(evaluation.threshold)})")
    ax.set_ylabel("Actual")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    claims, opinions = counts[0].sum(), counts[1].sum()
    alt = (f"Confusion matrix of the {_name(evaluation)} at threshold {format_bounded(evaluation.threshold)}: "
           f"of {claims:,.0f} "
           f"claims, {counts[0, 0]:,.0f} ({shares[0, 0]:.1%}) are flagged and {counts[0, 1]:,.0f} missed; of "
           f"{opinions:,.0f} opinions, {counts[1, 0]:,.0f} ({shares[1, 0]:.1%}) are flagged as claims.")
    return FigureResult(figure, alt)


def plot_precision_recall(evaluations) -> FigureResult:
    """Precision against recall for one or more evaluations, each threshold marked with a dot.

    ``evaluations`` is one :class:`~claimstats.evaluation.Evaluation`, a list of
    them, or a dict of them (e.g. ``ModelComparison.evaluations``).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from claimstats.evaluation import Evaluation, calibration_table, metrics_at
    >>> y, p = np.array([1, 1, 0, 0]), np.array([0.9, 0.4, 0.6, 0.1])
    >>> ev = Evaluation("all", "logistic", 0.5, 4, 2, metrics_at(y, p), pd.DataFrame(), calibration_table(y, p),
    ...                 pd.DataFrame(), y, p)
    >>> plot_precision_recall(ev).alt
    'Precision–recall curve of the logistic regression on all features (average precision 0.833); at its threshold it has recall 0.50 and precision 0.50.'
    """
    if isinstance(evaluations, Evaluation):
        evaluations = [evaluations]
    elif isinstance(evaluations, dict):
        evaluations = list(evaluations.values())
    evaluations = list(evaluations)
    if not evaluations:
        raise ClaimstatsError("give at least one evaluation to plot")
    figure, ax = new_figure(height=4.0)
    parts = []
    for evaluation, color in zip(evaluations, PALETTE):
        precision, recall, _ = precision_recall_curve(evaluation.y_true, evaluation.scores)
        keep = np.unique(np.linspace(0, len(recall) - 1, min(len(recall), _MAX_POINTS)).astype(int))
        ap = evaluation.metrics["average_precision"]
        ax.step(recall[keep], precision[keep], where="post", color=color, label=f"{_name(evaluation)} (AP {ap:.3f})")
        m = evaluation.metrics
        ax.plot([m["recall"]], [m["precision"]], "o", color=color, markersize=6)
        parts.append((_name(evaluation), ap, m["recall"], m["precision"]))
    ax.set_xlabel("Recall (share of claims flagged)")
    ax.set_ylabel("Precision (share of flagged that are claims)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(min(0.5, ax.get_ylim()[0]), 1.02)
    ax.legend(loc="lower left")
    if len(parts) == 1:
        name, ap, r, p = parts[0]
        alt = (f"Precision–recall curve of the {name} (average precision {ap:.3f}); at its threshold it has "
               f"recall {r:.2f} and precision {p:.2f}.")
    else:
        alt = (f"Precision–recall curves of {len(parts)} classifiers: "
               + "; ".join(f"{name}, average precision {ap:.3f} (recall {r:.2f} and precision {p:.2f} at its "
                           f"threshold)" for name, ap, r, p in parts) + ".")
    return FigureResult(figure, alt)


def plot_importances(evaluation: Evaluation, *, top: int = 12) -> FigureResult:
    """Permutation importance of each input column (mean drop in score, with its SD), largest on top.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from claimstats.evaluation import Evaluation
    >>> imp = pd.DataFrame({"column": ["video_view_count", "video_duration_sec"], "importance": [0.2, 0.0],
    ...                     "sd": [0.01, 0.0]})
    >>> ev = Evaluation("all", "random_forest", 0.5, 4, 2, {}, pd.DataFrame(), pd.DataFrame(), imp,
    ...                 np.zeros(4), np.zeros(4))
    >>> plot_importances(ev).alt
    'Bar chart of permutation importances of the random forest on all features: shuffling video_view_count lowers the average precision by 0.200; the other column by less than 0.005.'
    """
    table = evaluation.importances.head(top)
    if table.empty:
        raise ClaimstatsError("this evaluation has no permutation importances (importance_repeats was 0)")
    figure, ax = new_figure(height=1.2 + 0.35 * len(table))
    ax.barh(table["column"], table["importance"], xerr=table["sd"], color=PALETTE[0], height=0.6,
            error_kw={"ecolor": "0.3", "capsize": 2})
    ax.invert_yaxis()
    score = evaluation.importance_scoring.replace("_", " ")
    ax.set_xlabel(f"Drop in {score} when the column is shuffled")
    ax.axvline(0, color="0.5", linewidth=0.8)
    big = table[table["importance"] >= 0.005]
    small = len(table) - len(big)
    parts = [f"{row.column} by {row.importance:.3f}" for row in big.itertuples()]
    text = f"shuffling {join_phrases(parts)} lowers the {score}" if parts else \
        f"shuffling any column lowers the {score} by less than 0.005"
    if len(parts) > 1:
        text = f"shuffling lowers the {score} by " + join_phrases([f"{v:.3f} for {c}" for c, v in
                                                           zip(big["column"], big["importance"])])
    elif parts:
        text = f"shuffling {big['column'].iloc[0]} lowers the {score} by {big['importance'].iloc[0]:.3f}"
    if small and len(big):
        text += f"; the other {'column' if small == 1 else f'{small} columns'} by less than 0.005"
    return FigureResult(figure, f"Bar chart of permutation importances of the {_name(evaluation)}: {text}.")


def plot_workload(curve: WorkloadCurve, *, threshold: float | None = None) -> FigureResult:
    """Share of claims caught against share of reports reviewed, ranked by the model and in arrival order.

    With a ``threshold``, the point where reviewing stops is marked and the
    workload it saves against arrival order is shaded.

    Examples
    --------
    >>> from claimstats.triage import workload_curve
    >>> plot_workload(workload_curve([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.1, 0.2]), threshold=0.7).alt
    'Workload curve: reviewing reports in the order of the model catches 100% of the 2 claims after 60% of the 5 reports (threshold 0.7); in arrival order the same share of claims takes 100% of the reports on average.'
    """
    frame = curve.frame
    keep = np.unique(np.linspace(0, len(frame) - 1, min(len(frame), _MAX_POINTS)).astype(int))
    figure, ax = new_figure(height=4.2, width=5.6)
    ax.plot(frame["share_reviewed"].iloc[keep], frame["share_caught"].iloc[keep], color=CLASS_COLORS["claim"],
            label="ranked by the model")
    ax.plot([0, 1], [0, 1], linestyle="--", color="0.45", label="arrival order (expected)")
    ax.set_xlabel("Share of reports reviewed")
    ax.set_ylabel("Share of claims caught")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(lambda v, _: f"{v:.0%}")
    if threshold is None:
        half = curve.at_recall(0.5)  # the first point with at least half of the claims: it may hold more
        caught = half["share_caught"]
        alt = (f"Workload curve: reviewing reports in the order of the model catches {caught:.0%} of the "
               f"{curve.n_claims:,} claims (at least half) after {half['share_reviewed']:.0%} of the "
               f"{curve.n_reports:,} reports; in arrival order the same share of claims takes {caught:.0%} of the "
               "reports on average.")
    else:
        point = curve.at_threshold(threshold)
        x, y = point["share_reviewed"], point["share_caught"]
        ax.plot([x], [y], "o", color=CLASS_COLORS["claim"], markersize=7)
        ax.plot([x, y], [y, y], color="0.3", linewidth=1)
        ax.annotate(f"saves {y - x:.0%} of the reports", xy=((x + y) / 2, y), xytext=(0, -14),
                    textcoords="offset points", ha="center", fontsize="small")
        caught, reviewed = format_bounded(y, ".0%"), format_bounded(x, ".0%")  # 99.6% is not "100%"
        alt = (f"Workload curve: reviewing reports in the order of the model catches {caught} of the "
               f"{curve.n_claims:,} claims after {reviewed} of the {curve.n_reports:,} reports (threshold "
               f"{format_bounded(threshold)}); in arrival order the same share of claims takes {caught} of the "
               "reports on average.")
    ax.legend(loc="lower right")
    return FigureResult(figure, alt)
