"""Separation detection and Firth's logistic regression against hand formulas and a generic optimiser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

from claimstats.firth import detect_separation, firth_logit


def penalised_loglik(beta, X, y):
    """l(β) + ½ log det(X'WX), written out from Firth (1993)."""
    p = 1 / (1 + np.exp(-X @ beta))
    return np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.5 * np.linalg.slogdet(X.T @ (X * (p * (1 - p))[:, None]))[1]


def two_by_two(events_0, n_0, events_1, n_1):
    x = np.r_[np.zeros(n_0), np.ones(n_1)]
    y = np.r_[np.ones(events_0), np.zeros(n_0 - events_0), np.ones(events_1), np.zeros(n_1 - events_1)]
    return pd.DataFrame({"Intercept": 1.0, "x": x}), y


@pytest.mark.parametrize("table", [(1, 4, 4, 4), (0, 10, 3, 5), (7, 20, 2, 9), (5, 5, 0, 3)])
def test_firth_on_a_two_by_two_table_adds_a_half_to_every_cell(table):
    events_0, n_0, events_1, n_1 = table
    X, y = two_by_two(*table)
    fit = firth_logit(X, y, intervals=False)
    a, b = events_1 + 0.5, n_1 - events_1 + 0.5
    c, d = events_0 + 0.5, n_0 - events_0 + 0.5
    assert fit.params["x"] == pytest.approx(np.log((a / b) / (c / d)), abs=1e-7)
    assert fit.params["Intercept"] == pytest.approx(np.log(c / d), abs=1e-7)


def test_penalised_lr_test_and_profile_interval_match_a_generic_optimiser():
    rng = np.random.default_rng(4)
    n = 60
    X = pd.DataFrame({"Intercept": 1.0, "a": rng.normal(size=n), "b": (rng.random(n) < 0.3).astype(float)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.8 * X["a"] + 2.5 * X["b"])))).astype(float)
    y[X["b"].to_numpy() == 1] = 1.0  # b = 1 is always an event: quasi-complete separation
    assert detect_separation(X, y).kind == "quasi-complete" and "b" in detect_separation(X, y).terms
    fit = firth_logit(X, y)
    values = X.to_numpy()
    best = optimize.minimize(lambda beta: -penalised_loglik(beta, values, y), np.zeros(3), method="BFGS",
                             options={"gtol": 1e-9})
    np.testing.assert_allclose(fit.params.to_numpy(), best.x, atol=1e-4)
    assert fit.penalised_llf == pytest.approx(-best.fun, abs=1e-7)

    def profile(j, value):
        free = [i for i in range(3) if i != j]

        def negative(part):
            beta = np.zeros(3)
            beta[free], beta[j] = part, value
            return -penalised_loglik(beta, values, y)
        return -optimize.minimize(negative, best.x[free], method="BFGS", options={"gtol": 1e-9}).fun

    for j, name in enumerate(X.columns):
        statistic = 2 * (-best.fun - profile(j, 0.0))
        assert fit.p_values[name] == pytest.approx(stats.chi2.sf(statistic, 1), rel=1e-3, abs=1e-12)
        for bound in fit.conf_int.loc[name]:
            assert 2 * (-best.fun - profile(j, bound)) == pytest.approx(stats.chi2.ppf(0.95, 1), abs=1e-4)
    assert fit.conf_int.loc["b", 0] > 0 and np.isfinite(fit.conf_int.loc["b", 1])


def test_without_separation_firth_is_close_to_maximum_likelihood():
    rng = np.random.default_rng(1)
    n = 4000
    X = pd.DataFrame({"Intercept": 1.0, "a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.7 * X["a"] - 0.4 * X["b"])))).astype(float)
    assert not detect_separation(X, y).found
    mle = sm.Logit(y, X).fit(disp=0)
    fit = firth_logit(X, y, intervals=False)
    np.testing.assert_allclose(fit.params, mle.params, atol=3 * mle.bse.max() / 10)
    np.testing.assert_allclose(fit.bse, mle.bse, rtol=0.01)
    assert fit.llnull == pytest.approx(mle.llnull)


def test_separation_kinds_on_constructed_data():
    X = pd.DataFrame({"Intercept": 1.0, "u": [0.0, 1, 2, 3, 4, 5], "v": [1.0, 0, 1, 0, 1, 0]})
    assert detect_separation(X, np.array([0, 0, 0, 1, 1, 1])).kind == "complete"          # u > 2.5
    assert detect_separation(X, np.array([0, 1, 0, 0, 0, 1])).kind == "quasi-complete"    # v = 1 never an event
    assert detect_separation(X, np.array([0, 1, 1, 0, 0, 1])).kind == "none"
    # Separation by a combination of two predictors, neither separating on its own.
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=300), rng.normal(size=300)
    combined = pd.DataFrame({"Intercept": 1.0, "a": a, "b": b})
    result = detect_separation(combined, (a + b > 0).astype(int))
    assert result.kind == "complete" and {"a", "b"} <= set(result.terms)
    assert "Complete separation: a combination of" in result.describe()
