"""commeval.survey's newer models and estimators against R survey 4.1.1
(tests/reference/survey/make_fixtures_more.R): svyolr, bounded calibration, quasipoisson,
categorical means/totals, replicate-design quantiles/crosstabs, Hadamard BRR/Fay, rank tests,
quantile rules. Relative tolerance 1e-6."""

import numpy as np
import pandas as pd
import pytest

from commeval.survey import SurveyDesign

RTOL = 1e-6
AGE = ["(0,19]", "(19,39]", "(39,59]", "(59,Inf]"]


def close(got, exp, rtol=RTOL, atol=1e-12):
    assert np.isclose(got, exp, rtol=rtol, atol=atol), (got, exp)


@pytest.fixture(scope="module")
def nh(more_data):
    return SurveyDesign(
        more_data["nhanes"], weights="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True
    )


def r_name(term: str) -> str:
    """patsy's ``C(race)[T.2]`` as R's ``factor(race)2``."""
    if term.startswith("C(") and "[T." in term:
        var = term[2 : term.index(")")]
        return f"factor({var}){term[term.index('[T.') + 3 : -1]}"
    return term


# ------------------------------------------------------------------ svyolr
def check_olr(fit, ref, case, cols=("estimate", "se")):
    for term in fit.params.index:
        for c in cols:
            got = {"estimate": fit.params, "se": fit.bse}[c][term]
            close(got, ref(case, c, r_name(term)))


def test_svyolr_converged_matches_r(nh, ref_more):
    fit = nh.olr("agecat ~ C(race) + RIAGENDR", levels=AGE)
    check_olr(fit, ref_more, "nh:olr_conv")
    ci = fit.conf_int(df=np.inf)  # R's confint (normal)
    for term in fit.params.index:
        close(ci.loc[term, "ci_low"], ref_more("nh:olr_conv", "ci_low", r_name(term)))
        close(ci.loc[term, "ci_high"], ref_more("nh:olr_conv", "ci_high", r_name(term)))
    assert fit.df_resid == ref_more("nh:olr_conv", "df_resid")
    close(fit.deviance, ref_more("nh:olr_conv", "deviance"))
    assert list(fit.thresholds.index) == ["(0,19]|(19,39]", "(19,39]|(39,59]", "(39,59]|(59,Inf]"]
    assert list(fit.coefficients.index)[-1] == "RIAGENDR"
    assert fit.vcov.shape == (7, 7) and fit.degf == 16
    assert "proportional odds" in fit.summary()
    # R's defaults (BFGS reltol 1e-8, finite-difference Hessian) are ~1e-4 from convergence
    check = [(fit.params[t], ref_more("nh:olr", "estimate", r_name(t))) for t in fit.params.index]
    assert all(np.isclose(a, b, rtol=5e-4) for a, b in check)


def test_svyolr_domain_matches_r(nh, ref_more):
    fit = nh.subset(nh.data.RIAGENDR == 2).olr("agecat ~ C(race)", levels=AGE)
    check_olr(fit, ref_more, "nh:olr_sub")
    assert fit.df_resid == ref_more("nh:olr_sub", "df_resid")


def test_svyolr_replicate_matches_r_converged(nh, ref_more):
    fit = nh.replicate("jkn").olr("agecat ~ C(race) + RIAGENDR", levels=AGE)
    check_olr(fit, ref_more, "nh_jkn:olr")
    assert fit.df_resid == ref_more("nh_jkn:olr", "df_resid")


def test_svyolr_ordered_categorical_and_errors(nh):
    data = nh.data.assign(agecat=pd.Categorical(nh.data.agecat, categories=AGE, ordered=True))
    a = nh.update(agecat=data.agecat).olr("agecat ~ RIAGENDR")
    b = nh.olr("agecat ~ RIAGENDR", levels=AGE)
    assert np.allclose(a.params, b.params, rtol=1e-12)
    with pytest.raises(ValueError, match="outside levels"):
        nh.olr("agecat ~ RIAGENDR", levels=AGE[:3])
    with pytest.raises(ValueError, match="3 or more"):
        nh.olr("RIAGENDR ~ race")


