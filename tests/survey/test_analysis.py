"""Research helpers (``commeval.survey.analysis``) against independent references: margins
recomputed from the raked weights, ``design.glm`` and statsmodels, hand-computed weighted means,
correlations and quadrants; and the research notebook run end to end with papermill."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from commeval.survey import SurveyDesign, cronbach_alpha, likert_summary
from commeval.survey import analysis as sa
from commeval.survey import questionnaire as q
from commeval.synthetic import generate_district

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "survey_analysis.ipynb"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_district(seed=20121)


@pytest.fixture(scope="module")
def design(tables) -> SurveyDesign:
    return q.year_design(tables["survey"])


@pytest.fixture(scope="module")
def raked(design, tables) -> SurveyDesign:
    return sa.rake_to_population(design, tables["population"])


def _clean(design: SurveyDesign, cols) -> pd.DataFrame:
    """Data with 9 (说不清) as NaN, built directly with pandas."""
    return design.data[list(cols)].astype(float).replace(9, np.nan)


# ---------------------------------------------------------------------------- age groups
def test_age_group_boundaries():
    ages = pd.Series([16, 29, 30, 44, 45, 59, 60, 100, 15, np.nan])
    got = q.age_group(ages).astype(object).tolist()
    exp = ["16-29", "16-29", "30-44", "30-44", "45-59", "45-59", "60+", "60+", np.nan, np.nan]
    assert got[:8] == exp[:8]
    assert pd.isna(got[8]) and pd.isna(got[9])
    assert list(q.age_group(ages).cat.categories) == ["16-29", "30-44", "45-59", "60+"]


def test_year_design_one_year(tables):
    s = tables["survey"]
    d = q.year_design(s, year=2011)
    assert len(d.data) == int((s["year"] == 2011).sum())
    assert q.year_design(s).data["year"].unique().tolist() == [int(s["year"].max())]
    with pytest.raises(ValueError, match="1999"):
        q.year_design(s, year=1999)


def _raw_design(tables, year=None) -> SurveyDesign:
    """The year's design over the raw survey rows (说不清 still coded 9)."""
    s = tables["survey"]
    rows = s[s["year"] == (s["year"].max() if year is None else year)].reset_index(drop=True)
    return SurveyDesign(rows, **q.DESIGN, lonely_psu=q.LONELY_PSU)


def test_likert_summary_prepared_equals_raw(tables, design):
    """On prepared data the don't-know share comes from ``<item>_dk`` (the item holds no 9s);
    on raw data from the code 9: the same numbers."""
    items = q.likert_items()
    raw = _raw_design(tables)
    assert (raw.data[items] == q.DONT_KNOW).any().any()
    assert not (design.data[items] == q.DONT_KNOW).any().any()
    assert all(i + q.DK_SUFFIX in design.data for i in items)
    a = likert_summary(raw, items, by="township")
    b = likert_summary(design, items, by="township")
    assert set(a["statistic"]) == {"share", "mean", "top2", "dont_know"}
    pd.testing.assert_frame_equal(a, b)
    # dont_know=None: no don't-know rows, the same shares
    c = likert_summary(design, items[:1], dont_know=None)
    assert "dont_know" not in set(c["statistic"])
    e = likert_summary(design, items[:1])
    pd.testing.assert_frame_equal(c, e[e["statistic"] != "dont_know"].reset_index(drop=True))


def test_analysis_prepared_equals_raw(tables, design):
    raw = _raw_design(tables)
    items = q.sat_items()
    cols = ["estimate", "se", "ci_low", "ci_high", "n"]
    pd.testing.assert_frame_equal(
        sa.satisfaction_by(raw, items, by="township")[cols],
        sa.satisfaction_by(design, items, by="township")[cols],
    )
    a, b = sa.drivers(raw), sa.drivers(design)
    pd.testing.assert_frame_equal(a, b)
    assert sa.reliability(raw).alpha == sa.reliability(design).alpha


# ---------------------------------------------------------------------------- raking
def _margins(data: pd.DataFrame, w: np.ndarray, cols) -> pd.Series:
    return pd.Series(w, index=data.index).groupby([data[c] for c in cols]).sum()


def test_rake_reproduces_population_margins(design, raked, tables):
    pop = tables["population"]
    data = raked.data.assign(age_group=q.age_group(raked.data["age"]).astype(str))
    for var in ("gender", "age_group"):
        got = _margins(data, raked.weights, ["township", var])
        exp = (
            pop.assign(age_group=pop["age_group"].astype(str))
            .groupby(["township", var])["count"]
            .sum()
        )
        got.index = got.index.set_levels([lv.astype(str) for lv in got.index.levels])
        exp.index = exp.index.set_levels([lv.astype(str) for lv in exp.index.levels])
        pd.testing.assert_series_equal(
            got.sort_index(), exp.astype(float).sort_index(), check_names=False, rtol=1e-9
        )
    # township totals follow; the base design is unchanged (pure function)
    assert np.isclose(raked.weights.sum(), pop["count"].sum())
    assert np.array_equal(design.weights, design.data["weight"].to_numpy(float))
    assert "raked on township×gender+township×age_group" in raked.calibration_log
    assert raked.degf() == design.degf()


