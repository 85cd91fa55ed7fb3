"""Village and community rows → township indicator values, by the framework's formulas."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from commeval.index.errors import IndexDataError
from commeval.index.formulas import REDUCTIONS, Scope, aggregation_table, evaluate_formula
from commeval.index.formulas import _row as row_values
from commeval.index.framework import Framework


@dataclass(frozen=True)
class IndicatorValues:
    """Raw indicator values of one year: townships × indicators (framework order)."""

    year: int
    values: pd.DataFrame
    survey_dependent: tuple[str, ...]


def _column(frame: pd.DataFrame, table: str, cache: dict[str, np.ndarray]):
    def get(name: str) -> np.ndarray:
        if name not in cache:
            if name not in frame.columns:
                raise IndexDataError(
                    f"数据表 {table} 中没有列 {name!r}：公式用到的字段不在数据里（检查 fields.yaml "
                    f"和原始表头）(table {table!r} has no column {name!r})"
                )
            s = frame[name]
            if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
                cache[name] = s.to_numpy(dtype=float, na_value=np.nan)
            else:
                obj = s.astype(object)
                cache[name] = obj.where(s.notna(), None).to_numpy()
        return cache[name]

    return get


def townships_of(tables: Mapping[str, pd.DataFrame]) -> pd.Index:
    """Townships to evaluate: the townships table's rows (in table order)."""
    if "townships" not in tables or "villages" not in tables:
        raise IndexDataError(
            "至少需要乡镇表和行政村表 (tables need at least 'townships' and 'villages')"
        )
    towns = pd.Index(tables["townships"]["township"].astype(str), name="township")
    if towns.empty:
        raise IndexDataError("乡镇表没有数据行 (the townships table is empty)")
    if towns.has_duplicates:
        dup = sorted(set(towns[towns.duplicated()]))
        raise IndexDataError(f"乡镇重复：{dup} (duplicate townships: {dup})")
    return towns


def make_scope(
    tables: Mapping[str, pd.DataFrame],
    year: int,
    towns: pd.Index,
    survey: Mapping[str, np.ndarray],
) -> Scope:
    """A formula scope over one year's rows, aligned to ``towns``."""
    rows, codes = {}, {}
    for table in ("villages", "communities"):
        frame = tables.get(table)
        if frame is None:
            frame = pd.DataFrame({"year": pd.Series([], dtype=int), "township": []})
        if "year" in frame.columns:
            frame = frame[frame["year"] == year]
        rows[table] = _column(frame, table, {})
        codes[table] = towns.get_indexer(frame["township"].astype(str))
    tframe = tables["townships"].set_index(tables["townships"]["township"].astype(str))
    tcache: dict[str, np.ndarray] = {}

    def unit_col(name: str) -> np.ndarray:
        if name not in tcache:
            if name not in tframe.columns:
                raise IndexDataError(
                    f"乡镇表中没有列 {name!r} (table 'townships' has no column {name!r})"
                )
            tcache[name] = tframe[name].reindex(towns).to_numpy(dtype=float, na_value=np.nan)
        return tcache[name]

    return Scope(len(towns), rows, codes, {}, survey, unit_col)


def survey_arrays(survey: pd.DataFrame | None, year: int, towns: pd.Index) -> dict[str, np.ndarray]:
    """Survey estimates of ``year`` as arrays aligned to ``towns`` (NaN where absent)."""
    if survey is None or survey.empty:
        return {}
    s = survey
    if "year" in s.columns:
        s = s[s["year"] == year]
    wide = s.pivot_table(index="township", columns="indicator", values="estimate", aggfunc="mean")
    wide.index = wide.index.astype(str)
    wide = wide.reindex(towns)
    return {c: wide[c].to_numpy(dtype=float) for c in wide.columns}


def survey_dependent(fw: Framework) -> tuple[str, ...]:
    """Indicators that depend, directly or through references, on survey estimates."""
    inds = fw.indicators
    dep: set[str] = set()
    for name in fw.order:
        f = inds[name].formula
        if f.survey_items or (f.refs & dep):
            dep.add(name)
    return tuple(n for n in fw.order if n in dep)


