"""Target attainment (达标), ranks and grades."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def attained(
    X: pd.DataFrame,
    target: Mapping[str, float] | pd.Series,
    benefit: Mapping[str, bool] | pd.Series,
) -> pd.DataFrame:
    """Whether each unit meets each indicator's target (benefit: x ≥ target, cost: x ≤ target);
    missing (not applicable) cells are ``<NA>``."""
    t = pd.Series(target, dtype=float).reindex(X.columns).to_numpy()
    b = pd.Series(benefit).reindex(X.columns).astype(bool).to_numpy()
    x = X.to_numpy(dtype=float)
    tol = 1e-9 * np.maximum(np.abs(t), 1.0)
    met = np.where(b, x >= t - tol, x <= t + tol)
    out = pd.DataFrame(met, index=X.index, columns=X.columns).astype("boolean")
    return out.mask(np.isnan(x))


def attainment_rate(met: pd.DataFrame) -> pd.Series:
    """达标率: share of applicable indicators met, per unit."""
    return met.astype("Float64").mean(axis=1, skipna=True).astype(float).rename("attainment")


def rank_scores(score: pd.Series) -> pd.Series:
    """Rank 1 = best; ties (equal to 1e-9 points) share the best rank (``min``)."""
    return score.round(9).rank(ascending=False, method="min").astype(int).rename("rank")


def grade(score: pd.Series, cutoffs: Sequence[tuple[str, float]]) -> pd.Series:
    """Grade from cut-offs ``[(name, min_score), ...]`` ordered from best to worst."""
    names = [n for n, _ in cutoffs]
    mins = np.array([m for _, m in cutoffs], dtype=float)
    s = score.to_numpy(dtype=float)
    idx = np.argmax(s[:, None] >= mins[None, :] - 1e-9, axis=1)
    idx = np.where(s >= mins.min() - 1e-9, idx, len(names) - 1)
    return pd.Series(np.asarray(names, dtype=object)[idx], index=score.index, name="grade")
