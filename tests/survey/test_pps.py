"""PPS designs in the analysis against R's svydesign(pps=) on election_pps (fixtures:
tests/reference/survey/make_fixtures_pps.R): Brewer's and Overton's approximations and the
Horvitz–Thompson and Yates–Grundy variances from the joint-probability matrix (ppsmat)."""

import numpy as np
import pandas as pd
import pytest
from references import REF, reference

from commeval.survey import SurveyDesign

ref = reference("pps")


@pytest.fixture(scope="module")
def designs():
    el = pd.read_csv(REF / "election.csv")
    pij = pd.read_csv(REF / "election_jointprob.csv").to_numpy()
    return {
        "brewer": SurveyDesign(el, fpc="p", pps="brewer"),
        "overton": SurveyDesign(el, weights="wt", fpc="p", pps="overton"),
        "ht": SurveyDesign(el, fpc="p", pps=pij),
        "yg": SurveyDesign(el, fpc="p", pps=pij, variance="YG"),
    }


@pytest.mark.parametrize("case", ["brewer", "overton", "ht", "yg"])
@pytest.mark.parametrize("stat", ["total", "mean"])
@pytest.mark.parametrize("var", ["Bush", "Kerry", "Nader"])
def test_totals_and_means_equal_r(designs, case, stat, var):
    d = designs[case]
    r = (d.total if stat == "total" else d.mean)(var).iloc[0]
    assert r["estimate"] == pytest.approx(ref(case, "estimate", f"{stat}:{var}"), rel=1e-9)
    assert r["se"] == pytest.approx(ref(case, "se", f"{stat}:{var}"), rel=1e-7)


@pytest.mark.parametrize("case", ["brewer", "overton", "ht", "yg"])
def test_ratio_and_domain_equal_r(designs, case):
    d = designs[case]
    r = d.ratio("Kerry", "votes").iloc[0]
    assert r["estimate"] == pytest.approx(ref(case, "estimate", "ratio:Kerry/votes"), rel=1e-9)
    assert r["se"] == pytest.approx(ref(case, "se", "ratio:Kerry/votes"), rel=1e-7)
    big = d.subset(d.data["TotPrecincts"] > 500)
    dom = "TotPrecincts>500"
    t = big.total("Kerry").iloc[0]
    m = big.mean("Kerry").iloc[0]
    assert t["estimate"] == pytest.approx(ref(case, "estimate", "total:Kerry", dom), rel=1e-9)
    assert t["se"] == pytest.approx(ref(case, "se", "total:Kerry", dom), rel=1e-7)
    assert m["estimate"] == pytest.approx(ref(case, "estimate", "mean:Kerry", dom), rel=1e-9)
    assert m["se"] == pytest.approx(ref(case, "se", "mean:Kerry", dom), rel=1e-7)


def test_pps_inputs_are_checked():
    el = pd.read_csv(REF / "election.csv")
    with pytest.raises(ValueError, match="YG"):
        SurveyDesign(el, fpc="p", pps="brewer", variance="YG")
    with pytest.raises(ValueError, match="inclusion probabilities"):
        SurveyDesign(el, fpc="TotPrecincts", pps="brewer")
    with pytest.raises(ValueError, match="expected"):
        SurveyDesign(el, fpc="p", pps=np.eye(3))
    with pytest.raises(ValueError, match="pps must be"):
        SurveyDesign(el, fpc="p", pps="sampford")


def test_two_stage_brewer_equals_r():
    """svydesign(id=~dnum+snum, fpc=~pi1+pi2, pps="brewer") on apiclus2 with unequal
    first-stage probabilities: the second stage weighted by each PSU's pi_i, as R."""
    df = pd.read_csv(REF / "apiclus2_pps.csv")
    d = SurveyDesign(df, psu="dnum", ssu="snum", fpc="pi1", fpc2="pi2", pps="brewer")
    t = d.total("enroll").iloc[0]
    assert t["estimate"] == pytest.approx(ref("brewer2", "estimate", "total:enroll"), rel=1e-9)
    assert t["se"] == pytest.approx(ref("brewer2", "se", "total:enroll"), rel=1e-7)
    m = d.mean("api00").iloc[0]
    assert m["se"] == pytest.approx(ref("brewer2", "se", "mean:api00"), rel=1e-7)
    e = d.subset(d.data["stype"] == "E").mean("api00").iloc[0]
    assert e["estimate"] == pytest.approx(ref("brewer2", "estimate", "mean:api00", "stype=E"))
    assert e["se"] == pytest.approx(ref("brewer2", "se", "mean:api00", "stype=E"), rel=1e-7)
