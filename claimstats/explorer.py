"""Execute: the numbers behind the threshold explorer of the HTML book and the stakeholder deck.

A moderation lead's first question is "what if we review more, or less?".
:func:`threshold_explorer` answers it for a grid of target recalls: for each
target, the review threshold is chosen on the **validation** split (as
:meth:`claimstats.triage.ClaimModel.thresholds` chooses it), and what that
threshold does is measured on each split it is given: reports reviewed, claims
caught and missed, reviews spent on opinions, and a Clopper–Pearson interval
on the recall. The result is a tidy frame (one row per target and split), the
workload curves to draw, and :meth:`ThresholdExplorer.ojs_define`, which hands
it all to the Observable JS cells of a Quarto page.

Examples
--------
>>> import claimstats
>>> from claimstats.triage import train_claim_model
>>> tidy, _ = claimstats.clean(claimstats.load("synthetic:5", rows=1500).frame)
>>> model, comparison = train_claim_model(tidy, feature_set="upload", grid="fast", importance_repeats=0)
>>> explorer = threshold_explorer(model, comparison.split.test, targets=[0.8, 0.9, 0.95])
>>> explorer.to_frame()[["split", "target_recall"]].drop_duplicates()["split"].tolist()
['validation', 'validation', 'validation', 'test', 'test', 'test']
>>> bool((explorer.at(0.9, "validation")["recall"] >= 0.9))
True
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from claimstats.errors import ClaimstatsError
from claimstats.evaluation import claim_labels
from claimstats.figure_style import CLASS_COLORS, FigureResult, new_figure
from claimstats.schema import TARGET
from claimstats.triage import ClaimModel, check_recall, thresholds_for_recall, workload_curve

__all__ = [
    "CURVE_POINTS",
    "DEFAULT_TARGETS",
    "OjsDefine",
    "ThresholdExplorer",
    "plot_explorer",
    "recall_interval",
    "threshold_explorer",
]

#: The explorer's slider: target recalls on validation from 50% to 100%, one point apart.
DEFAULT_TARGETS = tuple(k / 100 for k in range(50, 101))
#: At most this many points of each workload curve are kept for drawing.
CURVE_POINTS = 401
VALIDATION = "validation"
#: The explorer frame's columns, in order.
COLUMNS = ("split", "target_recall", "threshold", "reports", "reviewed", "share_reviewed", "claims",
           "claims_caught", "claims_missed", "recall", "recall_low", "recall_high", "opinions_reviewed",
           "opinion_share_of_reviews", "workload_saved")


def recall_interval(caught: int, claims: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson (exact binomial) interval for a recall of ``caught`` out of ``claims``.

    Examples
    --------
    >>> low, high = recall_interval(19, 20)
    >>> round(low, 4), round(high, 4)
    (0.7513, 0.9987)
    >>> recall_interval(20, 20)[1]
    1.0
    """
    if not 0 < confidence < 1:
        raise ClaimstatsError(f"confidence must be between 0 and 1; got {confidence}")
    if claims < 1:
        raise ClaimstatsError("no claims among the rows: a recall and its interval need at least one claim")
    if not 0 <= caught <= claims:
        raise ClaimstatsError(f"claims caught must be between 0 and {claims}; got {caught}")
    ci = binomtest(int(caught), int(claims)).proportion_ci(confidence_level=confidence, method="exact")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class OjsDefine:
    """Data for the Observable JS cells of a Quarto HTML page, in the element Quarto's ``ojs_define`` writes.

    Displayed in a notebook cell (or returned as the cell's value) it becomes a
    ``<script type="ojs-define">`` element, which Quarto's OJS runtime reads into
    the variable ``name``; the page shows nothing of it. Unlike ``ojs_define``
    it works in any Jupyter kernel, and it reaches the page as Markdown (a raw
    HTML block), not as HTML output: any HTML output makes Quarto load
    require.js and jQuery from a public CDN, which a reader offline cannot
    reach. Formats other than HTML (Typst, PDF) drop the block.

    Examples
    --------
    >>> print(OjsDefine("numbers", {"x": [1, 2]})._repr_markdown_())
    ```{=html}
    <script type="ojs-define">{"contents": [{"name": "numbers", "value": {"x": [1, 2]}}]}</script>
    ```
    """

    name: str
    value: dict

    def script(self) -> str:
        """The ``<script type="ojs-define">`` element."""
        payload = json.dumps({"contents": [{"name": self.name, "value": self.value}]}, allow_nan=False)
        # "</" inside the JSON would end the script element early; "<\/" is the same JSON string.
        payload = payload.replace("</", "<\\/")
        return f'<script type="ojs-define">{payload}</script>'

    def _repr_markdown_(self) -> str:
        return f"```{{=html}}\n{self.script()}\n```"