# ------------------------------------------------------------------ bounded calibration
CAL_TOTALS = {"(Intercept)": 2.77e8, "race2": 1.6e8, "race3": 3.5e7, "race4": 1.2e7, "sex2": 1.47e8}


@pytest.mark.parametrize(
    "calfun,bounds",
    [
        ("linear", (0.58, 1.8)),
        ("raking", (0.4, 1.74)),
        ("logit", (0.58, 1.745)),
        ("logit", (0.3, 3)),
    ],
)
def test_bounded_calibration_matches_r(nh, ref_more, calfun, bounds):
    d = nh.update(race=nh.data.race.astype(str), sex=nh.data.RIAGENDR.astype(str))
    c = d.calibrate(
        ["race", "sex"], CAL_TOTALS, calfun=calfun, bounds=bounds, epsilon=1e-10, max_iter=100
    )
    case = f"nh_cal_{calfun}_{bounds[0]:g}_{bounds[1]:g}"
    g = c.weights / nh.weights
    close(g.min(), ref_more(case, "g_min"))
    close(g.max(), ref_more(case, "g_max"))
    assert bounds[0] - 1e-12 <= g.min() and g.max() <= bounds[1] + 1e-12
    for kind, cs in [("mean", case), ("total", case + ":total")]:
        r = getattr(c, kind)("HI_CHOL", cv=True).iloc[0]
        for col in ("estimate", "se", "cv"):
            close(r[col], ref_more(cs, col, "HI_CHOL"))
    for _, r in c.mean("HI_CHOL", by="agecat").iterrows():
        for col in ("estimate", "se"):
            close(r[col], ref_more(case + ":by", col, "HI_CHOL", r.agecat))
    assert calfun in c.calibration_log[-1]


def test_bounded_calibration_errors(nh):
    d = nh.update(race=nh.data.race.astype(str), sex=nh.data.RIAGENDR.astype(str))
    with pytest.raises(ValueError, match="did not converge"):
        d.calibrate(["race", "sex"], CAL_TOTALS, bounds=(0.7, 1.7))
    with pytest.raises(ValueError, match="finite bounds"):
        d.calibrate(["race", "sex"], CAL_TOTALS, calfun="logit")
    with pytest.raises(ValueError, match="calfun"):
        d.calibrate(["race", "sex"], CAL_TOTALS, calfun="probit")


# ------------------------------------------------------------------ categorical means/totals
def test_categorical_mean_total_one_row_per_level(nh, ref_more):
    m = nh.mean("C(race)", deff=True)
    assert list(m.level) == [1, 2, 3, 4] and set(m.variable) == {"race"}
    for _, r in m.iterrows():
        for c in ("estimate", "se", "deff"):
            close(r[c], ref_more("nh:catmean", c, "race", "", r.level))
    names = {1: "Mexican", 2: "White", 3: "Black", 4: "Other"}  # text: categorical
    t = nh.update(race_s=nh.data.race.map(names)).total("race_s", deff=True)
    code = {v: k for k, v in names.items()}
    assert set(t.level) == set(names.values())
    for _, r in t.iterrows():
        for c in ("estimate", "se", "deff"):
            close(r[c], ref_more("nh:cattotal", c, "race", "", code[r.level]))
    for _, r in nh.mean("factor(HI_CHOL)").iterrows():
        for c in ("estimate", "se"):
            close(r[c], ref_more("nh:catmean_na", c, "HI_CHOL", "", int(r.level)))
    for kind, case in [("mean", "nh:catby"), ("total", "nh:cattotalby")]:
        out = getattr(nh, kind)("C(race)", by="RIAGENDR")
        assert len(out) == 8
        for _, r in out.iterrows():
            for c in ("estimate", "se"):
                close(r[c], ref_more(case, c, "race", r.RIAGENDR, r.level))
    cat = nh.update(race_c=pd.Categorical(nh.data.race.map(str), categories=["4", "3", "2", "1"]))
    assert list(cat.mean("race_c").level) == ["4", "3", "2", "1"]


