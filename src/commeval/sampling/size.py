"""How many: sample sizes for a margin of error or a target CV, design effects from last
year's survey, allocation across townships, villages versus households per village.

Conventions (Cochran 1977, ch. 4; Valliant, Dever & Kreuter 2018, ch. 3 and 9 — PracTools'
``nPropMoe``, ``nContMoe``, ``nCont``, ``strAlloc``, ``deffK``, ``clusOpt2``):

* a proportion within ``moe`` with confidence ``level``: ``n0 = z^2 p (1 - p) deff / moe^2``;
* a mean within ``moe``: ``n0 = z^2 sd^2 deff / moe^2``;
* a target CV of a mean: ``n0 = (sd / mean)^2 deff / CV0^2``;
* the finite population correction when ``N`` is given: Cochran's ``n = n0 / (1 + (n0 - 1) / N)``
  for a proportion (whose population variance is ``N p (1 - p) / (N - 1)``), and
  ``n = n0 / (1 + n0 / N)`` for a mean or a CV, whose ``sd`` is the population ``S`` (divisor
  N - 1), as PracTools' ``nContMoe`` and ``nCont``;
* n is rounded up after rounding to 6 decimals (a floating-point 1600.0000001 is 1600), then
  divided by the expected response rate and rounded up again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import norm

from commeval.data.conventions import DESIGN

if TYPE_CHECKING:  # pragma: no cover
    from commeval.survey.base import DesignBase


def _ceil6(x: float) -> int:
    return int(math.ceil(round(float(x), 6)))


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level = {level}: 置信水平须在 0 和 1 之间")
    return float(norm.ppf(1 - (1 - level) / 2))


def _finish(n0: float, N: float | None, response_rate: float, proportion: bool = True) -> int:
    if not 0 < response_rate <= 1:
        raise ValueError(f"response_rate = {response_rate}: 应答率须在 0 和 1 之间 (0, 1]")
    if N is not None:
        if N < 1:
            raise ValueError(f"N = {N}: 总体规模须至少为 1")
        n0 = n0 / (1 + ((n0 - 1) if proportion else n0) / N)
    n = _ceil6(n0)
    if response_rate < 1:
        n = _ceil6(n / response_rate)
    return n


def _check_positive(**values: float) -> None:
    for k, v in values.items():
        if not (v > 0):
            raise ValueError(f"{k} = {v}: 须为正数 (must be positive)")


def sample_size(
    moe: float,
    p: float = 0.5,
    deff: float = 1.0,
    N: float | None = None,
    response_rate: float = 1.0,
    level: float = 0.95,
) -> int:
    """Completed interviews to ask for so that a proportion near ``p`` is estimated within
    ``± moe`` with confidence ``level`` under design effect ``deff`` (population ``N`` for
    the FPC), inflated for the expected ``response_rate`` (see the module docstring)."""
    _check_positive(moe=moe, deff=deff)
    if not 0 < p < 1:
        raise ValueError(f"p = {p}: 预期比例须在 0 和 1 之间")
    n0 = _z(level) ** 2 * p * (1 - p) * deff / moe**2
    return _finish(n0, N, response_rate)


def sample_size_mean(
    moe: float,
    sd: float,
    deff: float = 1.0,
    N: float | None = None,
    response_rate: float = 1.0,
    level: float = 0.95,
) -> int:
    """Sample size for a mean within ``± moe`` (same units as ``sd``, the population standard
    deviation) with confidence ``level``; otherwise as :func:`sample_size`."""
    _check_positive(moe=moe, sd=sd, deff=deff)
    n0 = _z(level) ** 2 * sd**2 * deff / moe**2
    return _finish(n0, N, response_rate, proportion=False)


def sample_size_cv(
    cv: float,
    unit_cv: float,
    deff: float = 1.0,
    N: float | None = None,
    response_rate: float = 1.0,
) -> int:
    """Sample size for a mean (or total) with coefficient of variation ``cv`` when the
    population's unit CV (sd / mean) is ``unit_cv`` (PracTools ``nCont(CV0, CVpop, N)``)."""
    _check_positive(cv=cv, unit_cv=unit_cv, deff=deff)
    n0 = unit_cv**2 * deff / cv**2
    return _finish(n0, N, response_rate, proportion=False)


