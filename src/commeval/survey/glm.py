"""Design-based generalized linear models (R ``svyglm``) with a statsmodels-like result."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from commeval.display import coefficient_table_html

from .distributions import t_sf
from .results import CoefficientTable
from .variance import design_variance

FAMILIES = ("gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson")


def base_family(family: str) -> str:
    """The IRLS family of a ``family`` name: gaussian, binomial (logit) or poisson (log);
    the quasi families have the same estimates and design-based SEs."""
    return {"quasibinomial": "binomial", "quasipoisson": "poisson"}.get(family, family)


def _model_matrices(design, formula: str):
    import patsy

    data = _bool_response(design.data, formula)
    data, formula = _logical_expression(data, formula)
    try:
        y, X = patsy.dmatrices(formula, data, return_type="dataframe", NA_action="drop")
    except patsy.PatsyError as exc:
        raise ValueError(f"glm formula {formula!r}: {exc}") from None
    if y.shape[1] != 1:
        raise ValueError(
            f"glm response in {formula!r} must be numeric (0/1 for binomial); got columns "
            f"{list(y.columns)}"
        )
    rows = data.index.get_indexer(X.index)
    return y.iloc[:, 0].to_numpy(float), X, rows


RESPONSE = "_response_"


def _bool_response(data: pd.DataFrame, formula: str) -> pd.DataFrame:
    """A logical response (pandas bool, nullable boolean, or object True/False with missing
    values) as 0/1 floats, as R's ``glm`` accepts a logical response."""
    lhs = formula.split("~", 1)[0].strip()
    if lhs not in data.columns:
        return data
    s = data[lhs]
    if pd.api.types.is_bool_dtype(s.dtype):
        return data.assign(**{lhs: s.astype(float)})
    if s.dtype == object:
        vals = s.dropna()
        if len(vals) and vals.map(lambda v: isinstance(v, (bool, np.bool_))).all():
            return data.assign(**{lhs: s.map(lambda v: np.nan if pd.isna(v) else float(v))})
    return data


_LOGICAL = re.compile(r"^I\((?P<expr>.*(?:<|>|==|!=).*)\)$")


def _logical_expression(data: pd.DataFrame, formula: str) -> tuple[pd.DataFrame, str]:
    """A response written as a comparison, ``I(sat_overall >= 4) ~ age``, evaluated as R does:
    1/0 where the compared columns are answered, missing (the row dropped) where any of them is
    missing — not ``False`` as patsy would make it. For a Likert item the same response is the
    prepared column ``<item>_top2``."""
    lhs, rhs = (part.strip() for part in formula.split("~", 1))
    m = _LOGICAL.match(lhs)
    if not m:
        return data, formula
    expr = m.group("expr")
    names = [c for c in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr) if c in data.columns]
    top2 = [f"{c}_top2" for c in names if f"{c}_top2" in data.columns]
    hint = f" (or use the prepared column {top2[0]!r})" if top2 else ""
    try:
        value = pd.eval(expr, local_dict={c: data[c] for c in names}, engine="python")
    except Exception as exc:
        raise ValueError(f"glm response {lhs!r}: cannot evaluate it ({exc}){hint}") from None
    value = pd.Series(np.asarray(value, dtype=float), index=data.index)
    missing = np.zeros(len(data), dtype=bool)
    for c in names:
        missing |= data[c].isna().to_numpy()
    return data.assign(**{RESPONSE: value.where(~missing)}), f"{RESPONSE} ~ {rhs}"


_EPS = float(np.finfo(float).eps)


def _linkinv(eta: np.ndarray) -> np.ndarray:
    """Logistic inverse link with R's clamping (``binomial()$linkinv``: |eta| > 30 saturates
    at the machine epsilon), so fits that push fitted values to 0 or 1 agree with R's."""
    with np.errstate(over="ignore"):
        tmp = np.where(eta < -30, _EPS, np.where(eta > 30, 1 / _EPS, np.exp(eta)))
    return tmp / (1 + tmp)


