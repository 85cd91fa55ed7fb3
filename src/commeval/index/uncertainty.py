"""Uncertainty and sensitivity analysis of the composite (Monte Carlo, Saltelli/Jansen).

Assumptions (groups of input factors): ``weights`` (each indicator and dimension weight ×
U(1 − δ, 1 + δ), renormalised), ``normalisation`` and ``aggregation`` (uniform choice among the
alternatives), ``survey`` (survey indicators drawn from N(estimate, se²), or a random replicate
estimate). The uncertainty analysis uses ``n`` draws (sample A); the sensitivity analysis adds a
sample B and, per assumption, A with that assumption taken from B — n·(k + 2) runs in all.
First-order indices use Saltelli et al. (2010), total indices Jansen (1999):

    S_i  = mean(f(B) · (f(A_B^i) − f(A))) / V,    S_Ti = mean((f(A) − f(A_B^i))²) / (2V)

with V the variance of f over A ∪ B. Outputs are each township's rank and the mean absolute
rank shift from the nominal ranks (COINr-style summary). Zero variance gives indices of 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from commeval.index.attainment import rank_array
from commeval.index.composite import applicability, composite, treat_not_applicable
from commeval.index.normalise import normalise_array


def sobol_indices(
    fA: np.ndarray, fB: np.ndarray, fAB: Mapping[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """First-order (Saltelli 2010) and total (Jansen) indices per group, for each output column
    of ``f*`` arrays shaped (n,) or (n, outputs)."""
    fA, fB = np.asarray(fA, dtype=float), np.asarray(fB, dtype=float)
    var = np.var(np.concatenate([fA, fB], axis=0), axis=0)
    out = {}
    for name, fab in fAB.items():
        fab = np.asarray(fab, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            s1 = np.mean(fB * (fab - fA), axis=0) / var
            st = 0.5 * np.mean((fA - fab) ** 2, axis=0) / var
        out[name] = (np.where(var > 0, s1, 0.0), np.where(var > 0, st, 0.0))
    return out


@dataclass(frozen=True)
class SurveyDraws:
    """How survey sampling error enters: ``cols`` are indicator positions that depend on the
    survey; ``dim`` uniform factors per draw; ``draw(u)`` maps (c, dim) uniforms to the values
    of those indicators, shape (c, T, len(cols)). (One uniform can seed a whole vector of
    normal draws: the group is then that vector.)"""

    cols: np.ndarray
    dim: int
    draw: Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class MCInputs:
    """Everything a Monte Carlo run needs, as arrays."""

    X: np.ndarray  # (T, K) treated values, NaN = not applicable
    benefit: np.ndarray
    target: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    w_ind: np.ndarray  # (K,)
    G: np.ndarray  # (K, D)
    w_dim: np.ndarray  # (D,)
    within: str
    floor: float
    normalisations: tuple[str, ...]
    aggregations: tuple[str, ...]
    weight_noise: float
    survey: SurveyDraws | None
    #: each dimension's not-applicable treatment (framework ``not_applicable``), as the nominal
    #: composite applies it; empty = ``renormalise`` everywhere
    not_applicable: tuple[str, ...] = ()


@dataclass(frozen=True)
class MCResult:
    """Ranks (draws × townships) of sample A, rank summaries and sensitivity indices."""

    ranks: np.ndarray
    scores: np.ndarray
    groups: tuple[str, ...]
    sensitivity: dict[str, tuple[np.ndarray, np.ndarray]] | None
    sensitivity_summary: dict[str, tuple[np.ndarray, np.ndarray]] | None
    #: per draw of sample A, the index of the normalisation used (into ``normalisations``)
    normalisation: np.ndarray | None = None


def groups_of(inp: MCInputs) -> dict[str, int]:
    """Active assumptions and their number of uniform factors."""
    g = {}
    if inp.weight_noise > 0:
        g["weights"] = len(inp.w_ind) + len(inp.w_dim)
    if len(inp.normalisations) > 1:
        g["normalisation"] = 1
    if len(inp.aggregations) > 1:
        g["aggregation"] = 1
    if inp.survey is not None and inp.survey.dim > 0:
        g["survey"] = inp.survey.dim
    return g


class _Cache:
    """Per-run constants: the nominal normalisation of every alternative (NaN → 0) and the
    applicable cells."""

    def __init__(self, inp: MCInputs) -> None:
        # Monte Carlo arithmetic runs in float32 (ranks need ~1e-6 relative precision at most)
        self.applicable = applicability(~np.isnan(inp.X))
        # survey-indicator draws of samples A and B, normalised by each method (float32)
        self.xs_norm: dict[str, np.ndarray] | None = None
        self.norm = {
            m: np.nan_to_num(
                normalise_array(inp.X, m, inp.benefit, inp.target, inp.lower, inp.upper)
            ).astype(np.float32)
            for m in inp.normalisations
        }


def _choice(f: Mapping[str, np.ndarray], key: str, n_alt: int, c: int) -> np.ndarray:
    if key not in f:
        return np.zeros(c, dtype=int)
    return np.minimum((f[key][:, 0] * n_alt).astype(int), n_alt - 1)


def _run(inp: MCInputs, cache: _Cache, f: Mapping[str, np.ndarray], c: int) -> np.ndarray:
    """Composite scores (c, T) for c draws of uniform factors ``f``."""
    T, K = inp.X.shape
    delta = inp.weight_noise
    if "weights" in f:
        u = f["weights"]
        w_ind = inp.w_ind * (1 + delta * (2 * u[:, :K] - 1))
        w_dim = inp.w_dim * (1 + delta * (2 * u[:, K:] - 1))
    else:
        w_ind = np.broadcast_to(inp.w_ind, (c, K))
        w_dim = np.broadcast_to(inp.w_dim, (c, len(inp.w_dim)))
    n_idx = _choice(f, "normalisation", len(inp.normalisations), c)
    a_idx = _choice(f, "aggregation", len(inp.aggregations), c)
    sv = inp.survey
    xs = rows_sv = None
    if sv is not None and "survey" in f:
        if cache.xs_norm is not None:  # index into the pre-drawn, pre-normalised cache
            rows_sv = f["survey"][:, 0].astype(int)
        else:
            xs = sv.draw(f["survey"])
    scores = np.empty((c, T))
    for m_i, method in enumerate(inp.normalisations):
        sel_m = n_idx == m_i
        if not sel_m.any():
            continue
        rows_m = np.flatnonzero(sel_m)
        v0 = np.broadcast_to(cache.norm[method], (len(rows_m), T, K))
        if rows_sv is not None:
            v0 = v0.copy()
            v0[:, :, sv.cols] = cache.xs_norm[method][rows_sv[sel_m]]
        elif xs is not None:
            v0 = v0.copy()
            cols = sv.cols
            v0[:, :, cols] = np.nan_to_num(
                normalise_array(
                    xs[sel_m],
                    method,
                    inp.benefit[cols],
                    inp.target[cols],
                    inp.lower[cols],
                    inp.upper[cols],
                )
            )
        for a_i, agg in enumerate(inp.aggregations):
            sel_a = a_idx[rows_m] == a_i
            if not sel_a.any():
                continue
            rows = rows_m[sel_a]
            dims, scores[rows] = composite(
                v0[sel_a],
                w_ind[rows],
                inp.G,
                w_dim[rows],
                inp.within,
                agg,
                inp.floor,
                applicable=cache.applicable,
            )
            if any(m != "renormalise" for m in inp.not_applicable):
                # the nominal score's treatment of what does not apply, draw by draw
                scores[rows] = treat_not_applicable(
                    dims, w_dim[rows], inp.not_applicable, agg, inp.floor
                )
    return scores


def _evaluate(inp: MCInputs, cache: _Cache, sample: Mapping[str, np.ndarray], n: int, chunk: int):
    out = np.empty((n, inp.X.shape[0]))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        part = {k: v[start:stop] for k, v in sample.items()}
        out[start:stop] = _run(inp, cache, part, stop - start)
    return out


def _mc_ranks(scores: np.ndarray) -> np.ndarray:
    return rank_array(scores).astype(np.float32)


def monte_carlo(
    inp: MCInputs,
    n: int,
    seed: int | None = None,
    nominal_ranks: np.ndarray | None = None,
    sensitivity: bool = True,
) -> MCResult:
    """Run ``n`` draws (and the sensitivity design when asked for)."""
    rng = np.random.default_rng(seed)
    groups = groups_of(inp)
    T, K = inp.X.shape
    chunk = max(1, int(3_000_000 // max(T * K, 1)))
    cache = _Cache(inp)
    run_sens = sensitivity and bool(groups) and n >= 2
    A = {g: rng.random((n, d)) for g, d in groups.items()}
    B = {g: rng.random((n, d)) for g, d in groups.items()} if run_sens else {}
    if "survey" in groups:
        # survey draws are reused across A, B and the A_B^i matrices: draw them once
        u = np.concatenate([A["survey"], B["survey"]]) if run_sens else A["survey"]
        cols = inp.survey.cols
        xs_norm = {m: [] for m in inp.normalisations}
        for i in range(0, len(u), chunk):
            xs = inp.survey.draw(u[i : i + chunk])
            for m in inp.normalisations:
                z = normalise_array(
                    xs, m, inp.benefit[cols], inp.target[cols], inp.lower[cols], inp.upper[cols]
                )
                xs_norm[m].append(np.nan_to_num(z).astype(np.float32))
        cache.xs_norm = {m: np.concatenate(v) for m, v in xs_norm.items()}
        A["survey"] = np.arange(n, dtype=float)[:, None]
        if run_sens:
            B["survey"] = np.arange(n, 2 * n, dtype=float)[:, None]
    sA = _evaluate(inp, cache, A, n, chunk)
    rA = _mc_ranks(sA)
    sens = summary = None
    if run_sens:
        rB = _mc_ranks(_evaluate(inp, cache, B, n, chunk))
        rAB = {}
        for g in groups:
            AB = dict(A)
            AB[g] = B[g]
            rAB[g] = _mc_ranks(_evaluate(inp, cache, AB, n, chunk))
        sens = sobol_indices(rA, rB, rAB)
        if nominal_ranks is not None:
            nom = np.asarray(nominal_ranks, dtype=np.float32)

            def mars(r: np.ndarray) -> np.ndarray:
                return np.abs(r - nom).mean(axis=1)

            summary = sobol_indices(mars(rA), mars(rB), {g: mars(v) for g, v in rAB.items()})
    norm_choice = _choice(A, "normalisation", len(inp.normalisations), n)
    return MCResult(rA, sA.astype(np.float32), tuple(groups), sens, summary, norm_choice)


LEVEL = 0.90  # the default level of the Monte Carlo intervals


def check_level(level: Any) -> float:
    """An interval level in (0, 1) (a ValueError naming the value otherwise)."""
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise ValueError(f"uncertainty.level: {level!r} 须为 0 与 1 之间的数 (a level in (0, 1))")
    return float(level)


def score_summary(scores: np.ndarray, level: float = LEVEL) -> pd.DataFrame:
    """Median score and the central ``level`` interval of the Monte Carlo scores per township
    (``score_median``, ``score_low``, ``score_high``)."""
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    s = np.asarray(scores, dtype=float)
    return pd.DataFrame(
        {
            "score_median": np.median(s, axis=0),
            "score_low": np.quantile(s, lo_q, axis=0),
            "score_high": np.quantile(s, hi_q, axis=0),
        }
    )


def draws_frame(ranks: np.ndarray, scores: np.ndarray, towns: Any) -> pd.DataFrame:
    """The Monte Carlo draws as a tidy frame: draw, township, score, rank (draws × townships
    rows)."""
    n, T = np.shape(ranks)
    return pd.DataFrame(
        {
            "draw": np.repeat(np.arange(n), T),
            "township": np.tile(np.asarray(towns, dtype=object).astype(str), n),
            "score": np.asarray(scores, dtype=float).reshape(-1),
            "rank": np.asarray(ranks).astype(int).reshape(-1),
        }
    )


NORMALISATION_LABELS = {
    "target": "目标值标准化",
    "minmax": "极差（min–max）标准化",
    "rank": "排序标准化",
    "goalposts": "门槛值标准化",
}


def multimodal_notes(
    ranks: np.ndarray,
    choice: np.ndarray | None,
    normalisations: tuple[str, ...],
    towns: Any,
    nominal: np.ndarray,
    gap: float = 2.0,
) -> list[str]:
    """A note for every township whose Monte Carlo ranks fall apart by the normalisation
    drawn: its median rank under two normalisations differs by ``gap`` places or more, so its
    rank distribution has a mode per normalisation and the interval (and the overall median)
    describes neither. Empty when the normalisation is not varied."""
    if choice is None or len(normalisations) < 2:
        return []
    notes = []
    for t, town in enumerate(np.asarray(towns, dtype=object).astype(str)):
        med = {}
        for m, name in enumerate(normalisations):
            sel = choice == m
            if sel.sum() >= 5:
                med[name] = float(np.median(ranks[sel, t]))
        if len(med) >= 2 and max(med.values()) - min(med.values()) >= gap:
            parts = "、".join(
                f"{NORMALISATION_LABELS.get(k, k)}下中位 {v:g}" for k, v in med.items()
            )
            notes.append(
                f"{town}：名义第 {int(nominal[t])} 名，{parts}，整体中位 "
                f"{float(np.median(ranks[:, t])):g} —— 排名随标准化方法切换呈多峰分布，"
                "区间跨越两种方法的结果，不宜按单峰解读 (ranks multimodal under the "
                "normalisation switch)"
            )
    return notes


def rank_summary(ranks: np.ndarray, level: float = LEVEL) -> pd.DataFrame:
    """Median rank and the central ``level`` interval (observed ranks) per township."""
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    return pd.DataFrame(
        {
            "rank_median": np.median(ranks, axis=0),
            "rank_low": np.quantile(ranks, lo_q, axis=0, method="inverted_cdf").astype(int),
            "rank_high": np.quantile(ranks, hi_q, axis=0, method="inverted_cdf").astype(int),
        }
    )
