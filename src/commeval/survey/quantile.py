"""Quantiles as R's ``svyquantile`` (qrule="math", Woodruff interval, SE from the CI)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .columns import as_list
from .results import build_frame, concat, domains, t_quantile, t_quantiles


def qrule_math(x_sorted: np.ndarray, cumw: np.ndarray, p: float) -> float:
    """Inverse of the weighted empirical CDF (R's default ``qrule="math"``).

    ``cumw`` holds cumulative weights of the sorted values. The result is the value at the
    last position whose cumulative weight is <= p * total when that position hits p exactly,
    otherwise the next value.
    """
    n = len(x_sorted)
    if n == 0 or not np.isfinite(p) or p < 0 or p > 1:
        return float("nan")
    total = cumw[-1]
    pos = int(np.searchsorted(cumw, p * total, side="right")) - 1
    if pos < 0:
        return float(x_sorted[0])
    if p - cumw[pos] / total == 0:
        return float(x_sorted[pos])
    return float(x_sorted[min(pos + 1, n - 1)])


def quantile(
    design,
    variables: str | Sequence[str],
    quantiles: float | Sequence[float] = (0.25, 0.5, 0.75),
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int | None = None,
) -> pd.DataFrame:
    """One row per variable x domain x quantile (``level`` column holds the probability), on
    any design: the CDF's variance from its ``_ratio_variance``, t on its ``_domain_df``."""
    qs = [float(quantiles)] if np.isscalar(quantiles) else [float(q) for q in quantiles]
    min_n = design.min_n if min_n is None else min_n
    codes, keys, G, inside, col = domains(design, by)
    frames = []
    for v in as_list(variables):
        y = design.variable(v)
        valid = inside & ~np.isnan(y)
        we = np.where(valid, design.weights, 0.0)
        df = design._domain_df(codes, valid, G)
        n = np.bincount(col[valid], minlength=G)
        est = np.full((G, len(qs)), np.nan)
        lo = np.full_like(est, np.nan)
        hi = np.full_like(est, np.nan)
        sorted_by_dom = []
        for g in range(G):
            m = valid & (codes == g) & (we > 0)
            xs, ws = y[m], we[m]
            o = np.argsort(xs, kind="stable")
            xs, ws = xs[o], ws[o]
            cw = np.cumsum(ws)
            sorted_by_dom.append((xs, cw))
            for k, p in enumerate(qs):
                est[g, k] = qrule_math(xs, cw, p)
        W = np.bincount(col, weights=we, minlength=G)
        y0 = np.where(valid, y, 0.0)
        ones = np.ones(len(y0))
        for k in range(len(qs)):
            # Woodruff: SE of the estimated CDF at the quantile, inverted back through the CDF
            u = (y0 <= est[col, k]).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                pu = np.bincount(col, weights=we * u, minlength=G) / W
            var = design._ratio_variance(we, u, ones, pu, col, G)
            se_p = np.sqrt(np.maximum(var, 0.0))
            for g in range(G):
                tq = t_quantile(level, df[g])
                xs, cw = sorted_by_dom[g]
                lo[g, k] = qrule_math(xs, cw, pu[g] - tq * se_p[g])
                hi[g, k] = qrule_math(xs, cw, pu[g] + tq * se_p[g])
        for k, p in enumerate(qs):
            tqs = t_quantiles(level, df)
            se = (hi[:, k] - lo[:, k]) / (2 * tqs)
            frames.append(
                build_frame(v, keys, est[:, k], se, lo[:, k], hi[:, k], n, min_n, [p] * G)
            )
    return concat(frames)
