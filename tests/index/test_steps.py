"""Steps: imputation, outlier treatment, normalisation, attainment and grades, checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.index import (
    IndexDataError,
    attained,
    attainment_rate,
    corr_flags,
    cronbach_by_group,
    grade,
    impute,
    indicator_alpha,
    normalise,
    rank_scores,
    treat,
)
from commeval.index.aggregation import grey_relational, topsis
from commeval.index.normalise import normalise_array
from commeval.index.outliers import skew_kurt, treat_column
from commeval.index.weights import critic_weights, entropy_weights

# --- imputation --------------------------------------------------------------------------------


def frame():
    return pd.DataFrame(
        {"a": [1.0, np.nan, 3.0, 10.0], "b": [np.nan, 2.0, 2.0, 4.0], "c": [np.nan] * 4},
        index=["t1", "t2", "t3", "t4"],
    )


def test_impute_mean_median_and_record():
    X = frame().drop(columns="c")
    m = impute(X, "mean")
    assert m.data.loc["t2", "a"] == pytest.approx(14 / 3) and m.data.loc["t1", "b"] == 8 / 3
    assert m.record.to_dict("records") == [
        {"unit": "t2", "indicator": "a", "method": "mean", "value": pytest.approx(14 / 3)},
        {"unit": "t1", "indicator": "b", "method": "mean", "value": pytest.approx(8 / 3)},
    ]
    med = impute(X, "median")
    assert med.data.loc["t2", "a"] == 3.0 and med.data.loc["t1", "b"] == 2.0
    none = impute(X, "none")
    assert none.data.isna().sum().sum() == 2 and set(none.record["method"]) == {"none"}


def test_impute_group_median_with_empty_group_fallback():
    X = frame().drop(columns="c")
    g = pd.Series(["x", "x", "y", "z"], index=X.index)
    r = impute(X, "group_median", groups=g)
    assert r.data.loc["t2", "a"] == 1.0  # group x median
    assert r.data.loc["t1", "b"] == 2.0  # group x: only t2 has b
    X2 = X.copy()
    X2.loc["t4", "a"] = np.nan
    r2 = impute(X2, "group_median", groups=g)
    assert r2.data.loc["t4", "a"] == 2.0  # group z empty → overall median of (1, 3)
    assert "median (group empty)" in set(r2.record["method"])


def test_impute_all_missing_is_an_error_unless_skipped():
    with pytest.raises(
        IndexDataError, match=r"^指标 'c' 在所有乡镇都没有值.*'c' is missing for every"
    ):
        impute(frame(), "median")
    r = impute(frame(), "median", skip=["c"])
    assert r.data["c"].isna().all()
    with pytest.raises(ValueError, match="unknown imputation"):
        impute(frame(), "knn")


# --- outliers ----------------------------------------------------------------------------------


def test_skew_kurt_match_pandas_bias_corrected():
    x = np.random.default_rng(3).lognormal(size=40)
    s, k = skew_kurt(x)
    assert s == pytest.approx(pd.Series(x).skew()) and k == pytest.approx(pd.Series(x).kurt())


def test_winsorise_one_outlier():
    x = np.r_[np.arange(1.0, 20.0), 1000.0]
    s0, k0 = skew_kurt(x)
    assert s0 > 2 and k0 > 3.5
    y, rec = treat_column(x)
    assert rec["treatment"] == "winsorised" and rec["points"] == 1
    assert y.max() == 19.0 and (y[:-1] == x[:-1]).all()
    s1, k1 = skew_kurt(y)
    assert not (abs(s1) > 2 and k1 > 3.5)


def test_negative_skew_winsorises_the_minimum():
    x = -np.r_[np.arange(1.0, 20.0), 1000.0]
    y, rec = treat_column(x)
    assert rec["treatment"] == "winsorised" and y.min() == -19.0


def test_log_fallback_when_too_many_points():
    x = np.r_[np.ones(30), [50, 60, 70, 80, 90, 100, 1e4, 2e4]].astype(float)
    y, rec = treat_column(x, max_points=2)
    assert rec["treatment"] == "log"
    assert y == pytest.approx(np.log(x - x.min() + 1))
    assert np.all(np.diff(y[np.argsort(x)]) >= 0)  # order preserved


def test_treat_frame_records_and_none():
    X = pd.DataFrame({"a": np.r_[np.arange(1.0, 20.0), 1000.0], "b": np.arange(20.0)})
    t = treat(X)
    assert t.record.set_index("indicator").loc["a", "treatment"] == "winsorised"
    assert t.record.set_index("indicator").loc["b", "treatment"] == "none"
    assert treat(X, "none").data.equals(X)


# --- normalisation -----------------------------------------------------------------------------


def test_normalisations_hand_computed():
    X = pd.DataFrame({"up": [0.0, 5.0, 10.0], "down": [1.0, 2.0, 3.0]}, index=list("xyz"))
    b = {"up": True, "down": False}
    mm = normalise(X, "minmax", b)
    assert mm["up"].tolist() == [0, 50, 100] and mm["down"].tolist() == [100, 50, 0]
    z = normalise(X, "zscore", b)
    assert z["up"].tolist() == pytest.approx([-1, 0, 1]) and z["down"].tolist() == pytest.approx(
        [1, 0, -1]
    )
    t = normalise(X, "target", b, target={"up": 8.0, "down": 2.0})
    assert t["up"].tolist() == pytest.approx([0, 62.5, 100])  # capped at the target
    assert t["down"].tolist() == pytest.approx([100, 100, 200 / 3])
    r = normalise(X, "rank", b)
    assert r["up"].tolist() == [0, 50, 100] and r["down"].tolist() == [100, 50, 0]
    g = normalise(X, "goalposts", b, goalposts={"up": (2.0, 6.0), "down": (1.0, 5.0)})
    assert g["up"].tolist() == [0, 75, 100] and g["down"].tolist() == [100, 75, 50]


def test_rank_ties_and_not_applicable():
    X = pd.DataFrame({"a": [1.0, 1.0, 3.0, np.nan]})
    r = normalise(X, "rank")["a"]
    assert r.iloc[:3].tolist() == [25, 25, 100] and np.isnan(r.iloc[3])


def test_constant_columns_documented_behaviour():
    X = pd.DataFrame({"k": [5.0, 5.0, 5.0]})
    assert normalise(X, "minmax")["k"].tolist() == [100, 100, 100]
    assert normalise(X, "rank")["k"].tolist() == [100, 100, 100]
    assert normalise(X, "zscore")["k"].tolist() == [0, 0, 0]
    one = pd.DataFrame({"k": [5.0]})
    assert normalise(one, "minmax")["k"].tolist() == [100]
    with pytest.raises(ValueError, match="unknown normalisation"):
        normalise(X, "cube")


def test_one_minmax_rule_for_constant_columns_everywhere():
    """Min–max scaling happens in one place (normalise_array): a constant column is at the top
    of the scale — 100 for the normalisation, 1 on the [0, 1] scale of TOPSIS and grey
    relational analysis — and carries no objective weight."""
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "k": [5.0, 5.0, 5.0]})
    b = np.array([True, True])
    assert normalise_array(X.to_numpy(), "minmax", b, scale=1.0)[:, 1].tolist() == [1, 1, 1]
    assert np.array_equal(
        normalise_array(X.to_numpy(), "minmax", b, scale=1.0) * 100,
        normalise_array(X.to_numpy(), "minmax", b),
    )
    w = {"a": 0.5, "k": 0.5}
    # the constant column is at 1: on the ideal, at distance 1 from the anti-ideal
    r = np.array([0.0, 1 / 3, 1.0])
    s_plus, s_minus = 0.5 * (1 - r), 0.5 * np.sqrt(r**2 + 1)
    c = topsis(X, w, normalization="minmax")
    assert c.tolist() == pytest.approx(list(s_minus / (s_plus + s_minus)))
    g = grey_relational(X, w)  # ξ = 1 for the constant column
    assert g.iloc[-1] == pytest.approx(1.0)
    assert entropy_weights(X)["k"] == 0.0
    assert entropy_weights(X, scaling="none")["k"] == 0.0
    assert critic_weights(X)["k"] == 0.0
    from commeval.index import weights

    assert not hasattr(weights, "minmax_scale")


# --- attainment, ranks, grades -----------------------------------------------------------------


def test_attainment_and_rate():
    X = pd.DataFrame({"a": [70.0, 69.9, np.nan], "c": [2.0, 3.0, 1.0]}, index=list("xyz"))
    met = attained(X, {"a": 70, "c": 2}, {"a": True, "c": False})
    assert met["a"].tolist()[:2] == [True, False] and pd.isna(met.loc["z", "a"])
    assert met["c"].tolist() == [True, False, True]
    assert attainment_rate(met).tolist() == [1.0, 0.0, 1.0]


def test_ranks_and_grades():
    s = pd.Series([90.0, 70.0, 70.0, 59.99, 85.0], index=list("abcde"))
    assert rank_scores(s).tolist() == [1, 3, 3, 5, 2]
    cut = [("优秀", 85.0), ("良好", 70.0), ("合格", 60.0), ("不合格", 0.0)]
    assert grade(s, cut).tolist() == ["优秀", "良好", "良好", "不合格", "优秀"]


# --- checks ------------------------------------------------------------------------------------


def test_cronbach_alpha_hand_and_covariance_form():
    # items (1,2,3), (2,3,4), (1,3,5): var = 1, 1, 4; totals (4, 8, 12) var 16
    # α = 3/2 · (1 − 6/16) = 0.9375
    X = pd.DataFrame({"a": [1, 2, 3], "b": [2, 3, 4], "c": [1, 3, 5]}, dtype=float)
    assert indicator_alpha(X) == pytest.approx(0.9375)
    rng = np.random.default_rng(5)
    Y = pd.DataFrame(rng.normal(size=(50, 4)) + rng.normal(size=(50, 1)))
    C = Y.cov().to_numpy()
    k = C.shape[0]
    assert indicator_alpha(Y) == pytest.approx(k / (k - 1) * (1 - np.trace(C) / C.sum()))
    assert np.isnan(indicator_alpha(X[["a"]]))
    t = cronbach_by_group(X, {"d1": ["a", "b", "c"], "d2": ["a"]})
    assert t["alpha"].iloc[0] == pytest.approx(0.9375) and np.isnan(t["alpha"].iloc[1])


def test_corr_flags():
    X = pd.DataFrame({"a": [1, 2, 3, 4.0], "b": [4, 3, 2, 1.0], "c": [1, 2, 3, 5.0]})
    low = corr_flags(X, {"d": ["a", "b", "c"]}, threshold=-0.4, kind="low")
    assert set(map(tuple, low[["ind_1", "ind_2"]].to_numpy())) == {("a", "b"), ("b", "c")}
    high = corr_flags(X, {"d": ["a", "b", "c"]}, threshold=0.9, kind="high")
    assert high[["ind_1", "ind_2"]].to_numpy().tolist() == [["a", "c"]]
    # pairs across dimensions are not flagged
    assert corr_flags(X, {"d1": ["a"], "d2": ["b"]}).empty
