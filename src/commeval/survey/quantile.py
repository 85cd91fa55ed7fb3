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


QRULES = ("math", "school", "hf1", "hf2", "hf3", "hf4", "hf5", "hf6", "hf7", "hf8", "hf9")
INTERVALS = ("mean", "beta", "xlogit", "asin")


def _qs(xs, cw, p):
    total = cw[-1]
    pos = int(np.searchsorted(cw, p * total, side="right")) - 1
    pos = max(pos, 0)
    nxt = min(pos + 1, len(xs) - 1)
    return pos, nxt, p - cw[pos] / total, cw[nxt] / total - p


def apply_qrule(rule: str, xs: np.ndarray, ws: np.ndarray, cw: np.ndarray, p: float) -> float:
    """R's ``qrule_<rule>(x, w, p)`` on values ``xs`` sorted (stable) with weights ``ws`` > 0
    and their cumulative sums ``cw``: "math"/"hf1" (inverse CDF), "school"/"hf2" (average at
    a jump), "hf3" (nearest even order statistic of the distinct values), "hf4"–"hf9"
    (interpolation between plotting positions, Hyndman & Fan's weighted forms as R)."""
    n = len(xs)
    if n == 0 or not np.isfinite(p) or p < 0 or p > 1:
        return float("nan")
    if rule in ("math", "hf1"):
        return qrule_math(xs, cw, p)
    if rule in ("school", "hf2"):
        pos, nxt, wlow, _ = _qs(xs, cw, p)
        return float((xs[pos] + xs[nxt]) / 2) if wlow == 0 else float(xs[nxt])
    if rule == "hf3":
        ux, inv = np.unique(xs, return_inverse=True)
        ucw = np.cumsum(np.bincount(inv, weights=ws))
        pos, nxt, wlow, _ = _qs(ux, ucw, p)
        return float(ux[pos]) if wlow == 0 and (pos + 1) % 2 == 0 else float(ux[nxt])
    if rule == "hf4":
        pos, nxt, wlow, wup = _qs(xs, cw, p)
        gamma = wlow / (wup + wlow) if (wup + wlow) != 0 else 0.0
        return float(xs[pos] * (1 - gamma) + xs[nxt] * gamma)
    prev = np.concatenate([[0.0], cw[:-1]])
    if rule == "hf5":
        pk = (cw - ws / 2) / cw[-1]
    elif rule == "hf6":
        pk = cw / (cw[-1] + ws[-1])
    elif rule == "hf7":
        pk = prev / cw[n - 2] if n > 1 else np.zeros(1)
    elif rule == "hf8":
        pk = (prev / 3 + cw * 2 / 3) / (cw[-1] + ws[-1] / 3)
    elif rule == "hf9":
        pk = (prev * 3 / 8 + cw * 5 / 8) / (cw[-1] + ws[-1] / 4)
    else:
        raise ValueError(f"qrule must be one of {QRULES}, got {rule!r}")
    return float(np.interp(p, pk, xs))


def quantile(
    design,
    variables: str | Sequence[str],
    quantiles: float | Sequence[float] = (0.25, 0.5, 0.75),
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int | None = None,
    qrule: str = "math",
    interval: str = "mean",
) -> pd.DataFrame:
    """One row per variable x domain x quantile (``level`` column holds the probability), on
    any design: the CDF's variance from its ``_ratio_variance``, t on its ``_domain_df``.
    ``qrule`` and ``interval`` are R's ``qrule=`` and ``interval.type=`` (Woodruff: the CI of
    the CDF by "mean", "beta", "xlogit" or "asin", inverted by the same rule)."""
    from .proportion import prop_ci

    if qrule not in QRULES:
        raise ValueError(f"qrule must be one of {QRULES}, got {qrule!r}")
    if interval not in INTERVALS:
        raise ValueError(
            f"interval must be one of {INTERVALS}, got {interval!r} (R's 'score' interval is "
            "not supported)"
        )
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
        nrows = design._domain_nrows(codes, G) if interval == "beta" else None
        for g in range(G):
            m = valid & (codes == g) & (we > 0)
            xs, ws = y[m], we[m]
            o = np.argsort(xs, kind="stable")
            xs, ws = xs[o], ws[o]
            cw = np.cumsum(ws)
            sorted_by_dom.append((xs, ws, cw))
            for k, p in enumerate(qs):
                est[g, k] = apply_qrule(qrule, xs, ws, cw, p)
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
            if interval == "mean":
                tq = np.array([t_quantile(level, df[g]) for g in range(G)])
                plo, phi = pu - tq * se_p, pu + tq * se_p
            else:
                plo, phi = prop_ci(pu, se_p, df, nrows, interval, level)
            for g in range(G):
                xs, ws, cw = sorted_by_dom[g]
                lo[g, k] = apply_qrule(qrule, xs, ws, cw, plo[g])
                hi[g, k] = apply_qrule(qrule, xs, ws, cw, phi[g])
        for k, p in enumerate(qs):
            tqs = t_quantiles(level, df)
            se = (hi[:, k] - lo[:, k]) / (2 * tqs)
            frames.append(
                build_frame(v, keys, est[:, k], se, lo[:, k], hi[:, k], n, min_n, [p] * G)
            )
    return concat(frames)
