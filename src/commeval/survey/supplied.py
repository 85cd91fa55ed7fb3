"""Replicate weights supplied with the data (R ``svrepdesign``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .design import SurveyDesign
from .replicate import ReplicateDesign

SUPPLIED_TYPES = ("BRR", "Fay", "JK1", "JKn", "bootstrap", "other")


def svrepdesign(
    data: pd.DataFrame,
    repweights: Sequence[str] | str | np.ndarray,
    type: str,
    weights: str | None = None,
    combined_weights: bool = True,
    scale: float | None = None,
    rscales: Sequence[float] | np.ndarray | None = None,
    rho: float | None = None,
    mse: bool = False,
    min_n: int = 30,
) -> ReplicateDesign:
    """A design from replicate weights supplied with the data (R ``svrepdesign``).

    ``repweights``: column names, a regular expression matching them (a string), or an
    (n x replicates) array. ``combined_weights=True``: they are the replicate analysis
    weights; ``False``: factors multiplying ``weights``. Variance
    ``scale * sum_r rscales_r (theta_r - center)^2``, ``center`` the replicate mean (or the
    estimate, ``mse=True``); default ``scale`` by ``type`` as R: BRR 1/R, Fay
    1/(R (1-rho)^2), JK1 (R-1)/R, bootstrap 1/(R-1), JKn and other 1 (JKn needs
    ``rscales``). Degrees of freedom: rank of the replicate weights minus 1, as R."""
    types = {t.lower(): t for t in SUPPLIED_TYPES}
    if type.lower() not in types:
        raise ValueError(f"type must be one of {SUPPLIED_TYPES}, got {type!r}")
    t = types[type.lower()]
    if isinstance(repweights, str):
        cols = [c for c in data.columns if pd.Series([c]).str.contains(repweights).iloc[0]]
        if not cols:
            raise ValueError(f"repweights: no column matches {repweights!r}")
        A = data[cols].to_numpy(float)
    elif isinstance(repweights, np.ndarray):
        A = np.asarray(repweights, float)
    else:
        A = data[list(repweights)].to_numpy(float)
    if A.ndim != 2 or A.shape[0] != len(data):
        raise ValueError(f"repweights must have {len(data)} rows, got shape {A.shape}")
    if np.isnan(A).any():
        raise ValueError(f"repweights have {int(np.isnan(A).sum())} missing values")
    R = A.shape[1]
    base = SurveyDesign(data, weights=weights, lonely_psu="remove", min_n=min_n)
    w = base.weights
    if combined_weights:
        with np.errstate(divide="ignore", invalid="ignore"):
            factors = np.where(w[:, None] > 0, A / w[:, None], 0.0).T
    else:
        factors = A.T
    if t == "Fay" and rho is None:
        raise ValueError("type='Fay' needs rho")
    if t == "JKn" and rscales is None:
        raise ValueError("type='JKn' needs rscales")
    if scale is None:
        scale = {
            "BRR": 1.0 / R,
            "Fay": 1.0 / (R * (1 - (rho or 0.0)) ** 2),
            "JK1": (R - 1) / R,
            "bootstrap": 1.0 / (R - 1),
        }.get(t, 1.0)
    rs = np.ones(R) if rscales is None else np.asarray(rscales, float)
    if rs.shape != (R,):
        raise ValueError(f"rscales must have {R} values, got {rs.shape}")
    degf = int(np.linalg.matrix_rank(A, tol=None)) - 1
    return ReplicateDesign(base, factors, float(scale), rs, t, degf, mse=mse)
