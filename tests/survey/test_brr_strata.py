"""BRR/Fay half-samples for strata without exactly 2 PSUs (R's ``brrweights`` ``small=`` /
``large=`` pseudo-strata) against R survey 4.1.1 (tests/reference/survey/make_fixtures_brr.R):
replicate factors, degf, scale, means, totals and domain means with SEs. Relative tolerance
1e-6."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from references import reference

from commeval.survey import SurveyDesign
from commeval.survey.replicate import as_replicate, brr_factors

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
RTOL = 1e-6


def close(got, exp, rtol=RTOL, atol=1e-12):
    assert np.isclose(got, exp, rtol=rtol, atol=atol), (got, exp)


@pytest.fixture(scope="module")
def ref_brr():
    return reference("brr")


@pytest.fixture(scope="module")
def designs():
    df = pd.read_csv(REF / "brr_strata.csv", keep_default_na=False)
    nh = pd.read_csv(REF / "nhanes.csv")
    kw = dict(weights="pw", psu="dnum", lonely_psu="adjust")
    return {
        "st": SurveyDesign(df, strata="st", **kw),
        "st2": SurveyDesign(df[df.st2 != ""].reset_index(drop=True), strata="st2", **kw),
        "nh": SurveyDesign(nh, weights="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True),
    }


def sylvester_pm(order=16):
    H = np.ones((1, 1))
    while H.shape[0] < order:
        H = np.block([[H, H], [H, -H]])
    return H


def psu_labels(name, d):
    """The fixture's PSU label of each PSU code (R: dnum; nhanes: stratum.psu)."""
    s1 = d._stage1
    first = np.full(s1.n_units, len(s1.codes))
    np.minimum.at(first, s1.codes, np.arange(len(s1.codes)))
    if name == "nh":
        rows = d.data.iloc[first]
        return [f"{a}.{b}" for a, b in zip(rows.SDMVSTRA, rows.SDMVPSU)]
    return [str(v) for v in d.data.dnum.to_numpy()[first]]


CASES = {
    "st_mm": ("st", dict(small="merge", large="merge"), ["api00", "enroll"], "stype"),
    "st_sm": ("st", dict(small="split", large="merge"), ["api00", "enroll"], "stype"),
    "st2_ms": ("st2", dict(small="merge"), ["api00", "enroll"], "stype"),
    "st2_ss": (
        "st2",
        dict(small="split", large="split", hadamard=sylvester_pm()),
        ["api00", "enroll"],
        "stype",
    ),
    "nh_merge": ("nh", dict(large="merge"), ["HI_CHOL", "RIAGENDR"], "race"),
}
PARAMS = [(c, t) for c in CASES for t in ("brr", "fay")]


@pytest.mark.parametrize("case,kind", PARAMS, ids=[f"{c}_{t}" for c, t in PARAMS])
def test_brr_pseudo_strata_match_r(designs, ref_brr, case, kind):
    name, kw, variables, by = CASES[case]
    cs = f"{case}_{kind}"
    rho = 0.3 if kind == "fay" else None
    d = as_replicate(designs[name], kind, rho=rho, **kw)
    assert d.degf() == ref_brr(cs, "degf")
    assert d.n_replicates == ref_brr(cs, "replicates")
    close(d.scale, ref_brr(cs, "scale"))
    # the replicate factors of every PSU, exactly as R's
    labels = psu_labels(name, designs[name])
    fr = ref_brr.frame
    fr = fr[fr.case == cs + ":factor"]
    assert len(fr) == d.factors.size
    exp = fr.pivot(index="variable", columns="level", values="value")
    exp = exp[sorted(exp.columns, key=int)].loc[labels].to_numpy().T
    np.testing.assert_allclose(d.factors, exp, rtol=1e-12, atol=1e-12)
    for v in variables:
        for kind_ in ("mean", "total"):
            r = getattr(d, kind_)(v).iloc[0]
            for c in ("estimate", "se"):
                close(r[c], ref_brr(f"{cs}:{kind_}", c, v))
    for _, r in d.mean(variables[0], by=by).iterrows():
        for c in ("estimate", "se"):
            close(r[c], ref_brr(cs + ":by", c, variables[0], by, r[by]))


def test_brr_strata_errors_as_r(designs):
    st, st2, nh = designs["st"], designs["st2"], designs["nh"]
    with pytest.raises(ValueError, match="fewer than 2 PSUs"):
        as_replicate(st, "brr")  # R's default small="fail"
    with pytest.raises(ValueError, match="odd number of PSUs"):
        as_replicate(st, "brr", small="merge")  # R's default large="split", 3-PSU strata
    with pytest.raises(ValueError, match="odd number of PSUs"):
        nh.replicate("brr")
    with pytest.raises(ValueError, match="more than 2 PSUs"):
        as_replicate(st2, "brr", small="merge", large="fail")
    with pytest.raises(ValueError, match="small must be"):
        as_replicate(st, "brr", small="drop")
    with pytest.raises(ValueError, match="large must be"):
        as_replicate(st, "brr", large="drop")
    one = st.data.assign(st=np.where(st.data.st.isin(["s1", "s10"]), "s3", st.data.st))
    d1 = SurveyDesign(one, weights="pw", psu="dnum", strata="st", lonely_psu="adjust")
    with pytest.raises(ValueError, match="single small stratum"):
        as_replicate(d1, "brr", small="merge", large="merge")
    with pytest.raises(ValueError, match="at least 10 rows"):
        as_replicate(st2, "brr", small="split", large="split", hadamard=sylvester_pm(8))


def test_brr_two_psu_strata_unchanged(designs):
    """Designs with 2 PSUs per stratum: the same factors whatever small/large say."""
    df = designs["nh"].data
    df = df[~((df.SDMVSTRA == 86) & (df.SDMVPSU == 3))].reset_index(drop=True)
    nh2 = SurveyDesign(df, weights="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True)
    a = brr_factors(nh2, 0.3)
    for small in ("split", "merge"):
        for large in ("merge", "fail"):
            assert np.array_equal(brr_factors(nh2, 0.3, small=small, large=large), a)
    # each stratum's two PSUs take 2 - rho and rho in every replicate
    s1 = nh2._stage1
    sums = np.stack([a[:, s1.parent == h].sum(axis=1) for h in range(s1.n_parent)])
    assert np.allclose(sums, 2.0)
