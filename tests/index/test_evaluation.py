"""evaluate(): exact results on a hand-built district, the default framework on the sample
district, re-running with changed assumptions, survey error, and degenerate data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.index import IndexDataError, evaluate, load_framework, parse_framework
from commeval.index.satisfaction import survey_indicators


def fw_of(doc):
    return parse_framework(doc, "<test>")


def test_hand_computed_scores(doc, tables):
    # target-normalised: police A 100, B 50, C 0; centre (target 50 %) A 100, B 0, C 100;
    # reclaimed A 75, B and C have no community (not applicable).
    # facilities = (A 100, B 25, C 50); composite A = .6·100 + .4·75 = 90, B = 25, C = 50
    res = evaluate(tables, fw_of(doc), mc_draws=0)
    s = res.scores.set_index("township")
    assert s["score"].to_dict() == pytest.approx({"A": 90.0, "B": 25.0, "C": 50.0})
    assert s["rank"].to_dict() == {"A": 1, "C": 2, "B": 3}
    assert s["grade"].to_dict() == {"A": "优秀", "B": "不合格", "C": "不合格"}
    assert s["attainment"].to_dict() == pytest.approx({"A": 2 / 3, "B": 0.0, "C": 0.5})
    d = res.dimensions.set_index(["township", "dimension"])["score"]
    assert d[("B", "facilities")] == 25.0 and np.isnan(d[("B", "community")])
    ind = res.indicators.set_index(["township", "indicator"])
    assert ind.loc[("A", "reclaimed"), "value"] == 75.0
    assert not ind.loc[("B", "reclaimed"), "applicable"]
    assert ind.loc[("C", "police"), "district_mean"] == pytest.approx(50.0)
    assert list(res.indicators.columns[:11]) == [
        "township",
        "year",
        "dimension",
        "indicator",
        "label",
        "unit",
        "value",
        "target",
        "attained",
        "normalised",
        "district_mean",
    ]


@pytest.mark.parametrize("method", ["topsis", "grey", "fuzzy", "geometric"])
def test_other_aggregations_rank_the_clear_best_first(doc, tables, method):
    res = evaluate(tables, fw_of(doc), mc_draws=0, settings={"aggregation": {"method": method}})
    s = res.scores.set_index("township")["score"]
    assert s.notna().all() and (s >= 0).all() and (s <= 100 + 1e-9).all()
    assert s.idxmax() == "A"


def test_geometric_with_zeros_stays_finite(doc, tables):
    res = evaluate(
        tables,
        fw_of(doc),
        mc_draws=0,
        settings={"aggregation": {"method": "geometric", "within": "geometric"}},
    )
    s = res.scores.set_index("township")["score"]
    # C has police 0 → floor 1: facilities = sqrt(1 · 100) = 10
    assert s["C"] == pytest.approx(10.0) and np.isfinite(s).all()


def test_entropy_weighting_constant_column_and_all_constant(doc, tables):
    doc["dimensions"]["facilities"]["weighting"] = "entropy"
    t = {k: v.copy() for k, v in tables.items()}
    t["villages"]["has_police_room"] = True
    res = evaluate(t, fw_of(doc), mc_draws=0)
    w = res.weights.set_index("indicator")["weight"]
    assert w["police"] == 0.0 and w["center"] == 1.0
    t["villages"]["service_center_m2"] = 500.0
    with pytest.raises(IndexDataError, match="facilities.*entropy"):
        evaluate(t, fw_of(doc), mc_draws=0)


def test_no_community_anywhere_drops_the_indicator(doc, tables):
    t = dict(tables)
    t["communities"] = tables["communities"].iloc[0:0]
    res = evaluate(t, fw_of(doc), mc_draws=20)
    assert res.settings["not_applicable_dropped"] == ["reclaimed"]
    by_town = res.scores.set_index("township")["score"].reindex(tables["townships"]["township"])
    assert by_town.tolist() == pytest.approx([100.0, 25.0, 50.0])
    assert res.scores["rank"].tolist() == [1, 2, 3]  # scores in rank order


def test_single_township(doc, tables):
    t = {
        "townships": tables["townships"].iloc[[0]],
        "villages": tables["villages"][tables["villages"]["township"] == "A"],
        "communities": tables["communities"],
    }
    res = evaluate(t, fw_of(doc), mc_draws=30)
    row = res.scores.iloc[0]
    assert row["score"] == pytest.approx(90.0)
    assert (row["rank"], row["rank_low"], row["rank_high"], row["rank_median"]) == (1, 1, 1, 1)


def test_all_missing_indicator_and_missing_year(doc, tables):
    t = {k: v.copy() for k, v in tables.items()}
    t["villages"]["has_police_room"] = np.nan
    with pytest.raises(
        IndexDataError,
        match=r"^指标 'police' 在 \d{4} 年所有乡镇都没有值.*'police' is missing for every",
    ):
        evaluate(t, fw_of(doc), mc_draws=0)
    with pytest.raises(
        IndexDataError, match=r"^行政村表没有 2030 年的数据.*no village rows for year 2030"
    ):
        evaluate(tables, fw_of(doc), year=2030, mc_draws=0)


def test_missing_value_is_imputed_and_recorded(doc, tables):
    t = {k: v.copy() for k, v in tables.items()}
    t["villages"]["has_police_room"] = t["villages"]["has_police_room"].astype("boolean")
    t["villages"].loc[t["villages"]["township"] == "C", "has_police_room"] = pd.NA
    res = evaluate(t, fw_of(doc), mc_draws=0)
    rec = res.settings["records"]["imputation"]
    assert rec[["township", "indicator", "method"]].to_numpy().tolist() == [
        ["C", "police", "median"]
    ]
    ind = res.indicators.set_index(["township", "indicator"])
    assert ind.loc[("C", "police"), "value"] == 75.0 and ind.loc[("C", "police"), "imputed"]


# --- the default framework on the sample district ----------------------------------------------


@pytest.fixture(scope="module")
def default_result(district):
    return evaluate(district, load_framework(), year=2012, mc_draws=150, seed=3)


def test_default_framework_on_sample_district(default_result, district):
    res = default_result
    s = res.scores
    assert len(s) == len(district["townships"]) and s["score"].notna().all()
    assert sorted(s["rank"]) == list(range(1, len(s) + 1))
    assert (s["rank_low"] <= s["rank_median"]).all() and (s["rank_median"] <= s["rank_high"]).all()
    assert set(s["grade"]) <= {"优秀", "良好", "合格", "不合格"}
    assert res.settings["survey"] == "survey engine (design-weighted)"
    assert res.settings["framework"]["version"] == "2012.1"
    assert set(res.sensitivity["assumption"]) == {
        "weights",
        "normalisation",
        "aggregation",
        "survey",
    }
    assert res.dimensions["score"].notna().sum() >= 7 * len(s)
    # townships without a new community: the dimension is not applicable, never NaN scores
    has = set(district["communities"]["township"])
    nc = res.dimensions[res.dimensions["dimension"] == "new_community"].set_index("township")
    assert nc["applicable"].to_dict() == {t: t in has for t in nc.index}
    assert set(res.checks) == {"corr_flags_low", "corr_flags_high", "cronbach"}


def test_satisfaction_uses_design_weighted_estimates(default_result, district):
    from commeval.survey import SurveyDesign

    sv = district["survey"]
    sv = sv[sv["year"] == 2012].copy()
    sv["y"] = sv["sat_overall"].astype(float).where(sv["sat_overall"].astype(float) <= 5)
    design = SurveyDesign(
        sv, weights="weight", strata="stratum", psu="psu", fpc="fpc", lonely_psu="adjust"
    )
    ref = design.mean("y", by=["township"]).set_index("township")["estimate"]
    ind = default_result.indicators
    got = ind[ind["indicator"] == "overall_satisfaction"].set_index("township")["value"]
    assert got.to_dict() == pytest.approx(ref.reindex(got.index).to_dict())
    # design-weighted, not the plain mean
    plain = sv.groupby("township")["y"].mean()
    assert not np.allclose(got.to_numpy(), plain.reindex(got.index).to_numpy())


def test_change_over_time(default_result, district):
    ch = default_result.change
    prev = evaluate(district, load_framework(), year=2011, mc_draws=0).scores
    sc = ch[ch["measure"] == "score"].set_index("township")
    assert sc["previous"].to_dict() == pytest.approx(prev.set_index("township")["score"].to_dict())
    assert (sc["change"] == sc["current"] - sc["previous"]).all()
    assert {"score", "rank", "library_share"} <= set(ch["measure"])
    assert set(ch["previous_year"]) == {2011}


def test_rerun_from_settings_reproduces_and_changes(default_result, district):
    res = default_result
    again = evaluate(district, load_framework(), settings=res.settings)
    pd.testing.assert_frame_equal(again.scores, res.scores)
    changed = evaluate(
        district,
        load_framework(),
        settings={**res.settings, "normalisation": {"method": "minmax"}},
        mc_draws=0,
    )
    assert changed.settings["normalisation"]["method"] == "minmax"
    assert not np.allclose(changed.scores["score"], res.scores["score"])
    w = evaluate(
        district,
        load_framework(),
        mc_draws=0,
        settings={"dimension_weights": {"funding": 0.5}},
    )
    assert w.settings["dimension_weights"]["funding"] > 0.3


def test_survey_sampling_error_drives_rank_intervals(district):
    fw = load_framework()
    est = survey_indicators(district["survey"], sorted(fw.survey_items), year=2012)
    only_survey = {
        "uncertainty": {
            "weight_noise": 0.0,
            "normalisations": ["target"],
            "aggregations": ["arithmetic"],
        }
    }
    zero = evaluate(district, fw, survey=est.assign(se=0.0), mc_draws=60, settings=only_survey)
    s0 = zero.scores
    assert (s0["rank_low"] == s0["rank"]).all() and (s0["rank_high"] == s0["rank"]).all()
    big = evaluate(
        district, fw, survey=est.assign(se=est["se"] * 20), mc_draws=60, settings=only_survey
    )
    assert (big.scores["rank_high"] - big.scores["rank_low"]).max() > 0
    assert set(big.sensitivity["assumption"]) == {"survey"}


def test_replicate_survey_estimates(district):
    fw = load_framework()
    est = survey_indicators(district["survey"], sorted(fw.survey_items), year=2012)
    rng = np.random.default_rng(0)
    reps = pd.concat(
        [
            est.assign(replicate=r, estimate=est["estimate"] + rng.normal(0, 0.05, len(est)))
            for r in range(10)
        ]
    )
    res = evaluate(district, fw, survey=reps, mc_draws=40)
    assert res.settings["survey"] == "provided (replicates)"
    assert res.scores["score"].notna().all()


def test_missing_survey_is_a_clear_error(district):
    t = {k: v for k, v in district.items() if k != "survey"}
    with pytest.raises(IndexDataError, match="overall_satisfaction.*survey"):
        evaluate(t, load_framework(), mc_draws=0)


def test_group_median_imputation_by_township_column(doc, tables):
    t = {k: v.copy() for k, v in tables.items()}
    t["villages"]["has_police_room"] = t["villages"]["has_police_room"].astype("boolean")
    t["villages"].loc[t["villages"]["township"] == "C", "has_police_room"] = pd.NA
    settings = {"imputation": {"method": "group_median", "by": "has_culture_station"}}
    res = evaluate(t, fw_of(doc), mc_draws=0, settings=settings)
    ind = res.indicators.set_index(["township", "indicator"])
    assert ind.loc[("C", "police"), "value"] == 100.0  # A shares C's culture-station group
    with pytest.raises(IndexDataError, match=r"^分组中位数插补.*须用 by.*needs 'by'"):
        evaluate(t, fw_of(doc), mc_draws=0, settings={"imputation": "group_median"})


def test_identical_townships_tie(doc, tables):
    t = {k: v.copy() for k, v in tables.items()}
    d = t["townships"].iloc[[0]].assign(township="D")
    t["townships"] = pd.concat([t["townships"], d], ignore_index=True)
    t["villages"] = pd.concat(
        [t["villages"], t["villages"][t["villages"]["township"] == "A"].assign(township="D")],
        ignore_index=True,
    )
    t["communities"] = pd.concat(
        [t["communities"], t["communities"].assign(township="D")], ignore_index=True
    )
    res = evaluate(t, fw_of(doc), mc_draws=50)
    s = res.scores.set_index("township")
    assert s.loc["A", "rank"] == s.loc["D", "rank"] == 1
    assert (s.loc["A", ["rank_low", "rank_high"]] == s.loc["D", ["rank_low", "rank_high"]]).all()


# --- settings, step data, regen, repr ----------------------------------------------------------


@pytest.mark.parametrize(
    "settings, key",
    [
        ({"normalization": "minmax"}, "normalization"),  # misspelt: was silently ignored
        ({"normalisation": "cube"}, "normalisation.method"),
        ({"aggregation": {"method": "topsis", "within": "median"}}, "aggregation.within"),
        ({"indicator_weights": {"police": -1.0}}, "indicator_weights.police"),
        ({"indicator_weights": {"nope": 1.0}}, "indicator_weights.nope"),
        ({"dimension_weights": {"facilities": float("nan")}}, "dimension_weights.facilities"),
        ({"dimension_weights": {"facilitys": 0.5}}, "dimension_weights.facilitys"),  # unknown
        ({"dimension_weights": {"facilities": -0.2}}, "dimension_weights.facilities"),
        ({"uncertainty": {"draw": 10}}, "uncertainty.draw"),
        ({"uncertainty": {"weight_noise": 2}}, "uncertainty.weight_noise"),
    ],
)
def test_invalid_settings_are_errors_naming_the_key(doc, tables, settings, key):
    from commeval.index import SettingsError

    with pytest.raises(SettingsError, match=f"'{key}'") as exc:
        evaluate(tables, fw_of(doc), mc_draws=0, settings=settings)
    assert exc.value.key == key and isinstance(exc.value, ValueError)
    if key == "normalization":
        assert "normalisation" in str(exc.value)  # the allowed keys are listed


def test_evaluation_keeps_each_steps_data(doc, tables):
    doc["steps"]["outliers"] = "winsorise"
    res = evaluate(tables, fw_of(doc), mc_draws=0)
    assert list(res.data) == ["raw", "imputed", "treated", "normalised"]
    raw, norm = res.data["raw"], res.data["normalised"]
    assert list(raw.index) == ["A", "B", "C"] and raw.loc["A", "reclaimed"] == 75.0
    assert np.isnan(norm.loc["B", "reclaimed"]) and norm.loc["B", "police"] == 50.0
    tidy = res.indicators.pivot(index="township", columns="indicator", values="normalised")
    pd.testing.assert_frame_equal(
        tidy[list(norm.columns)], norm, check_names=False, check_index_type=False
    )
    assert res.framework is not None and res.year == 2012 and res.tables is tables


def test_regen_reproduces_and_changes(doc, tables):
    import pickle

    res = evaluate(tables, fw_of(doc), mc_draws=40, seed=3, settings={"aggregation": "geometric"})
    again = res.regen()
    pd.testing.assert_frame_equal(again.scores, res.scores)
    pd.testing.assert_frame_equal(again.indicators, res.indicators)
    alt = res.regen(normalisation="minmax", mc_draws=0)
    assert alt.settings["normalisation"]["method"] == "minmax"
    assert alt.settings["aggregation"]["method"] == "geometric"  # kept from the first run
    assert alt.settings["uncertainty"]["draws"] == 0
    direct = evaluate(
        tables,
        fw_of(doc),
        mc_draws=0,
        settings={"aggregation": "geometric", "normalisation": "minmax"},
    )
    pd.testing.assert_frame_equal(alt.scores, direct.scores)
    with pytest.raises(ValueError, match="unknown key"):
        res.regen(normalization="minmax")
    unpickled = pickle.loads(pickle.dumps(res))
    assert unpickled.tables is None and unpickled.framework is None
    with pytest.raises(ValueError, match="pass tables="):
        unpickled.regen()
    again = unpickled.regen(tables=tables, framework=res.framework)
    pd.testing.assert_frame_equal(again.scores, res.scores)


def test_repr_is_short(default_result):
    text = repr(default_result)
    assert len(text) < 600 and len(text.splitlines()) <= 5
    assert "2012" in text and "townships" in text and "normalisation target" in text


def test_scores_in_rank_order_and_attainment_as_percent(doc, tables):
    res = evaluate(tables, fw_of(doc), mc_draws=0)
    assert res.scores["township"].tolist() == ["A", "C", "B"]  # ranks 1, 2, 3
    html = res._repr_html_()
    assert "66.7%" in html and "50.0%" in html  # attainment 2/3 and 1/2, not 0.7 / 0.5
    assert ">0.5<" not in html
