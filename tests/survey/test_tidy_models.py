"""Model results as tidy frames: one set of columns for every model, odds ratios equal to
exp() of R's coefficients and intervals, codebook labels, a logical response expression."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import commeval
from commeval.survey import questionnaire as q

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["term", "label", "estimate", "se", "t", "df", "p_value", "ci_low", "ci_high"]
#: ordinal models name the statistic z: their reference is the normal (df = inf)
ORDINAL_COLUMNS = [("z" if c == "t" else c) for c in COLUMNS]


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    raw = ROOT / "data" / "raw" / "sample_district"
    survey = commeval.load_tables(raw, processed_dir=tmp_path_factory.mktemp("p"))["survey"]
    return q.year_design(survey, 2012)


@pytest.mark.parametrize("name", ["strat", "clus1", "clus2", "clus1_rake"])
def test_odds_ratios_are_exp_of_r(designs, ref, name):
    g = designs[name].glm("yes ~ ell + meals", family="binomial")
    case = f"{name}:glm_binomial"
    f = g.to_frame(exponentiate=True)
    assert list(f.columns) == COLUMNS
    for _, row in f.iterrows():
        rt = "(Intercept)" if row["term"] == "Intercept" else row["term"]
        assert np.isclose(row["estimate"], np.exp(ref(case, "estimate", rt)), rtol=1e-6)
        assert np.isclose(row["ci_low"], np.exp(ref(case, "ci_low", rt)), rtol=1e-6)
        assert np.isclose(row["ci_high"], np.exp(ref(case, "ci_high", rt)), rtol=1e-6)
        assert np.isclose(row["se"], ref(case, "se", rt), rtol=1e-6)  # se on the logit scale
        assert np.isclose(row["p_value"], ref(case, "p_value", rt), rtol=1e-6)
        assert row["df"] == ref(case, "df_resid")
    assert np.allclose(g.odds_ratios.to_numpy(), f["estimate"].to_numpy())
    plain = g.to_frame()
    assert np.allclose(np.exp(plain["estimate"]), f["estimate"])


def test_conf_int_columns_and_level(designs, ref):
    g = designs["strat"].glm("api00 ~ ell + meals + mobility")
    ci = g.conf_int()
    assert list(ci.columns) == ["ci_low", "ci_high"]
    close = np.isclose(ci.loc["ell", "ci_low"], ref("strat:glm_gaussian", "ci_low", "ell"))
    assert close
    f90 = g.to_frame(level=0.90)
    assert (f90["ci_high"] - f90["ci_low"] < g.to_frame()["ci_high"] - g.to_frame()["ci_low"]).all()
    with pytest.raises(ValueError, match="binomial"):
        g.to_frame(exponentiate=True)
    with pytest.raises(ValueError, match="binomial"):
        _ = g.odds_ratios


def test_labels_from_the_codebook(design):
    g = design.glm("sat_overall_top2 ~ age + C(education) + C(gender)", family="binomial")
    labels = dict(zip(g.to_frame()["term"], g.to_frame()["label"], strict=True))
    assert labels["Intercept"] == "截距"
    assert labels["age"] == "年龄"
    assert labels["C(education)[T.2]"] == "文化程度：初中"
    assert labels["C(education)[T.5]"] == "文化程度：本科及以上"
    assert labels["C(gender)[T.2]"] == "性别：女"
    o = design.olr("sat_overall ~ C(education)")
    f = o.to_frame(exponentiate=True)
    assert list(o.thresholds.index) == ["1|2", "2|3", "3|4", "4|5"]
    assert list(f.columns) == COLUMNS[:2] + ["kind"] + ORDINAL_COLUMNS[2:]
    th = f[f["kind"] == "threshold"]
    assert list(th["label"]) == ["1|2", "2|3", "3|4", "4|5"]
    # thresholds are not exponentiated, coefficients are (odds ratios of answering higher)
    assert np.allclose(th["estimate"], o.thresholds.to_numpy())
    co = f[f["kind"] == "coefficient"]
    assert np.allclose(co["estimate"], o.odds_ratios.to_numpy())
    assert co["label"].iloc[0] == "文化程度：初中"


def test_logical_response_expression_drops_missing_rows_as_r(design):
    expr = design.glm("I(sat_overall >= 4) ~ age", family="binomial")
    top2 = design.glm("sat_overall_top2 ~ age", family="binomial")
    assert np.allclose(expr.params.to_numpy(), top2.params.to_numpy(), rtol=1e-10)
    assert np.allclose(expr.bse.to_numpy(), top2.bse.to_numpy(), rtol=1e-10)
    answered = int(design.data["sat_overall"].notna().sum())
    assert expr.nobs == top2.nobs == answered < len(design.data)
    # a hand count: the response is 1 exactly where the item is 4 or 5
    x = design.data["sat_overall"]
    manual = pd.Series(np.where(x.isna(), np.nan, (x >= 4).astype(float)))
    assert np.array_equal(manual.dropna().to_numpy(), design.data["sat_overall_top2"].dropna())
    with pytest.raises(ValueError, match="sat_overall_top2"):
        design.glm("I(sat_overall >= undefined_name) ~ age", family="binomial")


def test_ordinal_frame_is_z_on_the_normal_as_r_confint(more_data, ref_more):
    """An ordinal model's tidy frame: ``z`` = estimate / se, ``df`` = inf, the p-value from
    the normal (hand: scipy's norm) and the interval equal to R's ``confint.default`` of
    ``svyolr`` (tests/reference/survey/make_fixtures_more.R, case nh:olr_conv)."""
    from scipy.stats import norm

    from commeval.survey import SurveyDesign

    nh = SurveyDesign(
        more_data["nhanes"], weights="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True
    )
    fit = nh.olr("agecat ~ C(race) + RIAGENDR", levels=["(0,19]", "(19,39]", "(39,59]", "(59,Inf]"])
    f = fit.to_frame()
    assert list(f.columns) == ["term", "label", "kind", *ORDINAL_COLUMNS[2:]]
    assert "t" not in f.columns and np.isinf(f["df"]).all()
    assert np.allclose(f["z"], f["estimate"] / f["se"], rtol=1e-12)
    assert np.allclose(f["p_value"], 2 * norm.sf(np.abs(f["z"])), rtol=1e-10)
    for _, row in f.iterrows():
        t = row["term"]
        r = f"factor(race){t[t.index('[T.') + 3 : -1]}" if t.startswith("C(race)") else t
        assert np.isclose(row["ci_low"], ref_more("nh:olr_conv", "ci_low", r), rtol=1e-6)
        assert np.isclose(row["ci_high"], ref_more("nh:olr_conv", "ci_high", r), rtol=1e-6)
    # a GLM keeps t on its residual df
    g = nh.glm("RIAGENDR ~ C(race)")
    assert "t" in g.to_frame().columns and (g.to_frame()["df"] == g.df_resid).all()
