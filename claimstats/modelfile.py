"""Execute: model files, written with ``skops`` and read back only when they are claimstats' own.

:func:`save_model` writes a :class:`~claimstats.triage.ClaimModel` (its
pipeline, validation scores and metadata) to one file; :func:`load_model`
reads it back only when every type in it is one a claimstats model holds
(:data:`TRUSTED_TYPES`), the file says it was made by claimstats, its data
schema version is this one's, and every member holds what :func:`save_model`
writes (validation scores that are probabilities, thresholds in [0, 1] that
those scores give for the stated recalls, matching shapes). Before anything is
read, the sizes the archive declares for its members are checked against
:data:`MAX_MODEL_BYTES`, so that a small file cannot inflate into gigabytes.
Anything else raises :class:`ModelFileError` and no code from the file runs.

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
import math
import re
import zipfile
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from claimstats import classify
from claimstats.errors import ClaimstatsError
from claimstats.schema import SCHEMA_VERSION
from claimstats.triage import MODEL_FORMAT_VERSION, ClaimModel, _model_inputs, thresholds_for_recall

__all__ = ["MAX_MODEL_BYTES", "TRUSTED_TYPES", "ModelFileError", "load_model", "save_model"]

MODEL_FORMAT = "claimstats-model"
#: Types a claimstats model file may hold beyond those skops trusts by default: our two
#: transformers, gradient boosting on sparse features, and the fitted trees of the forest and
#: of gradient boosting. Anything
#: else in a file means it was not written by :func:`save_model`; it is never loaded.
TRUSTED_TYPES = (
    "claimstats.classify.EngagementFeatures",
    "claimstats.classify.SparseBoosting",
    "claimstats.classify.TextFeatures",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.tree._tree.Tree",
)

#: Most bytes a model file may unpack to: the uncompressed sizes its members declare, plus
#: every extra read of a member the file's schema asks for. The largest model
#: ``claimstats train`` makes on the course file (a random forest on the text) unpacks to
#: under 3 MB, so 256 MiB leaves room for models trained on far larger files while a
#: "zip bomb" (a few MB that inflate to gigabytes) is refused before anything is unpacked.
MAX_MODEL_BYTES = 256 * 2**20
_SCHEMA_MEMBER = "schema.json"
_SHA256 = re.compile(r"[0-9a-f]{64}")


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
    from claimstats.outputs import atomic_path

    target = Path(path)
    with atomic_path(target) as temporary:  # all or nothing: a full disk leaves the previous file
        temporary.write_bytes(data)
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
    where = Path(path)
    if not where.exists():
        raise FileNotFoundError(f"{where}: no such file")
    if where.is_dir():
        raise ModelFileError(f"{where}: is a folder, not a model file")
    _check_sizes(where)
    import skops.io as sio  # after the cheap checks: a refused file costs no import
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
        model = _model_from(payload, meta, pipeline)
    except (KeyError, TypeError, ValueError, OverflowError) as err:  # hand-edited or damaged: say so, not a traceback
        what = f"{err} is missing" if isinstance(err, KeyError) else f"malformed {err}"
        raise ModelFileError(f"{where}: corrupt model file ({what})") from None
    return model


def _check_sizes(where: Path) -> None:
    """Refuse a file that would unpack to more than :data:`MAX_MODEL_BYTES`, reading only its directory.

    The zip's central directory declares each member's uncompressed size, and
    reading a member never yields more than it declares; the schema says which
    member each array is read from (a member named twice is read twice).
    """
    try:
        with zipfile.ZipFile(where) as archive:
            members = archive.infolist()
            declared = {info.filename: info.file_size for info in members}
            total = sum(declared.values())
            packed = sum(info.compress_size for info in members)
            odd = sorted({info.compress_type for info in members} - {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
            if odd:
                raise ModelFileError(f"{where}: not a claimstats model file (members compressed with zip method "
                                     f"{', '.join(map(str, odd))}; claimstats writes them stored or deflated)")
            if total > MAX_MODEL_BYTES:
                raise ModelFileError(_too_large(where, total, packed))
            if _SCHEMA_MEMBER not in declared:
                return  # the skops reader says the file is not one of its archives
            schema = json.loads(archive.read(_SCHEMA_MEMBER))
    except ModelFileError:
        raise
    except Exception:  # not a zip, or an unreadable schema: the skops reader below says so
        return
    reads = sum(declared.get(name, 0) for name in _files_named(schema))
    if declared[_SCHEMA_MEMBER] + reads > MAX_MODEL_BYTES:
        raise ModelFileError(_too_large(where, declared[_SCHEMA_MEMBER] + reads, packed, reread=True))


def _too_large(where: Path, total: int, packed: int, reread: bool = False) -> str:
    how = "reading its members as its schema asks" if reread else "its members"
    return (f"{where}: not loaded: {how} would unpack {total:,} bytes from {packed:,} stored, more than a model "
            f"file may hold ({MAX_MODEL_BYTES:,} bytes, claimstats.modelfile.MAX_MODEL_BYTES); "
            "it was not written by `claimstats train`")


def _files_named(schema) -> list[str]:
    """Every array member a skops schema reads (its ``"file"`` entries), once per read.

    skops builds a node once per ``__id__``, so a node repeated with the same id is read once.
    """
    names, stack, seen = [], [schema], set()
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ident = node.get("__id__")  # skops memoizes a node only under a true id
            ident = ident if ident and isinstance(ident, (int, str)) else None
            if isinstance(node.get("file"), str) and (ident is None or ident not in seen):
                names.append(node["file"])
                seen.add(ident)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


def _model_from(payload: dict, meta: dict, pipeline: Pipeline) -> ClaimModel:
    """The :class:`ClaimModel` a file holds, once every member is what :func:`save_model` writes.

    Raises ``KeyError`` for a missing member, ``ValueError``/``TypeError`` naming a malformed one.
    """
    labels = np.asarray(payload["validation_labels"])
    scores = np.asarray(payload["validation_scores"])
    if labels.ndim != 1 or labels.shape != scores.shape or not labels.size:
        raise ValueError(f"validation labels or scores (shapes {labels.shape} and {scores.shape}; "
                         "they must be two lists of the same length)")
    if labels.dtype.kind not in "iub" or not np.isin(labels, (0, 1)).all() or not labels.any():
        raise ValueError("validation labels or scores (the labels must be 0 or 1, with at least one claim)")
    if scores.dtype.kind not in "iuf" or not np.isfinite(scores).all() or not ((scores >= 0) & (scores <= 1)).all():
        raise ValueError("validation labels or scores (the scores must be probabilities: finite, from 0 to 1)")
    labels, scores = labels.astype(np.int64), scores.astype(float)
    values = {name: _share(meta, name, low_open=name.endswith("recall"))
              for name in ("target_recall", "first_recall", "threshold", "first_threshold")}
    if values["first_recall"] > values["target_recall"]:
        raise ValueError(f"first_recall {values['first_recall']!r} (above the target recall)")
    groups = payload.get("validation_groups")
    if groups is not None:
        groups = np.asarray(groups)
        if groups.dtype.kind not in "iu" or groups.shape != labels.shape:
            raise ValueError(f"validation groups (shape {groups.shape}; one whole number per validation score)")
        groups = groups.astype(np.int64)
    confidence = meta.get("confidence")
    if confidence is not None:
        if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
            raise ValueError(f"confidence {confidence!r} (must be between 0 and 1)")
        confidence = float(confidence)
    elif groups is not None:
        raise ValueError("validation groups (they need a confidence)")
    checks = meta.get("checks") or {}
    if not isinstance(checks, dict):
        raise ValueError("checks (must be a mapping)")
    pairs = (("target_recall", "threshold"), ("first_recall", "first_threshold"))
    chosen = thresholds_for_recall(labels, scores, [values[recall] for recall, _ in pairs], confidence, groups)
    for (recall, threshold), expected in zip(pairs, (float(v) for v in chosen)):
        if values[threshold] != expected:
            raise ValueError(f"{threshold} {values[threshold]!r} (the validation scores give {expected!r} for "
                             f"a recall of {values[recall]!r})")
    metrics = {}
    for key, value in dict(meta["metrics"]).items():
        number = float(value)
        if not (math.isnan(number) or 0 <= number <= 1):  # NaN: a metric a one-class test split cannot have
            raise ValueError(f"test metric {key} {value!r} (must be from 0 to 1)")
        metrics[str(key)] = number
    rows = dict(meta["rows"])
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in rows.values()) \
            or rows.get("validation", len(labels)) != len(labels):
        raise ValueError(f"row counts {rows!r} (whole numbers; validation must match its {len(labels):,} scores)")
    sha = meta["source_sha256"]
    if sha is not None and not (isinstance(sha, str) and _SHA256.fullmatch(sha)):
        raise ValueError("source_sha256 (must be 64 hexadecimal digits or null)")
    model = str(meta["model"])
    if model not in classify.MODELS:
        raise ValueError(f"model name {model!r} (one of {', '.join(classify.MODELS)})")
    loaded = ClaimModel(
        pipeline=pipeline, feature_set=meta["feature_set"], model=model, params=str(meta["params"]),
        target_recall=values["target_recall"], threshold=values["threshold"],
        first_recall=values["first_recall"], first_threshold=values["first_threshold"],
        validation_labels=labels, validation_scores=scores, metrics=metrics, source=str(meta["source"]),
        source_sha256=sha, rows=rows, claimstats_version=str(meta["claimstats_version"]),
        schema_version=meta["schema_version"], sklearn_version=str(meta["sklearn_version"]),
        confidence=confidence, checks=dict(checks), validation_groups=groups)
    _check_pipeline_scores(loaded)
    return loaded._chose_thresholds(values["first_threshold"], values["threshold"])  # checked above


def _check_pipeline_scores(model: ClaimModel) -> None:
    """``ValueError`` unless the pipeline scores a few synthetic reports with probabilities.

    The pipeline's own arrays (coefficients, vocabularies, trees) are members of
    the file too: a NaN among them would score every report NaN, which no tier holds.
    """
    from claimstats.simulate import simulate

    sample = simulate(40, seed=0).dropna()
    try:
        scores = np.asarray(model.predict_proba(sample), dtype=float)
        # triage scores with a faster copy of the pipeline (ClaimModel.predict_proba), evaluate with the
        # pipeline itself: a file whose two disagree is refused, not used one way here and another there
        original = np.asarray(classify.predict_claim_probability(model.pipeline, _model_inputs(sample, model.columns)),
                              dtype=float)
    except Exception as err:  # noqa: BLE001 - any failure to score means the pipeline is damaged
        raise ValueError(f"pipeline (it cannot score reports: {type(err).__name__})") from None
    if not (np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()):
        raise ValueError("pipeline (its scores for sample reports are not probabilities from 0 to 1)")
    if not np.array_equal(scores, original):
        raise ValueError("pipeline (its scoring copy gives other scores than the pipeline itself)")


def _share(meta: dict, name: str, low_open: bool) -> float:
    """``meta[name]`` as a float in [0, 1] (in (0, 1] when ``low_open``), or ``ValueError`` naming it."""
    value = meta[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} {value!r} (not a number)")
    number = float(value)
    if not ((0 < number <= 1) if low_open else (0 <= number <= 1)):  # also refuses NaN
        raise ValueError(f"{name} {value!r} (must be {'above 0 and at most 1' if low_open else 'from 0 to 1'})")
    return number
