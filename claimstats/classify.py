"""Construct: the claim classifier's features and pipelines.

A claim/opinion classifier here is one scikit-learn :class:`~sklearn.pipeline.Pipeline`:
a feature pipeline (:func:`build_features`) followed by one of three models
(:data:`MODELS`: logistic regression, random forest, gradient boosting with
``HistGradientBoostingClassifier``). Every transformation is fitted on training
rows only, inside the pipeline.

The three **feature sets** (:data:`FEATURE_SETS`):

* ``"all"``: metadata, engagement counts and rates, text, as the course does;
* ``"text"``: the transcription only;
* ``"upload"``: everything known when a video is reported early (metadata
  and text, no engagement counts).

Text features come from :class:`TextFeatures`: the transcription's length and
TF-IDF weights of its words and word pairs over a bounded vocabulary. It gives
exactly what scikit-learn's ``TfidfVectorizer`` gives for that vocabulary, several
times faster (``benchmarks/bench_tfidf.py`` times it against ``TfidfVectorizer``
and ``HashingVectorizer`` + ``TfidfTransformer``), which is what lets
:mod:`claimstats.triage` score a backlog at more than 100,000 reports a second. Its two inner loops
(cutting ASCII texts into vocabulary words; counts, idf and row norms into a CSR matrix) run in a
small C extension, ``claimstats/_textkernel.c``, built at install where a C compiler is present, and
otherwise in NumPy and Arrow: the same matrix, bit for bit, either way (the tests check both).
Engagement counts and their per-view rates come from :class:`EngagementFeatures`.

How the models are split, tuned, compared and tested is in
:mod:`claimstats.comparison` (:func:`~claimstats.comparison.compare_models`);
the metrics and the one-time test evaluation in :mod:`claimstats.evaluation`.
Model files name the two transformers by this module's path
(:data:`claimstats.modelfile.TRUSTED_TYPES`): moving them changes the model format.

Examples
--------
>>> import claimstats
>>> from claimstats.evaluation import claim_labels
>>> tidy, _ = claimstats.clean(claimstats.load("synthetic:3", rows=600).frame)
>>> pipeline = build_pipeline("upload", "logistic").fit(tidy[input_columns("upload")], claim_labels(tidy))
>>> probability = predict_claim_probability(pipeline, tidy)
>>> bool(((probability >= 0) & (probability <= 1)).all())
True
"""

from __future__ import annotations

import re
from itertools import repeat

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_array, check_is_fitted

from claimstats.errors import ClaimstatsError, require_columns

try:  # the tokenizer's and the weights' loops in C (claimstats/_textkernel.c), where it was built
    from claimstats import _textkernel
except ImportError:  # installed without a C compiler: the same matrices from NumPy and Arrow
    _textkernel = None
from claimstats.schema import (BAN, CATEGORIES, COUNT_COLUMNS, DURATION, TARGET, TEXT, VERIFIED,
                               arrow_strings)

__all__ = [
    "DEFAULT_VOCABULARY",
    "FEATURE_PHRASES",
    "FEATURE_SETS",
    "MODELS",
    "NEGATIVE",
    "POSITIVE",
    "EngagementFeatures",
    "SparseBoosting",
    "TextFeatures",
    "build_classifier",
    "build_features",
    "build_pipeline",
    "check_choice",
    "input_columns",
    "predict_claim_probability",
]

#: The positive class ("claim") and the negative one ("opinion").
POSITIVE, NEGATIVE = CATEGORIES[TARGET]
#: Feature sets and how tables name them.
FEATURE_SETS = {"all": "all features", "text": "text only", "upload": "at upload"}
#: How prose names them, after "a model on ...".
FEATURE_PHRASES = {"all": "all features", "text": "the text only", "upload": "at-upload features"}
#: Models, simplest first (the order breaks the last tie of
#: :data:`claimstats.comparison.CHAMPION_RULE`).
MODELS = {"logistic": "logistic regression", "random_forest": "random forest",
          "gradient_boosting": "gradient boosting"}
#: Columns each feature set reads.
_INPUTS = {
    "all": (DURATION, VERIFIED, BAN, *COUNT_COLUMNS, TEXT),
    "text": (TEXT,),
    "upload": (DURATION, VERIFIED, BAN, TEXT),
}
#: Words and word pairs :class:`TextFeatures` keeps by default.
DEFAULT_VOCABULARY = 400
#: Texts :class:`TextFeatures` tokenizes at once when transforming (more are done block by block).
#: A block's token arrays (about 27 tokens a text, 8 bytes each) then stay under the 4 MiB from
#: which NumPy asks Linux for huge pages: each huge page is zeroed 2 MiB at a time when first
#: touched, which made a quarter of a fresh triage's time kernel time. The same matrix; fresh
#: processes triaging 10^5 Parquet reports on 2 cores took 0.36-0.57 s (median 0.43) against
#: 0.55-0.71 s (median 0.68) with blocks of 100,000 texts, and a warm 50,000-row chunk 199 ms against 211.
_TRANSFORM_BLOCK = 12_500
#: Texts :class:`TextFeatures` chooses its vocabulary from (a seeded sample of a larger training set).
VOCABULARY_SAMPLE = 100_000


