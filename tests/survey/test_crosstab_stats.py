"""Every ``svychisq`` statistic (F, Chisq, Wald, adjWald, lincom, saddlepoint) through
``CrosstabResult.test_for`` against R survey 4.1.1 (tests/reference/survey/make_fixtures_chisq.R,
with CompQuadForm 1.4.3 installed so that ``lincom`` integrates), on Taylor designs (apistrat,
apiclus1, apiclus2, nhanes) and replicate designs (apistrat JKn, scd supplied BRR), and the
linear-combination-of-chi-squares tails of ``commeval.survey.chisqsum`` against closed forms.

Relative tolerance 1e-6 throughout, with two documented exceptions for ``lincom``: R's printed
p-value carries the error of Davies' algorithm at ``acc = 1e-7`` (Taylor) or Farebrother's at
``eps = 1e-10`` (replicate), so it is compared at an absolute 1e-8 and the tight reference is
``p_precise`` (the same algorithms on svychisq's own arguments at acc 1e-12 / eps 1e-16); a
p-value below 1e-9 is compared at an absolute 1e-13 (double precision leaves ~1e-15 there).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commeval.survey import SurveyDesign, svrepdesign
from commeval.survey.chisqsum import imhof_upper, pchisqsum, pfsum, saddlepoint_upper
from commeval.survey.crosstab import STATISTICS, ChisqTest
from commeval.survey.distributions import chi2_sf, f_sf

REF = Path(__file__).resolve().parents[1] / "reference" / "survey"

RTOL = 1e-6


def close(got, exp, rtol=RTOL, atol=0.0):
    assert np.isclose(got, exp, rtol=rtol, atol=atol), (got, exp)


def close_p(got, exp):
    close(got, exp, atol=1e-13 if exp < 1e-9 else 0.0)


@pytest.fixture(scope="module")
def ref_chisq():
    fx = pd.read_csv(
        REF / "fixtures_chisq.csv",
        keep_default_na=False,
        na_values=["NA"],
        dtype={"domain": str, "level": str, "variable": str, "case": str, "quantity": str},
    )
    return fx


def api_band(df: pd.DataFrame) -> pd.DataFrame:
    """R's ``cut(api00, c(0, 550, 650, 750, 1000))``."""
    return df.assign(api_band=pd.cut(df.api00, [0, 550, 650, 750, 1000]).astype(str))


@pytest.fixture(scope="module")
def chisq_designs(api, more_data):
    strat = SurveyDesign(api_band(api["apistrat"]), weights="pw", strata="stype", fpc="fpc")
    scd = more_data["scd"].assign(big=lambda d: d.arrests > 200)
    return {
        "strat": strat,
        "clus1": SurveyDesign(api_band(api["apiclus1"]), weights="pw", psu="dnum", fpc="fpc"),
        "clus2": SurveyDesign(
            api["apiclus2"], weights="pw", psu="dnum", ssu="snum", fpc="fpc1", fpc2="fpc2"
        ),
        "strat_jkn": strat.replicate("jkn"),
        "nh": SurveyDesign(
            more_data["nhanes"], weights="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True
        ),
        "scd_brr": svrepdesign(
            scd, [f"brr{i}" for i in range(1, 5)], "BRR", combined_weights=False
        ),
    }


TABLES = [
    (name, t)
    for name in ("strat", "clus1", "strat_jkn")
    for t in ("stype~sch.wide", "stype~awards", "stype~api_band")
] + [
    ("clus2", "stype~sch.wide"),
    ("clus2", "stype~awards"),
    ("nh", "agecat~RIAGENDR"),
    ("nh", "agecat~race"),
    ("scd_brr", "big~ambulance"),
]


@pytest.fixture(scope="module")
def crosstabs(chisq_designs):
    out = {}
    for name, t in TABLES:
        row, col = t.split("~")
        out[name, t] = chisq_designs[name].crosstab(row, col)
    return out


def r_values(ref_chisq, case, table):
    g = ref_chisq[(ref_chisq.case == case) & (ref_chisq.variable == table)]
    assert len(g), (case, table)
    plain = g[g.level == ""].set_index("quantity")["value"].astype(float)
    weights = g[g.quantity == "weight"].sort_values("level", key=lambda s: s.astype(int))
    return plain, weights["value"].astype(float).to_numpy()


@pytest.mark.parametrize("name,table", TABLES)
def test_all_statistics_match_r(crosstabs, ref_chisq, name, table):
    x = crosstabs[name, table]
    checked = 0
    for stat in STATISTICS:
        t = x.test_for(stat)
        assert isinstance(t, ChisqTest) and t.kind == stat
        r, weights = r_values(ref_chisq, f"{name}:{stat}", table)
        if stat in ("F", "Wald", "adjWald"):
            close(t.statistic, r["statistic"])
            close(t.ndf, r["ndf"])
            close(t.ddf, r["ddf"])
            close_p(t.p_value, r["p_value"])
            checked += 4
        elif stat == "Chisq":
            # R prints the raw Pearson X²; the p-value refers X²/mean(δ) to chi2((r-1)(c-1))
            close(x.test.pearson, r["statistic"])
            close(t.statistic, x.test.chisq)
            close(t.ndf, r["ndf"])
            close_p(t.p_value, r["p_value"])
            checked += 3
        elif stat == "lincom":
            close(t.statistic, r["statistic"])
            assert len(t.weights) == len(weights)
            for got, exp in zip(t.weights, weights, strict=True):
                close(got, exp)
            close(t.ddf, r["ddf"])  # inf on replicate designs
            close_p(t.p_value, r["p_precise"])
            # svychisq's own value, with Davies' (acc 1e-7) / Farebrother's error
            close(t.p_value, r["p_value"], rtol=0.0, atol=1e-8)
            checked += 4 + len(weights)
        else:
            close(t.statistic, r["statistic"])
            close_p(t.p_value, r["p_value"])
            checked += 2
    assert checked >= 20


