"""Construct and Execute verbs: ``train`` a claim classifier, ``evaluate`` it, ``triage`` a backlog."""

from __future__ import annotations

import json
import sys

from claimstats.cli._common import check_output_path, check_outputs, data_file_help, load_clean, print_json, print_table

_FEATURES = ("all", "text", "upload")
_GRIDS = ("small", "fast")


def register(verbs) -> None:
    p = verbs.add_parser("train", help="train and test the claim classifier, save the champion",
                         description="Clean FILE, split it (train / validation / test, seeded, stratified), fit a "
                         "logistic regression, a random forest and gradient boosting on the training split (the "
                         "first two tuned by cross-validation on the share of reports to review to reach the target "
                         "recall; boosting sized by early stopping), pick the "
                         "champion on validation and score it once on test with 95% intervals. Then hold whole "
                         "phrasing templates (the transcriptions' first words) out: refit the champion on training "
                         "templates, choose the review thresholds on other templates so that recall on new reports "
                         "reaches the target with 95% confidence, check them once on a third set of templates, and "
                         "save that model (skops format). Training file size: up to about 1,000,000 rows is "
                         "sensible. Measured on 2 cores: the course file (19,382 rows) took 9 to 18 s, by the machine; "
                         "--grid fast --jobs 1 on 1,000,000 synthetic rows took 5 min 47 s at a peak of 3.6 GB "
                         "(each extra worker holds its own copy of the data). Time and memory grow about in proportion to the "
                         "rows; for a larger file, train on a seeded sample of it.")
    p.add_argument("file", help=data_file_help("labelled CSV file (the course file or a variant)"))
    p.add_argument("--out", required=True, metavar="MODEL", help="model file to write (e.g. model.skops)")
    p.add_argument("--features", choices=_FEATURES, default="all",
                   help="all: metadata, counts and text (as the course); text: the transcription only; "
                   "upload: what is known when a video is reported early (no counts). Default all")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the split, folds and models (default 0)")
    p.add_argument("--grid", choices=_GRIDS, default="small",
                   help="small: tune the logistic regression and the random forest by 5-fold cross-validation "
                   "(boosting has one candidate, sized by early stopping; default); fast: one candidate per model")
    p.add_argument("--target-recall", type=float, default=0.95, metavar="R",
                   help="share of new claims the review tier must catch, with 95%% confidence (default 0.95)")
    p.add_argument("--jobs", type=int, default=-1, metavar="N",
                   help="worker processes (default -1: one per core; 1: this process only); the results do not "
                   "depend on it")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=run_train)

    p = verbs.add_parser("evaluate", help="score a saved model on a labelled file",
                         description="Load MODEL, clean FILE and print the model's precision, recall, F1, "
                         "accuracy, ROC AUC and workload saving at its review threshold, each with a 95% interval "
                         "(exact binomial for proportions, stratified bootstrap otherwise), the confusion matrix, "
                         "calibration, workload, and the held-out-phrasing checks stored at training.")
    p.add_argument("model", help="model file written by `claimstats train`")
    p.add_argument("file", help=data_file_help("labelled CSV file"))
    p.add_argument("--threshold", type=float, default=None, metavar="T", help="flag reports at or above this probability "
                   "(default: the model's review threshold)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=run_evaluate)

    p = verbs.add_parser("triage", help="rank a backlog of reports into a review queue",
                         description="Score every report in REPORTS with MODEL and write the queue, highest claim "
                         "probability first, with a review tier. CSV or Parquet, in and out, by extension (.parquet: "
                         "a file, or a folder of them as input). The input is read in chunks (any size works); rows "
                         "that break the data contract go to a side file with the reason. claim_status may be "
                         "absent or empty. Outputs appear only when complete.")
    p.add_argument("model", help="model file written by `claimstats train`")
    p.add_argument("reports", help="CSV or Parquet file of reports, or a folder of Parquet files (never modified)")
    p.add_argument("--out", required=True, metavar="QUEUE", help="file for the queue (.csv or .parquet)")
    p.add_argument("--target-recall", type=float, default=None, metavar="R",
                   help="share of claims the review tier catches on validation (default: the model's, 0.95)")
    p.add_argument("--chunksize", type=int, default=50_000, metavar="N", help="rows read at a time (default 50,000)")
    p.add_argument("--rejected", default=None, metavar="FILE",
                   help="file for rejected rows (default: OUT with .rejected.csv or .rejected.parquet, when any row "
                   "is rejected)")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: this machine's cores (default); dask: a Dask cluster (needs the dask extra; "
                   "Parquet in, a Parquet folder out)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --engine dask: a running scheduler (tcp://host:8786); default: a local cluster")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="chunks scored side by side (local: -1 or default, one per core, on threads; 1: one at a "
                   "time; dask: local cluster workers, default 2)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_triage)


