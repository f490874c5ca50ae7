"""Construct: what a model is fitted on — the train/test split and the design matrix.

:func:`split_and_balance` cuts a seeded, stratified test split and then treats
the class imbalance of the training split only (upsampling or class weights);
:func:`plan_design` and :func:`design_matrix` turn predictors into model
columns (numeric ones as they are, categorical ones as 0/1 dummies against a
reference level); :func:`vif_table` (one VIF per column), :func:`gvif_table`
(one generalised VIF per predictor, its dummies together) and
:func:`drop_by_vif` check those columns for multicollinearity. :func:`claimstats.regression.fit_logit` is built on them.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"kind": ["x", "y", "z", "y"], "n": [1.0, 4, 2, 8]})
>>> list(design_matrix(frame, plan_design(frame, ["kind", "n"], {})).columns)
['kind[y]', 'kind[z]', 'n']
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.model_selection import train_test_split
from statsmodels.stats.outliers_influence import variance_inflation_factor

from claimstats.errors import ClaimstatsError, ColumnError

__all__ = [
    "BALANCES",
    "MAX_LEVELS",
    "TrainTestSplit",
    "design_matrix",
    "drop_by_vif",
    "gvif_table",
    "observed_levels",
    "plan_design",
    "predictor_of",
    "split_and_balance",
    "vif_table",
]

#: The class-imbalance treatments :func:`split_and_balance` offers.
BALANCES = ("upsample", "weights", None)
#: Text columns with more distinct values than this are not treated as categories.
MAX_LEVELS = 20


# ------------------------------------------------------------------- split


class TrainTestSplit(NamedTuple):
    """The rows an analysis trains and tests on: ``train`` may repeat rows (upsampling)."""

    train: pd.DataFrame
    test: pd.DataFrame
    weights: np.ndarray  # one per train row; all 1 unless balance="weights"


def split_and_balance(data: pd.DataFrame, y: pd.Series, *, test_size: float = 0.25, seed: int = 0,
                      balance: str | None = "upsample") -> tuple[TrainTestSplit, TrainTestSplit]:
    """Cut a stratified test split, then rebalance the training split only.

    Parameters
    ----------
    data : DataFrame
        Rows to split (any columns).
    y : Series of 0/1
        The outcome, aligned with ``data``; the split keeps its class shares.
    test_size : float
        Share of rows held out.
    seed : int
        Seeds the split and the upsampling draw.
    balance : {"upsample", "weights", None}
        ``"upsample"`` keeps every training row and adds minority-class rows
        drawn with replacement until the classes are equal; ``"weights"`` keeps
        the rows and weights each class by ``n / (2 n_class)`` (scikit-learn's
        "balanced"); ``None`` leaves the training split as sampled.

    Returns
    -------
    (as_sampled, balanced) : two TrainTestSplit
        ``as_sampled.train`` is the training split before any treatment; the
        two share the same ``test`` frame. Each frame carries the outcome as
        column ``"__y__"``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": range(40)})
    >>> y = pd.Series([1] * 8 + [0] * 32)
    >>> raw, balanced = split_and_balance(frame, y, seed=1)
    >>> len(raw.test), int(raw.train["__y__"].sum()), balanced.train["__y__"].value_counts().tolist()
    (10, 6, [24, 24])
    """
    if balance not in BALANCES:
        raise ClaimstatsError(f"balance must be 'upsample', 'weights' or None; got {balance!r}")
    if not 0 < test_size < 1:
        raise ClaimstatsError(f"test_size must be between 0 and 1; got {test_size}")
    frame = data.assign(__y__=np.asarray(y, dtype=int))
    try:
        train, test = train_test_split(frame, test_size=test_size, stratify=frame["__y__"], random_state=seed)
    except ValueError as err:
        raise ClaimstatsError(f"cannot make a stratified split: {err}") from None
    as_sampled = TrainTestSplit(train, test, np.ones(len(train)))
    counts = train["__y__"].value_counts()
    minority, majority = counts.idxmin(), counts.idxmax()
    if balance == "upsample":
        extra = counts[majority] - counts[minority]
        pool = train[train["__y__"] == minority]
        drawn = pool.sample(n=extra, replace=True, random_state=seed)
        balanced_train = pd.concat([train, drawn])
        return as_sampled, TrainTestSplit(balanced_train, test, np.ones(len(balanced_train)))
    if balance == "weights":
        weights = (len(train) / (2 * counts)).reindex(train["__y__"]).to_numpy()
        return as_sampled, TrainTestSplit(train, test, weights)
    return as_sampled, as_sampled


# ------------------------------------------------------------------ design


def _is_categorical(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(series) \
        or pd.api.types.is_bool_dtype(series)


def observed_levels(series: pd.Series) -> list:
    """The levels that occur in ``series``: a categorical's in category order, others sorted as text.

    Unlike :func:`claimstats.column_checks.category_levels`, categories without
    a row are left out: a model cannot estimate a level it never sees.

    Examples
    --------
    >>> import pandas as pd
    >>> observed_levels(pd.Series(["b", "a", None, "b"], dtype=pd.CategoricalDtype(["c", "b", "a"])))
    ['b', 'a']
    >>> observed_levels(pd.Series(["b", "a", "b"]))
    ['a', 'b']
    """
    present = set(series.dropna().unique())
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if c in present]
    return sorted(present, key=str)


def plan_design(data: pd.DataFrame, predictors, reference: dict) -> dict[str, list]:
    """For each categorical predictor: its levels with the reference first; numeric ones map to [].

    Parameters
    ----------
    data : DataFrame
        The rows the model uses (no missing values in ``predictors``).
    predictors : list of str
        Columns of ``data``. Pandas categoricals, text and booleans are
        categorical; a text column with more than :data:`MAX_LEVELS` levels is
        refused as free text.
    reference : dict
        Reference level per categorical predictor; by default its first
        observed level (:func:`observed_levels`).

    Returns
    -------
    dict
        ``{predictor: levels}`` in the order of ``predictors``, the plan
        :func:`design_matrix` follows.

    Raises
    ------
    ColumnError
        For a constant predictor, a single-level one or one that looks like text.
    ClaimstatsError
        For a reference level that does not occur.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"kind": ["x", "y", "z", "y"], "n": [1.0, 4, 2, 8]})
    >>> plan_design(frame, ["kind", "n"], {"kind": "y"})
    {'kind': ['y', 'x', 'z'], 'n': []}
    """
    plan = {}
    for name in predictors:
        column = data[name]
        if not _is_categorical(column):
            if column.nunique() < 2:
                raise ColumnError(f"predictor {name!r} is constant; it cannot be estimated")
            plan[name] = []
            continue
        levels = observed_levels(column)
        if len(levels) > MAX_LEVELS:
            raise ColumnError(f"predictor {name!r} has {len(levels):,} distinct values; it looks like text, "
                              "not a category; choose numeric or categorical predictors")
        if len(levels) < 2:
            raise ColumnError(f"predictor {name!r} has a single level ({levels[0] if levels else 'none'}); "
                              "it cannot be estimated")
        ref = reference.get(name, levels[0])
        if ref not in levels:
            raise ClaimstatsError(f"reference level {ref!r} not found in {name!r}; levels: {', '.join(map(str, levels))}")
        plan[name] = [ref] + [level for level in levels if level != ref]
    return plan


def design_matrix(data: pd.DataFrame, plan: dict[str, list]) -> pd.DataFrame:
    """Numeric predictors as they are, categorical ones as 0/1 dummies named ``column[level]``.

    The first level of each categorical predictor in ``plan`` is its reference
    (no column): its effect is in the intercept and every dummy is read against it.

    Parameters
    ----------
    data : DataFrame
        Rows to encode; they may be other rows than the plan was made from
        (the test split).
    plan : dict
        What :func:`plan_design` returned.

    Returns
    -------
    DataFrame
        Float columns, with the index of ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"kind": ["x", "y", "z", "y"], "n": [1.0, 4, 2, 8]})
    >>> design_matrix(frame, {"kind": ["y", "x", "z"], "n": []})
       kind[x]  kind[z]    n
    0      1.0      0.0  1.0
    1      0.0      0.0  4.0
    2      0.0      1.0  2.0
    3      0.0      0.0  8.0
    """
    columns = {}
    for name, levels in plan.items():
        if not levels:
            columns[name] = data[name].astype("float64").to_numpy()
            continue
        values = data[name].astype(object).to_numpy()
        for level in levels[1:]:
            columns[f"{name}[{level}]"] = (values == level).astype("float64")
    return pd.DataFrame(columns, index=data.index)


def vif_table(design: pd.DataFrame) -> pd.Series:
    """The variance inflation factor of each column of ``design`` (fitted with an intercept).

    Raises :class:`ClaimstatsError` for a constant column: beside the intercept it is
    perfectly collinear, so its VIF is undefined (statsmodels would return 1).

    Parameters
    ----------
    design : DataFrame
        Numeric columns, e.g. from :func:`design_matrix`.

    Returns
    -------
    Series
        VIF per column: 1 / (1 − R²) of the regression of that column on the others.

    Examples
    --------
    >>> import pandas as pd
    >>> design = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "b": [1.0, 2, 3, 4, 5, 7], "c": [3.0, 1, 2, 1, 3, 2]})
    >>> vif_table(design).round(1).to_dict()
    {'a': 49.0, 'b': 49.0, 'c': 1.0}
    """
    constant = [str(c) for c in design.columns if design[c].nunique() < 2]
    if constant:
        raise ClaimstatsError(f"design column {constant[0]!r} is constant; its VIF is undefined "
                              "(it is collinear with the intercept)")
    if design.shape[1] < 2:
        return pd.Series(1.0, index=design.columns)
    exog = sm.add_constant(design.to_numpy(), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        values = [variance_inflation_factor(exog, i + 1) for i in range(design.shape[1])]
    return pd.Series(values, index=design.columns, dtype="float64")


def predictor_of(term: str, plan: dict[str, list]) -> str:
    """The predictor a design column belongs to: ``kind[x]`` → ``kind``; a numeric one is its own.

    Examples
    --------
    >>> plan = {"kind": ["y", "x", "z"], "n": []}
    >>> predictor_of("kind[x]", plan), predictor_of("n", plan)
    ('kind', 'n')
    """
    return term if term in plan else term.split("[", 1)[0]


def gvif_table(design: pd.DataFrame, plan: dict[str, list]) -> pd.DataFrame:
    """The generalised VIF (Fox & Monette 1992) of each predictor: its dummies taken together.

    One VIF per dummy depends on the reference level and understates a
    categorical predictor's collinearity; the GVIF of a predictor with design
    columns S is ``det(R_SS) det(R_OO) / det(R)``, with R the correlation
    matrix of all design columns and O the columns of the other predictors.
    It does not depend on the reference level, and equals the VIF for a
    predictor with one column. ``gvif_1_2df`` = GVIF^(1 / (2 df)) puts
    predictors with different df on one scale (that of the square root of a VIF).

    Parameters
    ----------
    design : DataFrame
        Numeric columns, e.g. from :func:`design_matrix`.
    plan : dict
        What :func:`plan_design` returned (which columns belong to which predictor).

    Returns
    -------
    DataFrame
        One row per predictor: ``predictor``, ``df`` (its number of columns),
        ``gvif``, ``gvif_1_2df``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"kind": list("xyzyxzyx"), "n": [1.0, 4, 2, 8, 1, 3, 5, 2]})
    >>> plan = plan_design(frame, ["kind", "n"], {})
    >>> gvif_table(design_matrix(frame, plan), plan).round(3).to_dict("list")
    {'predictor': ['kind', 'n'], 'df': [2, 1], 'gvif': [4.017, 4.017], 'gvif_1_2df': [1.416, 2.004]}
    """
    columns = {name: [c for c in design.columns if predictor_of(c, plan) == name] for name in plan}
    columns = {name: cols for name, cols in columns.items() if cols}
    constant = [str(c) for c in design.columns if design[c].nunique() < 2]
    if constant:
        raise ClaimstatsError(f"design column {constant[0]!r} is constant; its VIF is undefined "
                              "(it is collinear with the intercept)")
    order = [c for cols in columns.values() for c in cols]
    R = np.atleast_2d(np.corrcoef(design[order].to_numpy(dtype=float), rowvar=False))
    position = {c: i for i, c in enumerate(order)}

    def logdet(idx) -> float:
        if not idx:
            return 0.0
        sign, value = np.linalg.slogdet(R[np.ix_(idx, idx)])
        return value if sign > 0 else -np.inf

    total = logdet(list(range(len(order))))
    rows = []
    for name, cols in columns.items():
        own = [position[c] for c in cols]
        rest = [i for i in range(len(order)) if i not in own]
        gvif = np.inf if not np.isfinite(total) else float(np.exp(logdet(own) + logdet(rest) - total))
        rows.append((name, len(cols), gvif, gvif ** (1 / (2 * len(cols)))))
    return pd.DataFrame(rows, columns=["predictor", "df", "gvif", "gvif_1_2df"])


def drop_by_vif(design: pd.DataFrame, plan: dict, threshold: float | None):
    """Drop the predictor with the largest (generalised) VIF above ``threshold``, recompute, repeat.

    A categorical predictor goes as a whole, all its dummies at once, and is
    judged by its GVIF (:func:`gvif_table`) on the VIF scale, GVIF^(1/df): the
    VIF itself for a numeric predictor.

    Parameters
    ----------
    design : DataFrame
        The design matrix of ``plan`` (:func:`design_matrix`).
    plan : dict
        What :func:`plan_design` returned.
    threshold : float or None
        ``None`` drops nothing (the table is still computed).

    Returns
    -------
    (plan, dropped, table)
        The plan without the dropped predictors; ``(predictor, VIF, reason)``
        per drop, in order; and one row per predictor: ``predictor``, ``df``,
        ``gvif``, ``gvif_1_2df`` (before any drop), ``gvif_final`` (after the
        drops, missing if dropped), ``dropped``.

    Examples
    --------
    >>> import pandas as pd
    >>> design = pd.DataFrame({"a": [2.0, 3, 5, 5, 8, 8], "b": [1.0, 2, 3, 4, 5, 7], "c": [1.0, 1, 2, 1, 3, 2]})
    >>> kept, dropped, table = drop_by_vif(design, {"a": [], "b": [], "c": []}, 10)
    >>> list(kept), [reason for _, _, reason in dropped], table["gvif_final"].round(2).tolist()
    (['b', 'c'], ['VIF 114.08 > 10'], [nan, 1.58, 1.58])
    """
    def on_vif_scale(table: pd.DataFrame) -> pd.Series:
        return pd.Series((table["gvif"] ** (1 / table["df"])).to_numpy(), index=table["predictor"])

    first = gvif_table(design, plan)
    dropped: list[tuple[str, float, str]] = []
    current = dict(plan)
    table = first
    while threshold is not None and len(current) > 1 and on_vif_scale(table).max() > threshold:
        scale = on_vif_scale(table)
        name = scale.idxmax()
        several = len(current[name]) > 2  # a categorical predictor with more than one dummy
        label = "GVIF^(1/df)" if several else "VIF"
        dropped.append((name, float(scale.max()), f"{label} {scale.max():.2f} > {threshold:g}"))
        del current[name]
        table = gvif_table(design[[c for c in design.columns if predictor_of(c, current) in current]], current)
    out = first.copy()
    out["gvif_final"] = out["predictor"].map(dict(zip(table["predictor"], table["gvif"]))).astype("float64")
    out["dropped"] = ~out["predictor"].isin(list(current))
    return current, tuple(dropped), out
