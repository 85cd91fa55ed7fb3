"""How a dimension that does not apply to a township is treated (framework ``not_applicable``,
issue 22): each treatment against hand computation, the framework key and its error, and the
evaluation using it."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from commeval.index import FrameworkError, load_framework
from commeval.index.composite import treat_not_applicable
from commeval.project import district_level, parse_project
from index.helpers import mini_doc

# two townships, two dimensions of equal weight; the second applies to the second only
DIMS = np.array([[80.0, np.nan], [60.0, 40.0]])


def test_each_treatment_by_hand():
    w = np.array([1.0, 1.0])
    assert treat_not_applicable(DIMS, w, ["renormalise"] * 2) == pytest.approx([80, 50])
    # neutral: 甲 counts at the mean of the townships it applies to (40)
    assert treat_not_applicable(DIMS, w, ["renormalise", "neutral"]) == pytest.approx([60, 50])
    # separate: nobody's composite has the second dimension
    assert treat_not_applicable(DIMS, w, ["renormalise", "separate"]) == pytest.approx([80, 60])
    # a dimension that applies everywhere is the same under every treatment
    full = np.array([[80.0, 20.0], [60.0, 40.0]])
    for mode in ("renormalise", "neutral", "separate"):
        assert treat_not_applicable(full, w, [mode] * 2) == pytest.approx([50, 50])


def _write(tmp_path, doc) -> str:
    p = tmp_path / "fw.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(p)


def test_framework_key(tmp_path):
    doc = copy.deepcopy(mini_doc())
    first = next(iter(doc["dimensions"]))
    assert load_framework(_write(tmp_path, doc)).dimensions[0].not_applicable == "renormalise"
    doc["dimensions"][first]["not_applicable"] = "separate"
    assert load_framework(_write(tmp_path, doc)).dimensions[0].not_applicable == "separate"
    doc["dimensions"][first]["not_applicable"] = "ignore"
    with pytest.raises(FrameworkError) as e:
        load_framework(_write(tmp_path, doc))
    assert f"dimensions.{first}.not_applicable" in str(e.value) and "ignore" in str(e.value)


def test_packaged_default_is_renormalise():
    fw = load_framework()
    assert {d.not_applicable for d in fw.dimensions} == {"renormalise"}


def test_level_and_max_moe(tmp_path):
    assert district_level("某县") == "县" and district_level("郾城区") == "区"
    assert district_level("漯河市") == "市" and district_level("示例") == "区"
    assert district_level("郾城区", "县") == "县"
    p = parse_project({"level": "县", "report": {"max_moe": 8}}, tmp_path / "commeval.yaml")
    assert p.report.level_of("某某") == "县" and p.report.max_moe == 8.0
    from commeval.project import ProjectError

    with pytest.raises(ProjectError, match="level"):
        parse_project({"level": "乡"}, tmp_path / "commeval.yaml")
    with pytest.raises(ProjectError, match="report.max_moe"):
        parse_project({"report": {"max_moe": -1}}, tmp_path / "commeval.yaml")


def test_batched_treatment_is_the_nominal_one_draw_by_draw():
    # Monte Carlo draws stack on a leading axis; each draw is treated as its own nominal
    rng = np.random.default_rng(5)
    dims = rng.uniform(20, 90, (4, 3, 2))
    dims[:, 0, 1] = np.nan
    w = rng.uniform(0.5, 1.5, (4, 2))
    for mode in ("renormalise", "neutral", "separate"):
        got = treat_not_applicable(dims, w, ["renormalise", mode])
        for i in range(4):
            one = treat_not_applicable(dims[i], w[i], ["renormalise", mode])
            assert got[i] == pytest.approx(one)
    # a dimension that applies nowhere stays out under every treatment
    none = DIMS.copy()
    none[:, 1] = np.nan
    for mode in ("renormalise", "neutral", "separate"):
        assert treat_not_applicable(none, [1.0, 1.0], ["renormalise", mode]) == pytest.approx(
            [80, 60]
        )


def _builders_tables() -> dict[str, pd.DataFrame]:
    """Four townships of four villages; only A and B build a new community (复耕 100 % and
    30 %). Target-normalised facilities (police share, share of centres ≥ 300 ㎡ against a
    50 % target, half each): A 87.5, B 87.5, C 100, D 62.5."""
    towns = ["A", "B", "C", "D"]
    police = {"A": [1, 1, 1, 0], "B": [1, 1, 1, 0], "C": [1, 1, 1, 1], "D": [1, 1, 1, 0]}
    centre = {"A": [300, 300, 0, 0], "B": [300, 300, 0, 0], "C": [300, 300, 0, 0],
              "D": [300, 0, 0, 0]}  # fmt: skip
    villages = pd.DataFrame(
        [
            {"year": 2012, "township": t, "village": f"{t}{i}", "population": 1000,
             "has_police_room": bool(police[t][i]), "service_center_m2": float(centre[t][i]),
             "funding_yuan": 1000.0}
            for t in towns
            for i in range(4)
        ]
    )  # fmt: skip
    townships = pd.DataFrame(
        {"township": towns, "population": 4000, "households": 1000, "has_culture_station": True}
    )
    communities = pd.DataFrame(
        {"year": 2012, "township": ["A", "B"], "community": ["甲社区", "乙社区"],
         "land_reclaim_target_mu": [200.0, 200.0], "land_reclaimed_mu": [200.0, 60.0]}
    )  # fmt: skip
    return {"townships": townships, "villages": villages, "communities": communities}


# by hand (facilities weight .6, community .4; the builders' mean community score (100+30)/2 = 65):
# renormalise A .6·87.5+.4·100 = 92.5, B .6·87.5+.4·30 = 64.5, C 100, D 62.5
# neutral     C .6·100+.4·65 = 86, D .6·62.5+.4·65 = 63.5 (A, B as above)
# separate    A 87.5, B 87.5, C 100, D 62.5
BY_HAND = {
    "renormalise": (
        {"A": 92.5, "B": 64.5, "C": 100.0, "D": 62.5},
        {"C": 1, "A": 2, "B": 3, "D": 4},
    ),
    "neutral": ({"A": 92.5, "B": 64.5, "C": 86.0, "D": 63.5}, {"A": 1, "C": 2, "B": 3, "D": 4}),
    "separate": ({"A": 87.5, "B": 87.5, "C": 100.0, "D": 62.5}, {"C": 1, "A": 2, "B": 2, "D": 4}),
}


def _evaluate(mode: str, method: str = "arithmetic", noise: float = 0.0, draws: int = 40):
    from commeval.index import evaluate, parse_framework

    doc = copy.deepcopy(mini_doc())
    doc["dimensions"]["community"]["not_applicable"] = mode
    settings = {
        "aggregation": {"method": method},
        "uncertainty": {"weight_noise": noise, "normalisations": ["target"],
                        "aggregations": [method], "survey_error": False},
    }  # fmt: skip
    fw = parse_framework(doc, "<test>")
    return evaluate(_builders_tables(), fw, mc_draws=draws, seed=7, settings=settings)


@pytest.mark.parametrize("mode", ["renormalise", "neutral", "separate"])
@pytest.mark.parametrize("method", ["arithmetic", "geometric"])
def test_noiseless_draws_are_the_nominal_score(mode, method):
    res = _evaluate(mode, method)
    s = res.scores.set_index("township")
    if method == "arithmetic":
        score, rank = BY_HAND[mode]
        assert s["score"].to_dict() == pytest.approx(score)
        assert s["rank"].to_dict() == rank
    # every draw's score is the nominal score under the same treatment, so the intervals
    # collapse onto the nominal score and rank
    d = res.draws.pivot(index="draw", columns="township", values="score")
    nominal = s["score"].reindex(d.columns).to_numpy()
    assert np.abs(d.to_numpy() - nominal).max() < 1e-4
    for col in ("rank_low", "rank_high", "rank_median"):
        assert (s[col] == s["rank"]).all(), col
    for col in ("score_low", "score_high"):
        assert s[col].to_numpy() == pytest.approx(s["score"].to_numpy(), abs=1e-4)


def test_noisy_draws_follow_the_treatment():
    # with weights perturbed ± 25 %, the townships whose nominal rank depends on the
    # treatment (A and C swap places) have median draw ranks that swap with them
    med = {}
    for mode in ("renormalise", "neutral"):
        s = _evaluate(mode, noise=0.25, draws=300).scores.set_index("township")
        assert s["rank_low"].lt(s["rank_high"]).any()  # the noise does move ranks
        med[mode] = s["rank_median"].to_dict()
        for t in ("A", "C"):
            assert med[mode][t] == BY_HAND[mode][1][t], (mode, t)
    assert med["renormalise"]["C"] < med["renormalise"]["A"]
    assert med["neutral"]["A"] < med["neutral"]["C"]


def test_scorecard_draws_leave_what_does_not_apply_out_as_the_nominal_does():
    # a scorecard with 以100分为基础分 and a 复耕 item (10 points, linear 50 → 100 %) that only A
    # has (75 % → 5 points). Nominal (tests/index/test_scorecard.py's hand computation plus this
    # item): A 100 − (88 − 77) + bonus 5 = 94; B 100 − (78 − 30⅚) = 52⅚; C 100 − (78 − 28) + 4
    # = 54 — B's and C's full marks leave the item out. Scored 0 instead, B and C would lose 10.
    from commeval.index import parse_framework, points
    from commeval.index.uncertainty import SurveyDraws
    from index.helpers import mini_tables
    from index.scorecard_helpers import points_doc

    doc = points_doc()
    doc["base_score"] = 100
    doc["dimensions"]["d2"]["indicators"]["reclaimed"] = {
        "label": "复耕完成率",
        "source": "100 * sum(communities.land_reclaimed_mu)"
        " / sum(communities.land_reclaim_target_mu)",
        "missing": "not_applicable",
        "scoring": {"points": 10, "rule": "linear", "full_at": 100, "zero_at": 50},
    }
    fw = parse_framework(doc)
    nom = points.nominal(mini_tables(), fw, 2012, None)
    nominal = points.nominal_total(fw, nom)
    assert nominal == pytest.approx([94, 52 + 5 / 6, 54])
    k = nom.columns.index("reclaimed")
    x = nom.raw["reclaimed"].to_numpy()  # A 75, B and C not applicable (NaN)
    assert np.isnan(x[1:]).all()
    # draws that reproduce the nominal values run the whole per-draw scoring: every draw's
    # total is the nominal total
    same = SurveyDraws(np.array([k]), 1, lambda u: np.broadcast_to(x[:, None], (len(u), 3, 1)))
    mc = points.monte_carlo_points(fw, nom, same, 30, 1, thresholds=False, sensitivity=False)
    assert np.abs(mc.scores - nominal).max() < 1e-9
    assert (mc.ranks == mc.ranks[0]).all()
    # a draw that moves A's value changes A only; B and C stay not applicable, not 0 points
    up = np.array([100.0, np.nan, np.nan])
    moved = SurveyDraws(np.array([k]), 1, lambda u: np.broadcast_to(up[:, None], (len(u), 3, 1)))
    mc = points.monte_carlo_points(fw, nom, moved, 30, 1, thresholds=False, sensitivity=False)
    assert mc.scores[0] == pytest.approx([99, 52 + 5 / 6, 54])


def test_rank_change_under_the_alternative_treatment_from_the_draws():
    from commeval.index.scenarios import not_applicable_rank_change, not_applicable_ranks

    ev = _evaluate("renormalise", noise=0.25, draws=200)
    out = not_applicable_rank_change(ev, "neutral").set_index("township")
    # the nominal ranks agree with the dimension-score arithmetic of not_applicable_ranks
    nom = not_applicable_ranks(ev)
    nom = nom[nom["treatment"] == "neutral"].set_index("township")["rank"]
    assert out["rank_neutral"].to_dict() == nom.to_dict() == BY_HAND["neutral"][1]
    assert out["rank_used"].to_dict() == BY_HAND["renormalise"][1]
    # A and C swap places in most draws (nominal margins 7.5 and 6.5 points), A moving up
    assert out.loc["A", "p_better"] > 0.8 and out.loc["C", "p_worse"] > 0.8
    # the same treatment again: common random numbers, every draw's rank is the same
    same = not_applicable_rank_change(ev, "renormalise")
    assert (same["p_differs"] == 0).all()
    with pytest.raises(ValueError, match="treatment"):
        not_applicable_rank_change(ev, "ignore")
