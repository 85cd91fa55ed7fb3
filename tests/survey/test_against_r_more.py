"""commeval.survey against R survey 4.1.1 on its example data beyond ``api``
(tests/reference/survey/make_fixtures_more.R): nhanes (item nonresponse, unequal weights),
mu284 (two stages, FPC at both), election_pps (strongly unequal weights), scd (supplied
replicate weights). Relative tolerance 1e-6 throughout."""

import numpy as np
import pytest

from commeval.survey import SurveyDesign

RTOL = 1e-6


def close(got, exp, rtol=RTOL, atol=1e-12):
    assert np.isclose(got, exp, rtol=rtol, atol=atol), (got, exp)


@pytest.fixture(scope="module")
def nh(more_data):
    return SurveyDesign(
        more_data["nhanes"], weights="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True
    )


def mu_weights(data):
    """R derives weights from the FPCs: N1/n1 * N2/n2 (5 of 50 PSUs, 3 SSUs in each)."""
    return data.assign(w=data.n1 / 5 * data.n2 / data.groupby("id1").id2.transform("size"))


@pytest.fixture(scope="module")
def mu(more_data):
    data = mu_weights(more_data["mu284"])
    return SurveyDesign(data, weights="w", psu="id1", ssu="id2", fpc="n1", fpc2="n2")


@pytest.fixture(scope="module")
def el(more_data):
    return SurveyDesign(more_data["election"], weights="wt")


def check_row(row, ref, case, variable, domain="", level="", cols=("estimate", "se")):
    for c in cols:
        close(row[c], ref(case, c, variable, domain, level))


# ------------------------------------------------------------------ means, totals, deff, cv
@pytest.mark.parametrize("v", ["HI_CHOL", "RIAGENDR"])
def test_nhanes_mean_total_deff_cv(nh, ref_more, v):
    assert nh.degf() == ref_more("nh", "degf")
    for kind, case, deff in [
        ("mean", "nh", True),
        ("total", "nh:total", True),
        ("mean", "nh:replace", "replace"),
        ("total", "nh:total_replace", "replace"),
    ]:
        r = getattr(nh, kind)(v, deff=deff, cv=True).iloc[0]
        check_row(r, ref_more, case, v, cols=("estimate", "se", "cv", "deff"))
        assert np.isclose(r.cv_pct, 100 * r.cv)


def test_nhanes_domains_and_svyvar(nh, ref_more):
    for _, r in nh.mean("HI_CHOL", by="race", cv=True).iterrows():
        check_row(r, ref_more, "nh:by", "HI_CHOL", r.race, cols=("estimate", "se", "cv"))
    for v in ["HI_CHOL", "RIAGENDR"]:
        check_row(nh.var(v).iloc[0], ref_more, "nh:var", v)
    for _, r in nh.svyvar("HI_CHOL", by="race").iterrows():
        check_row(r, ref_more, "nh:varby", "HI_CHOL", r.race)


def test_deff_rejects_unknown(nh):
    with pytest.raises(ValueError, match="deff"):
        nh.mean("HI_CHOL", deff="srs")


@pytest.mark.parametrize("v", ["Bush", "Kerry"])
def test_election_unequal_weights(el, ref_more, v):
    assert el.degf() == ref_more("el", "degf")
    check_row(el.mean(v, deff=True).iloc[0], ref_more, "el", v, cols=("estimate", "se", "deff"))
    r = el.mean(v, deff="replace").iloc[0]
    check_row(r, ref_more, "el:replace", v, cols=("estimate", "se", "deff"))
    check_row(el.total(v, cv=True).iloc[0], ref_more, "el:total", v, cols=("estimate", "se", "cv"))
    check_row(el.ratio("Kerry", "votes").iloc[0], ref_more, "el:ratio", "Kerry/votes")
    check_row(el.var("Kerry").iloc[0], ref_more, "el:var", "Kerry")


