"""Post-stratification, raking, linear (GREG) calibration and weight trimming."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .columns import as_list, check_columns, numeric_column
from .variance import CalibrationStep


def _population_frame(variables: list[str], population) -> pd.DataFrame:
    if isinstance(population, pd.DataFrame):
        check_columns(population, variables + ["Freq"], "population")
        return population[variables + ["Freq"]]
    if isinstance(population, pd.Series):
        return population.rename("Freq").reset_index().set_axis(variables + ["Freq"], axis=1)
    if isinstance(population, Mapping):
        keys = list(population.keys())
        rows = [(k if isinstance(k, tuple) else (k,)) for k in keys]
        out = pd.DataFrame(rows, columns=variables)
        out["Freq"] = [float(population[k]) for k in keys]
        return out
    raise ValueError("population must be a dict {level: count}, a Series or a DataFrame")


def _cells(design, variables: list[str], pop: pd.DataFrame):
    check_columns(design.data, variables, "poststratify")
    keys = pd.MultiIndex.from_frame(design.data[variables].astype(object))
    pkeys = pd.MultiIndex.from_frame(pop[variables].astype(object))
    code = pkeys.get_indexer(keys)
    inside = design.domain & (design.weights > 0)
    unmatched = inside & (code < 0)
    if unmatched.any():
        ex = design.data.loc[unmatched, variables].drop_duplicates().head(5)
        raise ValueError(
            f"poststratify: {int(unmatched.sum())} rows fall in cells of {variables} missing "
            f"from the population table, e.g. {ex.to_dict('records')}"
        )
    return code


def _indicators(code: np.ndarray, k: int) -> np.ndarray:
    X = np.zeros((len(code), k))
    ok = code >= 0
    X[np.flatnonzero(ok), code[ok]] = 1.0
    return X


def poststratify(design, variables: str | Sequence[str], population) -> Any:
    variables = as_list(variables)
    pop = _population_frame(variables, population)
    code = _cells(design, variables, pop)
    w0 = design.analysis_weights()
    est = np.bincount(np.where(code >= 0, code, 0), weights=w0 * (code >= 0), minlength=len(pop))
    empty = est == 0
    if empty.any():
        raise ValueError(
            f"poststratify: {int(empty.sum())} population cells of {variables} have no sample "
            f"(e.g. {pop.loc[empty, variables].head(3).to_dict('records')})"
        )
    g = pop["Freq"].to_numpy(float) / est
    w1 = np.where(code >= 0, design.weights * g[np.maximum(code, 0)], design.weights)
    step = CalibrationStep(
        _indicators(code, len(pop)),
        w0,
        np.where(design.domain, w1, 0.0),
        f"post-stratified on {'+'.join(variables)}",
    )
    new = design._derive(weights=w1)
    new._calibration.append(step)
    new.calibration_log.append(step.description)
    return new


def rake(
    design, margins: Mapping[str, Mapping[Any, float]], max_iter: int = 100, tol: float = 1e-10
) -> Any:
    """Iterative proportional fitting over the margins until weights change less than ``tol``.

    The variance treats raking as calibration on all margin indicators (GREG residuals).
    """
    if not margins:
        raise ValueError("rake: no margins given")
    w0 = design.analysis_weights()
    codes, pops = [], []
    for var, pop in margins.items():
        pf = _population_frame([var], pop)
        codes.append(_cells(design, [var], pf))
        pops.append(pf["Freq"].to_numpy(float))
    w = w0.copy()
    converged = False
    for _ in range(max_iter):
        old = w.copy()
        for code, tot in zip(codes, pops):
            est = np.bincount(np.maximum(code, 0), weights=w * (code >= 0), minlength=len(tot))
            if (est == 0).any():
                raise ValueError("rake: a population category has no sample")
            w = np.where(code >= 0, w * (tot / est)[np.maximum(code, 0)], w)
        if np.max(np.abs(w - old)) < tol:
            converged = True
            break
    if not converged:
        raise ValueError(f"rake did not converge in {max_iter} iterations (tol={tol})")
    X = np.hstack([_indicators(c, len(t)) for c, t in zip(codes, pops)])
    desc = f"raked on {'+'.join(margins)}"
    w1 = np.where(design.domain, w, design.weights)
    new = design._derive(weights=w1)
    new._calibration.append(CalibrationStep(X, w0, w, desc))
    new.calibration_log.append(desc)
    return new


def _calibration_matrix(design, variables: Sequence[str], totals: Mapping[str, float]):
    """Model-matrix columns named as R's ``model.matrix`` does for the given totals."""
    cols, names = [], []
    n = len(design.data)
    for name in totals:
        if name == "(Intercept)":
            cols.append(np.ones(n))
        elif name in design.data.columns:
            x = numeric_column(design.data, name)
            bad = int((np.isnan(x) & design.domain).sum())
            if bad:
                raise ValueError(f"calibrate: column {name!r} has {bad} missing values")
            cols.append(np.nan_to_num(x))
        else:
            match = [v for v in variables if name.startswith(v) and v in design.data.columns]
            if not match:
                raise ValueError(
                    f"calibrate: total {name!r} matches no column of {list(variables)} "
                    "(use '(Intercept)', a numeric column, or column+level for a category)"
                )
            v = max(match, key=len)
            level = name[len(v) :]
            cols.append((design.data[v].astype(str) == level).to_numpy(dtype=float))
        names.append(name)
    return np.column_stack(cols), names


def calibrate(design, variables: Sequence[str], totals: Mapping[str, float]) -> Any:
    """Linear calibration: g = 1 + x'lambda so that weighted totals of x equal ``totals``."""
    variables = as_list(variables)
    check_columns(design.data, variables, "calibrate")
    X, names = _calibration_matrix(design, variables, totals)
    w0 = design.analysis_weights()
    T = np.array([float(totals[k]) for k in names])
    G = X.T @ (X * w0[:, None])
    lam = np.linalg.lstsq(G, T - X.T @ w0, rcond=None)[0]
    g = 1.0 + X @ lam
    w1 = np.where(design.domain, design.weights * g, design.weights)
    desc = f"calibrated (linear) on {', '.join(names)}"
    new = design._derive(weights=w1)
    new._calibration.append(CalibrationStep(X, w0, w0 * g, desc))
    new.calibration_log.append(desc)
    return new


def trim_weights(design, lower: float | None, upper: float | None, strict: bool = False) -> Any:
    """Clip weights to [lower, upper]; the trimmed amount is shared equally among the
    untrimmed weights so the total is unchanged (R ``trimWeights``; ``strict`` repeats)."""
    w = design.analysis_weights().copy()
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if lo > hi:
        raise ValueError(f"trim_weights: lower ({lo}) exceeds upper ({hi})")
    for _ in range(100 if strict else 1):
        inside = design.domain & (w > 0)
        out = inside & ((w < lo) | (w > hi))
        if not out.any():
            break
        excess = np.sum(w[out] - np.clip(w[out], lo, hi))
        w[out] = np.clip(w[out], lo, hi)
        keep = inside & ~out
        w[keep] = w[keep] + excess / keep.sum()
    w1 = np.where(design.domain, w, design.weights)
    new = design._derive(weights=w1)
    new.calibration_log.append(f"weights trimmed to [{lower}, {upper}]")
    return new
