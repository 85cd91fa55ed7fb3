"""Quantiles as R's ``svyquantile``: the estimate by ``qrule``; the interval by Woodruff
("mean", "beta", "xlogit", "asin"), by Francisco and Fuller's score test ("score", Taylor
designs) or from the replicate quantiles ("quantile", replicate designs); SE from the CI."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .columns import as_list
from .results import build_frame, concat, domains, t_quantile, t_quantiles


def qrule_math(
    x_sorted: np.ndarray, cumw: np.ndarray, p: float, total: float | None = None
) -> float:
    """Inverse of the weighted empirical CDF (R's default ``qrule="math"``).

    ``cumw`` holds cumulative weights of the sorted values (``total`` their sum, default
    ``cumw[-1]``). The result is the value at the last position whose cumulative weight is
    <= p * total when that position hits p exactly, otherwise the next value. As R, a p
    below the first value's share takes that position as the first one (so the result is
    the second value).
    """
    n = len(x_sorted)
    if n == 0 or not np.isfinite(p) or p < 0 or p > 1:
        return float("nan")
    total = cumw[-1] if total is None else total
    pos = max(int(np.searchsorted(cumw, p * total, side="right")) - 1, 0)
    if p - cumw[pos] / total == 0:
        return float(x_sorted[pos])
    return float(x_sorted[min(pos + 1, n - 1)])


QRULES = ("math", "school", "hf1", "hf2", "hf3", "hf4", "hf5", "hf6", "hf7", "hf8", "hf9")
INTERVALS = ("mean", "beta", "xlogit", "asin", "score", "quantile")
TAYLOR_ONLY = ("score",)
REPLICATE_ONLY = ("quantile",)


def _qs(xs, cw, p, total=None):
    total = cw[-1] if total is None else total
    pos = int(np.searchsorted(cw, p * total, side="right")) - 1
    pos = max(pos, 0)
    nxt = min(pos + 1, len(xs) - 1)
    return pos, nxt, p - cw[pos] / total, cw[nxt] / total - p


def apply_qrule(
    rule: str,
    xs: np.ndarray,
    ws: np.ndarray,
    cw: np.ndarray,
    p: float,
    total: float | None = None,
) -> float:
    """R's ``qrule_<rule>(x, w, p)`` on values ``xs`` sorted (stable) with weights ``ws`` > 0
    and their cumulative sums ``cw``: "math"/"hf1" (inverse CDF), "school"/"hf2" (average at
    a jump), "hf3" (nearest even order statistic of the distinct values), "hf4"–"hf9"
    (interpolation between plotting positions, Hyndman & Fan's weighted forms as R).
    ``total``: R's ``sum(w)`` for the math and school rules (default ``cw[-1]``)."""
    n = len(xs)
    if n == 0 or not np.isfinite(p) or p < 0 or p > 1:
        return float("nan")
    if rule in ("math", "hf1"):
        return qrule_math(xs, cw, p, total)
    if rule in ("school", "hf2"):
        pos, nxt, wlow, _ = _qs(xs, cw, p, total)
        return float((xs[pos] + xs[nxt]) / 2) if wlow == 0 else float(xs[nxt])
    if rule == "hf3":
        ux, inv = np.unique(xs, return_inverse=True)
        # R: rowsum (double, in row order) of the weights of each value, then cumsum and sum
        # with extended-precision accumulation
        ucw = np.cumsum(np.bincount(inv, weights=ws).astype(np.longdouble)).astype(float)
        pos, nxt, wlow, _ = _qs(ux, ucw, p)
        return float(ux[pos]) if wlow == 0 and (pos + 1) % 2 == 0 else float(ux[nxt])
    if rule == "hf4":
        pos, nxt, wlow, wup = _qs(xs, cw, p)
        gamma = wlow / (wup + wlow) if (wup + wlow) != 0 else 0.0
        return float(xs[pos] * (1 - gamma) + xs[nxt] * gamma)
    prev = np.concatenate([[0.0], cw[:-1]])
    if rule == "hf5":
        pk = (cw - ws / 2) / cw[-1]
    elif rule == "hf6":
        pk = cw / (cw[-1] + ws[-1])
    elif rule == "hf7":
        pk = prev / cw[n - 2] if n > 1 else np.zeros(1)
    elif rule == "hf8":
        pk = (prev / 3 + cw * 2 / 3) / (cw[-1] + ws[-1] / 3)
    elif rule == "hf9":
        pk = (prev * 3 / 8 + cw * 5 / 8) / (cw[-1] + ws[-1] / 4)
    else:
        raise ValueError(f"qrule must be one of {QRULES}, got {rule!r}")
    return float(np.interp(p, pk, xs))


# ---------------------------------------------------------------------- root finding
_EPS = sys.float_info.epsilon
_DBL_MAX = sys.float_info.max


def zeroin(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    f_lower: float,
    f_upper: float,
    tol: float,
    maxiter: int = 1000,
) -> float:
    """A root of ``f`` in [lower, upper] by Brent's (1973, ch. 4) zero finder, step by step as
    R's ``uniroot`` runs it: ``c`` holds the opposite-signed end, the tolerance is
    ``2 eps |b| + tol / 2``, an inverse quadratic (or secant) step is taken when the last
    step was large enough, ``|f|`` is falling and the step stays inside 3/4 of the bracket and
    below half the last step; bisection otherwise. Non-finite values of ``f`` at the iterates
    count as -DBL_MAX (``-Inf``) or DBL_MAX (``+Inf``, NaN), as R's wrapper. After ``maxiter``
    steps without convergence the last iterate (R warns)."""
    a, b, fa, fb = float(lower), float(upper), float(f_lower), float(f_upper)
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    with np.errstate(all="ignore"):
        for _ in range(maxiter + 1):
            prev_step = b - a
            if abs(fc) < abs(fb):  # b becomes the best approximation
                a, b, c = b, c, b
                fa, fb, fc = fb, fc, fb
            tol_act = 2 * _EPS * abs(b) + tol / 2
            new_step = (c - b) / 2
            if abs(new_step) <= tol_act or fb == 0.0:
                return b
            if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
                cb = c - b
                if a == c:  # two points: secant
                    t1 = _div(fb, fa)
                    p = cb * t1
                    q = 1.0 - t1
                else:  # three points: inverse quadratic interpolation
                    q = _div(fa, fc)
                    t1 = _div(fb, fc)
                    t2 = _div(fb, fa)
                    p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                    q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
                if p > 0:
                    q = -q
                else:
                    p = -p
                if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                    new_step = _div(p, q)
            if abs(new_step) < tol_act:
                new_step = tol_act if new_step > 0 else -tol_act
            a, fa = b, fb
            b += new_step
            fb = f(b)
            if not math.isfinite(fb):
                fb = -_DBL_MAX if fb == -math.inf else _DBL_MAX
            if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
                c, fc = a, fa
    return b


def _div(x: float, y: float) -> float:
    """IEEE division (``x / 0`` is ±Inf or NaN, not an exception)."""
    return float(np.float64(x) / np.float64(y))


def uniroot(f: Callable[[float], float], lower: float, upper: float, tol: float) -> float:
    """R's ``uniroot(f, c(lower, upper), tol=tol)$root`` (``maxiter=1000``, no extension of
    the interval): :func:`zeroin` from the values at the ends. NaN where R stops with an error
    (``lower >= upper``, a missing end value, no change of sign)."""
    if not lower < upper:
        return float("nan")
    fl, fu = f(lower), f(upper)
    if math.isnan(fl) or math.isnan(fu) or np.sign(fl) * np.sign(fu) > 0:
        return float("nan")
    return zeroin(f, lower, upper, fl, fu, tol)


def quantile_type7(x: np.ndarray, p: float) -> float:
    """R's default ``quantile(x, p)`` (type 7), with R's arithmetic."""
    xs = np.sort(np.asarray(x, dtype=float))
    index = 1 + max(len(xs) - 1, 0) * p  # 1-based, as R
    lo = math.floor(index)
    hi = math.ceil(index)
    q = float(xs[lo - 1])
    if index > lo and xs[hi - 1] != q:
        h = index - lo
        q = (1 - h) * q + h * float(xs[hi - 1])
    return q


# ---------------------------------------------------------------------- R-exact sums
def _sorted_weights(x: np.ndarray, w: np.ndarray):
    """``x`` sorted (stable) with its weights, zero weights dropped, and the cumulative and
    total weights as R's ``cumsum``/``sum`` give them (sequential extended-precision sums,
    rounded to double): the math and school rules compare ``cumw <= p * sum(w)`` exactly."""
    return next(_sorted_weight_sets(x, w[None, :]))


def _sorted_weight_sets(x: np.ndarray, W: np.ndarray):
    """:func:`_sorted_weights` of ``x`` under each row of weights ``W`` (sets x rows), sorting
    ``x`` once."""
    o = np.argsort(x, kind="stable")
    xs = x[o]
    Ws = W[:, o]
    # adding a zero weight leaves an extended-precision sum unchanged: one cumsum for all
    CW = np.cumsum(Ws.astype(np.longdouble), axis=1).astype(float)
    total = np.cumsum(W.astype(np.longdouble), axis=1)[:, -1].astype(float) if len(x) else None
    for r in range(len(W)):
        keep = Ws[r] != 0
        t = float(total[r]) if keep.any() else float("nan")
        yield xs[keep], Ws[r][keep], CW[r][keep], t


def _qrule_at(rule: str, sw: tuple, p: float) -> float:
    """:func:`apply_qrule` on the output of :func:`_sorted_weights`."""
    xs, ws, cw, total = sw
    return apply_qrule(rule, xs, ws, cw, p, total)


def _r_share(k: int, n: int) -> float:
    """R's ``mean()`` of a logical vector with ``k`` TRUE of ``n`` (long double division)."""
    return float(np.longdouble(k) / np.longdouble(n)) if n else float("nan")


# ---------------------------------------------------------------------- score interval
def _score_ends(design, y, we_g, rows, p, qrule, df, level) -> tuple[float, float]:
    """R's ``ffullerCI``: the thetas where the design t statistic of the mean of
    ``1(x > theta) - (1 - p)`` equals -/+ the t quantile (``uniroot`` in [min + IQR/100,
    max - IQR/100] with tolerance 1/(100 sqrt(n)) over the ``rows`` of the domain's design),
    mapped back through ``qrule`` at the unweighted share of those rows <= theta."""
    x = np.where(np.isnan(y[rows]), 0.0, y[rows])  # R sets missing x to 0 on kept rows
    n_rows = len(x)
    if n_rows == 0:
        return float("nan"), float("nan")
    tq = t_quantile(level, df)
    iqr = quantile_type7(x, 0.75) - quantile_type7(x, 0.25)
    lower = float(np.min(x)) + iqr / 100
    upper = float(np.max(x)) - iqr / 100
    tol = 1 / (100 * math.sqrt(n_rows))

    w_pos = we_g > 0
    ypos = np.where(w_pos, y, 0.0)
    W = float(we_g.sum())
    col = np.zeros(len(y), dtype=np.int64)
    ones = w_pos.astype(float)
    xs_pos = np.sort(ypos[w_pos])
    cache: dict[int, float] = {}

    def t_stat(theta: float) -> float:
        # a step function of theta: the same rows above theta give the same statistic
        key = int(np.searchsorted(xs_pos, theta, side="right"))
        if key not in cache:
            u = np.where(w_pos, (ypos > theta) - (1 - p), 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                m = float(np.float64(np.dot(we_g, u)) / np.float64(W))
            var = design._ratio_variance(we_g, u, ones, np.array([m]), col, 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                cache[key] = float(np.float64(m) / np.sqrt(np.float64(var[0])))
        return cache[key]

    sw = _sorted_weights(y[rows & w_pos], we_g[rows & w_pos])
    ends = []
    for qlimit in (tq, -tq):
        root = uniroot(lambda th, q=qlimit: t_stat(th) - q, lower, upper, tol)
        if math.isnan(root):  # R stops with an error: no interval
            return float("nan"), float("nan")
        share = _r_share(int(np.count_nonzero(x <= root)), n_rows)
        ends.append(_qrule_at(qrule, sw, share))
    return ends[0], ends[1]


# ---------------------------------------------------------------------- replicate interval
def _replicate_quantile_se(design, y, rows, qs, qrule, qhat) -> np.ndarray:
    """R's ``repCI`` for each probability of ``qs``: the SE of the quantile from its value
    under every replicate's analysis weights (``svrVar``: ``scale * sum rscales (theta_r -
    center)^2``, the centre the mean of the replicates with ``rscales > 0``, or the estimate
    ``qhat`` under ``mse``; replicates without a value are dropped, as R's ``na.omit``)."""
    W = np.array([wr[rows] for wr in design._replicate_row_weights(design.weights)])
    reps = np.array(
        [[_qrule_at(qrule, sw, p) for p in qs] for sw in _sorted_weight_sets(y[rows], W)]
    )
    rscales = np.asarray(design.rscales, dtype=float)
    se = np.full(len(qs), np.nan)
    for k in range(len(qs)):
        ok = ~np.isnan(reps[:, k])
        r, rs = reps[ok, k], rscales[ok]
        if len(r):
            center = qhat[k] if design.mse else r[rs > 0].mean()
            se[k] = math.sqrt(float(np.sum((r - center) ** 2 * rs) * design.scale))
    return se


def quantile(
    design,
    variables: str | Sequence[str],
    quantiles: float | Sequence[float] = (0.25, 0.5, 0.75),
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int | None = None,
    qrule: str = "math",
    interval: str = "mean",
) -> pd.DataFrame:
    """One row per variable x domain x quantile (``level`` column holds the probability), on
    any design, t on its ``_domain_df``. ``qrule`` and ``interval`` are R's ``qrule=`` and
    ``interval.type=``: Woodruff ("mean", "beta", "xlogit", "asin": the CI of the CDF, its
    variance from ``_ratio_variance``, inverted by the same rule); "score" (Taylor designs):
    R's score-test interval, its ends found as R's ``uniroot`` finds them; "quantile"
    (replicate designs): estimate ± t SE, the SE from the replicate quantiles."""
    from .proportion import prop_ci

    if qrule not in QRULES:
        raise ValueError(f"qrule must be one of {QRULES}, got {qrule!r}")
    if interval not in INTERVALS:
        raise ValueError(
            f"interval must be one of {INTERVALS} ('score' on Taylor designs, 'quantile' on "
            f"replicate designs, as R), got {interval!r}"
        )
    replicate = hasattr(design, "_replicate_row_weights")  # a ReplicateDesign
    if replicate and interval in TAYLOR_ONLY:
        raise ValueError(
            f"interval={interval!r} is for Taylor designs (R's svyquantile has no score "
            "interval on replicate designs); use 'quantile' or a Woodruff interval "
            "('mean', 'beta', 'xlogit', 'asin')"
        )
    if not replicate and interval in REPLICATE_ONLY:
        raise ValueError(
            f"interval={interval!r} needs replicate weights (R: svrepdesign / "
            "as.svrepdesign); on a Taylor design use 'score' or a Woodruff interval "
            "('mean', 'beta', 'xlogit', 'asin')"
        )
    qs = [float(quantiles)] if np.isscalar(quantiles) else [float(q) for q in quantiles]
    min_n = design.min_n if min_n is None else min_n
    codes, keys, G, inside, col = domains(design, by)
    frames = []
    for v in as_list(variables):
        y = design.variable(v)
        valid = inside & ~np.isnan(y)
        we = np.where(valid, design.weights, 0.0)
        # R's degf of the domain after na.rm (replicate designs: rank of the answered rows)
        df = design._domain_df(np.where(valid, codes, -1), valid, G)
        n = np.bincount(col[valid], minlength=G)
        est = np.full((G, len(qs)), np.nan)
        lo = np.full_like(est, np.nan)
        hi = np.full_like(est, np.nan)
        sorted_by_dom = []
        nrows = design._domain_nrows(codes, G) if interval == "beta" else None
        for g in range(G):
            m = valid & (codes == g) & (we > 0)
            sorted_by_dom.append(_sorted_weights(y[m], we[m]))
            for k, p in enumerate(qs):
                est[g, k] = _qrule_at(qrule, sorted_by_dom[g], p)
        if interval == "score":
            # R's svyby subsets the design: an uncalibrated design keeps the domain's rows
            # (and na.rm its answered ones), a calibrated one keeps every row, missing x as 0
            calibrated = bool(getattr(design, "_calibration", None))
            for g in range(G):
                we_g = np.where(codes == g, we, 0.0)
                rows = np.ones(len(y), dtype=bool) if calibrated else valid & (codes == g)
                for k, p in enumerate(qs):
                    lo[g, k], hi[g, k] = _score_ends(design, y, we_g, rows, p, qrule, df[g], level)
        elif interval == "quantile":
            for g in range(G):
                rows = valid & (codes == g)
                se_q = _replicate_quantile_se(design, y, rows, qs, qrule, est[g])
                tq = t_quantile(level, df[g])
                lo[g], hi[g] = est[g] - se_q * tq, est[g] + se_q * tq
        else:
            W = np.bincount(col, weights=we, minlength=G)
            y0 = np.where(valid, y, 0.0)
            ones = np.ones(len(y0))
            for k in range(len(qs)):
                # Woodruff: SE of the estimated CDF at the quantile, inverted through the CDF
                u = (y0 <= est[col, k]).astype(float)
                with np.errstate(divide="ignore", invalid="ignore"):
                    pu = np.bincount(col, weights=we * u, minlength=G) / W
                var = design._ratio_variance(we, u, ones, pu, col, G)
                se_p = np.sqrt(np.maximum(var, 0.0))
                if interval == "mean":
                    tq = np.array([t_quantile(level, df[g]) for g in range(G)])
                    plo, phi = pu - tq * se_p, pu + tq * se_p
                else:
                    plo, phi = prop_ci(pu, se_p, df, nrows, interval, level)
                for g in range(G):
                    lo[g, k] = _qrule_at(qrule, sorted_by_dom[g], plo[g])
                    hi[g, k] = _qrule_at(qrule, sorted_by_dom[g], phi[g])
        for k, p in enumerate(qs):
            tqs = t_quantiles(level, df)
            se = (hi[:, k] - lo[:, k]) / (2 * tqs)
            frames.append(
                build_frame(v, keys, est[:, k], se, lo[:, k], hi[:, k], n, min_n, [p] * G)
            )
    return concat(frames)
