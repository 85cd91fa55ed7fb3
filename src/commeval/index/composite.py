"""The hierarchical composite on arrays: indicators → dimensions → overall score.

Works on arrays ``N[..., unit, indicator]`` (normalised, NaN = not applicable) so the nominal
run and every Monte Carlo draw use the same code. Not-applicable indicators drop out of their
dimension (weights renormalised within it); a dimension with no applicable indicator drops out
of the composite (dimension weights renormalised).
"""

from __future__ import annotations

import numpy as np

from commeval.index.errors import IndexDataError


def membership(dimension_of: list[str], dimensions: list[str]) -> np.ndarray:
    """One-hot indicator → dimension matrix G (K × D)."""
    g = np.zeros((len(dimension_of), len(dimensions)))
    for k, d in enumerate(dimension_of):
        g[k, dimensions.index(d)] = 1.0
    return g


def _weighted(v, mask, w, G, method, floor):
    """Within-group weighted mean over applicable cells: v (..., T, K), w (..., K)."""
    W = mask * w[..., None, :]
    den = W @ G
    if method == "arithmetic":
        num = (np.where(mask, v, 0.0) * w[..., None, :]) @ G
        with np.errstate(invalid="ignore", divide="ignore"):
            out = num / den
    elif method == "geometric":
        if (v[mask] < 0).any():
            raise IndexDataError("geometric aggregation needs non-negative values (not z-scores)")
        lv = np.log(np.maximum(np.where(mask, v, 1.0), floor))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.exp((lv * w[..., None, :]) @ G / den)
    else:
        raise ValueError(f"unknown within-aggregation {method!r}")
    return np.where(den > 0, out, np.nan)


def hierarchical(
    N: np.ndarray,
    w_ind: np.ndarray,
    G: np.ndarray,
    w_dim: np.ndarray,
    within: str = "arithmetic",
    across: str = "arithmetic",
    floor: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Dimension scores (..., T, D) and composite scores (..., T)."""
    mask = ~np.isnan(N)
    dims = _weighted(N, mask, w_ind, G, within, floor)
    dmask = ~np.isnan(dims)
    comp = _weighted(dims, dmask, w_dim, np.ones((G.shape[1], 1)), across, floor)[..., 0]
    if np.isnan(comp).any():
        raise IndexDataError("a township has no applicable indicator with positive weight")
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