# ------------------------------------------------------------------ text


_SEPARATOR = "\x00"  # between documents: not a word character, never left in a transcription
# ASCII bytes that are not word characters (\w) become spaces; the bytes of other characters
# (UTF-8, 0x80 and above) stay as they are.
_ASCII_TABLE = bytes(32 if c < 128 and chr(c) != _SEPARATOR and not re.match(r"\w", chr(c)) else c
                     for c in range(256))
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WORD_CHAR = re.compile(r"\w")
#: Each byte of ASCII text lower-cased, or a space where it is not a word character (nor, above 0x7f, ASCII).
_WORD_BYTES = np.array([ord(chr(c).lower()) if c < 128 and _WORD_CHAR.match(chr(c)) else 32 for c in range(256)],
                       dtype=np.uint8)
_ASCII_WORD_CHARS = tuple(chr(c) for c in range(128) if _WORD_CHAR.match(chr(c)) and chr(c) == chr(c).lower())
#: The same for lower-cased UTF-8 text: ASCII's non-word bytes become spaces, the bytes of other
#: characters stay (those that are not word characters were made spaces before).
_UTF8_WORD_BYTES = np.where(np.arange(256) < 128, _WORD_BYTES, np.arange(256)).astype(np.uint8)


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


def _arrow_texts(X) -> pa.Array | None:
    """The text column as one Arrow string array when it is held as Arrow strings (pandas's string
    type on pyarrow, as in every chunk that triage reads) with no value missing; else ``None``."""
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            return None  # _as_texts says what is wrong
        X = X.iloc[:, 0]
    texts = arrow_strings(X) if isinstance(X, pd.Series) else None
    if texts is None or texts.null_count:
        return None
    return texts.combine_chunks()


def _ascii_token_ids(texts: pa.Array, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, doc)`` of ASCII texts' tokens of two characters or more, in order: each token's
    position in ``words`` (-1 outside them) and its text's row, cut as the word analyzer cuts them.

    The C kernel, or NumPy and Arrow's compute functions, do the work without a Python string per
    text: in ASCII, ``\\w`` is ``[A-Za-z0-9_]`` and lower-casing is ASCII's.
    """
    return _byte_token_ids(texts, words, _WORD_BYTES, utf8=False)


def _own_bytes(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, bytes)`` of Arrow texts, as NumPy views. A slice (a block of a chunk) shares its
    parent's buffers: only its own offsets and bytes are taken."""
    _, offsets, data = texts.buffers()
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32  # the offsets' type
    bounds = np.frombuffer(offsets, dtype=width)[texts.offset:texts.offset + len(texts) + 1]
    first, last = int(bounds[0]), int(bounds[-1])
    own = np.frombuffer(data, dtype=np.uint8)[first:last] if data is not None else np.empty(0, np.uint8)
    return bounds, own


