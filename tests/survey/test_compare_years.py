"""Year-on-year and between-township comparisons in one call, against R on the sample district
pooled over its two survey years (tests/reference/survey/make_fixtures_years.R)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from references import reference

import commeval
from commeval.survey import SurveyDesign, compare_domains, contrast
from commeval.survey import questionnaire as q
from commeval.survey.analysis import rake_to_population
from commeval.survey.contrasts import domain_vcov, joint_test, regTermTest
from commeval.survey.design import PooledYearsWarning
from commeval.survey.years import compare_townships, compare_years, pooled_design

ROOT = Path(__file__).resolve().parents[2]
ITEMS = ["sat_overall", "sat_environment"]
R = reference("years")


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> pd.DataFrame:
    raw = ROOT / "data" / "raw" / "sample_district"
    return commeval.load_tables(raw, processed_dir=tmp_path_factory.mktemp("p"))["survey"]


@pytest.fixture(scope="module")
def result(survey):
    return compare_years(survey, ITEMS, years=(2011, 2012), by="township")


def close(a, b, rtol=1e-6):
    assert np.isclose(float(a), float(b), rtol=rtol, atol=1e-12), (a, b)


def test_overall_difference_is_svyttest(result):
    for _, row in result.overall.iterrows():
        v = row["variable"]
        for col in ("difference", "t", "df", "p_value", "ci_low", "ci_high"):
            close(row[col], R("overall", col, v))
        assert row["difference"] == pytest.approx(row["estimate_b"] - row["estimate_a"])
    assert R("overall", "difference", "sat_overall") == pytest.approx(0.226463, abs=1e-6)


def test_each_township_has_its_own_df(result):
    d = result.differences
    assert len(d) == 2 * 8
    for _, row in d.iterrows():
        v, t = row["variable"], row["township"]
        for col in ("difference", "t", "df", "p_value", "ci_low", "ci_high"):
            close(row[col], R("township", col, v, t))
    assert (d["df"] == 13).all()  # 8 + 8 villages, 2 strata, minus 1


def test_joint_test_is_regtermtest_of_township_by_year(result):
    for _, row in result.joint.iterrows():
        v = row["variable"]
        close(row["F"], R("joint", "F", v))
        assert row["ndf"] == R("joint", "ndf", v)
        assert row["ddf"] == R("joint", "ddf", v)
        close(row["p_value"], R("joint", "p_value", v))


def test_pooled_domain_means_match_svyby(survey):
    d = pooled_design(survey, (2011, 2012))
    est = d.mean(ITEMS, by=["township", "year"])
    for _, row in est.iterrows():
        args = (row["variable"], row["township"], str(row["year"]))
        close(row["estimate"], R("means", "estimate", *args))
        close(row["se"], R("means", "se", *args))


def test_matrix_contrast_on_a_model_is_regtermtest(survey):
    d = pooled_design(survey, (2011, 2012))
    g = d.glm("sat_overall ~ C(township) + C(township):C(year)")
    inter = [c for c in g.params.index if ":" in c]
    L = pd.DataFrame(np.eye(len(inter)), index=inter, columns=inter)
    c = contrast(g, L)
    close(c.test.statistic, R("joint", "F", "sat_overall"))
    assert c.test.ddf == R("joint", "ddf", "sat_overall")
    close(c.test.p_value, R("joint", "p_value", "sat_overall"))
    # the interaction coefficients are the townships' differences
    frame = c.to_frame()
    assert list(frame.columns) == [
        "contrast", "estimate", "se", "t", "df", "p_value", "ci_low", "ci_high",
    ]  # fmt: skip
    assert frame["df"].eq(R("joint", "ddf", "sat_overall")).all()


def test_contrast_of_domain_means_with_a_dict(survey):
    d = q.year_design(survey, 2012)
    V, est = domain_vcov(d, "sat_overall", "township")
    c = contrast(est, V, {"城关-孟庙": {"城关镇": 1, "孟庙镇": -1}}, df=d.degf() - 1)
    ref = compare_domains(d, "sat_overall", "township", "城关镇", "孟庙镇")
    close(c.to_frame()["estimate"].iloc[0], ref["difference"].iloc[0])
    close(c.to_frame()["se"].iloc[0], ref["se"].iloc[0])
    # one contrast: F = t²
    close(c.test.statistic, (ref["difference"].iloc[0] / ref["se"].iloc[0]) ** 2)
    # all differences to the first township = the joint test of equal means
    names = list(est.index)
    L = {f"{t}-{names[0]}": {t: 1, names[0]: -1} for t in names[1:]}
    jt = joint_test(d, "sat_overall", "township")
    c = contrast(est, V, L, df=jt.ddf)
    close(c.test.statistic, jt.statistic)
    close(c.test.p_value, jt.p_value)


def test_years_as_text_and_without_by(survey):
    r = compare_years(survey, "sat_overall", years=("2011", "2012"))
    close(r.overall["difference"].iloc[0], R("overall", "difference", "sat_overall"))
    close(r.joint["F"].iloc[0], R("overall", "t", "sat_overall") ** 2)
    close(r.joint["p_value"].iloc[0], R("overall", "p_value", "sat_overall"))
    with pytest.raises(ValueError, match="2010"):
        compare_years(survey, "sat_overall", years=(2010, 2012))


def test_calibrated_comparison_uses_each_year_raked(survey, tmp_path_factory):
    raw = ROOT / "data" / "raw" / "sample_district"
    pop = commeval.load_tables(raw, processed_dir=tmp_path_factory.mktemp("p2"))["population"]
    r = compare_years(survey, "sat_overall", years=(2011, 2012), by="township", population=pop)
    for y, col in ((2011, "estimate_a"), (2012, "estimate_b")):
        raked = rake_to_population(q.year_design(survey, y), pop)
        close(r.overall[col].iloc[0], raked.mean("sat_overall")["estimate"].iloc[0], 1e-8)
        m = raked.mean("sat_overall", by="township").set_index("township")["estimate"]
        got = r.differences.set_index("township")[col]
        assert np.allclose(got.to_numpy(), m.loc[got.index].to_numpy(), rtol=1e-8)
    # the raked change differs from the design-weighted one (0.226)
    assert abs(r.overall["difference"].iloc[0] - 0.2265) > 0.005


def test_design_over_several_years_warns(survey):
    data = q.prepare(survey)
    with pytest.warns(PooledYearsWarning, match="多个调查年度"):
        SurveyDesign(data, weights="weight", strata="stratum", psu="psu", nest=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pooled_design(survey, (2011, 2012))
        q.year_design(survey, 2012)


def test_between_townships(survey):
    d = q.year_design(survey, 2012)
    c = compare_townships(d, "sat_overall", reference="城关镇")
    assert len(c.differences) == 7
    for _, row in c.differences.iterrows():
        ref = compare_domains(d, "sat_overall", "township", row["a"], "城关镇")
        for col in ("difference", "se", "t", "df", "p_value"):
            close(row[col], ref[col].iloc[0])
    g = d.glm("sat_overall ~ C(township)")
    jt = regTermTest(g, "C(township)")
    close(c.joint["F"].iloc[0], jt.statistic)
    assert len(compare_townships(d, "sat_overall").differences) == 28


def test_contrast_without_variance_or_with_redundant_rows():
    est = pd.Series([1.0, 2.0, 4.0], index=["a", "b", "c"])
    zero = contrast(est, np.zeros((3, 3)), [[1, -1, 0]], df=10)
    assert np.isnan(zero.test.statistic) and np.isnan(zero.test.p_value)
    V = np.diag([1.0, 1.0, 1.0])
    # b − a, c − b and c − a: rank 2, the same test as the first two
    red = contrast(est, V, [[-1, 1, 0], [0, -1, 1], [-1, 0, 1]], df=10)
    two = contrast(est, V, [[-1, 1, 0], [0, -1, 1]], df=10)
    assert red.test.ndf == 2
    assert np.isclose(red.test.statistic, two.test.statistic)
    assert np.isclose(red.test.p_value, two.test.p_value)


# ---------------------------------------------------------------- a year drawn by PPS
R_PPS = reference("years_pps")


def _with_pps_2012(survey: pd.DataFrame) -> pd.DataFrame:
    """2012's villages with made-up inclusion probabilities, as the R script gives them: within
    each stratum 0.30 + 0.05 k for the k-th village in byte order of its PSU id; 2011 as drawn
    (stratified SRS with fpc); the weights unchanged."""
    out = survey.copy()
    out["village_prob"] = np.nan
    rows = out["year"].astype(int) == 2012
    for _, part in out[rows].groupby("stratum"):
        order = {p: k for k, p in enumerate(sorted(part["psu"].unique()))}
        out.loc[part.index, "village_prob"] = 0.30 + 0.05 * part["psu"].map(order)
    return out


@pytest.fixture(scope="module")
def pps_survey(survey):
    return _with_pps_2012(survey)


def test_a_pps_year_keeps_its_design_in_the_pooled_comparison(pps_survey):
    """2012 drawn by PPS, 2011 by SRS: the pooled design holds each year's own design —
    every township × year mean and SE equals that year's ``year_design`` (Brewer PPS for
    2012, SRS with fpc for 2011), both equal R's own per-year designs, and the differences
    are R's ``svyttest`` on the pooled ``svydesign(pps = "brewer")``."""
    assert q.year_design(pps_survey, 2012).pps == "brewer"
    assert q.year_design(pps_survey, 2011).pps is None
    pooled = pooled_design(pps_survey, (2011, 2012))
    assert pooled.pps == "brewer"
    for v in ITEMS:
        m = pooled.mean(v, by=["township", "year"])
        for y in (2011, 2012):
            own = q.year_design(pps_survey, y).mean(v, by=["township"]).set_index("township")
            got = m[m["year"] == y].set_index("township").loc[own.index]
            np.testing.assert_allclose(got["estimate"], own["estimate"], rtol=1e-10)
            np.testing.assert_allclose(got["se"], own["se"], rtol=1e-10)
            for t, row in own.iterrows():
                close(row["estimate"], R_PPS("year_means", "estimate", v, t, y))
                close(row["se"], R_PPS("year_means", "se", v, t, y))
                close(got.loc[t, "se"], R_PPS("means", "se", v, t, y))
    c = compare_years(pps_survey, ITEMS, years=(2011, 2012), by="township")
    for _, row in c.overall.iterrows():
        v = row["variable"]
        for col in ("difference", "t", "df", "p_value", "ci_low", "ci_high"):
            close(row[col], R_PPS("overall", col, v))
        # independent strata: the difference's SE from the two years' own SEs
        se = [q.year_design(pps_survey, y).mean(v)["se"].iloc[0] for y in (2011, 2012)]
        close(row["se"], np.hypot(*se), 1e-10)
        close(se[1], R_PPS("year_means", "se", v, "", 2012))
    for _, row in c.differences.iterrows():
        for col in ("difference", "t", "df", "p_value", "ci_low", "ci_high"):
            close(row[col], R_PPS("township", col, row["variable"], row["township"]))
    # the PPS year's variance differs from the SRS design's: the comparison did not fall back
    srs = compare_years(survey_without_pps(pps_survey), "sat_overall", years=(2011, 2012))
    assert not np.isclose(srs.overall["se"].iloc[0], c.overall["se"].iloc[0], rtol=1e-3)


