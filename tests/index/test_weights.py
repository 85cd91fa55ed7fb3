"""Weights: AHP against Saaty's published example, entropy and CRITIC by hand and by an
independent implementation, and properties."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from commeval.index import weights as W
from commeval.index.weights import (
    ConsistencyError,
    ConsistencyWarning,
    ahp,
    combined_weights,
    critic_weights,
    entropy_weights,
)

# Saaty, T. L. (2008). Decision making with the analytic hierarchy process. International Journal
# of Services Sciences 1(1), 83–98, Table 2 "Which drink is consumed more in the US?": pairwise
# matrix and the derived priorities .177 .019 .042 .116 .190 .129 .327.
DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINK_MATRIX = [
    [1, 9, 5, 2, 1, 1, "1/2"],
    ["1/9", 1, "1/3", "1/9", "1/9", "1/9", "1/9"],
    ["1/5", 3, 1, "1/3", "1/4", "1/3", "1/9"],
    ["1/2", 9, 3, 1, "1/2", 1, "1/3"],
    [1, 9, 4, 2, 1, 2, "1/2"],
    [1, 9, 3, 1, "1/2", 1, "1/3"],
    [2, 9, 9, 3, 2, 3, 1],
]
DRINK_PRIORITIES = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]


def test_ahp_saaty_drinks_priorities():
    res = ahp(DRINK_MATRIX, labels=DRINKS)
    assert res.weights.round(3).tolist() == DRINK_PRIORITIES
    assert list(res.weights.index) == DRINKS
    assert res.ri == 1.32 and res.consistent


def test_ahp_lambda_ci_cr_match_numpy_eigen():
    """Second, independent reference: numpy's eigen-decomposition vs our power iteration."""
    a = np.array([[W.parse_ratio(v) for v in row] for row in DRINK_MATRIX])
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = vals.real[k]
    w = np.abs(vecs[:, k].real)
    w /= w.sum()
    res = ahp(DRINK_MATRIX)
    assert res.lambda_max == pytest.approx(lam, abs=1e-9)
    assert res.weights.to_numpy() == pytest.approx(w, abs=1e-9)
    assert res.ci == pytest.approx((lam - 7) / 6, abs=1e-9)
    assert res.cr == pytest.approx((lam - 7) / 6 / 1.32, abs=1e-9)
    assert 0 < res.cr < 0.1


def test_random_index_table_is_saatys():
    assert W.RANDOM_INDEX == (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)


def test_ahp_consistent_matrix_is_exact():
    w = np.array([0.5, 0.25, 0.15, 0.1])
    res = ahp(w[:, None] / w[None, :])
    assert res.weights.to_numpy() == pytest.approx(w, abs=1e-12)
    assert res.lambda_max == pytest.approx(4.0, abs=1e-12)
    assert res.ci == pytest.approx(0.0, abs=1e-12) and res.cr == pytest.approx(0.0, abs=1e-12)


INCONSISTENT = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]  # a > b > c > a


def test_ahp_inconsistent_warns_and_strict_raises():
    with pytest.warns(ConsistencyWarning, match="CR"):
        res = ahp(INCONSISTENT)
    assert res.cr >= 0.1 and not res.consistent
    with pytest.raises(ConsistencyError, match="CR"):
        ahp(INCONSISTENT, strict=True)


def test_ahp_rejects_non_reciprocal_and_bad_shapes():
    with pytest.raises(ValueError, match=r"not reciprocal at \[0\]\[1\]"):
        ahp([[1, 3], [3, 1]])
    with pytest.raises(ValueError, match="square"):
        ahp([[1, 2, 3]])
    with pytest.raises(ValueError, match="n ≤ 10"):
        ahp(np.ones((11, 11)))


def test_ahp_dataframe_labels():
    m = pd.DataFrame([[1, 3], ["1/3", 1]], index=["a", "b"], columns=["a", "b"])
    res = ahp(m)
    assert res.weights.to_dict() == pytest.approx({"a": 0.75, "b": 0.25})


