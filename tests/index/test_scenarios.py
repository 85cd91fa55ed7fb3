"""What-if analysis (``commeval.index.scenarios``) against independent references: the baseline
scenario reproduces the district's evaluation; a min–max scenario and equal dimension weights
recomputed by hand from the indicator values; weights by method equal the weight functions
called directly; AHP against numpy's eigen-decomposition; rank shifts from ranks computed by hand;
and the research notebook run end to end with papermill."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commeval.index import combined_weights, critic_weights, entropy_weights, evaluate
from commeval.index import scenarios as sc
from commeval.index.weights import RANDOM_INDEX, ConsistencyWarning, parse_ratio

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "index_analysis.ipynb"


@pytest.fixture(scope="module")
def d():
    from commeval.district import load_district

    return load_district(ROOT / "data" / "raw" / "sample_district")


@pytest.fixture(scope="module")
def wide(d) -> pd.DataFrame:
    return d.evaluation.indicators.pivot(index="township", columns="indicator", values="value")


@pytest.fixture(scope="module")
def w_within(d) -> pd.DataFrame:
    return sc.weights_by_method(d.evaluation.indicators, d.framework, scope="within")


@pytest.fixture(scope="module")
def ranks(d, w_within) -> pd.DataFrame:
    fw = d.framework
    scen = sc.default_scenarios(fw, w_within, sc.example_dimension_matrix(fw))
    return sc.scenario_ranks(d.tables, fw, d.year, scen)


def _hand_composite(N: pd.DataFrame, fw, w_ind: dict, w_dim: dict) -> pd.Series:
    """Weighted arithmetic means by hand: within each dimension over applicable indicators,
    then over applicable dimensions (weights renormalised over what is applicable)."""
    out = {}
    for town, row in N.iterrows():
        num = den = 0.0
        for dm in fw.dimensions:
            names = [i.name for i in dm.indicators if i.name in row.index]
            vals = [(row[n], w_ind[n]) for n in names if not np.isnan(row[n])]
            if not vals or sum(w for _, w in vals) == 0:
                continue
            dscore = sum(v * w for v, w in vals) / sum(w for _, w in vals)
            num += w_dim[dm.name] * dscore
            den += w_dim[dm.name]
        out[town] = num / den
    return pd.Series(out)


def _hand_rank(scores: pd.Series) -> pd.Series:
    """Rank 1 = best, ties (within 1e-9 points) share the best rank, counted by hand."""
    v = scores.to_numpy()
    return pd.Series([1 + int((v > x + 1e-9).sum()) for x in v], index=scores.index)


# ---------------------------------------------------------------------------- framework


def test_framework_table(d):
    fw = d.framework
    ft = sc.framework_table(fw)
    cols = ["dimension", "indicator", "label", "unit", "source", "direction", "target", "weight"]
    assert set(cols) <= set(ft.columns)
    assert list(ft["indicator"]) == [i.name for dm in fw.dimensions for i in dm.indicators]
    assert np.isclose(ft["overall_weight"].sum(), 1.0)
    assert np.allclose(ft.groupby("dimension")["weight"].sum(), 1.0)
    pc = ft.set_index("indicator").loc["pairing_coverage"]
    assert (pc["target"], pc["direction"], pc["unit"]) == (50.0, "benefit", "%")
    assert np.isclose(pc["overall_weight"], 0.10 * 0.4)
    assert "\n" not in "".join(ft["source"])


# ---------------------------------------------------------------------------- weights


def test_weights_by_method_match_engine_functions(d, wide, w_within):
    fw = d.framework
    assert list(w_within.columns[-5:]) == [*sc.WEIGHT_METHODS, "note"]
    assert (w_within["note"] == "").all()  # 2012: every method defined, no fallback
    assert np.allclose(w_within.groupby("dimension")[list(sc.WEIGHT_METHODS)].sum(), 1.0)
    for dm in fw.dimensions:
        names = [i.name for i in dm.indicators]
        sub = wide[names].dropna()
        benefit = {i.name: i.benefit for i in dm.indicators}
        got = w_within.set_index("indicator").loc[names]
        ent = entropy_weights(sub, benefit=benefit)
        cri = critic_weights(sub, benefit=benefit)
        fixed = pd.Series({i.name: i.weight for i in dm.indicators})
        fixed = fixed / fixed.sum()
        assert np.allclose(got["entropy"], ent[names])
        assert np.allclose(got["critic"], cri[names])
        assert np.allclose(got["fixed"], fixed[names])
        assert np.allclose(got["combined"], combined_weights(fixed, ent)[names])
        assert np.allclose(got["combined"], 0.5 * fixed[names] + 0.5 * ent[names])
    # the fixed column is what the engine used
    eng = d.evaluation.weights.set_index("indicator")["weight"]
    assert np.allclose(w_within.set_index("indicator")["fixed"], eng.reindex(w_within["indicator"]))


def test_weights_by_method_overall_sum_to_one(d, wide, w_within):
    fw = d.framework
    wo = sc.weights_by_method(wide, fw)  # a wide frame works as well as the tidy one
    for m in sc.WEIGHT_METHODS:
        assert np.isclose(wo[m].sum(), 1.0), m
        assert (wo[m] >= 0).all()
    dim_w = {dm.name: dm.weight for dm in fw.dimensions}
    expect = w_within["fixed"] * w_within["dimension"].map(dim_w)
    assert np.allclose(wo["fixed"], expect)
    with pytest.raises(ValueError, match="scope"):
        sc.weights_by_method(wide, fw, scope="global")


def test_method_weights(w_within):
    mw = sc.method_weights(w_within, "critic")
    assert mw == dict(zip(w_within["indicator"], w_within["critic"]))
    with pytest.raises(ValueError, match="unknown weighting"):
        sc.method_weights(w_within, "pca")


# ---------------------------------------------------------------------------- AHP


def _eig_reference(matrix: pd.DataFrame):
    a = np.array([[parse_ratio(v) for v in row] for row in matrix.to_numpy()], dtype=float)
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    n = len(a)
    lam = float(vals[k].real)
    ci = (lam - n) / (n - 1)
    return w / w.sum(), lam, ci, ci / RANDOM_INDEX[n - 1]


def test_example_matrix_and_ahp_report(d):
    fw = d.framework
    m = sc.example_dimension_matrix(fw)
    names = [dm.name for dm in fw.dimensions]
    assert list(m.index) == names == list(m.columns)
    a = np.array([[parse_ratio(v) for v in row] for row in m.to_numpy()])
    assert np.allclose(a * a.T, 1.0)
    rep = sc.ahp_report(m, labels={dm.name: dm.label for dm in fw.dimensions})
    w, lam, ci, cr = _eig_reference(m)
    wts = rep[rep["kind"] == "weight"]
    assert list(wts["item"]) == names
    assert np.allclose(wts["value"], w, atol=1e-9)
    cons = rep[rep["kind"] == "consistency"].set_index("item")["value"]
    assert np.isclose(cons["lambda_max"], lam)
    assert np.isclose(cons["CI"], ci, atol=1e-9)
    assert np.isclose(cons["CR"], cr, atol=1e-9)
    assert cons["RI"] == 1.41 and cons["n"] == 8
    assert cons["CR"] < 0.10
    # facilities is judged most important, funding least (as in the fixed weights)
    assert wts.set_index("item")["value"].idxmax() == "facilities"
    assert wts.set_index("item")["value"].idxmin() == "funding"


def test_ahp_report_consistent_and_inconsistent():
    w = np.array([0.5, 0.3, 0.2])
    cons = pd.DataFrame(np.outer(w, 1 / w), index=list("abc"), columns=list("abc"))
    rep = sc.ahp_report(cons).set_index("item")["value"]
    assert np.allclose(rep[["a", "b", "c"]], w)
    assert abs(rep["CR"]) < 1e-9 and np.isclose(rep["lambda_max"], 3.0)
    bad = pd.DataFrame([[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]], index=list("xyz"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConsistencyWarning)  # reported, not warned
        rep = sc.ahp_report(bad).set_index("item")["value"]
    assert rep["CR"] > 0.10


# ---------------------------------------------------------------------------- scenarios


def test_baseline_reproduces_evaluation(d, ranks):
    base = ranks[ranks["scenario"] == sc.BASELINE].set_index("township")
    s = d.evaluation.scores.set_index("township")
    assert list(base.index) == list(s.index)
    assert (base["score"].to_numpy() == s["score"].to_numpy()).all()  # exactly
    assert (base["rank"].to_numpy() == s["rank"].to_numpy()).all()
    assert (base["grade"].to_numpy() == s["grade"].to_numpy()).all()
    assert (base["rank_shift"] == 0).all() and (base["score_change"] == 0).all()


def test_rank_shifts_by_hand(ranks):
    assert list(ranks["scenario"].cat.categories)[0] == sc.BASELINE
    base = ranks[ranks["scenario"] == sc.BASELINE].set_index("township")
    for name, g in ranks.groupby("scenario", observed=True):
        g = g.set_index("township")
        hand = _hand_rank(g["score"])
        assert (g["rank"] == hand).all(), name
        assert (g["rank_shift"] == base["rank"].reindex(g.index) - hand).all(), name
        assert np.allclose(g["score_change"], g["score"] - base["score"].reindex(g.index))
    assert len(ranks) == 8 * ranks["scenario"].nunique()
    assert (
        ranks["scenario"].nunique() == 12
    )  # baseline + 2 normalisations + 4 aggregations + 3 + 2 weights


def test_minmax_and_equal_dimension_scenarios_by_hand(d, wide, ranks):
    fw = d.framework
    w_ind = d.evaluation.settings["indicator_weights"]
    # min–max normalisation of the indicator values by hand (all benefit indicators here)
    x = wide.to_numpy(dtype=float)
    lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(hi > lo, (x - lo) / (hi - lo) * 100, 100.0)
    N = pd.DataFrame(np.where(np.isnan(x), np.nan, z), index=wide.index, columns=wide.columns)
    hand = _hand_composite(N, fw, w_ind, {dm.name: dm.weight for dm in fw.dimensions})
    got = ranks[ranks["scenario"] == "最小–最大标准化"].set_index("township")["score"]
    assert np.allclose(got, hand.reindex(got.index))
    # equal dimension weights on the baseline (target) normalisation
    Nt = d.evaluation.indicators.pivot(index="township", columns="indicator", values="normalised")
    hand = _hand_composite(Nt, fw, w_ind, {dm.name: 1.0 for dm in fw.dimensions})
    got = ranks[ranks["scenario"] == "维度等权"].set_index("township")["score"]
    assert np.allclose(got, hand.reindex(got.index))


def test_weight_scenario_uses_method_weights(d, w_within, ranks):
    fw = d.framework
    ev = evaluate(
        d.tables,
        fw,
        year=d.year,
        mc_draws=0,
        settings={"indicator_weights": sc.method_weights(w_within, "entropy")},
    )
    got = ranks[ranks["scenario"] == "熵权法指标权重"].set_index("township")["score"]
    assert np.allclose(got, ev.scores.set_index("township")["score"].reindex(got.index))
    used = ev.weights.set_index("indicator")["weight"]
    assert np.allclose(used, w_within.set_index("indicator")["entropy"].reindex(used.index))


def test_scenario_summary_and_tables(ranks):
    summ = sc.scenario_summary(ranks).set_index("scenario")
    assert summ.loc[sc.BASELINE, "spearman"] == 1.0
    for name, g in ranks.groupby("scenario", observed=True):
        shift = g["rank_shift"].abs()
        assert summ.loc[name, "max_abs_shift"] == shift.max()
        assert np.isclose(summ.loc[name, "mean_abs_shift"], shift.mean())
        assert summ.loc[name, "townships_moved"] == (shift > 0).sum()
    rt = sc.rank_table(ranks)
    assert list(rt[sc.BASELINE]) == list(range(1, 9))
    assert rt.shape == (8, 12)


def test_reserved_baseline_name(d):
    with pytest.raises(ValueError, match="reserved"):
        sc.scenario_ranks(d.tables, d.framework, d.year, {sc.BASELINE: {}})


# ---------------------------------------------------------------------------- uncertainty


def test_rank_interval_table(d):
    rit = sc.rank_interval_table(d.evaluation)
    s = d.evaluation.scores.set_index("township")
    assert sorted(rit["township"]) == sorted(s.index)
    assert rit["rank_median"].is_monotonic_increasing
    for _, r in rit.iterrows():
        assert r["rank_low"] == s.loc[r["township"], "rank_low"]
        assert r["rank_high"] == s.loc[r["township"], "rank_high"]
        assert r["width"] == r["rank_high"] - r["rank_low"] >= 0
        assert r["rank_low"] <= r["rank_median"] <= r["rank_high"]


def test_sensitivity_table(d):
    st = sc.sensitivity_table(d.evaluation)
    raw = d.evaluation.sensitivity
    raw = raw[raw["township"] == "(all)"]
    assert list(st["assumption"]) == list(raw["assumption"])
    assert np.allclose(st["total"], raw["total"])
    assert np.allclose(st["interaction"], raw["total"].to_numpy() - raw["first_order"].to_numpy())
    assert set(st["label"]) <= set(sc.ASSUMPTION_LABELS.values())
    one = sc.sensitivity_table(d.evaluation, township=d.townships[0])
    assert len(one) == len(st)


# ---------------------------------------------------------------------------- charts


def test_charts(d, w_within, ranks):
    from matplotlib import pyplot as plt

    from commeval.report import index_charts as ic

    figs = [
        ic.weights_by_method_chart(w_within),
        ic.scenario_rank_chart(ranks),
        ic.rank_interval_chart(sc.rank_interval_table(d.evaluation)),
        ic.sensitivity_chart(sc.sensitivity_table(d.evaluation)),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. a glyph missing from the CJK font
        for fig in figs:
            ax = fig.axes[0]
            assert ax.get_title()
            assert "（" in (ax.get_xlabel() + ax.get_ylabel())  # a unit on an axis
            assert ic.show(fig).data[:4] == b"\x89PNG"
    plt.close("all")


# ---------------------------------------------------------------------------- notebook
@pytest.mark.slow
def test_notebook_runs_clean(run_notebook):
    nb = run_notebook(NOTEBOOK, timeout=60)
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images == 4


def _ahp_doc(doc: dict) -> dict:
    """The mini framework with AHP dimension weights and AHP weights within ``facilities``."""
    doc["dimension_weighting"] = {"method": "ahp", "matrix": [[1, 2], ["1/2", 1]]}
    for dm in doc["dimensions"].values():
        dm.pop("weight")
    fac = doc["dimensions"]["facilities"]
    fac["weighting"] = {"method": "ahp", "matrix": [[1, 3], ["1/3", 1]]}
    for i in fac["indicators"].values():
        i.pop("weight")
    return doc


def test_scenarios_under_ahp_dimension_and_indicator_weights(doc, tables):
    from commeval.index import parse_framework

    fw = parse_framework(_ahp_doc(doc))
    ft = sc.framework_table(fw).set_index("indicator")
    assert ft["dimension_weight"].to_dict() == pytest.approx(
        {"police": 2 / 3, "center": 2 / 3, "reclaimed": 1 / 3}
    )
    assert ft["weight"].to_dict() == pytest.approx({"police": 0.75, "center": 0.25, "reclaimed": 1})
    assert ft["overall_weight"].sum() == pytest.approx(1.0)

    ev = evaluate(tables, fw, mc_draws=0)
    over = sc.weights_by_method(ev.indicators, fw, scope="overall").set_index("indicator")
    assert over["fixed"].to_dict() == pytest.approx(ft["overall_weight"].to_dict())
    for m in sc.WEIGHT_METHODS:
        assert over[m].sum() == pytest.approx(1.0)
    within = sc.weights_by_method(ev.indicators, fw, scope="within")
    scen = sc.default_scenarios(fw, within, sc.example_dimension_matrix(fw))
    r = sc.scenario_ranks(tables, fw, None, scen)
    base = r[r["scenario"] == sc.BASELINE].set_index("township")["score"]
    assert base.to_dict() == pytest.approx(ev.scores.set_index("township")["score"].to_dict())
    # equal dimension weights apply under AHP dimension weighting too: by hand from the
    # dimension scores (B and C have no new community: facilities alone)
    dims = ev.dimensions.pivot(index="township", columns="dimension", values="score")
    equal = r[r["scenario"] == "维度等权"].set_index("township")["score"]
    assert equal["A"] == pytest.approx(dims.loc["A"].mean())
    assert equal["B"] == pytest.approx(dims.loc["B", "facilities"])
    assert equal["A"] != pytest.approx(base["A"])
    # entropy indicator weights apply in the AHP-weighted dimension
    ent = sc.method_weights(within, "entropy")
    ev_e = evaluate(tables, fw, mc_draws=0, settings={"indicator_weights": ent})
    used = ev_e.weights.set_index("indicator")["weight"]
    assert used["police"] == pytest.approx(ent["police"])


def test_scenarios_under_entropy_weighting(doc, tables):
    from commeval.index import parse_framework

    fac = doc["dimensions"]["facilities"]
    fac["weighting"] = {"method": "entropy"}
    for i in fac["indicators"].values():
        i.pop("weight")
    fw = parse_framework(doc)
    ft = sc.framework_table(fw).set_index("indicator")
    assert np.isnan(ft.loc["police", "weight"]) and ft.loc["reclaimed", "weight"] == 1.0
    ev = evaluate(tables, fw, mc_draws=0)
    w = sc.weights_by_method(ev.indicators, fw, scope="within").set_index("indicator")
    assert np.isnan(w.loc["police", "fixed"]) and np.isnan(w.loc["police", "combined"])
    engine = ev.weights.set_index("indicator")["weight"]
    assert w["entropy"]["police"] == pytest.approx(engine["police"])
    assert set(sc.method_weights(w.reset_index(), "fixed")) == {"reclaimed"}
    r = sc.scenario_ranks(tables, fw, None, sc.default_scenarios(fw, w.reset_index()))
    assert set(r["scenario"].astype(str)) >= {sc.BASELINE, "维度等权", "熵权法指标权重"}


def test_undefined_objective_weights_fall_back_with_a_note(tmp_path):
    """A dimension none of whose indicators varies across townships (here: the sample
    district's 2011 with every township's organisation indicators set alike): entropy and
    CRITIC weights do not exist there; the dimension keeps its expert weights and the frame says
    so (the research notebook prints it) instead of raising."""
    from commeval.district import load_district
    from commeval.index import IndexDataError
    from commeval.index.weights import within_weights

    d11 = load_district(ROOT / "data" / "raw" / "sample_district", tmp_path, 2011, mc_draws=0)
    ind = d11.evaluation.indicators.copy()
    flat = ind["dimension"] == "organisation"
    ind.loc[flat, "value"] = ind[flat].groupby("indicator")["value"].transform("mean")
    ind.loc[flat, "normalised"] = ind[flat].groupby("indicator")["normalised"].transform("mean")
    w = sc.weights_by_method(ind, d11.framework, scope="within")
    notes = sc.weight_notes(w)
    assert notes and all("无定义" in n and "改用专家权重" in n for n in notes)
    bad = w[w["note"] != ""]
    assert set(bad["dimension"]) == {"organisation"}
    for dim, g in bad.groupby("dimension"):
        dm = next(x for x in d11.framework.dimensions if x.name == dim)
        wide = sc._wide_values(ind)
        with pytest.raises(IndexDataError):
            within_weights(dm, wide, {"method": "entropy"})
        assert np.allclose(g["entropy"], g["fixed"]) and np.allclose(g["critic"], g["fixed"])
    assert np.allclose(w.groupby("dimension")[list(sc.WEIGHT_METHODS)].sum(), 1.0)
    scen = sc.default_scenarios(d11.framework, weights=w)
    ranks = sc.scenario_ranks(d11.tables, d11.framework, 2011, scen, survey=d11.survey_estimates)
    assert set(ranks["scenario"].astype(str)) >= {"熵权法指标权重", "CRITIC法指标权重"}


def test_points_research_tables(tmp_path):
    from commeval.district import load_district

    fw = ROOT / "tests" / "report" / "fixtures" / "points_framework.yaml"
    dp = load_district(ROOT / "data" / "raw" / "sample_district", tmp_path, framework=fw,
                       mc_draws=30)  # fmt: skip
    ev = dp.evaluation
    table = sc.points_table(ev)
    assert table.index.tolist() == ev.scores["township"].tolist()  # rank order
    assert np.allclose(table["总分"], ev.scores["points"])
    lost = sc.points_lost(ev)
    ind = ev.indicators[~ev.indicators["bonus"].astype(bool)]
    by_hand = (ind["max_points"] - ind["points"]).groupby(ind["indicator"]).sum()
    got = lost.set_index("indicator")["lost"]
    assert np.allclose(got.reindex(by_hand.index), by_hand)
    assert lost["lost"].is_monotonic_decreasing
    ts = sc.threshold_sensitivity(ev)
    assert ts["label"].str.startswith("评分门槛：").sum() >= 1
    assert ts["total"].is_monotonic_decreasing
    with pytest.raises(ValueError, match="scoring: points"):
        sc.points_table(load_district(ROOT / "data" / "raw" / "sample_district", tmp_path,
                                      mc_draws=0).evaluation)  # fmt: skip
