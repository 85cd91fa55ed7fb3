"""Design-based proportional-odds (cumulative link) regression, R's ``svyolr``.

``F^-1(P(y <= k)) = zeta_k - x beta`` for the ordered categories ``k = 1..K-1`` of the
response (a Likert item), with ``F`` the link's distribution (:data:`LINKS`; ``method=`` as in
R's ``svyolr``/``MASS::polr``). The coefficients maximise the weighted log-likelihood
``sum w log(F(zeta_y - x beta) - F(zeta_{y-1} - x beta))``; their design-based covariance is
the sandwich ``H^-1 V(U) H^-1`` with ``U`` the weighted scores, whose total's design variance
``V`` is taken as for any other linearised estimator (R: ``svyrecvar(scores %*% solve(H))``).
On replicate designs the model is refitted under every replicate (R's
``svyolr.svyrep.design``).

The fit is Newton–Raphson with the analytic Hessian (damped where it is not negative
definite) to full convergence. R's ``svyolr``
stops its BFGS at ``optim``'s default ``reltol = 1e-8`` and takes a finite-difference Hessian
(``ndeps = 1e-3``), so its default coefficients and SEs are within ~1e-4 (relative) of the
converged ones; with ``control = list(reltol = 1e-15, ndeps = rep(1e-5, p))`` they agree with
these to 1e-6 (tests/reference/survey/make_fixtures_more.R, make_fixtures_olr.R).

Links: ``"cloglog"`` is the complementary log-log ``F(t) = 1 - exp(-exp(t))`` of
``MASS::polr`` (and of R's ``svyolr`` on replicate designs). R's ``svyolr`` on a Taylor design
uses ``F(t) = exp(-exp(-t))`` under the name ``"cloglog"`` — that is ``MASS::polr``'s
``"loglog"``, available here as ``method="loglog"``. R's replicate-design ``svyolr`` refits
the replicates with the logistic link whatever ``method`` is; here every replicate is refitted
with the chosen link. R's ``svyolr`` and ``MASS::polr`` evaluate the end categories at ±100
instead of ±inf, which for ``"cauchit"`` drops ~0.3 % of the Cauchy's probability (their
cauchit estimates are 1–2 % from the exact likelihood's, which is what is fitted here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from commeval.display import coefficient_table_html

from .distributions import t_sf
from .results import CoefficientTable


@dataclass(frozen=True)
class Link:
    """A cumulative link: distribution function ``cdf``, survival ``sf`` (``1 - cdf``,
    accurate in the upper tail), density ``pdf``, its derivative ``dpdf`` and quantile ``ppf``."""

    cdf: Callable[[np.ndarray], np.ndarray]
    sf: Callable[[np.ndarray], np.ndarray]
    pdf: Callable[[np.ndarray], np.ndarray]
    dpdf: Callable[[np.ndarray], np.ndarray]
    ppf: Callable[[np.ndarray], np.ndarray]


def _gumbel_min_pdf(t):  # cloglog: F(t) = 1 - exp(-exp(t))
    with np.errstate(over="ignore"):
        return np.exp(t - np.exp(t))


def _gumbel_max_pdf(t):  # loglog: F(t) = exp(-exp(-t))
    with np.errstate(over="ignore"):
        return np.exp(-t - np.exp(-t))


def _logistic_pdf(t):
    e = np.exp(-np.abs(t))
    return e / (1 + e) ** 2


LINKS: dict[str, Link] = {
    "logistic": Link(
        cdf=special.expit,
        sf=lambda t: special.expit(-t),
        pdf=_logistic_pdf,
        dpdf=lambda t: _logistic_pdf(t) * -np.tanh(t / 2),
        ppf=special.logit,
    ),
    "probit": Link(
        cdf=special.ndtr,
        sf=lambda t: special.ndtr(-t),
        pdf=lambda t: np.exp(-0.5 * t * t) / np.sqrt(2 * np.pi),
        dpdf=lambda t: -t * np.exp(-0.5 * t * t) / np.sqrt(2 * np.pi),
        ppf=special.ndtri,
    ),
    "cloglog": Link(
        cdf=lambda t: -np.expm1(-np.exp(t)),
        sf=lambda t: np.exp(-np.exp(t)),
        pdf=_gumbel_min_pdf,
        dpdf=lambda t: _gumbel_min_pdf(t) * -np.expm1(t),
        ppf=lambda p: np.log(-np.log1p(-p)),
    ),
    "loglog": Link(
        cdf=lambda t: np.exp(-np.exp(-t)),
        sf=lambda t: -np.expm1(-np.exp(-t)),
        pdf=_gumbel_max_pdf,
        dpdf=lambda t: _gumbel_max_pdf(t) * np.expm1(-t),
        ppf=lambda p: -np.log(-np.log(p)),
    ),
    "cauchit": Link(
        cdf=lambda t: 0.5 + np.arctan(t) / np.pi,
        sf=lambda t: 0.5 - np.arctan(t) / np.pi,
        pdf=lambda t: 1 / (np.pi * (1 + t * t)),
        dpdf=lambda t: -2 * t / (np.pi * (1 + t * t) ** 2),
        ppf=lambda p: np.tan(np.pi * (p - 0.5)),
    ),
}
METHODS = tuple(LINKS)
_LINK_NAMES = {
    "logistic": "logistic",
    "probit": "probit",
    "cloglog": "complementary log-log",
    "loglog": "log-log",
    "cauchit": "cauchit",
}


def _link(method: str) -> Link:
    if method not in LINKS:
        raise ValueError(f"svyolr: method must be one of {METHODS}, got {method!r}")
    return LINKS[method]


def _response_codes(s: pd.Series, levels: Sequence | None) -> tuple[np.ndarray, list]:
    """Codes 1..K of an ordered response (0: missing) and its levels, in order."""
    if levels is None:
        if isinstance(s.dtype, pd.CategoricalDtype):
            levels = list(s.cat.categories)
        else:
            levels = sorted(s.dropna().unique().tolist())
    levels = list(levels)
    codes = pd.Index(levels).get_indexer(s.astype(object)).astype(np.int64) + 1
    unknown = s.notna().to_numpy() & (codes == 0)
    if unknown.any():
        bad = sorted(map(str, pd.unique(s[unknown])))[:5]
        raise ValueError(
            f"svyolr: response {s.name!r} has {int(unknown.sum())} values outside levels "
            f"{levels} (e.g. {bad})"
        )
    return codes, levels


def _at_finite(fun, t: np.ndarray) -> np.ndarray:
    """``fun(t)`` where ``t`` is finite, 0 at ``±inf`` (densities vanish at the ends)."""
    fin = np.isfinite(t)
    return np.where(fin, fun(np.where(fin, t, 0.0)), 0.0)


def _derivatives(X: np.ndarray, y: np.ndarray, par: np.ndarray, q: int, link: Link):
    """Log-likelihood terms, per-row scores (n, p + q) and the parts of the Hessian."""
    n, p = X.shape
    beta, zeta = par[:p], par[p:]
    g = np.concatenate([[-np.inf], zeta, [np.inf]])
    eta = X @ beta
    a = g[y] - eta
    b = g[y - 1] - eta
    upper = b > 0  # both ends above 0: the survival function keeps the difference accurate
    with np.errstate(over="ignore", invalid="ignore"):
        pr = np.where(upper, link.sf(b) - link.sf(a), link.cdf(a) - link.cdf(b))
        fa, fb = _at_finite(link.pdf, a), _at_finite(link.pdf, b)
        dfa, dfb = _at_finite(link.dpdf, a), _at_finite(link.dpdf, b)
    rows = np.arange(n)
    Da = np.zeros((n, p + q))
    Db = np.zeros((n, p + q))
    Da[:, :p] = -X
    Db[:, :p] = -X
    up = y <= q
    Da[rows[up], p + y[up] - 1] = 1.0
    lo = y >= 2
    Db[rows[lo], p + y[lo] - 2] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ra, rb = fa / pr, fb / pr
        U = Da * ra[:, None] - Db * rb[:, None]
        laa = dfa / pr - ra**2
        lbb = -dfb / pr - rb**2
        lab = ra * rb
        ll = np.log(pr)
    return ll, U, (Da, Db, laa, lbb, lab)


def _hessian(w: np.ndarray, Da, Db, laa, lbb, lab) -> np.ndarray:
    return (
        Da.T @ (Da * (w * laa)[:, None])
        + Db.T @ (Db * (w * lbb)[:, None])
        + Da.T @ (Db * (w * lab)[:, None])
        + Db.T @ (Da * (w * lab)[:, None])
    )


def _ascent_step(H: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Newton step ``(-H)^-1 grad``; where ``-H`` is not positive definite (away from the
    maximum, e.g. with the cauchit link) ``-H + lambda I`` with the smallest lambda that is."""
    A = -H
    lam = 0.0
    scale = max(float(np.max(np.abs(np.diag(A)))), 1e-12)
    for _ in range(60):
        try:
            L = np.linalg.cholesky(A + lam * np.eye(len(A)))
        except np.linalg.LinAlgError:
            lam = scale * 1e-8 if lam == 0.0 else lam * 10
            continue
        return np.linalg.solve(L.T, np.linalg.solve(L, grad))
    return grad / scale


