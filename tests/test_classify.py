"""classify: text features against scikit-learn, engagement features by hand, no leakage into the pipelines."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from claimstats import classify, clean, simulate
from claimstats.classify import (
    FEATURE_SETS,
    EngagementFeatures,
    TextFeatures,
    build_classifier,
    build_pipeline,
    check_choice,
    input_columns,
    predict_claim_probability,
)
from claimstats.comparison import compare_models
from claimstats.errors import ClaimstatsError
from claimstats.evaluation import claim_labels
from claimstats.schema import COUNT_COLUMNS, TEXT

ODD_TEXTS = [
    "Hello, World! hello", "", "a b c", "x\x00y zz\x00q", "Ünïcode çà ça ÇA ö x ö", "one", "two words",
    "42 is 42", "İstanbul ΣΑΣ ς", "big a deal", "big é deal", "__ _ x_y", "it’s “quoted” — and…", "tab\tand\nnewline",
    "don't stop", "ÀÉÎ õ ü", "3.14 is pi, 2,5 is not",
]


@pytest.fixture(scope="module")
def tidy() -> pd.DataFrame:
    return clean(simulate(2400, seed=21))[0]


@pytest.fixture(scope="module")
def texts(tidy) -> list[str]:
    return tidy[TEXT].tolist()


# ----------------------------------------------------------- text features


@pytest.fixture(params=["kernel", "numpy"])
def text_path(request, monkeypatch):
    """Each text test twice: through the C kernel (claimstats/_textkernel.c) and through NumPy and Arrow."""
    if request.param == "kernel":
        if classify._textkernel is None:
            if os.environ.get("CI"):  # CI's machine has a C compiler: the kernel must have been built
                pytest.fail("claimstats._textkernel was not built (pip install -e . compiles it)")
            pytest.skip("claimstats._textkernel was not built (no C compiler at install)")
    else:
        monkeypatch.setattr(classify, "_textkernel", None)
    return request.param


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2)])
def test_text_features_equal_sklearn_tfidf_for_the_same_vocabulary(texts, ngram_range, text_path):
    fit_docs, new_docs = texts[:1500] + ODD_TEXTS, texts[1500:] + ODD_TEXTS[::-1]
    ours = TextFeatures(max_features=150, min_df=1, ngram_range=ngram_range).fit(fit_docs)
    reference = TfidfVectorizer(ngram_range=ngram_range, vocabulary=ours.terms_).fit(fit_docs)
    np.testing.assert_allclose(ours.idf_, reference.idf_, rtol=1e-12)
    for docs in (fit_docs, new_docs):
        got = ours.transform(docs)
        np.testing.assert_allclose(got[:, 1:].toarray(), reference.transform(docs).toarray(), rtol=1e-12, atol=1e-15)
        assert got[:, 0].toarray().ravel().tolist() == [float(len(t)) for t in docs]


def test_text_features_on_odd_texts_only(text_path):
    # A vocabulary drawn from the odd texts themselves: bigrams across dropped one-letter words,
    # non-ASCII letters and punctuation must tokenise as scikit-learn does.
    ours = TextFeatures(max_features=1000, min_df=1).fit(ODD_TEXTS)
    reference = TfidfVectorizer(ngram_range=(1, 2)).fit(ODD_TEXTS)
    assert ours.terms_ == sorted(reference.vocabulary_)
    assert "big deal" in ours.terms_ and "ünïcode" in ours.terms_ and "it" in ours.terms_
    np.testing.assert_allclose(ours.transform(ODD_TEXTS)[:, 1:].toarray(), reference.transform(ODD_TEXTS).toarray(),
                               rtol=1e-12, atol=1e-15)


ASCII_ODD_TEXTS = [t for t in ODD_TEXTS if t.isascii()] + [
    "UPPER lower MiXeD", "snake_case and kebab-case", "a", "", "  ", "!!!", "x y z", "big a b c deal",
    "1 22 333", "end.", "tab\tand\nnewline\r\nagain", "a\x00b big\x00deal",
]


def _arrow_series(docs: list[str], chunks: int = 1) -> pd.Series:
    import pyarrow as pa

    cut = -(-len(docs) // chunks)
    parts = [docs[i:i + cut] for i in range(0, len(docs), cut)]
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(parts, type=pa.large_string())))


@pytest.mark.parametrize("docs_of", ["ascii", "mixed"])
@pytest.mark.parametrize("chunks", [1, 3])
def test_text_features_on_arrow_strings_equal_the_same_texts_as_python_strings(texts, chunks, docs_of, monkeypatch,
                                                                               text_path):
    from claimstats import classify

    # mixed: the simulated transcripts have curly apostrophes, the odd texts accents, Greek, NULs
    docs = ASCII_ODD_TEXTS + (texts[:600] + ODD_TEXTS if docs_of == "mixed" else
                              [t for t in texts[:600] if t.isascii()])
    features = TextFeatures(max_features=100_000, min_df=1).fit(docs + ["big deal", "x y"])  # every term
    assert "big deal" in features.terms_
    if docs_of == "mixed":
        assert "ünïcode" in features.terms_
    column = _arrow_series(docs, chunks)
    assert classify._arrow_texts(column) is not None
    seen, in_python = [], []
    real, python = classify._ascii_token_ids, TextFeatures._token_ids
    monkeypatch.setattr(classify, "_ascii_token_ids", lambda texts, words: seen.append(len(texts)) or real(texts, words))
    monkeypatch.setattr(TextFeatures, "_token_ids", lambda self, texts: in_python.append(list(texts)) or python(self, texts))
    got, expected = features.transform(column.to_frame()), features.transform(docs)
    plain = sum(t.isascii() for t in docs)
    assert seen == [plain]  # the ASCII texts went through the byte cut
    # then the Python strings, all at once; of the Arrow ones only those whose lower case Arrow does
    # not give as Python does (İ; Σ, whose lower case depends on the next letter)
    assert in_python[-1] == docs
    assert [t for texts in in_python[:-1] for t in texts] == [t for t in docs if "İ" in t or "Σ" in t]
    assert got.shape == expected.shape and got.nnz == expected.nnz
    assert abs(got - expected).max() == 0  # the same matrix, bit for bit
    reference = TfidfVectorizer(ngram_range=(1, 2), vocabulary=features.terms_).fit(docs + ["big deal", "x y"])
    np.testing.assert_allclose(got[:, 1:].toarray(), reference.transform(docs).toarray(), rtol=1e-12, atol=1e-15)
    assert got[:, 0].toarray().ravel().tolist() == [float(len(t)) for t in docs]
    monkeypatch.setattr(classify, "_TRANSFORM_BLOCK", 7)  # block by block, across the chunks
    assert abs(features.transform(column) - expected).max() == 0


def test_each_block_of_arrow_texts_reads_only_its_own_bytes(texts, monkeypatch):
    from claimstats import classify

    monkeypatch.setattr(classify, "_textkernel", None)  # NumPy's look-up table counts the bytes it reads
    docs = [t for t in texts[:300] if t.isascii()]
    features = TextFeatures(max_features=200, min_df=1).fit(docs)
    column = _arrow_series(docs, 1)
    whole = features.transform(column.to_frame())
    looked_up = []

    class Table:  # the byte table, counting the bytes looked up
        def __getitem__(self, key):
            looked_up.append(len(key))
            return classify._WORD_BYTES_REAL[key]

    monkeypatch.setattr(classify, "_WORD_BYTES_REAL", classify._WORD_BYTES, raising=False)
    monkeypatch.setattr(classify, "_WORD_BYTES", Table())
    monkeypatch.setattr(classify, "_TRANSFORM_BLOCK", 7)  # blocks are slices sharing the column's buffers
    blocks = features.transform(column.to_frame())
    # every byte once (a slice's buffer is its parent's: reading all of it made each block cost the column)
    assert len(looked_up) == -(-len(docs) // 7) and sum(looked_up) == sum(len(t.encode()) for t in docs)
    assert blocks.nnz == whole.nnz and abs(blocks - whole).max() == 0


def _odd_docs(seed: int, count: int) -> list[str]:
    """Texts of every shape: empty, no tokens, one-letter words, long (more terms than a short sort
    handles), NULs, mixed case, and a few non-ASCII ones."""
    rng = np.random.default_rng(seed)
    pieces = ["cats", "Cats", "dogs", "that", "a", "x", "the", "claim", "Claim!", "big", "deal", "42", "_", "--",
              "\x00", "\t", "\n", " ", "  ", "it’s", "ö"]
    docs = []
    for _ in range(count):
        size = int(rng.choice([0, 1, 2, 5, 20, 300]))
        docs.append(" ".join(rng.choice(pieces, size=size)) if size else "")
    return docs


def test_text_kernel_equals_the_numpy_path_bit_for_bit(texts, monkeypatch):
    if classify._textkernel is None:
        if os.environ.get("CI"):
            pytest.fail("claimstats._textkernel was not built (pip install -e . compiles it)")
        pytest.skip("claimstats._textkernel was not built")
    kernel = classify._textkernel
    docs = texts[:500] + _odd_docs(3, 400) + ASCII_ODD_TEXTS
    features = TextFeatures(max_features=300, min_df=1).fit(texts[:400] + _odd_docs(4, 200))
    for column in (_arrow_series(docs, 1), _arrow_series(docs, 4), docs):
        for block in (12_500, 7):
            monkeypatch.setattr(classify, "_TRANSFORM_BLOCK", block)
            monkeypatch.setattr(classify, "_textkernel", kernel)
            fast = features.transform(column)
            monkeypatch.setattr(classify, "_textkernel", None)
            slow = features.transform(column)
            assert fast.shape == slow.shape and fast.nnz == slow.nnz
            assert fast.has_canonical_format and fast.indices.dtype == slow.indices.dtype
            np.testing.assert_array_equal(fast.indptr, slow.indptr)
            np.testing.assert_array_equal(fast.indices, slow.indices)
            assert fast.data.tobytes() == slow.data.tobytes()  # the same rounding, bit for bit


UNICODE_PIECES = list("abcdeXYZ _-.,'\t\n0123") + list("’‘“”—…öÖéÉçÇßẞİıΣσςΑΒ²½\u0301\u00a0\u2009中文Kµÿſǅ\u1e9eªº\u0345")


@pytest.mark.parametrize("chunks", [1, 3])
def test_non_ascii_arrow_texts_cut_as_python_cuts_them(text_path, chunks):
    # every kind of character near the edge: curly quotes and dashes (not word characters), accents
    # precomposed and combining, İ (two characters in lower case), Σ and ς, ß and ẞ, the Kelvin
    # sign (lower case ASCII k), titlecase ǅ, superscripts, fractions, CJK, no-break and thin spaces
    rng = np.random.default_rng(8)
    docs = ["".join(rng.choice(UNICODE_PIECES, size=int(rng.integers(0, 40)))) for _ in range(1500)]
    docs += ["it’s “quoted” — and…", "İstanbul ΣΑΣ ς", "Ünïcode çà ça ÇA ö x ö", "ǅemal", "straße STRASSE ẞ", "ö", "öö"]
    features = TextFeatures(max_features=100_000, min_df=1).fit(docs)
    column = _arrow_series(docs, chunks)
    got, expected = features.transform(column), features.transform(docs)  # Arrow strings, Python strings
    assert got.nnz == expected.nnz and abs(got - expected).max() == 0
    reference = TfidfVectorizer(ngram_range=(1, 2), vocabulary=features.terms_).fit(docs)
    np.testing.assert_allclose(got[:, 1:].toarray(), reference.transform(docs).toarray(), rtol=1e-12, atol=1e-15)
    plain = [d for d in docs if not d.isascii()]
    import pyarrow as pa

    cut, rows = classify._unicode_token_ids(pa.array(plain, pa.large_string()), features.words_)
    assert sorted(set(range(len(plain))) - set(rows.tolist())) == [i for i, d in enumerate(plain) if "İ" in d or "Σ" in d]


@pytest.mark.parametrize("feature_set", ["all", "upload", "text"])
def test_linear_scores_equal_the_fitted_pipelines_probabilities_bit_for_bit(tidy, feature_set, text_path):
    from claimstats.classify import LinearScores, fast_scorer, scoring_pipeline

    fitted = build_pipeline(feature_set, "logistic").fit(tidy[input_columns(feature_set)], claim_labels(tidy))
    fast = fast_scorer(scoring_pipeline(fitted))
    assert isinstance(fast, LinearScores)
    # rows the checks let through, and odd ones they would not: empty and wordless texts (an explicit
    # zero in the matrix), unknown and missing statuses (rows of zeros), zero views, huge counts, NaN
    odd = tidy.head(40).astype({"verified_status": object, "author_ban_status": object}).reset_index(drop=True)
    odd[TEXT] = ["", "!!", "a", *odd[TEXT][3:]]
    odd.loc[3, "verified_status"], odd.loc[4, "author_ban_status"] = "unknown", None
    if feature_set == "all":
        odd.loc[5, list(COUNT_COLUMNS)] = 0
        odd.loc[6, "video_view_count"] = 1e15
    odd.loc[8, "video_duration_sec"] = 0
    for bad in (np.nan, np.inf) if "video_duration_sec" in input_columns(feature_set) else ():
        # refused by both, as the logistic regression refuses them
        broken = odd.astype({"video_duration_sec": float})
        broken.loc[9, "video_duration_sec"] = bad
        with pytest.raises(ValueError, match="Input X contains"):
            fitted.predict_proba(broken[input_columns(feature_set)])
        with pytest.raises(ValueError, match="Input X contains"):
            fast.predict_proba(broken[input_columns(feature_set)])
    for frame in (tidy, odd, tidy.astype({"verified_status": "str", "author_ban_status": "str", TEXT: "str"})):
        expected = fitted.predict_proba(frame[input_columns(feature_set)])
        got = fast.predict_proba(frame[input_columns(feature_set)])
        assert got.shape == expected.shape and got.tobytes() == expected.tobytes()
        assert np.array_equal(predict_claim_probability(fast, frame), predict_claim_probability(fitted, frame))


def test_linear_scores_replace_only_the_pipelines_they_equal(tidy):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from claimstats.classify import LinearScores, fast_scorer, scoring_pipeline

    y = claim_labels(tidy)
    forest = scoring_pipeline(build_pipeline("all", "random_forest", {"n_estimators": 5}).fit(
        tidy[input_columns("all")], y))
    assert fast_scorer(forest) is forest
    three = np.where(tidy["video_view_count"] > tidy["video_view_count"].median(), 2, y)  # three classes
    multi = scoring_pipeline(build_pipeline("upload", "logistic").fit(tidy[input_columns("upload")], three))
    assert not LinearScores.replaces(multi)
    centred = Pipeline([("features", Pipeline([("columns", ColumnTransformer([("d", "passthrough", ["video_duration_sec"])])),
                                               ("scale", StandardScaler())])),
                        ("model", LogisticRegression())]).fit(tidy[["video_duration_sec"]], y)
    assert not LinearScores.replaces(scoring_pipeline(centred))  # centred: the scaler is not a product
    assert not LinearScores.replaces(LogisticRegression())
    weighted = build_pipeline("upload", "logistic")
    weighted.named_steps["features"].named_steps["columns"].set_params(transformer_weights={"text": 3.0})
    weighted = scoring_pipeline(weighted.fit(tidy[input_columns("upload")], y))
    assert not LinearScores.replaces(weighted)  # the column transformer multiplies the blocks by their weights


def test_linear_scores_give_the_pipelines_answer_where_they_cannot_reproduce_it(tidy):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    from claimstats.classify import LinearScores, fast_scorer, scoring_pipeline

    # every block float32: the pipeline scales in float32, so its own answer is given
    columns = ["video_duration_sec", "verified_status", "author_ban_status"]
    blocks = ColumnTransformer([("duration", FunctionTransformer(np.float32), ["video_duration_sec"]),
                                ("status", OneHotEncoder(handle_unknown="ignore", dtype=np.float32),
                                 ["verified_status", "author_ban_status"])], sparse_threshold=1.0)
    fitted = Pipeline([("features", Pipeline([("columns", blocks), ("scale", StandardScaler(with_mean=False))])),
                       ("model", LogisticRegression(max_iter=2000))]).fit(tidy[columns], claim_labels(tidy))
    fast = fast_scorer(scoring_pipeline(fitted))
    assert isinstance(fast, LinearScores)
    assert fast.predict_proba(tidy[columns]).tobytes() == fitted.predict_proba(tidy[columns]).tobytes()
    for bad in (tidy[columns].iloc[:0], tidy[columns[::-1]]):  # no rows; the columns in another order
        try:
            expected = fitted.predict_proba(bad)
        except ValueError as err:
            with pytest.raises(ValueError, match=re.escape(str(err)[:25])):
                fast.predict_proba(bad)
        else:
            assert fast.predict_proba(bad).tobytes() == expected.tobytes()


def test_text_kernel_refuses_arrays_it_would_read_past():
    kernel = classify._textkernel
    if kernel is None:
        pytest.skip("claimstats._textkernel was not built")
    table, words, word_offsets = classify._WORD_BYTES.tobytes(), b"cats", np.array([0, 4], dtype=np.int64)
    offsets = np.array([0, 4, 9], dtype=np.int64)
    ids, rows = kernel.ascii_token_ids(offsets, True, 0, 2, b"cats dogs", table, False, words, word_offsets, 1)
    assert np.frombuffer(ids, np.int64).tolist() == [0, -1] and np.frombuffer(rows, np.int64).tolist() == [0, 1]
    with pytest.raises(ValueError, match="outside the text bytes"):
        kernel.ascii_token_ids(np.array([0, 4, 90], dtype=np.int64), True, 0, 2, b"cats dogs", table, False, words,
                               word_offsets, 1)
    with pytest.raises(ValueError, match="offsets holds"):
        kernel.ascii_token_ids(offsets, True, 1, 2, b"cats dogs", table, False, words, word_offsets, 1)
    with pytest.raises(ValueError, match="go backwards"):
        kernel.ascii_token_ids(np.array([0, 5, 4], dtype=np.int64), True, 0, 2, b"cats dogs", table, False, words,
                               word_offsets, 1)
    unigram, pairs = np.array([0, -1], dtype=np.int64), np.full(2, -1, dtype=np.int32)
    idf, lengths = np.ones(1), np.array([4.0, 5.0])
    data, indices, indptr = kernel.tfidf_rows(np.array([0, -1]), np.array([0, 1]), 2, unigram, pairs, 1, idf, lengths)
    assert np.frombuffer(data).tolist() == [4.0, 1.0, 5.0] and np.frombuffer(indptr, np.int64).tolist() == [0, 2, 3]
    with pytest.raises(ValueError, match="out of range"):
        kernel.tfidf_rows(np.array([0, 0]), np.array([0, 2]), 2, unigram, pairs, 1, idf, lengths)
    with pytest.raises(ValueError, match="out of range"):
        kernel.tfidf_rows(np.array([1]), np.array([0]), 2, unigram, pairs, 1, idf, lengths)
    with pytest.raises(ValueError, match="unigram columns holds"):
        kernel.tfidf_rows(np.array([0]), np.array([0]), 2, unigram[:1], pairs, 1, idf, lengths)
    # counts whose sizes would overflow, checked before any read
    with pytest.raises(ValueError, match="offsets holds"):
        kernel.ascii_token_ids(offsets, True, 2**60, 1, b"cats dogs", table, False, words, word_offsets, 1)
    with pytest.raises(ValueError, match="must be counts"):
        kernel.ascii_token_ids(offsets, True, 0, 2, b"cats dogs", table, False, words, word_offsets, 2**60)
    with pytest.raises(ValueError, match="must be counts"):
        kernel.tfidf_rows(np.array([0]), np.array([0]), 2, unigram, pairs, 2**60, idf, lengths)
    # a negative column is none (as NumPy's path reads it), however negative: not wrapped into the matrix
    far = np.array([-(2**32) + 5, -1], dtype=np.int64)
    data, indices, indptr = kernel.tfidf_rows(np.array([0]), np.array([0]), 1, far, pairs, 1, idf, lengths[:1])
    assert np.frombuffer(indices, np.int32).tolist() == [0] and np.frombuffer(data).tolist() == [4.0]


def test_text_features_take_the_python_path_for_python_strings_and_missing_values(texts):
    from claimstats import classify

    features = TextFeatures(max_features=200, min_df=1).fit(texts[:300])
    assert classify._arrow_texts(pd.Series(["plain text"], dtype=object)) is None
    assert classify._arrow_texts(pd.DataFrame({"a": ["x"], "b": ["y"]}).astype(pd.StringDtype("pyarrow"))) is None
    missing = pd.Series(["fine", None], dtype=pd.StringDtype("pyarrow"))
    assert classify._arrow_texts(missing) is None
    with pytest.raises(ClaimstatsError, match="must hold text in every row"):
        features.transform(missing)


def test_text_vocabulary_is_the_most_frequent_terms_ties_alphabetical(texts):
    docs = texts[:800]
    counter = CountVectorizer(ngram_range=(1, 2), min_df=3).fit(docs)
    totals = np.asarray(counter.transform(docs).sum(axis=0)).ravel()
    names = counter.get_feature_names_out()
    expected = sorted(sorted(zip(-totals, names))[:60], key=lambda pair: pair[1])
    ours = TextFeatures(max_features=60, min_df=3).fit(docs)
    assert ours.terms_ == [name for _, name in expected]
    assert list(ours.get_feature_names_out()[:2]) == ["text_length", f"text: {ours.terms_[0]}"]


def test_text_features_reject_missing_text_and_other_ngrams():
    fitted = TextFeatures(min_df=1).fit(["some text here"])
    with pytest.raises(ClaimstatsError, match="must hold text in every row"):
        fitted.transform(["fine", None])
    with pytest.raises(ClaimstatsError, match=r"ngram_range must be \(1, 1\) or \(1, 2\)"):
        TextFeatures(ngram_range=(2, 3)).fit(["a text"])


def test_engagement_features_by_hand():
    counts = pd.DataFrame([[200, 50, 10, 4, 1], [0, 0, 0, 0, 0]], columns=list(COUNT_COLUMNS))
    out = EngagementFeatures().fit(counts).transform(counts)
    np.testing.assert_allclose(out[0], [np.log(201), np.log(51), np.log(11), np.log(5), np.log(2),
                                        0.25, 0.05, 0.02, 0.005])
    np.testing.assert_array_equal(out[1], np.zeros(9))  # no views: every rate is 0, not a division error


# ------------------------------------------------------------------ leakage


def test_feature_transformers_never_see_validation_or_test_rows(tidy, monkeypatch):
    seen: list[pd.Index] = []

    class SpyText(TextFeatures):
        def fit(self, X, y=None):
            seen.append(pd.Index(X.index))
            return super().fit(X, y)

    monkeypatch.setattr(classify, "TextFeatures", SpyText)
    result = compare_models(tidy, feature_sets=("upload",), models=("logistic",), grid="small", cv=3, seed=4,
                            importance_repeats=2)
    train, held_out = result.split.train.index, result.split.validation.index.union(result.split.test.index)
    # three fold fits on two thirds of the training rows, then one refit on all of them
    assert [len(s) for s in seen[:3]] == [len(train) - len(train) // 3 - (1 if i < len(train) % 3 else 0)
                                          for i in range(3)]
    assert seen[3].sort_values().equals(train.sort_values())
    for index in seen[:4]:
        assert index.isin(train).all() and not index.isin(held_out).any()
    # then the held-out-phrasing refit, on its own split's training templates only
    phrasing = result.phrasing.split
    assert seen[4].sort_values().equals(phrasing.train.index.sort_values())
    assert not seen[4].isin(phrasing.validation.index.union(phrasing.test.index)).any()
    assert len(seen) == 5  # evaluating, permuting and predicting never refit


# ---------------------------------------------------------------- pipelines


def test_unknown_choices_name_what_is_available():
    with pytest.raises(ClaimstatsError, match="unknown feature set 'meta'; choose from 'all', 'text', 'upload'"):
        input_columns("meta")
    with pytest.raises(ClaimstatsError, match="unknown model 'svm'; choose from 'logistic', 'random_forest', "
                                              "'gradient_boosting'"):
        build_classifier("svm")
    check_choice("all", FEATURE_SETS, "feature set")  # a known value passes


def test_pipeline_reads_only_its_columns_and_predicts_claim_probability(tidy):
    # The probability of the claim class, whatever order the fitted classes come in:
    # equal to predict_proba's column for label 1.
    pipeline = build_pipeline("upload", "logistic").fit(tidy[input_columns("upload")], claim_labels(tidy))
    assert list(pipeline.feature_names_in_) == input_columns("upload")
    probability = predict_claim_probability(pipeline, tidy)  # extra columns are ignored
    expected = pipeline.predict_proba(tidy[input_columns("upload")])[:, list(pipeline.classes_).index(1)]
    np.testing.assert_array_equal(probability, expected)
    with pytest.raises(ClaimstatsError, match="video_transcription_text"):
        predict_claim_probability(pipeline, tidy.drop(columns=TEXT))


def test_text_features_transform_block_by_block_as_at_once(monkeypatch):
    from claimstats import classify, simulate

    texts = simulate(500, seed=4)["video_transcription_text"].dropna().tolist()
    features = classify.TextFeatures(max_features=50).fit(texts)
    whole = features.transform(texts)
    monkeypatch.setattr(classify, "_TRANSFORM_BLOCK", 7)
    blocks = features.transform(texts)
    assert blocks.shape == whole.shape and abs(blocks - whole).max() == 0 and blocks.nnz == whole.nnz


def test_a_large_training_set_chooses_its_vocabulary_from_a_seeded_sample_and_counts_idf_on_all(texts, monkeypatch):
    from claimstats import classify

    monkeypatch.setattr(classify, "_TRANSFORM_BLOCK", 150)  # the idf pass goes block by block
    docs = texts[:1200]
    ours = TextFeatures(max_features=80, min_df=2, sample=400, random_state=7).fit(docs)
    # the vocabulary: what a fit on the same 400 texts, drawn as documented, chooses
    drawn = np.sort(np.random.default_rng(7).choice(len(docs), size=400, replace=False))
    assert ours.terms_ == TextFeatures(max_features=80, min_df=2).fit([docs[i] for i in drawn]).terms_
    # the weights: scikit-learn's TF-IDF for that vocabulary, idf counted over every training text
    reference = TfidfVectorizer(ngram_range=(1, 2), vocabulary=ours.terms_).fit(docs)
    np.testing.assert_allclose(ours.idf_, reference.idf_, rtol=1e-12)
    np.testing.assert_allclose(ours.transform(docs)[:, 1:].toarray(), reference.transform(docs).toarray(),
                               rtol=1e-12, atol=1e-15)
    assert TextFeatures(max_features=80, sample=400, random_state=8).fit(docs).terms_ != [] and \
        TextFeatures(max_features=80, sample=5000).fit(docs).terms_ == TextFeatures(max_features=80).fit(docs).terms_
    with pytest.raises(ClaimstatsError, match="sample must be at least 1"):
        TextFeatures(sample=0).fit(docs)


# ------------------------------------------------------ scoring one-hot columns


@pytest.mark.parametrize("held", ["arrow", "object", "array"])
def test_status_indicators_give_the_one_hot_encoders_matrix(held):
    from sklearn.preprocessing import OneHotEncoder

    from claimstats.classify import StatusIndicators

    rng = np.random.default_rng(3)
    levels = ["verified", "not verified", "Verified", " verified", "", None, "banned", "active", "under review"]
    frame = pd.DataFrame({"a": rng.choice(np.array(levels, dtype=object), 400),
                          "b": rng.choice(np.array(levels, dtype=object), 400)})
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False,
                            categories=[["not verified", "verified"], ["active", "under review", "banned"]])
    encoder.fit(frame.dropna())
    given = {"arrow": frame.astype("str"), "object": frame, "array": frame.to_numpy(dtype=object)}[held]
    assert StatusIndicators.replaces(encoder)
    expected = encoder.transform(frame)  # unknown, blank and missing values: rows of zeros
    assert expected.sum() < len(frame) * 2  # some were unknown
    got = StatusIndicators(encoder).transform(given)
    assert got.dtype == np.float64 and np.array_equal(got, expected)


def test_only_encoders_whose_matrix_the_indicators_give_are_replaced():
    from sklearn.preprocessing import OneHotEncoder

    from claimstats.classify import StatusIndicators

    frame = pd.DataFrame({"a": ["x", "y", "y", "z", "z", "z"]})
    plain = dict(handle_unknown="ignore", sparse_output=False)
    assert StatusIndicators.replaces(OneHotEncoder(**plain).fit(frame))
    assert not StatusIndicators.replaces(OneHotEncoder(**plain))  # not fitted
    for changed in (dict(handle_unknown="error"), dict(sparse_output=True), dict(drop="first"),
                    dict(min_frequency=2), dict(max_categories=2), dict(dtype=np.float32)):
        assert not StatusIndicators.replaces(OneHotEncoder(**{**plain, **changed}).fit(frame)), changed
    assert not StatusIndicators.replaces(OneHotEncoder(**plain).fit(pd.DataFrame({"a": [1, 2]})))  # numbers
    # settings that say "drop nothing" over a fitted state that drops a column (an edited model file):
    # transform follows the fitted state, so the indicators would give a wider matrix
    dropped = OneHotEncoder(**plain, drop="first").fit(frame)
    dropped.drop = None
    assert dropped.transform(frame).shape[1] == 2
    assert not StatusIndicators.replaces(dropped)


def _same_csr(matrix, expected) -> None:
    """The same CSR matrix: shape, entries, their order in each row, and the arrays' types."""
    assert matrix.format == "csr" and matrix.shape == expected.shape
    for name in ("indptr", "indices", "data"):
        assert getattr(matrix, name).dtype == getattr(expected, name).dtype, name
        np.testing.assert_array_equal(getattr(matrix, name), getattr(expected, name))


