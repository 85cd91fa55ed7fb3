"""Category shares with R ``svyciprop`` confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from .distributions import beta_ppf, t_ppf
from .profile import likelihood_ci
from .results import build_frame, concat, domains, t_quantiles

METHODS = ("logit", "beta", "wald", "mean", "xlogit", "asin", "wilson", "likelihood")


def categories(design, variable: str) -> list:
    s = design.data[variable]
    vals = pd.unique(s[design.domain & s.notna().to_numpy()])
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


def prop_ci(
    p: np.ndarray,
    se: np.ndarray,
    df: np.ndarray,
    nrows: np.ndarray,
    method: str,
    level: float,
    se_logit: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """CI of a proportion as R's ``svyciprop`` (t quantile with ``df`` degrees of freedom)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    alpha = 1 - level
    p = np.asarray(p, float)
    tq = t_quantiles(level, np.atleast_1d(df))
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "logit":
            sl = se / (p * (1 - p)) if se_logit is None else se_logit
            lo = expit(logit(p) - tq * sl)
            hi = expit(logit(p) + tq * sl)
        elif method in ("wald", "mean"):
            lo, hi = p - tq * se, p + tq * se
        elif method == "xlogit":  # delta method on the logit scale (svycontrast)
            sl = se / (p * (1 - p))
            lo = expit(logit(p) - tq * sl)
            hi = expit(logit(p) + tq * sl)
        elif method == "wilson":  # score interval on the effective sample size (Kish)
            n = p * (1 - p) / se**2
            t2 = tq**2
            centre = (p + t2 / (2 * n)) / (1 + t2 / n)
            half = tq * np.sqrt(p * (1 - p) / n + t2 / (4 * n**2)) / (1 + t2 / n)
            lo, hi = centre - half, centre + half
        elif method == "asin":  # delta method on asin(sqrt(p)), back-transformed
            a = np.arcsin(np.sqrt(p))
            sa = se / (2 * np.sqrt(p * (1 - p)))
            lo, hi = np.sin(a - tq * sa) ** 2, np.sin(a + tq * sa) ** 2
        elif method == "likelihood":
            raise ValueError("the likelihood interval needs the design: use proportion()")
        else:  # Korn & Graubard (1998) beta interval with effective sample size
            n_eff = p * (1 - p) / se**2
            rat = (
                t_ppf(alpha / 2, np.asarray(nrows, float) - 1)
                / t_ppf(alpha / 2, np.asarray(df, float))
            ) ** 2
            n_eff = n_eff * np.where(np.isfinite(df), rat, 1.0)
            lo = beta_ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
            hi = beta_ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
    degenerate = (np.asarray(se) <= 1e-12 * np.abs(p)) & np.isfinite(p)
    lo = np.where(degenerate, p, lo)
    hi = np.where(degenerate, p, hi)
    return lo, hi