def _records(frame):
    return json.loads(frame.to_json(orient="records", double_precision=10))


def _interval_note() -> str:
    from claimstats.evaluation import INTERVAL_METHODS

    return "; ".join(f"{key}: {text}" for key, text in INTERVAL_METHODS.items())


def run_train(args) -> int:
    from claimstats.modelfile import save_model
    from claimstats.triage import train_claim_model

    out = check_output_path(args.out, args.file)
    tidy, _, source = load_clean(args.file)
    model, comparison = train_claim_model(tidy, feature_set=args.features, grid=args.grid, seed=args.seed,
                                          target_recall=args.target_recall, source=source.describe(),
                                          source_sha256=source.sha256, n_jobs=args.jobs)
    save_model(model, out)
    evaluation = comparison.evaluations[args.features]
    table = comparison.to_frame()[["model", "params", "cv_review_share", "cv_recall", "validation_review_share",
                                   "validation_average_precision", "validation_recall", "validation_precision",
                                   "champion"]]
    scores = comparison.scores_frame().drop(columns=["features", "champion"])
    if args.json:
        print_json({"model_file": str(out), "comparison": _records(table), "test": evaluation.metrics,
                    "test_intervals": _records(evaluation.intervals),
                    "held_out_phrasing": _records(scores[scores["split"] == "held-out phrasing"]),
                    "held_out_phrasing_note": comparison.phrasing_note,
                    "review_checks": _records(model.checks_frame()),
                    "review_recall_bound": model.recall_bound(), "confidence": model.confidence,
                    "interval_methods": _interval_note(),
                    "confusion": _records(evaluation.confusion_frame()), "model": model.metadata(),
                    "description": comparison.describe()})
        return 0
    how = f"{comparison.cv}-fold cross-validated on" if comparison.cv else "fitted on"  # the fast grid has no CV
    untuned = "; cv —: one candidate, not cross-validated" if comparison.cv and table["cv_review_share"].isna().any() else ""
    print_table(table, title=f"Candidates on {comparison.feature_sets[0]} features ({how} "
                f"{comparison.n_train:,} training rows, scored on {comparison.n_validation:,} validation rows; "
                f"review share: reports reviewed to catch {100 * args.target_recall:g}% of the claims{untuned})")
    print()
    print_table(scores, title="Champion's test scores with 95% intervals: random split (templates shared with "
                "training: optimistic) and held-out phrasing (templates never seen), above 0.5 as predict")
    if comparison.phrasing_note:
        print(f"held-out phrasing not measured: {comparison.phrasing_note}")
    print()
    print_table(evaluation.confusion_frame(), title="Confusion matrix on the random split's test rows")
    print()
    checks = model.checks_frame()
    if len(checks):
        print_table(checks, title=f"Review tiers checked on {model.checks['split']}")
        print()
    print(f"intervals: {_interval_note()}")
    print()
    print(comparison.describe())
    print(model.describe())
    print(f"wrote {out}", file=sys.stderr)
    return 0