def survey_without_pps(survey: pd.DataFrame) -> pd.DataFrame:
    return survey.drop(columns=["village_prob"])


def test_two_pps_years_with_households_keep_their_stages(pps_survey):
    """Both years by PPS, 2011 with a second stage (households' ``household_prob``), 2012
    without: each year's estimates and SEs in the pooled design are its own year_design's,
    and the difference's SE is sqrt(se_a² + se_b²)."""
    s = pps_survey.copy()
    y11 = s["year"].astype(int) == 2011
    villages = sorted(s.loc[y11, "psu"].unique())
    s.loc[y11, "village_prob"] = s.loc[y11, "psu"].map(
        {p: 0.25 + 0.6 * k / len(villages) for k, p in enumerate(villages)}
    )
    s.loc[y11, "household_prob"] = s.loc[y11, "psu"].map(
        {p: 0.02 + 0.001 * k for k, p in enumerate(villages)}
    )
    own = {y: q.year_design(s, y) for y in (2011, 2012)}
    assert own[2011].spec["ssu"] == "respondent_id" and own[2012].spec["ssu"] is None
    pooled = pooled_design(s, (2011, 2012))
    assert pooled.pps == "brewer" and pooled.spec["ssu"] == "respondent_id"
    m = pooled.mean("sat_overall", by=["township", "year"])
    for y, d in own.items():
        ref = d.mean("sat_overall", by=["township"]).set_index("township")
        got = m[m["year"] == y].set_index("township").loc[ref.index]
        np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-10)
        np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-10)
    c = compare_years(s, "sat_overall", years=(2011, 2012), by="township")
    se = [own[y].mean("sat_overall")["se"].iloc[0] for y in (2011, 2012)]
    close(c.overall["se"].iloc[0], np.hypot(*se), 1e-10)
    for _, row in c.differences.iterrows():
        t = row["township"]
        se_t = [own[y].mean("sat_overall", by=["township"]).set_index("township").loc[t, "se"]
                for y in (2011, 2012)]  # fmt: skip
        close(row["se"], np.hypot(*se_t), 1e-10)
