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

:func:`triage_file` does the same for a CSV file of any size: it reads it in
chunks, checks each row against the data contract (:func:`check_reports`;
rejected rows go to a side file with the reason), scores the valid rows, writes
each scored chunk sorted to a temporary file and merges those files into the
queue, so memory stays bounded by the chunk size, not the file size.

Model files are written with ``skops`` (:func:`save_model`) and read back
only when every type in them is one a claimstats model holds
(:data:`TRUSTED_TYPES`), the file says it was made by claimstats, and its data
schema version is this one's (:func:`load_model`). Output CSVs are safe to open
in a spreadsheet: a text cell that starts like a formula is prefixed with
``'`` (:func:`neutralize_formulas`).

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

import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.pipeline import Pipeline

from claimstats import classify
from claimstats.errors import ClaimstatsError
from claimstats.schema import (
    CATEGORIES,
    COLUMNS,
    COUNT_COLUMNS,
    DURATION,
    DURATION_RANGE,
    SCHEMA_VERSION,
    TARGET,
    TEXT,
    VIDEO_ID,
    VIDEO_ID_RANGE,
)

__all__ = [
    "DEFAULT_FIRST_RECALL",
    "DEFAULT_TARGET_RECALL",
    "REPORT_COLUMNS",
    "TIERS",
    "TRUSTED_TYPES",
    "ClaimModel",
    "ModelFileError",
    "TriageReport",
    "WorkloadCurve",
    "check_reports",
    "evaluate_model",
    "load_model",
    "make_claim_model",
    "neutralize_formulas",
    "prioritize",
    "save_model",
    "threshold_for_recall",
    "train_claim_model",
    "triage_file",
    "workload_curve",
]

