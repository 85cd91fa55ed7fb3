"""Column helpers shared by every module of ``commeval.survey``.

A leaf module: it imports nothing from the package, so the design classes, the estimators and
the questionnaire helpers can all use it without an import circle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def as_list(x: str | Sequence[str] | None) -> list[str]:
    """``None`` → ``[]``, a string → ``[x]``, a sequence → a list."""
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def check_columns(data: pd.DataFrame, cols: Sequence[str | None], role: str = "") -> None:
    """ValueError naming the columns of ``cols`` (``None`` skipped) missing from ``data``."""
    missing = [c for c in cols if c is not None and c not in data.columns]
    if missing:
        raise ValueError(
            f"unknown column(s) {missing}{' for ' + role if role else ''}; "
            f"available columns: {list(data.columns)[:30]}"
        )


def numeric_column(data: pd.DataFrame, col: str) -> np.ndarray:
    """A column as float64 (NaN for missing); ValueError if it holds non-numeric values."""
    check_columns(data, [col])
    s = data[col]
    if isinstance(s.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)
    ):
        conv = pd.to_numeric(s, errors="coerce")
        bad = int((conv.isna() & s.notna()).sum())
        if bad or not pd.api.types.is_numeric_dtype(conv.dtype):
            raise ValueError(
                f"column {col!r} is not numeric ({s.dtype}): {bad} of {len(s)} rows hold "
                "non-numeric values; use proportion()/crosstab() for categorical variables"
            )
        s = conv
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def factor_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (int64, sorted levels, -1 for missing) and the levels."""
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def as_year(year: Any) -> int:
    """A survey year given as ``2012``, ``"2012"`` or ``2012.0`` → ``2012``."""
    try:
        y = float(str(year).strip())
    except ValueError:
        raise ValueError(f"调查年度须为年份数字，得到 {year!r} (a year: 2012 or '2012')") from None
    if not y.is_integer():
        raise ValueError(f"调查年度须为整数年份，得到 {year!r} (a whole year)")
    return int(y)
