"""Selection functions against R's `sampling` package (fixtures: tests/reference/sampling/
make_fixtures.R): inclusionprobabilities, UPsystematic for given starts, UPsystematicpi2,
UPbrewer for given uniforms."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commeval.sampling import (
    inclusion_probabilities,
    pps_brewer,
    pps_systematic,
    systematic_joint_probabilities,
)

FX = pd.read_csv(Path(__file__).resolve().parents[1] / "reference" / "sampling" / "fixtures.csv")
CASES = ["villages", "small", "flat"]


def vec(case, quantity):
    rows = FX[(FX["case"] == case) & (FX["quantity"] == quantity)].sort_values(["j", "i"])
    return rows["value"].to_numpy()


@pytest.mark.parametrize("case", CASES)
def test_inclusion_probabilities_equal_r(case):
    pik = inclusion_probabilities(vec(case, "size"), vec(case, "n")[0])
    np.testing.assert_allclose(pik, vec(case, "pik"), rtol=1e-12)
    assert pik.sum() == pytest.approx(vec(case, "n")[0])


def test_certainty_units_are_one():
    pik = inclusion_probabilities(vec("villages", "size"), 6)
    assert (pik == 1).sum() == 2  # the two largest villages
    assert pik.max() == 1


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [1, 2, 3, 20121, 777])
def test_systematic_selection_equals_r_for_its_start(case, seed):
    pik = vec(case, "pik")
    u = vec(f"{case}/sys/{seed}", "u")[0]
    s = pps_systematic(pik, start=u)
    np.testing.assert_array_equal(s, vec(f"{case}/sys/{seed}", "s").astype(int))
    assert s.sum() == round(pik.sum())
    assert s[pik == 1].all()


@pytest.mark.parametrize("case", CASES)
def test_systematic_joint_probabilities_equal_r(case):
    pik = vec(case, "pik")
    N = len(pik)
    ref = vec(case, "pi2").reshape(N, N, order="F")
    pi2 = systematic_joint_probabilities(pik)
    np.testing.assert_allclose(pi2, ref, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [1, 2, 3, 20121, 777])
def test_brewer_selection_equals_r_for_its_uniforms(case, seed):
    pik = vec(case, "pik")
    s = pps_brewer(pik, uniforms=vec(f"{case}/brewer/{seed}", "u"))
    np.testing.assert_array_equal(s, vec(f"{case}/brewer/{seed}", "s").astype(int))


def test_joint_probabilities_are_what_the_starts_give():
    """A second implementation: enumerate starts on a fine grid and count joint selections."""
    pik = vec("villages", "pik")
    grid = (np.arange(20000) + 0.5) / 20000
    S = np.array([pps_systematic(pik, start=u) for u in grid])
    emp = S.T @ S / len(grid)
    np.testing.assert_allclose(emp, systematic_joint_probabilities(pik), atol=2e-4)


def test_brewer_attains_its_inclusion_probabilities():
    pik = vec("villages", "pik")
    rng = np.random.default_rng(5)
    S = np.array([pps_brewer(pik, rng=rng) for _ in range(20000)])
    se = np.sqrt(pik * (1 - pik) / len(S))
    assert (np.abs(S.mean(axis=0) - pik) <= 4 * se + 1e-12).all()
    joint = S.T @ S / len(S)
    assert (joint[np.ix_(pik < 1, pik < 1)] > 0).all()  # every pair can be drawn together


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="样本量"):
        inclusion_probabilities([1, 2, 3], 4)
    with pytest.raises(ValueError, match="随机起点"):
        pps_systematic([0.5, 0.5], start=1.0)
    with pytest.raises(ValueError, match="缺失"):
        pps_systematic([0.5, np.nan])