DEFAULT_TARGET_RECALL = 0.95
DEFAULT_FIRST_RECALL = 0.80
TIERS = ("review first", "review", "low priority")
#: Columns a reports file must have: the contract's, except the label.
REPORT_COLUMNS = tuple(c for c in COLUMNS if c != TARGET)
DEFAULT_CHUNKSIZE = 50_000
MODEL_FORMAT = "claimstats-model"
#: Bump when what a model file holds changes shape (a new transformer, renamed attributes).
MODEL_FORMAT_VERSION = 1
#: Types a claimstats model file may hold beyond those skops trusts by default: our two
#: transformers and the fitted trees of the forest and of gradient boosting. Anything
#: else in a file means it was not written by :func:`save_model`; it is never loaded.
TRUSTED_TYPES = (
    "claimstats.classify.EngagementFeatures",
    "claimstats.classify.TextFeatures",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SCORE, _ROW = "claim_probability", "_row"
_MAX_FAN_IN = 128


class ModelFileError(ClaimstatsError):
    """A model file that claimstats will not load: foreign, corrupt or for another schema."""


# -------------------------------------------------------------- thresholds


def _check_recall(target: float, what: str = "target recall") -> float:
    if not 0 < target <= 1:
        raise ClaimstatsError(f"{what} must be above 0 and at most 1; got {target}")
    return float(target)


def threshold_for_recall(y_true, scores, target: float = DEFAULT_TARGET_RECALL) -> float:
    """The highest threshold whose flagged rows (score ≥ threshold) catch ``target`` of the claims.

    On the rows it is chosen on, ``recall(scores >= threshold) >= target`` holds
    exactly: the threshold is the score of the ⌈target × claims⌉-th highest-scored
    claim. On new rows it is an estimate.

    Examples
    --------
    >>> threshold_for_recall([1, 1, 1, 1, 0], [0.9, 0.8, 0.3, 0.7, 0.5], target=0.75)
    0.7
    """
    _check_recall(target)
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(scores, dtype=float)
    claims = np.sort(p[y == 1])[::-1]
    if not len(claims):
        raise ClaimstatsError("cannot choose a threshold for a recall: there are no claims among the rows")
    needed = max(1, math.ceil(target * len(claims) - 1e-9))  # 1e-9: 0.95 × 20 is 19, not 19.000000000000004
    return float(claims[needed - 1])


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
        _check_recall(target)
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

    def describe(self, threshold: float) -> str:
        """A sentence for a report.

        Examples
        --------
        >>> curve = workload_curve([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.1, 0.2])
        >>> curve.describe(0.7)
        'Reviewing the 3 of 5 reports (60.0%) scored at or above 0.7 catches 100.0% of the 2 claims; in arrival order the same recall takes 100.0% of the reports on average, so the ranking saves 40.0% of the reviewing (40.0% of everything).'
        """
        ranked = self.at_threshold(threshold)
        r = ranked["share_caught"]
        return (f"Reviewing the {ranked['reviewed']:,} of {self.n_reports:,} reports ({ranked['share_reviewed']:.1%}) "
                f"scored at or above {threshold:.4g} catches {r:.1%} of the {self.n_claims:,} claims; in arrival "
                f"order the same recall takes {r:.1%} of the reports on average, so the ranking saves "
                f"{r - ranked['share_reviewed']:.1%} of the reviewing ({1 - ranked['share_reviewed']:.1%} of "
                "everything).")


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
    on them (:meth:`thresholds`). ``metrics`` are its test-split scores.
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

    @property
    def columns(self) -> list[str]:
        """The data columns the model reads."""
        return classify.input_columns(self.feature_set)

    def thresholds(self, target_recall: float | None = None, first_recall: float | None = None) -> tuple[float, float]:
        """``(review-first threshold, review threshold)`` for the given recalls, chosen on validation."""
        target = self.target_recall if target_recall is None else _check_recall(target_recall)
        first = self.first_recall if first_recall is None else _check_recall(first_recall, "first-tier recall")
        review = threshold_for_recall(self.validation_labels, self.validation_scores, target)
        top = threshold_for_recall(self.validation_labels, self.validation_scores, min(first, target))
        return top, review

    def predict_proba(self, reports: pd.DataFrame) -> np.ndarray:
        """Claim probability of each row (the rows must be valid: see :func:`check_reports`)."""
        return classify.predict_claim_probability(self.pipeline, _model_inputs(reports, self.columns))

    def metadata(self) -> dict:
        """What a model file stores besides the pipeline (JSON-ready)."""
        return {"format_version": MODEL_FORMAT_VERSION, "claimstats_version": self.claimstats_version,
                "schema_version": self.schema_version,
                "sklearn_version": self.sklearn_version, "feature_set": self.feature_set, "model": self.model,
                "params": self.params, "target_recall": self.target_recall, "threshold": self.threshold,
                "first_recall": self.first_recall, "first_threshold": self.first_threshold,
                "source": self.source, "source_sha256": self.source_sha256, "rows": self.rows,
                "metrics": {k: float(v) for k, v in self.metrics.items()}}

    def to_frame(self) -> pd.DataFrame:
        """The model's facts as a two-column table."""
        items = [("model", classify.MODELS.get(self.model, self.model)),
                 ("features", classify.FEATURE_SETS.get(self.feature_set, self.feature_set)),
                 ("hyper-parameters", self.params), ("trained on", self.source),
                 ("review threshold", f"{self.threshold:.4g} (recall {self.target_recall:.0%} on validation)"),
                 ("review-first threshold", f"{self.first_threshold:.4g} (recall {self.first_recall:.0%})")]
        items += [(f"test {k.replace('_', ' ')}", f"{v:.4f}") for k, v in self.metrics.items()]
        items += [("claimstats / schema / scikit-learn",
                   f"{self.claimstats_version} / {self.schema_version} / {self.sklearn_version}")]
        return pd.DataFrame(items, columns=["item", "value"])

    def describe(self) -> str:
        """A sentence for a report."""
        m = self.metrics
        return (f"A {classify.MODELS.get(self.model, self.model)} on "
                f"{classify.FEATURE_PHRASES.get(self.feature_set, self.feature_set)}, trained on {self.source}; "
                f"reports scored at or above {self.threshold:.4g} are reviewed, which caught "
                f"{self.target_recall:.0%} of the validation claims; on the test split it reached recall "
                f"{m.get('recall', float('nan')):.3f} and precision {m.get('precision', float('nan')):.3f} at 0.5.")


def make_claim_model(comparison: classify.ModelComparison, feature_set: str = "all", *,
                     target_recall: float = DEFAULT_TARGET_RECALL, first_recall: float = DEFAULT_FIRST_RECALL,
                     source: str = "", source_sha256: str | None = None) -> ClaimModel:
    """The champion of one feature set, with its thresholds chosen on validation."""
    from claimstats import __version__

    _check_recall(target_recall)
    _check_recall(first_recall, "first-tier recall")
    evaluation = comparison.evaluations.get(feature_set)
    if evaluation is None:
        raise ClaimstatsError(f"feature set {feature_set!r} was not compared; available: "
                              f"{', '.join(comparison.evaluations)}")
    labels, scores = comparison.validation_scores[feature_set]
    row = comparison.candidates[(comparison.candidates["feature_set"] == feature_set)
                                & comparison.candidates["champion"]].iloc[0]
    first = min(first_recall, target_recall)
    return ClaimModel(
        pipeline=comparison.champion(feature_set), feature_set=feature_set, model=evaluation.model,
        params=str(row["params"]), target_recall=float(target_recall),
        threshold=threshold_for_recall(labels, scores, target_recall), first_recall=float(first),
        first_threshold=threshold_for_recall(labels, scores, first), validation_labels=np.asarray(labels, np.int64),
        validation_scores=np.asarray(scores, float), metrics=dict(evaluation.metrics), source=source,
        source_sha256=source_sha256,
        rows={"train": comparison.n_train, "validation": comparison.n_validation, "test": comparison.n_test},
        claimstats_version=__version__, schema_version=SCHEMA_VERSION, sklearn_version=sklearn.__version__)


def train_claim_model(data: pd.DataFrame, *, feature_set: str = "all", grid: str = "small", cv: int = 5,
                      seed: int = 0, target_recall: float = DEFAULT_TARGET_RECALL,
                      first_recall: float = DEFAULT_FIRST_RECALL, source: str = "", source_sha256: str | None = None,
                      importance_repeats: int | None = None, n_jobs: int | None = None):
    """Compare the models on one feature set and keep its champion: ``(ClaimModel, ModelComparison)``.

    See :func:`claimstats.classify.compare_models` for the method; the model's
    thresholds are chosen on the validation split for ``target_recall`` (the
    "review" tier) and ``first_recall`` (the "review first" tier).
    """
    _check_recall(target_recall)
    comparison = classify.compare_models(data, feature_sets=(feature_set,), grid=grid, cv=cv, seed=seed,
                                         importance_repeats=importance_repeats, n_jobs=n_jobs)
    model = make_claim_model(comparison, feature_set, target_recall=target_recall, first_recall=first_recall,
                             source=source or "a data frame", source_sha256=source_sha256)
    return model, comparison


def evaluate_model(model: ClaimModel, data: pd.DataFrame, *, threshold: float | None = None,
                   importance_repeats: int = 0, seed: int = 0) -> classify.Evaluation:
    """Score a trained model on labelled rows, at its review threshold (or ``threshold``).

    Rows missing a label or an input are left out. Rows the model was trained
    or validated on give optimistic scores: evaluate on new data.
    """
    usable = data.dropna(subset=[TARGET, *model.columns])
    if usable.empty:
        raise ClaimstatsError("no rows with a claim_status and every input the model reads")
    return classify.evaluate(model.pipeline, _model_inputs(usable, [TARGET, *model.columns]),
                             threshold=model.threshold if threshold is None else threshold,
                             importance_repeats=importance_repeats, seed=seed, feature_set=model.feature_set,
                             model=model.model)


# --------------------------------------------------------------- model files


def save_model(model: ClaimModel, path) -> Path:
    """Write a model file (skops format) that :func:`load_model` will accept.

    Refuses to write a pipeline holding a type outside :data:`TRUSTED_TYPES`:
    such a file could not be loaded safely.
    """
    import skops.io as sio

    payload = {"format": MODEL_FORMAT, "metadata": json.dumps(model.metadata(), sort_keys=True),
               "pipeline": model.pipeline, "validation_labels": np.asarray(model.validation_labels, np.int64),
               "validation_scores": np.asarray(model.validation_scores, float)}
    data = sio.dumps(payload)
    foreign = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
    if foreign:
        raise ClaimstatsError(f"cannot save this model: it holds types a model file may not contain "
                              f"({', '.join(foreign)})")
    target = Path(path)
    target.write_bytes(data)
    return target


def load_model(path) -> ClaimModel:
    """Read a model file written by :func:`save_model`, refusing anything else.

    No code from the file runs: skops rebuilds only types it trusts by default
    plus :data:`TRUSTED_TYPES`, checked before loading. The file must say it
    was made by claimstats, for this data schema version.

    Raises
    ------
    ModelFileError
        When the file is not a skops archive, holds other types, was not made
        by claimstats, or was made for another schema version.
    FileNotFoundError
        When there is no such file.
    """
    import skops.io as sio

    where = Path(path)
    if not where.exists():
        raise FileNotFoundError(f"{where}: no such file")
    if where.is_dir():
        raise ModelFileError(f"{where}: is a folder, not a model file")
    try:
        found = sio.get_untrusted_types(file=where)
    except Exception as err:  # anything unreadable: a zip error, a missing or bad schema.json
        raise ModelFileError(f"{where}: not a claimstats model file (cannot read it as a skops archive: "
                             f"{type(err).__name__})") from None
    foreign = sorted(set(found) - set(TRUSTED_TYPES))
    if foreign:
        raise ModelFileError(f"{where}: not a claimstats model file; it holds types claimstats never saves "
                             f"({', '.join(foreign[:3])}{', …' if len(foreign) > 3 else ''}), so it is not loaded")
    try:
        payload = sio.load(where, trusted=list(found))
    except Exception as err:
        raise ModelFileError(f"{where}: corrupt model file ({type(err).__name__}: {err})") from None
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{where}: not a claimstats model file (made by another program); "
                             "train one with `claimstats train`")
    try:
        meta = json.loads(payload["metadata"])
        version = meta["schema_version"]
    except (KeyError, TypeError, ValueError):
        raise ModelFileError(f"{where}: corrupt model file (its metadata cannot be read)") from None
    if version != SCHEMA_VERSION:
        raise ModelFileError(f"{where}: made for data schema version {version}, but this claimstats uses schema "
                             f"version {SCHEMA_VERSION}; retrain it with `claimstats train`")
    if meta.get("format_version") != MODEL_FORMAT_VERSION:
        raise ModelFileError(f"{where}: made by claimstats {meta.get('claimstats_version', '?')} in model format "
                             f"{meta.get('format_version')}, which this claimstats ({MODEL_FORMAT_VERSION}) cannot "
                             "read; retrain it with `claimstats train`")
    pipeline = payload.get("pipeline")
    if not isinstance(pipeline, Pipeline) or meta.get("feature_set") not in classify.FEATURE_SETS:
        raise ModelFileError(f"{where}: corrupt model file (no fitted pipeline or an unknown feature set)")
    return ClaimModel(
        pipeline=pipeline, feature_set=meta["feature_set"], model=meta["model"], params=meta["params"],
        target_recall=meta["target_recall"], threshold=meta["threshold"], first_recall=meta["first_recall"],
        first_threshold=meta["first_threshold"], validation_labels=np.asarray(payload["validation_labels"]),
        validation_scores=np.asarray(payload["validation_scores"], float), metrics=meta["metrics"],
        source=meta["source"], source_sha256=meta["source_sha256"], rows=meta["rows"],
        claimstats_version=meta["claimstats_version"], schema_version=version,
        sklearn_version=meta["sklearn_version"])


