"""Covariances of estimates, linear and nonlinear contrasts (R ``vcov``, ``svycontrast``) and
joint Wald tests of model terms (R ``regTermTest``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .distributions import f_sf


def domain_vcov(design, variable: str, by: str | Sequence[str]) -> tuple[pd.DataFrame, pd.Series]:
    """Covariance matrix and the domain means of ``variable`` (R ``vcov(svyby(...,
    covmat=TRUE))``), indexed by the domain values."""
    from .results import domains

    codes, keys, G, inside, col = domains(design, by)
    y = design.variable(variable)
    valid = inside & ~np.isnan(y)
    we = np.where(valid, design.weights, 0.0)
    y0 = np.where(valid, y, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.bincount(col, weights=we * y0, minlength=G) / np.bincount(
            col, weights=we, minlength=G
        )
    V = design._ratio_covariance(we, y0, np.ones(len(y0)), est, col, G)
    idx = pd.MultiIndex.from_frame(keys) if keys.shape[1] > 1 else pd.Index(keys.iloc[:, 0])
    return pd.DataFrame(V, index=idx, columns=idx), pd.Series(est, index=idx)


def svycontrast(
    estimates: pd.Series,
    vcov: pd.DataFrame,
    contrast: Mapping | Sequence[float] | np.ndarray | Callable,
) -> pd.Series:
    """A linear (weights per estimate: a sequence or ``{name: weight}``) or nonlinear contrast
    (a function of the estimates as a Series, written with numpy functions) with its
    delta-method SE: ``pd.Series(estimate=, se=)``. Nonlinear gradients by complex-step
    differentiation (exact to rounding), central differences if the function refuses complex
    input."""
    est = estimates.to_numpy(float)
    V = np.asarray(vcov, float)
    if callable(contrast):
        f = contrast
        val = float(np.real(f(pd.Series(est, index=estimates.index))))
        grad = np.empty(len(est))
        for k in range(len(est)):
            h = 1e-20 * max(abs(est[k]), 1.0)
            x = est.astype(complex)
            x[k] += 1j * h
            try:
                grad[k] = np.imag(f(pd.Series(x, index=estimates.index))) / h
            except TypeError:
                hh = 1e-6 * max(abs(est[k]), 1.0)
                xp, xm = est.copy(), est.copy()
                xp[k] += hh
                xm[k] -= hh
                grad[k] = (
                    f(pd.Series(xp, index=estimates.index))
                    - f(pd.Series(xm, index=estimates.index))
                ) / (2 * hh)
    else:
        if isinstance(contrast, Mapping):
            grad = np.array([float(contrast.get(k, 0.0)) for k in estimates.index])
        else:
            grad = np.asarray(contrast, float)
        val = float(grad @ est)
    se = float(np.sqrt(max(grad @ V @ grad, 0.0)))
    return pd.Series({"estimate": val, "se": se})


@dataclass(frozen=True)
class WaldTest:
    """Joint Wald test: ``statistic`` = W / ndf, F on (``ndf``, ``ddf``) (R ``regTermTest``)."""

    terms: tuple[str, ...]
    statistic: float
    ndf: int
    ddf: float
    p_value: float
    chisq: float


def wald_test(params: pd.Series, cov: pd.DataFrame, columns: Sequence[str], ddf: float):
    b = params[list(columns)].to_numpy(float)
    V = cov.loc[list(columns), list(columns)].to_numpy(float)
    chisq = float(b @ np.linalg.solve(V, b))
    k = len(b)
    F = chisq / k
    return WaldTest(tuple(columns), F, k, float(ddf), float(f_sf(F, k, ddf)), chisq)


def term_columns(names: Sequence[str], term: str) -> list[str]:
    """Model columns of a term: the column itself or patsy's ``term[level]`` columns."""
    cols = [c for c in names if c == term or c.startswith(term + "[")]
    if not cols:
        raise ValueError(f"term {term!r} matches no coefficient of {list(names)}")
    return cols


def regTermTest(model, terms: str | Sequence[str]) -> WaldTest:
    """Joint Wald F test that all coefficients of ``terms`` are zero, on the model's residual
    df (R ``regTermTest(model, ~terms)``, method="Wald")."""
    terms = [terms] if isinstance(terms, str) else list(terms)
    cols = [c for t in terms for c in term_columns(list(model.params.index), t)]
    return wald_test(model.params, model.cov, cols, model.df_resid)


def joint_test(design, variable: str, by: str) -> WaldTest:
    """Do the means of ``variable`` differ across the domains ``by`` (e.g. all townships)?
    R: ``regTermTest(svyglm(variable ~ factor(by), design), ~factor(by))``."""
    g = design.glm(f"Q('{variable}') ~ C(Q('{by}'))")
    return regTermTest(g, f"C(Q('{by}'))")
