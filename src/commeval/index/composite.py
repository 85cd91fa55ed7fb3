"""The composite (综合得分) on arrays: indicators → dimensions → overall score.

:func:`composite` is the one composite of the index: the nominal evaluation calls it on
``N[unit, indicator]`` and the Monte Carlo on ``N[draw, unit, indicator]`` with weights per draw,
so both use the same arithmetic. Not-applicable indicators (NaN, or cells outside
``applicable``) drop out of their dimension (weights renormalised within it); a dimension with
no applicable indicator drops out of the composite (dimension weights renormalised).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from commeval.index.aggregation import grey_relational, topsis, triangular_membership
from commeval.index.errors import IndexDataError

HIERARCHICAL = ("arithmetic", "geometric")


def membership(dimension_of: list[str], dimensions: list[str]) -> np.ndarray:
    """One-hot indicator → dimension matrix G (K × D)."""
    g = np.zeros((len(dimension_of), len(dimensions)))
    for k, d in enumerate(dimension_of):
        g[k, dimensions.index(d)] = 1.0
    return g


@dataclass(frozen=True)
class Applicability:
    """Which cells (unit × indicator) are applicable, shared by every draw, with its distinct
    rows (few: e.g. townships with and without a new community) so the weight sums of a batch
    of draws are computed once per pattern."""

    mask: np.ndarray  # (T, K) bool
    patterns: np.ndarray  # (P, K) bool
    pattern_of: np.ndarray  # (T,) row of ``patterns``


def applicability(mask: np.ndarray) -> Applicability:
    """:class:`Applicability` of a (T, K) mask (True = applicable)."""
    mask = np.asarray(mask, dtype=bool)
    patterns, pattern_of = np.unique(mask, axis=0, return_inverse=True)
    return Applicability(mask, patterns, np.asarray(pattern_of).ravel())


def _across(dims, w_dim, method, floor):
    """Weighted mean of the applicable dimension scores: dims (..., T, D), w_dim (..., D)."""
    dmask = ~np.isnan(dims)
    ones = np.ones((dims.shape[-1], 1))
    W = dmask * w_dim[..., None, :]
    den = W @ ones
    if method == "arithmetic":
        num = (np.where(dmask, dims, 0.0) * w_dim[..., None, :]) @ ones
        with np.errstate(invalid="ignore", divide="ignore"):
            out = num / den
    else:
        lv = np.log(np.maximum(np.where(dmask, dims, 1.0), floor))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.exp((lv * w_dim[..., None, :]) @ ones / den)
    return np.where(den > 0, out, np.nan)[..., 0]


def _hierarchical(N, w_ind, G, w_dim, within, across, floor, applicable):
    if within not in HIERARCHICAL:
        raise ValueError(f"unknown within-aggregation {within!r}; use one of {HIERARCHICAL}")
    if applicable is None:
        mask = ~np.isnan(N)
        v = np.where(mask, N, 0.0)
        den_of = None
    else:
        mask, v = applicable.mask, N  # N is 0 at the cells that are not applicable
        den_of = applicable
    dtype = v.dtype
    w = w_ind.astype(dtype)[..., None, :]  # (..., 1, K)
    Gd = G.astype(dtype)
    if den_of is None:
        den = (mask * w) @ Gd
    else:
        den = ((den_of.patterns * w) @ Gd)[..., den_of.pattern_of, :]
    if within == "arithmetic":
        num = (v * w) @ Gd
    else:
        if (v < 0).any():  # the cells that are not applicable hold 0
            raise IndexDataError(
                "几何平均汇总（geometric）需要非负的标准化值：请改用 minmax、target 等标准化，"
                "不要用 z 分数 (geometric aggregation needs non-negative values (not z-scores))"
            )
        lv = np.log(np.maximum(np.where(mask, v, dtype.type(1)), dtype.type(floor)))
        num = (lv * w) @ Gd
    num, den = num.astype(np.float64), den.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        dims = num / den
    if within == "geometric":
        dims = np.exp(dims)
    dims = np.where(den > 0, dims, np.nan)
    return dims, _across(dims, np.asarray(w_dim, dtype=np.float64), across, floor)


def composite(
    N: np.ndarray,
    w_ind: np.ndarray,
    G: np.ndarray,
    w_dim: np.ndarray,
    within: str = "arithmetic",
    method: str = "arithmetic",
    floor: float = 1.0,
    options: Mapping[str, Any] | None = None,
    applicable: Applicability | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Dimension scores (..., T, D) and composite scores (..., T) of normalised values
    ``N[..., T, K]`` (NaN = not applicable) with indicator weights ``w_ind[..., K]`` (within
    their dimension), membership ``G`` (K × D) and dimension weights ``w_dim[..., D]``.

    Dimensions aggregate their indicators by ``within`` (arithmetic or geometric, values raised
    to ``floor`` first); the composite aggregates the dimensions by ``method`` (arithmetic or
    geometric), or — TOPSIS, grey relational, fuzzy, on 2-D ``N`` only — aggregates all
    indicators with their effective weights (:func:`effective_weights`), scaled to 0–100.
    ``options``: ``normalization`` (TOPSIS), ``rho`` (grey), ``centres`` (fuzzy: the grade
    centres, worst first). ``applicable``: the cells that count when ``N`` holds 0 instead of
    NaN at the others (the Monte Carlo's float32 batches); the arithmetic then runs in ``N``'s
    dtype up to the divisions, which are float64.
    """
    N = np.asarray(N)
    w_ind, w_dim = np.asarray(w_ind), np.asarray(w_dim)
    across = method if method in HIERARCHICAL else "arithmetic"
    dims, comp = _hierarchical(N, w_ind, G, w_dim, within, across, floor, applicable)
    if np.isnan(comp).any():
        raise IndexDataError(
            "有乡镇在某个维度没有一个适用且权重大于 0 的指标：请检查该维度指标的权重"
            "（indicator_weights / 框架中的 weight）和“不适用”设置"
            " (a township has no applicable indicator with positive weight)"
        )
    if method in HIERARCHICAL:
        return dims, comp
    if N.ndim != 2 or applicable is not None:
        raise ValueError(f"{method} aggregation works on one units × indicators array")
    opts = dict(options or {})
    Nf = pd.DataFrame(N)
    W = pd.DataFrame(effective_weights(N, w_ind, G, w_dim))
    if method == "topsis":
        comp = 100 * topsis(Nf, W, True, opts.get("normalization", "vector")).to_numpy()
    elif method == "grey":
        comp = 100 * grey_relational(Nf, W, True, rho=float(opts.get("rho", 0.5))).to_numpy()
    elif method == "fuzzy":
        # B_t = Σ_k W_tk R_tk (weighted-average operator, per-township weights)
        centres: Sequence[float] = opts["centres"]
        R = triangular_membership(N, centres)
        B = np.einsum("tk,tkg->tg", W.to_numpy(), np.nan_to_num(R))
        comp = B @ np.asarray(centres) / B.sum(axis=1)
    else:
        raise ValueError(f"unknown aggregation {method!r}")
    return dims, comp