# ------------------------------------------------------------ checking rows


def _numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64 and a mask of present values that are not numbers."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    return values, column.notna().to_numpy() & np.isnan(values)


def check_reports(reports: pd.DataFrame, needed=REPORT_COLUMNS) -> pd.Series:
    """Why each row cannot be scored: ``""`` for a valid row, else the reasons joined by ``"; "``.

    The rules are the data contract's (:mod:`claimstats.schema`) for a reports
    file: every contract column but ``claim_status`` is in the header;
    ``claim_status`` may be absent or empty; the transcription and the counts
    may be empty only when they are not in ``needed`` (the columns the model
    reads); every value present must be valid. A file's header must have the
    columns (a :class:`ClaimstatsError` otherwise); other columns are kept.

    Examples
    --------
    >>> import pandas as pd
    >>> from claimstats import simulate
    >>> reports = simulate(3, seed=1).drop(columns="claim_status")
    >>> reports.loc[1, "video_duration_sec"] = 99
    >>> check_reports(reports).tolist()
    ['', 'video_duration_sec: outside 5–60', '']
    """
    missing = [c for c in REPORT_COLUMNS if c not in reports.columns]
    if missing:
        raise ClaimstatsError(f"a reports file needs the columns {', '.join(REPORT_COLUMNS)}; missing: "
                              f"{', '.join(missing)}")
    n = len(reports)
    reasons = np.full(n, "", dtype=object)

    def flag(mask: np.ndarray, message: str) -> None:
        if mask.any():
            current = reasons[mask]
            reasons[mask] = np.where(current == "", message, current + "; " + message)

    needed = set(needed)
    for name in [c for c in COLUMNS if c in reports.columns]:
        col = reports[name]
        empty = col.isna().to_numpy()
        if name != TARGET and (name in needed or name not in (TEXT, *COUNT_COLUMNS)):
            flag(empty, f"{name}: missing")
        if name in CATEGORIES:
            flag(~empty & ~col.isin(CATEGORIES[name]).to_numpy(), f"{name}: not one of {', '.join(CATEGORIES[name])}")
            continue
        if name == TEXT:
            if not pd.api.types.is_string_dtype(col) or col.dtype == object:
                is_text = np.fromiter((isinstance(v, str) for v in col.to_numpy(object)), bool, n)
                flag(~empty & ~is_text, f"{name}: not text")
            continue
        values, not_number = _numbers(col)
        flag(not_number, f"{name}: not a number")
        finite = np.isfinite(values)
        whole = finite & (values == np.floor(np.where(finite, values, 0)))
        flag(finite & ~whole, f"{name}: not a whole number")
        flag(~empty & ~not_number & ~finite, f"{name}: not a finite number")
        if name == DURATION:
            flag(finite & ((values < DURATION_RANGE[0]) | (values > DURATION_RANGE[1])),
                 f"{name}: outside {DURATION_RANGE[0]}–{DURATION_RANGE[1]}")
        elif name == VIDEO_ID:
            flag(finite & ((values < VIDEO_ID_RANGE[0]) | (values > VIDEO_ID_RANGE[1])), f"{name}: not 10 digits")
        elif name in COUNT_COLUMNS:
            flag(finite & (values < 0), f"{name}: negative")
    return pd.Series(reasons, index=reports.index, name="reason")


