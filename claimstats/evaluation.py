"""Construct: splitting the data for a classifier and scoring it honestly.

:func:`split_data` makes the seeded, stratified train / validation / test
split (60 / 20 / 20 by default); :func:`metrics_at` and
:func:`calibration_table` score probabilities against labels;
:func:`count_separation` measures how well one engagement count alone tells
claims from opinions; :func:`evaluate` scores a fitted pipeline once on the
test split: metrics, confusion matrix, calibration table and permutation
importances, returned as an :class:`Evaluation`.

Examples
--------
>>> metrics_at([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1])["precision"]
0.5
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.inspection import permutation_importance
from scipy import stats
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from sklearn.pipeline import Pipeline

from claimstats.classify import FEATURE_PHRASES, MODELS, NEGATIVE, POSITIVE, predict_claim_probability
from claimstats.errors import ClaimstatsError, require_columns
from claimstats.reporting import format_bounded
from claimstats.schema import COUNT_COLUMNS, TARGET

__all__ = [
    "CONFIDENCE",
    "INTERVAL_METHODS",
    "PREDICT_CUT",
    "DataSplit",
    "Evaluation",
    "calibration_table",
    "claim_labels",
    "count_separation",
    "evaluate",
    "flagged_at",
    "grouped_split",
    "metric_intervals",
    "metrics_at",
    "proportion_interval",
    "review_share_at_recall",
    "split_data",
]

#: scikit-learn's ``predict`` calls a row a claim when its probability is above this (0.5 is an opinion).
PREDICT_CUT = 0.5
#: Confidence of every interval and bound the package reports.
CONFIDENCE = 0.95


# ------------------------------------------------------------------ data


class DataSplit(NamedTuple):
    """Rows for training, for choosing (models, thresholds) and for the final test."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame


def claim_labels(data: pd.DataFrame, column: str = TARGET) -> np.ndarray:
    """1 for a claim, 0 for an opinion; an error for anything else (including missing).

    Examples
    --------
    >>> import pandas as pd
    >>> claim_labels(pd.DataFrame({"claim_status": ["claim", "opinion"]})).tolist()
    [1, 0]
    """
    require_columns(data, [column])
    values = data[column].astype(object)
    known = values.isin([POSITIVE, NEGATIVE])
    if not known.all():
        bad = values[~known]
        example = "a missing value" if bad.isna().any() else repr(bad.iloc[0])
        raise ClaimstatsError(f"{column!r} must be 'claim' or 'opinion' in every row; {int((~known).sum()):,} "
                              f"rows are not (e.g. {example}); run claimstats.clean first")
    return (values == POSITIVE).to_numpy(dtype=np.int64)


def split_data(data: pd.DataFrame, *, seed: int = 0, validation_size: float = 0.2,
               test_size: float = 0.2) -> DataSplit:
    """A seeded train / validation / test split that keeps the claim share in each part.

    Examples
    --------
    >>> import claimstats
    >>> tidy, _ = claimstats.clean(claimstats.load("synthetic:1", rows=1000).frame)
    >>> [len(part) for part in split_data(tidy, seed=1)]
    [591, 197, 197]
    """
    if not (0 < validation_size < 1 and 0 < test_size < 1 and validation_size + test_size < 1):
        raise ClaimstatsError(f"validation_size and test_size must be between 0 and 1 and leave rows to train on; "
                              f"got {validation_size} and {test_size}")
    y = claim_labels(data)
    if len(np.unique(y)) < 2:
        only = POSITIVE if y.any() else NEGATIVE
        raise ClaimstatsError(f"a classifier needs both claims and opinions; all {len(y):,} rows are {only}s")
    try:
        rest, test = train_test_split(data, test_size=test_size, stratify=y, random_state=seed)
        train, validation = train_test_split(rest, test_size=validation_size / (1 - test_size),
                                             stratify=claim_labels(rest), random_state=seed)
    except ValueError as err:
        raise ClaimstatsError(f"cannot make a stratified split of {len(data):,} rows: {err}") from None
    return DataSplit(train, validation, test)


