"""Weights: fixed expert weights, AHP (eigenvector), entropy, CRITIC and combined weights.

The methods take a frame of alternatives × criteria (or a pairwise matrix) and return weights as
a :class:`pandas.Series` indexed by criterion and summing to 1. :func:`within_weights`,
:func:`indicator_weights` and :func:`dimension_weights` are the one place where a framework's
weighting (per dimension, and of the dimensions) is turned into numbers: the evaluation and the
scenarios call them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from commeval.errors import InputError
from commeval.index.errors import IndexDataError
from commeval.index.normalise import normalise_array

if TYPE_CHECKING:
    from commeval.index.framework import Dimension, Framework

# Saaty's random consistency index RI for n = 1..10.
RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)
CR_LIMIT = 0.10
RECIPROCAL_TOL = 0.01


class ConsistencyWarning(UserWarning):
    """An AHP matrix has CR ≥ 0.10."""


class ConsistencyError(InputError, ValueError):
    """An AHP matrix has CR ≥ 0.10 and ``strict=True`` was asked for."""


@dataclass(frozen=True)
class AHPResult:
    """Priority vector and consistency of a pairwise comparison matrix."""

    weights: pd.Series
    lambda_max: float
    ci: float
    cr: float
    ri: float

    @property
    def consistent(self) -> bool:
        return self.cr < CR_LIMIT


def parse_ratio(value: Any) -> float:
    """A pairwise judgement: a number or a string fraction such as ``"1/3"``."""
    if isinstance(value, bool):
        raise ValueError(f"not a ratio: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return float(Fraction(value.strip()))
    raise ValueError(f"not a ratio: {value!r}")


def reciprocity_violation(a: np.ndarray) -> tuple[int, int] | None:
    """First (i, j) where a_ij · a_ji ≠ 1 (relative tolerance 1 %), or a non-unit diagonal."""
    n = a.shape[0]
    for i in range(n):
        if abs(a[i, i] - 1.0) > RECIPROCAL_TOL:
            return i, i
        for j in range(i + 1, n):
            if (
                not np.isfinite(a[i, j])
                or a[i, j] <= 0
                or abs(a[i, j] * a[j, i] - 1) > RECIPROCAL_TOL
            ):
                return i, j
    return None


def ahp(
    matrix: pd.DataFrame | Sequence[Sequence[Any]] | np.ndarray,
    labels: Sequence[str] | None = None,
    strict: bool = False,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> AHPResult:
    """Saaty's eigenvector method by power iteration, with λmax, CI = (λmax − n)/(n − 1) and
    CR = CI / RI. CR ≥ 0.10 warns (:class:`ConsistencyWarning`), or raises with ``strict``."""
    if isinstance(matrix, pd.DataFrame):
        labels = list(matrix.index) if labels is None else list(labels)
        rows = matrix.to_numpy().tolist()
    else:
        rows = np.asarray(matrix, dtype=object).tolist()
    a = np.array([[parse_ratio(v) for v in row] for row in rows], dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(f"AHP needs a square matrix, got shape {a.shape}")
    n = a.shape[0]
    if n > len(RANDOM_INDEX):
        raise ValueError(f"Saaty's random index table covers n ≤ {len(RANDOM_INDEX)}, got {n}")
    bad = reciprocity_violation(a)
    if bad is not None:
        i, j = bad
        raise ValueError(
            f"AHP matrix is not reciprocal at [{i}][{j}]: a_ij = {a[i, j]!r}, a_ji = {a[j, i]!r}"
        )
    labels = [f"c{i + 1}" for i in range(n)] if labels is None else list(labels)
    w = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        nxt = a @ w
        nxt /= nxt.sum()
        if np.max(np.abs(nxt - w)) < tol:
            w = nxt
            break
        w = nxt
    lam = float(np.mean((a @ w) / w))
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    ci = max(ci, 0.0) if abs(ci) < 1e-12 else ci
    ri = RANDOM_INDEX[n - 1]
    cr = ci / ri if ri > 0 else 0.0
    res = AHPResult(pd.Series(w, index=labels, name="weight"), lam, ci, cr, ri)
    if cr >= CR_LIMIT:
        msg = f"AHP consistency ratio CR = {cr:.3f} ≥ {CR_LIMIT} (λmax = {lam:.4f}, n = {n})"
        if strict:
            raise ConsistencyError(msg)
        warnings.warn(msg, ConsistencyWarning, stacklevel=2)
    return res


def _benefit(X: pd.DataFrame, benefit: Mapping[str, bool] | pd.Series | None) -> np.ndarray:
    if benefit is None:
        return np.ones(X.shape[1], dtype=bool)
    b = pd.Series(benefit)
    missing = [c for c in X.columns if c not in b.index]
    if missing:
        raise ValueError(f"benefit flags missing for criteria {missing}")
    return b.reindex(X.columns).astype(bool).to_numpy()


def _check_matrix(X: pd.DataFrame, what: str) -> np.ndarray:
    x = X.to_numpy(dtype=float)
    if x.shape[0] < 2:
        raise ValueError(f"{what} needs at least 2 alternatives, got {x.shape[0]}")
    if np.isnan(x).any():
        cols = list(X.columns[np.isnan(x).any(axis=0)])
        raise ValueError(f"{what} needs complete data; missing values in {cols}")
    return x


def entropy_weights(
    X: pd.DataFrame,
    benefit: Mapping[str, bool] | pd.Series | None = None,
    scaling: str = "minmax",
) -> pd.Series:
    """Entropy weights: p_ij = z_ij / Σ_i z_ij, e_j = −Σ p ln p / ln m (0·ln 0 = 0),
    w_j = (1 − e_j) / Σ (1 − e_k).

    ``scaling="minmax"`` scales each column to [0, 1] first (direction-aware); ``"none"`` uses
    proportions of the raw (non-negative) values. A column with no dispersion (all z equal, or
    all zero) carries no information: e_j = 1 and weight 0.
    """
    x = _check_matrix(X, "entropy weights")
    m = x.shape[0]
    if scaling == "minmax":
        z = normalise_array(x, "minmax", _benefit(X, benefit), scale=1.0)
    elif scaling == "none":
        if (x < 0).any():
            raise ValueError("entropy weights with scaling='none' need non-negative values")
        z = x
    else:
        raise ValueError(f"unknown scaling {scaling!r}; use 'minmax' or 'none'")
    tot = z.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(tot > 0, z / tot, 0.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = np.where(tot > 0, -plogp.sum(axis=0) / np.log(m), 1.0)
    # a column with no dispersion has e = 1 exactly (not 1 ± rounding of Σ p ln p)
    e = np.where(np.ptp(x, axis=0) > 0, e, 1.0)
    d = np.clip(1.0 - e, 0.0, None)
    if d.sum() <= 0:
        raise ValueError("entropy weights undefined: no criterion varies across alternatives")
    return pd.Series(d / d.sum(), index=X.columns, name="weight")


def critic_weights(
    X: pd.DataFrame, benefit: Mapping[str, bool] | pd.Series | None = None
) -> pd.Series:
    """CRITIC (Diakoulaki, Mavrotas & Papayannakis 1995): on min–max scaled data,
    C_j = σ_j Σ_k (1 − r_jk), w_j = C_j / Σ C. Constant columns get weight 0."""
    x = _check_matrix(X, "CRITIC weights")
    z = normalise_array(x, "minmax", _benefit(X, benefit), scale=1.0)
    sd = z.std(axis=0, ddof=1)
    zc = z - z.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (zc.T @ zc) / (x.shape[0] - 1) / np.outer(sd, sd)
    r = np.where(np.isfinite(r), r, 0.0)
    c = sd * (1.0 - r).sum(axis=1)
    c = np.where(sd > 0, c, 0.0)
    if c.sum() <= 0:
        raise ValueError("CRITIC weights undefined: no criterion varies across alternatives")
    return pd.Series(c / c.sum(), index=X.columns, name="weight")


def fixed_weights(weights: Mapping[str, float] | pd.Series) -> pd.Series:
    """Expert weights, checked non-negative and rescaled to sum to 1."""
    w = pd.Series(weights, dtype=float)
    if w.isna().any() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"fixed weights must be non-negative with a positive sum: {dict(w)}")
    return (w / w.sum()).rename("weight")


def combined_weights(
    subjective: pd.Series,
    objective: pd.Series,
    rule: str = "additive",
    alpha: float = 0.5,
) -> pd.Series:
    """Combine subjective and objective weights: ``additive`` α·s + (1 − α)·o, or
    ``multiplicative`` s·o / Σ s·o."""
    s, o = fixed_weights(subjective), fixed_weights(objective.reindex(subjective.index))
    if rule == "additive":
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        w = alpha * s + (1 - alpha) * o
    elif rule == "multiplicative":
        w = s * o
        if w.sum() <= 0:
            raise ValueError("multiplicative combination gives all-zero weights")
    else:
        raise ValueError(f"unknown rule {rule!r}; use 'additive' or 'multiplicative'")
    return (w / w.sum()).rename("weight")


# --- a framework's weights ---------------------------------------------------------------------

SUBJECTIVE = ("fixed", "ahp")
OBJECTIVE = ("entropy", "critic")


def subjective_method(spec: Mapping[str, Any]) -> str | None:
    """The expert (subjective) part of a weighting spec: fixed or ahp, None for entropy/CRITIC."""
    if spec["method"] in SUBJECTIVE:
        return spec["method"]
    if spec["method"] == "combined":
        return spec.get("subjective", "fixed")
    return None


def _subjective(d: Dimension, names: list[str], method: str, matrix: Any = None) -> pd.Series:
    if method == "ahp":
        with warnings.catch_warnings():  # an inconsistent matrix warned when it was loaded
            warnings.simplefilter("ignore", ConsistencyWarning)
            w = ahp(matrix, labels=[i.name for i in d.indicators]).weights
    else:
        w = pd.Series({i.name: i.weight for i in d.indicators}, dtype=float)
    return w.reindex(names)


def _objective(d: Dimension, names: list[str], kind: str, X: pd.DataFrame) -> pd.Series:
    sub = X[names].dropna()
    benefit = {i.name: i.benefit for i in d.indicators}
    fn = entropy_weights if kind == "entropy" else critic_weights
    try:
        return fn(sub, benefit=benefit)
    except ValueError as exc:
        raise IndexDataError(
            f"维度 {d.name!r} 无法计算 {kind} 客观权重：{exc}；"
            "客观赋权需要至少两个乡镇的完整数据且指标在乡镇间有差异，否则请改用 fixed 或 ahp"
            f" (dimension {d.name!r}: {kind} weights: {exc})"
        ) from None


def within_weights(
    d: Dimension,
    X: pd.DataFrame | None,
    spec: Mapping[str, Any] | None = None,
    overrides: Mapping[str, float] | None = None,
) -> pd.Series:
    """Weights of dimension ``d``'s indicators that are columns of ``X`` (all of them when ``X``
    is None; then only fixed and AHP weighting), summing to 1: by ``spec`` (default: the
    framework's ``d.weighting``; fixed | ahp | entropy | critic | combined), objective weights on
    the townships with complete data in the dimension (a single indicator has weight 1 by any
    method). ``overrides`` (indicator → weight)
    replace the weights of the indicators they list, whatever the method, before rescaling."""
    spec = dict(d.weighting if spec is None else spec)
    names = [i.name for i in d.indicators if X is None or i.name in X.columns]
    method = spec["method"]
    if len(names) == 1:  # one indicator: weight 1 by any method (no objective weights needed)
        w = pd.Series(1.0, index=names)
    elif method in SUBJECTIVE:
        w = _subjective(d, names, method, spec.get("matrix", d.weighting.get("matrix")))
    elif method in OBJECTIVE or method == "combined":
        if X is None:
            raise ValueError(f"dimension {d.name!r}: {method} weights need data")
        if method in OBJECTIVE:
            w = _objective(d, names, method, X)
        else:
            subj = spec.get("subjective", "fixed")
            w = combined_weights(
                _subjective(d, names, subj, spec.get("matrix", d.weighting.get("matrix"))),
                _objective(d, names, spec.get("objective", "entropy"), X),
                rule=spec.get("rule", "additive"),
                alpha=float(spec.get("alpha", 0.5)),
            )
    else:
        raise ValueError(f"dimension {d.name!r}: unknown weighting {method!r}")
    if overrides:
        w = w.copy()
        for n in names:
            if n in overrides:
                w[n] = float(overrides[n])
    tot = w.sum()
    if not tot > 0:
        raise IndexDataError(
            f"维度 {d.name!r} 的指标权重之和为 0（{names}）：至少给一个指标大于 0 的权重"
            f" (dimension {d.name!r}: weights sum to 0 over {names})"
        )
    return (w / tot).rename("weight")


def indicator_weights(
    fw: Framework, X: pd.DataFrame, overrides: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Indicator weights within each dimension as the framework specifies them, on the values
    ``X`` (townships × indicators): columns dimension, indicator, method, weight."""
    rows = []
    for d in fw.dimensions:
        if not any(i.name in X.columns for i in d.indicators):
            continue
        w = within_weights(d, X, overrides=overrides)
        rows += [(d.name, n, d.weighting["method"], float(v)) for n, v in w.items()]
    return pd.DataFrame(rows, columns=["dimension", "indicator", "method", "weight"])


def dimension_weights(fw: Framework, overrides: Mapping[str, float] | None = None) -> pd.Series:
    """Weights of the dimensions (fixed, or AHP over dimensions), summing to 1; ``overrides``
    (dimension → weight) replace the ones they list before rescaling, under either weighting."""
    names = [d.name for d in fw.dimensions]
    if fw.dimension_weighting["method"] == "ahp":
        with warnings.catch_warnings():  # an inconsistent matrix warned when it was loaded
            warnings.simplefilter("ignore", ConsistencyWarning)
            w = ahp(fw.dimension_weighting["matrix"], labels=names).weights
    else:
        w = pd.Series({d.name: d.weight for d in fw.dimensions})
    w = w.astype(float)
    for k, v in (overrides or {}).items():
        if k in w.index:
            w[k] = float(v)
    return (w / w.sum()).rename("weight")