def _model_inputs(reports: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The model's columns with the types it was trained on (numbers as numbers, labels as text)."""
    out = {}
    for name in columns:
        col = reports[name]
        if name in (DURATION, *COUNT_COLUMNS):
            out[name] = pd.to_numeric(col).astype(float) if not pd.api.types.is_numeric_dtype(col) else col
        else:
            out[name] = col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) else col
    return pd.DataFrame(out, index=reports.index)


# ------------------------------------------------------------------- queue


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text cells that a spreadsheet would run as a formula start with ``'``.

    Cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    are prefixed; numbers are left alone.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralize_formulas(pd.DataFrame({"t": ["=1+1", "ok", "@SUM(A1)"], "n": [-1, 2, 3]}))["t"].tolist()
    ["'=1+1", 'ok', "'@SUM(A1)"]
    """
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        values = col.astype(object).to_numpy()
        # One pass in C over the joined column finds whether any cell needs a look (most do not).
        if pd.api.types.is_string_dtype(col) and col.dtype != object:
            items = col.fillna("").tolist()
        else:
            items = [v if isinstance(v, str) else "" for v in values]
        joined = "\x00" + "\x00".join(items)
        if not any(f"\x00{start}" in joined for start in _FORMULA_START):
            continue
        risky = np.fromiter((isinstance(v, str) and v.startswith(_FORMULA_START) for v in values), bool, len(values))
        values = values.copy()
        values[risky] = ["'" + v for v in values[risky]]
        out[name] = values
    return out


def _tier(scores: np.ndarray, first: float, review: float) -> np.ndarray:
    return np.where(scores >= first, TIERS[0], np.where(scores >= review, TIERS[1], TIERS[2]))


def _ranked(frame: pd.DataFrame, scores: np.ndarray, rows: np.ndarray, first: float, review: float,
            start_rank: int = 1) -> pd.DataFrame:
    """``frame`` in queue order (highest score first, ties by arrival) with rank, tier and score in front."""
    order = np.lexsort((rows, -scores))
    out = frame.iloc[order].reset_index(drop=True)
    s = scores[order]
    out.insert(0, _SCORE, s)
    out.insert(0, "tier", _tier(s, first, review))
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
        arrival order, which breaks ties in score.
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
        When a row breaks the contract (see :func:`check_reports`; the
        command ``claimstats triage`` sets such rows aside instead).
    """
    reasons = check_reports(reports, model.columns)
    bad = reasons != ""
    if bad.any():
        first_bad = int(np.flatnonzero(bad.to_numpy())[0])
        raise ClaimstatsError(f"{int(bad.sum()):,} reports cannot be scored (row {first_bad + 1}: "
                              f"{reasons.iloc[first_bad]}); see claimstats.triage.check_reports")
    first, review = model.thresholds(target_recall, first_recall)
    scores = model.predict_proba(reports)
    return _ranked(reports, scores, np.arange(len(reports)), first, review)


