"""Wilson (score) intervals for design-based proportions: the score interval of Wilson (1927) on
the effective sample size n* = p(1 − p) / se² (Kish), with the design-df t quantile as the other
svyciprop methods. R 4.1's svyciprop has no score method, so the references are a hand
computation and, on a simple random sample, statsmodels' Wilson interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from commeval.survey import SurveyDesign


def _design(n: int, seed: int, clustered: bool) -> SurveyDesign:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "y": (rng.random(n) < 0.3).astype(float),
            "w": rng.uniform(1, 4, n) if clustered else 1.0,
            "psu": rng.integers(0, 40, n) if clustered else np.arange(n),
            "h": rng.integers(0, 4, n) if clustered else 0,
        }
    )
    if clustered:
        df["psu"] = df["h"].astype(str) + "-" + df["psu"].astype(str)
        return SurveyDesign(df, weights="w", strata="h", psu="psu")
    return SurveyDesign(df, weights="w", psu="psu")


def test_wilson_equals_the_hand_computation_on_a_clustered_design():
    d = _design(600, 3, clustered=True)
    r = d.proportion("y", method="wilson").set_index("level").loc[1.0]
    m = d.mean("y").iloc[0]
    p, se, df = m["estimate"], m["se"], d.degf()
    n = p * (1 - p) / se**2
    t = stats.t.ppf(0.975, df)
    centre = (p + t**2 / (2 * n)) / (1 + t**2 / n)
    half = t * np.sqrt(p * (1 - p) / n + t**2 / (4 * n**2)) / (1 + t**2 / n)
    assert r["estimate"] == pytest.approx(p, rel=1e-12)
    assert r["ci_low"] == pytest.approx(centre - half, rel=1e-10)
    assert r["ci_high"] == pytest.approx(centre + half, rel=1e-10)
    assert 0 < r["ci_low"] < p < r["ci_high"] < 1


def test_wilson_on_a_simple_random_sample_is_the_classical_interval():
    """Equal weights, every row its own PSU: n* = n − 1, and the interval is the textbook
    Wilson interval (statsmodels) up to the t-vs-normal quantile on n − 1 df."""
    d = _design(5000, 5, clustered=False)
    r = d.proportion("y", method="wilson").set_index("level").loc[1.0]
    y = d.data["y"]
    lo, hi = proportion_confint(y.sum() * (len(y) - 1) / len(y), len(y) - 1, method="wilson")
    assert r["ci_low"] == pytest.approx(lo, abs=2e-5)
    assert r["ci_high"] == pytest.approx(hi, abs=2e-5)
