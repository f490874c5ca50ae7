"""Construct: the claim classifiers compared honestly across feature sets and models.

The case's question is whether a model can tell a *claim* from an *opinion*
well enough to order the moderators' backlog. :func:`compare_models` answers
it side by side for the three feature sets of
:data:`claimstats.classify.FEATURE_SETS` (all features, text only, at upload)
and the three models of :data:`claimstats.classify.MODELS`.

Why three feature sets: engagement counts nearly separate the classes in this
data (claims are viewed about a hundred times more), so a model that leans on
them scores well on old videos and cannot help on a fresh one, which has no
views yet. :meth:`ModelComparison.describe` measures both halves of that
sentence: how well a single count separates the classes, and the recall of
each champion on the test videos with their counts set to zero.

Method (every step seeded):

1. a stratified train / validation / test split
   (:func:`claimstats.evaluation.split_data`, 60 / 20 / 20 by default);
2. per feature set, a feature pipeline
   (:func:`claimstats.classify.build_features`) fitted on training rows only,
   inside every cross-validation fold too;
3. hyper-parameters tuned by stratified k-fold cross-validation on the training
   split, over a small grid (:data:`GRIDS`; a model with one candidate is
   not cross-validated), scored as the model will be
   used: by the share of reports to review to catch the target recall of the
   claims (missing a claim costs more than reviewing an opinion), ties broken
   by average precision and then by the simpler candidate (:data:`CHAMPION_RULE`);
4. the tuned models refitted on the whole training split; a champion per
   feature set chosen by the same rule on the **validation** split;
5. each champion scored once on the **test** split
   (:func:`claimstats.evaluation.evaluate`): the metrics with 95% intervals,
   confusion matrix, calibration table and permutation importances;
6. held-out phrasing (:class:`HeldOutPhrasing`): a second split keeps whole
   phrasing templates apart, and each champion, with its chosen
   hyper-parameters, is refitted and tested on templates it never saw. The
   random split shares every template between training and test, so its
   scores are the optimistic ones.

Examples
--------
>>> import claimstats
>>> from claimstats.classify import MODELS
>>> tidy, _ = claimstats.clean(claimstats.load("synthetic:3", rows=1500).frame)
>>> result = compare_models(tidy, feature_sets=("upload",), grid="fast", importance_repeats=0)
>>> result.champion_model("upload") in MODELS
True
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from claimstats.classify import (
    DEFAULT_VOCABULARY,
    FEATURE_SETS,
    MODELS,
    build_classifier,
    build_features,
    build_pipeline,
    check_choice,
    input_columns,
    predict_claim_probability,
)
from claimstats.errors import ClaimstatsError, require_columns
from claimstats.evaluation import (
    DataSplit,
    claim_labels,
    count_separation,
    evaluate,
    grouped_split,
    metrics_at,
    review_share_at_recall,
    split_data,
)
from claimstats.phrasing import TEMPLATE_WORDS, opening
from claimstats.reporting import format_bounded
from claimstats.progress import progress_bar
from claimstats.schema import COUNT_COLUMNS, TARGET

__all__ = [
    "CHAMPION_RULE",
    "CHOICE_RECALL",
    "GRIDS",
    "MIN_CLASS_ROWS",
    "TIE_TOLERANCE",
    "HeldOutPhrasing",
    "ModelComparison",
    "choose",
    "compare_models",
]

#: Candidate hyper-parameters per model, simplest first. ``"fast"`` has one
#: candidate per model, so it needs no cross-validation (the book's quick path);
#: ``"small"`` is the default tuning grid. Only a model with more than one
#: candidate is cross-validated. Gradient boosting has one in both: early
#: stopping already sizes it (the number of trees, on its own held-out tenth),
#: and its leaf count (15 or 31) moved the cross-validated review share by 0.0004
#: to 0.0025 on the course file and two synthetic seeds, about the tie tolerance,
#: while its ten fits were three quarters of training's work.
GRIDS = {
    "fast": {
        "logistic": ({"C": 1.0},),
        "random_forest": ({"n_estimators": 50, "max_depth": None, "min_samples_leaf": 1},),
        "gradient_boosting": ({"learning_rate": 0.2, "max_leaf_nodes": 31},),
    },
    "small": {
        "logistic": ({"C": 0.1}, {"C": 1.0}, {"C": 10.0}),
        "random_forest": ({"n_estimators": 60, "max_depth": 12, "min_samples_leaf": 2},
                          {"n_estimators": 60, "max_depth": None, "min_samples_leaf": 1}),
        "gradient_boosting": ({"learning_rate": 0.2, "max_leaf_nodes": 15},),
    },
}
#: Two scores closer than this count as a tie (about 4 claims in 2,000).
TIE_TOLERANCE = 0.002
#: Fewest claims, and fewest opinions, the training split must hold. Below it the folds and the
#: stratified tenth that gradient boosting sets aside for early stopping cannot hold both classes
#: (and a validation split of a handful of claims could not choose anything).
MIN_CLASS_ROWS = 20
#: The recall at which candidates are compared by their workload (the review tier's default target).
CHOICE_RECALL = 0.95
CHAMPION_RULE = (f"smallest share of reports to review to catch the target recall of the claims (by default "
                 f"{CHOICE_RECALL:.0%}), as the review tier will be used; candidates within {TIE_TOLERANCE} of the "
                 f"best are tied and broken by average precision (again within {TIE_TOLERANCE}), then by the "
                 "simpler candidate (models in the order logistic regression, random forest, gradient boosting; "
                 "grid points in the order listed)")


def choose(table: pd.DataFrame, *, workload: str = "review_share", ap: str = "average_precision",
           tolerance: float = TIE_TOLERANCE) -> int:
    """Position of the row that :data:`CHAMPION_RULE` picks; rows must be simplest first.

    ``workload`` is the share of reports reviewed to reach the target recall
    (:func:`claimstats.evaluation.review_share_at_recall`; lower is better),
    ``ap`` the average precision (higher is better).

    Examples
    --------
    >>> import pandas as pd
    >>> choose(pd.DataFrame({"review_share": [0.52, 0.519, 0.6], "average_precision": [0.97, 0.99, 1.0]}))
    1
    """
    w = table[workload].to_numpy(dtype=float)
    a = table[ap].to_numpy(dtype=float)
    tied = w <= np.nanmin(w) + tolerance
    tied &= a >= np.nanmax(np.where(tied, a, -np.inf)) - tolerance
    return int(np.flatnonzero(tied)[0])


# ------------------------------------------------------------ comparison


_HEADLINE = ("recall", "precision", "f1", "roc_auc", "average_precision", "workload_saving")


@dataclass(frozen=True, eq=False)
class HeldOutPhrasing:
    """Each champion refitted on a split that holds whole phrasing templates out.

    The templates are the transcriptions' first ``words`` words
    (:func:`claimstats.phrasing.opening`); ``split`` keeps every template in
    one part (:func:`claimstats.evaluation.grouped_split`), so the validation
    and test reports are phrased as no training report is. Each champion
    keeps the model and hyper-parameters chosen on the random split (no
    re-tuning), is refitted on ``split.train`` (``pipelines``), scored on
    ``split.validation`` (``validation_scores``: labels and scores, what a
    review threshold for new phrasing is chosen on) and once on
    ``split.test`` (``evaluations``, with 95% intervals).
    """

    words: int
    templates: dict
    split: DataSplit = field(repr=False)
    pipelines: dict = field(repr=False)
    validation_scores: dict = field(repr=False)
    evaluations: dict = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per feature set and headline metric: the value on held-out templates and its interval."""
        rows = []
        for feature_set, ev in self.evaluations.items():
            table = ev.intervals.set_index("metric")
            for metric in _HEADLINE:
                rows.append({"feature_set": feature_set, "model": ev.model, "metric": metric,
                             "value": float(table.loc[metric, "value"]), "low": float(table.loc[metric, "low"]),
                             "high": float(table.loc[metric, "high"]), "method": table.loc[metric, "method"]})
        return pd.DataFrame(rows)

    def describe(self) -> str:
        """A sentence for a report."""
        t = self.templates
        parts = [f"With whole phrasing templates (the first {self.words} words) held out, {t['train']:,} templates "
                 f"train the champions, {t['validation']:,} others choose thresholds and {t['test']:,} more test them "
                 f"({len(self.split.test):,} test reports)."]
        for feature_set, ev in self.evaluations.items():
            low, high = ev.interval("recall")
            parts.append(f"{FEATURE_SETS[feature_set].capitalize()}: the {MODELS[ev.model]} catches "
                         f"{ev.metrics['recall']:.1%} of claims in phrasings it never saw (95% interval {low:.1%} "
                         f"to {high:.1%}).")
        return " ".join(parts)