def fit_olr(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    q: int,
    start: np.ndarray | None = None,
    tol: float = 1e-11,
    max_iter: int = 200,
    method: str = "logistic",
):
    """Weighted cumulative-link fit (rows with ``w == 0`` ignored) with link ``method``.
    Returns the parameters (beta, zeta), the per-row weighted scores of the log-likelihood,
    its Hessian and the log-likelihood."""
    link = _link(method)
    good = w > 0
    X, y, w = X[good], y[good], w[good]
    p = X.shape[1]
    if start is None:
        cum = np.cumsum(np.bincount(y, weights=w, minlength=q + 2)[1:]) / w.sum()
        cum = np.clip(cum[:q], 1e-6, 1 - 1e-6)
        start = np.concatenate([np.zeros(p), link.ppf(cum)])
    par = np.asarray(start, float).copy()

    def objective(par):
        if np.any(np.diff(par[p:]) <= 0):
            return -np.inf
        ll = _derivatives(X, y, par, q, link)[0]
        return float(np.sum(w * ll)) if np.all(np.isfinite(ll)) else -np.inf

    cur = objective(par)
    for _ in range(max_iter):
        _, U, parts = _derivatives(X, y, par, q, link)
        step = _ascent_step(_hessian(w, *parts), U.T @ w)
        t = 1.0
        while True:
            new = par + t * step
            val = objective(new)
            if val >= cur - 1e-12 * abs(cur) or t < 1e-8:
                break
            t /= 2
        par, cur = new, val
        if np.max(np.abs(t * step)) < tol * (1 + np.max(np.abs(par))):
            break
    ll, U, parts = _derivatives(X, y, par, q, link)
    H = _hessian(w, *parts)
    scores = np.zeros((len(good), p + q))
    scores[good] = U * w[:, None]
    return par, scores, H, float(np.sum(w * ll))


