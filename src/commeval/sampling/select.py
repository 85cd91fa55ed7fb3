"""Selecting units: inclusion probabilities, systematic PPS (and its joint probabilities),
Brewer's without-replacement PPS, simple random sampling, systematic selection from a list.

Every function that draws takes a seed or a ``numpy.random.Generator`` and returns a 0/1
vector (or indices); the drawing functions of :mod:`commeval.sampling.draw` record the seed,
the method and the sizes with every selection.

The rules are those of R's ``sampling`` package (Tillé & Matei), checked against it in
``tests/sampling`` (fixtures from ``tests/reference/sampling/make_fixtures.R``):

* :func:`inclusion_probabilities` — ``inclusionprobabilities(a, n)``;
* :func:`pps_systematic` — ``UPsystematic(pik)``: with the cumulated probabilities
  ``C_k`` and a random start ``u`` in [0, 1), unit k is selected when an integer lies in
  ``(C_{k-1} - u, C_k - u]``; units with probability 1 are always selected;
* :func:`systematic_joint_probabilities` — ``UPsystematicpi2(pik)``;
* :func:`pps_brewer` — ``UPbrewer(pik)`` (Brewer 1975: n draws, each with probabilities
  proportional to ``pi_k (n - a - pi_k) / (n - a - pi_k (n - i + 1))`` among the units not yet
  drawn); its joint inclusion probabilities are all positive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Units with a probability within EPS of 0 or 1 are not drawn (R's ``eps = 1e-6``).
EPS = 1e-6

Seed = int | np.random.Generator | None


def rng_of(rng: Seed) -> np.random.Generator:
    """A generator from a seed (or the generator itself)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def _as_probabilities(pik: Sequence[float] | np.ndarray, name: str = "pik") -> np.ndarray:
    p = np.asarray(pik, dtype=float)
    if p.ndim != 1 or len(p) == 0:
        raise ValueError(f"{name}: 需要一维、非空的入样概率 (a non-empty vector)")
    if np.isnan(p).any():
        raise ValueError(f"{name}: 有 {int(np.isnan(p).sum())} 个缺失值 (missing values)")
    if ((p < 0) | (p > 1 + 1e-9)).any():
        raise ValueError(f"{name}: 入样概率须在 0 和 1 之间 (probabilities in [0, 1])")
    return p


def inclusion_probabilities(sizes: Sequence[float] | np.ndarray, n: float) -> np.ndarray:
    """First-order inclusion probabilities proportional to ``sizes`` summing to ``n``: units
    whose probability would reach 1 are set to 1 (certainty units) and the others rescaled to
    the remaining sample, repeated until no unit exceeds 1 (R's ``inclusionprobabilities``).
    Negative sizes count as 0."""
    a = np.asarray(sizes, dtype=float).copy()
    if a.ndim != 1 or len(a) == 0:
        raise ValueError("sizes: 需要一维、非空的规模 (a non-empty vector of sizes)")
    if np.isnan(a).any():
        raise ValueError(f"sizes: 有 {int(np.isnan(a).sum())} 个缺失值 (missing sizes)")
    a[a < 0] = 0.0
    if n < 0 or n > np.count_nonzero(a):
        raise ValueError(
            f"n = {n}: 样本量须在 0 和规模为正的单位数 {np.count_nonzero(a)} 之间 "
            "(n must not exceed the units with a positive size)"
        )
    if not a.any():
        return a
    pik = n * a / a.sum()
    pos = pik > 0
    p = pik[pos]
    cert = p >= 1
    k = int(cert.sum())
    if k:
        k_prev = -1
        while k != k_prev:
            x = p[~cert]
            p[~cert] = (n - k) * x / x.sum()
            p[cert] = 1.0
            k_prev = k
            cert = p >= 1
            k = int(cert.sum())
        pik[pos] = p
    return pik


def pps_systematic(
    pik: Sequence[float] | np.ndarray, start: float | None = None, rng: Seed = None
) -> np.ndarray:
    """Systematic PPS selection (R's ``UPsystematic``) as a 0/1 vector.

    ``start`` is the random start u in [0, 1) (drawn from ``rng`` when None). Units with a
    probability of 1 (within 1e-6) are always selected, those of 0 never; the others, in
    their order, are selected when an integer lies in ``(C_{k-1} - u, C_k - u]`` of their
    cumulated probabilities ``C``. The order of the list is the implicit stratification:
    sort the frame (e.g. by township and village code) before selecting."""
    p = _as_probabilities(pik)
    if start is None:
        start = float(rng_of(rng).random())
    if not 0 <= start < 1:
        raise ValueError(f"start = {start}: 随机起点须在 [0, 1) 之内 (start in [0, 1))")
    draw = (p > EPS) & (p < 1 - EPS)
    s = np.where(p >= 1 - EPS, 1, 0).astype(np.int64)
    q = p[draw]
    a = np.mod(np.concatenate([[0.0], np.cumsum(q)]) - start, 1.0)
    s[draw] = (a[:-1] > a[1:]).astype(np.int64)
    return s