def test_existing_test_and_frame_unchanged(crosstabs):
    x = crosstabs["strat", "stype~sch.wide"]
    f = x.test_for("F")
    assert (f.statistic, f.ndf, f.ddf, f.p_value) == (
        x.test.statistic,
        x.test.ndf,
        x.test.ddf,
        x.test.p_value,
    )
    frame = x.tests()
    assert list(frame.columns) == ["svychisq", "test", "statistic", "df1", "df2", "p_value"]
    assert list(frame.svychisq) == list(STATISTICS)
    assert frame.p_value.between(0, 1).all()
    w = x.test_for("Wald")
    assert w.ndf == 2  # (r-1)(c-1) on degf
    close(w.ddf, x.test.ddf / x.test.ndf)
    lin = x.test_for("lincom")
    assert np.isnan(lin.ndf) and "chi2(1)" in repr(lin) and "lincom" in lin._repr_html_()
    assert "Wald F" in repr(w)
    with pytest.raises(ValueError, match="statistic must be one of"):
        x.test_for("wls-score")


def test_replicate_reference_has_no_denominator(crosstabs):
    t = crosstabs["strat_jkn", "stype~sch.wide"].test_for("saddlepoint")
    assert np.isinf(t.ddf)
    assert "/ (chi2" not in repr(t)


def test_satterthwaite_f_is_the_rao_scott_f(crosstabs):
    """pFsum's Satterthwaite method is the second-order Rao–Scott F of ``test``."""
    for key in [("clus1", "stype~api_band"), ("nh", "agecat~race")]:
        x = crosstabs[key]
        lin = x.test_for("lincom")
        p = pfsum(lin.statistic, lin.weights, lin.ddf, "satterthwaite")
        close(p, x.test.p_value)


# ------------------------------------------------------------------ chisqsum against closed forms
@pytest.mark.parametrize("x", [0.3, 2.0, 7.5, 25.0])
def test_equal_weights_are_a_scaled_chi_square(x):
    close(imhof_upper(x, [1.7, 1.7, 1.7]), chi2_sf(x / 1.7, 3))
    close(imhof_upper(x, [1.7], df=[3]), chi2_sf(x / 1.7, 3))
    close(pchisqsum(x, [0.8]), chi2_sf(x / 0.8, 1))


def test_two_weights_match_a_convolution():
    """P(a1 X1 + a2 X2 > x) = E[P(X1 > (x - a2 X2)/a1)], X2 = T², integrated directly."""
    from scipy.integrate import quad
    from scipy.special import erfc

    a1, a2, x = 0.9, 1.2, 26.75
    top = np.sqrt(x / a2)

    def f(t):
        return (
            2 * np.exp(-t * t / 2) / np.sqrt(2 * np.pi) * erfc(np.sqrt((x - a2 * t * t) / a1 / 2))
        )

    exact = quad(f, 0, top, epsabs=1e-18, epsrel=1e-13)[0] + erfc(top / np.sqrt(2))
    close(imhof_upper(x, [a1, a2]), exact, rtol=1e-8)


@pytest.mark.parametrize("ddf", [5.0, 37.0, 200.0])
def test_f_type_tail_with_equal_weights_is_an_f(ddf):
    # sum of k unit chi2(1) over chi2(m)/m: k F(k, m); integer ddf, so no truncation
    for k, x in [(1, 3.0), (3, 2.0), (4, 9.0)]:
        close(pfsum(x, [1.0] * k, ddf), f_sf(x / k, k, ddf))
        close(pfsum(x, [2.5] * k, ddf), f_sf(x / (2.5 * k), k, ddf))


def test_f_type_tail_truncates_the_denominator_df_as_r():
    # R's CompQuadForm takes as.integer(ddf): chi2(floor(ddf)) weighted by -x/ddf
    x, a, ddf = 4.0, [1.3, 0.6], 12.7
    close(pfsum(x, a, ddf), imhof_upper(0.0, [1.3, 0.6, -x / ddf], df=[1, 1, 12]))


def test_saddlepoint_is_close_and_falls_back_near_the_mean():
    a = [1.5, 1.0, 0.5]
    for x in (8.0, 15.0, 30.0):
        exact = imhof_upper(x, a)
        s = saddlepoint_upper(x, a)
        assert s is not None and abs(s / exact - 1) < 0.1
    # at x = sum(a) the saddlepoint is 0: R's saddle() gives NA, pchisqsum Satterthwaite
    assert saddlepoint_upper(3.0, a) is None
    close(pchisqsum(3.0, a, "saddlepoint"), pchisqsum(3.0, a, "satterthwaite"))


def test_degenerate_and_invalid_inputs():
    assert pchisqsum(0.0, [1.0, 2.0]) == 1.0
    assert pfsum(0.0, [1.0, 2.0], 30.0, "saddlepoint") == 1.0
    close(imhof_upper(-1.0, [-1.0, -2.0]), 1.0 - imhof_upper(1.0, [1.0, 2.0]))
    with pytest.raises(ValueError, match="method"):
        pchisqsum(1.0, [1.0], "davies")