@dataclass(frozen=True, eq=False)
class ThresholdExplorer:
    """What each review threshold does, for a grid of target recalls, on each split.

    ``frame`` has one row per target recall and split (columns :data:`COLUMNS`):
    the threshold chosen on ``chosen_on`` (the validation split) for the
    target, and on the split, the reports reviewed (scored at or above the
    threshold), the claims caught and missed, the recall with its
    Clopper–Pearson interval (``recall_low``, ``recall_high`` at
    ``confidence``), the opinions reviewed and their share of the reviews, and
    ``workload_saved``: the share of all reports that reviewing in the model's
    order spares against arrival order at the same recall. ``curves`` holds
    each split's workload curve (``split``, ``share_reviewed``,
    ``share_caught``), thinned to at most :data:`CURVE_POINTS` points for drawing.
    """

    frame: pd.DataFrame = field(repr=False)
    curves: pd.DataFrame = field(repr=False)
    splits: tuple[str, ...]
    chosen_on: str
    default_target: float
    confidence: float

    @property
    def readout_split(self) -> str:
        """The split a reader should plan on: the last one given (the test split), else validation."""
        return self.splits[-1]

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def at(self, target: float, split: str | None = None) -> dict:
        """The row for one target recall of the grid (default split: :attr:`readout_split`)."""
        split = self.readout_split if split is None else split
        if split not in self.splits:
            raise ClaimstatsError(f"split {split!r} is not in the explorer; available: {', '.join(self.splits)}")
        rows = self.frame[(self.frame["split"] == split) & np.isclose(self.frame["target_recall"], target)]
        if rows.empty:
            targets = self.frame["target_recall"]
            raise ClaimstatsError(f"target recall {target} is not on the explorer's grid "
                                  f"({targets.min():.0%} to {targets.max():.0%}, {targets.nunique()} targets)")
        return rows.iloc[0].to_dict()

    def table(self, targets: Sequence[float], split: str | None = None) -> pd.DataFrame:
        """A short table for reading (formatted text): what a few target recalls do on ``split``."""
        split = self.readout_split if split is None else split
        rows = [self.at(t, split) for t in targets]
        return pd.DataFrame({
            "target recall (validation)": [f"{r['target_recall']:.0%}" for r in rows],
            "threshold": [f"{r['threshold']:.4f}" for r in rows],
            "reports reviewed": [f"{r['reviewed']:,} ({r['share_reviewed']:.1%})" for r in rows],
            "claims caught": [f"{r['claims_caught']:,} of {r['claims']:,}" for r in rows],
            "claims missed": [f"{r['claims_missed']:,}" for r in rows],
            f"recall ({self.confidence:.0%} interval)": [
                f"{r['recall']:.1%} ({r['recall_low']:.1%} to {r['recall_high']:.1%})" for r in rows],
            "opinions reviewed": [f"{r['opinions_reviewed']:,}" for r in rows],
        })

    def to_dict(self) -> dict:
        """Everything the explorer page needs, JSON-ready (plain lists, numbers and strings)."""
        rows = json.loads(self.frame.to_json(orient="records", double_precision=10))
        curves = {s: {c: [round(float(v), 5) for v in part[c]] for c in ("share_reviewed", "share_caught")}
                  for s, part in self.curves.groupby("split", sort=False)}
        counts = self.frame.drop_duplicates("split").set_index("split")
        return {"chosen_on": self.chosen_on, "splits": list(self.splits), "readout_split": self.readout_split,
                "default_target": self.default_target, "confidence": self.confidence,
                "reports": {s: int(counts.loc[s, "reports"]) for s in self.splits},
                "claims": {s: int(counts.loc[s, "claims"]) for s in self.splits},
                "rows": rows, "curves": curves, "color": _hex(CLASS_COLORS["claim"])}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    def ojs_define(self, name: str = "explorer") -> OjsDefine:
        """The explorer's data for a Quarto page's ``{ojs}`` cells, under the name ``name``."""
        return OjsDefine(name, self.to_dict())

    def describe(self, target: float | None = None, split: str | None = None) -> str:
        """A sentence for a report: what the threshold for ``target`` (default: the model's) does on ``split``."""
        target = self.default_target if target is None else target
        r = self.at(target, split)
        return (f"The threshold chosen on the {self.chosen_on} split to catch {r['target_recall']:.0%} of its claims "
                f"({r['threshold']:.4g}) sends {r['reviewed']:,} of the {r['reports']:,} reports of the "
                f"{r['split']} split ({r['share_reviewed']:.1%}) to review; they hold {r['claims_caught']:,} of its "
                f"{r['claims']:,} claims (recall {r['recall']:.1%}, {self.confidence:.0%} interval "
                f"{r['recall_low']:.1%} to {r['recall_high']:.1%}), miss {r['claims_missed']:,}, and "
                f"{r['opinions_reviewed']:,} of the reviews ({r['opinion_share_of_reviews']:.1%}) are spent on opinions.")


