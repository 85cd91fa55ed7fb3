"""Sample sizes, allocation and the two-stage optimum against published worked examples.

Sources (cited values, not recomputed from the same code):
* PracTools vignette "Sample Size Calculation in Single-stage Sampling" (Valliant, Dever &
  Kreuter; CRAN package PracTools, inst/doc/Singlestage-samsize.Rmd):
  - Example 1: ``nCont(CV0 = 0.05, CVpop = 2)`` = 1,600; with N = 500: 381 after rounding;
  - Example 2: ``ceiling(nCont(CV0 = seq(0.01, 0.21, 0.02), CVpop = 2))`` =
    40000 4445 1600 817 494 331 237 178 139 111 91;
  - Example 3: ``ceiling(nPropMoe(moe.sw = 1, e = seq(0.01, 0.08, 0.01), alpha = 0.05,
    pU = 0.5))`` = 9,604 2,401 1,068 601 385 267 196 151.
* Valliant, Dever & Kreuter (2013/2018), Practical Tools for Designing and Weighting Survey
  Samples, Example 9.7 (PracTools ``clusOpt2`` help page example): C1 = 750, C2 = 100,
  delta = 0.05, unit relvariance 1, k = 1, budget 100,000 → m.opt = 51.4, n.opt = 11.9,
  CV = 0.0502 (PracTools rounds m and n to 1 decimal, CV to 4).
* Cochran (1977, sect. 4.4): p = 0.5, ±5 %, 95 % → n0 = 384.16, i.e. 385 interviews.
"""

import math

import numpy as np
import pandas as pd
import pytest

from commeval.sampling import (
    allocate,
    cluster_optimum,
    deff_cluster,
    deff_kish,
    margin_of_error,
    sample_size,
    sample_size_cv,
    sample_size_mean,
)


@pytest.mark.parametrize(
    "e, n", [(0.01, 9604), (0.02, 2401), (0.03, 1068), (0.04, 601), (0.05, 385),
             (0.06, 267), (0.07, 196), (0.08, 151)],
)  # fmt: skip
def test_proportion_moe_equals_practools_vignette_example_3(e, n):
    assert sample_size(e, p=0.5) == n


def test_target_cv_equals_practools_examples_1_and_2():
    # CVpop^2 / CV0^2 = 4 / 0.0025 is 1600.0000000000002 in floating point: still 1,600
    assert sample_size_cv(0.05, unit_cv=2.0) == 1600
    assert sample_size_cv(0.05, unit_cv=2.0, N=500) == 381
    cvs = np.arange(0.01, 0.22, 0.02)
    got = [sample_size_cv(float(c), unit_cv=2.0) for c in cvs]
    assert got == [40000, 4445, 1600, 817, 494, 331, 237, 178, 139, 111, 91]


def test_cochran_and_response_rate():
    assert sample_size(0.05) == 385
    # the FPC of a 2,000-household township: 384.146 / (1 + 383.146 / 2000) = 322.38 → 323
    assert sample_size(0.05, N=2000) == 323
    # a design effect of 2 doubles n0; 80 % response: ceil(769 / 0.8) = 962
    assert sample_size(0.05, deff=2.0) == 769
    assert sample_size(0.05, deff=2.0, response_rate=0.8) == 962
    assert sample_size(0.05, level=0.90) == math.ceil(1.6448536269514722**2 * 0.25 / 0.0025)


def test_mean_and_the_inverse():
    # a mean on the 1–5 scale with sd 1.1 within ±0.1: 1.95996^2 * 1.21 / 0.01 = 464.8 → 465
    assert sample_size_mean(0.1, sd=1.1) == 465
    n = sample_size(0.04, deff=1.8, N=5000)
    assert margin_of_error(n, deff=1.8, N=5000) <= 0.04 < margin_of_error(n - 1, deff=1.8, N=5000)


def test_cluster_optimum_equals_practools_example_9_7():
    o = cluster_optimum(750, 100, delta=0.05, unit_relvar=1, k=1, budget=100_000)
    assert round(o.villages, 1) == 51.4
    assert round(o.households_per_village, 1) == 11.9
    assert round(o.cv, 4) == 0.0502
    # the CV-target form returns the same design for the CV it achieved
    o2 = cluster_optimum(750, 100, delta=0.05, cv=o.cv)
    assert o2.villages == pytest.approx(o.villages)
    assert o2.cost == pytest.approx(100_000)


def test_design_effects_by_hand():
    assert deff_kish([1, 1, 1, 1]) == 1
    # weights 1 and 3: 2 * (1 + 9) / 16 = 1.25
    assert deff_kish([1, 3]) == pytest.approx(1.25)
    assert deff_cluster(15, 0.05) == pytest.approx(1.7)


def test_allocation():
    Nh = pd.Series({"a": 215, "b": 65, "c": 252, "d": 50, "e": 149, "f": 144})
    Sh = pd.Series({"a": 26787207, "b": 10645109, "c": 6909676, "d": 11085034,
                    "e": 9817762, "f": 44553355})  # fmt: skip
    ney = allocate(100, Nh, "neyman", sd=Sh)
    raw = 100 * Nh * Sh / (Nh * Sh).sum()  # n_h = n N_h S_h / sum N_h S_h
    assert ney.sum() == 100
    assert (abs(ney - raw) < 1).all()
    prop = allocate(100, Nh, "proportional")
    assert prop.sum() == 100 and (abs(prop - 100 * Nh / Nh.sum()) < 1).all()
    assert allocate(60, Nh, "equal").tolist() == [10] * 6
    pw = allocate(100, Nh, "power", power=0.5)
    assert pw.sum() == 100 and pw["d"] > prop["d"]  # small townships gain
    # capped at N_h, the rest redistributed
    capped = allocate(30, pd.Series({"x": 5, "y": 100}), "equal")
    assert capped.tolist() == [5, 25]
    with pytest.raises(ValueError, match="分配方法"):
        allocate(10, Nh, "cube")