@dataclass(frozen=True, eq=False)
class ModelComparison:
    """Feature sets × models: cross-validation, validation, champions and their test scores.

    ``pipelines`` maps ``(feature_set, model)`` to the tuned pipeline fitted on
    the training split; ``evaluations`` maps each feature set to its champion's
    test :class:`~claimstats.evaluation.Evaluation`; ``validation_scores`` to the champion's
    ``(labels, scores)`` on the validation split (what thresholds are chosen on).
    """

    grid: str
    cv: int
    seed: int
    n_train: int
    n_validation: int
    n_test: int
    n_missing: int
    seconds: float
    candidates: pd.DataFrame = field(repr=False)
    tuning: pd.DataFrame = field(repr=False)
    separation: pd.DataFrame = field(repr=False)
    pipelines: dict = field(repr=False)
    evaluations: dict = field(repr=False)
    validation_scores: dict = field(repr=False)
    split: DataSplit = field(repr=False)
    phrasing: HeldOutPhrasing | None = field(default=None, repr=False)
    phrasing_note: str = ""
    target_recall: float = CHOICE_RECALL

    @property
    def feature_sets(self) -> list[str]:
        return list(self.evaluations)

    def champion_model(self, feature_set: str) -> str:
        """The model chosen for a feature set on the validation split."""
        check_choice(feature_set, self.evaluations, "feature set")
        return self.evaluations[feature_set].model

    def champion(self, feature_set: str) -> Pipeline:
        """The champion pipeline of a feature set (fitted on the training split)."""
        return self.pipelines[(feature_set, self.champion_model(feature_set))]

    def to_frame(self) -> pd.DataFrame:
        """One row per feature set and model: tuning, validation and (champions only) test scores."""
        return self.candidates.copy()

    def tuning_frame(self) -> pd.DataFrame:
        """Every grid point's mean cross-validated recall, precision and F1, and which was chosen."""
        return self.tuning.copy()

    def validation_frame(self) -> pd.DataFrame:
        """Every candidate's validation scores, as a reader compares them: one row per feature set and
        model, ``champion`` marked "yes".

        ``review_share`` is the share of validation reports the candidate's
        review threshold flags (the first criterion of :data:`CHAMPION_RULE`).

        Examples
        --------
        >>> import claimstats
        >>> tidy, _ = claimstats.clean(claimstats.load("synthetic:6", rows=1500).frame)
        >>> frame = compare_models(tidy, feature_sets=("upload",), models=("logistic",), grid="fast",
        ...                        importance_repeats=0).validation_frame()
        >>> frame.columns.tolist()
        ['features', 'model', 'review_share', 'average_precision', 'recall', 'precision', 'roc_auc', 'champion']
        >>> frame["champion"].tolist()
        ['yes']
        """
        c = self.candidates
        frame = pd.DataFrame({"features": c["feature_set"].map(FEATURE_SETS), "model": c["model"].map(MODELS)})
        for metric in ("review_share", "average_precision", "recall", "precision", "roc_auc"):
            frame[metric] = c[f"validation_{metric}"].to_numpy()
        frame["champion"] = np.where(c["champion"].to_numpy(dtype=bool), "yes", "")
        return frame.reset_index(drop=True)

    def test_frame(self) -> pd.DataFrame:
        """The champions' test scores side by side: one row per feature set."""
        rows = []
        for feature_set, ev in self.evaluations.items():
            fresh = self.candidates.loc[(self.candidates["feature_set"] == feature_set)
                                        & self.candidates["champion"], "fresh_recall"].iloc[0]
            rows.append({"features": FEATURE_SETS[feature_set], "champion": MODELS[ev.model],
                         **{k: ev.metrics[k] for k in ("recall", "precision", "f1", "accuracy", "roc_auc",
                                                       "average_precision")},
                         "recall_fresh": fresh})
        return pd.DataFrame(rows)

    def scores_frame(self) -> pd.DataFrame:
        """Each champion's headline test metrics with 95% intervals: on the random split (templates shared
        with training, the optimistic figure) and, when measured, on held-out phrasing templates."""
        rows = []
        for feature_set, ev in self.evaluations.items():
            where = {"random split": ev}
            if self.phrasing is not None and feature_set in self.phrasing.evaluations:
                where["held-out phrasing"] = self.phrasing.evaluations[feature_set]
            for split, evaluation in where.items():
                table = evaluation.intervals.set_index("metric")
                for metric in _HEADLINE:
                    rows.append({"features": FEATURE_SETS[feature_set], "champion": MODELS[ev.model], "split": split,
                                 "metric": metric, "value": float(table.loc[metric, "value"]),
                                 "low": float(table.loc[metric, "low"]), "high": float(table.loc[metric, "high"]),
                                 "method": table.loc[metric, "method"]})
        return pd.DataFrame(rows)

    def interval_frame(self, metrics=("recall", "roc_auc", "average_precision")) -> pd.DataFrame:
        """:meth:`scores_frame` wide: one row per feature set and split, each metric with its ``_low`` and
        ``_high`` ends.

        Examples
        --------
        >>> import claimstats
        >>> tidy, _ = claimstats.clean(claimstats.load("synthetic:6", rows=1500).frame)
        >>> frame = compare_models(tidy, feature_sets=("upload",), models=("logistic",), grid="fast",
        ...                        importance_repeats=0).interval_frame(["recall"])
        >>> frame.columns.tolist()
        ['features', 'champion', 'split', 'recall', 'recall_low', 'recall_high']
        """
        long = self.scores_frame()
        long = long[long["metric"].isin(list(metrics))]
        wide = long.pivot_table(index=["features", "champion", "split"], columns="metric",
                                values=["value", "low", "high"], sort=False)
        out = pd.DataFrame(index=wide.index)
        for metric in metrics:
            out[metric] = wide[("value", metric)]
            out[f"{metric}_low"] = wide[("low", metric)]
            out[f"{metric}_high"] = wide[("high", metric)]
        return out.reset_index()

    def describe(self) -> str:
        """What was compared, who won on validation, how each champion did on test, and why
        the at-upload set matters."""
        points = self.tuning.groupby("model", sort=False)["candidate"].nunique()
        tuned = [MODELS[m] for m in points.index[points > 1]]
        untuned = [MODELS[m] for m in points.index[points == 1]]
        trained = f"{self.n_train:,} training reports"
        if self.cv and untuned:
            sized = ", sized by early stopping" if untuned == [MODELS["gradient_boosting"]] else ""
            how = (f"fitted on {trained} (the {' and the '.join(tuned)} tuned by {self.cv}-fold cross-validation "
                   f"on them; the {' and the '.join(untuned)} with one candidate{sized})")
        elif self.cv:
            how = f"tuned by {self.cv}-fold cross-validation on {trained}"
        else:
            how = f"fitted on {trained}"
        parts = [f"{len(self.candidates)} models ({', '.join(FEATURE_SETS[f] for f in self.feature_sets)}) were "
                 f"{how} and compared on {self.n_validation:,} validation reports; each feature set's champion "
                 f"was then scored once on {self.n_test:,} test reports."]
        for feature_set, ev in self.evaluations.items():
            m = {k: format_bounded(v, ".3f") for k, v in ev.metrics.items()}  # 0.9996 is not "1.000"
            low = f" (95% interval from {format_bounded(ev.interval('recall')[0], '.3f')})" if ev.intervals is not None else ""
            parts.append(f"{FEATURE_SETS[feature_set].capitalize()}: the {MODELS[ev.model]} reaches test recall "
                         f"{m['recall']}{low}, precision {m['precision']} and F1 {m['f1']}.")
        if len(self.separation):
            best = self.separation.sort_values("accuracy", ascending=False).iloc[0]
            lead = "Engagement counts nearly separate the classes: " if best["accuracy"] >= 0.95 else ""
            parts.append(f"{lead}{best['column']} alone, cut at {best['cut']:,.0f}, labels "
                         f"{format_bounded(best['accuracy'], '.1%')} of the training reports correctly.")
        if "all" in self.evaluations:
            fresh = self.candidates.set_index(["feature_set", "model"])["fresh_recall"]
            all_model = self.champion_model("all")
            sentence = (f"A model that leans on counts cannot help on a fresh video, which has no views yet: with the "
                        f"test videos' counts set to zero, the all-features champion's recall is "
                        f"{format_bounded(fresh[('all', all_model)], '.1%')} (against "
                        f"{format_bounded(self.evaluations['all'].metrics['recall'], '.1%')} "
                        "with their real counts)")
            if "upload" in self.evaluations:
                sentence += (f", while the at-upload champion, which never reads counts, keeps "
                             f"{format_bounded(fresh[('upload', self.champion_model('upload'))], '.1%')}")
            parts.append(sentence + ".")
        if self.phrasing is not None:
            parts.append(self.phrasing.describe())
        elif self.phrasing_note:
            parts.append(f"Held-out phrasing was not measured: {self.phrasing_note}.")
        return " ".join(parts)