def margin_of_error(
    n: float, p: float = 0.5, deff: float = 1.0, N: float | None = None, level: float = 0.95
) -> float:
    """The margin of error of a proportion from ``n`` completed interviews (the inverse of
    :func:`sample_size` before rounding)."""
    _check_positive(n=n, deff=deff)
    fpc = 1.0 if N is None else (N - n) / (N - 1)
    return _z(level) * math.sqrt(p * (1 - p) * deff * fpc / n)


# ---------------------------------------------------------------------------- design effects
def deff_kish(weights: Sequence[float] | np.ndarray) -> float:
    """Kish's design effect of unequal weighting, ``n sum w^2 / (sum w)^2`` (PracTools
    ``deffK``)."""
    w = np.asarray(weights, dtype=float)
    w = w[~np.isnan(w)]
    if len(w) == 0 or w.sum() <= 0:
        raise ValueError("weights: 没有正的权数 (no positive weights)")
    return float(len(w) * (w**2).sum() / w.sum() ** 2)


def deff_cluster(m: float, rho: float) -> float:
    """Design effect of clustering with ``m`` interviews per village and intra-village
    correlation ``rho``: ``1 + (m - 1) rho``."""
    return 1.0 + (m - 1.0) * rho


@dataclass(frozen=True)
class DesignEffect:
    """Design effect of an estimate of last year's survey and what it implies: Kish's
    ``deff_kish`` (weights), the cluster part ``deff / deff_kish`` and the intra-village
    correlation ``rho = (deff / deff_kish - 1) / (m - 1)`` (``m``: mean interviews per
    village)."""

    variable: str
    estimate: float
    se: float
    deff: float
    deff_kish: float
    m: float
    rho: float

    def for_m(self, m: float) -> float:
        """The design effect next year with ``m`` interviews per village (same weighting)."""
        return self.deff_kish * deff_cluster(m, self.rho)


def design_effects(
    design: DesignBase, variables: str | Sequence[str], psu: str | None = None
) -> pd.DataFrame:
    """Design effects of the means of ``variables`` in a survey design (the survey engine's
    ``mean(deff=True)``, R's ``svymean(deff=TRUE)``) with Kish's deffK of its weights and the
    intra-village correlation they imply (:class:`DesignEffect`), one row per variable.
    ``psu``: the village column (default: the design's PSU column)."""
    vars_ = [variables] if isinstance(variables, str) else list(variables)
    est = design.mean(vars_, deff=True)
    w = design.analysis_weights()
    dk = deff_kish(w[w > 0])
    col = psu or getattr(design, "spec", {}).get("psu") or DESIGN["psu"]
    if col is None:
        raise ValueError("design_effects: 设计中没有初级抽样单元（村）列 (no PSU column)")
    inset = w > 0
    m = float(inset.sum() / design.data.loc[inset, col].nunique())
    rows = []
    for r in est.itertuples():
        rho = (r.deff / dk - 1) / (m - 1) if m > 1 else float("nan")
        rows.append(DesignEffect(r.variable, r.estimate, r.se, float(r.deff), dk, m, rho))
    return pd.DataFrame([vars(x) for x in rows])


# ---------------------------------------------------------------------------- allocation
ALLOCATIONS = ("proportional", "equal", "neyman", "power")


def allocate(
    n: int,
    sizes: Mapping[str, float] | pd.Series,
    method: str = "proportional",
    sd: Mapping[str, float] | pd.Series | None = None,
    power: float = 0.5,
    minimum: int = 0,
) -> pd.Series:
    """Allocate ``n`` interviews across townships (strata) of population ``sizes``:
    ``proportional`` (n_h ∝ N_h), ``equal``, ``neyman`` (n_h ∝ N_h S_h, ``sd`` = S_h) or
    ``power`` (n_h ∝ N_h^power, Bankier 1988 — 0.5 balances the district estimate against
    every township's). Rounded to integers summing to ``n`` (largest remainders), at least
    ``minimum`` per township and never above N_h."""
    if method not in ALLOCATIONS:
        raise ValueError(f"method = {method!r}: 分配方法须为 {ALLOCATIONS} 之一")
    N = pd.Series(sizes, dtype=float)
    if (N <= 0).any() or N.isna().any():
        raise ValueError("sizes: 各乡镇的总体规模须为正数 (positive stratum sizes)")
    if n < minimum * len(N) or n > N.sum():
        raise ValueError(f"n = {n}: 样本量须在 {minimum * len(N)} 和 {int(N.sum())} 之间")
    if method == "proportional":
        share = N
    elif method == "equal":
        share = pd.Series(1.0, index=N.index)
    elif method == "neyman":
        if sd is None:
            raise ValueError("neyman 分配需要各乡镇的标准差 sd (stratum standard deviations)")
        S = pd.Series(sd, dtype=float).reindex(N.index)
        if S.isna().any() or (S < 0).any():
            raise ValueError("sd: 每个乡镇都需要非负的标准差")
        share = N * S
    else:
        share = N**power
    raw = n * share / share.sum()
    out = _round_to_total(raw.to_numpy(), n, np.full(len(N), minimum), N.to_numpy())
    return pd.Series(out, index=N.index, name="n")


