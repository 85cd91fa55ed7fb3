"""Imputation of missing indicator values, with a record of every imputed cell."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commeval.index.errors import IndexDataError

METHODS = ("none", "mean", "median", "group_median")


@dataclass(frozen=True)
class Imputation:
    """Imputed data and the record: one row per missing cell (unit, indicator, method, value)."""

    data: pd.DataFrame
    record: pd.DataFrame


def impute(
    X: pd.DataFrame,
    method: str = "none",
    groups: pd.Series | None = None,
    skip: Iterable[str] = (),
) -> Imputation:
    """Fill missing values column-wise by ``mean``, ``median`` or ``group_median`` (median within
    ``groups``, falling back to the overall median when a group has no value); ``none`` leaves
    them missing (the pipeline then treats them as not applicable). Columns in ``skip`` are
    never filled. An all-missing column that is not skipped raises :class:`IndexDataError`."""
    if method not in METHODS:
        raise ValueError(f"unknown imputation {method!r}; use one of {METHODS}")
    skip = set(skip)
    out = X.copy()
    rows = []
    for col in X.columns:
        if col in skip:
            continue
        s = X[col].astype(float)
        miss = s.isna()
        if not miss.any():
            continue
        if miss.all():
            raise IndexDataError(
                f"指标 {col!r} 在所有乡镇都没有值，无法插补：请检查其公式所用字段是否已填写，"
                "或在框架中写 missing: not_applicable"
                f" (indicator {col!r} is missing for every township)"
            )
        how = pd.Series(method, index=s.index)
        if method == "mean":
            fill = pd.Series(s.mean(), index=s.index)
        elif method == "median":
            fill = pd.Series(s.median(), index=s.index)
        elif method == "group_median":
            if groups is None:
                raise ValueError("group_median imputation needs groups")
            g = pd.Series(np.asarray(groups), index=s.index)
            fill = s.groupby(g).transform("median")
            empty = fill.isna()
            how = how.where(~empty, "median (group empty)")
            fill = fill.where(~empty, s.median())
        else:
            fill = pd.Series(np.nan, index=s.index)
        out[col] = s.where(~miss, fill)
        for unit in s.index[miss]:
            rows.append((unit, col, how[unit], float(fill[unit])))
    record = pd.DataFrame(rows, columns=["unit", "indicator", "method", "value"])
    return Imputation(out, record)
