"""Means, totals and ratios for every design; domain differences by Taylor linearization."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .columns import as_list, check_columns
from .distributions import t_sf
from .results import build_frame, concat, domains, t_quantile, z_quantile


def mean_total(
    design,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None,
    kind: str,
    deff: bool | str,
    level: float,
    na_rm: bool,
    min_n: int | None,
) -> pd.DataFrame:
    """Means (``kind="mean"``) or totals of ``variables`` per domain, on any design of
    :class:`~commeval.survey.base.DesignBase` (its ``_ratio_variance`` gives the variance)."""
    variables = as_list(variables)
    if deff not in (True, False, "replace"):
        raise ValueError(f"deff must be True, False or 'replace', got {deff!r}")
    min_n = design.min_n if min_n is None else min_n
    codes, keys, G, inside, col = domains(design, by)
    w = design.weights
    zq = z_quantile(level)
    ones = np.ones(len(w))
    frames = []
    for v in variables:
        name, cats = categorical_levels(design, v)
        if cats is None:
            y = design.variable(v)
            parts = [(None, y, np.isnan(y))]
        else:  # a categorical variable: one row per level, as R's svymean(~factor(x))
            s = design.data[name]
            miss = s.isna().to_numpy()
            parts = [(c, (s == c).fillna(False).to_numpy(dtype=float), miss) for c in cats]
        for lev, y, miss in parts:
            valid = inside & ~miss
            we = np.where(valid, w, 0.0)
            y0 = np.where(valid, y, 0.0)
            W = np.bincount(col, weights=we, minlength=G)
            Y = np.bincount(col, weights=we * y0, minlength=G)
            n = np.bincount(col[valid], minlength=G)
            with np.errstate(divide="ignore", invalid="ignore"):
                est = Y / W if kind == "mean" else Y
            var = design._ratio_variance(we, y0, ones if kind == "mean" else None, est, col, G)
            se = np.sqrt(np.maximum(var, 0.0))
            d = None
            if deff:
                nobs = np.bincount(col[valid & (w != 0)], minlength=G).astype(float)
                with np.errstate(divide="ignore", invalid="ignore"):
                    ybar = Y / W
                    ss = np.bincount(col, weights=we * (y0 - ybar[col]) ** 2, minlength=G)
                    svyvar = ss / W * nobs / (nobs - 1)
                    # SRS without replacement; deff="replace": with replacement (no fpc)
                    fpc = 1.0 if deff == "replace" else (W - nobs) / W
                    if kind == "mean":
                        vsrs = svyvar / nobs * fpc
                    else:
                        vsrs = svyvar * W**2 / nobs * fpc
                    d = var / vsrs
            if not na_rm:
                nmiss = np.bincount(col[inside & miss], minlength=G)
                est = np.where(nmiss > 0, np.nan, est)
                se = np.where(nmiss > 0, np.nan, se)
            levels = None if lev is None else [lev] * G
            frames.append(
                build_frame(
                    name, keys, est, se, est - zq * se, est + zq * se, n, min_n, levels, deff=d
                )
            )
    out = concat(frames)
    by_cols = list(keys.columns)
    if by_cols and len(out) and "level" in out.columns:
        out = out.sort_values(["variable", *by_cols], kind="stable").reset_index(drop=True)
    return out


def categorical_levels(design, v: str) -> tuple[str, list | None]:
    """``(column, levels)`` of a categorical variable (R's factor: one estimate per level) —
    ``"C(x)"``/``"factor(x)"``, a categorical column with non-numeric categories, or text that
    is not numeric — else ``(v, None)``."""
    from .proportion import categories

    for pre in ("C(", "factor("):
        if v.startswith(pre) and v.endswith(")"):
            name = v[len(pre) : -1].strip()
            check_columns(design.data, [name])
            return name, categories(design, name)
    check_columns(design.data, [v])
    s = design.data[v]
    if isinstance(s.dtype, pd.CategoricalDtype):
        if pd.api.types.is_numeric_dtype(s.cat.categories.dtype):
            return v, None
        return v, [c for c in s.cat.categories if (s == c).any()]
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return v, None
    conv = pd.to_numeric(s, errors="coerce")
    if (conv.isna() & s.notna()).any():
        return v, categories(design, v)
    return v, None


def ratio(
    design,
    numerator: str | Sequence[str],
    denominator: str | Sequence[str],
    by: str | Sequence[str] | None,
    level: float,
    min_n: int | None,
) -> pd.DataFrame:
    """Ratios of totals ``numerator / denominator`` per domain, on any design."""
    nums, dens = as_list(numerator), as_list(denominator)
    min_n = design.min_n if min_n is None else min_n
    codes, keys, G, inside, col = domains(design, by)
    w = design.weights
    zq = z_quantile(level)
    frames = []
    for a in nums:
        ya = design.variable(a)
        for b in dens:
            yb = design.variable(b)
            valid = inside & ~np.isnan(ya) & ~np.isnan(yb)
            we = np.where(valid, w, 0.0)
            y0 = np.where(valid, ya, 0.0)
            x0 = np.where(valid, yb, 0.0)
            X = np.bincount(col, weights=we * x0, minlength=G)
            Y = np.bincount(col, weights=we * y0, minlength=G)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = Y / X
            var = design._ratio_variance(we, y0, x0, r, col, G)
            se = np.sqrt(np.maximum(var, 0.0))
            n = np.bincount(col[valid], minlength=G)
            frames.append(build_frame(f"{a}/{b}", keys, r, se, r - zq * se, r + zq * se, n, min_n))
    return concat(frames)


def compare_domains(
    design, variable: str, by: str, a: Any, b: Any, level: float = 0.95
) -> pd.DataFrame:
    """Difference of design-based means, domain ``by == a`` minus ``by == b``.

    The SE accounts for the covariance of the two domain means (they share PSUs). The t test
    uses ``degf - 1`` of the design restricted to the two domains, as R's
    ``svyttest(y ~ g, subset(design, by %in% c(a, b)))``.
    """
    y = design.variable(variable)
    g = design.data[by]
    in_a = (g == a).fillna(False).to_numpy(dtype=bool) & design.domain
    in_b = (g == b).fillna(False).to_numpy(dtype=bool) & design.domain
    if not in_a.any() or not in_b.any():
        raise ValueError(
            f"compare_domains: column {by!r} has {int(in_a.sum())} rows equal to {a!r} and "
            f"{int(in_b.sum())} rows equal to {b!r} in the design; both must be present"
        )
    ok = ~np.isnan(y)
    y0 = np.where(ok, y, 0.0)
    in_a, in_b = in_a & ok, in_b & ok
    col = np.where(in_b, 1, 0)
    we = np.where(in_a | in_b, design.weights, 0.0)
    W = np.bincount(col, weights=we, minlength=2)
    est = np.bincount(col, weights=we * y0, minlength=2) / W
    ns = np.array([in_a.sum(), in_b.sum()], dtype=np.int64)
    V = design._ratio_covariance(we, y0, np.ones(len(y0)), est, col, 2)
    diff = est[0] - est[1]
    se = float(np.sqrt(max(V[0, 0] + V[1, 1] - 2 * V[0, 1], 0.0)))
    df = design.degf(in_a | in_b) - 1
    t = diff / se if se > 0 else np.nan
    p = float(2 * t_sf(abs(t), df)) if df > 0 else np.nan
    tq = t_quantile(level, df)
    return pd.DataFrame(
        {
            "variable": [variable],
            "by": [by],
            "a": [a],
            "b": [b],
            "estimate_a": [est[0]],
            "estimate_b": [est[1]],
            "difference": [diff],
            "se": [se],
            "ci_low": [diff - tq * se],
            "ci_high": [diff + tq * se],
            "t": [t],
            "df": [df],
            "p_value": [p],
            "n_a": [int(ns[0])],
            "n_b": [int(ns[1])],
            "small_cell": [bool(min(ns) < design.min_n)],
        }
    )


def variance(
    design,
    variables: str | Sequence[str],
    by: str | Sequence[str] | None,
    level: float,
    min_n: int | None,
) -> pd.DataFrame:
    """Population variance per domain as R's ``svyvar``: the weighted mean of
    ``n/(n-1) (y - ybar)^2``.

    Taylor designs (``svyvar.survey.design``): ``n`` counts the rows with weight in the domain,
    answered or not (R counts them before dropping missing values), and the SE is that of the
    mean of ``u`` with ``ybar`` held fixed. Replicate designs (``svyvar.svyrep.design``): ``n``
    counts the answered rows of the domain (R drops missing rows first) and the statistic is
    recomputed under every replicate, its mean ``ybar`` included."""
    min_n = design.min_n if min_n is None else min_n
    codes, keys, G, inside, col = domains(design, by)
    w = design.weights
    zq = z_quantile(level)
    ones = np.ones(len(w))
    replicate = hasattr(design, "factors")
    frames = []
    for v in as_list(variables):
        y = design.variable(v)
        valid = inside & ~np.isnan(y)
        we = np.where(valid, w, 0.0)
        y0 = np.where(valid, y, 0.0)
        W = np.bincount(col, weights=we, minlength=G)
        if replicate:
            nobs = np.bincount(col[valid], minlength=G).astype(float)
        else:
            nobs = np.bincount(col[inside & (w != 0)], minlength=G).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ybar = np.bincount(col, weights=we * y0, minlength=G) / W
            dev = np.where(valid, y0 - ybar[col], 0.0)
            u = dev**2 * (nobs / (nobs - 1))[col]
            est = np.bincount(col, weights=we * u, minlength=G) / W
        if replicate:
            var = design.variance(design._replicate_svyvar(we, dev, nobs, col, G), est)
        else:
            var = design._ratio_variance(we, u, ones, est, col, G)
        se = np.sqrt(np.maximum(var, 0.0))
        n = np.bincount(col[valid], minlength=G)
        frames.append(build_frame(v, keys, est, se, est - zq * se, est + zq * se, n, min_n))
    return concat(frames)