def _mu_eta(eta: np.ndarray) -> np.ndarray:
    """d mu / d eta of the logistic link, clamped as R's ``binomial()$mu.eta``."""
    with np.errstate(over="ignore"):
        e = np.exp(np.clip(eta, -30, 30))
    return np.where(np.abs(eta) > 30, _EPS, e / (1 + e) ** 2)


def _binomial_deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
        b = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return float(2 * np.sum(w * (a + b)))


def _log_linkinv(eta: np.ndarray) -> np.ndarray:
    """R's ``poisson()$linkinv`` (and ``mu.eta``): ``pmax(exp(eta), .Machine$double.eps)``."""
    with np.errstate(over="ignore"):
        return np.maximum(np.exp(eta), _EPS)


def _poisson_deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2 * np.sum(w * (a - (y - mu))))


def fit_irls(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    family: str,
    epsilon: float = 1e-8,
    max_iter: int = 25,
    start: np.ndarray | None = None,
):
    """Weighted GLM fit by iteratively reweighted least squares (canonical links).

    Binomial fits start from ``mu = (w y + 0.5) / (w + 1)`` (or from the coefficients
    ``start``, as R's replicate fits start from the full-sample fit) and stop when the relative change
    of the deviance is below ``epsilon``, the textbook IRLS that R's ``glm.fit`` also uses, so
    coefficients agree with R's to far better than its convergence tolerance.
    """
    if family == "gaussian":
        Xw = X * w[:, None]
        beta = np.linalg.solve(X.T @ Xw, Xw.T @ y)
        return beta, X @ beta, w.copy()
    good = w > 0
    Xg, yg, wg = X[good], y[good], w[good]
    if family == "poisson":  # log link: mu = exp(eta), var = mu (R's poisson())
        linkinv, mu_eta, deviance = _log_linkinv, _log_linkinv, _poisson_deviance

        def variance(mu):
            return mu
    else:
        linkinv, mu_eta, deviance = _linkinv, _mu_eta, _binomial_deviance

        def variance(mu):
            return mu * (1 - mu)

    if start is None:
        if family == "poisson":
            mu = yg + 0.1
            eta = np.log(mu)
        else:
            mu = (wg * yg + 0.5) / (wg + 1)
            eta = np.log(mu / (1 - mu))
    else:
        eta = Xg @ start
        mu = linkinv(eta)
    dev_old = deviance(yg, mu, wg)
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        d = mu_eta(eta)
        zt = eta + (yg - mu) / d
        ww = wg * d**2 / variance(mu)
        beta = np.linalg.solve(Xg.T @ (Xg * ww[:, None]), Xg.T @ (ww * zt))
        w_last = np.zeros_like(w)
        w_last[good] = ww
        eta = Xg @ beta
        mu = linkinv(eta)
        dev = deviance(yg, mu, wg)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            break
        dev_old = dev
    # like glm.fit, the working weights are those of the last WLS step
    return beta, linkinv(X @ beta), w_last


