"""Execute: turn the claim classifier into a review queue for the moderators.

A trained :class:`ClaimModel` (see :func:`train_claim_model`) scores each
reported video with the probability that it is a claim. :func:`prioritize`
ranks a backlog by that probability and sorts it into review tiers; the
thresholds between tiers are chosen on the **validation** split for a target
recall (:func:`threshold_for_recall`): "review" catches, say, 95% of the claims
the model saw there, "review first" the top of the queue that catches 80%.

:func:`workload_curve` says what the ranking buys: the share of reports
reviewed against the share of claims caught, compared with reviewing in
arrival order (where every report is as likely as the next to be a claim, so
catching 95% of the claims means reading 95% of the reports).

Elsewhere: the rows a backlog must hold are checked by
:func:`claimstats.intake.check_reports`; model files are written and read by
:mod:`claimstats.modelfile`; a CSV file of any size is triaged by
:func:`claimstats.backlog.triage_file`.

Examples
--------
>>> import claimstats
>>> tidy, _ = claimstats.clean(claimstats.load("synthetic:5", rows=1500).frame)
>>> model, _ = train_claim_model(tidy, feature_set="upload", grid="fast", importance_repeats=0)
>>> queue = prioritize(model, tidy.drop(columns="claim_status").head(50))
>>> list(queue.columns[:3]), queue["claim_probability"].is_monotonic_decreasing
(['rank', 'tier', 'claim_probability'], True)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sklearn
from scipy import stats
from sklearn.pipeline import Pipeline

from claimstats import classify
from claimstats.comparison import ModelComparison, compare_models
from claimstats.errors import ClaimstatsError, require_columns
from claimstats.evaluation import Evaluation, evaluate, flagged_at, metric_intervals, proportion_interval
from claimstats.intake import as_numbers, check_reports, normalise_reports
from claimstats.phrasing import TEMPLATE_WORDS, opening
from claimstats.reporting import format_bounded
from claimstats.schema import COUNT_COLUMNS, DURATION, SCHEMA_VERSION, TARGET

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_FIRST_RECALL",
    "DEFAULT_TARGET_RECALL",
    "MODEL_FORMAT_VERSION",
    "SCORE_COLUMN",
    "TIERS",
    "ClaimModel",
    "WorkloadCurve",
    "check_recall",
    "evaluate_model",
    "make_claim_model",
    "prioritize",
    "recall_lower_bound",
    "threshold_for_recall",
    "thresholds_for_recall",
    "tier_counts",
    "tier_of",
    "train_claim_model",
    "workload_curve",
]

DEFAULT_TARGET_RECALL = 0.95
DEFAULT_FIRST_RECALL = 0.80
#: Confidence with which a review threshold's recall on new reports is at least its target.
DEFAULT_CONFIDENCE = 0.95
TIERS = ("review first", "review", "low priority")
#: Bump when what a model file holds changes shape (a new transformer, renamed attributes).
#: Kept beside :class:`ClaimModel`, whose :meth:`~ClaimModel.metadata` stamps it into every file.
MODEL_FORMAT_VERSION = 1
#: The column of a queue that holds each report's probability of being a claim.
SCORE_COLUMN = "claim_probability"


# -------------------------------------------------------------- thresholds


def check_recall(target: float, what: str = "target recall") -> float:
    """``target`` as a float, if it is a recall a threshold can be chosen for (0 < target <= 1).

    Examples
    --------
    >>> check_recall(0.9)
    0.9
    >>> check_recall(1.5)
    Traceback (most recent call last):
    ...
    claimstats.errors.ClaimstatsError: target recall must be above 0 and at most 1; got 1.5
    """
    if not 0 < target <= 1:
        raise ClaimstatsError(f"{what} must be above 0 and at most 1; got {target}")
    return float(target)


def recall_lower_bound(caught: int, claims: int, confidence: float = DEFAULT_CONFIDENCE) -> float:
    """One-sided exact (Clopper–Pearson) lower bound of a recall: ``caught`` of ``claims``.

    With ``confidence`` the recall on new claims, drawn like these, is at
    least this. All caught still leaves (1 − confidence)^(1/claims) as the bound.

    Examples
    --------
    >>> round(recall_lower_bound(20, 20), 4)
    0.8609
    """
    if claims <= 0:
        raise ClaimstatsError("a recall bound needs at least one claim")
    if caught <= 0:
        return 0.0
    return float(stats.beta.ppf(1 - confidence, caught, claims - caught + 1))


def _grouped_recall_lows(claim_scores: np.ndarray, claim_groups: np.ndarray, confidence: float,
                         resamples: int, seed: int) -> np.ndarray:
    """For k = 1 … n, the (1 − confidence) quantile of the recall of the k-th highest claim score when
    whole groups of claims are resampled (a cluster bootstrap): the groups, not the rows, are the units."""
    order = np.argsort(-claim_scores, kind="stable")
    codes, uniques = pd.factorize(np.asarray(claim_groups)[order])
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(uniques), size=(resamples, len(uniques))) + np.arange(resamples)[:, None] * len(uniques)
    counts = np.bincount(draws.ravel(), minlength=resamples * len(uniques)).reshape(resamples, len(uniques))
    weights = counts[:, codes].astype(float)  # how often each claim (highest score first) is drawn
    recall = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    return np.quantile(recall, 1 - confidence, axis=0)


def threshold_for_recall(y_true, scores, target: float = DEFAULT_TARGET_RECALL,
                         confidence: float | None = None, groups=None, *, resamples: int = 1000,
                         seed: int = 0) -> float:
    """The highest threshold whose flagged rows (score ≥ threshold) catch ``target`` of the claims.

    Without ``confidence`` the threshold is the score of the ⌈target × claims⌉-th
    highest-scored claim: on the rows it is chosen on, recall is at least
    ``target``, but on new rows it is below it about half the time.

    With ``confidence`` (e.g. 0.95) it is chosen for new rows: the score of the
    k-th highest-scored of the n claims, for the smallest k whose exact
    one-sided lower bound (:func:`recall_lower_bound`) reaches ``target``. The
    share of new claims scored at or above the k-th highest of n is
    Beta(k, n − k + 1)-distributed, so with that confidence the recall on new
    claims, drawn like these, is at least ``target``. When even all n claims
    cannot give that bound (too few claims, or a target of 1), the threshold
    is the lowest claim score and :func:`recall_lower_bound` says what it
    guarantees.

    With ``groups`` too (each row's phrasing template), the claims are not
    independent draws: reports of one template score alike, and new reports
    bring new templates. The threshold is then also low enough that, when
    whole groups are resampled (``resamples`` cluster-bootstrap resamples,
    seeded by ``seed``), the recall reaches ``target`` in a share
    ``confidence`` of them; the lower of the two thresholds is kept.

    Scores must be numbers: a missing (NaN) score is refused.

    Examples
    --------
    >>> threshold_for_recall([1, 1, 1, 1, 0], [0.9, 0.8, 0.3, 0.7, 0.5], target=0.75)
    0.7
    >>> threshold_for_recall([1] * 100, [i / 100 for i in range(100)], target=0.9, confidence=0.95)
    0.04
    """
    return float(thresholds_for_recall(y_true, scores, [target], confidence, groups, resamples=resamples,
                                       seed=seed)[0])


def thresholds_for_recall(y_true, scores, targets, confidence: float | None = None, groups=None, *,
                          resamples: int = 1000, seed: int = 0) -> np.ndarray:
    """:func:`threshold_for_recall` for several targets at once, one threshold per target.

    The rule's costly step, the cluster bootstrap over ``groups``, does not
    depend on the target: it is drawn once and read for every target, so a
    curve of many targets costs about one threshold. Each threshold equals
    what :func:`threshold_for_recall` gives for its target alone.

    Examples
    --------
    >>> thresholds_for_recall([1, 1, 1, 1, 0], [0.9, 0.8, 0.3, 0.7, 0.5], [0.5, 0.75, 1.0]).tolist()
    [0.8, 0.7, 0.3]
    """
    wanted = [check_recall(float(target)) for target in np.atleast_1d(np.asarray(targets, dtype=float))]
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(scores, dtype=float)
    if y.shape != p.shape:
        raise ClaimstatsError(f"labels and scores differ in length ({len(y)} and {len(p)})")
    if np.isnan(p).any():
        raise ClaimstatsError(f"{int(np.isnan(p).sum()):,} scores are missing (NaN); a threshold needs a score "
                              "for every row")
    claims = np.sort(p[y == 1])[::-1]
    if not len(claims):
        raise ClaimstatsError("cannot choose a threshold for a recall: there are no claims among the rows")
    n = len(claims)
    if groups is not None and confidence is None:
        raise ClaimstatsError("groups need a confidence: the threshold is chosen for new groups with that confidence")
    if confidence is None:
        # 1e-9: 0.95 × 20 is 19, not 19.000000000000004
        needed = [max(1, math.ceil(target * n - 1e-9)) for target in wanted]
        return claims[np.asarray(needed) - 1].astype(float)
    if not 0 < confidence < 1:
        raise ClaimstatsError(f"confidence must be between 0 and 1; got {confidence}")
    k = np.arange(1, n + 1)
    bounds = stats.beta.ppf(1 - confidence, k, n - k + 1)
    lows = None
    if groups is not None:
        g = np.asarray(groups)
        if g.shape != y.shape:
            raise ClaimstatsError(f"give one group per row: {len(y):,} rows and {len(g):,} groups")
        lows = _grouped_recall_lows(p[y == 1], g[y == 1], confidence, resamples, seed)
    needed = []
    for target in wanted:
        reached = np.flatnonzero(bounds >= target - 1e-12)
        rank = int(reached[0]) + 1 if len(reached) else n
        if lows is not None:
            rank = max(rank, int(np.flatnonzero(lows >= target - 1e-12)[0]) + 1)
        needed.append(rank)
    return claims[np.asarray(needed) - 1].astype(float)


def tier_counts(queue: pd.DataFrame) -> pd.DataFrame:
    """Reports of a ranked queue (:func:`prioritize`) in each tier, every tier listed, with their share.

    Examples
    --------
    >>> queue = pd.DataFrame({"tier": ["review first", "review", "review", "low priority", "review"]})
    >>> tier_counts(queue).to_dict("list")
    {'tier': ['review first', 'review', 'low priority'], 'reports': [1, 3, 1], 'share': [0.2, 0.6, 0.2]}
    """
    require_columns(queue, ["tier"])
    unknown = sorted(set(queue["tier"].dropna().astype(str)) - set(TIERS))
    if unknown:
        raise ClaimstatsError(f"unknown tier {unknown[0]!r} in the queue; the tiers are {', '.join(TIERS)}")
    reports = queue["tier"].astype(str).value_counts().reindex(list(TIERS), fill_value=0)
    share = reports / len(queue) if len(queue) else reports.astype(float)
    return pd.DataFrame({"tier": list(TIERS), "reports": reports.to_numpy(dtype=int), "share": share.to_numpy(dtype=float)})


# ---------------------------------------------------------------- workload


@dataclass(frozen=True, eq=False)
class WorkloadCurve:
    """Share of reports reviewed (in ranked order) against share of claims caught.

    ``frame`` has one row per number of reports reviewed, from 0 to all:
    ``reviewed`` (count), ``share_reviewed``, ``claims_caught``, ``share_caught``
    and ``score`` (the score of the last report reviewed). Ties in score are
    reviewed in arrival order.
    """

    n_reports: int
    n_claims: int
    frame: pd.DataFrame = field(repr=False)
    scores: np.ndarray = field(repr=False)
    y_true: np.ndarray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def at_threshold(self, threshold: float) -> dict[str, float]:
        """Reviewing every report scored at or above ``threshold``: how many, and how many claims."""
        flagged = self.scores >= threshold
        caught = int((flagged & (self.y_true == 1)).sum())
        return {"threshold": float(threshold), "reviewed": int(flagged.sum()),
                "share_reviewed": float(flagged.mean()) if self.n_reports else 0.0,
                "claims_caught": caught, "share_caught": caught / self.n_claims if self.n_claims else 0.0}

    def at_recall(self, target: float) -> dict[str, float]:
        """The fewest reports, taken from the top of the ranking, that catch ``target`` of the claims."""
        check_recall(target)
        if not self.n_claims:
            raise ClaimstatsError("no claims among the rows: there is no recall to reach")
        needed = max(1, math.ceil(target * self.n_claims - 1e-9))
        k = int(np.searchsorted(self.frame["claims_caught"].to_numpy(), needed))
        row = self.frame.iloc[k]
        return {"reviewed": int(row["reviewed"]), "share_reviewed": float(row["share_reviewed"]),
                "claims_caught": int(row["claims_caught"]), "share_caught": float(row["share_caught"])}

    def summary(self, threshold: float) -> pd.DataFrame:
        """Reviewing what the threshold flags, against arrival order and against reviewing everything.

        In arrival order the claims are spread at random through the queue, so on
        average catching a share r of them means reviewing the same share r of
        the reports.
        """
        ranked = self.at_threshold(threshold)
        r = ranked["share_caught"]
        rows = [("ranked by the model, down to the threshold", ranked["share_reviewed"], r),
                ("arrival order, to the same recall (expected)", r, r),
                ("everything, in arrival order", 1.0, 1.0)]
        table = pd.DataFrame(rows, columns=["review", "share_reviewed", "share_caught"])
        table["workload_saved_by_ranking"] = table["share_reviewed"] - ranked["share_reviewed"]
        return table

    def table(self, threshold: float) -> pd.DataFrame:
        """:meth:`summary` for a report: shares as percentages that never round onto 0% or 100%, and the
        reports the ranking spares against each other way of reaching the same recall ("—" on its own row).

        Examples
        --------
        >>> workload_curve([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.1, 0.2]).table(0.7)["spared by the ranking"].tolist()
        ['—', '40.0%', '40.0%']
        """
        summary = self.summary(threshold)
        pct = lambda share: format_bounded(share, ".1%")  # noqa: E731
        spared = ["—"] + [pct(share) for share in summary["workload_saved_by_ranking"].iloc[1:]]
        return pd.DataFrame({"review": summary["review"], "reports reviewed": summary["share_reviewed"].map(pct),
                             "claims caught": summary["share_caught"].map(pct), "spared by the ranking": spared})

    def describe(self, threshold: float) -> str:
        """A sentence for a report.

        Examples
        --------
        >>> curve = workload_curve([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.1, 0.2])
        >>> curve.describe(0.7)
        'Reviewing the 3 of 5 reports (60.0%) scored at or above 0.7 catches 100.0% of the 2 claims; in arrival order the same recall takes 100.0% of the reports on average, so the ranking spares 40.0% of all reports from review (40.0% against reviewing everything).'
        """
        ranked = self.at_threshold(threshold)
        r = ranked["share_caught"]
        def pct(share: float) -> str:  # 99.96% is not "100.0%"
            return format_bounded(share, ".1%")

        return (f"Reviewing the {ranked['reviewed']:,} of {self.n_reports:,} reports ({pct(ranked['share_reviewed'])}) "
                f"scored at or above {format_bounded(threshold)} catches {pct(r)} of the {self.n_claims:,} claims; "
                f"in arrival order the same recall takes {pct(r)} of the reports on average, so the ranking spares "
                f"{pct(r - ranked['share_reviewed'])} of all reports from review ({pct(1 - ranked['share_reviewed'])} "
                "against reviewing everything).")


def workload_curve(y_true, scores) -> WorkloadCurve:
    """The workload curve of a ranking: reports reviewed from the top against claims caught.

    Examples
    --------
    >>> curve = workload_curve([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.1, 0.2])
    >>> curve.to_frame()["share_caught"].tolist()
    [0.0, 0.5, 0.5, 1.0, 1.0, 1.0]
    """
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(scores, dtype=float)
    if y.shape != p.shape:
        raise ClaimstatsError(f"labels and scores differ in length ({len(y)} and {len(p)})")
    order = np.lexsort((np.arange(len(p)), -p))  # highest score first; ties in arrival order
    caught = np.concatenate([[0], np.cumsum(y[order])])
    n, n_claims = len(y), int(y.sum())
    frame = pd.DataFrame({
        "reviewed": np.arange(n + 1),
        "share_reviewed": np.arange(n + 1) / n if n else np.zeros(1),
        "claims_caught": caught,
        "share_caught": caught / n_claims if n_claims else np.zeros(n + 1),
        "score": np.concatenate([[np.inf], p[order]]),
    })
    return WorkloadCurve(n, n_claims, frame, p, y)


# ------------------------------------------------------------------- model


@dataclass(frozen=True, eq=False)
class ClaimModel:
    """A fitted claim classifier with what triage needs: thresholds and where it came from.

    ``validation_labels`` / ``validation_scores`` are the champion's labels and
    scores on the validation split: thresholds for any target recall are chosen
    on them (:meth:`thresholds`), with ``confidence`` that the recall on new
    reports reaches the target (None: the validation rank alone, as model
    files made before it do). ``metrics`` are its test-split scores.

    When trained with held-out phrasing (the default), the pipeline was fitted
    on training templates, the validation and test reports are phrased in
    ways it never saw, and ``checks`` holds the test evaluation: ``split``,
    ``intervals`` (metric → [low, high, method]), ``random_split`` (the
    optimistic test metrics of the champion on a random split) and
    ``review`` / ``review_first`` (each tier's threshold checked on the test
    reports: recall, share reviewed and workload saving with intervals).
    ``validation_groups`` numbers the validation reports' phrasing templates:
    with them, thresholds also hold when whole templates are resampled
    (:func:`threshold_for_recall`).
    """

    pipeline: Pipeline = field(repr=False)
    feature_set: str
    model: str
    params: str
    target_recall: float
    threshold: float
    first_recall: float
    first_threshold: float
    validation_labels: np.ndarray = field(repr=False)
    validation_scores: np.ndarray = field(repr=False)
    metrics: dict = field(repr=False)
    source: str = ""
    source_sha256: str | None = None
    rows: dict = field(default_factory=dict, repr=False)
    claimstats_version: str = ""
    schema_version: int = SCHEMA_VERSION
    sklearn_version: str = ""
    confidence: float | None = None
    checks: dict = field(default_factory=dict, repr=False)
    validation_groups: np.ndarray | None = field(default=None, repr=False)

    @property
    def columns(self) -> list[str]:
        """The data columns the model reads."""
        return classify.input_columns(self.feature_set)

    def thresholds(self, target_recall: float | None = None, first_recall: float | None = None) -> tuple[float, float]:
        """``(review-first threshold, review threshold)`` for the given recalls, chosen on validation.

        The rule's answer for the model's own recalls is kept with the model: its cluster bootstrap is
        drawn once, not at each triage (a model made by :func:`make_claim_model` or loaded from a file,
        where the stored thresholds are checked against the rule, starts with it).
        """
        target = self.target_recall if target_recall is None else check_recall(target_recall)
        first = self.first_recall if first_recall is None else check_recall(first_recall, "first-tier recall")
        if target == self.target_recall and min(first, target) == self.first_recall:
            return self._own_thresholds
        return self._rule_thresholds(first, target)

    def _rule_thresholds(self, first: float, target: float) -> tuple[float, float]:
        groups = self.validation_groups if self.confidence is not None else None
        top, review = thresholds_for_recall(self.validation_labels, self.validation_scores,
                                            [min(first, target), target], self.confidence, groups)
        return float(top), float(review)

    @functools.cached_property
    def _own_thresholds(self) -> tuple[float, float]:
        # computed, not read from the fields: a model edited with dataclasses.replace keeps the
        # thresholds its validation scores give
        return self._rule_thresholds(self.first_recall, self.target_recall)

    def _chose_thresholds(self, first: float, review: float) -> ClaimModel:
        """This model, knowing that ``(first, review)`` is what the rule gives for its own recalls."""
        self.__dict__["_own_thresholds"] = (float(first), float(review))  # as cached_property stores it
        return self

    def recall_bound(self, threshold: float | None = None) -> float:
        """Recall on new reports that ``threshold`` (default: the review threshold) reaches with the model's
        confidence (95% unless set otherwise): the exact lower bound from the validation claims."""
        threshold = self.threshold if threshold is None else threshold
        is_claim = self.validation_labels == 1
        claims = self.validation_scores[is_claim]
        confidence = DEFAULT_CONFIDENCE if self.confidence is None else self.confidence
        bound = recall_lower_bound(int((claims >= threshold).sum()), len(claims), confidence)
        if self.validation_groups is not None:  # the templates as units: the cluster bootstrap's bound, if lower
            lows = _grouped_recall_lows(claims, self.validation_groups[is_claim], confidence, 1000, 0)
            caught = int((claims >= threshold).sum())
            bound = min(bound, float(lows[caught - 1])) if caught else 0.0
        return bound

    def checks_frame(self) -> pd.DataFrame:
        """Each tier's threshold checked on the test reports: recall, share reviewed, workload saving and
        precision, with their intervals (empty for a model trained without them)."""
        rows = []
        for tier in ("review_first", "review"):
            for metric, (value, low, high, method) in self.checks.get(tier, {}).items():
                rows.append({"tier": tier.replace("_", " "), "metric": metric, "value": value, "low": low,
                             "high": high, "method": method})
        return pd.DataFrame(rows, columns=["tier", "metric", "value", "low", "high", "method"])

    def validation_recall(self, threshold: float | None = None) -> float:
        """Share of the validation claims scored at or above ``threshold`` (default: the review threshold).

        At the model's thresholds it is at least the target recall, and more
        when several claims share the score at the cut (a forest's scores often tie).
        """
        threshold = self.threshold if threshold is None else threshold
        claims = self.validation_scores[self.validation_labels == 1]
        return float((claims >= threshold).mean())

    @functools.cached_property
    def _scoring_pipeline(self):
        # the same probabilities, faster (a copy: the file holds the original)
        return classify.fast_scorer(classify.scoring_pipeline(self.pipeline))

    def predict_proba(self, reports: pd.DataFrame) -> np.ndarray:
        """Claim probability of each row (the rows must be valid: see :func:`claimstats.intake.check_reports`)."""
        return classify.predict_claim_probability(self._scoring_pipeline, _model_inputs(reports, self.columns))

    def metadata(self) -> dict:
        """What a model file stores besides the pipeline (JSON-ready)."""
        return {"format_version": MODEL_FORMAT_VERSION, "claimstats_version": self.claimstats_version,
                "schema_version": self.schema_version,
                "sklearn_version": self.sklearn_version, "feature_set": self.feature_set, "model": self.model,
                "params": self.params, "target_recall": self.target_recall, "threshold": self.threshold,
                "first_recall": self.first_recall, "first_threshold": self.first_threshold,
                "source": self.source, "source_sha256": self.source_sha256, "rows": self.rows,
                "metrics": {k: float(v) for k, v in self.metrics.items()}, "confidence": self.confidence,
                "checks": self.checks}

    def to_frame(self) -> pd.DataFrame:
        """The model's facts as a two-column table."""
        bound = "" if self.confidence is None else f", so at least {format_bounded(self.recall_bound(), '.1%')} on new reports " \
            f"with {self.confidence:.0%} confidence"
        first_bound = "" if self.confidence is None else f"; at least {format_bounded(self.recall_bound(self.first_threshold), '.1%')}"
        items = [("model", classify.MODELS.get(self.model, self.model)),
                 ("features", classify.FEATURE_SETS.get(self.feature_set, self.feature_set)),
                 ("hyper-parameters", self.params), ("trained on", self.source)]
        if self.checks.get("split"):
            items.append(("tested on", self.checks["split"]))
        items += [("review threshold", f"{format_bounded(self.threshold)} (catches "
                   f"{format_bounded(self.validation_recall(), '.1%')} of the validation claims{bound}; "
                   f"target {_percent(self.target_recall)})"),
                  ("review-first threshold", f"{format_bounded(self.first_threshold)} (catches "
                   f"{format_bounded(self.validation_recall(self.first_threshold), '.1%')}{first_bound}; target "
                   f"{_percent(self.first_recall)})")]
        intervals = self.checks.get("intervals", {})
        for k, v in self.metrics.items():
            span = intervals.get(k)
            items.append((f"test {k.replace('_', ' ')}", format_bounded(v, ".4f") + (
                f" (95% interval {format_bounded(span[0], '.4f')} to {format_bounded(span[1], '.4f')})"
                if span else "")))
        items += [("claimstats / schema / scikit-learn",
                   f"{self.claimstats_version} / {self.schema_version} / {self.sklearn_version}")]
        return pd.DataFrame(items, columns=["item", "value"])

    def describe(self) -> str:
        """A sentence for a report."""
        m = self.metrics
        bound = "" if self.confidence is None else (f", so at least {format_bounded(self.recall_bound(), '.1%')} of new claims with "
                                                    f"{self.confidence:.0%} confidence")
        where = "templates it never saw" if "held-out" in self.checks.get("split", "") else "the test split"
        text = (f"A {classify.MODELS.get(self.model, self.model)} on "
                f"{classify.FEATURE_PHRASES.get(self.feature_set, self.feature_set)}, trained on {self.source}; "
                f"reports scored at or above {format_bounded(self.threshold)} are reviewed, which caught "
                f"{format_bounded(self.validation_recall(), '.1%')} of the validation claims{bound} (target "
                f"{_percent(self.target_recall)}); on {where} it reached recall "
                f"{format_bounded(m.get('recall', float('nan')), '.3f')} and precision "
                f"{format_bounded(m.get('precision', float('nan')), '.3f')} above 0.5")
        review = self.checks.get("review", {}).get("recall")
        if review:
            text += (f", and its review threshold caught {format_bounded(review[0], '.1%')} of the test claims "
                     f"(95% interval {format_bounded(review[1], '.1%')} to {format_bounded(review[2], '.1%')})")
        return text + "."


def _percent(share: float) -> str:
    """A target share as people write it: 0.95 → '95%', 0.975 → '97.5%' (0.9999999 → '99.99999%', not '100%')."""
    return format_bounded(100 * share, ".6g", bounds=(0.0, 100.0)) + "%"


def make_claim_model(comparison: ModelComparison, feature_set: str = "all", *,
                     target_recall: float = DEFAULT_TARGET_RECALL, first_recall: float = DEFAULT_FIRST_RECALL,
                     source: str = "", source_sha256: str | None = None,
                     confidence: float | None = DEFAULT_CONFIDENCE) -> ClaimModel:
    """The champion of one feature set, with its thresholds chosen on validation.

    When the comparison measured held-out phrasing, the model is the
    champion refitted on the training templates, its thresholds are chosen
    on reports phrased in ways it never saw (the validation templates), with
    ``confidence`` that recall on new reports reaches each target, and they
    are checked once on the test templates (:attr:`ClaimModel.checks`).
    Otherwise the random split's champion and validation rows are used.
    """
    from claimstats import __version__

    check_recall(target_recall)
    check_recall(first_recall, "first-tier recall")
    if confidence is not None and not 0 < confidence < 1:
        raise ClaimstatsError(f"confidence must be between 0 and 1; got {confidence}")
    evaluation = comparison.evaluations.get(feature_set)
    if evaluation is None:
        raise ClaimstatsError(f"feature set {feature_set!r} was not compared; available: "
                              f"{', '.join(comparison.evaluations)}")
    row = comparison.candidates[(comparison.candidates["feature_set"] == feature_set)
                                & comparison.candidates["champion"]].iloc[0]
    first = min(first_recall, target_recall)
    phrasing = comparison.phrasing
    if phrasing is not None and feature_set in phrasing.evaluations:
        pipeline, tested = phrasing.pipelines[feature_set], phrasing.evaluations[feature_set]
        labels, scores = phrasing.validation_scores[feature_set]
        split = (f"held-out phrasing: {len(phrasing.split.test):,} test reports in {phrasing.templates['test']:,} "
                 f"templates (first {phrasing.words} words) the model never saw")
        rows = {name: len(part) for name, part in zip(("train", "validation", "test"), phrasing.split)}
    else:
        pipeline, tested = comparison.champion(feature_set), evaluation
        labels, scores = comparison.validation_scores[feature_set]
        split = "a random split of the reports (phrasing templates shared with training)"
        rows = {"train": comparison.n_train, "validation": comparison.n_validation, "test": comparison.n_test}
    groups = None
    if phrasing is not None and feature_set in phrasing.evaluations and confidence is not None:
        groups = pd.factorize(opening(phrasing.split.validation, phrasing.words))[0].astype(np.int64)
    review, first_threshold = (float(v) for v in thresholds_for_recall(labels, scores, [target_recall, first],
                                                                        confidence, groups))
    checks = {"split": split, "random_split": {k: float(v) for k, v in evaluation.metrics.items()}}
    if tested.intervals is not None:
        checks["intervals"] = {r.metric: [float(r.low), float(r.high), r.method]
                               for r in tested.intervals.itertuples()}
        for tier, cut in (("review", review), ("review_first", first_threshold)):
            table = metric_intervals(tested.y_true, tested.scores, cut, seed=comparison.seed)
            table["metric"] = table["metric"].replace({"workload_saving": "workload saving"})
            shown = table[table["metric"].isin(["recall", "precision", "workload saving"])]
            checks[tier] = {r.metric: [float(r.value), float(r.low), float(r.high), r.method]
                            for r in shown.itertuples()}
            reviewed = flagged_at(tested.scores, cut)
            share, (low, high) = float(reviewed.mean()), proportion_interval(int(reviewed.sum()), len(reviewed))
            checks[tier]["share reviewed"] = [share, low, high, "exact"]
    made = ClaimModel(
        pipeline=pipeline, feature_set=feature_set, model=evaluation.model,
        params=str(row["params"]), target_recall=float(target_recall), threshold=review, first_recall=float(first),
        first_threshold=first_threshold, validation_labels=np.asarray(labels, np.int64),
        validation_scores=np.asarray(scores, float), metrics=dict(tested.metrics), source=source,
        source_sha256=source_sha256, rows=rows, claimstats_version=__version__, schema_version=SCHEMA_VERSION,
        sklearn_version=sklearn.__version__, confidence=confidence, checks=checks, validation_groups=groups)
    return made._chose_thresholds(first_threshold, review)


def train_claim_model(data: pd.DataFrame, *, feature_set: str = "all", grid: str = "small", cv: int = 5,
                      seed: int = 0, target_recall: float = DEFAULT_TARGET_RECALL,
                      first_recall: float = DEFAULT_FIRST_RECALL, source: str = "", source_sha256: str | None = None,
                      importance_repeats: int | None = None, n_jobs: int | None = None,
                      confidence: float | None = DEFAULT_CONFIDENCE, phrasing_words: int | None = TEMPLATE_WORDS):
    """Compare the models on one feature set and keep its champion: ``(ClaimModel, ModelComparison)``.

    See :func:`claimstats.comparison.compare_models` for the method and
    :func:`make_claim_model` for the thresholds: the "review" tier for
    ``target_recall`` and the "review first" tier for ``first_recall``, each
    reached on new reports with ``confidence``, chosen and checked on
    phrasing templates the model never saw (``phrasing_words=None``: on a
    random split).
    """
    check_recall(target_recall)
    comparison = compare_models(data, feature_sets=(feature_set,), grid=grid, cv=cv, seed=seed,
                                importance_repeats=importance_repeats, n_jobs=n_jobs, target_recall=target_recall,
                                phrasing_words=phrasing_words)
    model = make_claim_model(comparison, feature_set, target_recall=target_recall, first_recall=first_recall,
                             source=source or "a data frame", source_sha256=source_sha256, confidence=confidence)
    return model, comparison


def evaluate_model(model: ClaimModel, data: pd.DataFrame, *, threshold: float | None = None,
                   importance_repeats: int = 0, seed: int = 0) -> Evaluation:
    """Score a trained model on labelled rows, at its review threshold (or ``threshold``).

    Rows missing a label or an input are left out. Rows the model was trained
    or validated on give optimistic scores: evaluate on new data.
    """
    usable = data.dropna(subset=[TARGET, *model.columns])
    if usable.empty:
        raise ClaimstatsError("no rows with a claim_status and every input the model reads")
    return evaluate(model.pipeline, _model_inputs(usable, [TARGET, *model.columns]),
                    threshold=model.threshold if threshold is None else threshold,
                    importance_repeats=importance_repeats, seed=seed, feature_set=model.feature_set,
                    model=model.model, held_out=False)  # whether the rows are new is not known here


def _parsed(column: pd.Series) -> pd.Series:
    """A text column of numbers as float64 (:func:`~claimstats.intake.as_numbers`); text that is not a
    number raises pandas's error, as ``pd.to_numeric`` does."""
    values = as_numbers(column)
    if (column.notna().to_numpy() & np.isnan(values)).any():
        return pd.to_numeric(column).astype(float)  # raises, naming the value
    return pd.Series(values, index=column.index, name=column.name)


def _model_inputs(reports: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The model's columns with the types it was trained on (numbers as numbers, labels as text)."""
    out = {}
    for name in columns:
        col = reports[name]
        if name in (DURATION, *COUNT_COLUMNS):
            out[name] = col if pd.api.types.is_numeric_dtype(col) else _parsed(col)
        else:
            out[name] = col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) else col
    return pd.DataFrame(out, index=reports.index)


# ------------------------------------------------------------------- queue


def tier_of(scores: np.ndarray, first: float, review: float) -> np.ndarray:
    """The tier of each score: :data:`TIERS` at or above ``first``, at or above ``review``, below.

    Examples
    --------
    >>> tier_of(np.array([0.9, 0.5, 0.1]), first=0.8, review=0.4).tolist()
    ['review first', 'review', 'low priority']
    """
    return np.where(scores >= first, TIERS[0], np.where(scores >= review, TIERS[1], TIERS[2]))


def _ranked(frame: pd.DataFrame, scores: np.ndarray, rows: np.ndarray, first: float, review: float,
            start_rank: int = 1) -> pd.DataFrame:
    """``frame`` in queue order (highest score first, ties by arrival) with rank, tier and score in front."""
    order = np.lexsort((rows, -scores))
    out = frame.iloc[order].reset_index(drop=True)
    s = scores[order]
    out.insert(0, SCORE_COLUMN, s)
    out.insert(0, "tier", tier_of(s, first, review))
    out.insert(0, "rank", np.arange(start_rank, start_rank + len(out)))
    return out


def prioritize(model: ClaimModel, reports: pd.DataFrame, *, target_recall: float | None = None,
               first_recall: float | None = None) -> pd.DataFrame:
    """Score a backlog and return it ranked, with the claim probability and a review tier.

    Parameters
    ----------
    model : ClaimModel
    reports : DataFrame
        One row per reported video, with the contract's columns
        (``claim_status`` may be absent); the order of the rows is their
        arrival order, which breaks ties in score. The course file's variants
        are read as :func:`claimstats.load` reads them
        (:func:`claimstats.intake.normalise_reports`); the rows are returned
        as given.
    target_recall, first_recall : float, optional
        Recalls on validation that set the "review" and "review first"
        thresholds (default: the model's, usually 95% and 80%).

    Returns
    -------
    DataFrame
        ``rank`` (1 = review first), ``tier`` (:data:`TIERS`),
        ``claim_probability``, then the report's columns.

    Raises
    ------
    ClaimstatsError
        When a row breaks the contract (see :func:`claimstats.intake.check_reports`; the
        command ``claimstats triage`` sets such rows aside instead).
    """
    view = normalise_reports(reports)
    reasons = check_reports(view, model.columns)
    bad = reasons != ""
    if bad.any():
        first_bad = int(np.flatnonzero(bad.to_numpy())[0])
        raise ClaimstatsError(f"{int(bad.sum()):,} reports cannot be scored (row {first_bad + 1}: "
                              f"{reasons.iloc[first_bad]}); see claimstats.intake.check_reports")
    first, review = model.thresholds(target_recall, first_recall)
    scores = model.predict_proba(view)
    return _ranked(reports, scores, np.arange(len(reports)), first, review)