def _single_threaded(task, *args):
    # One BLAS/OpenMP thread per task: parallelism comes from running tasks side by side.
    # On a shared machine, a boosting fit that spins several OpenMP threads can be ten times slower.
    with threadpool_limits(limits=1):
        return task(*args)


def _run(tasks: list, n_jobs: int | None, desc: str = "") -> list:
    """Run ``(function, *args)`` tasks, in this process or on ``n_jobs`` worker processes; results in task order.

    A progress bar (:func:`claimstats.progress.progress_bar`) counts the tasks
    done when stderr is a terminal.
    """
    with progress_bar(total=len(tasks), desc=desc, unit=" fits") as bar:
        if n_jobs in (None, 1) or len(tasks) < 2:
            results = []
            for task in tasks:
                results.append(_single_threaded(*task))
                bar.update()
            return results
        results = []
        for result in Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_single_threaded)(*task)
                                                                      for task in tasks):
            results.append(result)
            bar.update()
        return results


#: Relative cost of one fit, to hand the slowest fits out first (measured on the course file: a
#: boosting fit takes about 25 times a logistic one, a forest about 10 times).
_FIT_COST = {"gradient_boosting": 25, "random_forest": 10, "logistic": 1}


def _fold_features(X: pd.DataFrame, y: np.ndarray, fit_rows, held_rows, feature_set: str, vocabulary: int):
    """A fold's feature matrices, fitted on its training rows only: shared by every candidate of the fold."""
    features = build_features(feature_set, vocabulary=vocabulary)
    return features.fit_transform(X.iloc[fit_rows], y[fit_rows]), features.transform(X.iloc[held_rows])


