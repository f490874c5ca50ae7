"""Construct: the claim classifier, compared honestly across feature sets and models.

The case's question is whether a model can tell a *claim* from an *opinion*
well enough to order the moderators' backlog. :func:`compare_models` answers
it side by side for

* three **feature sets** (:data:`FEATURE_SETS`): ``"all"`` (metadata,
  engagement counts and rates, text, as the course does), ``"text"`` (the
  transcription only) and ``"upload"`` (everything known when a video is
  reported early: metadata and text, no engagement counts);
* three **models** (:data:`MODELS`): logistic regression, random forest and
  gradient boosting (``HistGradientBoostingClassifier``).

Why three feature sets: engagement counts nearly separate the classes in this
data (claims are viewed about a hundred times more), so a model that leans on
them scores well on old videos and cannot help on a fresh one, which has no
views yet. :meth:`ModelComparison.describe` measures both halves of that
sentence: how well a single count separates the classes, and the recall of
each champion on the test videos with their counts set to zero.

Method (every step seeded):

1. a stratified train / validation / test split (60 / 20 / 20 by default);
2. per feature set, a feature pipeline (:func:`build_features`) fitted on
   training rows only, inside every cross-validation fold too;
3. hyper-parameters tuned by stratified k-fold cross-validation on the training
   split, over a small grid (:data:`GRIDS`), scored by recall of the claim
   class (missing a claim costs more than reviewing an opinion), ties broken
   by F1 and then by the simpler candidate (:data:`CHAMPION_RULE`);
4. the tuned models refitted on the whole training split; a champion per
   feature set chosen by the same rule on the **validation** split;
5. each champion scored once on the **test** split (:func:`evaluate`): the
   metrics, confusion matrix, calibration table and permutation importances.

Text features come from :class:`TextFeatures`: the transcription's length and
TF-IDF weights of its words and word pairs over a bounded vocabulary. It gives
exactly what scikit-learn's ``TfidfVectorizer`` gives for that vocabulary, about
three times faster, which is what lets :mod:`claimstats.triage` score a backlog
at more than 100,000 reports a second.

Examples
--------
>>> import claimstats
>>> tidy, _ = claimstats.clean(claimstats.load("synthetic:3", rows=1500).frame)
>>> result = compare_models(tidy, feature_sets=("upload",), grid="fast", importance_repeats=0)
>>> result.champion_model("upload") in MODELS
True
"""

from __future__ import annotations

import re
import time
from itertools import repeat
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn import metrics as skm
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from claimstats.errors import ClaimstatsError, require_columns
from claimstats.schema import BAN, CATEGORIES, COUNT_COLUMNS, DURATION, TARGET, TEXT, VERIFIED

__all__ = [
    "CHAMPION_RULE",
    "FEATURE_PHRASES",
    "FEATURE_SETS",
    "GRIDS",
    "MODELS",
    "DataSplit",
    "EngagementFeatures",
    "Evaluation",
    "ModelComparison",
    "TextFeatures",
    "build_features",
    "build_pipeline",
    "calibration_table",
    "choose",
    "claim_labels",
    "compare_models",
    "count_separation",
    "evaluate",
    "input_columns",
    "metrics_at",
    "predict_claim_probability",
    "split_data",
]

POSITIVE, NEGATIVE = CATEGORIES[TARGET]  # "claim" is the positive class
#: Feature sets and how tables name them.
FEATURE_SETS = {"all": "all features", "text": "text only", "upload": "at upload"}
#: How prose names them, after "a model on ...".
FEATURE_PHRASES = {"all": "all features", "text": "the text only", "upload": "at-upload features"}
#: Models, simplest first (the order breaks the last tie of :data:`CHAMPION_RULE`).
MODELS = {"logistic": "logistic regression", "random_forest": "random forest",
          "gradient_boosting": "gradient boosting"}
#: Candidate hyper-parameters per model, simplest first. ``"fast"`` has one
#: candidate per model, so it needs no cross-validation (the book's quick path);
#: ``"small"`` is the default tuning grid.
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
        "gradient_boosting": ({"learning_rate": 0.2, "max_leaf_nodes": 15},
                              {"learning_rate": 0.2, "max_leaf_nodes": 31}),
    },
}
#: Two scores closer than this count as a tie (about 4 claims in 2,000).
TIE_TOLERANCE = 0.002
CHAMPION_RULE = (f"highest recall of the claim class; candidates within {TIE_TOLERANCE} of the best are tied and "
                 f"broken by F1 (again within {TIE_TOLERANCE}), then by the simpler candidate (models in the "
                 "order logistic regression, random forest, gradient boosting; grid points in the order listed)")
