"""Covariances of estimates, linear and nonlinear contrasts (R ``vcov``, ``svycontrast``) and
joint Wald tests of model terms (R ``regTermTest``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from commeval.display import fmt, fmt_p, frame_html

from .distributions import chi2_sf, f_sf

if TYPE_CHECKING:
    from .glm import GLMResult
    from .olr import OLRResult


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
    """Joint Wald test of the coefficients ``terms``: ``statistic`` = W / ndf, F on (``ndf``,
    ``ddf``) (R ``regTermTest``); with ``ddf`` = inf, W (``chisq``) against chi2(``ndf``)."""

    terms: tuple[str, ...]
    statistic: float
    ndf: int
    ddf: float
    p_value: float
    chisq: float

    def to_frame(self) -> pd.DataFrame:
        """One row: terms, test, statistic, chisq, df1, df2, p_value."""
        return pd.DataFrame(
            {
                "terms": [" + ".join(self.terms)],
                "test": ["Wald"],
                "statistic": [self.statistic],
                "chisq": [self.chisq],
                "df1": [self.ndf],
                "df2": [self.ddf],
                "p_value": [self.p_value],
            }
        )

    def __repr__(self) -> str:
        head = f"Wald test for {' + '.join(self.terms)}: "
        if np.isinf(self.ddf):
            return head + f"Chisq = {fmt(self.chisq)} on {self.ndf} df, p = {fmt_p(self.p_value)}"
        return head + (
            f"F = {fmt(self.statistic)} on {self.ndf} and {fmt(self.ddf)} df, "
            f"p = {fmt_p(self.p_value)}"
        )


@dataclass(frozen=True)
class WorkingModelTest:
    """Rao–Scott test of model terms in the working model (R ``regTermTest(method="LRT")``,
    class ``regTermTestLRT``, or ``method="WorkingWald"``, class ``regTermTestWW``).

    ``terms`` are the tested coefficients (as :class:`WaldTest`'s). ``chisq`` is the working
    statistic: for ``"LRT"`` the deviance difference between the model
    without the terms (refitted on the same rows and weights) and the model, for
    ``"WorkingWald"`` ``b' V0^-1 b``; both on the scale of the weights scaled to mean 1.
    ``lambdas`` are the eigenvalues of ``V0^-1 V`` for the tested coefficients (``V0`` the
    model-based covariance of the working model, ``V`` the design-based one), in decreasing
    order. ``p_value`` is ``P(sum_j lambdas_j chi2(1) / (chi2(ddf) / ddf) > chisq)`` (R's
    ``pFsum``; ``pchisqsum`` when ``ddf`` is inf) by ``approximation``. ``statistic`` is what R
    prints: ``chisq / mean(lambdas)`` (the design-effect-corrected working 2 log LR).
    """

    terms: tuple[str, ...]
    method: str
    statistic: float
    chisq: float
    lambdas: tuple[float, ...]
    df: int
    ddf: float
    p_value: float
    approximation: str

    @property
    def deff(self) -> float:
        """Mean of the eigenvalues (R's ``anova.svyglm`` column ``DEff``)."""
        return float(np.mean(self.lambdas))

    @property
    def scale_factors(self) -> tuple[float, ...]:
        """``lambdas / mean(lambdas)``, as R prints them."""
        return tuple(float(v) for v in np.asarray(self.lambdas) / self.deff)

    def to_frame(self) -> pd.DataFrame:
        """One row: terms, test, statistic, chisq, deff, df1, df2, p_value, approximation."""
        return pd.DataFrame(
            {
                "terms": [" + ".join(self.terms)],
                "test": [self.method],
                "statistic": [self.statistic],
                "chisq": [self.chisq],
                "deff": [self.deff],
                "df1": [self.df],
                "df2": [self.ddf],
                "p_value": [self.p_value],
                "approximation": [self.approximation],
            }
        )

    def __repr__(self) -> str:
        name = "LRT" if self.method == "LRT" else "Wald test"
        kind = "Rao-Scott" if np.isinf(self.ddf) else "Rao-Scott+F"
        stat = "2logLR" if self.method == "LRT" else "Wald statistic"
        tail = (
            f"scale factors {', '.join(fmt(v, 2) for v in self.scale_factors)}"
            if self.df > 1
            else "df = 1"
        )
        if np.isfinite(self.ddf):
            tail += f"; denominator df = {fmt(self.ddf)}"
        return (
            f"Working ({kind}) {name} for {' + '.join(self.terms)}: working {stat} = "
            f"{fmt(self.statistic)}, p = {fmt_p(self.p_value)} ({self.approximation}; {tail})"
        )

    def _repr_html_(self) -> str:
        return frame_html(
            self.to_frame(),
            f"Working ({'Rao-Scott' if np.isinf(self.ddf) else 'Rao-Scott+F'}) {self.method} "
            "(R regTermTest)",
            {"p_value": fmt_p},
        )


def wald_test(params: pd.Series, cov: pd.DataFrame, columns: Sequence[str], ddf: float):
    b = params[list(columns)].to_numpy(float)
    V = cov.loc[list(columns), list(columns)].to_numpy(float)
    chisq = float(b @ np.linalg.solve(V, b))
    k = len(b)
    F = chisq / k
    p = chi2_sf(chisq, k) if np.isinf(ddf) else f_sf(F, k, ddf)
    return WaldTest(tuple(columns), F, k, float(ddf), float(p), chisq)


def term_columns(names: Sequence[str], term: str) -> list[str]:
    """Model columns of a term: the column itself or patsy's ``term[level]`` columns."""
    cols = [c for c in names if c == term or c.startswith(term + "[")]
    if not cols:
        raise ValueError(f"term {term!r} matches no coefficient of {list(names)}")
    return cols


METHODS = ("Wald", "WorkingWald", "LRT")
LRT_APPROXIMATIONS = ("saddlepoint", "integration", "satterthwaite")


def regTermTest(
    model: GLMResult | OLRResult,
    terms: str | Sequence[str],
    method: str = "Wald",
    lrt_approximation: str = "saddlepoint",
    df: float | None = None,
    design: Any = None,
) -> WaldTest | WorkingModelTest:
    """Test that all coefficients of ``terms`` are zero (R ``regTermTest(model, ~terms)``).

    ``method="Wald"`` (default): the joint Wald F test on the model's residual df.
    ``method="LRT"``: the Rao–Scott working likelihood-ratio test of a GLM (the deviance
    difference to the model refitted without the terms on the same rows), ``"WorkingWald"``
    the working-model Wald statistic, each against a linear combination of chi-squares by
    ``lrt_approximation`` (R's ``lrt.approximation``: ``"saddlepoint"``, ``"integration"`` —
    exact, svychisq's ``"lincom"`` — or ``"satterthwaite"``); see :class:`WorkingModelTest`.
    ``df``: denominator df (default the model's residual df; ``np.inf`` for chi-square tests).
    ``design``: the design the GLM was fitted on, needed only for the working-model tests of a
    model that does not carry it (GLMs of replicate designs).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    terms = [terms] if isinstance(terms, str) else list(terms)
    cols = [c for t in terms for c in term_columns(list(model.params.index), t)]
    ddf = float(model.df_resid if df is None else df)
    if method == "Wald":
        return wald_test(model.params, model.cov, cols, ddf)
    if lrt_approximation not in LRT_APPROXIMATIONS:
        raise ValueError(
            f"lrt_approximation must be one of {LRT_APPROXIMATIONS}, got {lrt_approximation!r}"
        )
    return working_model_test(model, cols, method, lrt_approximation, ddf, design)


def _glm_inputs(model: GLMResult, design: Any):
    """Model matrix, response and weights of the rows ``model`` was fitted on, as ``svyglm``
    builds them (weights scaled to mean 1 over the design's rows)."""
    from .glm import _model_matrices

    replicate = hasattr(design, "factors")
    d = design.design if replicate else design
    yk, Xk, rows = _model_matrices(d, model.formula)
    n = len(d.data)
    keep = np.zeros(n, dtype=bool)
    keep[rows] = True
    keep &= d.domain
    X = np.zeros((n, Xk.shape[1]))
    X[rows] = Xk.to_numpy(float)
    y = np.zeros(n)
    y[rows] = yk
    w = np.where(keep, d.weights, 0.0)
    if not replicate and d._calibration:
        scale = d.analysis_weights().mean()
    else:
        scale = d.weights[d.domain].mean()
    return X, y, w / scale, Xk.design_info


def _deviance(family: str, y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    from .glm import _binomial_deviance, _poisson_deviance

    good = w > 0
    y, mu, w = y[good], mu[good], w[good]
    if family == "gaussian":
        return float(np.sum(w * (y - mu) ** 2))
    if family == "poisson":
        return _poisson_deviance(y, mu, w)
    return _binomial_deviance(y, mu, w)


def working_model_test(
    model: GLMResult,
    cols: Sequence[str],
    method: str,
    approximation: str,
    ddf: float,
    design: Any = None,
) -> WorkingModelTest:
    """The Rao–Scott working LRT / working Wald test of the coefficients ``cols`` of a GLM
    (R ``regTermTest(method="LRT"|"WorkingWald")``)."""
    from scipy.linalg import eigh

    from .chisqsum import pfsum
    from .glm import GLMResult, base_family, fit_irls

    if not isinstance(model, GLMResult):
        raise TypeError(f"method={method!r} needs a GLM (svyglm); got {type(model).__name__}")
    design = getattr(model, "design", None) if design is None else design
    if design is None:
        raise ValueError(
            f"method={method!r} refits the model: pass the design it was fitted on (design=)"
        )
    fam = base_family(model.family)
    X, y, w, info = _glm_inputs(model, design)
    names = list(model.params.index)
    if list(info.column_names) != names:
        raise ValueError("the model's coefficients are not those of its formula on `design`")
    beta, mu1, ww = fit_irls(X, y, w, fam)
    if not np.allclose(beta, model.params.to_numpy(float), rtol=1e-8, atol=1e-10):
        raise ValueError("the model was not fitted on `design` (its refit differs)")
    idx = [names.index(c) for c in cols]
    V0 = np.linalg.inv(X.T @ (X * ww[:, None]))[np.ix_(idx, idx)]
    V = model.cov.to_numpy(float)[np.ix_(idx, idx)]
    lambdas = np.sort(eigh(V, V0, eigvals_only=True))[::-1]
    if method == "LRT":
        _check_droppable(info, set(idx))
        rest = [j for j in range(len(names)) if j not in set(idx)]
        if rest:
            mu0 = fit_irls(X[:, rest], y, w, fam)[1]
        else:  # nothing left: the fitted values at eta = 0
            mu0 = np.full(len(y), {"gaussian": 0.0, "binomial": 0.5, "poisson": 1.0}[fam])
        chisq = _deviance(fam, y, mu0, w) - _deviance(fam, y, mu1, w)
    else:
        b = beta[idx]
        chisq = float(b @ np.linalg.solve(V0, b))
    p = pfsum(chisq, lambdas, ddf, method=approximation)
    return WorkingModelTest(
        terms=tuple(cols),
        method=method,
        statistic=float(chisq / lambdas.mean()),
        chisq=float(chisq),
        lambdas=tuple(float(v) for v in lambdas),
        df=len(idx),
        ddf=ddf,
        p_value=float(p),
        approximation=approximation,
    )


def _check_droppable(info, idx: set[int]) -> None:
    """The smaller model is the model without the tested columns, which is R's
    ``update(model, . ~ . - terms)`` unless a remaining term contains a tested one (R then
    recodes the remaining interaction); refuse that case."""
    tested, remaining = [], []
    for term, sl in info.term_slices.items():
        cols = set(range(sl.start, sl.stop))
        if cols <= idx:
            tested.append(set(term.factors))
        elif cols & idx:
            raise ValueError(f"the tested columns cover only part of term {term.name()!r}")
        else:
            remaining.append((term, set(term.factors)))
    for term, factors in remaining:
        if any(t and t <= factors for t in tested):
            raise ValueError(
                f"method='LRT': the remaining term {term.name()!r} contains a tested term "
                "(R's update() would recode it); test it with its interactions"
            )


def joint_test(design, variable: str, by: str) -> WaldTest:
    """Do the means of ``variable`` differ across the domains ``by`` (e.g. all townships)?
    R: ``regTermTest(svyglm(variable ~ factor(by), design), ~factor(by))``."""
    g = design.glm(f"Q('{variable}') ~ C(Q('{by}'))")
    return regTermTest(g, f"C(Q('{by}'))")


@dataclass(frozen=True)
class ContrastResult:
    """Linear contrasts ``L b`` of estimates with their covariance ``L V L'``: one row per
    contrast in :meth:`to_frame` (estimate, se, t, df, p_value, CI) and ``test``, the Wald F
    test that all of them are zero (:class:`WaldTest`: ``F = (Lb)' (LVL')⁻¹ (Lb) / k`` on
    (k, ``df``) degrees of freedom; chi-square when ``df`` is infinite)."""

    names: tuple[str, ...]
    estimate: tuple[float, ...]
    se: tuple[float, ...]
    df: float
    level: float
    test: WaldTest

    def to_frame(self) -> pd.DataFrame:
        """contrast, estimate, se, t, df, p_value, ci_low, ci_high."""
        from .distributions import norm_ppf, t_ppf, t_sf

        est, se = np.asarray(self.estimate), np.asarray(self.se)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(se > 0, est / se, np.nan)
        q = 0.5 + self.level / 2
        tq = norm_ppf(q) if np.isinf(self.df) else t_ppf(q, self.df)
        p = 2 * t_sf(np.abs(t), self.df)
        return pd.DataFrame(
            {
                "contrast": list(self.names),
                "estimate": est,
                "se": se,
                "t": t,
                "df": self.df,
                "p_value": p,
                "ci_low": est - tq * se,
                "ci_high": est + tq * se,
            }
        )

    def __repr__(self) -> str:
        return f"{self.to_frame().to_string(float_format='{:.6g}'.format)}\n{self.test!r}"

    def _repr_html_(self) -> str:
        return frame_html(self.to_frame(), repr(self.test), {"p_value": fmt_p})


def contrast(
    estimates: pd.Series | GLMResult | OLRResult,
    vcov: pd.DataFrame | np.ndarray | None = None,
    L: Any = None,
    df: float | None = None,
    level: float = 0.95,
) -> ContrastResult:
    """Several linear contrasts at once and their joint Wald F test (R ``svycontrast`` with a
    matrix, then ``regTermTest``'s F).

    ``estimates`` with ``vcov`` (e.g. :func:`domain_vcov`'s pair), or a fitted model
    (``estimates=model``; its coefficients, covariance and residual df). ``L``: a k × p matrix
    (array or nested lists, one row per contrast, columns in the estimates' order), a
    DataFrame whose columns are estimate names (its index names the contrasts), or a dict
    ``{contrast name: {estimate name: weight}}``. ``df``: denominator df of the F test and the
    t tests (default: the model's residual df; infinite — chi-square and normal — for bare
    estimates)."""
    if hasattr(estimates, "params") and hasattr(estimates, "cov"):
        model = estimates
        if L is None and vcov is not None:
            vcov, L = None, vcov  # contrast(model, L)
        est = model.params
        V = model.cov
        df = float(model.df_resid) if df is None else df
    else:
        est = pd.Series(estimates)
        if vcov is None:
            raise ValueError("contrast: pass the covariance matrix of the estimates (vcov=)")
        V = vcov
        df = np.inf if df is None else df
    if L is None:
        raise ValueError("contrast: pass the contrast matrix L")
    index = list(est.index)
    if isinstance(L, pd.DataFrame):
        unknown = [c for c in L.columns if c not in index]
        if unknown:
            raise ValueError(f"contrast: {unknown} are not among the estimates {index}")
        M = L.reindex(columns=index, fill_value=0.0).to_numpy(float)
        names = [str(i) for i in L.index]
    elif isinstance(L, Mapping):
        M = np.zeros((len(L), len(index)))
        names = [str(k) for k in L]
        for i, row in enumerate(L.values()):
            for k, w in row.items():
                if k not in index:
                    raise ValueError(f"contrast: {k!r} is not among the estimates {index}")
                M[i, index.index(k)] = float(w)
    else:
        M = np.atleast_2d(np.asarray(L, float))
        names = [f"c{i + 1}" for i in range(M.shape[0])]
    if M.shape[1] != len(index):
        raise ValueError(f"contrast: L has {M.shape[1]} columns for {len(index)} estimates")
    b = M @ est.to_numpy(float)
    C = M @ np.asarray(V, float) @ M.T
    se = np.sqrt(np.maximum(np.diag(C), 0.0))
    k = int(np.linalg.matrix_rank(C)) if np.all(np.isfinite(C)) else 0
    if k == 0:  # no sampling variance (e.g. every PSU sampled with its FPC): no test
        chisq, F, p = np.nan, np.nan, np.nan
    else:  # a singular L V L' (redundant contrasts) is tested on its rank, pseudo-inverse
        chisq = float(b @ (np.linalg.solve(C, b) if k == M.shape[0] else np.linalg.pinv(C) @ b))
        F = chisq / k
        p = chi2_sf(chisq, k) if np.isinf(df) else f_sf(F, k, df)
    test = WaldTest(tuple(names), F, k, float(df), float(p), chisq)
    return ContrastResult(
        tuple(names),
        tuple(float(x) for x in b),
        tuple(float(x) for x in se),
        float(df),
        level,
        test,
    )