def _byte_token_ids(texts: pa.Array, words: list[str], table: np.ndarray, *, utf8: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, doc)`` of texts whose bytes ``table`` turns into tokens between spaces; a token's
    characters are its bytes, or with ``utf8`` its UTF-8 characters (one-character tokens are dropped)."""
    if not len(texts):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    _, offsets, data = texts.buffers()
    if _textkernel is not None:  # one pass over the bytes, without the interpreter's lock
        encoded = [w.encode("utf-8") for w in words]
        word_offsets = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum([len(w) for w in encoded], out=word_offsets[1:])
        ids, rows = _textkernel.ascii_token_ids(offsets, pa.types.is_large_string(texts.type), texts.offset,
                                                len(texts), data if data is not None else b"", table.tobytes(),
                                                utf8, b"".join(encoded), word_offsets, len(words))
        return np.frombuffer(ids, dtype=np.int64), np.frombuffer(rows, dtype=np.int64)
    bounds, own = _own_bytes(texts)
    # Each byte lower-cased, or a space where it is not a word character: one table look-up over the
    # bytes (a regular expression over them took twice the time the whole Python tokenizer does).
    spaced = table[own]
    cut = pa.Array.from_buffers(texts.type, len(texts), [None, pa.py_buffer(bounds - bounds[:1]),
                                                         pa.py_buffer(spaced)])
    pieces = pc.ascii_split_whitespace(cut)
    tokens, doc = pc.list_flatten(pieces), pc.list_parent_indices(pieces)
    kept = pc.greater_equal(pc.utf8_length(tokens) if utf8 else pc.binary_length(tokens), 2)  # one-character tokens
    tokens, doc = tokens.filter(kept), doc.filter(kept)
    ids = pc.index_in(tokens, value_set=pa.array(words, type=tokens.type)).fill_null(-1)
    return ids.to_numpy().astype(np.int64), doc.to_numpy().astype(np.int64)


#: Characters whose lower case Python finds from their neighbours: capital sigma is final sigma
#: at the end of a word (``str.lower`` follows Unicode's Final_Sigma rule).
_LOWER_IN_CONTEXT = frozenset("\u03a3")


def _non_ascii_characters(texts: pa.Array) -> list[str] | None:
    """The distinct non-ASCII characters of UTF-8 texts, read off their bytes (``None``: not valid UTF-8)."""
    _, own = _own_bytes(texts)
    leads = np.flatnonzero(own >= 0xC0)  # the first byte of each character of two bytes or more
    if not len(leads):
        return []
    padded = np.concatenate([own, np.zeros(3, np.uint8)]).astype(np.uint32)
    size = np.where(own[leads] < 0xE0, 2, np.where(own[leads] < 0xF0, 3, 4))
    packed = (padded[leads] << 24) | (padded[leads + 1] << 16) | (padded[leads + 2] << 8) | padded[leads + 3]
    packed &= (0xFFFFFFFF << (8 * (4 - size))).astype(np.uint32)  # only the character's own bytes
    keys, at = np.unique(packed, return_index=True)
    try:
        return [int(key).to_bytes(4, "big")[:int(size[i])].decode("utf-8") for key, i in zip(keys, at)]
    except UnicodeDecodeError:
        return None


def _unicode_token_ids(texts: pa.Array, words: list[str]) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray] | None:
    """``((ids, doc), rows)`` of the texts among non-ASCII ``texts`` that Arrow cuts as Python does,
    and which of them those are (``rows``); ``None`` when it can cut none of them.

    Arrow lower-cases each character on its own (``utf8_lower``); Python's ``str.lower`` agrees for
    every character whose lower case is one character that Arrow gives too, except capital sigma
    (:data:`_LOWER_IN_CONTEXT`). Texts holding another character (``"İ"``, whose lower case is two
    characters, or one that the two Unicode versions disagree on) are left to Python. Of the
    lower-cased characters, those that are not word characters (``\\w``: curly quotes, dashes,
    combining accents) become spaces, and the bytes are then cut as ASCII's are, counting
    characters, not bytes, for the one-character rule.
    """
    chars = _non_ascii_characters(texts)
    if not chars:  # not valid UTF-8 (non-ASCII text holds a character of two bytes or more)
        return None
    arrow_lower = pc.utf8_lower(pa.array(chars, pa.string())).to_pylist()
    python_lower = [c.lower() for c in chars]
    unsafe = [c for c, a, p in zip(chars, arrow_lower, python_lower) if a != p or c in _LOWER_IN_CONTEXT]
    rows = np.arange(len(texts))
    if unsafe:
        holds = pc.match_substring_regex(texts, _character_class(unsafe)).to_numpy(zero_copy_only=False)
        if holds.all():
            return None
        rows = np.flatnonzero(~holds)
        texts = texts.take(rows)
    lowered = pc.utf8_lower(texts)
    gaps = sorted({p for c, p in zip(chars, python_lower) if c not in unsafe and not p.isascii()
                   and not _WORD_CHAR.match(p)})
    if gaps:  # not word characters: spaces, as ASCII's are
        lowered = pc.replace_substring_regex(lowered, _character_class(gaps), " ")
    return _byte_token_ids(lowered, words, _UTF8_WORD_BYTES, utf8=True), rows


def _character_class(chars: list[str]) -> str:
    """A regular expression (RE2's syntax) matching any one of ``chars``."""
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


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

    With more than ``sample`` training texts, the vocabulary is chosen from a
    seeded random sample of ``sample`` of them (``random_state``), and the
    idf is then counted over every training text, block by block: memory is
    bounded by the sample and the block, not by the training set (every
    word pair of a million texts would otherwise be held at once).

    Examples
    --------
    >>> texts = ["I think that cats sleep", "someone told me that cats fly", "I think that dogs run"]
    >>> features = TextFeatures(max_features=3, min_df=1).fit(texts)
    >>> features.terms_
    ['cats', 'that', 'that cats']
    >>> features.transform(["cats, cats!"]).toarray().round(3).tolist()
    [[11.0, 1.0, 0.0, 0.0]]
    """

    def __init__(self, max_features: int = DEFAULT_VOCABULARY, min_df: int = 2, ngram_range: tuple = (1, 2),
                 sample: int = VOCABULARY_SAMPLE, random_state: int = 0):
        self.max_features = max_features
        self.min_df = min_df
        self.ngram_range = ngram_range
        self.sample = sample
        self.random_state = random_state

    def fit(self, X, y=None):
        if tuple(self.ngram_range) not in ((1, 1), (1, 2)):
            raise ClaimstatsError(f"ngram_range must be (1, 1) or (1, 2); got {self.ngram_range}")
        if self.sample < 1:
            raise ClaimstatsError(f"sample must be at least 1 text; got {self.sample}")
        texts = _as_texts(X)
        if len(texts) <= self.sample:
            return self._fit_vocabulary(texts)
        rng = np.random.default_rng(self.random_state)
        chosen = np.sort(rng.choice(len(texts), size=self.sample, replace=False))
        self._fit_vocabulary([texts[i] for i in chosen])
        # The idf of the chosen terms over every training text, a block at a time (the length column dropped).
        df = np.zeros(len(self.terms_))
        for start in range(0, len(texts), _TRANSFORM_BLOCK):
            counts = self._transform(texts[start:start + _TRANSFORM_BLOCK])[:, 1:]
            df += np.bincount(counts.indices, minlength=len(self.terms_))  # one entry per text and term
        self.idf_ = np.log((1 + len(texts)) / (1 + df)) + 1.0
        return self

    def _fit_vocabulary(self, texts: list):
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
        if len(candidates) > self.max_features:  # the most frequent first; names only for the ties at the cut
            frequency = term_frequency[candidates]
            cut = np.partition(frequency, len(frequency) - self.max_features)[len(frequency) - self.max_features]
            candidates = np.concatenate([candidates[frequency > cut], candidates[frequency == cut]])
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
        texts = _arrow_texts(X)
        if texts is None:
            texts = _as_texts(X)
        if len(texts) > _TRANSFORM_BLOCK:  # the tokens of a block at a time: memory bounded by the block
            return sp.vstack([self._transform(texts[start:start + _TRANSFORM_BLOCK])
                              for start in range(0, len(texts), _TRANSFORM_BLOCK)], format="csr")
        return self._transform(texts)

    def _transform(self, texts):
        """The matrix of ``texts``: a list of strings, or Arrow strings (:func:`_arrow_texts`)."""
        n_docs, n_terms = len(texts), len(self.terms_)
        if isinstance(texts, pa.Array):
            ids, doc = self._arrow_token_ids(texts)
            lengths = pc.utf8_length(texts).to_numpy().astype(float)  # characters, as len() counts them
        else:
            ids, doc = self._token_ids(texts)
            lengths = np.fromiter(map(len, texts), dtype=float, count=n_docs)
        n_words = len(self.words_)
        if _textkernel is not None:  # the same matrix from one pass over the tokens
            pairs = np.asarray(self.pair_table_)
            if pairs.dtype != np.int32 and pairs.size and not (
                    np.iinfo(np.int32).min <= pairs.min() and pairs.max() <= np.iinfo(np.int32).max):
                raise ValueError("TextFeatures.pair_table_ holds columns beyond the matrix")  # not wrapped into it
            data, indices, indptr = _textkernel.tfidf_rows(
                np.ascontiguousarray(ids, dtype=np.int64), np.ascontiguousarray(doc, dtype=np.int64), n_docs,
                np.ascontiguousarray(self.unigram_column_, dtype=np.int64),
                np.ascontiguousarray(pairs, dtype=np.int32), n_words,
                np.ascontiguousarray(self.idf_, dtype=np.float64), np.ascontiguousarray(lengths, dtype=np.float64))
            return sp.csr_matrix((np.frombuffer(data, dtype=np.float64), np.frombuffer(indices, dtype=np.int32),
                                  np.frombuffer(indptr, dtype=np.int64)), shape=(n_docs, n_terms + 1))
        known = ids >= 0
        unigram = self.unigram_column_[np.where(known, ids, n_words)]
        rows, cols = [doc[unigram >= 0]], [unigram[unigram >= 0]]
        if len(ids) > 1:
            both = known[:-1] & known[1:] & (doc[:-1] == doc[1:])  # a pair never spans two texts
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
        row_of = np.repeat(np.arange(n_docs), per_row)  # once: np.repeat holds the interpreter's lock
        norms = np.sqrt(np.bincount(row_of, weights=data ** 2, minlength=n_docs))
        data /= np.where(norms > 0, norms, 1.0)[row_of]
        indptr = counts.indptr + np.arange(n_docs + 1)
        out_data = np.empty(len(data) + n_docs)
        out_indices = np.empty(len(data) + n_docs, dtype=np.int32)
        firsts = indptr[:-1]
        is_first = np.zeros(len(out_data), dtype=bool)
        is_first[firsts] = True
        out_data[firsts] = lengths
        out_indices[firsts] = 0
        out_data[~is_first] = data
        out_indices[~is_first] = counts.indices + 1
        return sp.csr_matrix((out_data, out_indices, indptr), shape=(n_docs, n_terms + 1))

    def _arrow_token_ids(self, texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, doc)`` of Arrow texts: the ASCII ones by :func:`_ascii_token_ids`, the others (curly
        quotes, accents: Unicode's ``\\w`` and ``lower()``) by Arrow's lower-casing then the same cut
        where that is Python's (:func:`_unicode_token_ids`), the rest by :meth:`_token_ids`. A text's
        tokens stay together, so the pairs are the same. One transcript in twelve of the course file
        has a curly apostrophe or an accent: cut in Python, they held the interpreter's lock for
        about a fifth of a scoring thread's time once the ASCII ones were cut in C."""
        plain = pc.string_is_ascii(texts).to_numpy(zero_copy_only=False)
        if plain.all():
            return _ascii_token_ids(texts, self.words_)
        at, others = np.flatnonzero(plain), np.flatnonzero(~plain)
        parts = [(at, _ascii_token_ids(texts.take(at), self.words_))]
        found = _unicode_token_ids(texts.take(others), self.words_)
        if found is not None:
            cut, rows = found
            parts.append((others[rows], cut))
            others = np.delete(others, rows)
        if len(others):
            parts.append((others, self._token_ids(texts.take(others).to_pylist())))
        return np.concatenate([ids for _, (ids, _) in parts]), np.concatenate([at[doc] for at, (_, doc) in parts])

    def _token_ids(self, texts: list) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, doc)`` of the tokens of a list of texts: each token's position in ``words_`` (-1 outside
        them, -2 the separator between two texts) and its text's row."""
        parts, word_chars = _split_tokens(texts)
        # Each token → its word id (-1 outside the vocabulary, -2 separator, -3 one-character
        # token, which the analyzer drops) with one C-level dictionary pass.
        lookup = {w.encode("utf-8"): i for i, w in enumerate(self.words_)}
        lookup.update({c.encode("utf-8"): -3 for c in (*_ASCII_WORD_CHARS, *word_chars)})
        lookup[_SEPARATOR.encode()] = -2
        ids = np.fromiter(map(lookup.get, parts, repeat(-1)), dtype=np.int64, count=len(parts))
        ids = ids[ids != -3]
        return ids, np.cumsum(ids == -2)

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


