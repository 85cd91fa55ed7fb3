"""Aggregation of criteria into one score per alternative.

Weighted arithmetic and geometric means, TOPSIS, grey relational analysis and fuzzy comprehensive
evaluation. Inputs are frames of alternatives × criteria and weights indexed by criterion. A NaN
cell means "not applicable": that alternative's weights are renormalised over its other criteria.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commeval.index.normalise import normalise_array

# the composite's aggregation methods (framework steps.aggregation.method) and those allowed
# within dimensions (steps.aggregation.within, uncertainty.aggregations)
AGGREGATIONS = ("arithmetic", "geometric", "topsis", "grey", "fuzzy")
WITHIN = ("arithmetic", "geometric")
GEOMETRIC_FLOOR = 1.0  # on the 0–100 scale: values below are raised to it before taking logs


def _prepare(X: pd.DataFrame, weights: pd.Series | pd.DataFrame | Mapping[str, float]):
    """Values and per-alternative weights renormalised over non-missing cells. ``weights`` is
    one weight per criterion, or a frame of weights per alternative × criterion."""
    if isinstance(weights, pd.DataFrame):
        w = weights.reindex(index=X.index, columns=X.columns).to_numpy(dtype=float)
    else:
        w = pd.Series(weights, dtype=float)
        missing = [c for c in X.columns if c not in w.index]
        if missing:
            raise ValueError(f"weights missing for criteria {missing}")
        w = w.reindex(X.columns).to_numpy()
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and non-negative")
    x = X.to_numpy(dtype=float)
    W = np.where(np.isnan(x), 0.0, w)
    tot = W.sum(axis=1)
    if (tot <= 0).any():
        bad = list(X.index[tot <= 0])
        raise ValueError(f"alternatives {bad} have no applicable criterion with positive weight")
    return x, W / tot[:, None]


def row_weights(X: pd.DataFrame, weights: pd.Series | Mapping[str, float]) -> pd.DataFrame:
    """Per-alternative weights renormalised over the non-missing cells."""
    _, W = _prepare(X, weights)
    return pd.DataFrame(W, index=X.index, columns=X.columns)


def weighted_arithmetic(X: pd.DataFrame, weights: pd.Series | Mapping[str, float]) -> pd.Series:
    """Σ_j w_j x_j over applicable criteria (weights renormalised per alternative)."""
    x, W = _prepare(X, weights)
    return pd.Series(np.nansum(W * np.nan_to_num(x), axis=1), index=X.index, name="score")


def weighted_geometric(
    X: pd.DataFrame,
    weights: pd.Series | Mapping[str, float],
    floor: float = GEOMETRIC_FLOOR,
) -> pd.Series:
    """Π_j max(x_j, floor)^w_j. Values must be ≥ 0 (e.g. 0–100 scores); the floor keeps a zero
    from wiping out the score and log(0) from occurring (default 1 point on 0–100)."""
    if floor <= 0:
        raise ValueError(f"the geometric floor must be positive, got {floor}")
    x, W = _prepare(X, weights)
    if (x[~np.isnan(x)] < 0).any():
        raise ValueError("geometric aggregation needs non-negative values (not z-scores)")
    lx = np.log(np.maximum(np.nan_to_num(x, nan=1.0), floor))
    return pd.Series(np.exp((W * lx).sum(axis=1)), index=X.index, name="score")


def _benefit(X: pd.DataFrame, benefit) -> np.ndarray:
    if benefit is None:
        return np.ones(X.shape[1], dtype=bool)
    if isinstance(benefit, bool):
        return np.full(X.shape[1], benefit)
    return pd.Series(benefit).reindex(X.columns).astype(bool).to_numpy()


def topsis(
    X: pd.DataFrame,
    weights: pd.Series | Mapping[str, float],
    benefit: Mapping[str, bool] | pd.Series | bool | None = None,
    normalization: str = "vector",
) -> pd.Series:
    """TOPSIS closeness C_i = S⁻_i / (S⁺_i + S⁻_i) (Hwang & Yoon 1981).

    ``normalization="vector"``: r_ij = x_ij / sqrt(Σ_i x_ij²), v = w·r, ideal = best v per
    criterion; ``"minmax"``: r in [0, 1] direction-aware, ideal 1 and anti-ideal 0.
    """
    x, W = _prepare(X, weights)
    b = _benefit(X, benefit)
    if normalization == "vector":
        norm = np.sqrt(np.nansum(x**2, axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(norm > 0, x / norm, 0.0)
        best = np.where(b, np.nanmax(r, axis=0), np.nanmin(r, axis=0))
        worst = np.where(b, np.nanmin(r, axis=0), np.nanmax(r, axis=0))
    elif normalization == "minmax":
        r = normalise_array(x, "minmax", b, scale=1.0)
        best, worst = np.ones(x.shape[1]), np.zeros(x.shape[1])
    else:
        raise ValueError(
            f"TOPSIS 的 normalization 须为 vector 或 minmax，现为 {normalization!r}"
            "（框架 steps.aggregation 或 settings 的 aggregation.normalization）"
            f" (unknown normalization {normalization!r}; use 'vector' or 'minmax')"
        )
    s_plus = np.sqrt(np.nansum((W * (r - best)) ** 2, axis=1))
    s_minus = np.sqrt(np.nansum((W * (r - worst)) ** 2, axis=1))
    tot = s_plus + s_minus
    if (tot <= 0).any():
        raise ValueError(
            "TOPSIS 无法计算：有乡镇同时等于正、负理想解（各指标在乡镇间没有差异，如只有一个乡镇"
            "或各列为常数）；请改用 arithmetic 等汇总方法"
            " (TOPSIS undefined: an alternative coincides with both the ideal and the anti-ideal"
            " — no criterion varies, e.g. a single alternative or constant columns)"
        )
    return pd.Series(s_minus / tot, index=X.index, name="closeness")


def grey_relational(
    X: pd.DataFrame,
    weights: pd.Series | Mapping[str, float],
    benefit: Mapping[str, bool] | pd.Series | bool | None = None,
    rho: float = 0.5,
    normalization: str = "minmax",
    reference: pd.Series | None = None,
) -> pd.Series:
    """Grey relational grade γ_i = Σ_j w_j ξ_ij with
    ξ_ij = (Δmin + ρ Δmax) / (Δ_ij + ρ Δmax), Δ_ij = |x0_j − x_ij| (Deng's ρ = 0.5).

    ``normalization="minmax"`` scales columns to [0, 1] (direction-aware) and the reference is
    the ideal sequence of ones; ``"none"`` uses the values as given with ``reference`` (default:
    the best value per criterion). If all Δ are 0, every ξ is 1.
    """
    if not 0 < rho <= 1:
        raise ValueError(
            f"灰色关联分析的分辨系数 rho 须在 (0, 1] 之间（常用 0.5），现为 {rho}"
            f" (rho must be in (0, 1], got {rho})"
        )
    x, W = _prepare(X, weights)
    b = _benefit(X, benefit)
    if normalization == "minmax":
        z = normalise_array(x, "minmax", b, scale=1.0)
        ref = np.ones(x.shape[1])
    elif normalization == "none":
        z = x
        if reference is None:
            ref = np.where(b, np.nanmax(x, axis=0), np.nanmin(x, axis=0))
        else:
            ref = pd.Series(reference, dtype=float).reindex(X.columns).to_numpy()
    else:
        raise ValueError(
            f"灰色关联分析的 normalization 须为 minmax 或 none，现为 {normalization!r}"
            f" (unknown normalization {normalization!r}; use 'minmax' or 'none')"
        )
    delta = np.abs(ref - z)
    dmin, dmax = np.nanmin(delta), np.nanmax(delta)
    if dmax <= 0:
        xi = np.ones_like(delta)
    else:
        xi = (dmin + rho * dmax) / (delta + rho * dmax)
    return pd.Series(np.nansum(W * xi, axis=1), index=X.index, name="grade")


def triangular_membership(values: np.ndarray, centres: Sequence[float]) -> np.ndarray:
    """Membership of each value in grades with the given increasing centres: triangular
    functions between neighbouring centres, saturating at the ends (rows sum to 1)."""
    c = np.asarray(centres, dtype=float)
    if np.any(np.diff(c) <= 0):
        raise ValueError(
            f"模糊综合评价的等级中心 centres 须严格递增（由差到好），现为 {list(c)}"
            f" (grade centres must increase strictly: {list(c)})"
        )
    v = np.clip(np.asarray(values, dtype=float), c[0], c[-1])
    out = np.zeros(v.shape + (len(c),))
    k = np.clip(np.searchsorted(c, v, side="right") - 1, 0, len(c) - 2)
    frac = (v - c[k]) / (c[k + 1] - c[k])
    np.put_along_axis(out, k[..., None], (1 - frac)[..., None], axis=-1)
    hi = np.take_along_axis(out, (k + 1)[..., None], axis=-1) + frac[..., None]
    np.put_along_axis(out, (k + 1)[..., None], hi, axis=-1)
    out[np.isnan(np.asarray(values, dtype=float))] = np.nan
    return out


@dataclass(frozen=True)
class FuzzyResult:
    """Fuzzy comprehensive evaluation: membership vector B per alternative, the grade with
    maximum membership, and the score B·grade_values / ΣB."""

    membership: pd.DataFrame
    grade: pd.Series
    score: pd.Series


def fuzzy_evaluation(
    R: np.ndarray | pd.DataFrame,
    weights: pd.Series | Sequence[float],
    grades: Sequence[str],
    grade_values: Sequence[float],
    operator: str = "weighted_average",
    alternatives: Sequence[str] | None = None,
) -> FuzzyResult:
    """B = W ∘ R for membership matrices R (criteria × grades, or alternatives × criteria ×
    grades). ``weighted_average`` is M(·, ⊕): b_k = Σ_j w_j r_jk; ``max_min`` is Zadeh's
    M(∧, ∨): b_k = max_j min(w_j, r_jk), normalised to sum to 1. NaN rows of R (criterion not
    applicable) drop out with weights renormalised."""
    r = np.asarray(R, dtype=float)
    if r.ndim == 2:
        r = r[None]
    if r.ndim != 3 or r.shape[2] != len(grades) or len(grade_values) != len(grades):
        raise ValueError(f"membership array shape {r.shape} does not match {len(grades)} grades")
    w = np.asarray(weights, dtype=float)
    if w.shape != (r.shape[1],) or (w < 0).any():
        raise ValueError("one non-negative weight per criterion is required")
    applicable = ~np.isnan(r).any(axis=2)
    W = np.where(applicable, w, 0.0)
    tot = W.sum(axis=1, keepdims=True)
    if (tot <= 0).any():
        raise ValueError("an alternative has no applicable criterion with positive weight")
    W = W / tot
    rr = np.nan_to_num(r)
    if operator == "weighted_average":
        b = np.einsum("ij,ijk->ik", W, rr)
    elif operator == "max_min":
        b = np.max(np.minimum(W[:, :, None], rr), axis=1)
        b = b / b.sum(axis=1, keepdims=True)
    else:
        raise ValueError(f"unknown operator {operator!r}; use 'weighted_average' or 'max_min'")
    idx = list(alternatives) if alternatives is not None else list(range(b.shape[0]))
    mem = pd.DataFrame(b, index=idx, columns=list(grades))
    gv = np.asarray(grade_values, dtype=float)
    score = pd.Series(b @ gv / b.sum(axis=1), index=idx, name="score")
    grade = pd.Series(np.asarray(grades, dtype=object)[b.argmax(axis=1)], index=idx, name="grade")
    return FuzzyResult(mem, grade, score)
