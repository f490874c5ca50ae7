"""The model verbs of the command line: train, evaluate, triage; files written, JSON, one-line errors."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from scipy import stats
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from _cli import run
from claimstats import clean, load, simulate
from claimstats.cli import main
from claimstats.intake import check_reports
from claimstats.modelfile import load_model


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    data = folder / "videos.csv"
    simulate(2000, seed=41).to_csv(data, index=False)
    reports = folder / "reports.csv"
    backlog = simulate(1500, seed=42).drop(columns="claim_status")
    backlog.loc[3, "author_ban_status"] = "gone"
    backlog.to_csv(reports, index=False)
    return {"folder": folder, "data": data, "reports": reports}


@pytest.fixture(scope="module")
def model_file(files):
    path = files["folder"] / "model.skops"
    assert main(["train", str(files["data"]), "--out", str(path), "--grid", "fast", "--features", "upload",
                 "--seed", "2"]) == 0
    return path


def test_train_prints_the_comparison_and_saves_the_champion(files, capsys, tmp_path):
    out = tmp_path / "m.skops"
    code, stdout, stderr = run(capsys, "train", files["data"], "--out", out, "--grid", "fast", "--seed", "1")
    assert code == 0 and out.exists() and f"wrote {out}" in stderr
    for piece in ("Candidates on all features (fitted on", "Champion's test scores with 95% intervals",
                  "| held-out phrasing | recall", "| random split      | recall", "predicted claim",
                  "Review tiers checked on held-out phrasing", "intervals: exact: exact binomial",
                  "Engagement counts nearly separate the classes", "in phrasings it never saw"):
        assert piece in stdout
    assert "cross-validated" not in stdout  # the fast grid has one candidate per model: nothing to tune
    model = load_model(out)
    assert model.feature_set == "all" and model.target_recall == 0.95
    assert model.source.startswith(str(files["data"])) and model.source_sha256 == load(files["data"]).source.sha256
    assert stdout.rstrip().endswith(model.describe())


def test_train_json(files, capsys, tmp_path):
    code, stdout, _ = run(capsys, "train", files["data"], "--out", tmp_path / "m.skops", "--grid", "fast",
                          "--features", "text", "--target-recall", "0.9", "--json")
    payload = json.loads(stdout)
    assert code == 0 and payload["model"]["feature_set"] == "text" and payload["model"]["target_recall"] == 0.9
    assert [row["model"] for row in payload["comparison"]] == ["logistic", "random_forest", "gradient_boosting"]
    assert sum(row["champion"] for row in payload["comparison"]) == 1
    assert 0 <= payload["test"]["recall"] <= 1
    intervals = {row["metric"]: row for row in payload["test_intervals"]}
    assert {"recall", "precision", "f1", "roc_auc", "average_precision", "workload_saving"} <= set(intervals)
    assert all(row["low"] <= row["value"] + 1e-12 <= row["high"] + 2e-12 for row in intervals.values())
    held_out = {row["metric"]: row for row in payload["held_out_phrasing"]}
    assert held_out["recall"]["method"] == "exact" and set(held_out) == set(intervals) - {"accuracy"}
    review = {row["metric"]: row for row in payload["review_checks"] if row["tier"] == "review"}
    assert set(review) == {"recall", "precision", "workload saving", "share reviewed"}
    assert payload["confidence"] == 0.95 and payload["review_recall_bound"] >= 0.9
    assert payload["model"]["checks"]["split"].startswith("held-out phrasing")


def test_evaluate_reports_metrics_and_warns_about_the_training_file(files, model_file, capsys, tmp_path):
    code, stdout, _ = run(capsys, "evaluate", model_file, files["data"])
    assert code == 0
    for piece in ("| recall", "Calibration", "Workload", "predicted opinion", "with 95% intervals", "| exact",
                  "| bootstrap", "| workload_saving", "Review tiers checked at training on held-out phrasing"):
        assert piece in stdout
    assert "note: this is the file the model was trained on" in stdout
    fresh = tmp_path / "fresh.csv"
    simulate(600, seed=43).to_csv(fresh, index=False)
    code, stdout, _ = run(capsys, "evaluate", model_file, fresh, "--threshold", "0.5", "--json")
    payload = json.loads(stdout)
    tidy, _ = clean(load(fresh).frame)
    assert code == 0 and payload["note"] == "" and payload["threshold"] == 0.5
    assert sum(row["predicted claim"] + row["predicted opinion"] for row in payload["confusion"]) == len(tidy)
    recall = next(row for row in payload["intervals"] if row["metric"] == "recall")
    caught = payload["confusion"][0]["predicted claim"]
    claims = caught + payload["confusion"][0]["predicted opinion"]
    exact = stats.binomtest(caught, claims).proportion_ci(method="exact")
    assert (recall["low"], recall["high"]) == pytest.approx((exact.low, exact.high))
    assert payload["held_out_phrasing"]["split"].startswith("held-out phrasing")


def test_triage_writes_the_queue_and_the_rejected_rows(files, model_file, capsys, tmp_path):
    out, rejected = tmp_path / "queue.csv", tmp_path / "rejected.csv"
    code, stdout, stderr = run(capsys, "triage", model_file, files["reports"], "--out", out, "--rejected", rejected,
                               "--chunksize", "400")
    assert code == 0 and stderr == ""  # no progress bar: stderr is not a terminal here
    queue, side = pd.read_csv(out), pd.read_csv(rejected)
    raw = pd.read_csv(files["reports"], dtype=str)
    expected_bad = int((check_reports(raw, load_model(model_file).columns) != "").sum())
    assert len(side) == expected_bad and len(queue) + len(side) == 1500
    assert "author_ban_status: not one of active, under review, banned" in side["reason"].tolist()
    assert queue["claim_probability"].is_monotonic_decreasing
    assert re.search(r"\| rows in +\| +1,500 \|", stdout) and f"Scored {len(queue):,} of 1,500 reports" in stdout

    code, stdout, _ = run(capsys, "triage", model_file, files["reports"], "--out", out, "--target-recall", "0.99",
                          "--json")
    payload = json.loads(stdout)
    model = load_model(model_file)
    assert code == 0 and payload["threshold"] == model.thresholds(0.99)[1]
    assert payload["rows_scored"] + payload["rows_rejected"] == payload["rows_in"] == 1500
    assert payload["rejected"] == str(tmp_path / "queue.rejected.csv")


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["triage", "{foreign}", "{reports}", "--out", "{tmp}/q.csv"], "not a claimstats model file"),
        (["triage", "{model}", "{reports}", "--out", "{reports}"], "refusing to overwrite the input file"),
        (["triage", "{model}", "{reports}", "--out", "{model}"], "refusing to overwrite the input file"),
        (["triage", "{model}", "{reports}", "--out", "{tmp}/q.csv", "--rejected", "{model}"],
         "refusing to overwrite the input file; choose another --rejected"),
        (["triage", "{model}", "{reports}", "--out", "{tmp}/q.csv", "--rejected", "{tmp}/q.csv"],
         "--out and --rejected name the same file"),
        (["triage", "{model}", "{reports}", "--out", "{tmp}/q.csv", "--target-recall", "1.5"],
         "target recall must be above 0 and at most 1; got 1.5"),
        (["triage", "{model}", "{reports}", "--out", "{tmp}/q.csv", "--chunksize", "0"],
         "--chunksize must be at least 1"),
        (["triage", "{model}", "{nocol}", "--out", "{tmp}/q.csv"], "missing: video_id"),
        (["evaluate", "{tmp}/absent.skops", "{data}"], "no such file"),
        (["evaluate", "{model}", "{data}", "--threshold", "1.5"], "threshold must be a probability from 0 to 1; got 1.5"),
        (["evaluate", "{model}", "{data}", "--threshold", "nan"], "threshold must be a probability from 0 to 1; got nan"),
        (["evaluate", "{reports}", "{data}"], "not a claimstats model file (cannot read it as a skops archive"),
        (["train", "{data}", "--out", "{data}"], "refusing to overwrite the input file"),
        (["train", "{data}", "--out", "{tmp}/m.skops", "--target-recall", "0"], "target recall must be above 0"),
        (["train", "{data}", "--out", "{tmp}/m.skops", "--jobs", "0"], "--jobs on the command line) must be 1 or more"),
        (["train", "{small}", "--out", "{tmp}/m.skops"], "too few rows to train on"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(files, model_file, tmp_path, capsys, argv, phrase):
    foreign = tmp_path / "foreign.skops"
    sio.dump(LogisticRegression().fit([[0], [1]], [0, 1]), foreign)
    nocol = tmp_path / "nocol.csv"
    pd.read_csv(files["reports"]).drop(columns="video_id").to_csv(nocol, index=False)
    small = tmp_path / "small.csv"
    labelled = pd.read_csv(files["data"]).dropna()
    labelled.groupby("claim_status").head(10).to_csv(small, index=False)  # 10 claims, 10 opinions
    names = {"foreign": foreign, "reports": files["reports"], "model": model_file, "tmp": tmp_path,
             "data": files["data"], "nocol": nocol, "small": small}
    model_bytes = model_file.read_bytes()
    code, out, err = run(capsys, *[a.format(**names) for a in argv])
    assert model_file.read_bytes() == model_bytes  # an input, never written
    assert code == 2 and out == ""
    assert err.startswith("claimstats: error: ") and err.count("\n") == 1
    assert phrase in err


def test_bad_flag_value_exits_2(files, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(files["data"]), "--out", "m.skops", "--features", "counts"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'counts'" in capsys.readouterr().err
