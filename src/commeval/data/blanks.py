"""Blank is missing, not zero: blank cells of optional project fields.

A blank cell in a field a project declared in ``config/fields.yaml`` is missing: it leaves the
denominator of ``share()`` / ``mean()`` (2 of 5 villages answered, 1 blank — not 2 of 6). So that
this is never silent, :func:`blank_warnings` gives one warning per field with blanks (``commeval
validate`` lists it); a field whose blanks mean 否 / 0 says so with ``blank:`` in fields.yaml, and
:func:`fill_blanks` writes that value into the canonical table (the raw file is never changed).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from commeval.data import problems as P
from commeval.data.contract import Contract
from commeval.data.rules import Located

#: tables whose blank cells are counted (a blank survey answer is item non-response)
TABLES = ("townships", "villages", "communities")


def fill_blanks(located: Mapping[str, Located], c: Contract) -> None:
    """Blank cells of fields with ``blank:`` take that value (in place, canonical tables)."""
    for table, loc in located.items():
        if table not in TABLES or table not in c.tables:
            continue
        for f in c[table].fields.values():
            if f.blank is None or f.name not in loc.df.columns:
                continue
            col = loc.df[f.name]
            value = bool(f.blank) if f.dtype == "bool" else f.blank
            if col.isna().any():
                loc.df[f.name] = col.fillna(value)


def blank_warnings(located: Mapping[str, Located], c: Contract) -> pd.DataFrame:
    """One warning per optional project field with blank cells: how many of how many rows,
    what a blank does, and how to say that it means 否 / 0."""
    rows = []
    for table, loc in located.items():
        if table not in TABLES or table not in c.tables or loc.df.empty:
            continue
        for f in c[table].fields.values():
            if f.source == "built-in" or f.required or f.blank is not None:
                continue
            if f.name not in loc.df.columns:
                continue
            n = int(loc.df[f.name].isna().sum())
            if not n:
                continue
            zero = "否" if f.dtype == "bool" else "0"
            rows.append(
                P.one(
                    P.WARNING,
                    "blank_cells",
                    f"{n} 个空白单元格（共 {len(loc.df)} 行）：空白按“未填”处理，不计入比例和均值的"
                    f"分母；若本地约定空白即“{zero}”，在 config/fields.yaml 中为该字段写 blank: {zero}"
                    f" ({n} blank cells are missing, not {zero})",
                    file=loc.file,
                    sheet=loc.sheet,
                    column=loc.headers.get(f.name, f.label),
                    field=f.name,
                    value=f"{n}/{len(loc.df)}",
                )
            )
    return P.frame(rows)