def _round_to_total(raw: np.ndarray, n: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Integers near ``raw`` within [lo, hi] summing to ``n`` (largest remainders)."""
    x = np.clip(raw, lo, hi)
    # spread what clipping freed over the unclipped strata, repeatedly
    for _ in range(len(x)):
        free = (x > lo) & (x < hi)
        gap = n - x.sum()
        if abs(gap) < 1e-9 or not free.any():
            break
        x = np.where(free, x + gap * raw / raw[free].sum(), x)
        x = np.clip(x, lo, hi)
    out = np.floor(x + 1e-9).astype(np.int64)
    rem = x - out
    short = n - int(out.sum())
    for i in np.argsort(-rem, kind="stable"):
        if short <= 0:
            break
        if out[i] < hi[i]:
            out[i] += 1
            short -= 1
    return out


# ---------------------------------------------------------------------------- two stages
@dataclass(frozen=True)
class ClusterOptimum:
    """The two-stage optimum (PracTools ``clusOpt2``): ``villages`` (m) and
    ``households_per_village`` (n̄) minimising the variance for a budget, or the cost for a
    target CV; ``cv`` and ``cost`` of that design."""

    cost_village: float
    cost_household: float
    delta: float
    unit_relvar: float
    k: float
    villages: float
    households_per_village: float
    cv: float
    cost: float


def cluster_optimum(
    cost_village: float,
    cost_household: float,
    delta: float,
    unit_relvar: float = 1.0,
    k: float = 1.0,
    cv: float | None = None,
    budget: float | None = None,
) -> ClusterOptimum:
    """Villages versus households per village from the cost ratio (Hansen, Hurwitz & Madow
    1953; Valliant, Dever & Kreuter 2018, sect. 9.3.1; PracTools ``clusOpt2``):
    ``n̄ = sqrt(C1 / C2 (1 - delta) / delta)``; for a ``budget`` (variable costs)
    ``m = budget / (C1 + C2 n̄)``, for a target ``cv``
    ``m = unit_relvar k (1 + delta (n̄ - 1)) / (n̄ cv^2)``. ``delta`` is the intra-village
    correlation (:func:`design_effects`' rho). Unrounded: round up for the field."""
    if (cv is None) == (budget is None):
        raise ValueError(
            "cluster_optimum: 给出预算 budget 或目标变异系数 cv 之一 (one of budget, cv)"
        )
    _check_positive(cost_village=cost_village, cost_household=cost_household,
                    unit_relvar=unit_relvar, k=k)  # fmt: skip
    if not 0 < delta < 1:
        raise ValueError(f"delta = {delta}: 村内相关系数须在 0 和 1 之间")
    nbar = math.sqrt(cost_village / cost_household * (1 - delta) / delta)
    infl = unit_relvar * k * (1 + delta * (nbar - 1))
    if budget is not None:
        _check_positive(budget=budget)
        m = budget / (cost_village + cost_household * nbar)
        out_cv = math.sqrt(infl / (m * nbar))
        cost = float(budget)
    else:
        assert cv is not None
        _check_positive(cv=cv)
        m = infl / nbar / cv**2
        out_cv = float(cv)
        cost = cost_village * m + cost_household * m * nbar
    return ClusterOptimum(
        cost_village, cost_household, delta, unit_relvar, k, m, nbar, out_cv, cost
    )