# ------------------------------------------------------------------ quasipoisson
def glm_check(g, ref, case, names, cols=("estimate", "se", "p_value", "ci_low", "ci_high")):
    ci = g.conf_int()
    got = {
        "estimate": g.params,
        "se": g.bse,
        "p_value": g.pvalues,
        "ci_low": ci["ci_low"],
        "ci_high": ci["ci_high"],
    }
    for ours, theirs in names.items():
        for c in cols:
            close(got[c][ours], ref(case, c, theirs))


def test_quasipoisson_prevalence_ratios(nh, more_data, ref_more):
    g = nh.glm("HI_CHOL ~ C(race) + RIAGENDR", family="quasipoisson")
    terms = {t: r_name(t) for t in g.params.index}
    terms["Intercept"] = "(Intercept)"
    glm_check(g, ref_more, "nh:glm_quasipoisson", terms)
    assert g.df_resid == ref_more("nh:glm_quasipoisson", "df_resid")
    p = nh.glm("HI_CHOL ~ C(race) + RIAGENDR", family="poisson")
    assert np.allclose(p.bse, g.bse, rtol=1e-12)
    el = SurveyDesign(more_data["election"], weights="wt")
    g = el.glm("Nader ~ np.log(votes)", family="quasipoisson")
    glm_check(
        g,
        ref_more,
        "el:glm_quasipoisson",
        {"Intercept": "(Intercept)", "np.log(votes)": "log(votes)"},
    )
    with pytest.raises(ValueError, match="non-negative"):
        el.glm("I(-Nader) ~ np.log(votes)", family="quasipoisson")


def test_quasipoisson_on_supplied_replicates(more_data, ref_more):
    from commeval.survey import svrepdesign

    scd = more_data["scd"]
    for name, d in {
        "scd_brr": svrepdesign(
            scd, [f"brr{i}" for i in range(1, 5)], "BRR", combined_weights=False
        ),
        "scd_jk1": svrepdesign(scd, [f"jk{i}" for i in range(1, 7)], "JK1", combined_weights=False),
    }.items():
        g = d.glm("arrests ~ alive", family="quasipoisson")
        glm_check(
            g,
            ref_more,
            name + ":glm_quasipoisson",
            {"Intercept": "(Intercept)", "alive": "alive"},
            cols=("estimate", "se"),
        )


# ------------------------------------------------------------------ questionnaire helpers
def test_olr_joint_test_matches_r_regtermtest(nh, ref_more):
    from commeval.survey import regTermTest

    fit = nh.olr("agecat ~ C(race) + RIAGENDR", levels=AGE)
    t = regTermTest(fit, "C(race)")
    close(t.statistic, ref_more("nh:olr_regterm", "statistic", "factor(race)"))
    close(t.p_value, ref_more("nh:olr_regterm", "p_value", "factor(race)"))
    assert t.ndf == ref_more("nh:olr_regterm", "ndf", "factor(race)")
    assert t.ddf == ref_more("nh:olr_regterm", "ddf", "factor(race)")


def test_likert_summary_reports_ordinal_township_effects(nh):
    from commeval.survey import likert_summary, regTermTest

    d = nh.update(age=pd.Categorical(nh.data.agecat, categories=AGE).codes + 1.0)
    out = likert_summary(d, "age", by="race", effects="race", dont_know=None)
    eff = out[out.statistic == "olr_effect"]
    fit = d.olr("age ~ C(Q('race'))", levels=[1.0, 2.0, 3.0, 4.0])
    assert list(eff.race) == [2, 3, 4]
    assert np.allclose(eff.estimate, fit.coefficients, rtol=1e-12)
    assert np.allclose(eff.se, fit.bse.iloc[:3], rtol=1e-12)
    joint = out[out.statistic == "olr_joint"].iloc[0]
    close(joint.estimate, regTermTest(fit, "C(Q('race'))").statistic)
    # the same model as R's svyolr(agecat ~ factor(race))
    ref = nh.olr("agecat ~ C(race)", levels=AGE)
    assert np.allclose(eff.estimate, ref.coefficients, rtol=1e-9)