# --- entropy -----------------------------------------------------------------------------------


def test_entropy_hand_computed_with_a_zero_does_not_collapse_to_equal_weights():
    # min–max: a → (0, .5, 1), p = (0, 1/3, 2/3); b → (0, 0, 1), p = (0, 0, 1).
    # e_a = 1 − (2/3)·ln2/ln3, e_b = 0 (0·ln 0 = 0); d = (2/3·ln2/ln3, 1).
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 1.0, 2.0]})
    d_a = (2 / 3) * math.log(2) / math.log(3)
    w = entropy_weights(X)
    assert w["a"] == pytest.approx(d_a / (d_a + 1), abs=1e-12)
    assert w["b"] == pytest.approx(1 / (d_a + 1), abs=1e-12)
    assert w["a"] == pytest.approx(0.296082, abs=1e-6)
    assert not np.allclose(w.to_numpy(), 0.5)


def test_entropy_raw_proportions():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 1.0, 2.0]})
    p = {"a": np.array([1, 2, 3]) / 6, "b": np.array([1, 1, 2]) / 4}
    d = {k: 1 + (v * np.log(v)).sum() / math.log(3) for k, v in p.items()}
    w = entropy_weights(X, scaling="none")
    tot = d["a"] + d["b"]
    assert w.to_dict() == pytest.approx({"a": d["a"] / tot, "b": d["b"] / tot}, abs=1e-12)


def test_entropy_cost_direction_and_constant_column():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "cost": [3.0, 2.0, 2.0], "k": [5.0, 5.0, 5.0]})
    w = entropy_weights(X, benefit={"a": True, "cost": False, "k": True})
    # cost reversed: (0, 1, 1) → p = (0, .5, .5), e = ln2/ln3
    d_a = (2 / 3) * math.log(2) / math.log(3)
    d_c = 1 - math.log(2) / math.log(3)
    assert w["k"] == 0.0
    assert w["a"] == pytest.approx(d_a / (d_a + d_c))


def test_entropy_degenerate_inputs():
    with pytest.raises(ValueError, match="at least 2 alternatives"):
        entropy_weights(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(ValueError, match="no criterion varies"):
        entropy_weights(pd.DataFrame({"a": [1.0, 1.0], "b": [2.0, 2.0]}))
    with pytest.raises(ValueError, match="missing values"):
        entropy_weights(pd.DataFrame({"a": [1.0, np.nan, 2.0]}))
    with pytest.raises(ValueError, match="non-negative"):
        entropy_weights(pd.DataFrame({"a": [1.0, -1.0]}), scaling="none")


# --- CRITIC ------------------------------------------------------------------------------------


def _critic_reference(X: pd.DataFrame) -> pd.Series:
    """Diakoulaki et al. (1995) written independently with pandas: C_j = σ_j Σ_k (1 − r_jk)."""
    Z = (X - X.min()) / (X.max() - X.min())
    c = Z.std() * (1 - Z.corr()).sum()
    return c / c.sum()


def test_critic_hand_computed():
    # z: a = (0, .5, 1), b = (1, 0, .5), c = (0, 1, 1); σ_a = σ_b = 1/2, σ_c = 1/√3;
    # r_ab = −1/2, r_ac = √3/2, r_bc = −√3/2.
    # C_a = ½(1.5 + 1 − √3/2), C_b = ½(1.5 + 1 + √3/2), C_c = (1/√3)(1 − √3/2 + 1 + √3/2).
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 2.0, 3.0], "c": [0.0, 5.0, 5.0]})
    h = math.sqrt(3) / 2
    c = {"a": 0.5 * (2.5 - h), "b": 0.5 * (2.5 + h), "c": 2 / math.sqrt(3)}
    tot = sum(c.values())
    w = critic_weights(X)
    assert w.to_dict() == pytest.approx({k: v / tot for k, v in c.items()}, abs=1e-12)
    assert w.round(4).to_dict() == {"a": 0.2235, "b": 0.4605, "c": 0.3159}


