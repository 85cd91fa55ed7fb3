"""Profile-likelihood interval of a proportion, as R's ``svyciprop(method="likelihood")``.

R fits ``svyglm(y ~ 1, family=quasibinomial)`` (weights scaled to mean 1 over the domain's
design rows) and inverts the deviance profile of the intercept on a grid of at most nine steps
either side of the estimate (step ``zmax/5`` standard errors, as MASS's ``profile.glm``),
interpolated by an FMM cubic spline on three times as many points and read off at the
Rao–Scott-scaled cut-offs ``±t·√λ`` (λ = design variance / model variance of the intercept).
The same grid, spline and cut-offs are used here, so the ends agree with R's, not merely with
the exact root.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_banded
from scipy.special import expit, ndtr

from .distributions import norm_ppf, t_ppf
from .glm import fit_irls

MAX_STEPS = 10  # MASS profile.glm: at most MAX_STEPS - 1 steps each side


def fmm_spline(x: np.ndarray, y: np.ndarray, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Interpolating cubic spline with Forsythe–Malcolm–Moler ends (R ``spline(method="fmm")``)
    evaluated at ``n_out`` equally spaced points from ``x[0]`` to ``x[-1]``.

    The end conditions make the spline's third derivative on the first (last) interval equal
    to that of the cubic through the first (last) four points; with three points it is zero,
    with two the spline is the line.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    m = len(x)
    xout = np.linspace(x[0], x[-1], n_out)
    if m < 2:
        return xout, np.full(n_out, y[0] if m else np.nan)
    h = np.diff(x)
    d = np.diff(y) / h
    if m == 2:
        return xout, y[0] + d[0] * (xout - x[0])
    # second derivatives M: h[i-1] M[i-1] + 2 (h[i-1] + h[i]) M[i] + h[i] M[i+1] = 6 (d[i] - d[i-1])
    diag = np.empty(m)
    upper = np.zeros(m)
    lower = np.zeros(m)
    rhs = np.empty(m)
    diag[1:-1] = 2 * (h[:-1] + h[1:])
    upper[2:] = h[1:]  # coefficient of M[i+1] in row i, stored at column i+1
    lower[:-2] = h[:-1]  # coefficient of M[i-1] in row i, stored at column i-1
    rhs[1:-1] = 6 * (d[1:] - d[:-1])
    c0 = cn = 0.0
    if m > 3:
        dd2 = np.diff(d) / (x[2:] - x[:-2])  # second divided differences
        dd3 = np.diff(dd2) / (x[3:] - x[:-3])  # third divided differences
        c0, cn = dd3[0], dd3[-1]
    # ends: (M[1] - M[0]) / h[0] = 6 c0 and (M[-1] - M[-2]) / h[-1] = 6 cn, scaled by h
    diag[0], upper[1], rhs[0] = -h[0], h[0], 6 * c0 * h[0] ** 2
    diag[-1], lower[-2], rhs[-1] = -h[-1], h[-1], -6 * cn * h[-1] ** 2
    M = solve_banded((1, 1), np.vstack([upper, diag, lower]), rhs)
    i = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, m - 2)
    a, b, hi = xout - x[i], x[i + 1] - xout, h[i]
    s = (
        M[i] * b**3 / (6 * hi)
        + M[i + 1] * a**3 / (6 * hi)
        + (y[i] / hi - M[i] * hi / 6) * b
        + (y[i + 1] / hi - M[i + 1] * hi / 6) * a
    )
    return xout, s


def _approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R ``approx(x, y, xout)``: linear, NA outside the range, tied ``x`` averaged."""
    ux, inv = np.unique(x, return_inverse=True)
    uy = np.bincount(inv, weights=y) / np.bincount(inv)
    out = np.interp(xout, ux, uy)
    return np.where((xout < ux[0]) | (xout > ux[-1]), np.nan, out)


def likelihood_ci(
    y: np.ndarray,
    w: np.ndarray,
    se_logit: float,
    n_frame: float,
    dispersion: float,
    df: float,
    level: float,
) -> tuple[float, float]:
    """Ends of R's profile-likelihood interval of one proportion.

    ``y``: the 0/1 answers; ``w``: their weights scaled to mean 1 over the domain's design
    rows (R's svyglm prior weights); ``se_logit``: the design SE of logit(p) (the svyglm
    intercept's); ``n_frame``: rows in the model frame (the F quantile's denominator df is
    ``n_frame - 1``); ``dispersion``: the quasibinomial dispersion of ``summary(svyglm)``;
    ``df``: the design df (``inf`` for normal quantiles).
    """
    keep = w > 0
    y, w = y[keep], w[keep]
    W = w.sum()
    p = np.sum(w * y) / W if W > 0 else np.nan
    if not (0 < p < 1) or not np.isfinite(se_logit) or se_logit <= 0 or not df > 0:
        return np.nan, np.nan
    # R's glm.fit iterate by iterate; the model covariance R uses comes from the working
    # weights of the last iteration (those before its update)
    beta, _, working = fit_irls(np.ones((len(y), 1)), y, w, "binomial")
    b0, naive = float(beta[0]), float(1 / working.sum())
    lam = se_logit**2 / naive
    q = t_ppf((1 - level) / 2, df)  # df = inf: the normal quantile
    alpha = ndtr(q * np.sqrt(lam)) / 2
    # sqrt of the upper-alpha F(1, n - 1) quantile, as |t(alpha/2)|: exact in the far tail
    zmax = -t_ppf(alpha / 2, n_frame - 1)
    step_size = zmax / 5 * se_logit

    def deviance(b: float) -> float:
        mu = expit(b)
        return -2 * W * (p * np.log(mu) + (1 - p) * np.log1p(-mu))

    dev0 = deviance(b0)
    bs, zs = [b0], [0.0]
    for sign in (-1, 1):
        step, z = 0, 0.0
        while (step := step + 1) < MAX_STEPS and abs(z) < zmax:
            b = b0 + sign * step * step_size
            z = sign * np.sqrt(max((deviance(b) - dev0) / dispersion, 0.0))
            bs.append(b)
            zs.append(z)
    order = np.argsort(zs, kind="stable")
    bs, zs = np.asarray(bs)[order], np.asarray(zs)[order]
    sx, sy = fmm_spline(bs, zs, 3 * len(bs))
    cut = norm_ppf(2 * alpha)
    lo, hi = _approx(sy, sx, np.array([cut, -cut]))
    return float(expit(lo)), float(expit(hi))
