"""Aggregation: TOPSIS (Hwang & Yoon), grey relational and fuzzy evaluation by hand, weighted
means, and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from commeval.index.aggregation import (
    fuzzy_evaluation,
    grey_relational,
    topsis,
    triangular_membership,
    weighted_arithmetic,
    weighted_geometric,
)
from commeval.index.normalise import normalise

# Hwang & Yoon (1981), Multiple Attribute Decision Making, fighter-aircraft example (reproduced in
# Yoon & Hwang 1995): max speed (Mach), ferry range (NM), max payload (lb), acquisition cost
# (10^6 $, a cost), reliability and manoeuvrability (qualitative, on the interval scale
# low = 3, average = 5, high = 7, very high = 9); weights .2 .1 .1 .1 .2 .3.
# Published relative closeness: A1 .643, A2 .268, A3 .614, A4 .312 → A1 ≻ A3 ≻ A4 ≻ A2.
AIRCRAFT = pd.DataFrame(
    [
        [2.0, 1500, 20000, 5.5, 5, 9],
        [2.5, 2700, 18000, 6.5, 3, 5],
        [1.8, 2000, 21000, 4.5, 7, 7],
        [2.2, 1800, 20000, 5.0, 5, 5],
    ],
    index=["A1", "A2", "A3", "A4"],
    columns=["speed", "range", "payload", "cost", "reliability", "manoeuvrability"],
)
AIRCRAFT_W = pd.Series([0.2, 0.1, 0.1, 0.1, 0.2, 0.3], index=AIRCRAFT.columns)
AIRCRAFT_BENEFIT = {c: c != "cost" for c in AIRCRAFT.columns}


def test_topsis_hwang_yoon_fighter_aircraft():
    c = topsis(AIRCRAFT, AIRCRAFT_W, AIRCRAFT_BENEFIT)
    assert c.round(3).to_dict() == {"A1": 0.643, "A2": 0.268, "A3": 0.614, "A4": 0.312}
    assert list(c.sort_values(ascending=False).index) == ["A1", "A3", "A4", "A2"]


def test_topsis_matches_independent_textbook_steps():
    """The textbook steps written out literally: v = w·x/‖x‖, ideal/anti-ideal, distances."""
    x = AIRCRAFT.to_numpy(float)
    v = AIRCRAFT_W.to_numpy() * x / np.linalg.norm(x, axis=0)
    b = np.array(list(AIRCRAFT_BENEFIT.values()))
    a_plus = np.where(b, v.max(0), v.min(0))
    a_minus = np.where(b, v.min(0), v.max(0))
    sp = np.linalg.norm(v - a_plus, axis=1)
    sm = np.linalg.norm(v - a_minus, axis=1)
    expected = sm / (sp + sm)
    assert topsis(AIRCRAFT, AIRCRAFT_W, AIRCRAFT_BENEFIT).to_numpy() == pytest.approx(expected)


def test_topsis_minmax_variant_hand_computed():
    X = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [1.0, 3.0, 2.0]}, index=list("xyz"))
    w = pd.Series({"a": 0.5, "b": 0.5})
    # r: a = (0, .5, 1), b = (0, 1, .5); S+ = ½‖1 − r‖, S− = ½‖r‖
    c = topsis(X, w, normalization="minmax")
    assert c["x"] == pytest.approx(0.0)
    s_plus, s_minus = 0.5 * np.hypot(0.5, 0.0), 0.5 * np.hypot(0.5, 1.0)
    assert c["y"] == pytest.approx(s_minus / (s_plus + s_minus))
    assert c["z"] == pytest.approx(c["y"])


def test_topsis_degenerate_single_alternative():
    with pytest.raises(ValueError, match=r"^TOPSIS 无法计算：.*\(TOPSIS undefined"):
        topsis(AIRCRAFT.iloc[[0]], AIRCRAFT_W, AIRCRAFT_BENEFIT)
    with pytest.raises(ValueError, match=r"^TOPSIS 的 normalization 须为 vector 或 minmax.*'sum'"):
        topsis(AIRCRAFT, AIRCRAFT_W, normalization="sum")


def test_grey_relational_hand_computed():
    # z: a = (0, .5, 1), b = (1, 0, .5); Δ = |1 − z|, Δmin = 0, Δmax = 1, ρ = .5:
    # ξ = .5/(Δ + .5) → Δ = 1: 1/3, Δ = .5: 1/2, Δ = 0: 1. Grades with w = (.6, .4):
    # x: .6/3 + .4 = .6; y: .3 + .4/3; z: .6 + .2 = .8
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}, index=list("xyz"))
    g = grey_relational(X, {"a": 0.6, "b": 0.4})
    assert g.to_dict() == pytest.approx({"x": 0.6, "y": 0.3 + 0.4 / 3, "z": 0.8}, abs=1e-12)


def test_grey_relational_reference_and_cost():
    # given values, reference (1, 1): Δ = (.2, .4 | .6, 0); Δmin = 0, Δmax = .6, ρ = .5 →
    # ξ = .3/(Δ + .3)
    X = pd.DataFrame({"a": [0.8, 0.4], "b": [0.6, 1.0]})
    g = grey_relational(
        X, {"a": 0.5, "b": 0.5}, normalization="none", reference=pd.Series({"a": 1, "b": 1})
    )
    xi = lambda d: 0.3 / (d + 0.3)  # noqa: E731
    assert g.tolist() == pytest.approx([(xi(0.2) + xi(0.4)) / 2, (xi(0.6) + xi(0.0)) / 2])
    # a cost criterion reverses min–max
    g2 = grey_relational(X, {"a": 1.0, "b": 0.0}, benefit={"a": False, "b": True})
    assert g2.tolist() == pytest.approx([1 / 3, 1.0])


def test_triangular_membership_and_fuzzy_hand_computed():
    centres = [30.0, 65.0, 77.5, 92.5]  # 不合格, 合格, 良好, 优秀
    m = triangular_membership(np.array([20.0, 71.25, 92.5, 85.0]), centres)
    expected = [[1, 0, 0, 0], [0, 0.5, 0.5, 0], [0, 0, 0, 1], [0, 0, 0.5, 0.5]]
    np.testing.assert_allclose(m, expected, atol=1e-12)
    # one township, three criteria with weights .5 .3 .2:
    R = np.array([[0, 0.5, 0.5, 0], [0, 0, 0, 1], [1, 0, 0, 0]])
    grades = ["不合格", "合格", "良好", "优秀"]
    res = fuzzy_evaluation(R, [0.5, 0.3, 0.2], grades, centres)
    # B = (.2, .25, .25, .3); score = (.2·30 + .25·65 + .25·77.5 + .3·92.5) / 1 = 69.375
    assert res.membership.iloc[0].tolist() == pytest.approx([0.2, 0.25, 0.25, 0.3])
    assert res.score.iloc[0] == pytest.approx(69.375)
    assert res.grade.iloc[0] == "优秀"  # maximum-membership principle
    # Zadeh max–min: b = (.2, .5, .5, .3) / 1.5
    mm = fuzzy_evaluation(R, [0.5, 0.3, 0.2], grades, centres, operator="max_min")
    assert mm.membership.iloc[0].tolist() == pytest.approx(
        [0.2 / 1.5, 0.5 / 1.5, 0.5 / 1.5, 0.3 / 1.5]
    )


def test_fuzzy_not_applicable_criterion_renormalises():
    R = np.array([[[0, 0, 0, 1], [np.nan] * 4, [1, 0, 0, 0]]])
    res = fuzzy_evaluation(R, [0.5, 0.3, 0.2], list("abcd"), [0, 1, 2, 3])
    assert res.membership.iloc[0].tolist() == pytest.approx([0.2 / 0.7, 0, 0, 0.5 / 0.7])


def test_weighted_means_and_not_applicable():
    X = pd.DataFrame({"a": [100.0, 50.0], "b": [50.0, np.nan]}, index=["t1", "t2"])
    w = {"a": 0.75, "b": 0.25}
    ar = weighted_arithmetic(X, w)
    assert ar.tolist() == pytest.approx([87.5, 50.0])
    ge = weighted_geometric(X, w)
    assert ge["t1"] == pytest.approx(100**0.75 * 50**0.25)
    assert ge["t2"] == pytest.approx(50.0)


def test_geometric_zero_uses_floor_and_rejects_negatives():
    X = pd.DataFrame({"a": [0.0, 100.0], "b": [100.0, 100.0]})
    g = weighted_geometric(X, {"a": 0.5, "b": 0.5})
    assert g.iloc[0] == pytest.approx(np.sqrt(1.0 * 100.0)) and np.isfinite(g).all()
    with pytest.raises(ValueError, match="non-negative"):
        weighted_geometric(X - 50, {"a": 0.5, "b": 0.5})
    with pytest.raises(ValueError, match="floor"):
        weighted_geometric(X, {"a": 0.5, "b": 0.5}, floor=0)


def test_all_not_applicable_row_is_an_error():
    X = pd.DataFrame({"a": [np.nan, 1.0]}, index=["t1", "t2"])
    with pytest.raises(ValueError, match=r"\['t1'\] have no applicable criterion"):
        weighted_arithmetic(X, {"a": 1.0})


# --- properties --------------------------------------------------------------------------------

# values on a 0.01 grid: sub-normal floats would make x·scale + shift lose the differences
data = arrays(
    float,
    st.tuples(st.integers(2, 10), st.integers(1, 5)),
    elements=st.integers(0, 1_000_000).map(lambda v: v / 100),
)


@settings(max_examples=80, deadline=None)
@given(data, st.data())
def test_monotone_improving_a_benefit_indicator_never_lowers_the_score(x, d):
    n, k = x.shape
    X = pd.DataFrame(x, columns=[f"c{i}" for i in range(k)])
    w = pd.Series(d.draw(arrays(float, k, elements=st.floats(0.01, 1))), index=X.columns)
    i = d.draw(st.integers(0, n - 1))
    j = d.draw(st.integers(0, k - 1))
    bump = d.draw(st.floats(0, 1e4))
    for method in ("minmax", "rank"):
        before = weighted_arithmetic(normalise(X, method), w).iloc[i]
        Y = X.copy()
        Y.iloc[i, j] += bump
        after = weighted_arithmetic(normalise(Y, method), w).iloc[i]
        assert after >= before - 1e-9
    t = pd.Series(np.maximum(x.max(axis=0), 1.0), index=X.columns)
    before = weighted_arithmetic(normalise(X, "target", target=t), w).iloc[i]
    Y = X.copy()
    Y.iloc[i, j] += bump
    assert weighted_arithmetic(normalise(Y, "target", target=t), w).iloc[i] >= before - 1e-9


@settings(max_examples=80, deadline=None)
@given(data, st.floats(1e-3, 1e3), st.floats(-1e3, 1e3))
def test_minmax_scores_invariant_to_indicator_units(x, scale, shift):
    X = pd.DataFrame(x, columns=[f"c{i}" for i in range(x.shape[1])])
    w = pd.Series(1.0, index=X.columns)
    Y = X.copy()
    Y["c0"] = Y["c0"] * scale + shift
    a = weighted_arithmetic(normalise(X, "minmax"), w)
    b = weighted_arithmetic(normalise(Y, "minmax"), w)
    assert b.to_numpy() == pytest.approx(a.to_numpy(), abs=1e-6)