def check_choice(value, allowed, what: str) -> None:
    """Refuse a value that is not one of ``allowed``, naming the choices.

    Examples
    --------
    >>> check_choice("text", FEATURE_SETS, "feature set")
    >>> check_choice("words", FEATURE_SETS, "feature set")
    Traceback (most recent call last):
    ...
    claimstats.errors.ClaimstatsError: unknown feature set 'words'; choose from 'all', 'text', 'upload'
    """
    if value not in allowed:
        raise ClaimstatsError(f"unknown {what} {value!r}; choose from {', '.join(map(repr, allowed))}")


def input_columns(feature_set: str) -> list[str]:
    """The data columns a feature set reads.

    Examples
    --------
    >>> input_columns("upload")
    ['video_duration_sec', 'verified_status', 'author_ban_status', 'video_transcription_text']
    """
    check_choice(feature_set, FEATURE_SETS, "feature set")
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
    check_choice(feature_set, FEATURE_SETS, "feature set")
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
    check_choice(model, MODELS, "model")
    params = dict(params or {})
    if model == "logistic":
        return LogisticRegression(max_iter=2000, **params)
    if model == "random_forest":
        return RandomForestClassifier(random_state=seed, n_jobs=n_jobs, **params)
    # Early stopping on a seeded tenth of the training rows once the loss gains less than 1e-4 in
    # five rounds: the classes separate well, so boosting stops after a few dozen trees.
    return SparseBoosting(max_iter=100, early_stopping=True, n_iter_no_change=5, tol=1e-4, random_state=seed,
                          **params)


