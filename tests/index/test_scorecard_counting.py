"""Counting rules (rule: units), a base score (base_score: 以100分为基础分) and yes/no
questionnaire items as scorable indicators — every figure hand-computed (mini district: A has
villages a1, a2 with police rooms and 320 / 100 m²; B: b1 police, 0 m², b2 none, 80 m²; C: c1
none, 300 m²)."""

from __future__ import annotations

import numpy as np
import pytest

from commeval.index import FrameworkError, evaluate, parse_framework
from commeval.index.scorecard import parse_rule, rule_points
from index.helpers import mini_tables


def rule(spec: dict):
    return parse_rule("t.yaml", "scoring", spec)


def test_per_unit_deduction_floor_and_no_floor():
    r = rule({"points": 10, "rule": "units", "deduct": 1})  # 每户扣1分，扣完为止
    assert rule_points(r, np.array([0, 3, 12, np.nan]), cost=True).tolist() == [10, 7, 0, 0]
    r = rule({"points": 10, "rule": "units", "deduct": 1, "floor": False})  # 不设下限
    assert rule_points(r, np.array([0, 3, 12]), cost=True).tolist() == [10, 7, -2]
    r = rule({"points": 10, "rule": "units", "deduct": 0.5, "per": 2})  # 每2处扣0.5分
    assert rule_points(r, np.array([0, 3, 8]), cost=True).tolist() == [10, 9.25, 8]


def test_deduction_and_bonus_around_a_level_with_a_cap():
    # 以目标数为准，每少1个扣5分，每增1个加2分，累计加分不超过20分 (value = 实际 − 目标)
    r = rule({"points": 30, "rule": "units", "deduct": 5, "add": 2, "max_add": 20})
    assert rule_points(r, np.array([-2, 0, 3, 15, -7])).tolist() == [20, 30, 36, 50, 0]
    # the same around a level of 8 (from: 8)
    r = rule({"points": 30, "rule": "units", "from": 8, "deduct": 5, "add": 2, "max_add": 20})
    assert rule_points(r, np.array([6, 8, 11])).tolist() == [20, 30, 36]


def test_bonus_per_unit_capped_by_its_points_or_uncapped():
    r = rule({"points": 3, "rule": "units", "add": 1})  # 每个加1分，最多加3分 (分值 +3)
    assert r.base_points == 0 and r.upper == 3
    assert rule_points(r, np.array([0, 2, 5])).tolist() == [0, 2, 3]
    r = rule({"points": 2, "rule": "units", "add": 2, "uncapped": True})  # 上不封顶
    assert rule_points(r, np.array([0, 20])).tolist() == [0, 40]


def test_units_rule_validation():
    with pytest.raises(FrameworkError, match="needs deduct"):
        rule({"points": 3, "rule": "units"})
    with pytest.raises(FrameworkError, match="conflicts with max_add"):
        rule({"points": 3, "rule": "units", "add": 1, "max_add": 2, "uncapped": True})
    with pytest.raises(FrameworkError, match="is not a key of rule units"):
        rule({"points": 3, "rule": "units", "add": 1, "tiers": [[1, 1]]})
    spec = {"points": 30, "rule": "units", "from": 8, "deduct": 5, "add": 2, "max_add": 20}
    assert rule(spec).to_dict() == spec  # canonical mapping round trip


def base_score_doc() -> dict:
    return {
        "version": "t-base",
        "scoring": "points",
        "base_score": 100,
        "grades": {"优秀": 95, "良好": 80, "合格": 60, "不合格": 0},
        "dimensions": {
            "d1": {
                "label": "设施",
                "indicators": {
                    "no_police": {
                        "label": "无警务室的村",
                        "unit": "个",
                        "direction": "cost",
                        "source": "count(not has_police_room)",
                        "scoring": {"points": 1, "rule": "units", "deduct": 2, "floor": False},
                    },
                    "center": {
                        "source": "mean(service_center_m2)",
                        "scoring": {"points": 20, "rule": "tiers", "tiers": [[300, 20], [200, 10]]},
                    },
                },
            },
            "bonus": {
                "label": "加分项",
                "indicators": {
                    "police_villages": {
                        "source": "count(has_police_room)",
                        "bonus": True,
                        "scoring": {"points": 2, "rule": "units", "add": 3, "uncapped": True},
                    }
                },
            },
        },
    }