def test_compare_to_rest_joint_test(nh, ref_more):
    from commeval.survey import compare_to_rest

    out = compare_to_rest(nh, "HI_CHOL", "race", joint=True)
    assert len(out) == 4 and out.joint_F.nunique() == 1
    close(out.joint_F.iloc[0], ref_more("nh:jointtest", "statistic", "HI_CHOL", "race"))
    close(out.joint_p_value.iloc[0], ref_more("nh:jointtest", "p_value", "HI_CHOL", "race"))
    assert "joint_F" not in compare_to_rest(nh, "HI_CHOL", "race").columns


def test_cv_suppression_flags(nh):
    from commeval.survey import suppression

    m = nh.mean("HI_CHOL", by="race", cv=True, min_n=600)
    s = suppression(m, max_cv=0.05, warn_cv=0.03)
    cv = m.cv.to_numpy()
    small = m.small_cell.to_numpy()
    assert (s.suppress.to_numpy() == (small | (cv > 0.05))).all()
    assert set(s.suppress_reason) <= {"small_cell", "cv", ""}
    assert (s.cv_warning.to_numpy() == ((cv > 0.03) & ~s.suppress.to_numpy())).all()
    t = suppression(nh.total("HI_CHOL").drop(columns="small_cell"), max_cv=0.5)
    assert not t.suppress.iloc[0] and np.isclose(t.cv.iloc[0], t.se.iloc[0] / t.estimate.iloc[0])


# ------------------------------------------------------------------ questionnaire estimators on replicates
@pytest.fixture(scope="module")
def strat_jkn(api):
    df = api["apistrat"].assign(yes=lambda x: (x["sch.wide"] == "Yes").astype(float))
    return SurveyDesign(df, weights="pw", strata="stype", fpc="fpc").replicate("jkn")


def test_replicate_crosstab_matches_r(strat_jkn, ref_more):
    t = strat_jkn.crosstab("stype", "sch.wide").test
    v = "stype~sch.wide"
    for got, q in [
        (t.statistic, "statistic"),
        (t.p_value, "p_value"),
        (t.ndf, "ndf"),
        (t.ddf, "ddf"),
    ]:
        close(got, ref_more("strat_jkn:chisq_F", q, v))
    close(t.pearson, ref_more("strat_jkn:chisq_Chisq", "statistic", v))
    close(t.chisq_p_value, ref_more("strat_jkn:chisq_Chisq", "p_value", v))


def test_replicate_quantile_proportion_likert_multiple_response(strat_jkn, ref_more):
    from commeval.survey import likert_summary, multiple_response

    q = strat_jkn.quantile("api00", [0.25, 0.5, 0.75])
    for _, r in q.iterrows():
        for c in ("estimate", "ci_low", "ci_high"):
            close(r[c], ref_more("strat_jkn:quantile", c, "api00", "", f"{r.level:g}"))
    mr = multiple_response(strat_jkn, ["yes"], by="stype")
    for _, r in mr.iterrows():
        for c in ("estimate", "se", "ci_low", "ci_high"):
            close(r[c], ref_more("strat_jkn:propby", c, "sch.wide", r.stype))
    d = strat_jkn.update(item=np.where(strat_jkn.data.yes == 1, 5.0, 2.0))
    lk = likert_summary(d, "item", by="stype", dont_know=None, min_n=1)
    top2 = lk[lk.statistic == "top2"]
    for _, r in top2.iterrows():
        for c in ("estimate", "se", "ci_low", "ci_high"):
            close(r[c], ref_more("strat_jkn:propby", c, "sch.wide", r.stype))
    for _, r in strat_jkn.mean("api00", by="stype").iterrows():
        for c in ("estimate", "se"):
            close(r[c], ref_more("strat_jkn:meanby", c, "api00", r.stype))


