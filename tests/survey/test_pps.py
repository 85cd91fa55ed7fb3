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