class SparseBoosting(HistGradientBoostingClassifier):
    """scikit-learn's ``HistGradientBoostingClassifier`` that takes the sparse features of :func:`build_features`.

    Boosting needs dense input. Given a sparse matrix, the early-stopping
    tenth is split off the sparse matrix, exactly as the parent splits its
    dense input (the same seed, stratified), and each part is made dense on
    its own: the features are held dense once, not twice (the parent's split
    copies them), which halves training's memory on a large file. The model
    and its scores equal the parent's on the same features made dense.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> X = sp.random(300, 5, density=0.5, random_state=0, format="csr")
    >>> y = (X[:, 0].toarray().ravel() > 0.5).astype(int)
    >>> params = dict(max_iter=20, early_stopping=True, random_state=1)
    >>> ours = SparseBoosting(**params).fit(X, y).predict_proba(X)
    >>> bool(np.array_equal(ours, HistGradientBoostingClassifier(**params).fit(X.toarray(), y).predict_proba(X.toarray())))
    True
    """

    def fit(self, X, y, sample_weight=None):
        if not sp.issparse(X):
            return super().fit(X, y, sample_weight=sample_weight)
        if sample_weight is not None or not self.early_stopping or self.validation_fraction is None or \
                self.warm_start or (self.early_stopping == "auto" and X.shape[0] <= 10_000):
            return super().fit(X.toarray(), y, sample_weight=sample_weight)
        from sklearn.model_selection import train_test_split
        from sklearn.utils import check_random_state

        seed = check_random_state(self.random_state).randint(np.iinfo(np.uint32).max, dtype="u8")  # as the parent
        fit_rows, held_rows = train_test_split(np.arange(X.shape[0]), test_size=self.validation_fraction,
                                               stratify=y, random_state=seed)
        X = sp.csr_matrix(X)
        y = np.asarray(y)
        return super().fit(X[fit_rows].toarray(), y[fit_rows], X_val=X[held_rows].toarray(), y_val=y[held_rows])

    def _dense(self, X):
        return X.toarray() if sp.issparse(X) else X

    def predict_proba(self, X):
        return super().predict_proba(self._dense(X))

    def predict(self, X):
        return super().predict(self._dense(X))

    def decision_function(self, X):
        return super().decision_function(self._dense(X))


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
    return Pipeline([("features", build_features(feature_set, vocabulary=vocabulary)),  # sparse: SparseBoosting
                     ("model", build_classifier(model, params, seed=seed, n_jobs=n_jobs))])