# ------------------------------------------------------------------ BRR / Fay from Hadamard matrices
@pytest.fixture(scope="module")
def nh2(more_data):
    df = more_data["nhanes"]
    df = df[~((df.SDMVSTRA == 86) & (df.SDMVPSU == 3))].reset_index(drop=True)
    return SurveyDesign(df, weights="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True)


def sylvester_pm(order=16):
    H = np.ones((1, 1))
    while H.shape[0] < order:
        H = np.block([[H, H], [H, -H]])
    return H


@pytest.mark.parametrize(
    "case,kw",
    [
        ("nh2_brr", dict(type="brr")),
        ("nh2_fay", dict(type="fay", rho=0.3)),
        ("nh2_brr_user", dict(type="brr", hadamard=sylvester_pm())),
    ],
)
def test_brr_fay_from_hadamard_match_r(nh2, ref_more, case, kw):
    d = nh2.replicate(**kw)
    assert d.degf() == ref_more(case, "degf")
    assert d.n_replicates == ref_more(case, "replicates")
    close(d.scale, ref_more(case, "scale"))
    for kind, cs in [("mean", case), ("total", case + ":total")]:
        r = getattr(d, kind)("HI_CHOL", cv=True).iloc[0]
        for c in ("estimate", "se", "cv"):
            close(r[c], ref_more(cs, c, "HI_CHOL"))
    for _, r in d.mean("HI_CHOL", by="race").iterrows():
        for c in ("estimate", "se"):
            close(r[c], ref_more(case + ":by", c, "HI_CHOL", r.race))
    g = d.glm("HI_CHOL ~ C(race) + RIAGENDR", family="quasibinomial")
    for t in g.params.index:
        name = "(Intercept)" if t == "Intercept" else r_name(t)
        close(g.params[t], ref_more(case + ":glm_quasibinomial", "estimate", name))
        close(g.bse[t], ref_more(case + ":glm_quasibinomial", "se", name))


def test_brr_needs_two_psus_per_stratum(nh):
    with pytest.raises(ValueError, match="exactly 2 PSUs"):
        nh.replicate("brr")
    with pytest.raises(ValueError, match="rho"):
        nh.replicate("fay")


# ------------------------------------------------------------------ rank tests
@pytest.mark.parametrize("test", ["wilcoxon", "vanderWaerden", "median", "KruskalWallis"])
def test_svyranktest_matches_r(api, ref_more, test):
    strat = SurveyDesign(api["apistrat"], weights="pw", strata="stype", fpc="fpc")
    clus1 = SurveyDesign(api["apiclus1"], weights="pw", psu="dnum", fpc="fpc")
    for case, d, y, g in [
        ("strat", strat, "api00", "sch.wide"),
        ("strat3", strat, "api00", "stype"),
        ("clus1", clus1, "ell", "comp.imp"),
        ("clus1_3", clus1, "ell", "stype"),
    ]:
        r = d.svyranktest(y, g, test=test)
        cs = f"{case}:rank_{test}"
        close(r.p_value, ref_more(cs, "p_value"))
        if r.estimate is not None:  # two groups: t (R's sign: second group minus first)
            close(r.statistic, ref_more(cs, "statistic"))
            close(r.estimate, ref_more(cs, "estimate"))
            assert r.ddf == ref_more(cs, "df")
        else:
            close(r.chisq, ref_more(cs, "chisq"))
            assert r.ndf == ref_more(cs, "ndf") and r.ddf == ref_more(cs, "ddf")


# ------------------------------------------------------------------ quantile rules and intervals
QRULES = ["math", "school"] + [f"hf{i}" for i in range(1, 10)]


@pytest.mark.parametrize("qrule", QRULES)
@pytest.mark.parametrize("interval", ["mean", "beta", "xlogit", "asin"])
def test_quantile_rules_and_intervals_match_r(api, ref_more, qrule, interval):
    strat = SurveyDesign(api["apistrat"], weights="pw", strata="stype", fpc="fpc")
    clus1 = SurveyDesign(api["apiclus1"], weights="pw", psu="dnum", fpc="fpc")
    for name, d, v in [("strat", strat, "api00"), ("clus1", clus1, "enroll")]:
        q = d.quantile(v, [0.1, 0.5, 0.9], qrule=qrule, interval=interval)
        for _, r in q.iterrows():
            for c in ("estimate", "ci_low", "ci_high"):
                exp = ref_more(f"{name}:q_{qrule}_{interval}", c, "", "", f"{r.level:g}")
                if np.isnan(exp):
                    assert np.isnan(r[c])
                else:
                    close(r[c], exp)