def proportion(
    design,
    variable: str,
    by: str | Sequence[str] | None = None,
    method: str = "logit",
    level: float = 0.95,
    min_n: int | None = None,
) -> pd.DataFrame:
    """Share of each category of ``variable`` per domain, on any design: the variance from the
    design's ``_ratio_variance``, t quantiles on its ``_domain_df``."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    min_n = design.min_n if min_n is None else min_n
    codes, keys, G, inside, col = domains(design, by)
    s = design.data[variable]
    notna = s.notna().to_numpy()
    valid = inside & notna
    we = np.where(valid, design.weights, 0.0)
    W = np.bincount(col, weights=we, minlength=G)
    n = np.bincount(col[valid], minlength=G)
    # R's svyciprop: t on the design df of the whole domain, answered or not
    df = design._domain_df(codes, inside, G)
    nrows = design._domain_nrows(codes, G)
    ones = np.ones(len(we))
    glm_frame = (
        _svyglm_frame(design, codes, inside, notna, W, nrows, G)
        if (method == "likelihood")
        else None
    )
    frames = []
    for cat in categories(design, variable):
        y = (s == cat).fillna(False).to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.bincount(col, weights=we * y, minlength=G) / W
        var = design._ratio_variance(we, y, ones, p, col, G)
        se = np.sqrt(np.maximum(var, 0.0))
        logit_se = method in ("logit", "likelihood")
        sl = design._ratio_logit_se(we, y, ones, p, col, G) if logit_se else None
        if method == "likelihood":
            lo, hi = _likelihood(design, y, p, se, sl, df, level, glm_frame, valid, codes)
        else:
            lo, hi = prop_ci(p, se, df, nrows, method, level, se_logit=sl)
        lo, hi = zero_count_interval(p, n, df, level, lo, hi)
        frames.append(build_frame(variable, keys, p, se, lo, hi, n, min_n, [cat] * G))
    out = concat(frames)
    by_cols = [c for c in keys.columns]
    if by_cols and len(out):
        out = out.sort_values(by_cols, kind="stable").reset_index(drop=True)
    return out


def zero_count_interval(
    p: np.ndarray, n: np.ndarray, df: np.ndarray, level: float, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A share of exactly 0 (or 1) has SE 0, and every design-based interval collapses to
    0–0. Give it instead the Korn–Graubard (1998) interval with a design effect of 1: the
    Clopper–Pearson bound for 0 of ``n`` answers on the effective sample size
    ``n · (t_{n−1} / t_df)²`` — upper bound ``Beta⁻¹(1 − α/2; 1, n_eff)`` for a share of 0,
    lower bound ``Beta⁻¹(α/2; n_eff, 1)`` for a share of 1. R's ``svyciprop`` has no rule for
    this case (its logit interval is 0–0 too)."""
    p = np.asarray(p, float)
    n = np.asarray(n, float)
    df = np.broadcast_to(np.asarray(df, float), p.shape)
    zero, one = (p == 0) & (n > 0), (p == 1) & (n > 0)
    if not (zero.any() or one.any()):
        return lo, hi
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        rat = (t_ppf(alpha / 2, np.maximum(n - 1, 1)) / t_ppf(alpha / 2, df)) ** 2
    n_eff = n * np.where(np.isfinite(df) & (df > 0) & (n > 1), rat, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = beta_ppf(1 - alpha / 2, 1.0, np.maximum(n_eff, 1e-12))
        lower = beta_ppf(alpha / 2, np.maximum(n_eff, 1e-12), 1.0)
    lo = np.where(zero, 0.0, np.where(one, lower, lo))
    hi = np.where(zero, upper, np.where(one, 1.0, hi))
    return lo, hi


def _svyglm_frame(design, codes, inside, notna, W, rows, G):
    """What R's ``svyglm(y ~ 1, family=quasibinomial)`` sees of each domain, the same for every
    category: the weights' scale (their mean over the domain's design rows), the model frame's
    rows and the quasibinomial dispersion."""
    w_rows = np.bincount(codes[inside], weights=design.weights[inside], minlength=G)
    n = np.bincount(codes[inside & notna & (design.weights != 0)], minlength=G).astype(float)
    n_frame = design._domain_nrows(codes, G, rows=notna)
    kept = design._domain_nrows(np.where(notna, codes, -1), G)  # nrow(design[answered, ])
    dispersion = design._quasibinomial_dispersion(n, W, kept, w_rows, rows)
    return w_rows / rows, n_frame, dispersion


def _likelihood(design, y, p, se, sl, df, level, glm_frame, valid, codes):
    """Profile-likelihood ends per domain (R ``svyciprop(method="likelihood")``)."""
    if sl is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            sl = se / (p * (1 - p))
    scale, n_frame, dispersion = glm_frame
    G = len(p)
    lo, hi = np.full(G, np.nan), np.full(G, np.nan)
    for g in range(G):
        m = valid & (codes == g)
        prior = design.weights[m] / scale[g]  # R: scaled to mean 1
        lo[g], hi[g] = likelihood_ci(y[m], prior, sl[g], n_frame[g], dispersion[g], df[g], level)
    degenerate = (np.asarray(se) <= 1e-12 * np.abs(p)) & np.isfinite(p)
    return np.where(degenerate, p, lo), np.where(degenerate, p, hi)
