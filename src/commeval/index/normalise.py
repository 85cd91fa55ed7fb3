"""Normalisation of indicators to a common, direction-aligned scale (higher = better).

Methods: ``minmax`` (0–100), ``zscore``, ``target`` (distance to target, capped at the target,
0–100), ``rank`` (percentile rank 0–100) and ``goalposts`` (fixed lower/upper bounds, 0–100).
The array core works on arrays whose last two axes are units × indicators, so Monte Carlo draws
can be normalised at once; NaN (not applicable) stays NaN.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

METHODS = ("minmax", "zscore", "target", "rank", "goalposts")
BOUNDED = ("minmax", "target", "rank", "goalposts")  # methods giving 0–100


def normalise_array(
    x: np.ndarray,
    method: str,
    benefit: np.ndarray,
    target: np.ndarray | None = None,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    scale: float = 100.0,
) -> np.ndarray:
    """Normalise ``x[..., unit, indicator]`` along the unit axis, to 0–``scale`` for the bounded
    methods (``scale=1.0``: the [0, 1] scaling the objective weights, TOPSIS and grey relational
    analysis use — this is the index's one min–max rule).

    Constant columns (documented behaviour): ``minmax`` and ``rank`` give ``scale`` to every unit
    (no unit is behind the best), ``zscore`` gives 0.
    """
    x = np.asarray(x, dtype=float)
    b = np.asarray(benefit, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if method == "minmax":
            lo = np.nanmin(_nanguard(x), axis=-2, keepdims=True)
            hi = np.nanmax(_nanguard(x), axis=-2, keepdims=True)
            z = np.where(b, x - lo, hi - x) / (hi - lo)
            z = np.where(hi > lo, z * scale, scale)
        elif method == "zscore":
            mu = np.nanmean(_nanguard(x), axis=-2, keepdims=True)
            n = np.sum(~np.isnan(x), axis=-2, keepdims=True)
            sd = np.sqrt(np.nansum((x - mu) ** 2, axis=-2, keepdims=True) / np.maximum(n - 1, 1))
            z = np.where(sd > 0, np.where(b, x - mu, mu - x) / sd, 0.0)
        elif method == "target":
            if target is None:
                raise ValueError("target normalisation needs a target per indicator")
            t = np.asarray(target, dtype=float)
            xc = np.maximum(x, 0.0)
            ben = np.where(t > 0, xc / t, 1.0)
            cost = np.where(xc > 0, t / xc, 1.0)
            z = np.minimum(np.where(b, ben, cost), 1.0) * scale
        elif method == "rank":
            z = _percentile_rank(np.where(b, x, -x), scale)
        elif method == "goalposts":
            if lower is None or upper is None:
                raise ValueError("goalposts normalisation needs lower and upper goalposts")
            lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
            z = np.clip(np.where(b, x - lo, hi - x) / (hi - lo), 0.0, 1.0) * scale
        else:
            raise ValueError(f"unknown normalisation {method!r}; use one of {METHODS}")
    return np.where(np.isnan(x), np.nan, z)


def _nanguard(x: np.ndarray) -> np.ndarray:
    """Replace all-NaN columns by 0 so nan-reductions do not warn (the NaNs are restored)."""
    allnan = np.isnan(x).all(axis=-2, keepdims=True)
    return np.where(allnan, 0.0, x)


def _percentile_rank(x: np.ndarray, scale: float = 100.0) -> np.ndarray:
    """(average rank − 1) / (n − 1) · scale per column over non-missing units; n = 1 → scale."""
    from scipy.stats import rankdata  # here: importing scipy.stats costs every process ~0.5 s

    ranks = rankdata(x, axis=-2, method="average", nan_policy="omit")
    n = np.sum(~np.isnan(x), axis=-2, keepdims=True)
    g = _nanguard(x)
    const = np.nanmax(g, axis=-2, keepdims=True) == np.nanmin(g, axis=-2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n > 1) & ~const, (ranks - 1) / (n - 1) * scale, scale)


def normalise(
    X: pd.DataFrame,
    method: str,
    benefit: Mapping[str, bool] | pd.Series | None = None,
    target: Mapping[str, float] | pd.Series | None = None,
    goalposts: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Normalise a units × indicators frame (see :func:`normalise_array`)."""
    cols = X.columns
    b = (
        np.ones(len(cols), dtype=bool)
        if benefit is None
        else pd.Series(benefit).reindex(cols).astype(bool).to_numpy()
    )
    t = None if target is None else pd.Series(target, dtype=float).reindex(cols).to_numpy()
    lo = hi = None
    if goalposts is not None:
        gp = {c: goalposts.get(c, (np.nan, np.nan)) for c in cols}
        lo = np.array([gp[c][0] for c in cols], dtype=float)
        hi = np.array([gp[c][1] for c in cols], dtype=float)
    z = normalise_array(X.to_numpy(dtype=float), method, b, t, lo, hi)
    return pd.DataFrame(z, index=X.index, columns=cols)
