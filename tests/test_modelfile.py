"""modelfile: saving and loading models; foreign, hostile, corrupt and wrong-schema files refused."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from claimstats.modelfile import ModelFileError, load_model, save_model
from claimstats.schema import SCHEMA_VERSION


def test_model_round_trip(model, tidy, tmp_path):
    path = save_model(model, tmp_path / "model.skops")
    loaded = load_model(path)
    rows = tidy.sample(300, random_state=1)
    np.testing.assert_array_equal(loaded.predict_proba(rows), model.predict_proba(rows))
    assert loaded.metadata() == model.metadata()
    meta = loaded.metadata()
    assert meta["schema_version"] == SCHEMA_VERSION and meta["feature_set"] == "all"
    assert meta["source"] == "test data" and meta["threshold"] == model.threshold
    assert set(meta["metrics"]) >= {"recall", "precision", "f1", "roc_auc"}
    np.testing.assert_array_equal(loaded.validation_scores, model.validation_scores)


def test_every_kind_of_model_saves_and_loads(tidy, tmp_path):
    from claimstats.comparison import compare_models
    from claimstats.triage import make_claim_model

    sample = tidy.sample(1200, random_state=2)
    result = compare_models(sample, feature_sets=("text",), grid="fast", importance_repeats=0)
    base = make_claim_model(result, "text")
    for (_, name), pipeline in result.pipelines.items():
        # each model's pipeline must pass the trusted-types check and predict the same after loading
        saved = save_model(replace(base, pipeline=pipeline, model=name), tmp_path / f"{name}.skops")
        loaded = load_model(saved)
        assert loaded.model == name
        direct = pipeline.predict_proba(sample[["video_transcription_text"]])[:, 1]
        np.testing.assert_array_equal(loaded.predict_proba(sample), direct)


class Tripwire:
    """A type no claimstats model holds; loading it would run its __setstate__."""

    ran = False

    def __setstate__(self, state):
        Tripwire.ran = True


def test_foreign_corrupt_and_wrong_schema_files_are_refused(model, tmp_path):
    good = save_model(model, tmp_path / "good.skops").read_bytes()

    foreign = tmp_path / "sklearn.skops"
    sio.dump(LogisticRegression().fit([[0], [1]], [0, 1]), foreign)
    with pytest.raises(ModelFileError, match="not a claimstats model file \\(made by another program\\)"):
        load_model(foreign)

    hostile = tmp_path / "hostile.skops"
    sio.dump({"format": "claimstats-model", "payload": Tripwire()}, hostile)
    with pytest.raises(ModelFileError, match="holds types claimstats never saves .*Tripwire.*so it is not loaded"):
        load_model(hostile)
    assert not Tripwire.ran

    for name, data in [("empty", b""), ("noise", bytes(range(256)) * 8), ("truncated", good[: len(good) // 2])]:
        path = tmp_path / f"{name}.skops"
        path.write_bytes(data)
        with pytest.raises(ModelFileError, match="not a claimstats model file|corrupt model file"):
            load_model(path)
    no_schema = tmp_path / "no_schema.skops"
    with zipfile.ZipFile(no_schema, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match="cannot read it as a skops archive"):
        load_model(no_schema)

    for key, value, phrase in [("schema_version", 999, "made for data schema version 999, but this claimstats uses "
                                "schema version 1"), ("format_version", 7, "in model format 7")]:
        meta = {**model.metadata(), key: value}
        other = tmp_path / f"{key}.skops"
        sio.dump({"format": "claimstats-model", "metadata": json.dumps(meta), "pipeline": model.pipeline,
                  "validation_labels": model.validation_labels, "validation_scores": model.validation_scores}, other)
        with pytest.raises(ModelFileError, match=phrase):
            load_model(other)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.skops")


def test_damaged_contents_of_a_claimstats_file_are_refused_with_one_clear_error(model, tmp_path):
    from sklearn.pipeline import Pipeline

    good = {"format": "claimstats-model", "metadata": json.dumps(model.metadata()), "pipeline": model.pipeline,
            "validation_labels": model.validation_labels, "validation_scores": model.validation_scores}
    no_threshold = {k: v for k, v in model.metadata().items() if k != "threshold"}
    cases = [
        ({"validation_labels": None}, "malformed"),
        ({"validation_scores": model.validation_scores[:-1]}, "malformed validation labels or scores"),
        ({"validation_labels": model.validation_labels + 2}, "malformed validation labels or scores"),
        ({"metadata": json.dumps(no_threshold)}, "'threshold' is missing"),
        ({"metadata": json.dumps({**model.metadata(), "target_recall": "high"})},
         "malformed target_recall .high. \\(not a number\\)"),
        ({"pipeline": Pipeline([("model", LogisticRegression())])}, "no fitted pipeline for its feature set"),
        ({"metadata": json.dumps({**model.metadata(), "feature_set": "text"})}, "no fitted pipeline for its feature"),
    ]
    for number, (change, phrase) in enumerate(cases):
        path = tmp_path / f"damaged{number}.skops"
        sio.dump({**good, **change}, path)
        with pytest.raises(ModelFileError, match=f"damaged{number}.skops: corrupt model file .*{phrase}"):
            load_model(path)
    missing = tmp_path / "missing.skops"
    sio.dump({k: v for k, v in good.items() if k != "validation_labels"}, missing)
    with pytest.raises(ModelFileError, match="corrupt model file \\('validation_labels' is missing\\)"):
        load_model(missing)


def test_a_file_whose_scoring_copy_scores_otherwise_than_its_pipeline_is_refused(model, tmp_path, monkeypatch):
    import copy

    from claimstats import classify

    path = save_model(model, tmp_path / "model.skops")
    assert load_model(path).thresholds() == (model.first_threshold, model.threshold)

    def swapped(pipeline):  # a scoring copy whose classifier gives the opposite probabilities
        changed = copy.deepcopy(pipeline)
        estimator = changed.steps[-1][1]
        scores = estimator.predict_proba
        estimator.predict_proba = lambda X: scores(X)[:, ::-1]
        return changed

    monkeypatch.setattr(classify, "scoring_pipeline", swapped)
    with pytest.raises(ModelFileError, match="its scoring copy gives other scores than the pipeline itself"):
        load_model(path)
