"""Construct: the case's logistic regression of verified status, with its checks.

:func:`fit_logit` fits ``verified_status`` (event ``"verified"``) on the
predictors the case uses and reports what a careful analyst reports: the
coefficient table with odds ratios and confidence intervals (statsmodels), a
multicollinearity check (a generalised VIF per predictor and correlations,
optionally dropping predictors above a VIF threshold), a Box–Tidwell check of the linearity of the logit, and
a held-out evaluation on a seeded, stratified test split (scikit-learn metrics).

Two models are fitted, for two different jobs:

* the **inference** model (the coefficient table, odds ratios, p-values) on
  all usable rows as they were sampled: holding rows back would only widen
  every interval, and duplicating rows or weighting classes would make the
  standard errors, and so every p-value, wrong. Each term also gets a
  likelihood-ratio test. When a predictor (or a combination of them)
  separates the outcome, the maximum-likelihood estimate does not exist:
  :func:`claimstats.firth.detect_separation` finds that, and the model is
  then fitted by Firth's penalised likelihood with likelihood-ratio p-values
  and profile-likelihood intervals (:mod:`claimstats.firth`);
* the **evaluation** model (the confusion matrix, recall, ROC AUC) on a
  seeded, stratified training split after the class-imbalance treatment
  chosen with ``balance``, scored on the held-out test split. Rebalancing
  mainly moves the intercept, so that the 0.5 threshold stops labelling
  almost every video "not verified".

The test split is cut before any rebalancing and is never resampled. This
module fits and reports; the split, the design matrix and the VIF check it uses
are in :mod:`claimstats.design`.

Examples
--------
>>> import claimstats
>>> tidy, _ = claimstats.clean(claimstats.load("synthetic", rows=3000).frame)
>>> result = fit_logit(tidy)
>>> result.to_frame().loc[0, "term"], result.n == result.n_train + result.n_test == len(tidy), result.method
('Intercept', True, 'maximum likelihood')
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from sklearn import metrics
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationError, PerfectSeparationWarning

from claimstats.design import design_matrix, drop_by_vif, observed_levels, plan_design, predictor_of, split_and_balance
from claimstats.errors import ClaimstatsError, require_columns
from claimstats.firth import Separation, detect_separation, firth_logit
from claimstats.reporting import COUNT_NOUNS, format_number, format_p
from claimstats.schema import BAN, DURATION, TARGET, VERIFIED

#: The case's predictors: video_like_count is left out for its collinearity with views.
DEFAULT_PREDICTORS = (DURATION, TARGET, BAN, "video_view_count", "video_share_count",
                      "video_download_count", "video_comment_count")
#: Numeric predictors with more distinct values than this get a Box–Tidwell term.
MIN_CONTINUOUS_VALUES = 10
INTERCEPT = "Intercept"
MAXIMUM_LIKELIHOOD = "maximum likelihood"
FIRTH = "Firth's penalised likelihood"
_UNIT_WORDS = {DURATION: "seconds of video"}


# ------------------------------------------------------------------ fitting


def _fit(y, X, weights=None):
    """A logit fit; freq-weighted GLM when weights are given. Input problems become ClaimstatsError."""
    exog = sm.add_constant(X, has_constant="add").rename(columns={"const": INTERCEPT})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            # statsmodels only warns on separation and returns a diverging slope with a huge
            # standard error: the maximum-likelihood estimate does not exist, so stop here.
            warnings.simplefilter("error", PerfectSeparationWarning)
            if weights is None:
                return sm.Logit(y, exog).fit(disp=0, method="newton", maxiter=100)
            return sm.GLM(y, exog, family=sm.families.Binomial(), freq_weights=weights).fit()
    except (PerfectSeparationError, PerfectSeparationWarning):
        raise ClaimstatsError("the logistic regression cannot be estimated: perfect separation (a combination of "
                              f"{', '.join(map(str, X.columns))} predicts the outcome exactly on the training rows); "
                              "drop the predictor that separates the classes") from None
    except np.linalg.LinAlgError as err:
        raise ClaimstatsError(f"the logistic regression cannot be estimated ({err}); "
                              "drop a predictor that separates the classes or is collinear") from None


def _with_intercept(X: pd.DataFrame) -> pd.DataFrame:
    return sm.add_constant(X, has_constant="add").rename(columns={"const": INTERCEPT})


class _Inference:
    """The inference fit, whichever way it was estimated: estimates, Wald SEs, p-values, intervals."""

    def __init__(self, y, X: pd.DataFrame, alpha: float, separation: Separation):
        exog = _with_intercept(X)
        self.separation = separation
        if separation.found:
            # Profile intervals cost a root search of constrained fits per bound: the separated terms get them,
            # where Wald's interval fails; the others, well behaved, keep Wald's interval of Firth's fit.
            fit = firth_logit(exog, y, alpha=alpha, intervals=list(separation.terms))
            self.method, self.model = FIRTH, fit
            self.params, self.bse, self.z = fit.params, fit.bse, fit.tvalues
            self.p_values = self.lr_p_values = fit.p_values   # penalised likelihood-ratio tests
            self.ci = fit.conf_int                              # profile penalised likelihood for separated terms
            self.llf, self.llnull, self.converged = fit.llf, fit.llnull, fit.converged
            self.llr_p_value = float(stats.chi2.sf(2 * (fit.llf - fit.llnull), exog.shape[1] - 1))
            return
        fit = _fit(y, X)
        self.method, self.model = MAXIMUM_LIKELIHOOD, fit
        self.params, self.bse, self.z, self.p_values = fit.params, fit.bse, fit.tvalues, fit.pvalues
        self.ci = fit.conf_int(alpha=alpha)
        self.llf, self.llnull, self.llr_p_value = float(fit.llf), float(fit.llnull), float(fit.llr_pvalue)
        self.converged = bool(fit.mle_retvals.get("converged", True))
        # Likelihood-ratio test of each term: the fit without it against the full fit.
        lr = {}
        for term in exog.columns:
            reduced = exog.drop(columns=term)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                llf = sm.Logit(y, reduced).fit(disp=0, method="newton", maxiter=100).llf
            lr[term] = float(stats.chi2.sf(max(0.0, 2 * (fit.llf - llf)), 1))
        self.lr_p_values = pd.Series(lr)


def _coefficient_table(fit: _Inference, plan: dict, standardized: bool, sd: pd.Series) -> pd.DataFrame:
    ci = fit.ci
    table = pd.DataFrame({
        "term": fit.params.index, "coef": fit.params.to_numpy(), "std_err": fit.bse.to_numpy(),
        "z": fit.z.to_numpy(), "p_value": fit.p_values.reindex(fit.params.index).to_numpy(),
        "lr_p_value": fit.lr_p_values.reindex(fit.params.index).to_numpy(),
        "ci_low": ci[0].to_numpy(), "ci_high": ci[1].to_numpy(),
    })
    table["odds_ratio"] = np.exp(table["coef"])
    table["or_ci_low"] = np.exp(table["ci_low"])
    table["or_ci_high"] = np.exp(table["ci_high"])
    # Per how much of the predictor the odds ratio is easiest to read: 1 SD when standardised,
    # else the power of ten just below its SD (10 seconds, 100,000 views), 1 for dummies.
    per = []
    for term in table["term"]:
        if term in plan and not plan[term]:
            spread = float(sd[term])
            per.append(1.0 if standardized or spread <= 0 else float(10 ** np.floor(np.log10(spread))))
        else:
            per.append(1.0)
    table["per"] = per
    table["odds_ratio_per"] = np.exp(table["coef"] * table["per"])
    table["or_per_ci_low"] = np.exp(table["ci_low"] * table["per"])
    table["or_per_ci_high"] = np.exp(table["ci_high"] * table["per"])
    table["reference"] = [
        f"vs {plan[predictor_of(t, plan)][0]}" if t != INTERCEPT and plan.get(predictor_of(t, plan)) else ""
        for t in table["term"]
    ]
    return table


def _box_tidwell(y, X: pd.DataFrame, plan: dict, separated: bool) -> pd.DataFrame:
    """Add x·ln(x) for each positive continuous predictor; a significant term suggests a curved logit."""
    continuous = [n for n, levels in plan.items()
                  if not levels and X[n].nunique() > MIN_CONTINUOUS_VALUES and X[n].min() >= 0]
    rows = []
    if not continuous:
        return pd.DataFrame(columns=["predictor", "term", "shift", "coef", "p_value"])
    augmented = X.copy()
    shifts = {}
    terms = {}
    for name in continuous:
        shifts[name] = 0.0 if X[name].min() > 0 else 1.0  # x·ln(x) needs x > 0: counts with zeros use x + 1
        x = X[name] + shifts[name]
        shifted = f"({name} + 1)" if shifts[name] else name
        terms[name] = f"{shifted}·ln{shifted if shifts[name] else f'({name})'}"
        augmented[terms[name]] = x * np.log(x)
    # Rescaling columns leaves every z and p unchanged and keeps Newton's steps well conditioned.
    scale = augmented.std().replace(0, 1.0)
    if separated:  # no maximum-likelihood fit exists: Firth's, with its likelihood-ratio tests
        fit = firth_logit(_with_intercept(augmented / scale), y, tests=list(terms.values()), intervals=False)
        params, p_values = fit.params, fit.p_values
    else:
        fit = _fit(y, augmented / scale)
        params, p_values = fit.params, fit.pvalues
    for name in continuous:
        term = terms[name]
        rows.append((name, term, shifts[name], float(params[term] / scale[term]), float(p_values[term])))
    return pd.DataFrame(rows, columns=["predictor", "term", "shift", "coef", "p_value"])


def _evaluation(y_test: np.ndarray, probability: np.ndarray, labels: tuple[str, str]):
    predicted = (probability >= 0.5).astype(int)
    values = {
        "accuracy": metrics.accuracy_score(y_test, predicted),
        "precision": metrics.precision_score(y_test, predicted, zero_division=0),
        "recall": metrics.recall_score(y_test, predicted, zero_division=0),
        "f1": metrics.f1_score(y_test, predicted, zero_division=0),
        "roc_auc": metrics.roc_auc_score(y_test, probability),
    }
    evaluation = pd.DataFrame({"metric": list(values), "value": [float(v) for v in values.values()]})
    matrix = metrics.confusion_matrix(y_test, predicted, labels=[0, 1])
    confusion = pd.DataFrame({"actual": list(labels), f"predicted {labels[0]}": matrix[:, 0],
                              f"predicted {labels[1]}": matrix[:, 1]})
    return evaluation, confusion


# ------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class LogitResult:
    """What :func:`fit_logit` found. Frames are available through the ``*_frame()`` methods.

    ``model`` is the inference fit: a statsmodels result (``model.summary()``)
    when ``method`` is maximum likelihood, a :class:`claimstats.firth.FirthFit`
    when separation made Firth's penalised likelihood necessary (``separation``
    says what was found). ``n`` rows are used for inference, ``n_train`` and
    ``n_test`` for the predictive evaluation.
    """

    outcome: str
    event: Any
    other: Any
    predictors: tuple[str, ...]
    dropped: tuple[tuple[str, float, str], ...]
    reference_levels: tuple[tuple[str, Any], ...]
    standardized: bool
    balance: str | None
    seed: int
    alpha: float
    n: int
    n_train: int
    n_test: int
    n_missing: int
    method: str
    separation: Separation
    pseudo_r2: float
    log_likelihood: float
    ll_null: float
    llr_p_value: float
    converged: bool
    notes: tuple[str, ...]
    coefficients: pd.DataFrame = field(repr=False)
    vif: pd.DataFrame = field(repr=False)
    correlation: pd.DataFrame = field(repr=False)
    evaluation: pd.DataFrame = field(repr=False)
    confusion: pd.DataFrame = field(repr=False)
    box_tidwell: pd.DataFrame = field(repr=False)
    split: pd.DataFrame = field(repr=False)
    test_index: pd.Index = field(repr=False)
    model: Any = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table: one row per term, intercept first."""
        return self.coefficients.copy()

    def odds_ratio_table(self) -> pd.DataFrame:
        """The odds ratios as a report shows them: per a readable step, with intervals and both p-values.

        One row per term except the intercept: ``term``, ``reference``, ``per``
        (the step, written out: "100,000"), ``odds ratio``, ``CI low``,
        ``CI high``, ``p-value`` (Wald's, or the penalised likelihood-ratio
        test under Firth) and ``LR p-value``, both the APA way.
        """
        table = self.coefficients[self.coefficients["term"] != INTERCEPT]
        return pd.DataFrame({
            "term": table["term"], "reference": table["reference"],
            "per": table["per"].map(lambda per: f"{per:,.0f}" if per >= 1 else f"{per:g}"),
            "odds ratio": table["odds_ratio_per"], "CI low": table["or_per_ci_low"], "CI high": table["or_per_ci_high"],
            "p-value": table["p_value"].map(format_p), "LR p-value": table["lr_p_value"].map(format_p),
        }).reset_index(drop=True)

    def significant_terms(self) -> list[str]:
        """The terms (intercept aside) whose p-value is below ``alpha``."""
        table = self.coefficients
        return [t for t, p in zip(table["term"], table["p_value"]) if t != INTERCEPT and p < self.alpha]

    def linearity_description(self) -> str:
        """What the Box–Tidwell check found, as a sentence."""
        if not len(self.box_tidwell):
            return "There is no continuous predictor to check."
        flagged = [note for note in self.notes if note.startswith("Box–Tidwell")]
        return flagged[0] if flagged else "It finds no significant curvature for any predictor."

    def vif_table(self) -> pd.DataFrame:
        """:meth:`vif_frame` as a report shows it: two decimals, blanks for dropped predictors."""
        vif = self.vif
        return pd.DataFrame({
            "predictor": vif["predictor"], "df": vif["df"], "GVIF": vif["gvif"].map("{:.2f}".format),
            "GVIF^(1/(2 df))": vif["gvif_1_2df"].map("{:.2f}".format),
            "GVIF after drops": [f"{v:.2f}" if pd.notna(v) else "" for v in vif["gvif_final"]],
            "dropped": vif["dropped"].map({True: "yes", False: ""}),
        })

    def vif_frame(self) -> pd.DataFrame:
        """Generalised VIF of every predictor (its dummies together) before any drop, after, and whether dropped."""
        return self.vif.copy()

    def correlation_frame(self) -> pd.DataFrame:
        """Pearson correlations between the design columns (all rows)."""
        return self.correlation.copy()

    def evaluation_frame(self) -> pd.DataFrame:
        """Accuracy, precision, recall, F1 (event = positive) and ROC AUC on the test split."""
        return self.evaluation.copy()

    def confusion_frame(self) -> pd.DataFrame:
        """Confusion matrix of the test split at threshold 0.5: actual rows, predicted columns."""
        return self.confusion.copy()

    def box_tidwell_frame(self) -> pd.DataFrame:
        """The linearity-of-the-logit check: one row per continuous predictor."""
        return self.box_tidwell.copy()

    def split_frame(self) -> pd.DataFrame:
        """Rows per class: all rows (inference), the training split as sampled and as used for evaluation, the test split."""
        return self.split.copy()

    def describe(self) -> str:
        """Sentences about the significant predictors as odds ratios, then the model's fit."""
        event = "the account is verified" if self.outcome == VERIFIED and self.event == "verified" else \
            f"{self.outcome} is {self.event}"
        sentences, not_significant = [], []
        for row in self.coefficients.itertuples(index=False):
            if row.term == INTERCEPT:
                continue
            if not row.p_value < self.alpha:
                not_significant.append(row.term)
                continue
            interval = f"{1 - self.alpha:.0%} CI [{row.or_per_ci_low:.2f}, {row.or_per_ci_high:.2f}], {format_p(row.p_value)}"
            if row.reference:
                name, level = row.term.split("[", 1)
                sentences.append(f"{name} = {level[:-1]} ({row.reference}) multiplies the odds that {event} "
                                 f"by {row.odds_ratio_per:.2f} ({interval})")
            else:
                sentences.append(f"each additional {self._unit(row.term, row.per)} multiplies the odds that "
                                 f"{event} by {row.odds_ratio_per:.2f} ({interval})")
        text = ""
        if sentences:
            text = "Holding the other predictors constant, " + "; ".join(sentences) + "."
        if not_significant:
            text += (f" {', '.join(not_significant)} {'is' if len(not_significant) == 1 else 'are'} not "
                     f"significant at alpha = {self.alpha:g}.")
        metrics_by_name = dict(zip(self.evaluation["metric"], self.evaluation["value"]))
        # McFadden's R² runs much lower than an OLS R²; 0.2–0.4 already counts as an excellent fit.
        fit_words = "fits well" if self.pseudo_r2 >= 0.2 else "explains little of the variation on its own"
        text += (f" The model {fit_words} (McFadden's pseudo-R² = "
                 f"{self.pseudo_r2:.3f}, n = {self.n:,}); on the {self.n_test:,} held-out rows "
                 f"it reaches ROC AUC = {metrics_by_name['roc_auc']:.2f}, recall = {metrics_by_name['recall']:.2f} "
                 f"and precision = {metrics_by_name['precision']:.2f} for {self.event}.")
        if self.separation.found:
            text += (f" Because of {self.separation.kind} separation ({', '.join(self.separation.terms)}), the "
                     "estimates are Firth's penalised-likelihood ones, with likelihood-ratio p-values.")
        if self.dropped:
            text += " Dropped for collinearity: " + ", ".join(f"{n} ({why})" for n, _, why in self.dropped) + "."
        return text.strip()

    def _unit(self, term: str, per: float) -> str:
        if self.standardized:
            return f"standard deviation of {term}"
        noun = COUNT_NOUNS.get(term) or _UNIT_WORDS.get(term) or f"units of {term}"
        return f"{format_number(per, 0)} {noun}" if per != 1 else f"1 {noun}"