def systematic_joint_probabilities(pik: Sequence[float] | np.ndarray) -> np.ndarray:
    """Joint inclusion probabilities (N x N, inclusion probabilities on the diagonal) of
    :func:`pps_systematic` over its random start (R's ``UPsystematicpi2``): the start's
    interval [0, 1) splits at the fractional parts of the cumulated probabilities; every
    piece selects one sample, with the piece's length as its probability. Pairs never
    selected together have probability 0 (so the Horvitz–Thompson variance has no unbiased
    estimator under systematic sampling: analyse it with ``pps="brewer"``)."""
    p = _as_probabilities(pik)
    total = p.sum()
    if abs(total - round(total)) > 1e-6:
        raise ValueError(f"pik: 入样概率之和 {total:g} 不是整数 (the sample size must be whole)")
    draw = (p > 0) & (p < 1)
    q = p[draw]
    m = len(q)
    out = np.outer(p, p)
    if m == 0:
        return out
    v = np.cumsum(q)
    v1 = np.mod(v, 1.0)
    v1[-1] = 0.0
    r = np.concatenate([np.sort(v1), [1.0]])
    cent = (r[:-1] + r[1:]) / 2
    width = r[1:] - r[:-1]
    A = np.mod(np.concatenate([[0.0], v])[:, None] - cent[None, :], 1.0)  # (m + 1, pieces)
    M = (A[:-1] > A[1:]).astype(float)  # unit x piece: selected when the start is in the piece
    out[np.ix_(draw, draw)] = (M * width) @ M.T
    return out


def pps_brewer(
    pik: Sequence[float] | np.ndarray,
    rng: Seed = None,
    uniforms: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """Brewer's without-replacement PPS selection (R's ``UPbrewer``) as a 0/1 vector.

    The n draws use one uniform each (``uniforms``, else drawn from ``rng``): at draw i the
    units not yet selected have probabilities proportional to
    ``pi_k (n - a - pi_k) / (n - a - pi_k (n - i + 1))`` (``a``: the probabilities already
    selected); the unit is the first whose cumulated probability exceeds the uniform. Units
    with probability 1 are always selected. Every pair of units has a positive joint
    inclusion probability, so the design's variance has an unbiased estimator."""
    p = _as_probabilities(pik)
    draw = (p > EPS) & (p < 1 - EPS)
    s = np.where(p >= 1 - EPS, 1, 0).astype(np.int64)
    q = p[draw]
    if len(q) == 0:
        return s
    n = int(round(q.sum()))
    if abs(q.sum() - n) > 1e-6:
        raise ValueError(f"pik: 入样概率之和 {q.sum():g} 不是整数 (the sample size must be whole)")
    if uniforms is None:
        u = rng_of(rng).random(n)
    else:
        u = np.asarray(uniforms, dtype=float)
        if len(u) < n:
            raise ValueError(f"uniforms: 需要 {n} 个随机数，只有 {len(u)} 个")
    sb = np.zeros(len(q))
    for i in range(1, n + 1):
        a = float((q * sb).sum())
        w = (1 - sb) * q * ((n - a) - q) / ((n - a) - q * (n - i + 1))
        c = np.cumsum(w / w.sum())
        j = int(np.searchsorted(c, u[i - 1], side="right"))
        sb[min(j, len(q) - 1)] = 1
    s[draw] = sb.astype(np.int64)
    return s


def srs(N: int, n: int, rng: Seed = None) -> np.ndarray:
    """Simple random sampling without replacement of ``n`` of ``N`` units, as a 0/1 vector:
    one uniform random key per unit (N draws from ``rng``, in the units' order), the ``n``
    units with the smallest keys selected (every subset of size n equally likely)."""
    if not 0 <= n <= N:
        raise ValueError(f"n = {n}: 样本量须在 0 和 {N} 之间")
    keys = rng_of(rng).random(N)
    s = np.zeros(N, dtype=np.int64)
    s[np.argsort(keys, kind="stable")[:n]] = 1
    return s


def systematic_positions(
    N: int, n: int, start: float | None = None, rng: Seed = None
) -> np.ndarray:
    """0-based positions of ``n`` units selected systematically from a list of ``N``: the
    interval ``k = N / n`` (fractional intervals allowed) and a random start ``u`` in [0, 1):
    positions ``floor((u + j) k)`` for ``j = 0 .. n-1`` — each unit has probability n/N."""
    if not 0 <= n <= N:
        raise ValueError(f"n = {n}: 样本量须在 0 和户数 {N} 之间")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if start is None:
        start = float(rng_of(rng).random())
    k = N / n
    return np.floor((start + np.arange(n)) * k).astype(np.int64)
