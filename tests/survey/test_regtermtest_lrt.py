"""``regTermTest(method="LRT"|"WorkingWald")`` — the Rao–Scott working likelihood-ratio and
working Wald tests of GLM terms — against R survey 4.1.1 with CompQuadForm 1.4.3
(tests/reference/survey/make_fixtures_lrt.R): apistrat, apiclus1 (also post-stratified), an
apistrat subset, nhanes (unequal weights, item nonresponse), apistrat JKn and apiclus1 JK1, every
``lrt.approximation`` on the residual df and on df = Inf; plus the Wald test with ``df``.

Relative tolerance 1e-6, with these exceptions:

* ``"integration"``: R's p-value carries the error of Davies' algorithm at acc = 1e-7 (absolute;
  Farebrother's at eps = 1e-10 for df = Inf), so it is compared at an absolute 1e-7; the tight
  reference is ``p_precise`` (the same algorithm on the same arguments at acc = 1e-12 / eps =
  1e-16), compared at relative 1e-6 or absolute 1e-12 (Davies' acc). For one tested coefficient
  the exact tail is an F tail, which commeval's integration matches to 1e-9.
* a p-value below 1e-9 is compared at an absolute 1e-13.
* ``SADDLE_LOOSE``: R's saddlepoint lies within 3e-4 of 0, where the Lugannani–Rice formula
  cancels (w and v both near 0) and R's root (uniroot, tol = 1e-8) is not precise enough: R's
  p-value moves by 2e-5 when its inputs change in the 15th digit. Compared at relative 1e-4
  (the same formula in 50-digit arithmetic, mpmath, gives 0.368691741551, commeval
  0.368691741639).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commeval.survey import SurveyDesign, regTermTest
from commeval.survey.contrasts import LRT_APPROXIMATIONS, WaldTest, WorkingModelTest
from commeval.survey.distributions import chi2_sf, f_sf

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"
RTOL = 1e-6
POP_TYPES = {"E": 4421, "H": 755, "M": 1018}

# case prefix: (design, formula, family, {R term label: commeval terms})
GAUSS = "api00 ~ ell + meals + mobility"
QB = "yes ~ ell + meals + C(stype)"
MODELS = {
    "strat:gauss": ("strat", GAUSS, "gaussian", {"ell+mobility": ["ell", "mobility"],
                                                 "meals": ["meals"]}),
    "strat:inter": ("strat", "api00 ~ ell * meals", "gaussian", {"ell:meals": ["ell:meals"]}),
    "strat:qb": ("strat", QB, "quasibinomial", {"stype": ["C(stype)"]}),
    "clus1:gauss": ("clus1", GAUSS, "gaussian", {"ell+mobility": ["ell", "mobility"],
                                                 "meals": ["meals"]}),
    "clus1:qb": ("clus1", QB, "quasibinomial", {"stype": ["C(stype)"]}),
    "clus1_ps:gauss": ("clus1_ps", GAUSS, "gaussian", {"ell+mobility": ["ell", "mobility"]}),
    "sub:gauss": ("sub", GAUSS, "gaussian", {"mobility": ["mobility"]}),
    "nh:qb": ("nh", "HI_CHOL ~ C(race) + RIAGENDR + agecat", "quasibinomial",
              {"factor(race)": ["C(race)"], "agecat": ["agecat"]}),
    "strat_jkn:gauss": ("strat_jkn", GAUSS, "gaussian", {"ell+mobility": ["ell", "mobility"]}),
    "strat_jkn:qb": ("strat_jkn", QB, "quasibinomial", {"stype": ["C(stype)"]}),
    "clus1_jk1:gauss": ("clus1_jk1", GAUSS, "gaussian", {"ell+mobility": ["ell", "mobility"]}),
    "clus1:avged": ("clus1", "api00 ~ ell + meals + Q('avg.ed')", "gaussian",
                    {"avg.ed": ["Q('avg.ed')"]}),
}  # fmt: skip
SADDLE_LOOSE = {("strat_jkn:gauss:LRT:saddlepoint", "ell+mobility")}


def close(got, exp, rtol=RTOL, atol=0.0):
    assert np.isclose(got, exp, rtol=rtol, atol=atol), (got, exp)


def close_p(got, exp):
    close(got, exp, atol=1e-13 if exp < 1e-9 else 0.0)


@pytest.fixture(scope="module")
def ref_lrt() -> pd.DataFrame:
    return pd.read_csv(
        REF / "fixtures_lrt.csv",
        keep_default_na=False,
        na_values=["NA"],
        dtype={"domain": str, "level": str, "variable": str, "case": str, "quantity": str},
    )


@pytest.fixture(scope="module")
def lrt_designs(api, more_data):
    def yes(df):
        return df.assign(yes=(df["sch.wide"] == "Yes").astype(float))

    strat = SurveyDesign(yes(api["apistrat"]), weights="pw", strata="stype", fpc="fpc")
    clus1 = SurveyDesign(yes(api["apiclus1"]), weights="pw", psu="dnum", fpc="fpc")
    return {
        "strat": strat,
        "clus1": clus1,
        "clus1_ps": clus1.poststratify("stype", POP_TYPES),
        "sub": strat.subset(strat.data["sch.wide"] == "Yes"),
        "nh": SurveyDesign(
            more_data["nhanes"], weights="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True
        ),
        "strat_jkn": strat.replicate("jkn"),
        "clus1_jk1": clus1.replicate("jk1"),
    }


@pytest.fixture(scope="module")
def fits(lrt_designs):
    return {
        prefix: lrt_designs[d].glm(formula, family=family)
        for prefix, (d, formula, family, _) in MODELS.items()
    }


def cases(ref: pd.DataFrame):
    """(case, R term label, model prefix, method, approximation, df) of every fixture test."""
    out = []
    for case in ref.case.unique():
        parts = case.split(":")
        if parts[2] not in ("LRT", "WorkingWald") or parts[3] not in LRT_APPROXIMATIONS:
            continue
        prefix = ":".join(parts[:2])
        df = np.inf if parts[-1] == "dfinf" else None
        for v in ref.loc[ref.case == case, "variable"].unique():
            out.append((case, v, prefix, parts[2], parts[3], df))
    return out


def check_case(
    t: WorkingModelTest, rows: pd.DataFrame, approximation: str, loose: bool = False
) -> int:
    """Compare one test with its fixture rows; the number of R values compared."""
    val = rows.set_index(["quantity", "level"])["value"]
    close(t.chisq, val[("chisq", "")])
    close(t.statistic, val[("statistic", "")])
    assert t.df == val[("df", "")]
    assert t.ddf == val[("ddf", "")]
    lam = rows.loc[rows.quantity == "lambda"].sort_values("level")["value"].to_numpy()
    assert len(t.lambdas) == len(lam)
    for got, exp in zip(t.lambdas, lam):
        close(got, exp)
    p = val[("p_value", "")]
    if approximation == "integration":
        close(t.p_value, p, rtol=0.0, atol=1e-7)
        precise = val[("p_precise", "")]
        close(t.p_value, precise, atol=1e-13 if precise < 1e-9 else 1e-12)
        if t.df == 1:  # one coefficient: the tail is exactly an F (or chi-square) tail
            exact = f_sf(t.statistic, 1, t.ddf) if np.isfinite(t.ddf) else chi2_sf(t.statistic, 1)
            close(t.p_value, exact, rtol=1e-9, atol=1e-15)
        return 6 + len(lam)
    if loose:
        close(t.p_value, p, rtol=1e-4)
    else:
        close_p(t.p_value, p)
    return 5 + len(lam)


def test_every_fixture_case_matches_r(ref_lrt, fits, lrt_designs):
    todo = cases(ref_lrt)
    assert len(todo) == 81  # every case of make_fixtures_lrt.R is read
    compared = 0
    for case, v, prefix, method, approximation, df in todo:
        d, _, _, terms = MODELS[prefix]
        t = regTermTest(
            fits[prefix],
            terms[v],
            method=method,
            lrt_approximation=approximation,
            df=df,
            design=None,  # the fit knows its design (Taylor and replicate)
        )
        assert isinstance(t, WorkingModelTest) and t.method == method
        assert t.approximation == approximation
        assert t.terms == regTermTest(fits[prefix], terms[v]).terms  # the coefficients
        rows = ref_lrt[(ref_lrt.case == case) & (ref_lrt.variable == v)]
        compared += check_case(t, rows, approximation, (case, v) in SADDLE_LOOSE)
    assert compared == 594  # + 8 Wald rows and 3 survey 4.1.1 rows = 605


def test_wald_default_and_df_inf_match_r(ref_lrt, fits):
    g = fits["strat:gauss"]
    for case, df in (("strat:gauss:Wald", None), ("strat:gauss:Wald:dfinf", np.inf)):
        val = ref_lrt[ref_lrt.case == case].set_index("quantity")["value"]
        t = regTermTest(g, ["ell", "mobility"], df=df)
        assert isinstance(t, WaldTest)
        close(t.chisq, val["chisq"])
        close(t.statistic, val["chisq"] / 2)
        close(t.p_value, val["p_value"])
        assert t.ndf == val["df"] and t.ddf == val["ddf"]
    # the default is unchanged: the Wald F on the residual df
    assert regTermTest(g, ["ell", "mobility"]) == regTermTest(g, ["ell", "mobility"], "Wald")


def test_missing_values_in_the_tested_term_refit_on_the_same_rows(ref_lrt, fits):
    """avg.ed is missing for 26 of 183 apiclus1 schools: the smaller model is refitted on the
    model's 157 rows (survey >= 4.2's rule; survey 4.1.1 refits on all 183)."""
    g = fits["clus1:avged"]
    r411 = ref_lrt[ref_lrt.case == "clus1:avged:LRT:survey411"].set_index("quantity")["value"]
    assert g.nobs == r411["nobs_model"] == 157 and r411["nobs_model0"] == 183
    t = regTermTest(g, "Q('avg.ed')", method="LRT")
    assert not np.isclose(t.chisq, r411["chisq"], rtol=0.1)


def test_result_objects(fits):
    g = fits["nh:qb"]
    t = regTermTest(g, "C(race)", method="LRT")
    assert t.approximation == "saddlepoint" and t.df == 3 and t.ddf == g.df_resid
    assert np.isclose(t.deff, np.mean(t.lambdas)) and np.isclose(np.mean(t.scale_factors), 1)
    assert t.lambdas == tuple(sorted(t.lambdas, reverse=True))
    assert t.terms == ("C(race)[T.2]", "C(race)[T.3]", "C(race)[T.4]")
    assert repr(t).startswith(
        "Working (Rao-Scott+F) LRT for C(race)[T.2] + C(race)[T.3] + C(race)[T.4]: "
        "working 2logLR = 4.145, p = 0.274 (saddlepoint; "
    )
    assert "scale factors 2.3, 0.43, 0.25; denominator df = 9" in repr(t)
    f = t.to_frame()
    assert list(f.columns) == [
        "terms", "test", "statistic", "chisq", "deff", "df1", "df2", "p_value", "approximation"
    ]  # fmt: skip
    assert f.iloc[0]["statistic"] == t.statistic and f.iloc[0]["p_value"] == t.p_value
    assert "Rao-Scott+F" in t._repr_html_()
    ww = regTermTest(g, "C(race)", method="WorkingWald", df=np.inf)
    assert repr(ww).startswith("Working (Rao-Scott) Wald test for C(race)[T.2] + ")
    assert "working Wald statistic = " in repr(ww) and "denominator" not in repr(ww)
    one = regTermTest(g, "RIAGENDR", method="LRT")
    assert "df = 1" in repr(one) and len(one.lambdas) == 1
    w = regTermTest(g, "C(race)")
    assert (
        repr(w)
        == "Wald test for C(race)[T.2] + C(race)[T.3] + C(race)[T.4]: F = 3.106 on 3 and 9 df, p = 0.082"
    )
    assert w.to_frame().iloc[0]["df2"] == g.df_resid
    assert "Chisq = " in repr(regTermTest(g, "C(race)", df=np.inf))


def test_refusals(fits, lrt_designs, more_data):
    g = fits["strat:gauss"]
    with pytest.raises(ValueError, match="method must be one of"):
        regTermTest(g, "ell", method="lrt")
    with pytest.raises(ValueError, match="lrt_approximation must be one of"):
        regTermTest(g, "ell", method="LRT", lrt_approximation="lincom")
    # a replicate-design GLM carries its design: the same test with and without design=
    a = regTermTest(fits["strat_jkn:gauss"], "ell", method="LRT")
    b = regTermTest(fits["strat_jkn:gauss"], "ell", method="LRT", design=lrt_designs["strat_jkn"])
    assert a.p_value == b.p_value and a.df == b.df
    # a design the model was not fitted on
    with pytest.raises(ValueError, match="not fitted on"):
        regTermTest(g, "ell", method="LRT", design=lrt_designs["clus1"])
    # a marginal term of a remaining interaction: R's update() would recode the interaction
    gi = fits["strat:inter"]
    with pytest.raises(ValueError, match="contains a tested term"):
        regTermTest(gi, "ell", method="LRT")
    # working-model tests need a GLM
    olr = lrt_designs["nh"].olr("agecat ~ C(race)")
    with pytest.raises(TypeError, match="needs a GLM"):
        regTermTest(olr, "C(race)", method="LRT")