class StatusIndicators:
    """A fitted ``OneHotEncoder``'s matrix, for scoring: the same numbers, found by Arrow's ``index_in``.

    scikit-learn's encoder looks each cell up in a Python dictionary while
    holding the interpreter's lock: 18 ms of a 50,000-report chunk, against
    2 ms here, and time in which a second scoring thread waits
    (:mod:`claimstats.backlog`). Only an encoder that ignores unknown
    categories, drops none, groups none as infrequent and gives a dense
    float matrix is replaced (:func:`scoring_pipeline`); an unknown or
    missing value is a row of zeros there, as here.

    Examples
    --------
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> frame = pd.DataFrame({"status": ["b", "a", None, "z"]}, dtype="str")
    >>> encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(frame.iloc[:2])
    >>> StatusIndicators(encoder).transform(frame).tolist()
    [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    """

    def __init__(self, encoder: OneHotEncoder):
        self.categories_ = [np.asarray(c, dtype=object) for c in encoder.categories_]

    @staticmethod
    def replaces(encoder) -> bool:
        """Whether ``encoder`` is a fitted ``OneHotEncoder`` whose matrix :class:`StatusIndicators` gives."""
        if not (isinstance(encoder, OneHotEncoder) and hasattr(encoder, "categories_")):
            return False
        categories = encoder.categories_
        # what transform uses is the fitted state (drop_idx_, the output width), not only the settings
        return (encoder.handle_unknown == "ignore" and encoder.drop is None and not encoder.sparse_output
                and getattr(encoder, "drop_idx_", None) is None
                and not getattr(encoder, "_infrequent_enabled", True) and np.dtype(encoder.dtype) == np.float64
                and all(all(isinstance(v, str) for v in c) for c in categories)
                and len(encoder.get_feature_names_out()) == sum(len(c) for c in categories))

    def transform(self, X) -> np.ndarray:
        columns = [X.iloc[:, i] for i in range(X.shape[1])] if isinstance(X, pd.DataFrame) else \
            [pd.Series(column, dtype=object) for column in np.asarray(X, dtype=object).T]
        if len(columns) != len(self.categories_):
            raise ClaimstatsError(f"the encoder was fitted on {len(self.categories_)} columns; got {len(columns)}")
        n_rows = len(columns[0]) if columns else 0
        out = np.zeros((n_rows, sum(len(c) for c in self.categories_)))
        start = 0
        for column, categories in zip(columns, self.categories_):
            strings = arrow_strings(column)
            if strings is not None:  # Arrow's look-up lets go of the lock
                codes = pc.index_in(strings, value_set=pa.array(list(categories), type=strings.type))
                codes = codes.fill_null(-1).to_numpy().astype(np.int64)
            else:
                codes = pd.Index(categories).get_indexer(np.asarray(column, dtype=object))
            known = np.flatnonzero(codes >= 0)
            out[known, start + codes[known]] = 1.0
            start += len(categories)
        return out


class CSRBlock:
    """A fitted transformer of a sparse ``ColumnTransformer``, for scoring: its matrix as CSR.

    When every block is CSR, the column transformer's ``scipy.sparse.hstack``
    joins them row by row (SciPy's CSR fast path); with a dense block among
    them it turns every block into coordinates and the whole back into CSR,
    each row's entries summed and sorted. Each block is checked here as the
    column transformer checks it, a dense block's nonzero entries are found
    in one pass, in row order, as SciPy's conversion finds them, and a
    sparse block's are summed and sorted: the stacked matrix is the same.
    The pipeline of a 50,000-report chunk took 148 ms against 173.

    Examples
    --------
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> CSRBlock(FunctionTransformer().fit([[0.0, 2.0]])).transform([[0.0, 2.0]]).toarray().tolist()
    [[0.0, 2.0]]
    """

    def __init__(self, transformer):
        self.transformer = transformer

    def transform(self, X):
        # as the column transformer checks each block before stacking it (object cells become
        # numbers, None becomes NaN)
        out = check_array(self.transformer.transform(X), accept_sparse=True, ensure_all_finite=False)
        if sp.issparse(out):
            # the generic path sums repeated entries and sorts each row's; SciPy's CSR path keeps them as they are
            out = out.tocsr()
            if not out.has_canonical_format:
                out = out.copy()
                out.sum_duplicates()
            return out
        # the nonzero entries in row order, as SciPy's conversion finds them, without its coordinates
        at = np.flatnonzero(out)
        indptr = np.zeros(out.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.count_nonzero(out, axis=1), out=indptr[1:])
        indices = at % out.shape[1]  # check_array refuses a block without columns
        index = np.int32 if max(out.shape[1], len(at)) < np.iinfo(np.int32).max else np.int64
        return sp.csr_matrix((out.ravel()[at], indices.astype(index), indptr.astype(index)), shape=out.shape)