def _fold_fit(X_fit, X_held, y_fit: np.ndarray, y_held: np.ndarray, model: str, params: dict, seed: int,
              target_recall: float = CHOICE_RECALL) -> dict:
    """The cross-validation scores (:data:`_CV_SCORES`) on a fold's held-out rows of one grid point fitted on
    its other rows."""
    classifier = build_classifier(model, params, seed=seed).fit(X_fit, y_fit)  # sparse, as in build_pipeline
    scores = classifier.predict_proba(X_held)[:, 1]
    found = metrics_at(y_held, scores)
    return {**{k: found[k] for k in ("recall", "precision", "f1", "average_precision")},
            "review_share": review_share_at_recall(y_held, scores, target_recall)}


def _cross_validate(X_by_set: dict, y: np.ndarray, folds: list, grid: dict, seed: int, vocabulary: int,
                    n_jobs: int | None, target_recall: float = CHOICE_RECALL) -> list[dict]:
    """Scores of every grid point on every fold, for each feature set.

    Two rounds of independent tasks: each fold's features (fitted once per
    fold and feature set), then every (feature set, fold, model, grid point)
    fit, slowest first so that the workers finish together. The scores do
    not depend on ``n_jobs``.
    """
    keys = [(f, k) for f in X_by_set for k in range(len(folds))]
    matrices = dict(zip(keys, _run([(_fold_features, X_by_set[f], y, *folds[k], f, vocabulary) for f, k in keys],
                                   n_jobs, "features")))
    fits = [(f, k, model, position) for f, k in keys for model, candidates in grid.items()
            for position in range(len(candidates))]
    order = sorted(range(len(fits)), key=lambda i: -_FIT_COST.get(fits[i][2], 1))
    scores = _run([(_fold_fit, *matrices[fits[i][:2]], y[folds[fits[i][1]][0]], y[folds[fits[i][1]][1]],
                    fits[i][2], grid[fits[i][2]][fits[i][3]], seed, target_recall) for i in order], n_jobs, "cross-validation")
    by_fit = dict(zip(order, scores))
    return [{"feature_set": f, "model": model, "candidate": position, "fold": k, **by_fit[i]}
            for i, (f, k, model, position) in enumerate(fits)]


