"""Time claimstats' hand-written TF-IDF (classify.TextFeatures) against scikit-learn's, on the same vocabulary and data.

Usage: python benchmarks/bench_tfidf.py [FILE] [--rows N] [--repeats R]

The vocabulary is fitted on FILE's transcriptions (default: the course file
if found, else the synthetic default), 400 words and word pairs seen in at
least 2 of them; then N transcriptions (default 200,000, drawn by
``claimstats.simulate``, as a backlog) are transformed. Timed, best of R, in
one process and one thread:

* ours: ``TextFeatures().fit`` + ``transform`` (the text length column included);
  then ``transform`` of the same texts as a column of Arrow strings (pandas's
  string type on pyarrow), as triage passes each chunk it reads: ASCII texts
  are then cut by the C kernel (or NumPy and Arrow), the others by the Python tokenizer;
* the same on Arrow strings with the C kernel (``claimstats/_textkernel.c``) turned
  off: NumPy and Arrow alone, as where claimstats was installed without a C compiler;
* TfidfVectorizer: ``TfidfVectorizer(ngram_range=(1, 2), max_features=400, min_df=2)``
  fitted the same way (its vocabulary is ours but for ties at the last place,
  so its idf is then fitted with our vocabulary, the two fits timed), then ``transform``;
* Hashing + TfidfTransformer: ``HashingVectorizer`` counts (2^20 columns, no
  norm) kept to the columns of the same vocabulary's hashes, then
  ``TfidfTransformer`` (idf from the fitted texts).

Checks that TfidfVectorizer gives our matrix (to 1e-12) and counts the rows
where hashing differs (collisions), then prints seconds for fit, transform and both, and the
ratios to ours. The classifier keeps its own only while it wins by 3x end to end over
scikit-learn's way to the same matrix (``TfidfVectorizer`` with our vocabulary), on the
Arrow strings it is given in triage; hashing is timed too, but gives other
features wherever a word outside the vocabulary shares a vocabulary term's column.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from claimstats import clean, load, simulate
from claimstats.classify import TextFeatures
from claimstats.schema import TEXT

from bench_classify import pick_source  # the same data source rule (a script beside this one)


def best_of(repeats: int, job):
    times, out = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        out = job()
        times.append(time.perf_counter() - started)
    return min(times), out


def ours(fit_texts, texts):
    def fit():
        return TextFeatures().fit(fit_texts)

    def transform(model):
        return model.transform(texts)[:, 1:]  # the length column is not TF-IDF
    return fit, transform


def ours_arrow(fit_texts, texts):
    import pandas as pd

    column = pd.Series(texts, dtype=pd.StringDtype("pyarrow"))  # converted once, as read: not timed

    def fit():
        return TextFeatures().fit(fit_texts)

    def transform(model):
        return model.transform(column)[:, 1:]
    return fit, transform


def ours_arrow_numpy(fit_texts, texts):
    """Ours on Arrow strings with the C kernel turned off: what NumPy and Arrow alone give."""
    from claimstats import classify

    fit, transform = ours_arrow(fit_texts, texts)

    def without_kernel(job):
        def run(*args):
            kernel, classify._textkernel = classify._textkernel, None
            try:
                return job(*args)
            finally:
                classify._textkernel = kernel
        return run
    return without_kernel(fit), without_kernel(transform)


def tfidf_vectorizer(fit_texts, texts, terms):
    from sklearn.feature_extraction.text import TfidfVectorizer

    def fit():
        TfidfVectorizer(ngram_range=(1, 2), max_features=400, min_df=2).fit(fit_texts)  # choosing the vocabulary
        # ... which may break a tie at the last term otherwise than ours: transform with ours
        return TfidfVectorizer(ngram_range=(1, 2), vocabulary=terms).fit(fit_texts)

    def transform(model):
        return model.transform(texts)
    return fit, transform


def hashing(fit_texts, texts, terms):
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    hasher = HashingVectorizer(ngram_range=(1, 2), n_features=2**20, alternate_sign=False, norm=None)
    # the column each vocabulary term hashes to (HashingVectorizer hashes the n-gram strings this way)
    term_hasher = FeatureHasher(n_features=2**20, input_type="string", alternate_sign=False)
    columns = np.asarray([term_hasher.transform([[t]]).indices[0] for t in terms])

    def fit():
        counts = hasher.transform(fit_texts)[:, columns]
        return TfidfTransformer().fit(counts)

    def transform(model):
        return model.transform(hasher.transform(texts)[:, columns])
    return fit, transform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    frame, source = load(pick_source(args.file))
    fit_texts = clean(frame)[0][TEXT].tolist()
    texts = simulate(args.rows, seed=7)[TEXT].dropna().tolist()
    print(f"vocabulary fitted on {len(fit_texts):,} transcriptions ({source.describe()}); {len(texts):,} transformed; "
          f"best of {args.repeats}, one thread")
    reference = TextFeatures().fit(fit_texts)
    terms = reference.terms_
    results = {}
    with threadpool_limits(limits=1):
        for name, (fit, transform) in {"ours (TextFeatures)": ours(fit_texts, texts),
                                       "ours, on Arrow strings": ours_arrow(fit_texts, texts),
                                       "ours, Arrow strings, no C kernel": ours_arrow_numpy(fit_texts, texts),
                                       "TfidfVectorizer": tfidf_vectorizer(fit_texts, texts, terms),
                                       "HashingVectorizer + TfidfTransformer": hashing(fit_texts, texts, terms)}.items():
            fit_s, model = best_of(args.repeats, fit)
            transform_s, matrix = best_of(args.repeats, lambda: transform(model))
            results[name] = (fit_s, transform_s, sp.csr_matrix(matrix))
    from sklearn.feature_extraction.text import TfidfVectorizer

    mine = results["ours (TextFeatures)"][2]
    their_terms = sorted(TfidfVectorizer(ngram_range=(1, 2), max_features=400, min_df=2).fit(fit_texts).vocabulary_)
    print(f"TfidfVectorizer's own vocabulary: {len(set(their_terms) & set(terms))} of {len(terms)} terms as ours "
          "(the rest: ties at the last place)")
    assert abs(results["TfidfVectorizer"][2] - mine).max() < 1e-12, "TfidfVectorizer's weights differ"
    assert abs(results["ours, on Arrow strings"][2] - mine).max() == 0, "the Arrow path's matrix differs"
    assert abs(results["ours, Arrow strings, no C kernel"][2] - mine).max() == 0, "the NumPy path's matrix differs"
    from claimstats import classify

    print("the C kernel (claimstats/_textkernel.c) is " + ("built: the first two rows use it" if classify._textkernel
                                                             else "NOT built: every row of ours is NumPy and Arrow"))
    plain = sum(t.isascii() for t in texts)
    print(f"{plain:,} of {len(texts):,} transformed texts are ASCII (cut in one pass on Arrow strings)")
    hashed = results["HashingVectorizer + TfidfTransformer"][2]
    off = np.flatnonzero(abs(hashed - mine).max(axis=1).toarray().ravel() > 1e-12)
    print(f"hashing: {len(off):,} of {len(texts):,} rows differ (words outside the vocabulary that hash to a "
          "vocabulary term's column)")
    print("TfidfVectorizer's matrix equals ours (to 1e-12)\n")
    base = results["ours (TextFeatures)"]
    print(f"{'':38} {'fit s':>7} {'transform s':>12} {'both s':>8} {'reports/s':>10} {'vs ours':>8}")
    for name, (fit_s, transform_s, _) in results.items():
        both = fit_s + transform_s
        print(f"{name:38} {fit_s:7.2f} {transform_s:12.2f} {both:8.2f} {len(texts) / transform_s:10,.0f} "
              f"{both / (base[0] + base[1]):7.2f}x")
    arrow = results["ours, on Arrow strings"]
    ours_s = arrow[0] + arrow[1]  # how triage and training use it: each chunk's text column is Arrow strings
    exact = results["TfidfVectorizer"][0] + results["TfidfVectorizer"][1]
    hashed_s = results["HashingVectorizer + TfidfTransformer"][0] + results["HashingVectorizer + TfidfTransformer"][1]
    print(f"\nend to end (fit + transform), against ours on Arrow strings: TfidfVectorizer (the same matrix) "
          f"{exact / ours_s:.2f}x slower; HashingVectorizer + TfidfTransformer {hashed_s / ours_s:.2f}x slower, "
          f"and another matrix on {len(off) / len(texts):.0%} of the rows")
    keep = exact / ours_s >= 3
    print("-> " + ("keep ours: it wins by 3x or more over scikit-learn's way to the same features" if keep else
                   "use scikit-learn's TfidfVectorizer: ours does not win by 3x over the same features"))


if __name__ == "__main__":
    main()