# ------------------------------------------------------------------ proportions
METHODS = ["logit", "likelihood", "asin", "beta", "mean", "xlogit"]
CI = ("estimate", "se", "ci_low", "ci_high")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("v", ["HI_CHOL", "chol_gap"])
def test_nhanes_svyciprop_item_nonresponse(nh, ref_more, method, v):
    r = nh.proportion(v, method=method).set_index("level").loc[1]
    check_row(r, ref_more, f"nh:prop_{method}", v, cols=CI)
    by = nh.proportion(v, by="race", method=method)
    for _, r in by[by.level == 1].iterrows():
        check_row(r, ref_more, f"nh:propby_{method}", v, r.race, cols=CI)


@pytest.mark.parametrize("method", METHODS)
def test_election_svyciprop(el, ref_more, method):
    r = el.proportion("kerry_win", method=method).set_index("level").loc[1]
    check_row(r, ref_more, f"el:prop_{method}", "kerry_win", cols=CI)


# ------------------------------------------------------------------ crosstab
def test_nhanes_svychisq_scaled_to_design_rows(nh, ref_more):
    t = nh.crosstab("HI_CHOL", "race").test
    close(t.statistic, ref_more("nh:chisq_F", "statistic", "HI_CHOL~race"))
    close(t.ndf, ref_more("nh:chisq_F", "ndf", "HI_CHOL~race"))
    close(t.ddf, ref_more("nh:chisq_F", "ddf", "HI_CHOL~race"))
    close(t.p_value, ref_more("nh:chisq_F", "p_value", "HI_CHOL~race"))
    close(t.pearson, ref_more("nh:chisq_Chisq", "statistic", "HI_CHOL~race"))
    close(t.chisq_p_value, ref_more("nh:chisq_Chisq", "p_value", "HI_CHOL~race"))


# ------------------------------------------------------------------ GLMs
def glm_check(g, ref, case, names):
    ci = g.conf_int()
    for ours, theirs in names.items():
        close(g.params[ours], ref(case, "estimate", theirs), rtol=1e-8)
        close(g.bse[ours], ref(case, "se", theirs), rtol=1e-8)
        close(g.pvalues[ours], ref(case, "p_value", theirs))
        close(ci.loc[ours, "ci_low"], ref(case, "ci_low", theirs))
        close(ci.loc[ours, "ci_high"], ref(case, "ci_high", theirs))
    assert g.df_resid == ref(case, "df_resid")


RACE_TERMS = {
    "Intercept": "(Intercept)",
    "C(race)[T.2]": "factor(race)2",
    "C(race)[T.3]": "factor(race)3",
    "C(race)[T.4]": "factor(race)4",
    "RIAGENDR": "RIAGENDR",
}


def test_nhanes_glm_and_bool_response(nh, ref_more):
    g = nh.glm("HI_CHOL ~ C(race) + RIAGENDR", family="quasibinomial")
    glm_check(g, ref_more, "nh:glm_quasibinomial", RACE_TERMS)
    gb = nh.glm("hichol_b ~ C(race) + RIAGENDR", family="binomial")
    glm_check(gb, ref_more, "nh:glm_bool", RACE_TERMS)


def test_election_glm(el, ref_more):
    g = el.glm("kerry_win ~ np.log(votes)", family="quasibinomial")
    glm_check(
        g,
        ref_more,
        "el:glm_quasibinomial",
        {"Intercept": "(Intercept)", "np.log(votes)": "log(votes)"},
    )


# ------------------------------------------------------------------ two stages, FPC at both
def test_mu284_two_stage(mu, ref_more):
    assert mu.degf() == ref_more("mu", "degf")
    check_row(
        mu.mean("y1", deff=True).iloc[0], ref_more, "mu", "y1", cols=("estimate", "se", "deff")
    )
    check_row(mu.total("y1").iloc[0], ref_more, "mu:total", "y1")
    check_row(mu.subset(mu.data.y1 > 40).mean("y1").iloc[0], ref_more, "mu:subset", "y1")
    d = mu.update(big=(mu.data.y1 > 40).astype(int))
    r = d.proportion("big").set_index("level").loc[1]
    check_row(r, ref_more, "mu:prop_logit", "y1>40", cols=CI)
    q = mu.quantile("y1", 0.5).iloc[0]
    for c in ("estimate", "ci_low", "ci_high"):
        close(q[c], ref_more("mu:quantile", c, "y1", level="0.5"))


