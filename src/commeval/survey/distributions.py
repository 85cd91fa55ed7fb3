"""Distribution functions the estimators need, from ``scipy.special``.

These are the special functions ``scipy.stats`` evaluates for the same distributions
(``t.sf`` is ``stdtr``, ``t.ppf`` is ``stdtrit``…); calling them directly spares every process
that only renders reports the ~0.5 s import of ``scipy.stats``. Invalid parameters give NaN, as
in ``scipy.stats``.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def _valid(df: np.ndarray | float) -> np.ndarray:
    df = np.asarray(df, dtype=float)
    return np.where(df > 0, df, np.nan)


def t_sf(x: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Upper tail of Student's t: P(T > x)."""
    return special.stdtr(_valid(df), -np.asarray(x, dtype=float))


def t_ppf(q: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Quantile of Student's t (df = inf: the normal quantile)."""
    return special.stdtrit(_valid(df), np.asarray(q, dtype=float))


def norm_ppf(q: np.ndarray | float) -> np.ndarray:
    """Standard normal quantile."""
    return special.ndtri(np.asarray(q, dtype=float))


def beta_ppf(q: np.ndarray | float, a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Quantile of Beta(a, b) (NaN unless a, b > 0)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = (a > 0) & (b > 0)
    with np.errstate(invalid="ignore"):
        return np.where(ok, special.betaincinv(np.where(ok, a, 1), np.where(ok, b, 1), q), np.nan)


def f_sf(x: float, d1: float, d2: float) -> float:
    """Upper tail of the F distribution."""
    return float(special.fdtrc(d1, d2, x)) if d1 > 0 and d2 > 0 else float("nan")


def chi2_sf(x: float, k: float) -> float:
    """Upper tail of the chi-squared distribution."""
    return float(special.chdtrc(k, x)) if k > 0 else float("nan")
