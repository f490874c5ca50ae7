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
    gvif_table,
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
    gvif = gvif_table(design, plan).set_index("predictor")
    worst = (gvif["gvif"] ** (1 / gvif["df"])).idxmax()
    # x copies the kind == "b" dummy: kind and x share their collinearity, but kind spreads it over two
    # columns (GVIF^(1/df) is its square root), so x goes. One VIF per dummy would have dropped kind.
    assert worst == "x" and dropped[0][0] == "x" and vif_table(design).idxmax() == "kind[b]"
    assert dropped[0][1] == pytest.approx(gvif.loc["x", "gvif"]) and dropped[0][2].startswith("VIF ")
    assert gvif.loc["kind", "gvif"] ** 0.5 < gvif.loc["x", "gvif"]
    remaining = design[[c for c in design.columns if predictor_of(c, kept) in kept]]
    assert (hand_vif(remaining) <= 5).all() and list(kept) == [p for p in plan if p not in {d[0] for d in dropped}]
    assert table.loc[table["dropped"], "predictor"].tolist() == ["x"]
    final = table.set_index("predictor")["gvif_final"]
    assert final["z"] == pytest.approx(hand_vif(remaining)["z"])
    assert final["kind"] == pytest.approx(hand_gvif(remaining, ["kind[b]", "kind[c]"]))


def hand_gvif(design, columns):
    """Fox & Monette (1992): det(R_11) det(R_22) / det(R) from the correlation matrix."""
    R = np.corrcoef(design.to_numpy(float), rowvar=False)
    own = [design.columns.get_loc(c) for c in columns]
    rest = [i for i in range(design.shape[1]) if i not in own]
    return np.linalg.det(R[np.ix_(own, own)]) * np.linalg.det(R[np.ix_(rest, rest)]) / np.linalg.det(R)


def test_gvif_matches_its_definition_and_ignores_the_reference_level():
    rng = np.random.default_rng(5)
    n = 400
    ban = rng.choice(["active", "under review", "banned"], size=n, p=[0.6, 0.25, 0.15])
    frame = pd.DataFrame({"ban": ban, "x": (ban == "banned") * 1.5 + rng.normal(size=n), "z": rng.normal(size=n)})
    tables = []
    for reference in ("active", "banned", "under review"):
        plan = plan_design(frame, ["ban", "x", "z"], {"ban": reference})
        design = design_matrix(frame, plan)
        table = gvif_table(design, plan).set_index("predictor")
        dummies = [c for c in design.columns if c.startswith("ban[")]
        assert table.loc["ban", "gvif"] == pytest.approx(hand_gvif(design, dummies), rel=1e-9)
        assert table.loc["ban", "df"] == 2
        assert table.loc["ban", "gvif_1_2df"] == pytest.approx(table.loc["ban", "gvif"] ** 0.25)
        # One column: the GVIF is the ordinary VIF (statsmodels through vif_table).
        assert table.loc["x", "gvif"] == pytest.approx(vif_table(design)["x"], rel=1e-9)
        tables.append(table["gvif"])
        per_dummy = vif_table(design)[dummies]
    pd.testing.assert_series_equal(tables[0], tables[1], rtol=1e-9)
    pd.testing.assert_series_equal(tables[0], tables[2], rtol=1e-9)
    assert per_dummy.nunique() == 2  # one VIF per dummy differs between dummies (and between references)
