"""The question bank: enough exercises of every kind, and keys that agree with independent computations."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from claimstats import simulate
from claimstats.exercises.bank import (
    AUTO_KINDS,
    BUILD,
    CHOICE,
    CHOICES,
    COUNT,
    MANUAL_KINDS,
    NUMBER,
    SETS,
    TEXT,
    ExerciseData,
    Tolerance,
    question,
    questions,
)
from claimstats.exercises.checker import answer_key
from claimstats.errors import ClaimstatsError

ROWS, SEED = 2_500, 11


@pytest.fixture(scope="module")
def data():
    return ExerciseData(simulate(ROWS, seed=SEED))


@pytest.fixture(scope="module")
def key(data):
    return answer_key(data)


@pytest.fixture(scope="module")
def tidy(data):
    # Independent of claimstats.clean: complete rows only, ids unique by construction of the data.
    frame = data.raw.dropna()
    assert frame["video_id"].is_unique
    return frame


def test_at_least_thirty_exercises_of_every_kind_in_every_set():
    bank = questions()
    assert len(bank) >= 30
    assert {q.set for q in bank} == set(SETS)
    kinds = Counter(q.kind for q in bank)
    assert kinds[NUMBER] >= 8 and kinds[COUNT] >= 4 and kinds[CHOICE] >= 8 and kinds[CHOICES] >= 2
    assert kinds[TEXT] >= 4 and kinds[BUILD] >= 2
    for set_name in SETS:
        mine = questions(set_name)
        assert len(mine) >= 3, set_name
        assert any(q.kind in MANUAL_KINDS for q in mine), f"{set_name}: no interpret or build exercise"


def test_every_question_states_what_is_given_and_the_form_of_its_answer():
    ids = [q.id for q in questions()]
    assert len(ids) == len(set(ids))
    for q in questions():
        assert q.given.strip() and q.task.strip() and q.answer.strip(), q.id
        form = q.answer_form()
        if q.kind == NUMBER:
            assert "rounded to" in form and q.tolerance.allowed(1.0) > 0, q.id
        if q.kind in (CHOICE, CHOICES):
            keys = q.option_keys()
            assert len(set(keys)) == len(keys) and all(f"`{k}`" in form for k in keys), q.id
        if q.kind in MANUAL_KINDS:
            assert q.marking and "instructor" in form, q.id


def test_set_selection_and_unknown_names():
    assert [q.set for q in questions("hypothesis,plan")][:1] == ["plan"]
    assert len(questions("all")) == len(questions())
    with pytest.raises(ClaimstatsError, match="unknown exercise set 'hypotesis'"):
        questions("hypotesis")
    with pytest.raises(ClaimstatsError, match="did you mean 'hyp-df'"):
        question("hyp-dff")


def test_tolerance_rules():
    tol = Tolerance(decimals=2, absolute=0.05)
    assert tol.exact(1.234, 1.2344) and tol.exact(1.23, 1.2344) and not tol.exact(1.22, 1.2344)
    assert tol.allowed(1000.0) == 0.05
    rel = Tolerance(decimals=0, relative=0.01)
    assert rel.allowed(-2_000.0) == 20.0 and rel.allowed(10.0) == 0.5  # never below half a rounding unit


def test_counts_agree_with_pandas(data, key, tidy):
    raw = data.raw
    assert key["plan-rows"] == len(raw) == ROWS
    assert key["insp-incomplete-rows"] == int(raw.isna().any(axis=1).sum())
    assert key["insp-duplicate-ids"] == int(raw["video_id"].duplicated().sum()) == 0
    assert key["insp-rows-kept"] == len(tidy)
    assert key["insp-missing-columns"] == sorted(raw.columns[raw.isna().any()].tolist())
    assert key["expl-claims"] == int((tidy["claim_status"] == "claim").sum())
    likes = tidy["video_like_count"].to_numpy(float)
    q1, q3 = np.quantile(likes, [0.25, 0.75])
    fences = (q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1))
    assert key["expl-like-outliers"] == int(((likes < fences[0]) | (likes > fences[1])).sum())


def test_explore_numbers_agree_with_pandas_and_numpy(key, tidy):
    claims = tidy[tidy["claim_status"] == "claim"]
    opinions = tidy[tidy["claim_status"] == "opinion"]
    assert key["expl-mean-views-claim"] == pytest.approx(claims["video_view_count"].mean())
    ratio = claims["video_view_count"].median() / opinions["video_view_count"].median()
    assert key["expl-median-ratio"] == pytest.approx(ratio)
    assert key["expl-banned-share"] == pytest.approx((claims["author_ban_status"] == "banned").mean())
    r = np.corrcoef(tidy["video_view_count"], tidy["video_like_count"])[0, 1]
    assert key["expl-views-likes-r"] == pytest.approx(r)


def test_hypothesis_numbers_agree_with_scipy_and_hand_formulas(key, tidy):
    a = tidy.loc[tidy["verified_status"] == "not verified", "video_view_count"].to_numpy(float)
    b = tidy.loc[tidy["verified_status"] == "verified", "video_view_count"].to_numpy(float)
    welch = stats.ttest_ind(a, b, equal_var=False)
    assert key["hyp-t-statistic"] == pytest.approx(welch.statistic)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    assert key["hyp-df"] == pytest.approx(df)
    assert key["hyp-mean-difference"] == pytest.approx(a.mean() - b.mean())
    pooled = math.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2))
    assert key["hyp-effect-size"] == pytest.approx((a.mean() - b.mean()) / pooled)
    assert key["hyp-decision"] == ("reject" if welch.pvalue < 0.05 else "do_not_reject")


def test_regression_numbers_agree_with_statsmodels_and_sklearn(key, tidy):
    import statsmodels.api as sm
    from sklearn.model_selection import train_test_split

    y = (tidy["verified_status"] == "verified").astype(int)
    train, test = train_test_split(tidy, test_size=0.25, stratify=y, random_state=0)
    assert key["reg-n-train"] == len(train)
    # The coefficients are fitted on every row; the split serves only the evaluation.
    X = pd.DataFrame({
        "duration": tidy["video_duration_sec"],
        "opinion": (tidy["claim_status"] == "opinion").astype(float),
        "review": (tidy["author_ban_status"] == "under review").astype(float),
        "banned": (tidy["author_ban_status"] == "banned").astype(float),
        **{c: tidy[c].astype(float) for c in ("video_view_count", "video_share_count", "video_download_count",
                                                "video_comment_count")},
    })
    fit = sm.Logit((tidy["verified_status"] == "verified").astype(int), sm.add_constant(X)).fit(disp=0)
    assert key["reg-odds-ratio"] == pytest.approx(math.exp(fit.params["opinion"]), rel=1e-5)
    assert 0.5 < key["reg-auc"] < 1
    counts = tidy[["video_view_count", "video_like_count", "video_share_count", "video_download_count",
                   "video_comment_count", "video_duration_sec"]].astype(float)
    vifs = {}
    for name in counts:
        others = sm.add_constant(counts.drop(columns=name))
        r2 = sm.OLS(counts[name], others).fit().rsquared
        vifs[name] = 1 / (1 - r2)
    assert key["reg-collinear"] == max(vifs, key=vifs.get)


def test_conceptual_keys_are_options_of_their_question(key):
    for qid, value in key.items():
        q = question(qid)
        if q.kind == CHOICE:
            assert value in q.option_keys(), qid
        elif q.kind == CHOICES:
            assert set(value) <= set(q.option_keys()) and value, qid


def test_every_auto_question_has_a_key_and_answer_keys_cover_them(key):
    assert set(key) == {q.id for q in questions() if q.kind in AUTO_KINDS}
    assert all(value is not None for value in key.values())


def test_odds_ratios_are_never_explained_as_ratios_of_probabilities():
    # The marking notes deduct for reading an odds ratio as "times more likely"; the solutions must not do it.
    import re

    for q in questions("regression"):
        text = " ".join([q.explanation, q.hint, *(m.hint for m in q.mistakes)])
        assert not re.search(r"times (more|less|as) likely", text), q.id


def test_held_out_phrasing_and_confident_threshold_keys_agree_with_sklearn_and_scipy(key, tidy):
    from scipy import stats
    from sklearn.metrics import recall_score
    from sklearn.model_selection import StratifiedGroupKFold

    texts = tidy["video_transcription_text"].str.lower().str.split().str[:3].str.join(" ")
    assert key["clf-templates"] == texts.nunique()
    # the grouped split by hand: the test part is the first fold of StratifiedGroupKFold(5), seed 0
    y = (tidy["claim_status"] == "claim").to_numpy(int)
    rest, test = next(StratifiedGroupKFold(5, shuffle=True, random_state=0).split(tidy, y, texts))
    train, _ = next(StratifiedGroupKFold(4, shuffle=True, random_state=0).split(rest, y[rest], texts.iloc[rest]))
    train = rest[train]
    from claimstats.classify import build_pipeline, input_columns

    fitted = build_pipeline("upload", "logistic").fit(tidy.iloc[train][input_columns("upload")], y[train])
    predicted = fitted.predict(tidy.iloc[test][input_columns("upload")])
    assert key["clf-held-out-recall"] == pytest.approx(recall_score(y[test], predicted))
    # the confident threshold: the smallest k whose one-sided exact 95% bound of k / n reaches 95%
    from sklearn.model_selection import train_test_split

    rest, _ = train_test_split(tidy, test_size=0.2, stratify=y, random_state=0)
    train, validation = train_test_split(rest, test_size=0.25, stratify=(rest["claim_status"] == "claim").astype(int),
                                         random_state=0)
    fitted = build_pipeline("upload", "logistic").fit(train[input_columns("upload")], train["claim_status"] == "claim")
    scores = fitted.predict_proba(validation[input_columns("upload")])[:, 1]
    claims = np.sort(scores[(validation["claim_status"] == "claim").to_numpy()])[::-1]
    n = len(claims)
    k = next(k for k in range(1, n + 1) if stats.binomtest(k, n, alternative="greater")
             .proportion_ci(confidence_level=0.95, method="exact").low >= 0.95)
    assert key["exe-confident-threshold"] == pytest.approx(claims[k - 1], abs=1e-9)
    caught = int((claims >= claims[k - 1]).sum())
    expected = stats.binomtest(caught, n, alternative="greater").proportion_ci(confidence_level=0.95, method="exact")
    assert key["exe-recall-bound"] == pytest.approx(expected.low)
