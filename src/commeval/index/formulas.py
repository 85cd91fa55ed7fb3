"""A small, safe formula language for indicator sources.

Formulas are parsed with :mod:`ast` and only a whitelist of nodes is accepted — nothing is ever
passed to ``eval``. Two scopes:

* **row scope** (inside an aggregation call): bare names are columns of ``villages``;
  ``communities.x`` / ``villages.x`` name a column of that table. One table per aggregation.
* **unit scope** (township level, outside aggregations): bare names are other indicators,
  ``townships.x`` is a column of the townships table, ``survey(item)`` is a survey estimate.

Aggregations (village/community rows → township): ``share``, ``mean``, ``sum``, ``min``, ``max``,
``median``, ``count``. Element-wise helpers: ``clip(x, lo, hi)``, ``minimum(a, b)``,
``maximum(a, b)``, ``present(x)`` (1 when x is non-missing and non-empty). Operators: ``+ - * / **``, comparisons, ``and``/``or``/``not``. Comparisons and
logic yield 1.0/0.0 (NaN when an operand is missing); division by zero yields NaN.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from commeval.errors import InputError
from commeval.index.errors import zh

REDUCTIONS = ("share", "mean", "sum", "min", "max", "median", "count")
ELEMENTWISE = {"clip": 3, "minimum": 2, "maximum": 2, "present": 1}
ROW_TABLES = ("villages", "communities")
UNIT_TABLES = ("townships",)
_BINOPS = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_CMPOPS = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}


class FormulaError(InputError, ValueError):
    """A formula uses syntax or names outside the language (the message in Chinese with a
    hint, the English reason after it; ``why``: the English reason)."""

    def __init__(self, why: str) -> None:
        self.why = why
        super().__init__(zh(why))


@dataclass(frozen=True)
class Formula:
    """A parsed, validated formula and what it depends on."""

    text: str
    tree: ast.Expression = field(repr=False, compare=False)
    refs: frozenset[str]
    columns: frozenset[tuple[str, str]]
    survey_items: frozenset[str]


def parse_formula(text: str) -> Formula:
    """Parse and validate ``text``; raise :class:`FormulaError` on anything not whitelisted."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("a formula must be a non-empty string")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"syntax error: {exc.msg}") from None
    refs: set[str] = set()
    cols: set[tuple[str, str]] = set()
    items: set[str] = set()
    _check(tree.body, "unit", refs, cols, items, None)
    return Formula(text.strip(), tree, frozenset(refs), frozenset(cols), frozenset(items))


def _check(node, scope, refs, cols, items, table: list[str] | None) -> None:  # noqa: C901
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool | int | float | str):
            return
        raise FormulaError(f"constant {node.value!r} not allowed")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        _check(node.left, scope, refs, cols, items, table)
        _check(node.right, scope, refs, cols, items, table)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
        _check(node.operand, scope, refs, cols, items, table)
        return
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, scope, refs, cols, items, table)
        return
    if isinstance(node, ast.Compare) and all(type(o) in _CMPOPS for o in node.ops):
        for v in [node.left, *node.comparators]:
            _check(v, scope, refs, cols, items, table)
        return
    if isinstance(node, ast.Name):
        if scope == "row":
            _use_table(table, "villages")
            cols.add(("villages", node.id))
        else:
            refs.add(node.id)
        return
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        tname = node.value.id
        if scope == "row" and tname in ROW_TABLES:
            _use_table(table, tname)
            cols.add((tname, node.attr))
            return
        if scope == "unit" and tname in UNIT_TABLES:
            cols.add((tname, node.attr))
            return
        where = "inside" if scope == "row" else "outside"
        raise FormulaError(f"{tname}.{node.attr} cannot be used {where} an aggregation")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name, args = node.func.id, node.args
        if name in REDUCTIONS:
            if scope == "row":
                raise FormulaError(f"nested aggregation {name}(...)")
            if len(args) != 1 and not (name == "count" and len(args) == 0):
                raise FormulaError(f"{name}() takes exactly one argument")
            inner: list[str] = []
            for a in args:
                _check(a, "row", refs, cols, items, inner)
            return
        if name == "survey":
            if scope == "row" or len(args) != 1 or not isinstance(args[0], ast.Name):
                raise FormulaError("survey() takes one survey item name, outside aggregations")
            items.add(args[0].id)
            return
        if name in ELEMENTWISE:
            if len(args) != ELEMENTWISE[name]:
                raise FormulaError(f"{name}() takes {ELEMENTWISE[name]} arguments")
            for a in args:
                _check(a, scope, refs, cols, items, table)
            return
        raise FormulaError(f"unknown function {name}()")
    raise FormulaError(f"syntax {type(node).__name__} is not allowed")


def _use_table(table: list[str] | None, name: str) -> None:
    if table is None:  # pragma: no cover - guarded by scope
        raise FormulaError("table columns outside an aggregation")
    if table and table[0] != name:
        raise FormulaError(f"one aggregation mixes tables {table[0]} and {name}")
    if not table:
        table.append(name)