# ------------------------------------------------------------------ the API


def fit_logit(
    data: pd.DataFrame,
    predictors=None,
    *,
    outcome: str = VERIFIED,
    event: Any = "verified",
    reference: dict | None = None,
    standardize: bool = False,
    vif_threshold: float | None = None,
    balance: str | None = "upsample",
    test_size: float = 0.25,
    seed: int = 0,
    alpha: float = 0.05,
) -> LogitResult:
    """Logistic regression of ``outcome == event`` on ``predictors``, with its checks.

    Parameters
    ----------
    data : DataFrame
        One row per video (a cleaned frame); rows missing the outcome or a
        predictor are left out and counted in ``n_missing``.
    predictors : list of str, optional
        Default :data:`DEFAULT_PREDICTORS` (the case's set, without
        ``video_like_count``). Numeric columns enter as they are; categorical
        ones (pandas categoricals, text with at most 20 levels, booleans) as
        0/1 dummies against a reference level.
    outcome, event : str
        The binary outcome column and its level counted as 1.
    reference : dict, optional
        Reference level per categorical predictor; default its first category
        (``claim`` for claim_status, ``active`` for author_ban_status).
    standardize : bool
        If True, numeric predictors are z-scored (inference: with the mean and
        SD of all rows; evaluation: of the training split), so each odds ratio
        is per SD. Default False: raw units, as the case.
    vif_threshold : float, optional
        If set, repeatedly drop the predictor with the largest VIF above it
        (a categorical predictor goes as a whole); ``dropped`` says which and why.
    balance : {"upsample", "weights", None}
        Class-imbalance treatment of the training split for the evaluation
        model (see :func:`claimstats.design.split_and_balance`); default
        ``"upsample"``, as the case. It is applied after the split, never to
        the test rows, and never to the inference model.
    test_size : float
        Share of rows held out for evaluation (the case: 0.25).
    seed : int
        Seeds the stratified split and the upsampling draw.
    alpha : float
        Significance level used by :meth:`LogitResult.describe`; the confidence
        intervals of the coefficient table have level 1 − alpha (95% by default).

    Returns
    -------
    LogitResult

    Notes
    -----
    The coefficients, odds ratios, p-values and the VIF, correlation and
    Box–Tidwell checks use every usable row: the split serves only the
    predictive evaluation, whose model never sees the test rows. ``p_value``
    is Wald's under maximum likelihood and ``lr_p_value`` the likelihood-ratio
    test of the same term (they agree when the estimate is well behaved).
    Under complete or quasi-complete separation the Wald test breaks down (a
    coefficient near 27 with a standard error in the thousands, p ≈ 1, for a
    level that is always the event); the model is then fitted by Firth's
    penalised likelihood: both p-value columns are penalised likelihood-ratio
    tests, and the separated terms get profile-likelihood intervals (the
    others keep the Wald intervals of Firth's fit). The VIF
    check is the generalised VIF of Fox & Monette (1992), one per predictor
    (:func:`claimstats.design.gvif_table`).

    Examples
    --------
    >>> import claimstats
    >>> tidy, _ = claimstats.clean(claimstats.load("synthetic", rows=3000).frame)
    >>> result = fit_logit(tidy, ["claim_status", "video_view_count"], balance=None)
    >>> list(result.to_frame()["term"])
    ['Intercept', 'claim_status[opinion]', 'video_view_count']
    """
    predictors = list(DEFAULT_PREDICTORS if predictors is None else predictors)
    reference = dict(reference or {})
    if not predictors:
        raise ClaimstatsError("give at least one predictor")
    duplicated = sorted({p for p in predictors if predictors.count(p) > 1})
    if duplicated:
        raise ClaimstatsError(f"predictor {duplicated[0]!r} is listed more than once")
    require_columns(data, [outcome, *predictors])
    if outcome in predictors:
        raise ClaimstatsError(f"the outcome {outcome!r} cannot also be a predictor")
    if vif_threshold is not None and not vif_threshold > 1:  # `not >` also refuses nan, which drops nothing
        raise ClaimstatsError(f"vif_threshold must be above 1 (VIF is at least 1); got {vif_threshold}")
    if not 0 < alpha < 1:
        raise ClaimstatsError(f"alpha must be between 0 and 1; got {alpha}")
    if seed != int(seed) or seed < 0:
        raise ClaimstatsError(f"seed must be a non-negative integer; got {seed}")
    unknown_refs = [name for name in reference if name not in predictors]
    if unknown_refs:
        raise ClaimstatsError(f"reference given for {unknown_refs[0]!r}, which is not a predictor")

    usable = data.loc[data[[outcome, *predictors]].notna().all(axis=1), [outcome, *predictors]]
    n_missing = len(data) - len(usable)
    levels = observed_levels(usable[outcome])
    if event not in levels:
        raise ClaimstatsError(f"event {event!r} not found in {outcome!r}; levels: {', '.join(map(str, levels))}")
    if len(levels) != 2:
        raise ClaimstatsError(f"outcome {outcome!r} must have exactly two levels; found {len(levels)}: "
                              f"{', '.join(map(str, levels))}")
    other = next(level for level in levels if level != event)
    plan = plan_design(usable, predictors, reference)
    y = pd.Series((usable[outcome].astype(object) == event).astype(int).to_numpy(), index=usable.index)

    # Inference: every usable row, as sampled.
    X_all = design_matrix(usable, plan)
    plan, dropped, vif = drop_by_vif(X_all, plan, vif_threshold)
    X_all = design_matrix(usable, plan)
    correlation = X_all.corr()
    numeric = [n for n, lv in plan.items() if not lv]
    sd_all = X_all[numeric].std()

    def standardized(X: pd.DataFrame, reference_rows: pd.DataFrame) -> pd.DataFrame:
        if standardize and numeric:  # z-scores with the mean and SD of the rows the model is fitted on
            X = X.copy()
            X[numeric] = (X[numeric] - reference_rows[numeric].mean()) / reference_rows[numeric].std().replace(0, 1.0)
        return X

    separation = detect_separation(_with_intercept(X_all), y.to_numpy())
    inference = _Inference(y, standardized(X_all, X_all), alpha, separation)
    box_tidwell = _box_tidwell(y, X_all, plan, separation.found)
    coefficients = _coefficient_table(inference, plan, standardize, sd_all)

    # Evaluation: a seeded stratified split; the class-imbalance treatment touches the training split only.
    as_sampled, balanced = split_and_balance(usable, y, test_size=test_size, seed=seed, balance=balance)
    X_train = design_matrix(as_sampled.train, plan)
    for term in X_train.columns:
        if X_train[term].nunique() < 2:  # e.g. a rare level whose rows all fell in the test split
            raise ClaimstatsError(
                f"design column {term!r} is constant ({X_train[term].iloc[0]:g}) in the training split of "
                f"{len(X_train):,} rows, so its coefficient cannot be estimated; merge rare levels or drop "
                f"{predictor_of(term, plan)!r}")

    def prepare(rows: pd.DataFrame) -> pd.DataFrame:
        return standardized(design_matrix(rows, plan), X_train)

    weights = balanced.weights if balance == "weights" else None
    train_X = prepare(balanced.train)
    test_X = _with_intercept(prepare(balanced.test))
    if detect_separation(_with_intercept(prepare(as_sampled.train)), as_sampled.train["__y__"].to_numpy()).found:
        evaluator = firth_logit(_with_intercept(train_X), balanced.train["__y__"], weights=weights, tests=False,
                                intervals=False)
        probability = 1 / (1 + np.exp(-(test_X.to_numpy() @ evaluator.params.to_numpy())))
    else:
        evaluator = _fit(balanced.train["__y__"], train_X, weights=weights)
        probability = np.asarray(evaluator.predict(test_X))
    evaluation, confusion = _evaluation(balanced.test["__y__"].to_numpy(), probability, (str(other), str(event)))

    split_rows = []
    for name, part, w in (("all rows (inference)", usable.assign(__y__=y), None),
                          ("train (as sampled)", as_sampled.train, None),
                          (f"train (balance={balance})", balanced.train, weights),
                          ("test", balanced.test, None)):
        for code, label in ((0, other), (1, event)):
            mask = (part["__y__"] == code).to_numpy()
            split_rows.append((name, str(label), int(mask.sum()), float(w[mask].sum()) if w is not None else float(mask.sum())))
    split = pd.DataFrame(split_rows, columns=["split", outcome, "rows", "weight"])

    converged = inference.converged
    notes = []
    if n_missing:
        notes.append(f"{n_missing:,} rows with a missing outcome or predictor were left out.")
    for name, value, why in dropped:
        notes.append(f"Dropped {name} before fitting: {why}.")
    if separation.found:
        notes.append(separation.describe() + " The coefficients are therefore Firth's penalised-likelihood "
                     "estimates, with likelihood-ratio p-values, and a profile-likelihood interval for "
                     f"{', '.join(separation.terms)}.")
    if not converged:
        notes.append("The inference fit did not converge; treat its standard errors with caution.")
    if len(box_tidwell) and (box_tidwell["p_value"] < alpha).any():
        flagged = ", ".join(box_tidwell.loc[box_tidwell["p_value"] < alpha, "predictor"])
        notes.append(f"Box–Tidwell flags a curved logit for {flagged}. With {len(usable):,} rows "
                     "even a slight curve is significant: look at the log-odds by bins of the predictor (or try a "
                     "log transform) before concluding the model is wrong.")
    if standardize:
        notes.append("Numeric predictors are standardised: their odds ratios are per SD.")

    return LogitResult(
        outcome=outcome, event=event, other=other, predictors=tuple(plan), dropped=dropped,
        reference_levels=tuple((n, lv[0]) for n, lv in plan.items() if lv), standardized=standardize,
        balance=balance, seed=seed, alpha=alpha, n=len(usable), n_train=len(as_sampled.train),
        n_test=len(balanced.test), n_missing=n_missing, method=inference.method, separation=separation,
        pseudo_r2=1 - inference.llf / inference.llnull if inference.llnull else float("nan"),
        log_likelihood=inference.llf, ll_null=inference.llnull, llr_p_value=inference.llr_p_value,
        converged=converged, notes=tuple(notes), coefficients=coefficients, vif=vif, correlation=correlation,
        evaluation=evaluation, confusion=confusion, box_tidwell=box_tidwell, split=split,
        test_index=balanced.test.index, model=inference.model,
    )
