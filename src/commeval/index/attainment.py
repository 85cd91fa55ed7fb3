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


# Scores equal to this many decimals share a rank: the nominal ranks and the Monte Carlo ranks
# (whose float32 arithmetic is good to ~1e-5 points) use the same rule.
RANK_DECIMALS = 4


def rank_array(scores: np.ndarray, decimals: int = RANK_DECIMALS) -> np.ndarray:
    """Ranks along the last axis of ``scores[..., unit]``: 1 = highest score; scores equal to
    ``decimals`` decimals are ties and share the best rank (``min``). The one rank rule of the
    index (nominal ranks, Monte Carlo ranks, ranks of the previous year)."""
    s = -np.round(np.asarray(scores, dtype=float), decimals)
    order = np.argsort(s, axis=-1, kind="stable")
    srt = np.take_along_axis(s, order, axis=-1)
    n = s.shape[-1]
    pos = np.broadcast_to(np.arange(n), s.shape)
    new = np.ones(s.shape, dtype=bool)
    new[..., 1:] = srt[..., 1:] != srt[..., :-1]
    start = np.maximum.accumulate(np.where(new, pos, 0), axis=-1)
    ranks = np.empty(s.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, (start + 1).astype(np.int32), axis=-1)
    return ranks


def rank_scores(score: pd.Series) -> pd.Series:
    """Rank 1 = best per unit (:func:`rank_array`)."""
    return pd.Series(
        rank_array(score.to_numpy(dtype=float)).astype(int), index=score.index, name="rank"
    )


def grade(score: pd.Series, cutoffs: Sequence[tuple[str, float]]) -> pd.Series:
    """Grade from cut-offs ``[(name, min_score), ...]`` ordered from best to worst."""
    names = [n for n, _ in cutoffs]
    mins = np.array([m for _, m in cutoffs], dtype=float)
    s = score.to_numpy(dtype=float)
    idx = np.argmax(s[:, None] >= mins[None, :] - 1e-9, axis=1)
    idx = np.where(s >= mins.min() - 1e-9, idx, len(names) - 1)
    return pd.Series(np.asarray(names, dtype=object)[idx], index=score.index, name="grade")