def _hex(rgb) -> str:
    """A Matplotlib RGB triple as a CSS colour: (1, 0.5, 0) → '#ff8000'."""
    return "#" + "".join(f"{round(255 * c):02x}" for c in rgb[:3])


def _split_rows(split: str, y: np.ndarray, p: np.ndarray, thresholds: dict[float, float], confidence: float,
                curve_points: int) -> tuple[list[dict], pd.DataFrame]:
    curve = workload_curve(y, p)
    if not curve.n_claims:
        raise ClaimstatsError(f"the {split} split holds no claims: recall cannot be measured on it")
    rows = []
    for target, threshold in thresholds.items():
        point = curve.at_threshold(threshold)
        caught, reviewed = point["claims_caught"], point["reviewed"]
        low, high = recall_interval(caught, curve.n_claims, confidence)
        rows.append({"split": split, "target_recall": target, "threshold": threshold, "reports": curve.n_reports,
                     "reviewed": reviewed, "share_reviewed": point["share_reviewed"], "claims": curve.n_claims,
                     "claims_caught": caught, "claims_missed": curve.n_claims - caught,
                     "recall": point["share_caught"], "recall_low": low, "recall_high": high,
                     "opinions_reviewed": reviewed - caught,
                     "opinion_share_of_reviews": (reviewed - caught) / reviewed if reviewed else 0.0,
                     "workload_saved": point["share_caught"] - point["share_reviewed"]})
    frame = curve.frame
    keep = np.unique(np.linspace(0, len(frame) - 1, min(len(frame), curve_points)).round().astype(int))
    drawn = pd.DataFrame({"split": split, "share_reviewed": frame["share_reviewed"].to_numpy()[keep],
                          "share_caught": frame["share_caught"].to_numpy()[keep]})
    return rows, drawn


def threshold_explorer(model: ClaimModel, data: pd.DataFrame | None = None, *, split: str = "test",
                       label: str = TARGET, scores=None, targets: Sequence[float] = DEFAULT_TARGETS,
                       confidence: float = 0.95, curve_points: int = CURVE_POINTS) -> ThresholdExplorer:
    """What the review threshold for each target recall does, on validation and on ``data``.

    Parameters
    ----------
    model : ClaimModel
        A trained model; its validation labels and scores choose the
        threshold for each target (:func:`claimstats.triage.threshold_for_recall`),
        by the model's own rule: with its ``confidence`` and validation templates
        when it has them, so that its own targets give its tier thresholds.
    data : DataFrame, optional
        Labelled rows the model has not seen (the test split), with ``label``
        and every column the model reads. Without it, only the validation
        split is described.
    split : str
        What to call ``data`` in the results (default ``"test"``).
    label : str
        The column of ``data`` holding ``claim`` / ``opinion``.
    scores : array-like, optional
        The model's claim probabilities for ``data``'s rows, when already
        computed (default: ``model.predict_proba(data)``).
    targets : sequence of float
        Target recalls on validation, each above 0 and at most 1
        (default :data:`DEFAULT_TARGETS`: 50% to 100%, one point apart); the
        model's own target and first-tier recalls are always added.
    confidence : float
        Level of the Clopper–Pearson interval on each recall.
    curve_points : int
        At most this many points of each workload curve are kept for drawing.

    Returns
    -------
    ThresholdExplorer

    Examples
    --------
    A model is only needed for its validation scores here; on the data below
    the thresholds for 50% and 100% recall are the scores of the first and the
    last validation claim.

    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(validation_labels=np.array([1, 0, 1, 0]),
    ...                         validation_scores=np.array([0.9, 0.8, 0.4, 0.1]), target_recall=1.0)
    >>> explorer = threshold_explorer(model, targets=[0.5, 1.0])
    >>> explorer.to_frame()[["threshold", "reviewed", "claims_caught", "opinions_reviewed"]].values.tolist()
    [[0.9, 1.0, 1.0, 0.0], [0.4, 3.0, 2.0, 1.0]]
    """
    grid = {round(check_recall(float(t), "each target recall"), 6) for t in targets}
    if not grid:
        raise ClaimstatsError("targets is empty: give at least one target recall")
    # The model's own recalls are always on the grid, so that its tiers can be looked up.
    own = [getattr(model, name, None) for name in ("target_recall", "first_recall")]
    grid = sorted(grid | {round(check_recall(float(t), "the model's recall"), 6) for t in own if t is not None})
    if not 0 < confidence < 1:
        raise ClaimstatsError(f"confidence must be between 0 and 1; got {confidence}")
    if int(curve_points) < 2:
        raise ClaimstatsError(f"curve_points must be at least 2; got {curve_points}")
    if split == VALIDATION:
        raise ClaimstatsError(f"split {split!r} is the name of the split thresholds are chosen on; name the data "
                              "another way (for example 'test')")
    val_y = np.asarray(model.validation_labels, dtype=int)
    val_p = np.asarray(model.validation_scores, dtype=float)
    # The model's own rule (ClaimModel.thresholds): with its confidence and validation templates, each
    # threshold is one the team can plan on, and the model's targets give exactly its tier thresholds.
    rule = getattr(model, "confidence", None)
    groups = getattr(model, "validation_groups", None) if rule is not None else None
    thresholds = dict(zip(grid, (float(v) for v in thresholds_for_recall(val_y, val_p, grid, rule, groups))))
    parts = [(VALIDATION, val_y, val_p)]
    if data is not None:
        if label not in data.columns:
            raise ClaimstatsError(f"the {split} rows have no {label!r} column: the explorer needs labelled rows")
        y = claim_labels(data, label)
        p = model.predict_proba(data) if scores is None else np.asarray(scores, dtype=float)
        if p.shape != y.shape:
            raise ClaimstatsError(f"scores has {len(p):,} values for {len(y):,} {split} rows")
        parts.append((split, y, p))
    rows, drawn = [], []
    for name, y, p in parts:
        r, d = _split_rows(name, y, p, thresholds, confidence, int(curve_points))
        rows += r
        drawn.append(d)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    default = min(grid, key=lambda t: abs(t - float(getattr(model, "target_recall", grid[-1]))))
    return ThresholdExplorer(frame, pd.concat(drawn, ignore_index=True), tuple(name for name, _, _ in parts),
                             VALIDATION, default, float(confidence))


