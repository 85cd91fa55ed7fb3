"""Formula-safe cells for CSV/Excel exports (防公式注入).

Text starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) would be run as a
formula by Excel or WPS; :func:`escape_cells` prefixes such cells with ``'`` so they stay text.
Numeric columns are left alone (negative numbers are numbers, not formulas).
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PATTERN = r"^[=+\-@\t\r]"


def looks_like_formula(text: object) -> bool:
    return isinstance(text, str) and text.startswith(FORMULA_START)


def escape_text(s: pd.Series) -> pd.Series:
    """Prefix ``'`` to the text cells of ``s`` that would be read as a formula."""
    if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
        return s
    text = s.astype(object)
    mask = text.map(looks_like_formula).astype(bool)
    if not mask.any():
        return s
    out = text.copy()
    out[mask] = "'" + text[mask].astype(str)
    return out.astype(s.dtype) if pd.api.types.is_string_dtype(s) else out


def escape_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` safe to write as CSV/Excel: formula-like text cells (and headers) escaped."""
    out = df.copy()
    for c in out.columns:
        out[c] = escape_text(out[c])
    out.columns = [("'" + c) if looks_like_formula(c) else c for c in out.columns]
    return out
