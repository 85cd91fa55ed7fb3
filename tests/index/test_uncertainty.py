"""Sensitivity estimators against the Ishigami function, and the Monte Carlo engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.index.attainment import rank_array, rank_scores
from commeval.index.composite import applicability, composite
from commeval.index.uncertainty import (
    MCInputs,
    monte_carlo,
    rank_summary,
    sobol_indices,
)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_saltelli_jansen_on_ishigami():
    """Analytic indices for a = 7, b = 0.1 (Ishigami & Homma 1990; Saltelli et al. 2008,
    Global Sensitivity Analysis: The Primer): V = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2,
    V1 = ½(1 + bπ⁴/5)², V2 = a²/8, V13 = b²π⁸(1/18 − 1/50)."""
    a, b, pi = 7.0, 0.1, np.pi
    V = a**2 / 8 + b * pi**4 / 5 + b**2 * pi**8 / 18 + 0.5
    V1, V2, V13 = 0.5 * (1 + b * pi**4 / 5) ** 2, a**2 / 8, b**2 * pi**8 * (1 / 18 - 1 / 50)
    S = [V1 / V, V2 / V, 0.0]
    ST = [(V1 + V13) / V, V2 / V, V13 / V]
    assert S[0] == pytest.approx(0.3139, abs=1e-4) and ST[2] == pytest.approx(0.2437, abs=1e-4)
    rng = np.random.default_rng(7)
    n = 40_000
    A = rng.uniform(-pi, pi, (n, 3))
    B = rng.uniform(-pi, pi, (n, 3))
    fAB = {}
    for i in range(3):
        AB = A.copy()
        AB[:, i] = B[:, i]
        fAB[i] = ishigami(AB)
    res = sobol_indices(ishigami(A), ishigami(B), fAB)
    for i in range(3):
        assert res[i][0] == pytest.approx(S[i], abs=0.03)
        assert res[i][1] == pytest.approx(ST[i], abs=0.03)


def test_zero_variance_gives_zero_indices():
    f = np.ones(10)
    res = sobol_indices(f, f, {"g": f})
    assert res["g"] == (0.0, 0.0)


def test_ranks_min_method():
    s = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 0.0, 0.0, 1.0]])
    assert rank_array(s).tolist() == [[1, 4, 1, 3], [2, 2, 2, 1]]


def test_one_rank_rule_for_nominal_and_monte_carlo_ranks():
    """Nominal ranks (a Series) and Monte Carlo ranks (draws × units) follow one rule: scores
    equal to 4 decimals share the best rank."""
    s = np.array([70.00001, 70.0, 69.9999, 80.0])
    assert rank_array(s).tolist() == [2, 2, 4, 1]
    assert rank_scores(pd.Series(s, index=list("abcd"))).tolist() == [2, 2, 4, 1]
    assert rank_array(np.stack([s, s[::-1]])).tolist() == [[2, 2, 4, 1], [1, 4, 2, 2]]


def test_rank_summary_interval():
    ranks = np.tile(np.arange(1, 101, dtype=float)[:, None], (1, 2))
    r = rank_summary(ranks)
    assert r["rank_low"].tolist() == [5, 5] and r["rank_high"].tolist() == [95, 95]
    assert r["rank_median"].tolist() == [50.5, 50.5]


def _inputs(X, **kw) -> MCInputs:
    K = X.shape[1]
    base = dict(
        X=X,
        benefit=np.ones(K, dtype=bool),
        target=np.full(K, 100.0),
        lower=np.full(K, np.nan),
        upper=np.full(K, np.nan),
        w_ind=np.array([0.5, 0.5, 1.0]),
        G=np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
        w_dim=np.array([0.5, 0.5]),
        within="arithmetic",
        floor=1.0,
        normalisations=("target",),
        aggregations=("arithmetic",),
        weight_noise=0.0,
        survey=None,
    )
    base.update(kw)
    return MCInputs(**base)


def test_no_uncertainty_reproduces_the_nominal_ranks():
    X = np.array([[90.0, 80, 70], [60, 50, 40], [100, 100, np.nan]])
    _, comp = composite(X, np.array([0.5, 0.5, 1.0]), _inputs(X).G, np.array([0.5, 0.5]))
    nominal = rank_array(comp)
    mc = monte_carlo(_inputs(X), 50, seed=1, nominal_ranks=nominal)
    assert mc.groups == () and (mc.ranks == nominal).all()
    assert mc.scores[0] == pytest.approx(comp, rel=1e-5)  # MC runs in float32


def test_weight_noise_moves_close_ranks_only():
    X = np.array([[90.0, 80, 70], [80, 90, 71], [10, 10, 10]])
    inp = _inputs(X, weight_noise=0.5, normalisations=("target", "minmax"))
    mc = monte_carlo(inp, 400, seed=2, nominal_ranks=np.array([2, 1, 3]))
    summ = rank_summary(mc.ranks)
    assert summ["rank_low"].tolist()[:2] == [1, 1] and summ["rank_high"].tolist()[:2] == [2, 2]
    assert (mc.ranks[:, 2] == 3).all()
    assert set(mc.sensitivity) == {"weights", "normalisation"}
    s1, st = mc.sensitivity["weights"]
    assert st[2] == 0.0 and st[0] > 0  # the clear last place is insensitive


@pytest.mark.parametrize("within", ["arithmetic", "geometric"])
@pytest.mark.parametrize("across", ["arithmetic", "geometric"])
def test_one_composite_for_a_batch_of_draws_and_for_one_draw(within, across):
    """The Monte Carlo's batched call (float32, 0 at the cells that are not applicable, weights
    per draw) gives the nominal composite of each draw."""
    rng = np.random.default_rng(3)
    N = rng.uniform(0, 100, (5, 3))
    N[1, 2] = N[4, 0] = np.nan
    G = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    w_ind = rng.uniform(0.5, 1.5, (4, 3))
    w_dim = rng.uniform(0.5, 1.5, (4, 2))
    batch = np.broadcast_to(np.nan_to_num(N), (4, 5, 3)).astype(np.float32)
    dims_b, comp_b = composite(
        batch, w_ind, G, w_dim, within, across, applicable=applicability(~np.isnan(N))
    )
    for c in range(4):
        dims, comp = composite(N, w_ind[c], G, w_dim[c], within, across)
        assert comp_b[c] == pytest.approx(comp, rel=1e-5)
        np.testing.assert_allclose(dims_b[c], dims, rtol=1e-5)