def test_base_score_with_uncapped_deductions_and_bonus():
    ev = evaluate(mini_tables(), parse_framework(base_score_doc()), 2012, mc_draws=0)
    sc = ev.scores.set_index("township")
    ind = ev.indicators.set_index(["township", "indicator"])["points"]
    # no_police: A 0 villages → 1; B, C 1 village → 1 − 2 = −1 (no floor)
    assert [ind[(t, "no_police")] for t in "ABC"] == [1, -1, -1]
    # center: A mean 210 → 10; B 40 → 0; C 300 → 20
    assert [ind[(t, "center")] for t in "ABC"] == [10, 0, 20]
    # bonus: 3 per village with a police room, uncapped, no bonus_cap: A 6, B 3, C 0
    assert sc["bonus_points"].to_dict() == {"A": 6, "B": 3, "C": 0}
    # base = 100 − (1 − p1) − (20 − p2): A 90, B 78, C 98
    assert sc["base_points"].to_dict() == {"A": 90, "B": 78, "C": 98}
    assert sc["points"].to_dict() == {"A": 96, "B": 81, "C": 98}
    assert sc["max_points"].tolist() == [100, 100, 100]
    assert sc["grade"].to_dict() == {"A": "优秀", "B": "良好", "C": "优秀"}
    assert ev.settings["base_score"] == 100
    assert ind.index.size == 9
    reason = ev.indicators.set_index(["township", "indicator"]).loc[("B", "no_police"), "reason"]
    assert reason == "1个，每1个扣2分，得-1分"


def test_yes_no_questionnaire_share_is_a_scorable_indicator(district):
    doc = {
        "version": "t-yesno",
        "scoring": "points",
        "grades": {"好": 15, "中": 8, "差": 0},
        "dimensions": {
            "awareness": {
                "label": "群众知晓",
                "indicators": {
                    "knows": {
                        "label": "群众知晓率",
                        "unit": "%",
                        "source": "100 * survey(knows_programme)",
                        "scoring": {"points": 10, "rule": "tiers", "tiers": [[60, 10], [55, 6]]},
                    },
                    "sat": {
                        "source": "survey(sat_overall)",
                        "scoring": {"points": 10, "rule": "linear", "full_at": 5, "zero_at": 1},
                    },
                },
            }
        },
    }
    fw = parse_framework(doc)
    ev = evaluate(district, fw, 2012, mc_draws=40, seed=3)
    s = district["survey"]
    s = s[s["year"] == 2012]
    share = s.groupby("township").apply(
        lambda g: 100 * (g["weight"] * g["knows_programme"]).sum() / g["weight"].sum(),
        include_groups=False,
    )
    ind = ev.indicators[ev.indicators["indicator"] == "knows"].set_index("township")
    assert ind["value"].to_dict() == pytest.approx(share.to_dict())
    expect = np.where(share >= 60, 10, np.where(share >= 55, 6, 0))
    assert ind.loc[share.index, "points"].tolist() == expect.tolist()
    # the share's sampling error enters the Monte Carlo: survey is an assumption
    assert "survey" in set(ev.sensitivity["assumption"])
    assert ev.settings["survey"] == "survey engine (design-weighted)"


def test_unknown_survey_item_message_is_chinese_with_a_hint():
    doc = base_score_doc()
    doc["dimensions"]["d1"]["indicators"]["center"]["source"] = "survey(no_such_item)"
    with pytest.raises(FrameworkError, match="问卷中没有题目 'no_such_item'") as exc:
        parse_framework(doc)
    assert "kind: yesno" in str(exc.value)


def test_yes_no_share_draws_stay_shares(district):
    """The Monte Carlo draws a yes/no share around its estimate on [0, 1] (not clipped to the
    Likert range 1–5, which would give every township full points in every draw)."""
    doc = {
        "version": "t-yesno-mc",
        "scoring": "points",
        "grades": {"好": 8, "差": 0},
        "dimensions": {"a": {"label": "知晓", "indicators": {"knows": {
            "source": "100 * survey(knows_programme)",
            "scoring": {"points": 10, "rule": "linear", "full_at": 100, "zero_at": 0},
        }}}},
    }  # fmt: skip
    ev = evaluate(district, parse_framework(doc), 2012, mc_draws=200, seed=4)
    sc = ev.scores.set_index("township")
    assert sc["points"].max() < 8  # shares around 55–62 % → 5.5–6.2 points
    assert sc["rank_high"].max() > 1  # the draws move the ranks
    assert (sc["rank_low"] <= sc["rank"]).all() and (sc["rank"] <= sc["rank_high"]).all()


def test_yes_no_share_and_se_match_r_survey():
    """The share answering 是 per township and its design-based SE, as R survey's
    svyby(~knows_programme, ~township, svymean) on the year design (lonely PSU "adjust");
    fixtures/make_yesno_share.py writes the data, fixtures/make_yesno_share.R the reference."""
    import pandas as pd

    from commeval.index.satisfaction import survey_indicators

    here = __import__("pathlib").Path(__file__).parent / "fixtures"
    d = pd.read_csv(here / "yesno_share.csv")
    d["knows_programme"] = d["knows_programme"].astype(bool)
    ref = pd.read_csv(here / "yesno_share_r.csv").set_index("township")
    est = survey_indicators(d, ["knows_programme"]).set_index("township")
    assert est.loc[ref.index, "estimate"].to_numpy() == pytest.approx(ref["estimate"], rel=1e-9)
    assert est.loc[ref.index, "se"].to_numpy() == pytest.approx(ref["se"], rel=1e-7, abs=1e-12)
