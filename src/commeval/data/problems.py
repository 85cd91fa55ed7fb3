"""The problems table (问题清单): one row per problem found in the raw data.

Columns: severity (error/warning), file, sheet, row (as seen in Excel: header row + data row
number; 0 or empty for file- and column-level problems), column (source header), field
(canonical name), value, rule (English id) and message (Chinese).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ["severity", "file", "sheet", "row", "column", "field", "value", "rule", "message"]
COLUMN_LABELS = {
    "severity": "级别",
    "file": "文件",
    "sheet": "工作表",
    "row": "行",
    "column": "列（原表头）",
    "field": "字段",
    "value": "值",
    "rule": "规则",
    "message": "说明",
}
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}
ERROR, WARNING = "error", "warning"
MAX_VALUE_CHARS = 80


def empty() -> pd.DataFrame:
    """An empty problems table with the standard columns and dtypes."""
    global _EMPTY
    if _EMPTY is None:
        _EMPTY = _typed(pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS}))
    return _EMPTY.copy(deep=False)


_EMPTY: pd.DataFrame | None = None


def one(
    severity: str,
    rule: str,
    message: str,
    *,
    file: str = "",
    sheet: str = "",
    row: int | None = None,
    column: str = "",
    field: str = "",
    value: Any = "",
) -> dict[str, Any]:
    """A single problem as a dict (collect many, then :func:`frame`)."""
    return dict(
        severity=severity,
        file=file,
        sheet=sheet,
        row=row,
        column=column,
        field=field,
        value=_short(value),
        rule=rule,
        message=message,
    )


def frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    rows = list(rows)
    if not rows:
        return empty()
    return _typed(pd.DataFrame(rows, columns=COLUMNS))


def cells(
    mask: np.ndarray,
    *,
    severity: str,
    rule: str,
    message: str | pd.Series | np.ndarray,
    file: str | np.ndarray,
    sheet: str | np.ndarray,
    rows: np.ndarray,
    column: str,
    field: str,
    values: pd.Series | np.ndarray,
) -> pd.DataFrame:
    """Problem rows for the cells where ``mask`` is true (built only for failing cells).
    ``file`` and ``sheet`` are one name, or one per row (a table read from several files)."""
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    if len(idx) == 0:
        return empty()
    if not isinstance(file, str):
        file = np.asarray(file, dtype=object)[idx]
    if not isinstance(sheet, str):
        sheet = np.asarray(sheet, dtype=object)[idx]
    vals = pd.Series(np.asarray(values, dtype=object)[idx]).map(_short)
    msg = message if isinstance(message, str) else np.asarray(message, dtype=object)[idx]
    out = pd.DataFrame(
        {
            "severity": severity,
            "file": file,
            "sheet": sheet,
            "row": np.asarray(rows)[idx],
            "column": column,
            "field": field,
            "value": vals.to_numpy(),
            "rule": rule,
            "message": msg,
        }
    )
    return _typed(out)


def concat(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty()
    if len(parts) == 1:
        return parts[0]
    return _typed(pd.concat(parts, ignore_index=True))


def sort(problems: pd.DataFrame) -> pd.DataFrame:
    """Errors first, then by file, sheet and row."""
    if problems.empty:
        return problems
    key = problems["severity"].map({ERROR: 0, WARNING: 1}).fillna(2)
    out = problems.assign(_k=key).sort_values(
        ["_k", "file", "sheet", "row"], kind="stable", na_position="first"
    )
    return out.drop(columns="_k").reset_index(drop=True)


def has_errors(problems: pd.DataFrame) -> bool:
    return bool((problems["severity"] == ERROR).any())


def summary(problems: pd.DataFrame) -> str:
    """One line in Chinese: how many errors and warnings."""
    n_err = int((problems["severity"] == ERROR).sum())
    n_warn = int((problems["severity"] == WARNING).sum())
    return f"共发现 {n_err} 个错误、{n_warn} 个警告（errors: {n_err}, warnings: {n_warn}）"


def _short(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df[COLUMNS].copy()
    for c in COLUMNS:
        if c == "row":
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
        else:
            df[c] = df[c].fillna("").astype(str)
    return df.reset_index(drop=True)
