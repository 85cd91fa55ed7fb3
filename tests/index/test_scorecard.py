"""Scorecards (scoring: points): every rule type, bonus cap, veto and grades, hand-computed on
the mini district (A: a1 police, 320 m²; a2 police, 100 m² — B: b1 police, 0 m²; b2 none,
80 m² — C: c1 none, 300 m²; culture station A, C; funding per head A 13.33, B 5, C 0)."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from commeval.index import FrameworkError, evaluate, parse_framework
from commeval.index.scorecard import Rule, parse_rule, rule_points, total_points
from index.helpers import mini_tables
from index.scorecard_helpers import points_doc


def rule(spec: dict) -> Rule:
    return parse_rule("t.yaml", "scoring", spec)


def test_tiers_highest_threshold_reached():
    r = rule({"points": 20, "rule": "tiers", "tiers": [[100, 20], [80, 15], [60, 10]]})
    v = np.array([100, 99.9, 80, 79, 60, 59.99, np.nan])
    assert rule_points(r, v).tolist() == [20, 15, 15, 10, 10, 0, 0]


def test_tiers_cost_direction():
    r = rule({"points": 10, "rule": "tiers", "tiers": [[5, 10], [10, 6], [20, 2]]})
    v = np.array([0, 5, 5.1, 10, 19, 20, 21])
    assert rule_points(r, v, cost=True).tolist() == [10, 10, 6, 6, 2, 2, 0]


def test_linear():
    r = rule({"points": 30, "rule": "linear", "full_at": 100, "zero_at": 50})
    assert rule_points(r, np.array([100, 120, 75, 50, 10])).tolist() == [30, 30, 15, 0, 0]
    c = rule({"points": 10, "rule": "linear", "full_at": 0, "zero_at": 20})  # lower is better
    assert rule_points(c, np.array([0, 5, 20, 30])).tolist() == [10, 7.5, 0, 0]


def test_yesno_and_when():
    r = rule({"points": 10, "rule": "yesno"})
    assert rule_points(r, np.array([1, 0, 2, np.nan])).tolist() == [10, 0, 10, 0]
    w = rule({"points": 5, "rule": "yesno", "when": "x >= 50"})
    assert w.when.text == "x >= 50"
    assert rule_points(w, np.array([0, 0]), when=np.array([1.0, 0.0])).tolist() == [5, 0]


def test_deduct_and_whole_units():
    r = rule({"points": 40, "rule": "deduct", "from": 100, "per": 1, "deduct": 2})
    assert rule_points(r, np.array([100, 101, 97.5, 80, 0])).tolist() == [40, 40, 35, 0, 0]
    w = rule({"points": 40, "rule": "deduct", "from": 100, "per": 1, "deduct": 2,
              "whole_units": True})  # fmt: skip
    assert rule_points(w, np.array([97.5, 99.99, 99])).tolist() == [36, 40, 38]
    # cost: deduct per unit above from
    c = rule({"points": 10, "rule": "deduct", "from": 2, "per": 1, "deduct": 5})
    assert rule_points(c, np.array([1, 2, 3, 5]), cost=True).tolist() == [10, 10, 5, 0]


def test_threshold_shift():
    r = rule({"points": 20, "rule": "tiers", "tiers": [[100, 20], [80, 15], [60, 10]]})
    assert r.threshold_step() == 20
    v = np.array([80.0])
    assert rule_points(r, v, shift=np.array([[-20], [0], [20]])).ravel().tolist() == [20, 15, 10]
    d = rule({"points": 40, "rule": "deduct", "from": 100, "per": 1, "deduct": 2})
    assert d.threshold_step() == 1


def test_bonus_cap_total():
    t = total_points(np.array([[50, 30, 4, 3], [50, np.nan, 0, 1]]), np.array([60, 40, 4, 3]),
                     np.array([False, False, True, True]), 5)  # fmt: skip
    assert t["base"].tolist() == [80, 50]
    assert t["max"].tolist() == [100, 60]
    assert t["bonus"].tolist() == [5, 1]
    assert t["total"].tolist() == [85, 51]


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"points": 5, "rule": "steps"}, "scoring.rule"),
        ({"rule": "yesno"}, "scoring.points"),
        ({"points": 5, "rule": "tiers"}, "scoring.tiers"),
        ({"points": 5, "rule": "linear", "full_at": 1, "zero_at": 1}, "scoring.zero_at"),
        ({"points": 5, "rule": "deduct", "from": 100}, "scoring.deduct"),
        ({"points": 5, "rule": "yesno", "full_at": 1}, "scoring.full_at"),
        ({"points": 5, "rule": "yesno", "when": "import os"}, "scoring.when"),
        ({"points": 5, "rule": "tiers", "tiers": [[1, 2]], "per": "town"}, "scoring.per"),
        (
            {"points": 5, "rule": "deduct", "from": 1, "deduct": 1, "whole_units": "yes"},
            "scoring.whole_units",
        ),
    ],
)
def test_rule_errors_name_the_key(spec, key):
    with pytest.raises(FrameworkError) as e:
        rule(spec)
    assert e.value.key == key


def test_framework_errors():
    doc = points_doc()
    doc["veto"][0]["grade"] = "很差"
    with pytest.raises(FrameworkError, match="veto\\[0\\].grade"):
        parse_framework(doc)
    doc = points_doc()
    doc["veto"][0]["when"] = "nothere < 1"
    with pytest.raises(FrameworkError, match="unknown indicator 'nothere'"):
        parse_framework(doc)
    doc = points_doc()
    del doc["dimensions"]["d1"]["indicators"]["police"]["scoring"]
    with pytest.raises(FrameworkError, match="d1.indicators.police.scoring"):
        parse_framework(doc)
    doc = points_doc()
    doc.pop("scoring")
    with pytest.raises(FrameworkError, match="bonus_cap"):
        parse_framework(doc)


def test_framework_parses_points():
    fw = parse_framework(points_doc())
    assert fw.points and fw.bonus_cap == 5
    assert fw.indicators["culture"].label == "culture"
    assert fw.indicators["no_police"].target == 0
    assert fw.indicators["police"].target == 100
    assert fw.veto[0].grade == "不合格"


EXPECTED = {  # township: item points, hand-computed (module docstring)
    "A": {"police": 20, "center": 7, "culture": 10, "police_half": 5, "funding": 10,
          "funding_whole": 10, "no_police": 5, "center_village": 3, "center_full": 2,
          "bonus_police": 3, "bonus_culture": 4},
    "B": {"police": 10, "center": 40 / 30, "culture": 0, "police_half": 5, "funding": 5.5,
          "funding_whole": 7, "no_police": 2, "center_village": 0, "center_full": 0,
          "bonus_police": 0, "bonus_culture": 0},
    "C": {"police": 0, "center": 10, "culture": 10, "police_half": 0, "funding": 0,
          "funding_whole": 0, "no_police": 0, "center_village": 4, "center_full": 4,
          "bonus_police": 0, "bonus_culture": 4},
}  # fmt: skip


@pytest.fixture(scope="module")
def ev():
    return evaluate(mini_tables(), parse_framework(points_doc()), 2012, mc_draws=0)


def test_item_points_hand_computed(ev):
    ind = ev.indicators.set_index(["township", "indicator"])
    for town, items in EXPECTED.items():
        for item, p in items.items():
            assert ind.loc[(town, item), "points"] == pytest.approx(p), (town, item)


def test_totals_bonus_cap_veto_grades_ranks(ev):
    sc = ev.scores.set_index("township")
    assert sc["base_points"].to_dict() == pytest.approx({"A": 72, "B": 30 + 5 / 6, "C": 28})
    assert sc["bonus_points"].to_dict() == {"A": 5, "B": 0, "C": 4}  # A: 3 + 4 capped at 5
    assert sc["points"].to_dict() == pytest.approx({"A": 77, "B": 30 + 5 / 6, "C": 32})
    assert (sc["score"] == sc["points"]).all()
    assert sc["max_points"].tolist() == [78, 78, 78]
    assert sc["grade_before_veto"].to_dict() == {"A": "优秀", "B": "合格", "C": "合格"}
    assert sc["grade"].to_dict() == {"A": "优秀", "B": "合格", "C": "不合格"}
    assert sc.loc["C", "veto"].startswith("警务室覆盖不足四成（police < 40；村村有警务室 = 0%")
    assert sc.loc["A", "veto"] == "" and sc.loc["B", "veto"] == ""
    assert sc["rank"].to_dict() == {"A": 1, "C": 2, "B": 3}  # ranks on points, veto aside


def test_reasons_and_dimensions(ev):
    ind = ev.indicators.set_index(["township", "indicator"])
    assert ind.loc[("A", "police"), "reason"] == ""
    assert ind.loc[("B", "police"), "reason"] == "50%未达80%（该档15分），得10分"
    assert ind.loc[("B", "funding"), "reason"] == "5元/人，比8元/人低3，每低2扣3分，得5.5分"
    assert ind.loc[("B", "center_village"), "reason"] == "2/2 个村未得满分：b1、b2"
    assert ind.loc[("C", "culture"), "reason"] == ""
    assert ind.loc[("B", "culture"), "reason"] == "未达到（无），不得分"
    dims = ev.dimensions.set_index(["township", "dimension"])
    assert dims.loc[("A", "d1"), "score"] == pytest.approx(42)
    assert dims.loc[("A", "d1"), "max_points"] == 45
    assert dims.loc[("A", "bonus"), "max_points"] == 0


def test_not_applicable_item_leaves_the_maximum():
    doc = points_doc()
    doc["dimensions"]["d2"]["indicators"]["reclaimed"] = {
        "label": "复耕完成率",
        "source": "100 * sum(communities.land_reclaimed_mu) / sum(communities.land_reclaim_target_mu)",
        "missing": "not_applicable",
        "scoring": {"points": 10, "rule": "linear", "full_at": 100, "zero_at": 50},
    }
    ev = evaluate(mini_tables(), parse_framework(doc), 2012, mc_draws=0)
    sc = ev.scores.set_index("township")
    assert sc["max_points"].to_dict() == {"A": 88, "B": 78, "C": 78}
    assert sc.loc["A", "base_points"] == pytest.approx(72 + 5)  # 75 % → 5 of 10


def test_monte_carlo_rank_intervals_and_item_sensitivity():
    fw = parse_framework(points_doc())
    ev = evaluate(mini_tables(), fw, 2012, mc_draws=200, seed=1)
    sc = ev.scores.set_index("township")
    assert (sc["rank_low"] <= sc["rank"]).all() and (sc["rank"] <= sc["rank_high"]).all()
    assumptions = set(ev.sensitivity["assumption"])
    assert "threshold:police" in assumptions and "threshold:culture" not in assumptions
    assert ev.settings["uncertainty"]["steps"]["police"] == 20
    again = evaluate(mini_tables(), fw, 2012, mc_draws=200, seed=1)
    assert again.scores.equals(ev.scores)
    assert pickle.loads(pickle.dumps(ev)).scores.equals(ev.scores)
    assert "scorecard" in repr(ev)
    off = ev.regen(uncertainty={"thresholds": False})
    assert off.sensitivity.empty and (off.scores["rank_low"] == off.scores["rank"]).all()


def test_composite_framework_rejects_scoring_keys(doc):
    d = copy.deepcopy(doc)
    d["dimensions"]["facilities"]["indicators"]["police"]["scoring"] = {
        "points": 1,
        "rule": "yesno",
    }
    with pytest.raises(FrameworkError, match="only for scoring: points"):
        parse_framework(d)
