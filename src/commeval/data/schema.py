"""Contract dtypes for pandas (处理后数据的类型) and a pandera schema built from the contract.

Processed tables use one fixed dtype per contract dtype, independent of the data:
string and level → ``string``; int and category → ``int64`` when required, ``Int64`` when
optional; float → ``float64``; bool → ``bool`` when required, ``boolean`` when optional.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from commeval.data.contract import Contract, Field, Table, contract


def pandas_dtype(field: Field) -> str:
    """The pandas dtype of a contract field in processed tables."""
    if field.dtype in ("string", "level"):
        return "string"
    if field.dtype in ("int", "category"):
        return "int64" if field.required else "Int64"
    if field.dtype == "float":
        return "float64"
    if field.dtype == "bool":
        return "bool" if field.required else "boolean"
    raise ValueError(f"unknown contract dtype {field.dtype!r}")  # pragma: no cover


def cast_table(df: pd.DataFrame, table: Table, public_only: bool = True) -> pd.DataFrame:
    """Columns in contract order (personal fields left out), cast to contract dtypes."""
    names = table.public_fields if public_only else list(table.fields)
    cols = {}
    for name in names:
        if name not in df.columns:
            continue
        cols[name] = df[name].astype(pandas_dtype(table.fields[name]))
    return pd.DataFrame(cols, index=pd.RangeIndex(len(df)))


def pandera_schema(table: str | Table, c: Contract | None = None) -> Any:
    """A pandera ``DataFrameSchema`` for a processed (canonical) table: dtypes, ranges, allowed
    values, required fields and the unique key. Imported lazily (pandera is slow to import)."""
    import pandera.pandas as pa

    t = table if isinstance(table, Table) else (c or contract())[table]
    columns = {}
    for f in t.fields.values():
        if f.personal:
            continue
        checks = []
        if f.min is not None:
            checks.append(pa.Check.ge(f.min))
        if f.max is not None:
            checks.append(pa.Check.le(f.max))
        if f.allowed_values is not None:
            checks.append(pa.Check.isin(list(f.allowed_values)))
        columns[f.name] = pa.Column(
            pandas_dtype(f), checks=checks, nullable=not f.required, required=f.required
        )
    return pa.DataFrameSchema(
        columns,
        unique=list(t.key) or None,
        strict=True,
        name=t.name,
        report_duplicates="exclude_first",
    )