@dataclass(repr=False)  # the repr is the summary (CoefficientTable)
class OLRResult(CoefficientTable):
    """Proportional-odds (cumulative link) model with design-based covariance (statsmodels
    style).

    ``params`` holds the coefficients then the thresholds ``zeta`` (named ``a|b`` as R);
    ``coefficients`` and ``thresholds`` hold each part; ``method`` is the link. t tests on
    ``df_resid = degf - p`` (R's ``df.residual``); ``conf_int(df=np.inf)`` gives R's
    ``confint`` (normal). The tidy frame (:meth:`to_frame`) refers to the normal, as R's
    ``confint``: its statistic is ``z``, its ``df`` ``inf``."""

    _statistic = "z"
    _t_reference = False

    formula: str
    levels: list
    params: pd.Series
    cov: pd.DataFrame
    df_resid: float
    degf: float
    nobs: int
    deviance: float
    n_coef: int
    method: str = "logistic"

    @property
    def coefficients(self) -> pd.Series:
        return self.params.iloc[: self.n_coef]

    @property
    def thresholds(self) -> pd.Series:
        return self.params.iloc[self.n_coef :]

    @property
    def vcov(self) -> pd.DataFrame:
        return self.cov

    def cov_params(self) -> pd.DataFrame:
        return self.cov

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    @property
    def tvalues(self) -> pd.Series:
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(
            2 * t_sf(np.abs(self.tvalues.to_numpy()), self.df_resid), index=self.params.index
        )

    @property
    def odds_ratios(self) -> pd.Series:
        """exp(beta): the odds of answering above any threshold, per unit of the term
        (logistic link only)."""
        if self.method != "logistic":
            raise ValueError(f"odds ratios need the logistic link, not {self.method!r}")
        return np.exp(self.coefficients)

    def _exponentiable(self) -> np.ndarray:
        if self.method != "logistic":
            raise ValueError(f"odds ratios need the logistic link, not {self.method!r}")
        return np.arange(len(self.params)) < self.n_coef

    def to_frame(
        self, exponentiate: bool = False, level: float = 0.95, contract=None
    ) -> pd.DataFrame:
        """The tidy table: ``term``, ``label`` (codebook labels of the terms, thresholds as
        ``1|2``), ``kind`` (coefficient / threshold), ``estimate``, ``se``, ``z`` (Wald z =
        estimate / se), ``df`` (``inf``: the normal reference), ``p_value`` (two-sided, normal),
        ``ci_low``, ``ci_high`` at ``level`` (normal quantile, as R's ``confint`` of a
        ``svyolr`` fit). ``exponentiate=True`` (logistic link): the coefficients as
        odds ratios of answering higher, thresholds unchanged."""
        kind = ["coefficient"] * self.n_coef + ["threshold"] * (len(self.params) - self.n_coef)
        return self._coefficients(exponentiate, level, contract, kind=kind)

    @property
    def _title(self) -> str:
        if self.method == "logistic":
            return "Survey ordinal logistic regression (proportional odds)"
        return f"Survey ordinal regression, {_LINK_NAMES[self.method]} link (cumulative link)"

    def _summary_head(self) -> str:
        return (
            f"{self._title}: {self.formula}\n"
            f"levels: {' < '.join(map(str, self.levels))}  (n = {self.nobs}, residual df = "
            f"{self.df_resid:g})\n"
        )

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        levels = " < ".join(map(str, self.levels))
        note = (
            f"levels {levels}; n = {self.nobs}, residual df = {self.df_resid:g}; "
            "design-based SEs, z tests and 95% CIs on the normal reference (as R's confint)"
        )
        caption = f"{self._title}: {self.formula}"
        n = self.n_coef
        scale = {"logistic": "logit"}.get(self.method, _LINK_NAMES[self.method])
        return coefficient_table_html(frame.iloc[:n], caption, None) + coefficient_table_html(
            frame.iloc[n:], f"thresholds ζ (a|b, on the {scale} scale)", note
        )