#: Columns each feature set reads.
_INPUTS = {
    "all": (DURATION, VERIFIED, BAN, *COUNT_COLUMNS, TEXT),
    "text": (TEXT,),
    "upload": (DURATION, VERIFIED, BAN, TEXT),
}
VIEWS = COUNT_COLUMNS[0]
DEFAULT_VOCABULARY = 400


# ------------------------------------------------------------------ text


_SEPARATOR = "\x00"  # between documents: not a word character, never left in a transcription
# ASCII bytes that are not word characters (\w) become spaces; the bytes of other characters
# (UTF-8, 0x80 and above) stay as they are.
_ASCII_TABLE = bytes(32 if c < 128 and chr(c) != _SEPARATOR and not re.match(r"\w", chr(c)) else c
                     for c in range(256))
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WORD_CHAR = re.compile(r"\w")
_ASCII_WORD_CHARS = tuple(chr(c) for c in range(128) if _WORD_CHAR.match(chr(c)) and chr(c) == chr(c).lower())


def _split_tokens(texts) -> tuple[list[bytes], list[str]]:
    """The tokens of many documents at once, as UTF-8 bytes, cut as scikit-learn's word analyzer cuts them.

    Tokens are runs of word characters (``\\w``) of the lower-cased text;
    documents are separated by a separator token. One-character tokens are
    still there (the analyzer drops them; callers do). Also returns the
    non-ASCII word characters present, the only possible non-ASCII
    one-character tokens. The work is done on the whole batch in C (one join,
    one translate, one split) instead of one regular-expression search per document.
    """
    try:
        joined = f" {_SEPARATOR} ".join(texts).lower()
    except TypeError:
        raise ClaimstatsError(f"{TEXT!r} must hold text in every row (found a missing or non-text value)") from None
    if joined.count(_SEPARATOR) != max(len(texts) - 1, 0):  # a NUL inside a text: it is a non-word char anyway
        joined = f" {_SEPARATOR} ".join(t.replace(_SEPARATOR, " ") for t in texts).lower()
    word_chars: list[str] = []
    if not joined.isascii():
        found = set(_NON_ASCII.findall(joined))
        word_chars = [c for c in found if _WORD_CHAR.match(c)]
        non_word = found.difference(word_chars)
        if non_word:
            joined = re.sub("[" + re.escape("".join(non_word)) + "]", " ", joined)
    return joined.encode("utf-8").translate(_ASCII_TABLE).split(), word_chars


