"""Contract dtypes for pandas (处理后数据的类型) and a pandera schema built from the contract.

Processed tables use one fixed dtype per contract dtype, independent of the data:
string and level → ``string``; int and category → ``int64`` when required, ``Int64`` when
optional; float → ``float64``; bool → ``bool`` when required, ``boolean`` when optional.

Likert items (``group: likert``) hold 1–5 or missing (``Int64``): 说不清 (don't know, code 9 in the
raw data) is kept in a companion ``boolean`` column ``<item>_dk`` right after the item (true for
说不清, false for a scale answer, missing for no answer) — so any estimator is right by default.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from commeval.data.contract import Contract, Field, Table, contract
from commeval.data.conventions import DK_SUFFIX, DONT_KNOW, SCALE


def is_likert(field: Field) -> bool:
    return field.group == "likert" and not field.personal


def pandas_dtype(field: Field) -> str:
    """The pandas dtype of a contract field in processed tables."""
    if is_likert(field):
        return "Int64"  # 1–5 or missing; 说不清 is in <item>_dk
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
    """Columns in contract order (personal fields left out), cast to contract dtypes; each
    Likert item split into the item (1–5 or missing) and ``<item>_dk`` (idempotent: a table
    already split keeps its flags)."""
    names = table.public_fields if public_only else list(table.fields)
    cols = {}
    for name in names:
        if name not in df.columns:
            continue
        f = table.fields[name]
        if is_likert(f):
            cols[name], cols[name + DK_SUFFIX] = split_dont_know(df[name], df.get(name + DK_SUFFIX))
            continue
        cols[name] = df[name].astype(pandas_dtype(f))
    return pd.DataFrame(cols, index=pd.RangeIndex(len(df)))


def processed_columns(table: Table) -> list[str]:
    """The columns of a processed table, in order: the public fields, each Likert item followed
    by its ``<item>_dk``."""
    out = []
    for name in table.public_fields:
        out.append(name)
        if is_likert(table.fields[name]):
            out.append(name + DK_SUFFIX)
    return out


def split_dont_know(item: pd.Series, dk: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """(item with 1–5 or missing, ``boolean`` don't-know flag) from a raw-coded item (9 =
    说不清), or from an item already split and its flag."""
    x = pd.to_numeric(item, errors="coerce").astype("Float64")
    answered = x.notna()
    if dk is None:
        flag = (x == DONT_KNOW).astype("boolean")
    else:
        flag = dk.astype("boolean")
        answered = answered | flag.fillna(False).astype(bool)
    flag = flag.where(answered, pd.NA).astype("boolean")
    values = x.where(x.isin(SCALE)).astype("Int64")
    return values.reset_index(drop=True), flag.reset_index(drop=True)


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
        if is_likert(f):
            columns[f.name] = pa.Column(
                "Int64", checks=[pa.Check.isin(list(SCALE))], nullable=True, required=f.required
            )
            columns[f.name + DK_SUFFIX] = pa.Column(
                "boolean", nullable=not f.required, required=f.required
            )
            continue
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
