"""Suppression of unreliable estimates by coefficient of variation (CV) and cell size, as
statistical offices publish them: an estimate is suppressed when its CV exceeds ``max_cv``
(default 30 %) or its cell has fewer than ``min_n`` respondents, and flagged (use with care)
when its CV exceeds ``warn_cv`` (default 15 %)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: reasons in the ``suppress_reason`` column
REASONS = ("small_cell", "cv", "")


def suppression(
    frame: pd.DataFrame,
    max_cv: float = 0.3,
    warn_cv: float | None = 0.15,
    min_n: int | None = None,
) -> pd.DataFrame:
    """A copy of an estimator's result with ``cv`` (added as se / |estimate| when absent),
    ``suppress`` (CV above ``max_cv``, an undefined CV, or a small cell), ``suppress_reason``
    ("small_cell", "cv" or "") and ``cv_warning`` (CV above ``warn_cv``, not suppressed).

    ``min_n=None`` uses the frame's ``small_cell`` column (the design's threshold) when there
    is one; otherwise only the CV decides."""
    if not {"estimate", "se"} <= set(frame.columns):
        raise ValueError("suppression needs a result frame with 'estimate' and 'se' columns")
    out = frame.copy()
    if "cv" not in out.columns:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["cv"] = out["se"].to_numpy(float) / out["estimate"].to_numpy(float)
    cv = np.abs(out["cv"].to_numpy(float))
    if min_n is not None:
        small = out["n"].to_numpy() < min_n
    elif "small_cell" in out.columns:
        small = out["small_cell"].to_numpy(dtype=bool)
    else:
        small = np.zeros(len(out), dtype=bool)
    high = ~(cv <= max_cv)  # NaN CV (estimate 0, no data) is suppressed too
    out["suppress"] = small | high
    out["suppress_reason"] = np.where(small, "small_cell", np.where(high, "cv", ""))
    warn = np.zeros(len(out), dtype=bool) if warn_cv is None else (cv > warn_cv)
    out["cv_warning"] = warn & ~out["suppress"].to_numpy()
    return out