def test_critic_matches_independent_reference():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.gamma(2.0, size=(30, 5)), columns=list("abcde"))
    assert critic_weights(X).to_numpy() == pytest.approx(_critic_reference(X).to_numpy())


def test_critic_constant_column_gets_zero():
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "k": [3.0, 3.0, 3.0], "b": [2.0, 1.0, 3.0]})
    w = critic_weights(X)
    assert w["k"] == 0.0 and w.sum() == pytest.approx(1.0)


def test_combined_weights():
    s = pd.Series({"a": 0.5, "b": 0.5})
    o = pd.Series({"a": 0.2, "b": 0.8})
    assert combined_weights(s, o, alpha=0.5).to_dict() == pytest.approx({"a": 0.35, "b": 0.65})
    assert combined_weights(s, o, rule="multiplicative").to_dict() == pytest.approx(
        {"a": 0.2, "b": 0.8}
    )
    with pytest.raises(ValueError, match="alpha"):
        combined_weights(s, o, alpha=2)


# --- properties --------------------------------------------------------------------------------

matrices = arrays(
    float,
    st.tuples(st.integers(3, 12), st.integers(2, 6)),
    elements=st.floats(0, 1000, allow_nan=False, allow_infinity=False),
)


def _varies(x: np.ndarray) -> bool:
    return bool((np.ptp(x, axis=0) > 1e-6).any())


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_objective_weights_sum_to_one(x):
    if not _varies(x):
        return
    X = pd.DataFrame(x, columns=[f"c{i}" for i in range(x.shape[1])])
    weights = [entropy_weights(X)]
    try:
        weights.append(critic_weights(X))
    except ValueError as exc:
        # documented: CRITIC is undefined when the varying criteria are perfectly correlated
        assert "undefined" in str(exc)
        varying = X.loc[:, np.ptp(x, axis=0) > 0]
        assert np.allclose(varying.corr().to_numpy(), 1.0)
    for w in weights:
        assert w.sum() == pytest.approx(1.0)
        assert (w >= 0).all()


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_entropy_duplicated_indicator(x):
    """Duplicating a column: both copies get the original's entropy-based divergence, and the
    relative weights of all other columns are unchanged."""
    if not _varies(x):
        return
    X = pd.DataFrame(x, columns=[f"c{i}" for i in range(x.shape[1])])
    w = entropy_weights(X)
    w2 = entropy_weights(X.assign(dup=X["c0"]))
    assert w2["dup"] == pytest.approx(w2["c0"], abs=1e-12)
    others = [c for c in X.columns if c != "c0"]
    if w[others].sum() > 0 and w2[others].sum() > 0:
        assert (w2[others] / w2[others].sum()).to_numpy() == pytest.approx(
            (w[others] / w[others].sum()).to_numpy(), abs=1e-9
        )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.1, 5.0), min_size=2, max_size=8), st.integers(0, 2**32 - 1))
def test_ahp_weights_sum_to_one_and_recover_consistent_weights(raw, seed):
    w = np.array(raw) / np.sum(raw)
    res = ahp(w[:, None] / w[None, :])
    assert res.weights.sum() == pytest.approx(1.0)
    assert res.weights.to_numpy() == pytest.approx(w, rel=1e-9)
    # perturbed (still reciprocal) matrices: weights sum to 1 and λmax ≥ n
    rng = np.random.default_rng(seed)
    a = w[:, None] / w[None, :]
    noise = np.exp(np.triu(rng.normal(0, 0.3, a.shape), 1))
    a = a * noise / noise.T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConsistencyWarning)
        res = ahp(a)
    assert res.weights.sum() == pytest.approx(1.0)
    assert res.lambda_max >= len(w) - 1e-9