def evaluate_indicators(
    fw: Framework, scope: Scope, names: tuple[str, ...] | None = None
) -> dict[str, np.ndarray]:
    """Evaluate indicators in dependency order (``names``: only these, others from scope.refs)."""
    inds = fw.indicators
    refs = dict(scope.refs)
    scope = Scope(scope.n_units, scope.rows, scope.codes, refs, scope.survey, scope.unit_columns)
    out = {}
    for name in fw.order:
        if names is not None and name not in names:
            continue
        missing = inds[name].formula.survey_items - set(scope.survey)
        if missing:
            refs[name] = np.full(scope.n_units, np.nan)
        else:
            refs[name] = evaluate_formula(inds[name].formula, scope)
        out[name] = refs[name]
    return out


def compute_indicators(
    tables: Mapping[str, pd.DataFrame],
    fw: Framework,
    year: int,
    survey: pd.DataFrame | None = None,
) -> IndicatorValues:
    """Raw indicator values of ``year`` for every township, by the framework's formulas.
    ``survey`` holds per-township survey estimates (see :func:`survey_indicators`)."""
    towns = townships_of(tables)
    vil = tables["villages"]
    if "year" in vil.columns and not (vil["year"] == year).any():
        raise IndexDataError(f"行政村表没有 {year} 年的数据 (no village rows for year {year})")
    scope = make_scope(tables, year, towns, survey_arrays(survey, year, towns))
    vals = evaluate_indicators(fw, scope)
    cols = [i.name for d in fw.dimensions for i in d.indicators]
    frame = pd.DataFrame({c: vals[c] for c in cols}, index=towns)
    return IndicatorValues(year, frame, survey_dependent(fw))


#: the columns :func:`denominators` adds to an evaluation's indicator frame
DENOMINATOR_COLUMNS = ("numerator", "answered", "blank", "counted_in")


def _single_share(formula) -> ast.Call | None:
    """The one ``share(e)`` / ``mean(e)`` / ``count(e)`` of a formula that has exactly one
    aggregation."""
    calls = [
        n for n in ast.walk(formula.tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in REDUCTIONS
    ]  # fmt: skip
    if len(calls) == 1 and calls[0].func.id in ("share", "mean", "count") and calls[0].args:
        return calls[0]
    return None


def denominators(
    tables: Mapping[str, pd.DataFrame], fw: Framework, year: int, towns: pd.Index
) -> pd.DataFrame:
    """What each share stands on, per township: for an indicator whose formula has one
    ``share(e)``, ``mean(e)`` or ``count(e)`` (e.g. ``100 * share(has_clinic)``), ``numerator``
    (the sum of e over the rows with a value: the villages counted yes for a share; NaN when e
    is not yes/no, i.e. a mean of amounts; for ``count(e)`` the rows where e is non-zero), ``answered`` (rows with a value: the denominator),
    ``blank`` (rows without: left out) and ``counted_in`` (the table counted: ``villages`` or
    ``communities``), so a page can print 2/5村（1村未填）. Other indicators: NaN. Columns
    township, indicator, numerator, answered, blank, counted_in."""
    scope = make_scope(tables, year, towns, {})
    rows = []
    for name, ind in fw.indicators.items():
        call = _single_share(ind.formula)
        if call is None:
            continue
        table = aggregation_table(call)
        codes = scope.codes[table]
        try:
            vals = np.asarray(row_values(call.args[0], scope, table), dtype=float)
        except (IndexDataError, TypeError, ValueError, KeyError):
            continue
        vals = np.broadcast_to(vals, codes.shape)
        ok = codes >= 0
        has = ok & ~np.isnan(vals)
        n = len(towns)
        num = np.bincount(codes[has], weights=vals[has], minlength=n)
        ans = np.bincount(codes[has], minlength=n)
        blank = np.bincount(codes[ok & np.isnan(vals)], minlength=n)
        if call.func.id == "count":  # the villages counted (e non-zero) of those with a value
            num = np.bincount(codes[has], weights=(vals[has] != 0).astype(float), minlength=n)
        elif not np.isin(vals[has], (0.0, 1.0)).all():  # a mean of amounts: no count of yes
            num = np.full(n, np.nan)
        for i, t in enumerate(towns.astype(str)):
            rows.append((t, name, float(num[i]), int(ans[i]), int(blank[i]), table))
    return pd.DataFrame(rows, columns=["township", "indicator", *DENOMINATOR_COLUMNS])


def with_denominators(
    frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame], fw: Framework, year: int
) -> pd.DataFrame:
    """An indicator frame (township, indicator, …) with :func:`denominators`' columns."""
    towns = townships_of(tables)
    d = denominators(tables, fw, year, towns)
    out = frame.merge(d, on=["township", "indicator"], how="left")
    for c in ("answered", "blank"):
        out[c] = out[c].astype("Int64")
    return out
