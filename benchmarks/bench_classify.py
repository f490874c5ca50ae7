"""Time the full classifier comparison against the course's random-forest grid search, on course-sized data.

Usage: python benchmarks/bench_classify.py [FILE] [--jobs N] [--no-baseline]

Without FILE it uses CLAIMSTATS_DATA, else ../shared/data/tiktok_dataset.csv beside
the checkout, else the synthetic default (19,382 rows).

* ours: ``compare_models`` with the default grid: three feature sets × three
  models, 5-fold cross-validation on the training split, champions on
  validation, one test evaluation each with permutation importances;
* baseline: the course's method, timed in the same run: its features (duration,
  counts, text length, verified/ban dummies, 15 word 2–3-grams), a 60/20/20
  split, and ``GridSearchCV`` of a random forest over its grid (max_depth
  [5, 7, None], max_features [0.3, 0.6], max_samples [0.7], min_samples_leaf
  [1, 2], min_samples_split [2, 3], n_estimators [75, 100, 200]; 72 candidates ×
  5 folds, refit on recall), scored on its test split.

Prints both times, their ratio and both test recalls, then our comparison table.
Target: ours under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from claimstats import clean, load
from claimstats.comparison import compare_models

COURSE_GRID = {"max_depth": [5, 7, None], "max_features": [0.3, 0.6], "max_samples": [0.7],
               "min_samples_leaf": [1, 2], "min_samples_split": [2, 3], "n_estimators": [75, 100, 200]}


def pick_source(given: str | None) -> str:
    if given:
        return given
    env = os.environ.get("CLAIMSTATS_DATA", "")
    if env:
        return env
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "tiktok_dataset.csv"
    return str(shared) if shared.is_file() else "synthetic"


def course_baseline(tidy: pd.DataFrame, jobs: int) -> tuple[float, float, dict]:
    """The course notebook's random forest, as it builds it; returns (seconds, test recall, best params)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.metrics import recall_score
    from sklearn.model_selection import GridSearchCV, train_test_split

    started = time.perf_counter()
    X = tidy.drop(columns=["#", "video_id"]).copy()
    X["text_length"] = X["video_transcription_text"].str.len()
    y = (X.pop("claim_status").astype(str) == "claim").astype(int)
    X = pd.get_dummies(X, columns=["verified_status", "author_ban_status"], drop_first=True)
    X_tr, X_test, y_tr, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    X_train, _, y_train, _ = train_test_split(X_tr, y_tr, test_size=0.25, random_state=0)
    count_vec = CountVectorizer(ngram_range=(2, 3), max_features=15, stop_words="english")

    def final(part: pd.DataFrame, fit: bool) -> pd.DataFrame:
        text = part["video_transcription_text"]
        counts = count_vec.fit_transform(text) if fit else count_vec.transform(text)
        grams = pd.DataFrame(counts.toarray(), columns=count_vec.get_feature_names_out(), index=part.index)
        return pd.concat([part.drop(columns="video_transcription_text"), grams], axis=1)

    search = GridSearchCV(RandomForestClassifier(random_state=0), COURSE_GRID,
                          scoring=["accuracy", "precision", "recall", "f1"], cv=5, refit="recall", n_jobs=jobs)
    search.fit(final(X_train, fit=True), y_train)
    recall = recall_score(y_test, search.best_estimator_.predict(final(X_test, fit=False)))
    return time.perf_counter() - started, float(recall), search.best_params_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", help="data file (default: the course file if found, else synthetic)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for both (default 2)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the (slow) course grid search")
    args = parser.parse_args()

    frame, source = load(pick_source(args.file))
    tidy, _ = clean(frame)
    print(f"data: {source.describe()}; {len(tidy):,} rows after cleaning; {args.jobs} worker(s)", flush=True)
    started = time.perf_counter()
    result = compare_models(tidy, n_jobs=args.jobs)
    ours = time.perf_counter() - started
    our_recall = result.evaluations["all"].metrics["recall"]
    print(f"ours: compare_models (3 feature sets x 3 models, {result.cv}-fold CV, grid 'small'): {ours:.1f} s; "
          f"all-features champion ({result.champion_model('all')}) test recall {our_recall:.4f}", flush=True)
    if not args.no_baseline:
        seconds, recall, best = course_baseline(tidy, args.jobs)
        print(f"baseline: course random-forest GridSearchCV (72 candidates x 5 folds): {seconds:.1f} s; test recall "
              f"{recall:.4f}; best {best}")
        print(f"ratio baseline / ours: {seconds / ours:.1f}x")
    print(f"target: under 60 s on 2 cores -> {'met' if ours < 60 else 'MISSED'} ({ours:.1f} s)\n")
    columns = ["feature_set", "model", "params", "cv_recall", "validation_recall", "validation_f1", "champion",
               "test_recall", "test_precision", "test_f1", "test_roc_auc", "fresh_recall"]
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(result.to_frame()[columns].round(4).to_string(index=False))
    print()
    print(result.test_frame().round(4).to_string(index=False))
    print()
    print(result.describe())


if __name__ == "__main__":
    main()