def test_mu284_stage2_singleton(more_data, ref_more):
    data = mu_weights(more_data["mu284_single"])
    assert ref_more("mu_single_fail", "error", "y1") == 1
    with pytest.raises(ValueError, match="one PSU at stage 2"):
        SurveyDesign(data, weights="w", psu="id1", ssu="id2", fpc="n1", fpc2="n2")
    for opt in ["remove", "adjust", "certainty"]:
        d = SurveyDesign(
            data, weights="w", psu="id1", ssu="id2", fpc="n1", fpc2="n2", lonely_psu=opt
        )
        check_row(d.mean("y1").iloc[0], ref_more, f"mu_single_{opt}", "y1")
        check_row(d.total("y1").iloc[0], ref_more, f"mu_single_{opt}:total", "y1")


# ------------------------------------------------------------------ calibration, unequal weights
POP_RACE = {1: 7e7, 2: 1.6e8, 3: 3.5e7, 4: 1.2e7}
POP_SEX = {1: 1.3e8, 2: 1.47e8}


def cal_check(d, ref, case):
    check_row(d.mean("HI_CHOL").iloc[0], ref, case, "HI_CHOL")
    check_row(d.total("HI_CHOL").iloc[0], ref, case + ":total", "HI_CHOL")
    for _, r in d.mean("HI_CHOL", by="agecat").iterrows():
        check_row(r, ref, case + ":by", "HI_CHOL", r.agecat)
    g = d.glm("HI_CHOL ~ C(race) + RIAGENDR", family="quasibinomial")
    glm_check(g, ref, case + ":glm_quasibinomial", RACE_TERMS)


def test_nhanes_rake_equals_calibrate_raking(nh, ref_more):
    """rake()'s SEs are those of R's calibrate(calfun="raking") (the projection on all margin
    indicators), not of R's rake() (ten backfitting sweeps), which differ by ~1 % here."""
    r = nh.rake({"race": POP_RACE, "RIAGENDR": POP_SEX})
    cal_check(r, ref_more, "nh_calrake")
    ours = r.mean("HI_CHOL").iloc[0].se
    assert abs(ours / ref_more("nh_rake", "se", "HI_CHOL") - 1) > 1e-4
    close(r.mean("HI_CHOL").iloc[0].estimate, ref_more("nh_rake", "estimate", "HI_CHOL"))


def test_nhanes_linear_calibration_glm_start(nh, ref_more):
    totals = {
        "(Intercept)": 2.77e8,
        "race2": 1.6e8,
        "race3": 3.5e7,
        "race4": 1.2e7,
        "RIAGENDR2": 1.47e8,
    }
    cal_check(nh.calibrate(["race", "RIAGENDR"], totals), ref_more, "nh_greg")


# ------------------------------------------------------------------ supplied replicate weights
def scd_designs(scd):
    from commeval.survey import svrepdesign

    def cols(p, k):
        return [f"{p}{i}" for i in range(1, k + 1)]

    common = dict(combined_weights=False)
    return {
        "scd_brr": svrepdesign(scd, cols("brr", 4), "BRR", **common),
        "scd_fay": svrepdesign(scd, "^fay", "Fay", rho=0.3, **common),
        "scd_jk1": svrepdesign(scd, cols("jk", 6), "JK1", **common),
        "scd_jkn": svrepdesign(scd, cols("jn", 6), "JKn", rscales=[0.5] * 6, **common),
        "scd_boot": svrepdesign(scd, cols("bs", 5), "bootstrap", **common),
        "scd_brr_mse": svrepdesign(scd, cols("brr", 4), "BRR", mse=True, **common),
        "scd_other": svrepdesign(
            scd, cols("jk", 6), "other", scale=0.7, rscales=[1, 1, 2, 2, 1, 1], **common
        ),
    }


