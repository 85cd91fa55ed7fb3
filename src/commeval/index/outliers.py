"""Outlier treatment as COINr's ``Treat``: winsorise while |skew| > 2 and kurtosis > 3.5, up to
a maximum number of points, else fall back to a log transform."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SKEW_LIMIT = 2.0
KURT_LIMIT = 3.5
MAX_POINTS = 5


@dataclass(frozen=True)
class Treatment:
    """Treated data and one record row per indicator."""

    data: pd.DataFrame
    record: pd.DataFrame


def skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis (bias-corrected, as Excel's SKEW and KURT)."""
    x = x[~np.isnan(x)]
    if len(x) < 4 or np.ptp(x) == 0:
        return 0.0, 0.0
    s = pd.Series(x)  # pandas' skew/kurt are the bias-corrected G1/G2 (as scipy's bias=False)
    return float(s.skew()), float(s.kurt())


def _bad(x: np.ndarray, skew_limit: float, kurt_limit: float) -> bool:
    s, k = skew_kurt(x)
    return abs(s) > skew_limit and k > kurt_limit


def treat_column(
    x: np.ndarray,
    skew_limit: float = SKEW_LIMIT,
    kurt_limit: float = KURT_LIMIT,
    max_points: int = MAX_POINTS,
) -> tuple[np.ndarray, dict]:
    """Treat one column; return the treated values and a record dict."""
    x = np.asarray(x, dtype=float)
    s0, k0 = skew_kurt(x)
    rec = {"treatment": "none", "points": 0, "skew_before": s0, "kurt_before": k0}
    if not _bad(x, skew_limit, kurt_limit):
        return x, rec | {"skew_after": s0, "kurt_after": k0}
    y = x.copy()
    ok = ~np.isnan(y)
    for points in range(1, max_points + 1):
        s, _ = skew_kurt(y)
        idx = np.flatnonzero(ok)
        vals = y[idx]
        if s > 0:
            top = idx[np.argmax(vals)]
            y[top] = np.max(np.delete(vals, np.argmax(vals)))
        else:
            low = idx[np.argmin(vals)]
            y[low] = np.min(np.delete(vals, np.argmin(vals)))
        if not _bad(y, skew_limit, kurt_limit):
            s1, k1 = skew_kurt(y)
            return y, rec | {
                "treatment": "winsorised",
                "points": points,
                "skew_after": s1,
                "kurt_after": k1,
            }
    # fall back: log transform of the original values, order-preserving for either skew sign
    if s0 > 0:
        y = np.log(x - np.nanmin(x) + 1.0)
    else:
        y = -np.log(np.nanmax(x) - x + 1.0)
    s1, k1 = skew_kurt(y)
    return y, rec | {"treatment": "log", "points": 0, "skew_after": s1, "kurt_after": k1}


def treat(
    X: pd.DataFrame,
    method: str = "winsorise",
    skew_limit: float = SKEW_LIMIT,
    kurt_limit: float = KURT_LIMIT,
    max_points: int = MAX_POINTS,
) -> Treatment:
    """Treat every column (``method="winsorise"``) or none (``"none"``)."""
    if method not in ("winsorise", "none"):
        raise ValueError(f"unknown outlier treatment {method!r}; use 'winsorise' or 'none'")
    out = X.astype(float).copy()
    rows = []
    for col in X.columns:
        x = X[col].to_numpy(dtype=float)
        if method == "none":
            s, k = skew_kurt(x)
            rec = {"treatment": "none", "points": 0, "skew_before": s, "kurt_before": k}
            rec |= {"skew_after": s, "kurt_after": k}
            y = x
        else:
            y, rec = treat_column(x, skew_limit, kurt_limit, max_points)
        out[col] = y
        rows.append({"indicator": col, **rec})
    return Treatment(out, pd.DataFrame(rows))
