"""Design-based rank tests (R ``svyranktest``; Lumley & Scott 2013): Wilcoxon / Kruskal–Wallis,
van der Waerden and median tests for complex samples.

Each row gets the estimated population mid-rank of its value, ``rank = (cumulative weight up to
the row) - w / 2`` averaged over ties (rows in value order, ties in row order, as R), scored
``rank / N`` (Wilcoxon, Kruskal–Wallis), ``qnorm(rank / N)`` (van der Waerden) or
``rank > N / 2`` (median). The score is regressed on the groups by a design-based linear model:
two groups — t = difference in mean score / SE on ``degf - 1``; more groups — Wald F of the
group terms on ``(groups - 1, degf - (groups - 1))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import norm_ppf

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


def svyranktest(design, variable: str, group: str, test: str = "wilcoxon") -> RankTest:
    if test not in TESTS:
        raise ValueError(f"svyranktest: test must be one of {TESTS}, got {test!r}")
    y = design.variable(variable)
    g = design.data[group]
    valid = design.domain & ~np.isnan(y) & g.notna().to_numpy() & (design.weights > 0)
    levels = g[valid].unique()
    if len(levels) < 2:
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
        score = (r > N / 2).astype(float)
    full = np.full(len(y), np.nan)
    full[idx] = score
    d = design.update(__rankscore=full).subset(valid)
    term = f"C(Q('{group}'))"
    fit = d.glm(f"__rankscore ~ {term}")
    name = "KruskalWallis" if test == "wilcoxon" else test
    method = f"Design-based {name} test"
    if len(levels) == 2:
        from .distributions import t_sf

        est = float(fit.params.iloc[1])
        t = est / float(fit.bse.iloc[1])
        df = fit.df_resid
        return RankTest(method, t, 1.0, df, float(2 * t_sf(abs(t), df)), estimate=est)
    from .contrasts import regTermTest

    wt = regTermTest(fit, term)
    return RankTest(method, wt.statistic, wt.ndf, wt.ddf, wt.p_value, chisq=wt.chisq)
