"""Post-stratification, raking, linear (GREG) calibration and weight trimming."""

from __future__ import annotations

import warnings
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
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise ValueError("calibrate: logit calibration requires finite bounds")
        if not (np.all(lo < 1) and np.all(hi > 1)):
            raise ValueError(
                "calibrate: logit bounds must satisfy lower < 1 < upper (as ratios to the "
                f"weights), got {np.min(lo):g}..{np.max(lo):g}, {np.min(hi):g}..{np.max(hi):g}"
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


def _grake(X, w, T, calfun, lo, hi, epsilon, max_iter, sigma2=None):
    """R's ``grake``: Newton steps on the calibration equations ``sum w g(x'eta) x = T``
    (``x'eta / sigma2`` with R's ``variance=``). Returns g and, if the steps did not
    converge, the relative misfit achieved (else ``None``)."""
    fm1, df = _calfun(calfun, lo, hi)
    s2 = np.ones(len(w)) if sigma2 is None else sigma2
    sample_total = X.T @ w
    scales = T / sample_total
    scale = None
    if np.min(scales) > 20:  # R rescales the weights first (bounds then apply after it)
        scale = float(np.mean(scales))
        w = w * scale
        sample_total = sample_total * scale
    eta = np.zeros(X.shape[1])
    xeta = X @ eta / s2
    deriv = df(xeta)
    it = 1
    failed = None
    while True:
        Tmat = (X * (w * deriv / s2)[:, None]).T @ X
        misfit = T - sample_total - X.T @ (w * fm1(xeta))
        deta = np.linalg.pinv(Tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = X @ eta / s2
        g = 1 + fm1(xeta)
        deriv = df(xeta)
        while it < max_iter and not (np.isfinite(g).all() and np.isfinite(deriv).all()):
            it += 1
            deta = deta / 2
            eta = eta - deta
            xeta = X @ eta / s2
            g = 1 + fm1(xeta)
            deriv = df(xeta)
        misfit = T - sample_total - X.T @ (w * fm1(xeta))
        if np.all(np.abs(misfit) / (1 + np.abs(T)) < epsilon):
            break
        it += 1
        if it > max_iter:
            failed = float(np.max(np.abs(misfit) / (1 + np.abs(T))))
            break
    return (g * scale if scale is not None else g), failed


def _trim_g(g: np.ndarray, w: np.ndarray, trim: tuple[float, float]) -> int:
    """R's ``calibrate(trim=)``, in place: g clipped to [lo, hi], the clipped weight
    ``sum (g - g_clipped) w`` added to the unclipped g in proportion to their w (once, so
    they may leave the range). Returns the number of g clipped."""
    lo, hi = trim
    outside = (g < lo) | (g > hi)
    if not outside.any():
        return 0
    clipped = np.clip(g, lo, hi)
    excess = np.sum((g - clipped) * w)
    clipped[~outside] += excess / np.sum(w[~outside])
    g[:] = clipped
    return int(outside.sum())


def _cluster_means(x: np.ndarray, codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """R's ``ave(x, cluster)`` over ``rows`` (the rows R's design holds); 0 elsewhere."""
    k = int(codes.max()) + 1
    cnt = np.bincount(codes[rows], minlength=k)
    out = np.zeros(x.shape)
    if x.ndim == 1:
        tot = np.bincount(codes[rows], weights=x[rows], minlength=k)
        out[rows] = (tot / np.maximum(cnt, 1))[codes[rows]]
        return out
    for j in range(x.shape[1]):
        out[:, j] = _cluster_means(x[:, j], codes, rows)
    return out


def _aggregation_codes(design, stage: int) -> np.ndarray:
    """Cluster codes of sampling stage ``stage`` (R's ``design$cluster[[stage]]``)."""
    stages = [getattr(design, "_stage1", None), getattr(design, "_stage2", None)]
    if stages[0] is None:
        raise ValueError("calibrate: aggregate_stage needs a design with sampling stages")
    if stage not in (1, 2) or stages[stage - 1] is None:
        n = 1 if stages[1] is None else 2
        raise ValueError(f"calibrate: aggregate_stage must be a stage of the design (1..{n})")
    return stages[stage - 1].codes


def _variance_vector(design, variance, X: np.ndarray) -> tuple[np.ndarray | None, bool]:
    """R's ``variance=``: per-row variances (a column name or n values; second item True)
    or coefficients on the calibration columns (``sigma2 = X v``)."""
    if variance is None:
        return None, False
    if isinstance(variance, str):
        v = numeric_column(design.data, variance)
    else:
        v = np.asarray(variance, dtype=float).ravel()
    if len(v) == X.shape[0]:
        return v, True
    if len(v) == X.shape[1]:
        return X @ v, False
    raise ValueError(
        f"calibrate: variance must be a column, {X.shape[0]} row values or "
        f"{X.shape[1]} coefficients on the calibration columns, got {len(v)} values"
    )


def calibrate(
    design,
    variables: Sequence[str],
    totals: Mapping[str, float],
    calfun: str = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    epsilon: float = 1e-7,
    max_iter: int = 50,
    *,
    trim: tuple[float, float] | None = None,
    aggregate_stage: int | None = None,
    variance: str | Sequence[float] | np.ndarray | None = None,
    bounds_const: bool = False,
) -> Any:
    """Calibration to ``totals`` (R ``calibrate(design, formula, population, calfun=,
    bounds=, trim=, aggregate.stage=, variance=, bounds.const=)``).

    Weights ``w g`` with ``g = 1 + F^-1(x'lambda / sigma2)`` — linear (GREG; closed form
    without bounds), raking (exponential) or logit — and g kept within ``bounds`` (the
    ratio to the weights before calibration; with ``bounds_const`` the bounds are on the
    calibrated weights themselves, ``bounds / w``). Bounded fits use R's ``grake`` Newton
    steps, stopping when every total is met to ``epsilon`` relative.

    ``trim=(lo, hi)``: as R, g outside [lo, hi] is clipped after calibration and the clipped
    weight spread over the other rows in proportion to their weights (once: those may end
    outside the range, and the totals are no longer met exactly); the variance keeps the
    calibration's projection with the trimmed g. As in R, ``trim`` has no effect on linear
    calibration without bounds (R's ``regcalibrate``): pass finite bounds to trim it.

    ``aggregate_stage=k``: as R's ``aggregate.stage``, the calibration variables and the
    weights are averaged within the clusters of stage k, so g is constant within them.

    ``variance``: R's ``variance=`` (heteroscedasticity of the calibration model): a column,
    n values, or coefficients on the calibration columns. With linear calibration without
    bounds it also enters the variance's projection (as R's ``regcalibrate``); in the other
    fits it only changes g (as R's ``grake``)."""
    if calfun not in CALFUNS:
        raise ValueError(f"calibrate: calfun must be one of {CALFUNS}, got {calfun!r}")
    lo, hi = (float(b) for b in bounds)
    if bounds_const:
        if lo > hi:
            raise ValueError(f"calibrate: lower bound {lo} exceeds upper bound {hi}")
    elif lo > 1 or hi < 1:
        raise ValueError(f"calibrate: bounds must contain 1, got ({lo}, {hi})")
    if trim is not None:
        if len(trim) != 2:
            raise ValueError(f"calibrate: trim must be (lower, upper), got {trim!r}")
        trim = (float(trim[0]), float(trim[1]))
        if trim[0] > trim[1]:
            raise ValueError(f"calibrate: trim lower {trim[0]} exceeds upper {trim[1]}")
    variables = as_list(variables)
    check_columns(design.data, variables, "calibrate")
    X, names = _calibration_matrix(design, variables, totals)
    w0 = design.analysis_weights()
    T = np.array([float(totals[k]) for k in names])
    closed = calfun == "linear" and lo == -np.inf and hi == np.inf
    sigma2, per_row_variance = _variance_vector(design, variance, X)
    lo_v = np.where(w0 > 0, lo / np.where(w0 > 0, w0, 1.0), lo) if bounds_const else lo
    hi_v = np.where(w0 > 0, hi / np.where(w0 > 0, w0, 1.0), hi) if bounds_const else hi
    ww = w0
    if aggregate_stage is not None:
        codes = _aggregation_codes(design, aggregate_stage)
        # the rows R's design holds: all of a calibrated design, else the domain's
        rows = np.ones(len(w0), dtype=bool) if design._calibration else design.domain
        X = _cluster_means(X, codes, rows)
        ww = _cluster_means(w0, codes, rows)
        if sigma2 is not None and (closed or not per_row_variance):
            # R's regcalibrate averages sigma2; its grake path only sigma2 = X v (as X)
            sigma2 = _cluster_means(sigma2, codes, rows)
    inside = ww > 0
    if sigma2 is not None and not (sigma2[inside] > 0).all():
        raise ValueError("calibrate: variance must be positive on every row with weight")
    g = np.ones(len(w0))
    notes = []
    if closed:
        s2 = np.ones(len(w0)) if sigma2 is None else sigma2
        metric = np.zeros(len(w0))
        metric[inside] = ww[inside] / s2[inside]
        G = X.T @ (X * metric[:, None])
        lam = np.linalg.lstsq(G, T - X.T @ ww, rcond=None)[0]
        g[inside] = 1.0 + (X[inside] @ lam) / s2[inside]
        if trim is not None:
            warnings.warn(
                "calibrate: trim= has no effect on linear calibration without bounds (as "
                "in R's calibrate); give finite bounds to trim",
                stacklevel=2,
            )
    else:
        metric = ww
        lo_i = lo_v[inside] if bounds_const else lo_v
        hi_i = hi_v[inside] if bounds_const else hi_v
        s2 = None if sigma2 is None else sigma2[inside]
        gi, failed = _grake(X[inside], ww[inside], T, calfun, lo_i, hi_i, epsilon, max_iter, s2)
        trimmed = _trim_g(gi, ww[inside], trim) if trim is not None else 0
        if trimmed:
            notes.append(f"{trimmed} g trimmed to [{trim[0]:g}, {trim[1]:g}]")
        if failed is not None:
            msg = (
                f"calibrate ({calfun}, bounds [{lo}, {hi}]) did not converge in {max_iter} "
                f"iterations (relative misfit {failed:.3g})"
            )
            if not trimmed:
                raise ValueError(msg + "; widen the bounds")
            # as R: trimming clears the failure (the totals are not met after it anyway)
            warnings.warn(msg + "; its g were trimmed", stacklevel=2)
        g[inside] = gi
    w1 = np.where(design.domain, design.weights * g, design.weights)
    bnd = "" if np.isinf(lo) and np.isinf(hi) else f", bounds [{lo:g}, {hi:g}]"
    if bnd and bounds_const:
        bnd = ", weight" + bnd[1:]
    if aggregate_stage is not None:
        notes.append(f"constant within stage-{aggregate_stage} clusters")
    if variance is not None:
        notes.append("with variance=")
    desc = f"calibrated ({calfun}{bnd}) on {', '.join(names)}"
    if notes:
        desc += f" ({'; '.join(notes)})"
    new = design._derive(weights=w1)
    new._calibration.append(_projection_step(X, metric, ww * g, desc))
    new.calibration_log.append(desc)
    return new


def _projection_step(X, metric, w_after, desc) -> CalibrationStep:
    """The variance's projection of a calibration (R's ``qr(X sqrt(metric))`` with ``w``),
    rows of negative calibrated weight (g < 0) written with ``-X`` and ``-w_after``: the
    same projection (``X w_after``, ``X / w_after`` and the Gram matrix are unchanged), as
    the variance only divides by positive ``w_after``."""
    neg = w_after < 0
    if neg.any():
        X = np.where(neg[:, None], -X, X)
        w_after = np.abs(w_after)
    return CalibrationStep(X, metric, w_after, desc)


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