def _tokenize(texts) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Tokens as codes: ``(codes, words, is_separator)``, one-character tokens removed.

    ``words[code]`` is a token's text and ``is_separator[code]`` marks the
    token between two documents.
    """
    parts, _ = _split_tokens(texts)
    codes, uniques = pd.factorize(np.array(parts, dtype=object))
    words = [u.decode("utf-8") for u in uniques]
    single = np.array([len(w) == 1 and w != _SEPARATOR for w in words], dtype=bool)
    is_separator = np.array([w == _SEPARATOR for w in words], dtype=bool)
    if single.any():
        codes = codes[~single[codes]]
    return codes.astype(np.int64), words, is_separator


def _as_texts(X) -> list:
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ClaimstatsError(f"TextFeatures reads one text column; got {X.shape[1]}")
        X = X.iloc[:, 0]
    return list(np.asarray(X, dtype=object).ravel())


class TextFeatures(TransformerMixin, BaseEstimator):
    """Length and TF-IDF of a transcription column, over a bounded vocabulary.

    The output's first column is the text's length in characters; the others
    are the TF-IDF weights (raw counts × smoothed idf, rows scaled to unit
    length) of the ``max_features`` words (and word pairs with
    ``ngram_range=(1, 2)``) most frequent in the training texts among those in
    at least ``min_df`` of them; ties go to the alphabetically first term.
    For that vocabulary the weights equal ``TfidfVectorizer(ngram_range=...,
    vocabulary=...)``'s, tokens included.

    Examples
    --------
    >>> texts = ["I think that cats sleep", "someone told me that cats fly", "I think that dogs run"]
    >>> features = TextFeatures(max_features=3, min_df=1).fit(texts)
    >>> features.terms_
    ['cats', 'that', 'that cats']
    >>> features.transform(["cats, cats!"]).toarray().round(3).tolist()
    [[11.0, 1.0, 0.0, 0.0]]
    """

    def __init__(self, max_features: int = DEFAULT_VOCABULARY, min_df: int = 2, ngram_range: tuple = (1, 2)):
        self.max_features = max_features
        self.min_df = min_df
        self.ngram_range = ngram_range

    def fit(self, X, y=None):
        if tuple(self.ngram_range) not in ((1, 1), (1, 2)):
            raise ClaimstatsError(f"ngram_range must be (1, 1) or (1, 2); got {self.ngram_range}")
        texts = _as_texts(X)
        codes, words, is_sep = _tokenize(texts)
        n_words = len(words)
        sep = is_sep[codes]
        doc = np.cumsum(sep)
        keys, key_docs = codes[~sep], doc[~sep]
        if tuple(self.ngram_range) == (1, 2) and len(codes) > 1:
            pair = ~sep[:-1] & ~sep[1:]  # the separator token always sits between two documents
            keys = np.concatenate([keys, n_words + codes[:-1][pair] * n_words + codes[1:][pair]])
            key_docs = np.concatenate([key_docs, doc[:-1][pair]])
        terms, term_keys = pd.factorize(keys)
        n_terms = len(term_keys)
        term_frequency = np.bincount(terms, minlength=n_terms)
        document_frequency = np.bincount(np.unique(key_docs * n_terms + terms) % n_terms, minlength=n_terms)

        def name(key: int) -> str:
            if key < n_words:
                return words[key]
            left, right = divmod(key - n_words, n_words)
            return f"{words[left]} {words[right]}"

        candidates = np.flatnonzero(document_frequency >= self.min_df)
        ranked = sorted(((-int(term_frequency[t]), name(int(term_keys[t])), t) for t in candidates))
        chosen = sorted((term, t) for _, term, t in ranked[: self.max_features])
        self.terms_ = [term for term, _ in chosen]
        df = np.array([document_frequency[t] for _, t in chosen], dtype=float)
        self.idf_ = np.log((1 + len(texts)) / (1 + df)) + 1.0  # scikit-learn's smoothed idf
        self._index_vocabulary()
        return self

    def _index_vocabulary(self) -> None:
        self.words_ = sorted({w for term in self.terms_ for w in term.split(" ")})
        word_id = {w: i for i, w in enumerate(self.words_)}
        n_words = len(self.words_)
        self.unigram_column_ = np.full(n_words + 1, -1, dtype=np.int64)  # last slot: unknown word
        pair_keys, pair_columns = [], []
        for column, term in enumerate(self.terms_):
            parts = term.split(" ")
            if len(parts) == 1:
                self.unigram_column_[word_id[term]] = column
            else:
                pair_keys.append(word_id[parts[0]] * n_words + word_id[parts[1]])
                pair_columns.append(column)
        # Column of each (left word, right word) pair in a flat table (last slot: no pair), so
        # finding the pairs of a batch is one gather.
        self.pair_table_ = np.full(n_words * n_words + 1, -1, dtype=np.int32)
        self.pair_table_[np.asarray(pair_keys, dtype=np.int64)] = pair_columns

    def transform(self, X):
        check_is_fitted(self, "terms_")
        texts = _as_texts(X)
        n_docs, n_terms = len(texts), len(self.terms_)
        parts, word_chars = _split_tokens(texts)
        # Each token → its word id (-1 outside the vocabulary, -2 separator, -3 one-character
        # token, which the analyzer drops) with one C-level dictionary pass.
        lookup = {w.encode("utf-8"): i for i, w in enumerate(self.words_)}
        lookup.update({c.encode("utf-8"): -3 for c in (*_ASCII_WORD_CHARS, *word_chars)})
        lookup[_SEPARATOR.encode()] = -2
        ids = np.fromiter(map(lookup.get, parts, repeat(-1)), dtype=np.int64, count=len(parts))
        ids = ids[ids != -3]
        doc = np.cumsum(ids == -2)
        known = ids >= 0
        n_words = len(self.words_)
        unigram = self.unigram_column_[np.where(known, ids, n_words)]
        rows, cols = [doc[unigram >= 0]], [unigram[unigram >= 0]]
        if len(ids) > 1:
            both = known[:-1] & known[1:]
            pair = self.pair_table_[np.where(both, ids[:-1] * n_words + ids[1:], -1)].astype(np.int64)
            hit = pair >= 0
            rows.append(doc[:-1][hit])
            cols.append(pair[hit])
        row, col = np.concatenate(rows), np.concatenate(cols)
        # Counts (duplicates summed), × idf, rows scaled to unit length; then the length column in front.
        counts = sp.csr_matrix((np.ones(len(row)), (row, col)), shape=(n_docs, n_terms))
        counts.sum_duplicates()
        per_row = np.diff(counts.indptr)
        data = counts.data * self.idf_[counts.indices]
        norms = np.sqrt(np.bincount(np.repeat(np.arange(n_docs), per_row), weights=data ** 2, minlength=n_docs))
        data /= np.repeat(np.where(norms > 0, norms, 1.0), per_row)
        indptr = counts.indptr + np.arange(n_docs + 1)
        out_data = np.empty(len(data) + n_docs)
        out_indices = np.empty(len(data) + n_docs, dtype=np.int32)
        firsts = indptr[:-1]
        is_first = np.zeros(len(out_data), dtype=bool)
        is_first[firsts] = True
        out_data[firsts] = np.fromiter(map(len, texts), dtype=float, count=n_docs)
        out_indices[firsts] = 0
        out_data[~is_first] = data
        out_indices[~is_first] = counts.indices + 1
        return sp.csr_matrix((out_data, out_indices, indptr), shape=(n_docs, n_terms + 1))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "terms_")
        return np.array(["text_length", *(f"text: {t}" for t in self.terms_)], dtype=object)


class EngagementFeatures(TransformerMixin, BaseEstimator):
    """The five counts on a log scale, plus likes, shares, downloads and comments per view.

    ``log1p`` keeps the counts' hundred-fold range usable by a linear model;
    a rate is 0 for a video with no views (it has had no chance to be liked).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame([[100, 50, 10, 1, 0]], columns=list(COUNT_COLUMNS))
    >>> EngagementFeatures().fit(frame).transform(frame)[0, 5:].tolist()
    [0.5, 0.1, 0.01, 0.0]
    """

    def fit(self, X, y=None):
        self.n_features_in_ = len(COUNT_COLUMNS)
        return self

    def transform(self, X):
        counts = np.asarray(X, dtype=float)
        if counts.ndim != 2 or counts.shape[1] != len(COUNT_COLUMNS):
            raise ClaimstatsError(f"EngagementFeatures needs the {len(COUNT_COLUMNS)} count columns "
                                  f"{', '.join(COUNT_COLUMNS)}")
        views = counts[:, :1]
        with np.errstate(divide="ignore", invalid="ignore"):
            rates = np.where(views > 0, counts[:, 1:] / np.where(views > 0, views, 1.0), 0.0)
        return np.hstack([np.log1p(counts), rates])

    def get_feature_names_out(self, input_features=None):
        return np.array([f"log1p {c}" for c in COUNT_COLUMNS] + [f"{c.split('_')[1]}s per view"
                                                                 for c in COUNT_COLUMNS[1:]], dtype=object)


# -------------------------------------------------------------- pipelines


def _check_choice(value, allowed, what: str) -> None:
    if value not in allowed:
        raise ClaimstatsError(f"unknown {what} {value!r}; choose from {', '.join(map(repr, allowed))}")


def input_columns(feature_set: str) -> list[str]:
    """The data columns a feature set reads.

    Examples
    --------
    >>> input_columns("upload")
    ['video_duration_sec', 'verified_status', 'author_ban_status', 'video_transcription_text']
    """
    _check_choice(feature_set, FEATURE_SETS, "feature set")
    return list(_INPUTS[feature_set])


def build_features(feature_set: str = "all", *, vocabulary: int = DEFAULT_VOCABULARY, dense: bool = False) -> Pipeline:
    """The unfitted feature pipeline of a feature set: columns → scaled feature matrix.

    Metadata: duration as it is, verified and ban status one-hot (levels unseen
    in training are all zeros). Engagement: :class:`EngagementFeatures`. Text:
    :class:`TextFeatures` with a vocabulary of ``vocabulary`` terms. Every column
    is then divided by its SD in the training rows, so a logistic regression's
    penalty treats features alike (trees are unaffected). The matrix is sparse
    (most TF-IDF weights are 0), or dense with ``dense=True`` for the models
    that need it (gradient boosting); the values are the same.

    Examples
    --------
    >>> build_features("text").named_steps["columns"].transformers[0][0]
    'text'
    """
    _check_choice(feature_set, FEATURE_SETS, "feature set")
    parts = []
    if feature_set in ("all", "upload"):
        parts += [("duration", "passthrough", [DURATION]),
                  ("status", OneHotEncoder(handle_unknown="ignore", sparse_output=False,
                                           categories=[list(CATEGORIES[VERIFIED]), list(CATEGORIES[BAN])]),
                   [VERIFIED, BAN])]
    if feature_set == "all":
        parts.append(("engagement", EngagementFeatures(), list(COUNT_COLUMNS)))
    parts.append(("text", TextFeatures(max_features=vocabulary), TEXT))
    columns = ColumnTransformer(parts, sparse_threshold=0.0 if dense else 1.0, verbose_feature_names_out=False)
    # Not centred, so that a sparse matrix stays sparse (an intercept absorbs the means).
    return Pipeline([("columns", columns), ("scale", StandardScaler(with_mean=False))])


def build_classifier(model: str, params: dict | None = None, *, seed: int = 0, n_jobs: int | None = None):
    """An unfitted classifier of one of :data:`MODELS` with the given hyper-parameters."""
    _check_choice(model, MODELS, "model")
    params = dict(params or {})
    if model == "logistic":
        return LogisticRegression(max_iter=2000, **params)
    if model == "random_forest":
        return RandomForestClassifier(random_state=seed, n_jobs=n_jobs, **params)
    # Early stopping on a seeded tenth of the training rows once the loss gains less than 1e-4 in
    # five rounds: the classes separate well, so boosting stops after a few dozen trees.
    return HistGradientBoostingClassifier(max_iter=100, early_stopping=True, n_iter_no_change=5, tol=1e-4,
                                          random_state=seed, **params)


def build_pipeline(feature_set: str = "all", model: str = "logistic", params: dict | None = None, *,
                   seed: int = 0, vocabulary: int = DEFAULT_VOCABULARY, n_jobs: int | None = None) -> Pipeline:
    """Features and classifier in one unfitted :class:`~sklearn.pipeline.Pipeline`.

    Fit it on ``data[input_columns(feature_set)]`` (only those columns, so that
    ``feature_names_in_`` and permutation importances name them).

    Examples
    --------
    >>> list(build_pipeline("text", "random_forest").named_steps)
    ['features', 'model']
    """
    dense = model == "gradient_boosting"  # HistGradientBoostingClassifier does not take sparse input
    return Pipeline([("features", build_features(feature_set, vocabulary=vocabulary, dense=dense)),
                     ("model", build_classifier(model, params, seed=seed, n_jobs=n_jobs))])


def predict_claim_probability(pipeline: Pipeline, data: pd.DataFrame) -> np.ndarray:
    """The fitted pipeline's probability that each row is a claim."""
    columns = list(pipeline.feature_names_in_)
    require_columns(data, columns)
    classes = list(pipeline.classes_)
    return pipeline.predict_proba(data[columns])[:, classes.index(1)]


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
    two (observed − predicted). A calibrated model has gaps near 0.

    Examples
    --------
    >>> calibration_table([0, 1, 1, 1], [0.1, 0.2, 0.8, 0.9], bins=2)["observed"].tolist()
    [0.5, 1.0]
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(scores, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
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


def choose(table: pd.DataFrame, *, recall: str = "recall", f1: str = "f1",
           tolerance: float = TIE_TOLERANCE) -> int:
    """Position of the row that :data:`CHAMPION_RULE` picks; rows must be simplest first.

    Examples
    --------
    >>> import pandas as pd
    >>> choose(pd.DataFrame({"recall": [0.990, 0.991, 0.95], "f1": [0.97, 0.96, 0.99]}))
    0
    """
    r = table[recall].to_numpy(dtype=float)
    f = table[f1].to_numpy(dtype=float)
    tied = r >= np.nanmax(r) - tolerance
    tied &= f >= np.nanmax(np.where(tied, f, -np.inf)) - tolerance
    return int(np.flatnonzero(tied)[0])


# ------------------------------------------------------------ evaluation


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A fitted classifier scored on labelled rows (the test split, used once).

    ``scores`` are claim probabilities and ``y_true`` the labels (1 = claim),
    kept for the curves in :mod:`claimstats.model_plots`.
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

    def describe(self) -> str:
        """A sentence for a report."""
        m = self.metrics
        who = f"The {MODELS.get(self.model, self.model)} on {FEATURE_PHRASES.get(self.feature_set, self.feature_set)}"
        text = (f"{who} catches {m['recall']:.1%} of the {self.n_claims:,} claims among {self.n:,} held-out reports "
                f"(recall {m['recall']:.3f}) with precision {m['precision']:.3f} (F1 {m['f1']:.3f}, accuracy "
                f"{m['accuracy']:.3f}, ROC AUC {m['roc_auc']:.3f}) at threshold {self.threshold:.3g}.")
        if len(self.importances):
            top = self.importances.iloc[0]
            text += (f" Its most important input is {top['column']}: shuffling it lowers the "
                     f"{self.importance_scoring.replace('_', ' ')} by {top['importance']:.3f}.")
        return text


def evaluate(pipeline: Pipeline, data: pd.DataFrame, *, threshold: float = 0.5, importance_repeats: int = 5,
             importance_scoring: str = "average_precision", seed: int = 0, feature_set: str = "",
             model: str = "") -> Evaluation:
    """Score a fitted pipeline on labelled rows: metrics, confusion, calibration, importances.

    Parameters
    ----------
    pipeline : fitted Pipeline
        As :func:`build_pipeline` makes it, fitted on training rows.
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

    Examples
    --------
    >>> import claimstats
    >>> tidy, _ = claimstats.clean(claimstats.load("synthetic:2", rows=800).frame)
    >>> train, _, test = split_data(tidy, seed=2)
    >>> fitted = build_pipeline("text").fit(train[input_columns("text")], claim_labels(train))
    >>> evaluate(fitted, test, importance_repeats=0).n == len(test)
    True
    """
    y = claim_labels(data)
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
                      importances=importances, y_true=y, scores=scores, importance_scoring=importance_scoring)