def effective_weights(N: np.ndarray, w_ind: np.ndarray, G: np.ndarray, w_dim: np.ndarray):
    """Per-unit weight of each indicator in the composite (T × K), after redistribution of
    not-applicable indicators and dimensions; rows sum to 1."""
    mask = ~np.isnan(N)
    W = mask * w_ind[None, :]
    den = W @ G
    with np.errstate(invalid="ignore", divide="ignore"):
        within = np.where(den @ G.T > 0, W / (den @ G.T), 0.0)
    dmask = den > 0
    V = dmask * w_dim[None, :]
    V = V / V.sum(axis=1, keepdims=True)
    return within * (V @ G.T)


def treat_not_applicable(
    dims: np.ndarray,
    w_dim: np.ndarray,
    modes: Sequence[str],
    method: str = "arithmetic",
    floor: float = 1.0,
) -> np.ndarray:
    """Composite scores (..., T) of dimension scores ``dims`` (..., T, D; NaN = not applicable)
    with dimension weights ``w_dim`` (..., D) under each dimension's not-applicable treatment
    ``modes`` (framework ``not_applicable``): ``renormalise`` leaves the dimension out of that
    township's composite (its weight spread over the others), ``neutral`` counts it at the mean
    of the townships it applies to, ``separate`` leaves it out of every township's composite.
    A dimension that applies to every township (or to none) is the same under all three.
    Leading axes are Monte Carlo draws: the nominal composite and every draw use this one
    function, each draw's neutral value being the mean of that draw's scores."""
    d = np.array(dims, dtype=float, copy=True)
    w = np.array(np.broadcast_to(w_dim, d.shape[:-2] + d.shape[-1:]), dtype=float, copy=True)
    for j, mode in enumerate(modes):
        if mode == "renormalise":
            continue
        col = d[..., j]  # (..., T)
        na = np.isnan(col)
        partial = na.any(axis=-1) & ~na.all(axis=-1)  # (...,)
        if not partial.any():
            continue
        if mode == "neutral":
            n = np.maximum((~na).sum(axis=-1, keepdims=True), 1)
            mean = np.where(na, 0.0, col).sum(axis=-1, keepdims=True) / n
            d[..., j] = np.where(na & partial[..., None], mean, col)
        elif mode == "separate":
            w[..., j] = np.where(partial, 0.0, w[..., j])
    across = method if method in HIERARCHICAL else "arithmetic"
    return _across(d, w, across, floor)