@dataclass(repr=False)  # the repr is the summary (CoefficientTable)
class GLMResult(CoefficientTable):
    """Coefficients with design-based covariance; t tests on ``df_resid = degf - p + 1``."""

    formula: str
    family: str
    params: pd.Series
    cov: pd.DataFrame
    df_resid: float
    nobs: int
    # the design the model was fitted on, for the refits of regTermTest(method="LRT"); not an
    # init field, so the derived-result cache stores the fit without it
    design: object = field(default=None, init=False, compare=False, repr=False)

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    @property
    def tvalues(self) -> pd.Series:
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(
            2 * t_sf(np.abs(self.tvalues.to_numpy()), self.df_resid),
            index=self.params.index,
        )

    def cov_params(self) -> pd.DataFrame:
        return self.cov

    @property
    def odds_ratios(self) -> pd.Series:
        """exp(coef) of a (quasi)binomial model: odds ratios (for poisson models use
        ``to_frame(exponentiate=True)``: prevalence or rate ratios)."""
        if base_family(self.family) != "binomial":
            raise ValueError(f"odds ratios need a binomial model, not {self.family!r}")
        return np.exp(self.params)

    def _exponentiable(self) -> np.ndarray:
        if base_family(self.family) == "gaussian":
            raise ValueError(
                "exponentiate=True needs a binomial (odds ratios) or poisson (rate ratios) model"
            )
        return np.ones(len(self.params), dtype=bool)

    def to_frame(
        self, exponentiate: bool = False, level: float = 0.95, contract=None
    ) -> pd.DataFrame:
        """The tidy coefficient table: ``term`` (patsy's name), ``label`` (from the codebook:
        ``C(education)[T.2]`` → 文化程度：初中; ``contract``: a project's, default the packaged
        one), ``estimate``, ``se``, ``t``, ``df`` (the residual df), ``p_value``, ``ci_low``,
        ``ci_high`` (t interval at ``level``). ``exponentiate=True``: estimate and interval as
        odds ratios (binomial) or prevalence/rate ratios (poisson); se, t and p stay on the
        link scale."""
        return self._coefficients(exponentiate, level, contract)

    def _summary_head(self) -> str:
        return (
            f"Survey GLM: {self.formula}  (family: {self.family}, n = {self.nobs}, "
            f"residual df = {self.df_resid:g})\n"
        )

    def _repr_html_(self) -> str:
        return coefficient_table_html(
            self.to_frame(),
            f"Survey GLM: {self.formula}",
            f"family {self.family}, n = {self.nobs}, residual df = {self.df_resid:g}; "
            "design-based SEs, t tests and 95% CIs on the residual df",
        )


def influence(X: np.ndarray, y: np.ndarray, w: np.ndarray, family: str):
    """Coefficients and their influence functions (scores times the inverse information).

    Scores are working residuals times working weights, as for a sandwich estimator.
    """
    beta, mu, ww = fit_irls(X, y, w, family)
    A = X.T @ (X * ww[:, None])
    if family == "gaussian":
        dmu = 1.0
    else:
        dmu = (_log_linkinv if family == "poisson" else _mu_eta)(X @ beta)
    U = X * (ww * (y - mu) / dmu)[:, None]
    return beta, U @ np.linalg.inv(A)


def svyglm(design, formula: str, family: str = "gaussian") -> GLMResult:
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    fam = base_family(family)
    yk, Xk, rows = _model_matrices(design, formula)
    n = len(design.data)
    keep = np.zeros(n, dtype=bool)
    keep[rows] = True
    keep &= design.domain
    X = np.zeros((n, Xk.shape[1]))
    X[rows] = Xk.to_numpy(float)
    y = np.zeros(n)
    y[rows] = yk
    if fam == "binomial" and ((y[keep] < 0) | (y[keep] > 1)).any():
        raise ValueError(f"binomial glm: response of {formula!r} must lie in [0, 1]")
    if fam == "poisson" and (y[keep] < 0).any():
        raise ValueError(f"poisson glm: response of {formula!r} must be non-negative")
    w = np.where(keep, design.weights, 0.0)
    # R normalises the weights to mean 1 over the design's rows (affects only the IRLS start):
    # a calibrated design keeps every row (weight 0 outside the domain), rows with missing
    # model variables included
    if design._calibration:
        scale = design.analysis_weights().mean()
    else:
        scale = design.weights[design.domain].mean()
    w = w / scale
    beta, Z = influence(X, y, w, fam)
    V = design_variance(design, Z, full=True)
    names = list(Xk.columns)
    result = GLMResult(
        formula=formula,
        family=family,
        params=pd.Series(beta, index=names),
        cov=pd.DataFrame(V, index=names, columns=names),
        df_resid=float(design.degf(keep) + 1 - len(names)),
        nobs=int(keep.sum()),
    )
    result.design = design
    return result
