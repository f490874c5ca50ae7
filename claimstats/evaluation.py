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
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from claimstats.classify import FEATURE_PHRASES, MODELS, NEGATIVE, POSITIVE, predict_claim_probability
from claimstats.errors import ClaimstatsError, require_columns
from claimstats.reporting import format_bounded
from claimstats.schema import COUNT_COLUMNS, TARGET

__all__ = [
    "DataSplit",
    "Evaluation",
    "calibration_table",
    "claim_labels",
    "count_separation",
    "evaluate",
    "metrics_at",
    "split_data",
]


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


# --------------------------------------------------------------- metrics


def metrics_at(y_true, scores, threshold: float = 0.5) -> dict[str, float]:
    """Precision, recall, F1, accuracy (claim = positive, flagged when score ≥ threshold),
    ROC AUC, average precision and the Brier score.

    The four threshold metrics come from the confusion counts; a ratio with a
    zero denominator is 0 (no flagged rows → precision 0).

    Examples
    --------
    >>> metrics_at([1, 1, 0, 0], [0.9, 0.4, 0.6, 0.1])["recall"]
    0.5
    """
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(scores, dtype=float)
    flagged = p >= threshold
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

    def to_frame(self) -> pd.DataFrame:
        """One row per metric."""
        return pd.DataFrame({"metric": list(self.metrics), "value": [float(v) for v in self.metrics.values()]})

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
        text = (f"{who} catches {format_bounded(m['recall'], '.1%')} of the {self.n_claims:,} claims among {self.n:,} "
                f"{rows} (recall {f3['recall']}) with precision {f3['precision']} (F1 {f3['f1']}, accuracy "
                f"{f3['accuracy']}, ROC AUC {f3['roc_auc']}) at threshold {format_bounded(self.threshold)}.")
        if len(self.importances):
            top = self.importances.iloc[0]
            text += (f" Its most important input is {top['column']}: shuffling it lowers the "
                     f"{self.importance_scoring.replace('_', ' ')} by {top['importance']:.3f}.")
        return text


def evaluate(pipeline: Pipeline, data: pd.DataFrame, *, threshold: float = 0.5, importance_repeats: int = 5,
             importance_scoring: str = "average_precision", seed: int = 0, feature_set: str = "",
             model: str = "", held_out: bool = True) -> Evaluation:
    """Score a fitted pipeline on labelled rows: metrics, confusion, calibration, importances.

    Parameters
    ----------
    pipeline : fitted Pipeline
        As :func:`claimstats.classify.build_pipeline` makes it, fitted on training rows.
    data : DataFrame
        Labelled rows the pipeline has not seen (the test split).
    threshold : float
        A report is flagged as a claim when its probability is at least this.
    importance_repeats : int
        Shuffles per input column for the permutation importance (0: skip it).
        The importance of a column is the drop in ``importance_scoring`` when
        its values are shuffled across rows.
    seed : int
        Seeds the shuffles.
    held_out : bool
        Whether ``data`` is known to be unseen in training (the test split);
        :meth:`Evaluation.describe` says "held-out reports" only then.

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
    if not 0 <= threshold <= 1:  # a probability; also refuses nan
        raise ClaimstatsError(f"threshold must be a probability from 0 to 1; got {threshold}")
    y = claim_labels(data)
    if len(np.unique(y)) < 2:  # recall (no claims) or ROC AUC (one class) would be undefined
        only = POSITIVE if y.any() else NEGATIVE
        raise ClaimstatsError(f"a classifier is evaluated on rows holding both claims and opinions; all {len(y):,} "
                              f"rows are {only}s")
    scores = predict_claim_probability(pipeline, data)
    values = metrics_at(y, scores, threshold)
    matrix = skm.confusion_matrix(y, (scores >= threshold).astype(int), labels=[1, 0])
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
    return Evaluation(feature_set=feature_set, model=model, threshold=threshold, n=len(y), n_claims=int(y.sum()),
                      metrics=values, confusion=confusion, calibration=calibration_table(y, scores),
                      importances=importances, y_true=y, scores=scores, importance_scoring=importance_scoring,
                      held_out=held_out)