def grouped_split(data: pd.DataFrame, groups, *, seed: int = 0, validation_size: float = 0.2,
                  test_size: float = 0.2) -> DataSplit:
    """A seeded train / validation / test split that keeps every group in one part.

    With ``groups`` the rows' phrasing templates
    (:func:`claimstats.phrasing.opening`), the validation and test rows are
    phrased in ways the training rows never are: held-out phrasing. The
    parts come from scikit-learn's ``StratifiedGroupKFold`` (whole groups per
    fold, claim shares kept as close as the groups allow): the test part is
    one fold of ``round(1 / test_size)``, the validation part one fold of the
    rest, so the sizes are near, not exactly, the shares asked for.

    Examples
    --------
    >>> import claimstats
    >>> from claimstats.phrasing import opening
    >>> tidy, _ = claimstats.clean(claimstats.load("synthetic:1", rows=1000).frame)
    >>> parts = grouped_split(tidy, opening(tidy), seed=1)
    >>> set(opening(parts.train)) & set(opening(parts.test))
    set()
    """
    if not (0 < validation_size < 1 and 0 < test_size < 1 and validation_size + test_size < 1):
        raise ClaimstatsError(f"validation_size and test_size must be between 0 and 1 and leave rows to train on; "
                              f"got {validation_size} and {test_size}")
    y = claim_labels(data)
    g = np.asarray(groups, dtype=object)
    if g.shape != (len(data),):
        raise ClaimstatsError(f"give one group per row: {len(data):,} rows and {len(g):,} groups")
    folds_test = max(2, round(1 / test_size))
    folds_validation = max(2, round((1 - test_size) / validation_size))
    n_groups = len(pd.unique(g))
    if n_groups < folds_test + folds_validation:
        raise ClaimstatsError(f"cannot hold groups out: {n_groups:,} groups (phrasing templates) are too few for "
                              f"a train / validation / test split; at least {folds_test + folds_validation} needed")
    splitter = StratifiedGroupKFold(n_splits=folds_test, shuffle=True, random_state=seed)
    rest, test = next(splitter.split(np.zeros(len(y)), y, g))
    splitter = StratifiedGroupKFold(n_splits=folds_validation, shuffle=True, random_state=seed)
    train, validation = next(splitter.split(np.zeros(len(rest)), y[rest], g[rest]))
    parts = DataSplit(data.iloc[rest[train]], data.iloc[rest[validation]], data.iloc[test])
    for name, part in zip(DataSplit._fields, parts):
        if len(np.unique(claim_labels(part))) < 2:
            raise ClaimstatsError(f"cannot hold groups out: the {name} part of the grouped split holds only "
                                  f"{claim_labels(part).mean() and POSITIVE or NEGATIVE}s ({n_groups:,} groups)")
    return parts


# --------------------------------------------------------------- metrics


def flagged_at(scores, threshold: float | None = None) -> np.ndarray:
    """Which rows are flagged as claims: score ≥ ``threshold``, or with ``threshold=None``
    scikit-learn's ``predict`` (claim when the score is above 0.5; exactly 0.5 is an opinion).

    Examples
    --------
    >>> flagged_at([0.5, 0.7]).tolist(), flagged_at([0.5, 0.7], 0.5).tolist()
    ([False, True], [True, True])
    """
    p = np.asarray(scores, dtype=float)
    return p > PREDICT_CUT if threshold is None else p >= threshold


