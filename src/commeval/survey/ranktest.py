"""Design-based rank tests (R ``svyranktest``; Lumley & Scott 2013): Wilcoxon / Kruskal–Wallis,
van der Waerden and median tests for complex samples.

Each row gets the estimated population mid-rank of its value, ``rank = (cumulative weight up to
the row) - w / 2`` averaged over ties (rows in value order, ties in row order, as R), scored
``rank / N`` (Wilcoxon, Kruskal–Wallis), ``qnorm(rank / N)`` (van der Waerden) or
``rank > N / 2`` (median). The score is regressed on the groups by a design-based linear model:
two groups — t = difference in mean score / SE on ``degf - 1``; more groups — Wald F of the
group terms on ``(groups - 1, degf - (groups - 1))``. Taylor designs: the design-based
linear model (``svyglm``); replicate designs: the replicate covariance of the regression's
full-sample influence functions (R's ``svyranktest.svyrep.design``), not refits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .distributions import f_sf, norm_ppf, t_sf
from .variance import unit_totals

TESTS = ("wilcoxon", "vanderWaerden", "median", "KruskalWallis")


@dataclass
class RankTest:
    """``statistic``: t (two groups) or F = chisq / ndf; ``estimate``: difference in mean rank
    score (two groups) or ``None``."""

    method: str
    statistic: float
    ndf: float
    ddf: float
    p_value: float
    estimate: float | None = None
    chisq: float | None = None


def _rank_scores(design, variable: str, group: str, test: str):
    """Rows with a value and a group (``valid``), their positions ``idx`` and rank scores."""
    if test not in TESTS:
        raise ValueError(f"svyranktest: test must be one of {TESTS}, got {test!r}")
    y = design.variable(variable)
    g = design.data[group]
    valid = design.domain & ~np.isnan(y) & g.notna().to_numpy() & (design.weights > 0)
    if g[valid].nunique() < 2:
        raise ValueError(f"svyranktest: {group!r} has fewer than 2 groups with values")
    idx = np.flatnonzero(valid)
    w = design.weights[idx]
    order = np.argsort(y[idx], kind="stable")
    ys, ws = y[idx][order], w[order]
    mid = np.cumsum(ws) - ws / 2
    _, tie, counts = np.unique(ys, return_inverse=True, return_counts=True)
    mid = (np.bincount(tie, weights=mid) / counts)[tie]
    N = w.sum()
    r = np.empty(len(idx))
    r[order] = mid
    if test in ("wilcoxon", "KruskalWallis"):
        score = r / N
    elif test == "vanderWaerden":
        score = norm_ppf(r / N)
    else:
        # a tie group whose mid-rank is N/2 in exact arithmetic is not above the median, as
        # in R; summation order leaves such a mid-rank ~1e-15 (relative) off N/2
        score = (r - N / 2 > 1e-10 * N).astype(float)
    return valid, idx, score


def svyranktest(design, variable: str, group: str, test: str = "wilcoxon") -> RankTest:
    """Design-based rank test of ``variable`` across the groups of ``group`` on a Taylor or a
    replicate design (R ``svyranktest``)."""
    valid, idx, score = _rank_scores(design, variable, group, test)
    name = "KruskalWallis" if test == "wilcoxon" else test
    method = f"Design-based {name} test"
    if hasattr(design, "factors"):
        return _replicate_test(design, group, valid, idx, score, method)
    full = np.full(len(valid), np.nan)
    full[idx] = score
    d = design.update(__rankscore=full).subset(valid)
    term = f"C(Q('{group}'))"
    fit = d.glm(f"__rankscore ~ {term}")
    if len(fit.params) == 2:
        est = float(fit.params.iloc[1])
        t = est / float(fit.bse.iloc[1])
        df = fit.df_resid
        return RankTest(method, t, 1.0, df, float(2 * t_sf(abs(t), df)), estimate=est)
    from .contrasts import regTermTest

    wt = regTermTest(fit, term)
    return RankTest(method, wt.statistic, wt.ndf, wt.ddf, wt.p_value, chisq=wt.chisq)


def _replicate_test(design, group, valid, idx, score, method) -> RankTest:
    """The rank test on a replicate design: the weighted regression of the rank score on the
    groups (first group the reference, groups sorted as R's ``factor``), its coefficients'
    covariance the replicate covariance of the totals of their full-sample influence
    functions (R's ``svytotal(infn, design)`` for two groups; survey >= 4.2 for more, where
    R 4.1.1 stops). df: the replicate df of the rows used, R's ``degf(design[-na, ])``."""
    codes, _ = pd.factorize(design.data[group].to_numpy()[idx], sort=True)
    k = int(codes.max()) + 1
    w = design.weights[idx]
    X = np.zeros((len(idx), k))
    X[:, 0] = 1.0
    X[np.arange(len(idx)), codes] = 1.0
    A = np.linalg.inv(X.T @ (X * w[:, None]))
    beta = A @ (X.T @ (w * score))
    infl = (X * (score - X @ beta)[:, None]) @ A
    Z = np.zeros((len(valid), k))
    Z[idx] = w[:, None] * infl
    s1 = design.design._stage1
    T = unit_totals(Z, s1.codes, s1.n_units, s1.indicator)
    V = design.covariance(design.factors @ T, Z.sum(axis=0))
    df = float(design._domain_df(np.where(valid, 0, -1), valid, 1)[0])
    if k == 2:
        est = float(beta[1])
        t = est / float(np.sqrt(V[1, 1]))
        return RankTest(method, t, 1.0, df - 1, float(2 * t_sf(abs(t), df - 1)), estimate=est)
    b = beta[1:]
    chisq = float(b @ np.linalg.solve(V[1:, 1:], b))
    ndf, ddf = float(k - 1), df - (k - 1)
    return RankTest(method, chisq / ndf, ndf, ddf, float(f_sf(chisq / ndf, ndf, ddf)), chisq=chisq)