# ------------------------------------------------------------ comparison


@dataclass(frozen=True, eq=False)
class ModelComparison:
    """Feature sets × models: cross-validation, validation, champions and their test scores.

    ``pipelines`` maps ``(feature_set, model)`` to the tuned pipeline fitted on
    the training split; ``evaluations`` maps each feature set to its champion's
    test :class:`Evaluation`; ``validation_scores`` to the champion's
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

    @property
    def feature_sets(self) -> list[str]:
        return list(self.evaluations)

    def champion_model(self, feature_set: str) -> str:
        """The model chosen for a feature set on the validation split."""
        _check_choice(feature_set, self.evaluations, "feature set")
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

    def describe(self) -> str:
        """What was compared, who won on validation, how each champion did on test, and why
        the at-upload set matters."""
        how = f"tuned by {self.cv}-fold cross-validation on" if self.cv else "fitted on"
        parts = [f"{len(self.candidates)} models ({', '.join(FEATURE_SETS[f] for f in self.feature_sets)}) were "
                 f"{how} {self.n_train:,} training reports and compared on {self.n_validation:,} validation "
                 f"reports; each feature set's champion was then scored once on {self.n_test:,} test reports."]
        for feature_set, ev in self.evaluations.items():
            m = ev.metrics
            parts.append(f"{FEATURE_SETS[feature_set].capitalize()}: the {MODELS[ev.model]} reaches test recall "
                         f"{m['recall']:.3f}, precision {m['precision']:.3f} and F1 {m['f1']:.3f}.")
        if len(self.separation):
            best = self.separation.sort_values("accuracy", ascending=False).iloc[0]
            lead = "Engagement counts nearly separate the classes: " if best["accuracy"] >= 0.95 else ""
            parts.append(f"{lead}{best['column']} alone, cut at {best['cut']:,.0f}, labels {best['accuracy']:.1%} "
                         "of the training reports correctly.")
        if "all" in self.evaluations:
            fresh = self.candidates.set_index(["feature_set", "model"])["fresh_recall"]
            all_model = self.champion_model("all")
            sentence = (f"A model that leans on counts cannot help on a fresh video, which has no views yet: with the "
                        f"test videos' counts set to zero, the all-features champion's recall is "
                        f"{fresh[('all', all_model)]:.1%} (against {self.evaluations['all'].metrics['recall']:.1%} "
                        "with their real counts)")
            if "upload" in self.evaluations:
                sentence += (f", while the at-upload champion, which never reads counts, keeps "
                             f"{fresh[('upload', self.champion_model('upload'))]:.1%}")
            parts.append(sentence + ".")
        return " ".join(parts)


def _single_threaded(task, *args):
    # One BLAS/OpenMP thread per task: parallelism comes from running tasks side by side.
    # On a shared machine, a boosting fit that spins several OpenMP threads can be ten times slower.
    with threadpool_limits(limits=1):
        return task(*args)


def _run(tasks: list, n_jobs: int | None) -> list:
    """Run ``(function, *args)`` tasks, in this process or on ``n_jobs`` worker processes."""
    if n_jobs in (None, 1) or len(tasks) < 2:
        return [_single_threaded(*task) for task in tasks]
    return Parallel(n_jobs=n_jobs)(delayed(_single_threaded)(*task) for task in tasks)


def _fold_scores(X: pd.DataFrame, y: np.ndarray, fit_rows, held_rows, feature_set: str, grid: dict, seed: int,
                 vocabulary: int, fold: int) -> list[dict]:
    """Scores of every grid point on one fold. The features are fitted on the fold's training
    rows only, once, and shared by every candidate of the fold."""
    features = build_features(feature_set, vocabulary=vocabulary)
    X_fit = features.fit_transform(X.iloc[fit_rows], y[fit_rows])
    X_held = features.transform(X.iloc[held_rows])
    rows = []
    for model, candidates in grid.items():
        dense = model == "gradient_boosting"  # the same values as build_pipeline's dense features
        fit_part, held_part = (X_fit.toarray(), X_held.toarray()) if dense else (X_fit, X_held)
        for position, params in enumerate(candidates):
            classifier = build_classifier(model, params, seed=seed).fit(fit_part, y[fit_rows])
            found = metrics_at(y[held_rows], classifier.predict_proba(held_part)[:, 1])
            rows.append({"feature_set": feature_set, "model": model, "candidate": position, "fold": fold,
                         **{k: found[k] for k in ("recall", "precision", "f1")}})
    return rows


def _fit_candidate(X_train: pd.DataFrame, y_train: np.ndarray, X_validation: pd.DataFrame, feature_set: str,
                   model: str, params: dict, seed: int, vocabulary: int):
    pipeline = build_pipeline(feature_set, model, params, seed=seed, vocabulary=vocabulary)
    pipeline.fit(X_train, y_train)
    return pipeline, predict_claim_probability(pipeline, X_validation)


def _test_champion(pipeline: Pipeline, test: pd.DataFrame, feature_set: str, model: str, repeats: int, seed: int):
    evaluation = evaluate(pipeline, test, importance_repeats=repeats, seed=seed, feature_set=feature_set,
                          model=model)
    fresh = test.copy()
    for column in COUNT_COLUMNS:  # as when the video is reported right after upload
        fresh[column] = 0
    fresh_recall = metrics_at(evaluation.y_true, predict_claim_probability(pipeline, fresh))["recall"]
    return evaluation, fresh_recall


def _usable(data: pd.DataFrame, feature_sets) -> tuple[pd.DataFrame, int]:
    needed = [TARGET, *dict.fromkeys(c for f in feature_sets for c in input_columns(f))]
    require_columns(data, needed)
    keep = data[needed].notna().all(axis=1)
    return data.loc[keep], int((~keep).sum())


def compare_models(data: pd.DataFrame, *, feature_sets=tuple(FEATURE_SETS), models=tuple(MODELS),
                   grid: str = "small", cv: int = 5, seed: int = 0, validation_size: float = 0.2,
                   test_size: float = 0.2, vocabulary: int = DEFAULT_VOCABULARY,
                   importance_repeats: int | None = None, n_jobs: int | None = None) -> ModelComparison:
    """Tune, compare and test the claim classifiers across feature sets and models.

    Parameters
    ----------
    data : DataFrame
        Cleaned claims data (rows missing a label or an input are left out and
        counted in ``n_missing``).
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
        Words and word pairs kept by :class:`TextFeatures`.
    importance_repeats : int, optional
        Shuffles per column for the champions' permutation importances (0:
        skip). Default 5, or 2 with the fast grid.
    n_jobs : int, optional
        Worker processes (``-1``: one per core). Each fit uses one thread, so
        the folds, models and feature sets run side by side; results do not
        depend on ``n_jobs``.

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
        _check_choice(f, FEATURE_SETS, "feature set")
    for m in models:
        _check_choice(m, MODELS, "model")
    _check_choice(grid, GRIDS, "grid")
    if cv < 2:
        raise ClaimstatsError(f"cv must be at least 2 folds; got {cv}")
    models = [m for m in MODELS if m in models]  # simplest first, whatever the order given
    if importance_repeats is None:
        importance_repeats = 2 if grid == "fast" else 5
    chosen_grid = {m: GRIDS[grid][m] for m in models}
    usable, n_missing = _usable(data, feature_sets)
    split = split_data(usable, seed=seed, validation_size=validation_size, test_size=test_size)
    y_train, y_val = claim_labels(split.train), claim_labels(split.validation)
    needs_cv = any(len(c) > 1 for c in chosen_grid.values())

    # 1. cross-validated scores of every grid point (skipped when there is nothing to choose)
    if needs_cv:
        folds = list(StratifiedKFold(n_splits=cv, shuffle=True, random_state=seed).split(np.zeros(len(y_train)),
                                                                                          y_train))
        fold_rows = _run([(_fold_scores, split.train[input_columns(f)], y_train, fit_rows, held_rows, f,
                           chosen_grid, seed, vocabulary, k)
                          for f in feature_sets for k, (fit_rows, held_rows) in enumerate(folds)], n_jobs)
        tuned = (pd.DataFrame([row for rows in fold_rows for row in rows])
                 .groupby(["feature_set", "model", "candidate"], sort=False)[["recall", "precision", "f1"]]
                 .mean().reset_index())
    else:
        tuned = pd.DataFrame([{"feature_set": f, "model": m, "candidate": 0, "recall": np.nan, "precision": np.nan,
                               "f1": np.nan} for f in feature_sets for m in models])
    tuned["params"] = [_params_text(chosen_grid[m][c]) for m, c in zip(tuned["model"], tuned["candidate"])]
    tuned["chosen"] = False
    best = {}
    for (f, m), points in tuned.groupby(["feature_set", "model"], sort=False):
        at = points.index[choose(points) if needs_cv else 0]
        tuned.loc[at, "chosen"] = True
        best[(f, m)] = int(tuned.loc[at, "candidate"])

    # 2. each model's chosen candidate refitted on the whole training split, scored on validation
    fitted = _run([(_fit_candidate, split.train[input_columns(f)], y_train, split.validation, f, m,
                    chosen_grid[m][best[(f, m)]], seed, vocabulary) for f in feature_sets for m in models], n_jobs)
    pipelines, rows = {}, []
    for (f, m), (pipeline, p_val) in zip(((f, m) for f in feature_sets for m in models), fitted):
        pipelines[(f, m)] = pipeline
        point = tuned[(tuned["feature_set"] == f) & (tuned["model"] == m) & tuned["chosen"]].iloc[0]
        val = metrics_at(y_val, p_val)
        rows.append({"feature_set": f, "model": m, "params": point["params"], "cv_recall": point["recall"],
                     "cv_f1": point["f1"], "validation_recall": val["recall"],
                     "validation_precision": val["precision"], "validation_f1": val["f1"],
                     "validation_roc_auc": val["roc_auc"], "_scores": p_val})
    candidates = pd.DataFrame(rows)

    # 3. a champion per feature set, chosen on validation, then scored once on test
    candidates["champion"] = False
    for f in feature_sets:
        of_set = candidates.index[candidates["feature_set"] == f]
        candidates.loc[of_set[choose(candidates.loc[of_set], recall="validation_recall", f1="validation_f1")],
                       "champion"] = True
    champions = candidates[candidates["champion"]]
    tested = _run([(_test_champion, pipelines[(f, m)], split.test, f, m, importance_repeats, seed)
                   for f, m in zip(champions["feature_set"], champions["model"])], n_jobs)
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
    candidates.insert(2, "label", [f"{MODELS[m]}, {FEATURE_SETS[f]}" for f, m in
                                   zip(candidates["feature_set"], candidates["model"])])
    tuning = tuned.rename(columns={"recall": "cv_recall", "precision": "cv_precision", "f1": "cv_f1"})
    return ModelComparison(
        grid=grid, cv=cv if needs_cv else 0, seed=seed, n_train=len(split.train),
        n_validation=len(split.validation), n_test=len(split.test), n_missing=n_missing,
        seconds=time.perf_counter() - started, candidates=candidates,
        tuning=tuning[["feature_set", "model", "candidate", "params", "cv_recall", "cv_precision", "cv_f1", "chosen"]],
        separation=count_separation(split.train) if set(COUNT_COLUMNS) <= set(split.train.columns) else
        pd.DataFrame(), pipelines=pipelines, evaluations=evaluations, validation_scores=validation_scores,
        split=split)


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())