# --------------------------------------------------------- triage of a file


@dataclass(frozen=True)
class TriageReport:
    """What :func:`triage_file` did: rows in, scored and rejected (with reasons), thresholds, tiers."""

    rows_in: int
    rows_scored: int
    rows_rejected: int
    reasons: tuple[tuple[str, int], ...]
    tiers: tuple[tuple[str, int], ...]
    target_recall: float
    threshold: float
    first_recall: float
    first_threshold: float
    out: str
    rejected_path: str | None
    seconds: float

    def to_frame(self) -> pd.DataFrame:
        """Rows per outcome: each tier, then each rejection reason (a row may have several), then totals."""
        rows = [(f"tier: {tier}", n) for tier, n in self.tiers]
        rows += [(f"rejected: {reason}", n) for reason, n in self.reasons]
        rows += [("rows scored", self.rows_scored), ("rows rejected", self.rows_rejected), ("rows in", self.rows_in)]
        return pd.DataFrame(rows, columns=["outcome", "rows"])

    def describe(self) -> str:
        """A sentence for a report.

        Examples
        --------
        >>> TriageReport(10, 9, 1, (("video_id: missing", 1),), (("review first", 3), ("review", 1),
        ...              ("low priority", 5)), 0.95, 0.42, 0.8, 0.9, "q.csv", "r.csv", 0.1).describe()
        'Scored 9 of 10 reports (1 rejected, listed in r.csv); 4 are above the review threshold 0.42 (recall 95% on validation), 3 of them above the review-first threshold 0.9; queue written to q.csv.'
        """
        above = sum(n for tier, n in self.tiers if tier != TIERS[2])
        first = dict(self.tiers).get(TIERS[0], 0)
        rejected = f" ({self.rows_rejected:,} rejected, listed in {self.rejected_path})" if self.rows_rejected else ""
        return (f"Scored {self.rows_scored:,} of {self.rows_in:,} reports{rejected}; {above:,} are above the review "
                f"threshold {self.threshold:.3g} (recall {self.target_recall:.0%} on validation), {first:,} of them "
                f"above the review-first threshold {self.first_threshold:.3g}; queue written to {self.out}.")