def scoring_pipeline(pipeline: Pipeline) -> Pipeline:
    """The fitted ``pipeline`` for scoring: the same predictions, its one-hot encoders replaced by
    :class:`StatusIndicators` where those give the same matrix, and the blocks of a sparse column
    transformer given as CSR (:class:`CSRBlock`).

    The pipeline is copied where it changes (shallowly: the fitted parts are
    shared, none is modified); a model file holds the original.

    Examples
    --------
    >>> import claimstats
    >>> from claimstats.evaluation import claim_labels
    >>> tidy, _ = claimstats.clean(claimstats.load("synthetic:3", rows=600).frame)
    >>> fitted = build_pipeline("upload").fit(tidy[input_columns("upload")], claim_labels(tidy))
    >>> fast = scoring_pipeline(fitted)
    >>> status = fast.named_steps["features"].named_steps["columns"].named_transformers_["status"]
    >>> type(status).__name__, type(status.transformer).__name__
    ('CSRBlock', 'StatusIndicators')
    >>> bool(np.array_equal(predict_claim_probability(fast, tidy), predict_claim_probability(fitted, tidy)))
    True
    """
    import copy

    def swapped(step):
        if isinstance(step, Pipeline):
            parts = [(name, swapped(part)) for name, part in step.steps]
            if all(new is old for (_, new), (_, old) in zip(parts, step.steps)):
                return step
            step = copy.copy(step)
            step.steps = parts
            return step
        if isinstance(step, ColumnTransformer) and hasattr(step, "transformers_"):
            parts = [(name, StatusIndicators(part) if StatusIndicators.replaces(part) else part, columns)
                     for name, part, columns in step.transformers_]
            if getattr(step, "sparse_output_", False) and sum(not isinstance(p, str) for _, p, _ in parts) > 1:
                # "drop" and "passthrough" stay as they are, and so does the text block, CSR already
                parts = [(name, part if isinstance(part, (str, TextFeatures)) else CSRBlock(part), columns)
                         for name, part, columns in parts]
            if all(new is old for (_, new, _), (_, old, _) in zip(parts, step.transformers_)):
                return step
            step = copy.copy(step)
            step.transformers_ = parts
            return step
        return step

    return swapped(pipeline)


