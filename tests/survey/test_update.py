"""``update(**columns)`` (R's ``update(design, newvar = ...)``) on Taylor and replicate designs,
and the estimators that ``DesignBase`` gives both."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.survey import ReplicateDesign, SurveyDesign
from commeval.survey.base import DesignBase

COLS = ["estimate", "se", "ci_low", "ci_high", "n"]
POP_SCHWIDE = {"No": 1072, "Yes": 5122}  # as tests/survey/conftest.py


def _strat(df: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(df, weights="pw", strata="stype", fpc="fpc")


def test_update_keeps_weights_domain_and_calibration(api):
    df = api["apistrat"]
    d = _strat(df).poststratify("sch.wide", POP_SCHWIDE).subset(df["api00"] > 600)
    u = d.update(
        gain=df["api00"] - df["api99"],  # Series, aligned on the index
        big=lambda x: (x["enroll"] > 500).astype(float),  # callable of the data
        ell=np.zeros(len(df)),  # replaces an analysis column
    )
    assert isinstance(u, SurveyDesign) and u is not d
    assert "gain" not in d.data and d.data["ell"].equals(df["ell"])  # original unchanged
    assert np.array_equal(u.weights, d.weights) and np.array_equal(u.domain, d.domain)
    assert u.calibration_log == d.calibration_log and len(u._calibration) == 1
    assert u.degf() == d.degf() and u.n == d.n
    # the same estimates as a design built on the data with the columns
    ref = (
        _strat(df.assign(gain=df["api00"] - df["api99"], big=(df["enroll"] > 500) * 1.0))
        .poststratify("sch.wide", POP_SCHWIDE)
        .subset(df["api00"] > 600)
    )
    for v in ("gain", "big"):
        pd.testing.assert_frame_equal(u.mean(v, by="stype")[COLS], ref.mean(v, by="stype")[COLS])
    assert (u.mean("ell").estimate == 0).all()


def test_update_refuses_design_columns(api):
    d = _strat(api["apistrat"])
    with pytest.raises(ValueError, match=r"\['pw'\].*design"):
        d.update(pw=1.0)
    with pytest.raises(ValueError, match="stype"):
        d.replicate("jkn").update(stype="E")
    assert d.update().data is d.data


def test_replicate_update_and_subset_keep_replicates(api):
    df = api["apistrat"]
    r = _strat(df).replicate("jkn")
    u = r.update(gain=df["api00"] - df["api99"])
    assert isinstance(u, ReplicateDesign) and u.factors is r.factors and u.scale == r.scale
    ref = _strat(df.assign(gain=df["api00"] - df["api99"])).replicate("jkn")
    pd.testing.assert_frame_equal(u.mean("gain")[COLS], ref.mean("gain")[COLS])
    s = u.subset(df["stype"] == "E")
    assert isinstance(s, ReplicateDesign) and s.n == int((df["stype"] == "E").sum())
    by = ref.mean("gain", by="stype").set_index("stype")
    got = s.mean("gain").iloc[0]
    assert np.isclose(got.estimate, by.loc["E", "estimate"])
    assert np.isclose(got.se, by.loc["E", "se"], rtol=1e-12)


def test_one_estimator_for_both_designs(api):
    """Quantiles, deff and na_rm come from DesignBase for replicate designs too."""
    df = api["apistrat"]
    d = _strat(df)
    r = d.replicate("jkn")
    assert isinstance(d, DesignBase) and isinstance(r, DesignBase)
    qd, qr = d.quantile("api00", [0.5], by="stype"), r.quantile("api00", [0.5], by="stype")
    assert np.array_equal(qd.estimate, qr.estimate)
    assert (qr.ci_low <= qr.estimate).all() and (qr.estimate <= qr.ci_high).all()
    # JKn and linearisation agree closely for a stratified design without clusters
    assert np.allclose(qr.se, qd.se, rtol=0.5)
    m = r.mean("api00", deff=True)
    assert "deff" in m and m.deff.iloc[0] > 0
    miss = df.assign(x=df["api00"].where(df.index % 5 != 0))
    rm = _strat(miss).replicate("jkn")
    assert rm.mean("x", na_rm=False).estimate.isna().all()
    assert np.isfinite(rm.mean("x").se.iloc[0])
    with pytest.raises(ValueError, match="family"):
        r.glm("api00 ~ ell", family="gamma")
    # svyttest: the same difference, a replicate SE, t on the replicate df - 1
    cd, cr = (
        d.compare_domains("api00", "sch.wide", "Yes", "No"),
        r.svyttest("api00", "sch.wide", "Yes", "No"),
    )
    assert np.isclose(cr.difference.iloc[0], cd.difference.iloc[0], rtol=1e-12)
    assert np.isclose(cr.se.iloc[0], cd.se.iloc[0], rtol=0.1)
    assert cr.df.iloc[0] == r.degf() - 1
    # by hand: the difference of the two domain means under every replicate weight
    rw = r.replicate_weights()
    y = df["api00"].to_numpy(float)
    ia, ib = (df["sch.wide"] == "Yes").to_numpy(), (df["sch.wide"] == "No").to_numpy()
    reps = (rw[ia].T @ y[ia]) / rw[ia].sum(0) - (rw[ib].T @ y[ib]) / rw[ib].sum(0)
    var = r.scale * np.sum(r.rscales * (reps - reps.mean()) ** 2)
    assert np.isclose(cr.se.iloc[0], np.sqrt(var), rtol=1e-10)
