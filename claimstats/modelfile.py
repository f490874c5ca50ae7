"""Execute: model files, written with ``skops`` and read back only when they are claimstats' own.

:func:`save_model` writes a :class:`~claimstats.triage.ClaimModel` (its
pipeline, validation scores and metadata) to one file; :func:`load_model`
reads it back only when every type in it is one a claimstats model holds
(:data:`TRUSTED_TYPES`), the file says it was made by claimstats, and its data
schema version is this one's. Anything else raises :class:`ModelFileError`
and no code from the file runs.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> import claimstats
>>> from claimstats.triage import train_claim_model
>>> tidy, _ = claimstats.clean(claimstats.load("synthetic:5", rows=1500).frame)
>>> model, _ = train_claim_model(tidy, feature_set="upload", grid="fast", importance_repeats=0)
>>> with tempfile.TemporaryDirectory() as folder:
...     loaded = load_model(save_model(model, Path(folder) / "model.skops"))
>>> loaded.metadata() == model.metadata()
True
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from claimstats import classify
from claimstats.errors import ClaimstatsError
from claimstats.schema import SCHEMA_VERSION
from claimstats.triage import MODEL_FORMAT_VERSION, ClaimModel

__all__ = ["TRUSTED_TYPES", "ModelFileError", "load_model", "save_model"]

MODEL_FORMAT = "claimstats-model"
#: Types a claimstats model file may hold beyond those skops trusts by default: our two
#: transformers and the fitted trees of the forest and of gradient boosting. Anything
#: else in a file means it was not written by :func:`save_model`; it is never loaded.
TRUSTED_TYPES = (
    "claimstats.classify.EngagementFeatures",
    "claimstats.classify.TextFeatures",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
)


class ModelFileError(ClaimstatsError):
    """A model file that claimstats will not load: foreign, corrupt or for another schema."""


def save_model(model: ClaimModel, path) -> Path:
    """Write a model file (skops format) that :func:`load_model` will accept.

    Refuses to write a pipeline holding a type outside :data:`TRUSTED_TYPES`:
    such a file could not be loaded safely.
    """
    import skops.io as sio

    payload = {"format": MODEL_FORMAT, "metadata": json.dumps(model.metadata(), sort_keys=True),
               "pipeline": model.pipeline, "validation_labels": np.asarray(model.validation_labels, np.int64),
               "validation_scores": np.asarray(model.validation_scores, float)}
    if model.validation_groups is not None:
        payload["validation_groups"] = np.asarray(model.validation_groups, np.int64)
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
    feature_set = meta.get("feature_set")
    if (not isinstance(pipeline, Pipeline) or feature_set not in classify.FEATURE_SETS
            or list(getattr(pipeline, "feature_names_in_", ())) != classify.input_columns(feature_set)):
        raise ModelFileError(f"{where}: corrupt model file (no fitted pipeline for its feature set)")
    try:
        labels = np.asarray(payload["validation_labels"], dtype=np.int64)
        scores = np.asarray(payload["validation_scores"], dtype=float)
        if labels.ndim != 1 or labels.shape != scores.shape or not np.isin(labels, (0, 1)).all() \
                or not labels.any():
            raise ValueError("validation labels or scores")
        groups = payload.get("validation_groups")
        if groups is not None:
            groups = np.asarray(groups, dtype=np.int64)
            if groups.shape != labels.shape:
                raise ValueError("validation groups")
        return ClaimModel(
            pipeline=pipeline, feature_set=feature_set, model=str(meta["model"]), params=str(meta["params"]),
            target_recall=float(meta["target_recall"]), threshold=float(meta["threshold"]),
            first_recall=float(meta["first_recall"]), first_threshold=float(meta["first_threshold"]),
            validation_labels=labels, validation_scores=scores,
            metrics={k: float(v) for k, v in dict(meta["metrics"]).items()}, source=str(meta["source"]),
            source_sha256=meta["source_sha256"], rows=dict(meta["rows"]),
            claimstats_version=str(meta["claimstats_version"]), schema_version=version,
            sklearn_version=str(meta["sklearn_version"]),
            confidence=None if meta.get("confidence") is None else float(meta["confidence"]),
            checks=dict(meta.get("checks") or {}), validation_groups=groups)
    except (KeyError, TypeError, ValueError) as err:  # hand-edited or damaged: say so, not a traceback
        what = f"{err} is missing" if isinstance(err, KeyError) else f"malformed {err}"
        raise ModelFileError(f"{where}: corrupt model file ({what})") from None