class LinearScores:
    """A fitted scoring pipeline of a logistic regression, for scoring: its probabilities, bit for bit,
    without the stacked and scaled feature matrix.

    The pipeline's matrix is the blocks of its sparse column transformer
    stacked side by side, each entry then multiplied by ``1 / scale_`` (a
    ``StandardScaler`` without centring), and the decision is each row's
    entries times the coefficients, summed in the row's order. Here each
    entry is scaled and multiplied in the same order, without building the
    matrix: a dense block column by column (its zeros skipped, as the
    sparse matrix holds none), a sparse block's entries added in their
    order (``np.add.at`` adds them one after the other). The numbers are the
    same products and sums as the pipeline's; a zero's sign may differ,
    which no probability shows. Stacking, scaling and the model's checks
    took a third of a scoring chunk's time. Only a pipeline that
    :meth:`replaces` holds is replaced (:func:`fast_scorer`).

    Examples
    --------
    >>> import claimstats
    >>> from claimstats.evaluation import claim_labels
    >>> tidy, _ = claimstats.clean(claimstats.load("synthetic:3", rows=600).frame)
    >>> fitted = build_pipeline("all").fit(tidy[input_columns("all")], claim_labels(tidy))
    >>> fast = fast_scorer(scoring_pipeline(fitted))
    >>> type(fast).__name__
    'LinearScores'
    >>> bool(np.array_equal(predict_claim_probability(fast, tidy), predict_claim_probability(fitted, tidy)))
    True
    """

    def __init__(self, pipeline: Pipeline):
        features, model = pipeline.steps[0][1], pipeline.steps[1][1]
        columns, scaler = features.steps[0][1], features.steps[1][1]
        self.pipeline = pipeline  # for what it does otherwise: no rows, other columns, a float32 matrix
        self.feature_names_in_ = pipeline.feature_names_in_
        self.classes_ = model.classes_
        self.blocks = [(part, selected, columns.output_indices_[name]) for name, part, selected in columns.transformers_
                       if not (isinstance(part, str) and part == "drop")]
        self.reciprocal = 1 / scaler.scale_  # what StandardScaler multiplies each entry by
        self.coef = np.ascontiguousarray(model.coef_[0], dtype=np.float64)
        self.intercept = model.intercept_

    @staticmethod
    def replaces(pipeline) -> bool:
        """Whether ``pipeline`` is a fitted [sparse column transformer of :class:`CSRBlock` and
        :class:`TextFeatures` blocks, then a ``StandardScaler`` without centring] and a binary
        ``LogisticRegression``, as :func:`scoring_pipeline` makes of :func:`build_pipeline`'s."""
        if not (isinstance(pipeline, Pipeline) and len(pipeline.steps) == 2 and hasattr(pipeline, "feature_names_in_")):
            return False
        features, model = pipeline.steps[0][1], pipeline.steps[1][1]
        if not (isinstance(features, Pipeline) and len(features.steps) == 2 and type(model) is LogisticRegression
                and hasattr(model, "coef_") and len(model.classes_) == 2 and model.coef_.shape[0] == 1):
            return False
        columns, scaler = features.steps[0][1], features.steps[1][1]
        if not (type(columns) is ColumnTransformer and hasattr(columns, "transformers_")
                and getattr(columns, "sparse_output_", False) and not columns.transformer_weights
                and type(scaler) is StandardScaler
                and not scaler.with_mean and scaler.with_std and getattr(scaler, "scale_", None) is not None):
            return False
        width = 0
        for name, part, selected in columns.transformers_:
            if isinstance(part, str) and part == "drop":
                continue
            names = [selected] if isinstance(selected, str) else selected
            if not isinstance(part, (CSRBlock, TextFeatures)) or not (
                    isinstance(names, list) and all(isinstance(n, str) for n in names)):
                return False  # columns chosen by name, as X[selected] chooses them
            block = columns.output_indices_[name]
            if block.start != width:  # the blocks side by side, in order
                return False
            width = block.stop
        return width == len(scaler.scale_) == model.coef_.shape[1]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if not (isinstance(X, pd.DataFrame) and len(X) and list(X.columns) == list(self.feature_names_in_)):
            return self.pipeline.predict_proba(X)  # the pipeline's own answer, or its own error
        outs = []
        for part, selected, block in self.blocks:
            if block.stop == block.start:
                continue
            if isinstance(part, CSRBlock):  # checked as the column transformer checks it
                out = check_array(part.transformer.transform(X[selected]), accept_sparse=True, ensure_all_finite=False)
                if sp.issparse(out):
                    out = part.transform(X[selected])
            else:
                out = part.transform(X[selected])
            outs.append((out, block))
        stacked = np.result_type(*(out.dtype for out, _ in outs))
        if stacked.kind == "f" and stacked != np.float64:  # scaled in float32 (say) by the pipeline: its own answer
            return self.pipeline.predict_proba(X)
        decision = np.zeros(len(X))
        for out, block in outs:
            reciprocal, coef = self.reciprocal[block], self.coef[block]
            if sp.issparse(out):  # every entry held, in order (explicit zeros too, as the matrix keeps them)
                out = sp.csr_matrix(out)
                scaled = out.data.astype(np.float64) * reciprocal[out.indices]
                _check_finite(scaled)
                np.add.at(decision, np.repeat(np.arange(out.shape[0]), np.diff(out.indptr)),
                          scaled * coef[out.indices])
            else:
                out = np.asarray(out, dtype=np.float64)
                for j in range(out.shape[1]):
                    value = out[:, j]
                    scaled = value * reciprocal[j]
                    _check_finite(scaled)
                    decision += np.where(value != 0, scaled * coef[j], 0.0)
        decision += self.intercept
        from scipy.special import expit

        probability = expit(decision)
        return np.vstack([1 - probability, probability]).T


def _check_finite(scaled: np.ndarray) -> None:
    # as the logistic regression refuses a matrix with NaN or infinity (the scaler lets NaN through)
    if not np.isfinite(scaled).all():
        raise ValueError("Input X contains NaN or infinity: a logistic regression scores finite features only")


def fast_scorer(pipeline: Pipeline):
    """:class:`LinearScores` of ``pipeline`` where it :meth:`~LinearScores.replaces` it, else the pipeline."""
    return LinearScores(pipeline) if LinearScores.replaces(pipeline) else pipeline


def predict_claim_probability(pipeline: Pipeline, data: pd.DataFrame) -> np.ndarray:
    """The fitted pipeline's probability that each row is a claim."""
    columns = list(pipeline.feature_names_in_)
    require_columns(data, columns)
    classes = list(pipeline.classes_)
    return pipeline.predict_proba(data[columns])[:, classes.index(1)]