class _Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total_bytes: int, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = max(total_bytes, 1)

    def update(self, done_bytes: int, rows: int, stage: str = "scoring") -> None:
        if self.enabled:
            share = min(done_bytes / self.total, 1.0)
            bar = "#" * int(share * 30)
            self.stream.write(f"\r{stage} [{bar:<30}] {share:4.0%} {rows:,} rows")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _write_csv(frame: pd.DataFrame, handle, header: bool) -> None:
    neutralize_formulas(frame).to_csv(handle, index=False, header=header)


class _SideFile:
    """The rejected rows: opened at the first one (or at the end, header only, when asked for)."""

    def __init__(self, path: Path, always: bool):
        self.path, self.always = path, always
        self.handle = None
        self.rows = 0
        self.reasons: dict[str, int] = {}
        self.columns: list[str] | None = None

    def write(self, rows: pd.DataFrame, numbers: np.ndarray, reasons: np.ndarray) -> None:
        if not len(rows):
            return
        first = self.handle is None
        if first:
            self.handle = open(self.path, "w", newline="", encoding="utf-8")
        side = rows.copy()
        side.insert(0, "reason", reasons)
        side.insert(0, "row", numbers)
        _write_csv(side, self.handle, first)
        self.rows += len(rows)
        for text in reasons:
            for reason in text.split("; "):
                self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def close(self) -> None:
        if self.handle is None and self.always and self.columns is not None:
            self.handle = open(self.path, "w", newline="", encoding="utf-8")
            _write_csv(pd.DataFrame(columns=["row", "reason", *self.columns]), self.handle, True)
        if self.handle is not None:
            self.handle.close()


