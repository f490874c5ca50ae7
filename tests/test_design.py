"""The split and the design of a model against independent computations: pandas, numpy least squares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from claimstats import ClaimstatsError, ColumnError, clean, simulate
from claimstats.column_checks import category_levels
from claimstats.design import (
    design_matrix,
    drop_by_vif,
    observed_levels,
    plan_design,
    predictor_of,
    split_and_balance,
    vif_table,
)


@pytest.fixture(scope="module")
def tidy():
    return clean(simulate(4000, seed=21))[0]


def hand_vif(design: pd.DataFrame) -> pd.Series:
    """1 / (1 - R²) of each column regressed (with an intercept) on the others, by least squares."""
    X = design.to_numpy(float)
    values = []
    for j in range(X.shape[1]):
        others = np.column_stack([np.ones(len(X)), np.delete(X, j, axis=1)])
        coef, *_ = np.linalg.lstsq(others, X[:, j], rcond=None)
        residual = X[:, j] - others @ coef
        values.append(1 / (residual @ residual / np.sum((X[:, j] - X[:, j].mean()) ** 2)))
    return pd.Series(values, index=design.columns)


def test_balancing_touches_only_the_training_split(tidy):
    y = (tidy["verified_status"] == "verified").astype(int)
    raw, upsampled = split_and_balance(tidy, y, seed=4, balance="upsample")
    _, none = split_and_balance(tidy, y, seed=4, balance=None)
    _, weighted = split_and_balance(tidy, y, seed=4, balance="weights")
    for other in (upsampled, none, weighted):
        pd.testing.assert_frame_equal(other.test, raw.test)
    assert len(raw.test) == round(0.25 * len(tidy)) or len(raw.test) == int(np.ceil(0.25 * len(tidy)))
    assert raw.test["__y__"].mean() == pytest.approx(y.mean(), abs=0.002)  # stratified
    assert set(raw.test.index).isdisjoint(upsampled.train.index)
    counts = upsampled.train["__y__"].value_counts()
    assert counts[0] == counts[1] == (raw.train["__y__"] == 0).sum()
    assert set(upsampled.train.index) == set(raw.train.index)  # only training rows, each original kept
    assert (upsampled.train.index.value_counts() > 1).sum() > 0
    assert upsampled.train.loc[upsampled.train["__y__"] == 0].index.is_unique
    sums = pd.Series(weighted.weights).groupby(weighted.train["__y__"].to_numpy()).sum()
    assert sums[0] == pytest.approx(sums[1]) == pytest.approx(len(raw.train) / 2)


def test_vif_of_a_constant_column_is_a_clear_error():
    design = pd.DataFrame({"a": [1.0, 2, 3, 4, 6], "b": [2.0, 1, 4, 3, 5], "c": 1.0})
    # With an intercept a constant column is perfectly collinear: its VIF is undefined, not 1.
    with pytest.raises(ClaimstatsError, match="'c' is constant"):
        vif_table(design)


def test_dummies_match_pandas_get_dummies_against_the_reference():
    frame = pd.DataFrame({"kind": pd.Categorical(["b", "a", "c", "b", "a"], categories=["a", "b", "c", "unused"]),
                          "size": [1.5, 2.0, 3.0, 0.5, 4.0]})
    plan = plan_design(frame, ["kind", "size"], {"kind": "b"})
    assert plan == {"kind": ["b", "a", "c"], "size": []}  # the unused category gets no column
    expected = pd.get_dummies(frame["kind"].astype(str), prefix="kind", prefix_sep="[", dtype=float)
    expected.columns = [f"{c}]" for c in expected.columns]
    expected = expected[["kind[a]", "kind[c]"]].assign(size=frame["size"])
    pd.testing.assert_frame_equal(design_matrix(frame, plan), expected)
    assert [predictor_of(term, plan) for term in expected.columns] == ["kind", "kind", "size"]


def test_observed_levels_are_the_category_levels_that_occur():
    series = pd.Series(pd.Categorical(["x", "z", None], categories=["z", "y", "x"]))
    assert observed_levels(series) == [c for c in category_levels(series) if (series == c).any()] == ["z", "x"]


@pytest.mark.parametrize("column, message", [
    (pd.Series([2.0, 2.0, 2.0, 2.0]), "predictor 'p' is constant; it cannot be estimated"),
    (pd.Series(["a", "a", "a", None]), r"predictor 'p' has a single level \(a\)"),
    (pd.Series([f"text {i}" for i in range(25)]), "has 25 distinct values; it looks like text"),
])
def test_a_predictor_that_cannot_be_estimated_is_a_clear_error(column, message):
    with pytest.raises(ColumnError, match=message):
        plan_design(pd.DataFrame({"p": column}).dropna(), ["p"], {})


def test_vif_and_the_drops_match_least_squares():
    rng = np.random.default_rng(12)
    n = 200
    kind = rng.choice(["a", "b", "c"], size=n)
    frame = pd.DataFrame({"kind": kind, "x": (kind == "b") + rng.normal(scale=0.1, size=n), "z": rng.normal(size=n)})
    plan = plan_design(frame, ["kind", "x", "z"], {})
    design = design_matrix(frame, plan)
    expected = hand_vif(design)
    np.testing.assert_allclose(vif_table(design), expected, rtol=1e-8)

    kept, dropped, table = drop_by_vif(design, plan, 5)
    worst = predictor_of(expected.idxmax(), plan)
    assert dropped[0][:2] == (worst, pytest.approx(expected.max()))
    remaining = design[[c for c in design.columns if predictor_of(c, kept) in kept]]
    assert (hand_vif(remaining) <= 5).all() and list(kept) == [p for p in plan if p not in {d[0] for d in dropped}]
    # x copies the kind == "b" dummy: kind goes first, with its low-VIF dummy kind[c] (a predictor goes as a whole).
    assert worst == "kind" and table.loc[table["dropped"], "term"].tolist() == ["kind[b]", "kind[c]"]
    np.testing.assert_allclose(table.set_index("term").loc[remaining.columns, "vif_final"], hand_vif(remaining))