@pytest.mark.parametrize("dense", [
    np.array([[0.0, 1.5, 0.0], [0.0, 0.0, 0.0], [-0.0, np.nan, -2.0], [3.0, 0.0, 4.0]]),  # an empty row, NaN, -0.0
    np.asfortranarray(np.array([[0.0, 1.0], [2.0, 0.0], [0.0, 0.0]])),  # column-major
    np.ones((2, 1)),  # (no empty block: the column transformer's check refuses one before stacking, as this does)
])
def test_a_csr_block_gives_the_matrix_scipy_makes_of_the_dense_one(dense):
    import scipy.sparse as sp
    from sklearn.preprocessing import FunctionTransformer

    from claimstats.classify import CSRBlock

    block = CSRBlock(FunctionTransformer().fit(dense))
    _same_csr(block.transform(dense), sp.csr_matrix(dense))
    given = sp.csr_matrix(dense)
    assert block.transform(given).format == "csr"  # sparse stays sparse, as CSR
    _same_csr(CSRBlock(FunctionTransformer(accept_sparse=True).fit(given)).transform(given.tocoo()), given)


def test_csr_blocks_stack_to_the_matrix_of_the_generic_path_for_object_and_unsorted_sparse_blocks():
    import scipy.sparse as sp
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from claimstats.classify import CSRBlock, scoring_pipeline

    def cells(X):  # object cells: numbers, None (NaN to the column transformer), a number as text
        return np.array([[1.0, None, "2"], [0, 3, None], [None, 0.0, 5]], dtype=object)[: len(X)]

    def unsorted(X):  # each row's entries out of order, and one repeated: the generic path sorts and sums them
        return sp.csr_matrix((np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([2, 0, 1, 1, 1]),
                              np.array([0, 2, 2, 5])), shape=(3, 3))

    frame = pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]})
    columns = ColumnTransformer([("cells", FunctionTransformer(cells), ["a"]),
                                 ("sparse", FunctionTransformer(unsorted, accept_sparse=True), ["b"])],
                                sparse_threshold=1.0)
    fitted = Pipeline([("columns", columns)]).fit(frame)
    assert columns.sparse_output_
    fast = scoring_pipeline(fitted)
    assert all(isinstance(part, CSRBlock) for part in fast.named_steps["columns"].named_transformers_.values())
    _same_csr(fast.transform(frame), columns.transform(frame).tocsr())