def _training_features(X_train: pd.DataFrame, y_train: np.ndarray, X_validation: pd.DataFrame, feature_set: str,
                       vocabulary: int):
    """A feature set's features fitted on the whole training split, with its training and validation matrices:
    shared by every model of the set, as a fold's are in cross-validation."""
    features = build_features(feature_set, vocabulary=vocabulary)
    return features, features.fit_transform(X_train, y_train), features.transform(X_validation)


def _fit_candidate(features: Pipeline, X_fit, y_train: np.ndarray, X_held, model: str, params: dict, seed: int):
    """One model fitted on its set's training matrix: the pipeline (its own copy of the fitted features) and
    its validation scores, exactly as ``build_pipeline(...).fit(X_train, y_train)`` would give them."""
    classifier = build_classifier(model, params, seed=seed).fit(X_fit, y_train)
    pipeline = Pipeline([("features", copy.deepcopy(features)), ("model", classifier)])
    return pipeline, classifier.predict_proba(X_held)[:, list(classifier.classes_).index(1)]


def _test_champion(pipeline: Pipeline, test: pd.DataFrame, feature_set: str, model: str, repeats: int, seed: int):
    evaluation = evaluate(pipeline, test, importance_repeats=repeats, seed=seed, feature_set=feature_set,
                          model=model)
    fresh = test.copy()
    for column in COUNT_COLUMNS:  # as when the video is reported right after upload
        fresh[column] = 0
    fresh_recall = metrics_at(evaluation.y_true, predict_claim_probability(pipeline, fresh))["recall"]
    return evaluation, fresh_recall