def metrics_at(y_true, scores, threshold: float | None = None) -> dict[str, float]:
    """Precision, recall, F1, accuracy (claim = positive; flagged as :func:`flagged_at` says),
    ROC AUC, average precision and the Brier score.

    The four threshold metrics come from the confusion counts; a ratio with a
    zero denominator is 0 (no flagged rows → precision 0). The default
    (``threshold=None``) flags what scikit-learn's ``predict`` calls a claim.

    Examples
    --------
    >>> metrics_at([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1])["recall"]
    0.5
    """
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(scores, dtype=float)
    flagged = flagged_at(p, threshold)
    tp = int((flagged & (y == 1)).sum())
    fp = int((flagged & (y == 0)).sum())
    fn = int((~flagged & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    two_classes = 0 < y.sum() < len(y)
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "accuracy": float((flagged == (y == 1)).mean()) if len(y) else float("nan"),
        "roc_auc": float(skm.roc_auc_score(y, p)) if two_classes else float("nan"),
        "average_precision": float(skm.average_precision_score(y, p)) if two_classes else float("nan"),
        "brier": float(np.mean((p - y) ** 2)) if len(y) else float("nan"),
    }


def review_share_at_recall(y_true, scores, target: float) -> float:
    """Share of the rows reviewed, from the top score down, to catch ``target`` of the claims.

    Reviewing stops at the score of the ⌈target × claims⌉-th highest-scored
    claim and takes every row scored at or above it (ties included): the
    workload a review threshold chosen for ``target`` would bring on these
    rows. Lower is better; 1.0 means the ranking saves nothing.

    Examples
    --------
    >>> review_share_at_recall([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], target=1.0)
    0.75
    """
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(scores, dtype=float)
    claims = np.sort(p[y == 1])[::-1]
    if not len(claims) or np.isnan(p).any():
        return float("nan")
    needed = max(1, int(np.ceil(target * len(claims) - 1e-9)))
    return float((p >= claims[needed - 1]).mean())


def proportion_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact (Clopper–Pearson) two-sided interval of a proportion: ``(low, high)``.

    With every trial a success the low end says how low the proportion could
    plausibly be: (α/2)^(1/n). With no trials the interval is (nan, nan).

    Examples
    --------
    >>> [round(v, 4) for v in proportion_interval(20, 20)]
    [0.8316, 1.0]
    """
    if trials <= 0:
        return float("nan"), float("nan")
    alpha = 1 - confidence
    low = 0.0 if successes == 0 else float(stats.beta.ppf(alpha / 2, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(stats.beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return low, high


#: What each interval of :func:`metric_intervals` is.
INTERVAL_METHODS = {
    "exact": "exact binomial (Clopper–Pearson) interval",
    "bootstrap": "stratified percentile bootstrap over the rows (claims and opinions resampled separately)",
    "exact pairs": "exact binomial bound over disjoint claim–opinion pairs (every resample ranks perfectly)",
    "exact bounds": "computed from the exact binomial bounds of recall, precision and false-positive rate "
                    "(every resample is perfect)",
}


#: Most bootstrap weights (resamples × rows) :func:`metric_intervals` holds at once.
_BOOTSTRAP_CELLS = 1 << 23


def _weighted_curves(y: np.ndarray, p: np.ndarray, weights: np.ndarray, flagged: int):
    """F1, ROC AUC, average precision and workload saving for each row of ``weights``.

    Rows (``y``, ``p``) are in score order, highest first; ``weights[b, i]`` is how often row i
    is drawn in resample b; the first ``flagged`` rows are flagged (always whole runs of ties).
    """
    is_claim = y.astype(bool)
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])  # first row of each run of tied scores
    if len(starts) == len(p):  # no ties: every row is its own run
        c_g = np.where(is_claim, weights, 0)
        o_g = weights - c_g
    else:
        c_g = np.add.reduceat(np.where(is_claim, weights, 0), starts, axis=1)  # claims per run
        o_g = np.add.reduceat(weights, starts, axis=1) - c_g
    tp_g, fp_g = np.cumsum(c_g, axis=1), np.cumsum(o_g, axis=1)
    n1, n0 = tp_g[:, -1].astype(float), fp_g[:, -1].astype(float)
    auc = (c_g * (n0[:, None] - fp_g + 0.5 * o_g)).sum(axis=1) / (n1 * n0)
    ap = (c_g * (tp_g / np.maximum(tp_g + fp_g, 1))).sum(axis=1) / n1  # a run with claims has tp + fp ≥ 1
    tp, fp = _flagged_counts(y, weights, flagged)
    f1 = np.where(tp > 0, 2 * tp / (2 * tp + fp + (n1 - tp)), 0.0)
    return {"f1": f1, "roc_auc": auc, "average_precision": ap, "workload_saving": _saving(tp, fp, n1, n1 + n0)}


def _flagged_counts(y: np.ndarray, weights: np.ndarray, flagged: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted claims and opinions among the first ``flagged`` rows, per resample."""
    top = weights[:, :flagged].astype(float)
    tp = top[:, y[:flagged] == 1].sum(axis=1)
    return tp, top.sum(axis=1) - tp


def _saving(tp, fp, n1, n) -> np.ndarray:
    """Share of claims caught minus share of rows reviewed: what ranking saves against arrival order
    (NaN for a resample without claims)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n1 > 0, tp / n1, np.nan) - (tp + fp) / n


def _bootstrap_weights(y: np.ndarray, resamples: int, rng: np.random.Generator, stratified: bool) -> np.ndarray:
    """How often each row is drawn in each resample; claims and opinions drawn separately when stratified."""
    weights = np.zeros((resamples, len(y)), dtype=np.float32)  # whole counts: exact in float32
    for at in ([np.flatnonzero(y == 1), np.flatnonzero(y == 0)] if stratified else [np.arange(len(y))]):
        draws = rng.integers(0, len(at), size=(resamples, len(at))) + np.arange(resamples)[:, None] * len(at)
        weights[:, at] = np.bincount(draws.ravel(), minlength=resamples * len(at)).reshape(resamples, len(at))
    return weights


def _perfect_ap_bound(n1: int, n0: int, confidence: float) -> float:
    """A low end for the average precision of a ranking that put all n1 claims above all n0 opinions.

    With the exact bounds r (recall at the lowest claim's score, at least) and
    f (false-positive rate there, at most), precision at any recall ρ ≤ r is at
    least πρ / (πρ + (1 − π) f), π the claim share, and at least 0 beyond r:
    the average precision, the integral of precision over recall, is at least
    r − c·ln(1 + r/c) with c = (1 − π) f / π.
    """
    r = proportion_interval(n1, n1, confidence)[0]
    f = 1 - proportion_interval(n0, n0, confidence)[0]
    c = (n0 / (n1 + n0)) * f / (n1 / (n1 + n0))
    return float(r - c * np.log1p(r / c))


def metric_intervals(y_true, scores, threshold: float | None = None, *, confidence: float = CONFIDENCE,
                     resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Each metric with its ``confidence`` interval and how the interval was computed.

    Recall, precision and accuracy are proportions: exact binomial
    (Clopper–Pearson) intervals. F1, ROC AUC, average precision and the
    workload saving (share of claims caught minus share of rows reviewed at
    the threshold, what the ranking saves against arrival order) come from a
    percentile bootstrap of ``resamples`` resamples of the rows, seeded by
    ``seed``: stratified (claims and opinions drawn separately, so each
    resample keeps their counts), except for the saving, which depends on
    the share of claims in a backlog and so resamples rows together. When
    the rows are perfectly separated every stratified resample is too and
    the interval collapses to the point; then the low end comes from exact
    binomial bounds: for the ROC AUC, over as many disjoint claim–opinion
    pairs as the smaller class holds; for F1, the F1 of the low ends of
    precision and recall; for average precision, the bound of
    :func:`_perfect_ap_bound`. The ``method`` column says which (keys of
    :data:`INTERVAL_METHODS`). Above :data:`_BOOTSTRAP_CELLS` resamples × rows
    (test splits of more than about 8,000 rows) the resamples are drawn and
    scored a block at a time, from the same seeded stream, so memory stays
    bounded.

    Examples
    --------
    >>> table = metric_intervals([1, 1, 0, 0, 1, 0], [0.9, 0.7, 0.6, 0.2, 0.4, 0.1], resamples=200)
    >>> row = table.set_index("metric").loc["recall"]
    >>> round(float(row["value"]), 3), row["method"]
    (0.667, 'exact')
    """
    if not 0 < confidence < 1:
        raise ClaimstatsError(f"confidence must be between 0 and 1; got {confidence}")
    if resamples < 1:
        raise ClaimstatsError(f"resamples must be at least 1; got {resamples}")
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(scores, dtype=float)
    if np.isnan(p).any():
        raise ClaimstatsError(f"{int(np.isnan(p).sum()):,} scores are missing (NaN); intervals need a score per row")
    n1, n0 = int(y.sum()), int(len(y) - y.sum())
    if not n1 or not n0:
        raise ClaimstatsError("intervals need both claims and opinions among the rows")
    flags = flagged_at(p, threshold)
    tp, fp = int((flags & (y == 1)).sum()), int((flags & (y == 0)).sum())
    correct = tp + (n0 - fp)
    values = metrics_at(y, p, threshold)
    order = np.lexsort((np.arange(len(p)), -p))
    ys, ps = y[order], p[order]
    rng = np.random.default_rng(seed)
    # Resamples × rows weights are held a block of resamples at a time (all at once up to
    # _BOOTSTRAP_CELLS: the course file's test rows are one block), so memory stays bounded on a
    # test split of millions of rows.
    block = max(1, _BOOTSTRAP_CELLS // len(ys))
    parts = []
    for start in range(0, resamples, block):
        count = min(block, resamples - start)
        drawn = _weighted_curves(ys, ps, _bootstrap_weights(ys, count, rng, stratified=True), int(flags.sum()))
        # The saving depends on the share of claims in the backlog: rows resampled together, so that share varies.
        plain = _bootstrap_weights(ys, count, rng, stratified=False)
        drawn["workload_saving"] = _saving(*_flagged_counts(ys, plain, int(flags.sum())),
                                           (plain * ys).sum(axis=1, dtype=float), float(len(ys)))
        parts.append(drawn)
        del plain
    drawn = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    point = _weighted_curves(ys, ps, np.ones((1, len(y))), int(flags.sum()))
    values["workload_saving"] = float(point["workload_saving"][0])
    alpha = 1 - confidence
    rows = []
    for name, (k, n) in {"recall": (tp, n1), "precision": (tp, tp + fp), "accuracy": (correct, len(y))}.items():
        rows.append((name, float(values[name]), *proportion_interval(k, n, confidence), "exact"))
    for name in ("f1", "roc_auc", "average_precision", "workload_saving"):
        low, high = (float(v) for v in np.nanquantile(drawn[name], [alpha / 2, 1 - alpha / 2]))
        method = "bootstrap"
        if name == "roc_auc" and low == 1.0:
            low, method = proportion_interval(min(n1, n0), min(n1, n0), confidence)[0], "exact pairs"
        elif name == "f1" and low == 1.0:
            r_low, p_low = rows[0][2], rows[1][2]
            low, method = 2 * r_low * p_low / (r_low + p_low), "exact bounds"
        elif name == "average_precision" and low == 1.0:
            low, method = _perfect_ap_bound(n1, n0, confidence), "exact bounds"
        rows.append((name, float(values[name]), low, high, method))
    return pd.DataFrame(rows, columns=["metric", "value", "low", "high", "method"])


def calibration_table(y_true, scores, *, bins: int = 10) -> pd.DataFrame:
    """Predicted probability against the observed claim share, in equal-width bins.

    One row per non-empty bin: its range, the number of rows, their mean
    predicted probability, the share that are claims, and the gap between the
    two (observed − predicted). A calibrated model has gaps near 0. A bin holds
    the scores above its low edge up to its high edge (the first one from 0),
    as in scikit-learn's ``calibration_curve``: a forest's scores, fractions
    of its trees, often fall exactly on an edge.

    Examples
    --------
    >>> calibration_table([0, 1, 1, 1], [0.1, 0.2, 0.8, 0.9], bins=2)["observed"].tolist()
    [0.5, 1.0]
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(scores, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.searchsorted(edges[1:-1], p, side="left")  # p == edge goes to the bin below it
    rows = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            rows.append((edges[b], edges[b + 1], int(mask.sum()), float(p[mask].mean()), float(y[mask].mean())))
    table = pd.DataFrame(rows, columns=["bin_low", "bin_high", "rows", "predicted", "observed"])
    table["gap"] = table["observed"] - table["predicted"]
    return table


def count_separation(data: pd.DataFrame) -> pd.DataFrame:
    """How well one engagement count alone tells claims from opinions.

    For each count column, the accuracy of the best single rule "claim when
    the count is above t" (or below t), over every cut point t between
    observed values. Accuracy near 1 means that column alone nearly separates
    the classes.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"claim_status": ["claim", "claim", "opinion", "opinion"],
    ...                       "video_view_count": [900, 50, 60, 10]})
    >>> count_separation(frame)[["column", "accuracy"]].values.tolist()
    [['video_view_count', 0.75]]
    """
    y = claim_labels(data)
    rows = []
    for column in [c for c in COUNT_COLUMNS if c in data.columns]:
        values = data[column].to_numpy(dtype=float)
        order = np.argsort(values, kind="stable")
        v, labels = values[order], y[order]
        # cut after position k (k rows at or below the cut): only between distinct values
        claims_below = np.concatenate([[0], np.cumsum(labels)])
        k = np.arange(len(v) + 1)
        cut_ok = np.concatenate([[True], v[1:] != v[:-1], [True]])
        correct_above = (k - claims_below) + (labels.sum() - claims_below)  # opinions below + claims above
        best_above = np.where(cut_ok, correct_above, -1)
        best_below = np.where(cut_ok, len(v) - correct_above, -1)  # the mirror rule
        at = int(np.argmax(np.maximum(best_above, best_below)))
        direction = "above" if best_above[at] >= best_below[at] else "below"
        cut = (v[at - 1] + v[at]) / 2 if 0 < at < len(v) else (v[0] - 1 if at == 0 else v[-1] + 1)
        rows.append((column, float(cut), direction, max(best_above[at], best_below[at]) / len(v)))
    return pd.DataFrame(rows, columns=["column", "cut", "claim_when", "accuracy"])


# ------------------------------------------------------------ evaluation


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A fitted classifier scored on labelled rows (the test split, used once).

    ``scores`` are claim probabilities and ``y_true`` the labels (1 = claim),
    kept for the curves in :mod:`claimstats.model_plots`. ``held_out`` says
    whether the rows are known to be unseen in training (the test split), so
    that :meth:`describe` calls them held out only then.
    """

    feature_set: str
    model: str
    threshold: float
    n: int
    n_claims: int
    metrics: dict = field(repr=False)
    confusion: pd.DataFrame = field(repr=False)
    calibration: pd.DataFrame = field(repr=False)
    importances: pd.DataFrame = field(repr=False)
    y_true: np.ndarray = field(repr=False)
    scores: np.ndarray = field(repr=False)
    importance_scoring: str = "average_precision"
    held_out: bool = True
    intervals: pd.DataFrame | None = field(default=None, repr=False)
    predict_rule: bool = False

    def to_frame(self) -> pd.DataFrame:
        """One row per metric; with intervals, their ``low`` and ``high`` ends and ``method``."""
        frame = pd.DataFrame({"metric": list(self.metrics), "value": [float(v) for v in self.metrics.values()]})
        if self.intervals is None:
            return frame
        extra = self.intervals[~self.intervals["metric"].isin(frame["metric"])][["metric", "value"]]
        frame = pd.concat([frame, extra], ignore_index=True)
        return frame.merge(self.intervals[["metric", "low", "high", "method"]], on="metric", how="left")

    def interval(self, metric: str) -> tuple[float, float]:
        """The ``(low, high)`` interval of one metric (see :func:`metric_intervals`)."""
        if self.intervals is None:
            raise ClaimstatsError("this evaluation was made without intervals (interval_resamples=0)")
        row = self.intervals.set_index("metric")
        check = row.index.tolist()
        if metric not in check:
            raise ClaimstatsError(f"no interval for {metric!r}; available: {', '.join(check)}")
        return float(row.loc[metric, "low"]), float(row.loc[metric, "high"])

    def confusion_frame(self) -> pd.DataFrame:
        """Actual classes in rows, predicted in columns, at :attr:`threshold`."""
        return self.confusion.copy()

    def calibration_frame(self) -> pd.DataFrame:
        return self.calibration.copy()

    def importance_frame(self) -> pd.DataFrame:
        """Drop in score when each input column is shuffled (mean and SD over repeats), largest first."""
        return self.importances.copy()

    def describe_importance(self, account_columns=("author_ban_status", "verified_status")) -> str:
        """What the model relies on, as sentences: its most important input, then the account columns.

        Needs importances (``evaluate(..., importance_repeats=N)``). The account
        columns say *who* posted a video: a model that leans on them (a drop of
        at least a tenth of the top input's) is said to.
        """
        if not len(self.importances):
            raise ClaimstatsError("no importances: evaluate with importance_repeats of 1 or more")
        table = self.importances.reset_index(drop=True)
        top = table.loc[0]
        score = self.importance_scoring.replace("_", " ")
        status = table.loc[table["column"].isin(account_columns), "importance"].max()
        # Three decimals would print "at most 0.000" when account status does not matter at all.
        if abs(status) < 0.001:
            effect = "changes it by less than 0.001"
        elif status < 0:
            effect = "does not lower it"
        else:
            effect = f"lowers it by at most {status:.3f}"
        if status < 0.1 * top["importance"]:
            reliance = ("The model recognises claims by what is said, not by who says it, which is also what a fair "
                        "moderation process would want.")
        else:
            reliance = ("The model leans on who posted a video as well as on what is said: a moderation team should "
                        "decide whether it accepts that.")
        return (f"Shuffling {top['column']} lowers the {score} by {top['importance']:.3f}; shuffling either account "
                f"status {effect}. {reliance}")

    def describe(self) -> str:
        """A sentence for a report."""
        m = self.metrics
        who = f"The {MODELS.get(self.model, self.model)} on {FEATURE_PHRASES.get(self.feature_set, self.feature_set)}"
        rows = "held-out reports" if self.held_out else "labelled reports"
        f3 = {k: format_bounded(v, ".3f") for k, v in m.items()}  # 0.9996 is not "1.000"
        at = "above 0.5 (as scikit-learn's predict)" if self.predict_rule else f"at threshold {format_bounded(self.threshold)}"
        recall = f"recall {f3['recall']}"
        if self.intervals is not None:
            low, high = self.interval("recall")
            recall += f", {CONFIDENCE:.0%} interval {format_bounded(low, '.3f')} to {format_bounded(high, '.3f')}"
        text = (f"{who} catches {format_bounded(m['recall'], '.1%')} of the {self.n_claims:,} claims among {self.n:,} "
                f"{rows} ({recall}) with precision {f3['precision']} (F1 {f3['f1']}, accuracy "
                f"{f3['accuracy']}, ROC AUC {f3['roc_auc']}) {at}.")
        if len(self.importances):
            top = self.importances.iloc[0]
            text += (f" Its most important input is {top['column']}: shuffling it lowers the "
                     f"{self.importance_scoring.replace('_', ' ')} by {top['importance']:.3f}.")
        return text


def evaluate(pipeline: Pipeline, data: pd.DataFrame, *, threshold: float | None = None, importance_repeats: int = 5,
             importance_scoring: str = "average_precision", seed: int = 0, feature_set: str = "",
             model: str = "", held_out: bool = True, interval_resamples: int = 1000) -> Evaluation:
    """Score a fitted pipeline on labelled rows: metrics, confusion, calibration, importances.

    Parameters
    ----------
    pipeline : fitted Pipeline
        As :func:`claimstats.classify.build_pipeline` makes it, fitted on training rows.
    data : DataFrame
        Labelled rows the pipeline has not seen (the test split).
    threshold : float, optional
        A report is flagged as a claim when its probability is at least this;
        by default as scikit-learn's ``predict`` flags it (above 0.5).
    importance_repeats : int
        Shuffles per input column for the permutation importance (0: skip it).
        The importance of a column is the drop in ``importance_scoring`` when
        its values are shuffled across rows.
    seed : int
        Seeds the shuffles.
    held_out : bool
        Whether ``data`` is known to be unseen in training (the test split);
        :meth:`Evaluation.describe` says "held-out reports" only then.
    interval_resamples : int
        Bootstrap resamples of the metrics' 95% intervals
        (:func:`metric_intervals`, seeded by ``seed``); 0 skips the intervals.

    Examples
    --------
    >>> import claimstats
    >>> tidy, _ = claimstats.clean(claimstats.load("synthetic:2", rows=800).frame)
    >>> from claimstats.classify import build_pipeline, input_columns
    >>> train, _, test = split_data(tidy, seed=2)
    >>> fitted = build_pipeline("text").fit(train[input_columns("text")], claim_labels(train))
    >>> evaluate(fitted, test, importance_repeats=0).n == len(test)
    True
    """
    if threshold is not None and not 0 <= threshold <= 1:  # a probability; also refuses nan
        raise ClaimstatsError(f"threshold must be a probability from 0 to 1; got {threshold}")
    y = claim_labels(data)
    if len(np.unique(y)) < 2:  # recall (no claims) or ROC AUC (one class) would be undefined
        only = POSITIVE if y.any() else NEGATIVE
        raise ClaimstatsError(f"a classifier is evaluated on rows holding both claims and opinions; all {len(y):,} "
                              f"rows are {only}s")
    scores = predict_claim_probability(pipeline, data)
    values = metrics_at(y, scores, threshold)
    intervals = (metric_intervals(y, scores, threshold, resamples=interval_resamples, seed=seed)
                 if interval_resamples else None)
    matrix = skm.confusion_matrix(y, flagged_at(scores, threshold).astype(int), labels=[1, 0])
    confusion = pd.DataFrame({"actual": [POSITIVE, NEGATIVE], f"predicted {POSITIVE}": matrix[:, 0],
                              f"predicted {NEGATIVE}": matrix[:, 1]})
    importances = pd.DataFrame(columns=["column", "importance", "sd"])
    if importance_repeats:
        columns = list(pipeline.feature_names_in_)
        found = permutation_importance(pipeline, data[columns], y, scoring=importance_scoring,
                                       n_repeats=importance_repeats, random_state=seed)
        importances = pd.DataFrame({"column": columns, "importance": found.importances_mean,
                                    "sd": found.importances_std})
        importances = importances.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    return Evaluation(feature_set=feature_set, model=model, threshold=PREDICT_CUT if threshold is None else threshold,
                      n=len(y), n_claims=int(y.sum()), metrics=values, confusion=confusion,
                      calibration=calibration_table(y, scores), importances=importances, y_true=y, scores=scores,
                      importance_scoring=importance_scoring, held_out=held_out, intervals=intervals,
                      predict_rule=threshold is None)