def plot_explorer(explorer: ThresholdExplorer, targets: Sequence[float], split: str | None = None) -> FigureResult:
    """The explorer as a static figure: ``split``'s workload curve with a few thresholds and their intervals.

    Each target recall is a point (share of reports reviewed, recall) with a
    vertical bar for the recall's interval: what the explorer's slider shows,
    for a page that cannot run it (the PDF).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(validation_labels=np.array([1, 0, 1, 0, 1]),
    ...                         validation_scores=np.array([0.9, 0.8, 0.4, 0.1, 0.3]), target_recall=1.0)
    >>> plot_explorer(threshold_explorer(model, targets=[0.6, 1.0]), [0.6, 1.0]).alt[:60]
    'Workload curve of the validation split with the thresholds f'
    """
    split = explorer.readout_split if split is None else split
    rows = [explorer.at(t, split) for t in targets]
    curve = explorer.curves[explorer.curves["split"] == split]
    figure, ax = new_figure(height=4.2, width=5.6)
    ax.plot(curve["share_reviewed"], curve["share_caught"], color=CLASS_COLORS["claim"], label="ranked by the model")
    ax.plot([0, 1], [0, 1], linestyle="--", color="0.45", label="arrival order (expected)")
    for r in rows:
        x, y = r["share_reviewed"], r["recall"]
        ax.errorbar([x], [y], yerr=[[y - r["recall_low"]], [r["recall_high"] - y]], fmt="o", color="0.15",
                    capsize=3, markersize=5)
        ax.annotate(f"target {r['target_recall']:.0%}", xy=(x, y), xytext=(8, -12), textcoords="offset points",
                    fontsize="small")
    ax.set_xlabel(f"Share of reports reviewed ({split} split)")
    ax.set_ylabel("Share of claims caught")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.legend(loc="lower right")
    points = "; ".join(f"for a target of {r['target_recall']:.0%}, {r['share_reviewed']:.0%} of the reports "
                       f"reviewed catch {r['recall']:.0%} of the claims ({explorer.confidence:.0%} interval "
                       f"{r['recall_low']:.0%} to {r['recall_high']:.0%})" for r in rows)
    alt = (f"Workload curve of the {split} split with the thresholds for {len(rows)} target recalls marked, "
           f"each with the interval of its recall: {points}.")
    return FigureResult(figure, alt)