def test_rake_district_margins_and_domain(design, tables):
    pop = tables["population"]
    r = sa.rake_to_population(design, pop, by=())
    g = _margins(r.data, r.weights, ["gender"])
    assert np.allclose(g.sort_index().to_numpy(), pop.groupby("gender")["count"].sum().to_numpy())
    # a domain (one township) is raked to its own township's margins only
    town = str(design.data["township"].iloc[0])
    sub = design.subset(design.data["township"] == town)
    rs = sa.rake_to_population(sub, pop)
    inside = rs.domain
    assert np.isclose(rs.weights[inside].sum(), pop.loc[pop["township"] == town, "count"].sum())
    assert np.array_equal(rs.weights[~inside], design.weights[~inside])


def test_rake_bad_population(design, tables):
    with pytest.raises(ValueError, match="age_group"):
        sa.rake_to_population(design, tables["population"].drop(columns="age_group"))
    pop = tables["population"]
    town = pop["township"].iloc[0]
    pop = pop[~((pop["township"] == town) & (pop["gender"] == 2))]  # no women in one township
    with pytest.raises(ValueError, match="missing from the population table"):
        sa.rake_to_population(design, pop)
    young = design.data["age"].to_numpy() < 16
    assert not young.any()
    with pytest.raises(ValueError, match="no age group"):
        sa.rake_to_population(design.update(age=design.data["age"] - 10), pop)


def test_weight_summary_and_changes(design, raked):
    ws = sa.weight_summary({"base": design, "raked": raked})
    for name, d in [("base", design), ("raked", raked)]:
        w = d.weights
        row = ws.set_index("weighting").loc[name]
        kish = len(w) * np.sum(w**2) / np.sum(w) ** 2
        assert np.isclose(row["deff_weighting"], kish)
        assert np.isclose(row["n_effective"], np.sum(w) ** 2 / np.sum(w**2))
        assert np.isclose(row["sum"], w.sum()) and row["n"] == len(w)
    by = sa.weight_summary(raked, by="township")
    assert np.isclose(by["sum"].sum(), raked.weights.sum())
    ch = sa.weight_changes(design, raked)
    assert np.allclose(ch["ratio"], raked.weights / design.weights)


# ---------------------------------------------------------------------------- satisfaction
def test_satisfaction_by_matches_hand_and_likert_summary(raked):
    items = ["sat_overall", "sat_health"]
    got = sa.satisfaction_by(raked, items, by="township")
    x = _clean(raked, items)
    w = pd.Series(raked.weights)
    for (item, town), est in got.set_index(["variable", "township"])["estimate"].items():
        m = (raked.data["township"] == town) & x[item].notna()
        assert np.isclose(est, np.average(x.loc[m, item], weights=w[m]))
    ls = likert_summary(raked, items, by="township")
    ls = ls[ls["statistic"] == "mean"].set_index(["variable", "township"])
    g = got.set_index(["variable", "township"])
    for col in ("estimate", "se", "ci_low", "ci_high"):
        assert np.allclose(g[col], ls.loc[g.index, col], rtol=1e-10)
    assert set(got["label"]) == {"对农村社区建设的总体满意度", "医疗卫生服务"}


def test_raking_effect(design, raked):
    eff = sa.raking_effect(design, raked, ["sat_overall"])
    a = sa.satisfaction_by(design, ["sat_overall"])["estimate"].iloc[0]
    b = sa.satisfaction_by(raked, ["sat_overall"])["estimate"].iloc[0]
    assert np.isclose(eff["change"].iloc[0], b - a)


# ---------------------------------------------------------------------------- drivers
def test_drivers_equal_glm_and_statsmodels(raked):
    items = q.service_items()
    dr = sa.drivers(raked, "sat_overall", items, threshold=4, intercept=True)
    # the same model through the engine, on a frame built by hand
    data = _clean(raked, ["sat_overall", *items])
    data["top2"] = (data["sat_overall"] >= 4).astype(float).where(data["sat_overall"].notna())
    d = SurveyDesign(
        raked.data.assign(**{c: data[c] for c in data}),
        weights="weight",
        strata="stratum",
        psu="psu",
        fpc="fpc",
    )
    d.weights = raked.weights  # the raked weights; variance then ignores calibration
    g = d.glm("top2 ~ " + " + ".join(items), family="binomial")
    assert list(dr["term"]) == ["Intercept", *items]
    assert np.allclose(dr["odds_ratio"], np.exp(g.params.to_numpy()), rtol=1e-8)
    assert np.allclose(dr["log_odds"], g.params.to_numpy(), rtol=1e-8)
    assert (dr["n"] == g.nobs).all()
    # the raked design's own glm (calibration-aware SEs) gives the intervals and p-values
    full = raked.update(**{c: data[c] for c in data})
    gf = full.glm("top2 ~ " + " + ".join(items), family="binomial")
    ci = gf.conf_int()
    assert np.allclose(dr["ci_low"], np.exp(ci["ci_low"].to_numpy()), rtol=1e-10)
    assert np.allclose(dr["ci_high"], np.exp(ci["ci_high"].to_numpy()), rtol=1e-10)
    assert np.allclose(dr["p_value"], gf.pvalues.to_numpy(), rtol=1e-10)
    assert np.allclose(dr["se"], gf.bse.to_numpy(), rtol=1e-10)
    # point estimates: statsmodels weighted GLM on the complete cases
    cc = data.assign(w=raked.weights).dropna()
    X = sm.add_constant(cc[items])
    for kw in ("freq_weights", "var_weights"):
        sm_fit = sm.GLM(cc["top2"], X, family=sm.families.Binomial(), **{kw: cc["w"]}).fit(
            tol=1e-12
        )
        assert np.allclose(dr["log_odds"], sm_fit.params.to_numpy(), rtol=1e-6, atol=1e-8)
    assert len(cc) == dr["n"].iloc[0]
    # CIs bracket the odds ratios; the intercept is dropped by default
    assert (dr["ci_low"] < dr["odds_ratio"]).all() and (dr["odds_ratio"] < dr["ci_high"]).all()
    assert "Intercept" not in set(sa.drivers(raked)["term"])