@pytest.mark.parametrize(
    "name", ["scd_brr", "scd_fay", "scd_jk1", "scd_jkn", "scd_boot", "scd_brr_mse", "scd_other"]
)
def test_scd_supplied_replicates(more_data, ref_more, name):
    d = scd_designs(more_data["scd"])[name]
    assert d.degf() == ref_more(name, "degf")
    close(d.scale, ref_more(name, "scale"))
    for v in ["alive", "arrests"]:
        check_row(d.mean(v, cv=True).iloc[0], ref_more, name, v, cols=("estimate", "se", "cv"))
        check_row(d.total(v).iloc[0], ref_more, name + ":total", v)
    check_row(d.ratio("alive", "arrests").iloc[0], ref_more, name + ":ratio", "alive/arrests")
    # R discards replicates without rows in a domain (BRR, JKn here)
    for _, r in d.mean("alive", by="ambulance").iterrows():
        check_row(r, ref_more, name + ":by", "alive", r.ambulance)
    g = d.glm("alive ~ arrests")
    for ours, theirs in {"Intercept": "(Intercept)", "arrests": "arrests"}.items():
        close(g.params[ours], ref_more(name + ":glm_gaussian", "estimate", theirs))
        close(g.bse[ours], ref_more(name + ":glm_gaussian", "se", theirs))


def test_replicate_binomial_glm_starts_from_full_sample(ref_more):
    from pathlib import Path

    import pandas as pd

    data = pd.read_csv(Path(__file__).parents[1] / "reference" / "survey" / "apiclus1.csv")
    d = SurveyDesign(data, weights="pw", psu="dnum", fpc="fpc").replicate("jk1")
    g = d.glm("yes ~ ell + meals", family="quasibinomial")
    names = {"Intercept": "(Intercept)", "ell": "ell", "meals": "meals"}
    for ours, theirs in names.items():
        close(g.params[ours], ref_more("clus1_jk1:glm_quasibinomial", "estimate", theirs), 1e-8)
        close(g.bse[ours], ref_more("clus1_jk1:glm_quasibinomial", "se", theirs), 1e-8)


# ------------------------------------------------------------------ vcov, contrasts, Wald tests
def test_nhanes_vcov_contrasts_and_joint_tests(nh, ref_more):
    from commeval.survey import domain_vcov, joint_test, regTermTest, svycontrast

    V, est = domain_vcov(nh, "HI_CHOL", "race")
    for i in range(4):
        for j in range(4):
            close(V.iloc[i, j], ref_more("nh:by_vcov", "vcov", "HI_CHOL", i + 1, j + 1))
    est.index = est.index.astype(str)
    V.index = V.columns = est.index
    for key, c in [
        ("1-2", [1, -1, 0, 0]),
        ("1/2", lambda e: e["1"] / e["2"]),
        ("log3-log4", lambda e: np.log(e["3"]) - np.log(e["4"])),
    ]:
        r = svycontrast(est, V, c)
        close(r.estimate, ref_more("nh:contrast", "estimate", key))
        close(r.se, ref_more("nh:contrast", "se", key))
    g = nh.glm("HI_CHOL ~ C(race) + RIAGENDR", family="quasibinomial")
    t = regTermTest(g, "C(race)")
    for q in ["statistic", "ndf", "ddf", "p_value"]:
        close(getattr(t, q), ref_more("nh:regterm", q, "factor(race)"))
    j = joint_test(nh, "HI_CHOL", "race")
    for q in ["statistic", "ndf", "ddf", "p_value"]:
        close(getattr(j, q), ref_more("nh:jointtest", q, "HI_CHOL", "race"))
