"""Simulation on a generated township: 2,000 samples planned, drawn and analysed by commeval —
villages by systematic PPS (``pps_systematic`` on ``inclusion_probabilities`` of their
household counts), households by systematic selection from each village's list
(``systematic_positions``), weights and variance from ``SurveyDesign(pps="brewer")`` with the
second stage — the design-based estimate of the township's share is unbiased within Monte
Carlo error and its 95 % CI covers the true share 95 % ± 1.5 % of the time, at the margin of
error the plan asked for (``sample_size`` with the cluster design effect)."""

import math

import numpy as np
import pandas as pd
import pytest

from commeval.sampling import (
    deff_cluster,
    inclusion_probabilities,
    pps_systematic,
    sample_size,
    systematic_positions,
)
from commeval.survey import SurveyDesign

REPS = 2000


def township(seed=2027):
    """40 villages of 120–1,500 households; satisfaction varies between villages (rho ≈ 0.06)."""
    rng = np.random.default_rng(seed)
    K = 40
    M = np.clip(rng.lognormal(np.log(450), 0.6, K), 120, 1500).astype(int)
    logit = -0.1 + rng.normal(0, 0.45, K) + 0.25 * (M > 600)  # larger villages a bit happier
    y = [(rng.random(m) < 1 / (1 + np.exp(-lv))).astype(float) for m, lv in zip(M, logit)]
    return M, y


def icc(M, y):
    """The population intra-village correlation (ANOVA form on the whole township)."""
    allv = np.concatenate(y)
    P = allv.mean()
    N, K = len(allv), len(M)
    ssb = sum(m * (v.mean() - P) ** 2 for m, v in zip(M, y))
    ssw = sum(((v - v.mean()) ** 2).sum() for v in y)
    mbar = (N - (M**2).sum() / N) / (K - 1)
    msb, msw = ssb / (K - 1), ssw / (N - K)
    return (msb - msw) / (msb + (mbar - 1) * msw)


@pytest.mark.slow  # about 15 s of CPU, 30 s on a busy machine: 2,000 designs built and analysed
def test_township_share_is_unbiased_and_covered_at_the_planned_moe():
    M, y = township()
    truth = np.concatenate(y).mean()
    rho = icc(M, y)
    m, moe = 12, 0.08
    n = sample_size(moe, p=0.5, deff=deff_cluster(m, rho), N=int(M.sum()))
    k = math.ceil(n / m)  # villages to draw
    pik = inclusion_probabilities(M, k)
    rng = np.random.default_rng(7)
    est, lo, hi = np.empty(REPS), np.empty(REPS), np.empty(REPS)
    for r in range(REPS):
        sel = np.flatnonzero(pps_systematic(pik, rng=rng))
        parts = []
        for v in sel:
            pos = systematic_positions(int(M[v]), m, rng=rng)
            parts.append((np.full(m, v), pos, y[v][pos], np.full(m, pik[v]), np.full(m, m / M[v])))
        vil, hh, yy, p1, p2 = (np.concatenate(x) for x in zip(*parts))
        df = pd.DataFrame({"village": vil, "hh": hh, "y": yy, "p1": p1, "p2": p2})
        d = SurveyDesign(df, psu="village", ssu="hh", fpc="p1", fpc2="p2", pps="brewer")
        res = d.mean("y").iloc[0]
        est[r], lo[r], hi[r] = res["estimate"], res["ci_low"], res["ci_high"]
    mc_se = est.std(ddof=1) / math.sqrt(REPS)
    assert abs(est.mean() - truth) < 3 * mc_se, (est.mean(), truth, mc_se)
    coverage = ((lo <= truth) & (truth <= hi)).mean()
    assert 0.935 <= coverage <= 0.965, coverage
    # the plan's margin of error is what the samples achieve (within 15 %)
    half = 1.959964 * est.std(ddof=1)
    assert half <= moe * 1.15, (half, moe)
    print(f"n={n} villages={k} rho={rho:.3f} bias={est.mean() - truth:+.4f} "
          f"(MC se {mc_se:.4f}) coverage={coverage:.3f} half-width={half:.3f}")  # fmt: skip