class _Runs:
    """Scored chunks, each sorted by (score descending, row): the last one in memory, earlier ones on disk."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths: list[Path] = []
        self.last: pd.DataFrame | None = None

    def add(self, run: pd.DataFrame) -> None:
        if self.last is not None:
            self._spill(self.last)
        self.last = run

    def _spill(self, run: pd.DataFrame) -> None:
        self.paths.append(self.folder / f"run{len(self.paths):06d}.csv")
        run.to_csv(self.paths[-1], index=False)

    def merge(self, columns: list[str], emit, chunksize: int) -> None:
        """Feed every row to ``emit`` in queue order, in blocks."""
        if self.last is None:
            return
        if not self.paths:  # the whole file was one chunk: no temporary file at all
            emit(self.last)
            return
        self._spill(self.last)
        paths, block = self.paths, max(500, chunksize // min(len(self.paths), _MAX_FAN_IN))
        round_number = 0
        while len(paths) > _MAX_FAN_IN:  # too many runs to hold a block of each: merge in rounds
            merged = []
            for start in range(0, len(paths), _MAX_FAN_IN):
                part = self.folder / f"round{round_number}-{start:06d}.csv"
                with open(part, "w", newline="", encoding="utf-8") as handle:
                    header = [True]

                    def keep(frame, handle=handle, header=header):
                        frame.to_csv(handle, index=False, header=header[0])
                        header[0] = False
                    _merge_runs(paths[start:start + _MAX_FAN_IN], columns, keep, block)
                merged.append(part)
            paths, round_number = merged, round_number + 1
        _merge_runs(paths, columns, emit, block)


def _read_run(path: Path, columns: list[str], block: int):
    dtypes = {c: str for c in columns}
    dtypes.update({_SCORE: float, _ROW: np.int64})
    return pd.read_csv(path, dtype=dtypes, chunksize=block, keep_default_na=False, na_values=[""])


def _merge_runs(paths: list[Path], columns: list[str], emit, block: int) -> None:
    """Merge runs sorted by (score descending, row ascending) into one stream, block by block.

    Every run keeps at least ``block`` rows buffered (while it has rows left).
    No row still to be read can come before the smallest last buffered key of
    the runs not yet exhausted, so every buffered row up to that key is
    emitted, sorted, at each step. Keeping the buffers full makes each step
    emit about ``block`` rows per run, so the steps number about rows / (runs ×
    block), not rows / block. Memory: at most two blocks per run.
    """
    readers = [iter(_read_run(p, columns, block)) for p in paths]
    buffers: list[pd.DataFrame | None] = [None] * len(paths)
    exhausted = [False] * len(paths)
    while True:
        for i, reader in enumerate(readers):
            while not exhausted[i] and (buffers[i] is None or len(buffers[i]) < block):
                more = next(reader, None)
                if more is None:
                    exhausted[i] = True
                else:
                    buffers[i] = more if buffers[i] is None else pd.concat([buffers[i], more], ignore_index=True)
        live = [i for i, b in enumerate(buffers) if b is not None and len(b)]
        if not live:
            return
        waiting = [i for i in live if not exhausted[i]]
        limit = min(((-buffers[i][_SCORE].iat[-1], buffers[i][_ROW].iat[-1]) for i in waiting),
                    default=(np.inf, np.inf))
        taken = []
        for i in live:
            b = buffers[i]
            key_score, row = -b[_SCORE].to_numpy(), b[_ROW].to_numpy()
            upto = (key_score < limit[0]) | ((key_score == limit[0]) & (row <= limit[1]))
            count = int(upto.sum())  # the buffer is sorted: the rows up to the limit are its first ones
            if count:
                taken.append(b.iloc[:count])
                buffers[i] = b.iloc[count:].reset_index(drop=True)
        pool = pd.concat(taken, ignore_index=True)
        emit(pool.iloc[np.lexsort((pool[_ROW].to_numpy(), -pool[_SCORE].to_numpy()))])


def _chunks(handle, source: Path, chunksize: int):
    """The file's chunks as text (empty cells missing), with CSV problems as one clear error."""
    try:
        yield from pd.read_csv(handle, dtype=str, chunksize=chunksize, encoding="utf-8-sig")
    except pd.errors.ParserError as err:
        detail = str(err).strip().splitlines()[-1]
        raise ClaimstatsError(f"{source}: not a well-formed CSV file: {detail}") from None
    except pd.errors.EmptyDataError:
        raise ClaimstatsError(f"{source}: the file is empty") from None
    except UnicodeDecodeError:
        raise ClaimstatsError(f"{source}: not UTF-8 text; save the file as 'CSV UTF-8'") from None


def _check_header(chunk: pd.DataFrame, needed, source: Path) -> list[str]:
    check_reports(chunk.head(0), needed)  # one clear error naming the missing columns, before any work
    columns = [str(c) for c in chunk.columns]
    clash = [c for c in ("rank", "tier", _SCORE, _ROW) if c in columns]
    if clash:
        raise ClaimstatsError(f"{source}: column {clash[0]!r} clashes with a column of the queue; rename it")
    return columns