def olr_matrices(design, formula: str, levels: Sequence | None):
    """Response codes (0 outside the analysis), model matrix without intercept, kept rows."""
    import patsy

    if "~" not in formula:
        raise ValueError(f"svyolr formula {formula!r} needs a response: 'item ~ terms'")
    lhs, rhs = (s.strip() for s in formula.split("~", 1))
    data = design.data
    if lhs not in data.columns:
        raise ValueError(f"svyolr: response {lhs!r} is not a column of the data")
    codes, levels = _response_codes(data[lhs], levels)
    if len(levels) < 3:
        raise ValueError(f"svyolr: response {lhs!r} needs 3 or more levels, got {levels}")
    try:
        Xk = patsy.dmatrix(rhs, data, return_type="dataframe", NA_action="drop")
    except patsy.PatsyError as exc:
        raise ValueError(f"svyolr formula {formula!r}: {exc}") from None
    if "Intercept" in Xk.columns:
        Xk = Xk.drop(columns="Intercept")
    rows = data.index.get_indexer(Xk.index)
    n = len(data)
    keep = np.zeros(n, dtype=bool)
    keep[rows] = True
    keep &= design.domain & (codes > 0)
    X = np.zeros((n, Xk.shape[1]))
    X[rows] = Xk.to_numpy(float)
    return np.where(keep, codes, 1), X, keep, list(Xk.columns), levels


def _level_text(v) -> str:
    """A response level as R prints a factor level: 1.0 → "1"."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def threshold_names(levels: list) -> list[str]:
    return [
        f"{_level_text(a)}|{_level_text(b)}" for a, b in zip(levels[:-1], levels[1:], strict=False)
    ]


def svyolr(
    design, formula: str, levels: Sequence | None = None, method: str = "logistic"
) -> OLRResult:
    """Taylor-linearised ``svyolr`` (sandwich: scores times the inverse Hessian) with link
    ``method``: "logistic", "probit", "cloglog", "loglog" or "cauchit" (:data:`LINKS`)."""
    from .variance import design_variance

    _link(method)
    y, X, keep, names, levels = olr_matrices(design, formula, levels)
    q = len(levels) - 1
    w = np.where(keep, design.weights, 0.0)
    par, U, H, ll = fit_olr(X, y, w, q, method=method)
    Z = U @ np.linalg.inv(-H)
    V = design_variance(design, Z, full=True)
    return _result(design, formula, levels, names, par, V, keep, ll, w, method)


def _result(design, formula, levels, names, par, V, keep, ll, w, method) -> OLRResult:
    allnames = names + threshold_names(levels)
    degf = float(design.degf(keep))
    return OLRResult(
        formula=formula,
        levels=levels,
        params=pd.Series(par, index=allnames),
        cov=pd.DataFrame(V, index=allnames, columns=allnames),
        df_resid=degf - len(names),
        degf=degf,
        nobs=int(keep.sum()),
        deviance=-2 * ll / w[keep].mean(),
        n_coef=len(names),
        method=method,
    )


def svyolr_replicate(
    rdesign, formula: str, levels: Sequence | None = None, method: str = "logistic"
) -> OLRResult:
    """``svyolr`` on a replicate design: refitted under every replicate with link ``method``,
    started from the full-sample fit (R's ``svyolr.svyrep.design``, whose replicate fits are
    logistic whatever the link)."""
    _link(method)
    d = rdesign.design
    y, X, keep, names, levels = olr_matrices(d, formula, levels)
    q = len(levels) - 1
    w = np.where(keep, d.weights, 0.0)
    par, _, _, ll = fit_olr(X, y, w, q, method=method)
    reps = np.array(
        [
            fit_olr(X, y, wr, q, start=par, method=method)[0]
            for wr in rdesign._replicate_row_weights(w)
        ]
    )
    center = par[None, :] if rdesign.mse else reps.mean(axis=0, keepdims=True)
    dev = reps - center
    V = rdesign.scale * (dev * rdesign.rscales[:, None]).T @ dev
    return _result(rdesign, formula, levels, names, par, V, keep, ll, w, method)
