"""Upper tails of linear combinations of chi-squares (R ``survey::pchisqsum``/``pFsum``).

``Q = sum_j lambda_j chi2(h_j)`` with independent central chi-squares. Three methods:

* ``"integration"`` — the exact tail by numerical inversion of the characteristic function
  (Imhof 1961, eq. 3.2; Davies 1973/1980 evaluate the same inversion by the trapezoidal rule):
  ``P(Q > x) = 1/2 + 1/pi * int_0^inf sin(theta(u)) / (u rho(u)) du`` with
  ``theta(u) = 1/2 sum_j h_j atan(lambda_j u) - x u / 2`` and
  ``rho(u) = prod_j (1 + lambda_j^2 u^2)^(h_j / 4)``. R computes the same probability with
  CompQuadForm's Farebrother (positive weights) or Davies (any sign) algorithms.
* ``"saddlepoint"`` — Kuonen's (1999) Lugannani–Rice saddlepoint approximation on the cumulant
  generating function ``K(z) = -1/2 sum_j h_j log(1 - 2 z lambda_j)``; R's rule applies: if the
  saddlepoint is within 1e-4 of 0 the Satterthwaite approximation is returned instead.
* ``"satterthwaite"`` — a scaled chi-square (or F) matching the first two moments.

:func:`pfsum` is the F-type analogue ``P(sum_j a_j chi2(1) / (chi2(ddf) / ddf) > x)``, written as
``P(sum_j a_j chi2(1) - x/ddf chi2(ddf) > 0)``. As in R (CompQuadForm passes degrees of freedom
``as.integer``; ``rep()`` truncates), the chi-square of the denominator has ``floor(ddf)``
degrees of freedom while its weight is ``-x/ddf`` with the unrounded ``ddf``.

Only numpy and scipy (``special``, ``integrate``, ``optimize``) are used.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import special

METHODS = ("integration", "saddlepoint", "satterthwaite")


def _as_terms(weights, df) -> tuple[np.ndarray, np.ndarray]:
    lam = np.atleast_1d(np.asarray(weights, dtype=float))
    h = np.ones_like(lam) if df is None else np.broadcast_to(np.asarray(df, float), lam.shape)
    keep = (lam != 0) & (h > 0)
    return lam[keep], np.array(h[keep], dtype=float)


def imhof_upper(x: float, weights, df=None) -> float:
    """Exact ``P(sum_j weights_j chi2(df_j) > x)`` by Imhof's inversion formula.

    ``df`` defaults to 1 for every weight; weights may have either sign.
    """
    from scipy.integrate import IntegrationWarning, quad

    lam, h = _as_terms(weights, df)
    if lam.size == 0:
        return 1.0 if x < 0 else 0.0
    if (lam > 0).all() and x <= 0:
        return 1.0
    if (lam < 0).all() and x >= 0:
        return 0.0
    scale = np.abs(lam).max()
    lam, x = lam / scale, x / scale
    omega = 0.5 * x
    slope0 = 0.5 * (h @ lam - x)

    def phi(u: float) -> float:
        return 0.5 * float(h @ np.arctan(lam * u))

    def inv_urho(u: float) -> float:
        return math.exp(-0.25 * float(h @ np.log1p((lam * u) ** 2))) / u

    def integrand(u: float) -> float:
        if u == 0.0:
            return slope0
        return math.sin(phi(u) - omega * u) * inv_urho(u)

    opts = dict(epsabs=1e-15, epsrel=1e-13, limit=2000)
    with warnings.catch_warnings():
        # QUADPACK flags round-off at tolerances near machine precision; the error estimates
        # are checked below instead
        warnings.simplefilter("ignore", IntegrationWarning)
        if omega == 0.0:
            total, err = quad(integrand, 0.0, np.inf, **opts)
        else:
            # a few periods directly, then the oscillatory tail as Fourier integrals (QAWF):
            # sin(phi - w u) = sin(phi) cos(w u) - cos(phi) sin(w u)
            w = abs(omega)
            a = 8.0 * math.pi / w
            total, err = quad(integrand, 0.0, a, **opts)
            tail = dict(weight="cos", wvar=w, epsabs=1e-14, limlst=200, limit=2000)
            c = quad(lambda u: math.sin(phi(u)) * inv_urho(u), a, np.inf, **tail)
            tail["weight"] = "sin"
            s = quad(lambda u: math.cos(phi(u)) * inv_urho(u), a, np.inf, **tail)
            total += c[0] - math.copysign(1.0, omega) * s[0]
            err += c[1] + s[1]
    if err > 1e-10:
        warnings.warn(
            f"Imhof integration: estimated error {err:.2g} (probable loss of accuracy)",
            RuntimeWarning,
            stacklevel=2,
        )
    return float(min(max(0.5 + total / math.pi, 0.0), 1.0))


def saddlepoint_upper(x: float, weights, df=None) -> float | None:
    """Kuonen's saddlepoint approximation to ``P(sum_j weights_j chi2(df_j) > x)``.

    ``None`` when the saddlepoint lies within 1e-4 of 0 (after scaling the weights by their
    largest value), where R's ``saddle`` gives NA and ``pchisqsum`` falls back to Satterthwaite.
    """
    from scipy.optimize import brentq

    lam, h = _as_terms(weights, df)
    if not (lam > 0).any():
        raise ValueError("the saddlepoint approximation needs a positive weight")
    d = lam.max()
    lam, x = lam / d, x / d
    n = h.sum()

    def k0(z: float) -> float:
        return -0.5 * float(h @ np.log1p(-2.0 * z * lam))

    def k1(z: float) -> float:
        return float(h @ (lam / (1.0 - 2.0 * z * lam)))

    def k2(z: float) -> float:
        return 2.0 * float(h @ (lam / (1.0 - 2.0 * z * lam)) ** 2)

    neg = lam < 0
    if neg.any():
        lo = float(np.max(1.0 / (2.0 * lam[neg]))) * 0.99999
    elif x > h @ lam:
        lo = -0.01
    else:
        lo = -n / (2.0 * x)
    hi = float(np.min(1.0 / (2.0 * lam[lam > 0]))) * 0.99999
    z = brentq(lambda t: k1(t) - x, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    if abs(z) < 1e-4:
        return None
    w = math.copysign(math.sqrt(max(2.0 * (z * x - k0(z)), 0.0)), z)
    v = z * math.sqrt(k2(z))
    return float(special.ndtr(-(w + math.log(v / w) / w)))


def _satterthwaite(a: np.ndarray) -> tuple[float, float]:
    """Scale and df of the moment-matched chi-square for ``sum a_j chi2(1)``."""
    tr = a.mean()
    tr2 = (a**2).mean() / tr**2
    return float(tr * tr2), float(a.size / tr2)


def pchisqsum(x: float, weights, method: str = "integration") -> float:
    """``P(sum_j weights_j chi2(1) > x)`` (R ``pchisqsum(x, 1, a, lower.tail=FALSE)``)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    a = np.atleast_1d(np.asarray(weights, dtype=float))
    scale, sdf = _satterthwaite(a)
    guess = float(special.chdtrc(sdf, x / scale))
    if method == "satterthwaite":
        return guess
    if x <= 0 and (a > 0).all():
        return 1.0
    if method == "integration":
        return imhof_upper(x, a)
    s = saddlepoint_upper(x, a)
    return guess if s is None else s


def pfsum(x: float, weights, ddf: float, method: str = "integration") -> float:
    """``P(sum_j weights_j chi2(1) / (chi2(ddf) / ddf) > x)`` (R ``pFsum(..., lower.tail=FALSE)``;
    ``ddf = inf`` is :func:`pchisqsum`). The denominator chi-square has ``floor(ddf)`` df, as R's."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    if np.isinf(ddf):
        return pchisqsum(x, weights, method)
    a = np.atleast_1d(np.asarray(weights, dtype=float))
    scale, ndf = _satterthwaite(a)
    guess = float(special.fdtrc(ndf, ddf, x / ndf / scale))
    if method == "satterthwaite":
        return guess
    if x <= 0 and (a > 0).all():
        return 1.0
    lam = np.append(a, -x / ddf)
    h = np.append(np.ones(a.size), math.floor(ddf))
    if method == "integration":
        return imhof_upper(0.0, lam, h)
    s = saddlepoint_upper(0.0, lam, h)
    return guess if s is None else s
