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


CALFUNS = ("linear", "raking", "logit")


def _calfun(name: str, lo: float, hi: float):
    """R's ``cal.linear``, ``cal.raking``, ``cal.logit``: ``F^-1(u) = g - 1`` and its
    derivative, with the weight ratio g kept within [lo, hi]."""
    if name == "linear":

        def fm1(u):
            return np.minimum(np.maximum(u + 1, lo), hi) - 1

        def df(u):
            return ((u < hi - 1) & (u > lo - 1)).astype(float)

    elif name == "raking":

        def fm1(u):
            with np.errstate(over="ignore"):
                return np.minimum(np.maximum(np.exp(u), lo), hi) - 1

        def df(u):
            with np.errstate(over="ignore"):
                return np.where((u < hi - 1) & (u > lo - 1), np.exp(u), 0.0)

    else:
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError("calibrate: logit calibration requires finite bounds")
        if not lo < 1 < hi:
            raise ValueError(
                f"calibrate: logit bounds must satisfy lower < 1 < upper, got {lo}, {hi}"
            )
        A = (hi - lo) / ((hi - 1) * (1 - lo))

        def fm1(u):
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(A * u)
                return (lo * (hi - 1) + hi * (1 - lo) * e) / (hi - 1 + (1 - lo) * e) - 1

        def df(u):
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(A * u)
                den = hi - 1 + (1 - lo) * e
                return (
                    hi * (1 - lo) * e * A / den
                    - ((lo * (hi - 1) + hi * (1 - lo) * e) * ((1 - lo) * e * A)) / den**2
                )

    return fm1, df


def _grake(X, w, T, calfun, lo, hi, epsilon, max_iter):
    """R's ``grake``: Newton steps on the calibration equations ``sum w g(x'eta) x = T``."""
    fm1, df = _calfun(calfun, lo, hi)
    sample_total = X.T @ w
    scales = T / sample_total
    scale = None
    if np.min(scales) > 20:  # R rescales the weights first (bounds then apply after it)
        scale = float(np.mean(scales))
        w = w * scale
        sample_total = sample_total * scale
    eta = np.zeros(X.shape[1])
    xeta = X @ eta
    deriv = df(xeta)
    it = 1
    while True:
        Tmat = (X * (w * deriv)[:, None]).T @ X
        misfit = T - sample_total - X.T @ (w * fm1(xeta))
        deta = np.linalg.pinv(Tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = X @ eta
        g = 1 + fm1(xeta)
        deriv = df(xeta)
        while it < max_iter and not (np.isfinite(g).all() and np.isfinite(deriv).all()):
            it += 1
            deta = deta / 2
            eta = eta - deta
            xeta = X @ eta
            g = 1 + fm1(xeta)
            deriv = df(xeta)
        misfit = T - sample_total - X.T @ (w * fm1(xeta))
        if np.all(np.abs(misfit) / (1 + np.abs(T)) < epsilon):
            break
        it += 1
        if it > max_iter:
            achieved = float(np.max(np.abs(misfit) / (1 + np.abs(T))))
            raise ValueError(
                f"calibrate ({calfun}, bounds [{lo}, {hi}]) did not converge in {max_iter} "
                f"iterations (relative misfit {achieved:.3g}); widen the bounds"
            )
    return g * scale if scale is not None else g


def calibrate(
    design,
    variables: Sequence[str],
    totals: Mapping[str, float],
    calfun: str = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    epsilon: float = 1e-7,
    max_iter: int = 50,
) -> Any:
    """Calibration to ``totals`` (R ``calibrate(design, formula, population, calfun=,
    bounds=)``): weights ``w g`` with ``g = 1 + F^-1(x'lambda)`` — linear (GREG; closed form
    without bounds), raking (exponential) or logit — and g kept within ``bounds`` (the
    ratio to the weights before calibration). Bounded fits use R's ``grake`` Newton steps,
    stopping when every total is met to ``epsilon`` relative."""
    if calfun not in CALFUNS:
        raise ValueError(f"calibrate: calfun must be one of {CALFUNS}, got {calfun!r}")
    lo, hi = (float(b) for b in bounds)
    if lo > 1 or hi < 1:
        raise ValueError(f"calibrate: bounds must contain 1, got ({lo}, {hi})")
    variables = as_list(variables)
    check_columns(design.data, variables, "calibrate")
    X, names = _calibration_matrix(design, variables, totals)
    w0 = design.analysis_weights()
    T = np.array([float(totals[k]) for k in names])
    if calfun == "linear" and np.isinf(lo) and np.isinf(hi):
        G = X.T @ (X * w0[:, None])
        lam = np.linalg.lstsq(G, T - X.T @ w0, rcond=None)[0]
        g = 1.0 + X @ lam
    else:
        inside = w0 > 0
        g = np.ones(len(w0))
        g[inside] = _grake(X[inside], w0[inside], T, calfun, lo, hi, epsilon, max_iter)
    w1 = np.where(design.domain, design.weights * g, design.weights)
    bnd = "" if np.isinf(lo) and np.isinf(hi) else f", bounds [{lo:g}, {hi:g}]"
    desc = f"calibrated ({calfun}{bnd}) on {', '.join(names)}"
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