# ---------------------------------------------------------------------------- IPA
def _wcorr(x, y, w):
    ok = x.notna() & y.notna()
    c = np.cov(np.vstack([x[ok], y[ok]]), aweights=w[ok])
    return c[0, 1] / np.sqrt(c[0, 0] * c[1, 1])


def _quadrant(imp_high: bool, perf_high: bool) -> str:
    if imp_high:
        return "继续保持" if perf_high else "重点改进"
    return "可能过度" if perf_high else "次要改进"


def test_importance_performance_correlation(raked):
    items = q.service_items()
    ip = sa.importance_performance(raked, "sat_overall", items)
    x = _clean(raked, ["sat_overall", *items])
    w = pd.Series(raked.weights)
    perf = [np.average(x[c][x[c].notna()], weights=w[x[c].notna()]) for c in items]
    imp = [_wcorr(x[c], x["sat_overall"], w) for c in items]
    assert np.allclose(ip["performance"], perf, rtol=1e-12)
    assert np.allclose(ip["importance"], imp, rtol=1e-10)
    pc, ic = np.mean(perf), np.mean(imp)
    exp = [_quadrant(i >= ic, p >= pc) for p, i in zip(perf, imp)]
    assert ip["quadrant"].tolist() == exp
    assert set(ip["quadrant"]) <= {"重点改进", "继续保持", "次要改进", "可能过度"}
    assert (ip["performance_low"] < ip["performance"]).all()
    # fixed cuts
    ip2 = sa.importance_performance(raked, items=items, performance_cut=0, importance_cut=0)
    assert (ip2["quadrant"] == "继续保持").all()


def test_importance_performance_coefficient(raked):
    items = q.service_items()
    ip = sa.importance_performance(raked, "sat_overall", items, importance="coefficient")
    cc = _clean(raked, ["sat_overall", *items]).assign(w=raked.weights).dropna()
    fit = sm.WLS(cc["sat_overall"], sm.add_constant(cc[items]), weights=cc["w"]).fit()

    def sd(v):
        m = np.average(v, weights=cc["w"])
        return np.sqrt(np.average((v - m) ** 2, weights=cc["w"]))

    exp = [fit.params[c] * sd(cc[c]) / sd(cc["sat_overall"]) for c in items]
    assert np.allclose(ip["importance"], exp, rtol=1e-8)
    with pytest.raises(ValueError, match="importance"):
        sa.importance_performance(raked, importance="elasticity")


# ---------------------------------------------------------------------------- reliability
def test_reliability(raked):
    items = q.sat_items()
    assert len(items) == 9 and items[0] == "sat_overall"
    rel = sa.reliability(raked, items)
    ref = cronbach_alpha(raked, items, dont_know=9)
    assert rel.alpha == ref.alpha and rel.n == ref.n and rel.k == 9
    # design-weighted alpha by hand on complete cases
    x = _clean(raked, items).assign(w=raked.weights).dropna()
    C = np.cov(x[items].to_numpy().T, aweights=x["w"], bias=True)
    k = len(items)
    assert np.isclose(rel.alpha, k / (k - 1) * (1 - np.trace(C) / C.sum()))
    # alpha if deleted = alpha of the other eight on the same complete cases
    for _, row in rel.items.iterrows():
        keep = [i for i, c in enumerate(items) if c != row["item"]]
        Ck = C[np.ix_(keep, keep)]
        assert np.isclose(
            row["alpha_if_deleted"], (k - 1) / (k - 2) * (1 - np.trace(Ck) / Ck.sum())
        )
    assert rel.items["label"].notna().all()
    assert rel.summary.loc[0, "alpha"] == rel.alpha


# ---------------------------------------------------------------------------- notebook
@pytest.mark.slow
def test_notebook_runs_clean(run_notebook):
    nb = run_notebook(NOTEBOOK, timeout=120)
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images == 4