def _phrasing_champion(split: DataSplit, feature_set: str, model: str, params: dict, seed: int, vocabulary: int):
    """A champion's model and hyper-parameters refitted on held-out-phrasing training rows; its validation
    scores and its test evaluation."""
    columns = input_columns(feature_set)
    pipeline = build_pipeline(feature_set, model, params, seed=seed, vocabulary=vocabulary)
    pipeline.fit(split.train[columns], claim_labels(split.train))
    scores = predict_claim_probability(pipeline, split.validation)
    evaluation = evaluate(pipeline, split.test, importance_repeats=0, seed=seed, feature_set=feature_set, model=model)
    return pipeline, scores, evaluation


def _usable(data: pd.DataFrame, feature_sets) -> tuple[pd.DataFrame, int]:
    needed = [TARGET, *dict.fromkeys(c for f in feature_sets for c in input_columns(f))]
    require_columns(data, needed)
    keep = data[needed].notna().all(axis=1)
    return data.loc[keep], int((~keep).sum())


def compare_models(data: pd.DataFrame, *, feature_sets=tuple(FEATURE_SETS), models=tuple(MODELS),
                   grid: str = "small", cv: int = 5, seed: int = 0, validation_size: float = 0.2,
                   test_size: float = 0.2, vocabulary: int = DEFAULT_VOCABULARY,
                   importance_repeats: int | None = None, n_jobs: int | None = None,
                   target_recall: float = CHOICE_RECALL,
                   phrasing_words: int | None = TEMPLATE_WORDS) -> ModelComparison:
    """Tune, compare and test the claim classifiers across feature sets and models.

    Parameters
    ----------
    data : DataFrame
        Cleaned claims data (rows missing a label or an input are left out and
        counted in ``n_missing``). Its training split must hold at least
        :data:`MIN_CLASS_ROWS` claims and as many opinions (and ``cv`` of each).
    feature_sets, models : sequences of str
        Subsets of :data:`FEATURE_SETS` and :data:`MODELS`.
    grid : {"small", "fast"}
        Candidate hyper-parameters (:data:`GRIDS`). ``"fast"`` has one
        candidate per model and skips cross-validation: about 10 s on the
        default data in one process (7 s with ``n_jobs=2``), against about 40 s
        for ``"small"`` with ``n_jobs=2``.
    cv : int
        Folds of the stratified cross-validation on the training split.
    seed : int
        Seeds the split, the folds, the forests and boosting, and the shuffles.
    validation_size, test_size : float
        Shares of the rows held out for choosing and for the final test.
    vocabulary : int
        Words and word pairs kept by :class:`~claimstats.classify.TextFeatures`.
    importance_repeats : int, optional
        Shuffles per column for the champions' permutation importances (0:
        skip). Default 5, or 2 with the fast grid.
    n_jobs : int, optional
        Worker processes (``-1``: one per core). Each fit uses one thread, so
        the folds, models and feature sets run side by side; results do not
        depend on ``n_jobs``.
    target_recall : float
        The recall at which candidates are compared: the champion needs the
        fewest reviews to reach it (:data:`CHAMPION_RULE`).
    phrasing_words : int or None
        Words of the phrasing templates held out in a second, grouped split
        (:class:`HeldOutPhrasing`): each champion, with the hyper-parameters
        chosen here, is refitted and tested on templates it never saw. None
        skips it; so does data with too few templates (``phrasing_note``
        says why).

    Returns
    -------
    ModelComparison

    Examples
    --------
    >>> import claimstats
    >>> tidy, _ = claimstats.clean(claimstats.load("synthetic:4", rows=1500).frame)
    >>> result = compare_models(tidy, feature_sets=("text",), models=("logistic",), grid="fast",
    ...                         importance_repeats=0)
    >>> result.champion_model("text"), len(result.to_frame())
    ('logistic', 1)
    """
    started = time.perf_counter()
    feature_sets, models = list(dict.fromkeys(feature_sets)), list(models)
    if not feature_sets or not models:
        raise ClaimstatsError("give at least one feature set and one model")
    for f in feature_sets:
        check_choice(f, FEATURE_SETS, "feature set")
    for m in models:
        check_choice(m, MODELS, "model")
    check_choice(grid, GRIDS, "grid")
    if cv < 2:
        raise ClaimstatsError(f"cv must be at least 2 folds; got {cv}")
    if not 0 <= seed < 2**32:
        raise ClaimstatsError(f"seed must be a whole number from 0 to 4294967295; got {seed}")
    if not 0 < target_recall <= 1:
        raise ClaimstatsError(f"target recall must be above 0 and at most 1; got {target_recall}")
    if n_jobs == 0:
        raise ClaimstatsError("worker processes (n_jobs; --jobs on the command line) must be 1 or more, or "
                              "negative (-1: one per core); got 0")
    models = [m for m in MODELS if m in models]  # simplest first, whatever the order given
    if importance_repeats is None:
        importance_repeats = 2 if grid == "fast" else 5
    chosen_grid = {m: GRIDS[grid][m] for m in models}
    usable, n_missing = _usable(data, feature_sets)
    split = split_data(usable, seed=seed, validation_size=validation_size, test_size=test_size)
    y_train, y_val = claim_labels(split.train), claim_labels(split.validation)
    to_tune = {m: candidates for m, candidates in chosen_grid.items() if len(candidates) > 1}
    needs_cv = bool(to_tune)
    per_class, fewest = np.bincount(y_train, minlength=2), max(MIN_CLASS_ROWS, cv if needs_cv else 0)
    if per_class.min() < fewest:
        raise ClaimstatsError(f"too few rows to train on: the training split ({len(split.train):,} of "
                              f"{len(usable):,} usable rows) holds {per_class[1]:,} claims and {per_class[0]:,} "
                              f"opinions; each class needs at least {fewest}")

    # 1. cross-validated scores of every grid point of the models with a choice to make
    fold_rows = []
    if needs_cv:
        folds = list(StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed).split(np.zeros(len(y_train)),
                                                                                          y_train))
        fold_rows = _cross_validate({f: split.train[input_columns(f)] for f in feature_sets}, y_train, folds,
                                    to_tune, seed, vocabulary, n_jobs, target_recall)
    untuned = [{"feature_set": f, "model": m, "candidate": 0, **dict.fromkeys(_CV_SCORES, np.nan)}
               for f in feature_sets for m in models if m not in to_tune]
    tuned = (pd.DataFrame(fold_rows + untuned)
             .groupby(["feature_set", "model", "candidate"], sort=False)[list(_CV_SCORES)]
             .mean().reset_index())
    place = {pair: i for i, pair in enumerate((f, m) for f in feature_sets for m in models)}  # as the grid lists them
    tuned = (tuned.assign(_place=[place[pair] for pair in zip(tuned["feature_set"], tuned["model"])])
             .sort_values(["_place", "candidate"], kind="stable").drop(columns="_place").reset_index(drop=True))
    tuned["params"] = [_params_text(chosen_grid[m][c]) for m, c in zip(tuned["model"], tuned["candidate"])]
    tuned["chosen"] = False
    best = {}
    for (f, m), points in tuned.groupby(["feature_set", "model"], sort=False):
        at = points.index[choose(points) if m in to_tune else 0]  # one candidate: nothing to choose
        tuned.loc[at, "chosen"] = True
        best[(f, m)] = int(tuned.loc[at, "candidate"])

    # 2. each model's chosen candidate refitted on the whole training split, scored on validation (the
    #    features fitted once per feature set and shared by its models)
    prepared = dict(zip(feature_sets, _run([(_training_features, split.train[input_columns(f)], y_train,
                                             split.validation[input_columns(f)], f, vocabulary)
                                            for f in feature_sets], n_jobs, "features")))
    pairs = [(f, m) for f in feature_sets for m in models]
    order = sorted(range(len(pairs)), key=lambda i: -_FIT_COST.get(pairs[i][1], 1))  # slowest first
    tasks = []
    for i in order:
        f, m = pairs[i]
        features, X_fit, X_held = prepared[f]
        tasks.append((_fit_candidate, features, X_fit, y_train, X_held, m, chosen_grid[m][best[(f, m)]], seed))
    by_pair = dict(zip(order, _run(tasks, n_jobs, "refitting")))
    del prepared, tasks
    pipelines, rows = {}, []
    for i, (f, m) in enumerate(pairs):
        pipeline, p_val = by_pair[i]
        pipelines[(f, m)] = pipeline
        point = tuned[(tuned["feature_set"] == f) & (tuned["model"] == m) & tuned["chosen"]].iloc[0]
        val = metrics_at(y_val, p_val)
        rows.append({"feature_set": f, "model": m, "params": point["params"], "cv_recall": point["recall"],
                     "cv_f1": point["f1"], "cv_review_share": point["review_share"],
                     "validation_review_share": review_share_at_recall(y_val, p_val, target_recall),
                     "validation_average_precision": val["average_precision"], "validation_recall": val["recall"],
                     "validation_precision": val["precision"], "validation_f1": val["f1"],
                     "validation_roc_auc": val["roc_auc"], "_scores": p_val})
    candidates = pd.DataFrame(rows)

    # 3. a champion per feature set, chosen on validation, then scored once on test
    candidates["champion"] = False
    for f in feature_sets:
        of_set = candidates.index[candidates["feature_set"] == f]
        candidates.loc[of_set[choose(candidates.loc[of_set], workload="validation_review_share",
                                     ap="validation_average_precision")], "champion"] = True
    champions = candidates[candidates["champion"]]
    # The test of each champion and its refit on held-out phrasing (step 4) are independent: one round.
    phrasing, phrasing_note, by_template, groups = None, "", None, None
    if phrasing_words is not None:
        try:
            groups = opening(usable, phrasing_words)
            by_template = grouped_split(usable, groups.to_numpy(), seed=seed, validation_size=validation_size,
                                        test_size=test_size)
            held = np.bincount(claim_labels(by_template.train), minlength=2)
            if held.min() < MIN_CLASS_ROWS:
                raise ClaimstatsError(f"its training part holds {held[1]:,} claims and {held[0]:,} opinions; "
                                      f"each class needs at least {MIN_CLASS_ROWS}")
        except ClaimstatsError as err:
            phrasing_note, by_template = str(err), None
    pairs = list(zip(champions["feature_set"], champions["model"]))
    tasks = [(_test_champion, pipelines[(f, m)], split.test, f, m, importance_repeats, seed) for f, m in pairs]
    if by_template is not None:
        tasks += [(_phrasing_champion, by_template, f, m, chosen_grid[m][best[(f, m)]], seed, vocabulary)
                  for f, m in pairs]
    done = _run(tasks, n_jobs, "testing")
    tested, refits = done[:len(pairs)], done[len(pairs):]
    evaluations, validation_scores = {}, {}
    test_metrics = ("recall", "precision", "f1", "accuracy", "roc_auc", "average_precision")
    for column in [f"test_{k}" for k in test_metrics] + ["fresh_recall"]:
        candidates[column] = np.nan
    for at, (evaluation, fresh_recall) in zip(champions.index, tested):
        f = candidates.loc[at, "feature_set"]
        evaluations[f] = evaluation
        validation_scores[f] = (y_val, candidates.loc[at, "_scores"])
        for k in test_metrics:
            candidates.loc[at, f"test_{k}"] = evaluation.metrics[k]
        candidates.loc[at, "fresh_recall"] = fresh_recall
    candidates = candidates.drop(columns="_scores")

    # 4. held-out phrasing: each champion, as chosen, refitted on templates apart from its test templates
    if by_template is not None:
        features = list(champions["feature_set"])
        phrasing = HeldOutPhrasing(
            words=int(phrasing_words),
            templates={name: int(groups.loc[part.index].nunique())
                       for name, part in zip(DataSplit._fields, by_template)},
            split=by_template, pipelines={f: r[0] for f, r in zip(features, refits)},
            validation_scores={f: (claim_labels(by_template.validation), r[1]) for f, r in zip(features, refits)},
            evaluations={f: r[2] for f, r in zip(features, refits)})
    candidates.insert(2, "label", [f"{MODELS[m]}, {FEATURE_SETS[f]}" for f, m in
                                   zip(candidates["feature_set"], candidates["model"])])
    tuning = tuned.rename(columns={k: f"cv_{k}" for k in _CV_SCORES})
    return ModelComparison(
        grid=grid, cv=cv if needs_cv else 0, seed=seed, n_train=len(split.train),
        n_validation=len(split.validation), n_test=len(split.test), n_missing=n_missing,
        seconds=time.perf_counter() - started, candidates=candidates,
        tuning=tuning[["feature_set", "model", "candidate", "params", *(f"cv_{k}" for k in _CV_SCORES), "chosen"]],
        separation=count_separation(split.train) if set(COUNT_COLUMNS) <= set(split.train.columns) else
        pd.DataFrame(), pipelines=pipelines, evaluations=evaluations, validation_scores=validation_scores,
        split=split, phrasing=phrasing, phrasing_note=phrasing_note, target_recall=float(target_recall))


_CV_SCORES = ("review_share", "average_precision", "recall", "precision", "f1")


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())