def triage_file(model: ClaimModel, path, out, *, target_recall: float | None = None,
                first_recall: float | None = None, chunksize: int = DEFAULT_CHUNKSIZE, rejected=None,
                progress: bool | None = None, temp_dir=None) -> TriageReport:
    """Rank the reports in a CSV file of any size into a review queue file.

    Parameters
    ----------
    model : ClaimModel
    path : path
        CSV with the contract's columns (``claim_status`` may be absent or
        empty); other columns are carried through. Never modified.
    out : path
        The queue: ``rank``, ``tier``, ``claim_probability``, then the input
        columns as they were read, highest probability first (ties in input order).
    target_recall, first_recall : float, optional
        Recalls on validation that set the tier thresholds (default: the model's).
    chunksize : int
        Rows read, checked and scored at a time. Memory grows with it, not
        with the file.
    rejected : path, optional
        Where rows that break the contract go, with their data row number
        (``row``, from 1) and ``reason``. Default: ``<out>.rejected.csv``,
        written only when a row is rejected. Every input row ends in exactly
        one of the two files.
    progress : bool, optional
        Draw a progress bar on stderr; default: when stderr is a terminal.
    temp_dir : path, optional
        Folder for the sorted runs (as much space as the queue needs).

    Returns
    -------
    TriageReport

    Notes
    -----
    Ranking a file larger than memory is an external merge sort: each scored
    chunk is sorted and written to a temporary file (a "run"), then the runs
    are merged block by block (at most 128 at once; more runs are merged in
    rounds). Memory is a few chunks of rows, whatever the file size.
    """
    started = time.perf_counter()
    if chunksize < 1:
        raise ClaimstatsError(f"chunksize must be at least 1; got {chunksize}")
    source, target = Path(path), Path(out)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such file")
    rejected_target = Path(rejected) if rejected else target.with_name(target.stem + ".rejected.csv")
    for written in (target, rejected_target):
        if written.exists() and written.resolve() == source.resolve():
            raise ClaimstatsError(f"{written}: refusing to overwrite the input file")
    target_recall = model.target_recall if target_recall is None else _check_recall(target_recall)
    first_recall = min(model.first_recall if first_recall is None else _check_recall(first_recall), target_recall)
    first, review = model.thresholds(target_recall, first_recall)
    needed = model.columns
    meter = _Progress(source.stat().st_size, progress)
    rows_in = rows_scored = 0
    tiers = dict.fromkeys(TIERS, 0)
    side = _SideFile(rejected_target, always=bool(rejected))
    with tempfile.TemporaryDirectory(prefix="claimstats-triage-", dir=temp_dir) as work, open(source, "rb") as raw:
        runs = _Runs(Path(work))
        try:
            for chunk in _chunks(raw, source, chunksize):
                if side.columns is None:
                    side.columns = _check_header(chunk, needed, source)
                numbers = np.arange(rows_in + 1, rows_in + len(chunk) + 1)  # data rows, from 1
                rows_in += len(chunk)
                reasons = check_reports(chunk, needed).to_numpy()
                bad = reasons != ""
                side.write(chunk[bad], numbers[bad], reasons[bad])
                if not bad.all():
                    good, numbers = chunk[~bad], numbers[~bad]
                    scores = model.predict_proba(good)
                    for tier, n in zip(*np.unique(_tier(scores, first, review), return_counts=True)):
                        tiers[str(tier)] += int(n)
                    order = np.lexsort((numbers, -scores))
                    run = good.iloc[order].reset_index(drop=True)
                    run.insert(0, _ROW, numbers[order])
                    run.insert(0, _SCORE, scores[order])
                    runs.add(run)
                    rows_scored += len(good)
                meter.update(raw.tell(), rows_in)
        finally:
            side.close()
        if side.columns is None:
            raise ClaimstatsError(f"{source}: has a header but no data rows")
        with open(target, "w", newline="", encoding="utf-8") as handle:
            written = [0]

            def write(frame):
                s = frame[_SCORE].to_numpy()
                queue = frame.drop(columns=[_ROW, _SCORE])
                queue.insert(0, _SCORE, s)
                queue.insert(0, "tier", _tier(s, first, review))
                queue.insert(0, "rank", np.arange(written[0] + 1, written[0] + len(frame) + 1))
                _write_csv(queue, handle, written[0] == 0)
                written[0] += len(frame)
                meter.update(written[0], written[0], "writing")

            meter.total = max(rows_scored, 1)
            runs.merge(side.columns, write, chunksize)
            if not written[0]:
                _write_csv(pd.DataFrame(columns=["rank", "tier", _SCORE, *side.columns]), handle, True)
    meter.close()
    return TriageReport(
        rows_in=rows_in, rows_scored=rows_scored, rows_rejected=side.rows,
        reasons=tuple(sorted(side.reasons.items(), key=lambda kv: (-kv[1], kv[0]))), tiers=tuple(tiers.items()),
        target_recall=target_recall, threshold=review, first_recall=first_recall, first_threshold=first,
        out=str(target), rejected_path=str(rejected_target) if side.rows or rejected else None,
        seconds=time.perf_counter() - started)