@pytest.mark.parametrize("model", ["logistic", "random_forest", "gradient_boosting"])
def test_the_scoring_pipeline_predicts_what_the_fitted_one_does_and_leaves_it_as_it_was(tidy, model):
    from sklearn.preprocessing import OneHotEncoder

    from claimstats.classify import CSRBlock, EngagementFeatures, StatusIndicators, TextFeatures, scoring_pipeline

    fitted = build_pipeline("all", model, {"n_estimators": 20} if model == "random_forest" else None)
    fitted.fit(tidy[input_columns("all")], claim_labels(tidy))
    columns = fitted.named_steps["features"].named_steps["columns"]
    fitted_parts, params = list(columns.transformers_), repr(fitted.get_params())
    fast = scoring_pipeline(fitted)
    fast_columns = fast.named_steps["features"].named_steps["columns"]
    part = fast_columns.named_transformers_
    # the dense blocks are given as CSR (so the stacking takes SciPy's CSR path), the text block is CSR already
    assert isinstance(part["status"], CSRBlock) and isinstance(part["status"].transformer, StatusIndicators)
    assert isinstance(part["engagement"], CSRBlock) and isinstance(part["engagement"].transformer, EngagementFeatures)
    assert isinstance(part["text"], TextFeatures)
    assert isinstance(columns.named_transformers_["status"], OneHotEncoder)
    _same_csr(fast_columns.transform(tidy), columns.transform(tidy).tocsr())  # the very same stacked matrix
    # the fitted pipeline keeps its own parts (the very same objects) and settings
    assert fitted.named_steps["features"].named_steps["columns"] is columns
    assert all(a is b for a, b in zip(columns.transformers_, fitted_parts, strict=True))
    assert repr(fitted.get_params()) == params
    for frame in (tidy, tidy.astype({"verified_status": "str", "author_ban_status": "str"})):
        assert np.array_equal(predict_claim_probability(fast, frame), predict_claim_probability(fitted, frame))
    text_only = build_pipeline("text").fit(tidy[[TEXT]], claim_labels(tidy))
    assert scoring_pipeline(text_only) is text_only  # no encoder to replace: nothing copied
