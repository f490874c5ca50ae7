"""Construct: separation in a logistic regression, and Firth's penalised likelihood for it.

When a combination of predictors predicts the outcome exactly for some rows
(a level whose videos are all verified, say), the maximum-likelihood estimate
does not exist: the fitted coefficient runs off towards infinity, its standard
error explodes and the Wald p-value comes out near 1, calling the strongest
predictor "not significant". :func:`detect_separation` finds such a direction
with a linear programme (Konis 2007) and says whether the separation is
complete (every row) or quasi-complete (some rows, with ties on the boundary).

:func:`firth_logit` fits the model by Firth's (1993) penalised likelihood,
``l(β) + ½ log det I(β)``, whose estimates are finite under separation, with
penalised likelihood-ratio tests and profile penalised-likelihood intervals
for the coefficients (Heinze & Schemper 2002; as R's ``logistf``).

Examples
--------
>>> import numpy as np, pandas as pd
>>> X = pd.DataFrame({"Intercept": 1.0, "x": [0.0, 0, 0, 1, 1, 1]})
>>> y = np.array([0, 0, 1, 1, 1, 1])                        # x = 1 is always an event
>>> detect_separation(X, y).kind
'quasi-complete'
>>> fit = firth_logit(X, y)
>>> # Haldane's +½ per cell: x = 1 has 3 + ½ events to 0 + ½ non-events, x = 0 has 1 + ½ to 2 + ½.
>>> round(float(fit.params["x"]), 4), round(float(np.log((3.5 / 0.5) / (1.5 / 2.5))), 4)
(2.4567, 2.4567)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from claimstats.errors import ClaimstatsError

__all__ = ["FirthFit", "Separation", "detect_separation", "firth_logit"]

#: LP optima below this count as no separation (the columns are scaled to a largest value of 1).
_LP_TOL = 1e-7


@dataclass(frozen=True)
class Separation:
    """What :func:`detect_separation` found: ``kind`` is "none", "quasi-complete" or "complete"."""

    kind: str
    terms: tuple[str, ...]

    @property
    def found(self) -> bool:
        return self.kind != "none"

    def describe(self) -> str:
        if not self.found:
            return "No separation: the maximum-likelihood estimates exist."
        involved = self.terms[0] if len(self.terms) == 1 else f"a combination of {', '.join(self.terms)}"
        return (f"{self.kind.capitalize()} separation: {involved} predicts the outcome exactly for "
                f"{'every row' if self.kind == 'complete' else 'some rows'}, so the maximum-likelihood estimate does "
                "not exist (its coefficient diverges and its Wald p-value is meaningless).")


def detect_separation(X: pd.DataFrame, y) -> Separation:
    """Whether some direction β separates the outcome: ``x'β ≥ 0`` for every event and ``≤ 0`` for every non-event.

    Solves Konis's (2007) linear programme: maximise Σ sᵢ xᵢ'β subject to
    sᵢ xᵢ'β ≥ 0 and −1 ≤ β ≤ 1, with sᵢ = +1 for an event and −1 otherwise. A
    positive optimum means separation; it is *complete* when some β makes every
    sᵢ xᵢ'β strictly positive, *quasi-complete* otherwise. ``terms`` are the
    columns of ``X`` the separating direction uses.

    Parameters
    ----------
    X : DataFrame
        The design matrix, intercept included.
    y : array of 0/1
        The outcome.

    Returns
    -------
    Separation

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"Intercept": 1.0, "x": [1.0, 2, 3, 4]})
    >>> detect_separation(X, np.array([0, 0, 1, 1])).kind, detect_separation(X, np.array([0, 1, 0, 1])).kind
    ('complete', 'none')
    """
    values = X.to_numpy(dtype=float)
    scale = np.abs(values).max(axis=0)
    values = values / np.where(scale > 0, scale, 1.0)
    s = np.where(np.asarray(y, dtype=int) == 1, 1.0, -1.0)
    signed = s[:, None] * values
    n, p = signed.shape
    lp = optimize.linprog(-signed.sum(axis=0), A_ub=-signed, b_ub=np.zeros(n), bounds=[(-1, 1)] * p, method="highs")
    if lp.status != 0 or -lp.fun <= _LP_TOL * max(1.0, n / 1000):
        return Separation("none", ())
    beta = lp.x
    terms = tuple(str(c) for c, b in zip(X.columns, beta) if abs(b) > 1e-6)
    # Complete separation: maximise t subject to sᵢ xᵢ'β ≥ t for every row.
    strict = optimize.linprog(np.r_[np.zeros(p), -1.0], A_ub=np.c_[-signed, np.ones(n)], b_ub=np.zeros(n),
                              bounds=[(-1, 1)] * p + [(None, 1)], method="highs")
    complete = strict.status == 0 and -strict.fun > _LP_TOL
    return Separation("complete" if complete else "quasi-complete", terms)


# ------------------------------------------------------------------- Firth


def _penalised(X, y, w, beta):
    eta = X @ beta
    p = 1 / (1 + np.exp(-eta))
    information = X.T @ (X * (w * p * (1 - p))[:, None])
    sign, logdet = np.linalg.slogdet(information)
    # log p and log(1 − p) without overflow: −log(1 + e^{−η}) and −log(1 + e^{η}).
    loglik = float(np.sum(w * (y * -np.logaddexp(0, -eta) + (1 - y) * -np.logaddexp(0, eta))))
    return loglik + 0.5 * logdet if sign > 0 else -np.inf, loglik, p, information


def _firth_newton(X, y, w, beta, free, *, maxiter=200, tol=1e-9):
    """Maximise the penalised log-likelihood over the ``free`` coefficients (the others stay fixed)."""
    current, loglik, p, information = _penalised(X, y, w, beta)
    converged = False
    for _ in range(maxiter):
        covariance = np.linalg.pinv(information)
        hat = np.sum((X @ covariance) * X, axis=1) * w * p * (1 - p)
        score = X.T @ (w * (y - p) + hat * (0.5 - p))
        step = np.zeros_like(beta)
        step[free] = np.linalg.lstsq(information[np.ix_(free, free)], score[free], rcond=None)[0]
        largest = np.abs(step).max()
        if largest > 5:  # logistf's maxstep: keep a diverging direction from jumping out of range
            step *= 5 / largest
        for _halving in range(30):
            candidate = beta + step
            value, cand_loglik, cand_p, cand_info = _penalised(X, y, w, candidate)
            if value >= current - 1e-12:
                break
            step /= 2
        beta, current, loglik, p, information = candidate, value, cand_loglik, cand_p, cand_info
        if np.abs(step).max() < tol:
            converged = True
            break
    return beta, current, loglik, information, converged


@dataclass(frozen=True, eq=False)
class FirthFit:
    """A logistic regression fitted by Firth's penalised likelihood (:func:`firth_logit`).

    ``p_values`` are penalised likelihood-ratio tests of each coefficient being
    0 (χ² with 1 df); ``conf_int`` the profile penalised-likelihood intervals;
    ``bse`` the Wald standard errors from the inverse information. ``llf`` is
    the unpenalised log-likelihood at the estimates, ``llnull`` that of the
    intercept-only model, for McFadden's pseudo-R².
    """

    params: pd.Series
    bse: pd.Series
    p_values: pd.Series
    conf_int: pd.DataFrame = field(repr=False)
    penalised_llf: float = 0.0
    llf: float = 0.0
    llnull: float = 0.0
    converged: bool = True

    @property
    def tvalues(self) -> pd.Series:
        return self.params / self.bse


def firth_logit(X: pd.DataFrame, y, *, weights=None, alpha: float = 0.05, tests=True,
                intervals=True) -> FirthFit:
    """Firth's penalised-likelihood logistic regression of ``y`` on the columns of ``X``.

    Parameters
    ----------
    X : DataFrame
        Design matrix with its intercept column.
    y : array of 0/1
        The outcome.
    weights : array, optional
        Frequency weights (a row with weight 2 counts as two identical rows).
    alpha : float
        The intervals have level 1 − alpha.
    tests, intervals : bool or list of str
        Whether to compute the likelihood-ratio p-values and the profile
        intervals (one constrained fit per coefficient, and a root search per
        bound), for every column or for the columns listed; the others get
        Wald's.

    Returns
    -------
    FirthFit

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"Intercept": 1.0, "x": [0.0, 0, 0, 0, 1, 1, 1, 1]})
    >>> fit = firth_logit(X, np.array([0, 0, 0, 1, 1, 1, 1, 1]))
    >>> round(float(fit.params["Intercept"]), 4), round(float(np.log(1.5 / 3.5)), 4)
    (-0.8473, -0.8473)
    """
    names = list(X.columns)
    raw = X.to_numpy(dtype=float)
    # Newton's steps are well conditioned on columns of unit spread; Firth's estimate is equivariant under
    # rescaling a column (the penalty is Jeffreys' prior), so fit on scaled columns and scale back.
    spread = raw.std(axis=0)
    scale = np.where(spread > 0, spread, 1.0)
    design = raw / scale
    outcome = np.asarray(y, dtype=float)
    w = np.ones(len(outcome)) if weights is None else np.asarray(weights, dtype=float)
    k = design.shape[1]
    everything = np.arange(k)
    beta, penalised, loglik, information, converged = _firth_newton(design, outcome, w, np.zeros(k), everything)
    if not np.all(np.isfinite(beta)):
        raise ClaimstatsError("Firth's penalised likelihood did not converge; drop a predictor that separates the classes")
    covariance = np.linalg.pinv(information)
    se = np.sqrt(np.clip(np.diag(covariance), 0, None))
    z = stats.norm.ppf(1 - alpha / 2)
    critical = stats.chi2.ppf(1 - alpha, 1)

    def profile(j: int, value: float) -> float:
        """The penalised log-likelihood maximised with coefficient j fixed at ``value``."""
        start = beta.copy()
        start[j] = value
        free = everything[everything != j]
        return _firth_newton(design, outcome, w, start, free)[1]

    p_values = 2 * stats.norm.sf(np.abs(beta / np.where(se > 0, se, np.nan)))
    low, high = beta - z * se, beta + z * se
    tested = names if tests is True else list(tests or [])
    profiled = names if intervals is True else list(intervals or [])
    for j, name in enumerate(names):
        if name in tested:
            statistic = max(0.0, 2 * (penalised - profile(j, 0.0)))
            p_values[j] = stats.chi2.sf(statistic, 1)
        if name in profiled:
            gap = lambda value, j=j: 2 * (penalised - profile(j, value)) - critical  # noqa: E731
            width = se[j] if np.isfinite(se[j]) and se[j] > 0 else 1.0
            bounds = []
            for direction in (-1, 1):
                far = beta[j] + direction * (z + 0.5) * width  # beyond the Wald bound: usually brackets the root
                far_gap = gap(far)
                for _ in range(40):
                    if far_gap > 0:
                        break
                    far = beta[j] + 2 * (far - beta[j])
                    far_gap = gap(far)
                near = beta[j] + direction * z * width / 2
                if gap(near) > 0:  # the profile falls faster than the Wald parabola: search from the estimate
                    near = beta[j]
                bounds.append(optimize.brentq(gap, *sorted((near, far)), xtol=1e-7 * width) if far_gap > 0
                              else direction * np.inf)
            low[j], high[j] = bounds
    n_events = float(np.sum(w * outcome))
    share = n_events / float(np.sum(w))
    llnull = float(np.sum(w) * (share * np.log(share) + (1 - share) * np.log(1 - share))) if 0 < share < 1 else 0.0
    return FirthFit(params=pd.Series(beta / scale, index=names), bse=pd.Series(se / scale, index=names),
                    p_values=pd.Series(p_values, index=names),
                    conf_int=pd.DataFrame({0: low / scale, 1: high / scale}, index=names),
                    penalised_llf=float(penalised + np.log(scale).sum()),  # ½ log det I on the original columns
                    llf=float(loglik), llnull=llnull, converged=bool(converged))