def aggregation_table(node: ast.Call) -> str:
    """The table an aggregation call reads (``villages`` when it reads no column)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
            if sub.value.id in ROW_TABLES:
                return sub.value.id
    return "villages"


@dataclass
class Scope:
    """What a formula is evaluated against.

    ``rows[table]`` maps column name → 1-D array over that table's rows, ``codes[table]`` gives
    each row's unit position (−1 when outside the units), ``n_units`` the number of townships;
    ``refs`` and ``survey`` give unit-level arrays (shape ``(n_units,)`` or ``(draws, n_units)``),
    ``unit_columns`` columns of the townships table aligned to units.
    """

    n_units: int
    rows: Mapping[str, Callable[[str], np.ndarray]]
    codes: Mapping[str, np.ndarray]
    refs: Mapping[str, np.ndarray]
    survey: Mapping[str, np.ndarray]
    unit_columns: Callable[[str], np.ndarray]


def evaluate_formula(formula: Formula, scope: Scope) -> np.ndarray:
    """Evaluate a parsed formula to a float array over units (±inf become NaN)."""
    out = _unit(formula.tree.body, scope)
    out = np.asarray(out, dtype=float)
    if out.ndim == 0:
        out = np.full(scope.n_units, float(out))
    out = np.where(np.isfinite(out), out, np.nan)
    return out


def _f(x):
    x = np.asarray(x)
    if x.dtype.kind in "biuf":
        return x.astype(float)
    return x


def _compare(op, a, b):
    a, b = _f(a), _f(b)
    with np.errstate(invalid="ignore"):
        res = np.asarray(op(a, b), dtype=float)
    miss = np.zeros(np.broadcast(a, b).shape, dtype=bool)
    for x in (a, b):
        if x.dtype.kind == "f":
            miss = miss | np.isnan(x)
        elif x.dtype.kind == "O":
            miss = miss | pd.isna(x)
    return np.where(miss, np.nan, res)


def _generic(node, scope: Scope, ev):
    if isinstance(node, ast.Constant):
        v = node.value
        return float(v) if isinstance(v, bool | int | float) else np.asarray(v, dtype=object)
    if isinstance(node, ast.BinOp):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            res = _BINOPS[type(node.op)](_f(ev(node.left, scope)), _f(ev(node.right, scope)))
        return np.where(np.isfinite(res), res, np.nan)
    if isinstance(node, ast.UnaryOp):
        v = _f(ev(node.operand, scope))
        if isinstance(node.op, ast.Not):
            return np.where(np.isnan(v), np.nan, (v == 0).astype(float))
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BoolOp):
        vals = [_f(ev(v, scope)) for v in node.values]
        res = vals[0] != 0
        miss = np.isnan(vals[0])
        for v in vals[1:]:
            res = (res & (v != 0)) if isinstance(node.op, ast.And) else (res | (v != 0))
            miss = miss | np.isnan(v)
        return np.where(miss, np.nan, res.astype(float))
    if isinstance(node, ast.Compare):
        left = ev(node.left, scope)
        out = None
        for op, comp in zip(node.ops, node.comparators):
            right = ev(comp, scope)
            r = _compare(_CMPOPS[type(op)], left, right)
            out = r if out is None else np.where(np.isnan(out) | np.isnan(r), np.nan, out * r)
            left = right
        return out
    if isinstance(node, ast.Call) and node.func.id in ELEMENTWISE:
        if node.func.id == "present":
            v = np.asarray(ev(node.args[0], scope))
            ok = ~pd.isna(v)
            if v.dtype.kind == "O":
                ok = ok & (v != "")
            return np.asarray(ok, dtype=float)
        args = [_f(ev(a, scope)) for a in node.args]
        if node.func.id == "clip":
            return np.clip(args[0], args[1], args[2])
        fn = np.fmin if node.func.id == "minimum" else np.fmax
        return fn(args[0], args[1])
    raise FormulaError(f"cannot evaluate {ast.dump(node)}")  # pragma: no cover


def _row(node, scope: Scope, table: str):
    if isinstance(node, ast.Name):
        return scope.rows[table](node.id)
    if isinstance(node, ast.Attribute):
        return scope.rows[node.value.id](node.attr)
    return _generic(node, scope, lambda n, s: _row(n, s, table))


def _unit(node, scope: Scope):
    if isinstance(node, ast.Name):
        return scope.refs[node.id]
    if isinstance(node, ast.Attribute):
        return scope.unit_columns(node.attr)
    if isinstance(node, ast.Call) and node.func.id in REDUCTIONS:
        return _aggregate(node, scope)
    if isinstance(node, ast.Call) and node.func.id == "survey":
        return scope.survey[node.args[0].id]
    return _generic(node, scope, _unit)


def _aggregate(node: ast.Call, scope: Scope) -> np.ndarray:
    table = aggregation_table(node)
    codes = scope.codes[table]
    name, n = node.func.id, scope.n_units
    ok = codes >= 0
    if name == "count" and not node.args:
        return np.bincount(codes[ok], minlength=n).astype(float)
    vals = _f(_row(node.args[0], scope, table))
    vals = np.broadcast_to(vals, codes.shape).astype(float)
    ok = ok & ~np.isnan(vals)
    cnt = np.bincount(codes[ok], minlength=n).astype(float)
    if name == "count":
        return np.bincount(codes[ok], weights=(vals[ok] != 0).astype(float), minlength=n)
    if name in ("sum", "mean", "share"):
        tot = np.bincount(codes[ok], weights=vals[ok], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            res = tot if name == "sum" else tot / cnt
        return np.where(cnt > 0, res, np.nan)
    # min / max / median: sort-based group reduction
    s = pd.Series(vals[ok]).groupby(codes[ok])
    red = getattr(s, name)()
    out = np.full(n, np.nan)
    out[red.index.to_numpy()] = red.to_numpy(dtype=float)
    return out


def unit_dependencies(formulas: Mapping[str, Formula]) -> list[str]:
    """Topological order of indicator names; raise :class:`FormulaError` naming a cycle."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name) :] + [name]
            raise FormulaError("cycle in formulas: " + " → ".join(cycle))
        state[name] = 1
        for ref in sorted(formulas[name].refs):
            if ref in formulas:
                visit(ref, path + [name])
        state[name] = 2
        order.append(name)

    for name in formulas:
        visit(name, [])
    return order
