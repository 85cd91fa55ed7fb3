"""Statistical coherence of a framework on data: correlation flags and Cronbach's α per
dimension, as COINr's ``get_corr_flags`` and ``get_cronbach``.

:func:`indicator_alpha` is the unweighted α of indicator columns over townships (COINr's
``get_cronbach``); it is not :func:`commeval.survey.cronbach_alpha`, the design-weighted α of
survey items over respondents (R ``svycralpha``), which takes a survey design."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def indicator_alpha(X: pd.DataFrame) -> float:
    """Cronbach's α of the columns of ``X`` (unweighted):
    α = k/(k − 1) · (1 − Σ var(x_j) / var(Σ x_j)) on complete rows; NaN when k < 2 or the
    total has no variance."""
    x = X.dropna().to_numpy(dtype=float)
    k = x.shape[1]
    if k < 2 or x.shape[0] < 2:
        return float("nan")
    tot_var = x.sum(axis=1).var(ddof=1)
    if tot_var <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / tot_var))


def cronbach_by_group(X: pd.DataFrame, groups: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Cronbach's α of each group (dimension) of indicators."""
    rows = [
        {"dimension": g, "k": len(cols), "alpha": indicator_alpha(X[list(cols)])}
        for g, cols in groups.items()
    ]
    return pd.DataFrame(rows, columns=["dimension", "k", "alpha"])


def corr_flags(
    X: pd.DataFrame,
    groups: Mapping[str, Sequence[str]],
    threshold: float = -0.4,
    kind: str = "low",
    method: str = "pearson",
) -> pd.DataFrame:
    """Pairs of indicators in the same group whose correlation is below ``threshold``
    (``kind="low"``, e.g. negatively correlated: −0.4) or above it (``kind="high"``, e.g.
    collinear: 0.9)."""
    if kind not in ("low", "high"):
        raise ValueError(f"kind must be 'low' or 'high', got {kind!r}")
    rows = []
    for g, cols in groups.items():
        cols = list(cols)
        if len(cols) < 2:
            continue
        c = X[cols].corr(method=method).to_numpy()
        for i in range(len(cols)):
            for j in range(i + 1, len(cols)):
                r = c[i, j]
                if np.isnan(r):
                    continue
                if (kind == "low" and r < threshold) or (kind == "high" and r > threshold):
                    rows.append({"dimension": g, "ind_1": cols[i], "ind_2": cols[j], "corr": r})
    return pd.DataFrame(rows, columns=["dimension", "ind_1", "ind_2", "corr"])