def run_evaluate(args) -> int:
    from claimstats.modelfile import load_model
    from claimstats.reporting import format_bounded
    from claimstats.triage import evaluate_model, workload_curve

    model = load_model(args.model)
    tidy, _, source = load_clean(args.file)
    evaluation = evaluate_model(model, tidy, threshold=args.threshold)
    curve = workload_curve(evaluation.y_true, evaluation.scores)
    by_group = _error_rates_by_group(model, tidy, evaluation)
    same_file = source.sha256 is not None and source.sha256 == model.source_sha256
    note = ("this is the file the model was trained on: only its test split was held out, so these scores "
            "are optimistic" if same_file else "")
    checks = model.checks_frame()
    if args.json:
        print_json({"metrics": evaluation.metrics, "threshold": evaluation.threshold,
                    "intervals": _records(evaluation.intervals), "interval_methods": _interval_note(),
                    "confusion": _records(evaluation.confusion_frame()),
                    "calibration": _records(evaluation.calibration_frame()),
                    "workload": _records(curve.summary(evaluation.threshold)),
                    "held_out_phrasing": {"split": model.checks.get("split", ""), "checks": _records(checks),
                                          "intervals": model.checks.get("intervals", {})},
                    "by_group": _records(by_group.to_frame()), "by_group_description": by_group.describe(),
                    "note": note, "description": evaluation.describe()})
        return 0
    print(model.describe())
    print()
    print_table(evaluation.to_frame(), title=f"{evaluation.n:,} labelled rows, threshold "
                f"{format_bounded(evaluation.threshold)}, with 95% intervals")
    print(f"intervals: {_interval_note()}")
    print()
    print_table(evaluation.confusion_frame())
    print()
    print_table(evaluation.calibration_frame(), title="Calibration: predicted probability against claim share")
    print()
    print_table(curve.summary(evaluation.threshold), title="Workload")
    print()
    if len(checks):
        print_table(checks, title=f"Review tiers checked at training on {model.checks['split']}")
        print()
    print(evaluation.describe())
    print(curve.describe(evaluation.threshold))
    print()
    print_table(by_group.table(), title=f"Errors by account group ({1 - by_group.alpha:.0%} exact intervals)")
    print(by_group.describe())
    if note:
        print(f"note: {note}")
    return 0


def _error_rates_by_group(model, tidy, evaluation):
    from claimstats.group_errors import error_rates_by_group
    from claimstats.schema import TARGET

    scored = tidy.dropna(subset=[TARGET, *model.columns])  # the rows evaluate_model scored, in its order
    return error_rates_by_group(scored, evaluation.scores, threshold=evaluation.threshold)


def run_triage(args) -> int:
    from claimstats.errors import ClaimstatsError
    from claimstats.backlog import triage_file
    from claimstats.modelfile import load_model

    if args.chunksize < 1:
        raise ClaimstatsError(f"--chunksize must be at least 1, got {args.chunksize}")
    paths = check_outputs({"--out": args.out, "--rejected": args.rejected}, args.reports, args.model,
                          folders=args.engine == "dask")  # the Dask engine writes (and replaces) dataset folders
    out, rejected = paths["--out"], paths["--rejected"]
    if args.scheduler and args.engine != "dask":
        raise ClaimstatsError("--scheduler needs --engine dask")
    model = load_model(args.model)
    if args.engine == "dask":
        from claimstats.scale import triage_dask

        report = triage_dask(model, args.reports, out, scheduler=args.scheduler, workers=args.jobs or 2,
                             target_recall=args.target_recall, rejected=rejected)
    else:
        report = triage_file(model, args.reports, out, target_recall=args.target_recall, chunksize=args.chunksize,
                             rejected=rejected, jobs=args.jobs)
    if args.json:
        print_json({"rows_in": report.rows_in, "rows_scored": report.rows_scored,
                    "rows_rejected": report.rows_rejected, "reasons": dict(report.reasons),
                    "tiers": dict(report.tiers), "threshold": report.threshold,
                    "first_threshold": report.first_threshold, "target_recall": report.target_recall,
                    "out": report.out, "rejected": report.rejected_path, "description": report.describe()})
        return 0
    print_table(report.to_frame())
    print()
    print(report.describe())
    return 0
