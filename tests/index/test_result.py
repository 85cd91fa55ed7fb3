"""One result protocol for both scoring schemes (issue 21 item 5): a composite evaluation and a
points scorecard answer totals, items, dimension scores and last year's figures in the same
columns, so composition and notebooks never ask ``framework.points``."""

from __future__ import annotations

import pandas as pd
import pytest

from commeval.index import evaluate, parse_framework
from commeval.index.result import (
    DIMENSION_COLUMNS,
    ITEM_COLUMNS,
    TOTALS_COLUMNS,
    EvaluationResult,
)
from index.helpers import mini_tables
from index.scorecard_helpers import points_doc


@pytest.fixture(scope="module")
def both(district):
    comp = evaluate(district, mc_draws=20, seed=3)
    pts = evaluate(mini_tables(), parse_framework(points_doc()), 2012, mc_draws=0)
    return comp, pts


def test_both_schemes_satisfy_the_protocol(both):
    comp, pts = both
    for ev in both:
        assert isinstance(ev, EvaluationResult)
        assert tuple(ev.totals().columns) == TOTALS_COLUMNS
        assert tuple(ev.items().columns) == (*ITEM_COLUMNS, "change")
        assert tuple(ev.dimension_scores().columns) == DIMENSION_COLUMNS
    assert (comp.scheme.name, comp.scheme.itemised) == ("composite", False)
    assert (pts.scheme.name, pts.scheme.itemised) == ("points", True)
    assert pts.scheme.items_title == "考核评分" and comp.scheme.items_title == "指标达标情况"


def test_composite_totals_are_the_scores_out_of_100(both):
    comp, _ = both
    t = comp.totals().set_index("township")
    sc = comp.scores.set_index("township")
    assert (t["score"] == sc["score"]).all() and (t["base"] == sc["score"]).all()
    assert (t["max_score"] == 100).all() and (t["bonus"] == 0).all()
    assert (t["veto"] == "").all() and (t["grade_before_veto"] == t["grade"]).all()
    assert (t["rank_low"] == sc["rank_low"]).all() and (t["rank_high"] == sc["rank_high"]).all()


def test_scorecard_totals_hand_computed(both):
    """The hand-computed totals of tests/index/test_scorecard.py, through the protocol."""
    _, pts = both
    t = pts.totals().set_index("township")
    assert t["score"].to_dict() == pytest.approx({"A": 77, "B": 30 + 5 / 6, "C": 32})
    assert t["base"].to_dict() == pytest.approx({"A": 72, "B": 30 + 5 / 6, "C": 28})
    assert t["bonus"].to_dict() == {"A": 5, "B": 0, "C": 4}
    assert t["max_score"].tolist() == [78, 78, 78]
    assert t.loc["C", "grade"] == "不合格" and t.loc["C", "grade_before_veto"] == "合格"
    assert t.loc["C", "veto"].startswith("警务室覆盖不足四成")


def test_item_contributions_and_reasons(both):
    comp, pts = both
    it = pts.items("B").set_index("indicator")
    assert it.loc["funding", "earned"] == pytest.approx(5.5) and it.loc["funding", "max"] == 10
    assert it.loc["funding", "reason"] == "5元/人，比8元/人低3，每低2扣3分，得5.5分"
    assert bool(it.loc["bonus_police", "bonus"])
    town = comp.scores["township"].iloc[0]
    ci = comp.items(town)
    ind = comp.indicators[comp.indicators["township"] == town].reset_index(drop=True)
    assert ci["earned"].equals(ind["normalised"]) and (ci["max"] == 100).all()
    assert (ci["reason"] == "").all() and not ci["bonus"].any()
    ch = comp.change[(comp.change["township"] == town) & (comp.change["kind"] == "indicator")]
    got = ci.set_index("indicator")["change"]
    for r in ch.itertuples():
        assert got[r.measure] == pytest.approx(r.change, nan_ok=True)


def test_dimension_scores_and_previous(both):
    comp, pts = both
    d = pts.dimension_scores("A").set_index("dimension")
    assert d.loc["d1", "score"] == pytest.approx(42) and d.loc["d1", "max_score"] == 45
    cd = comp.dimension_scores()
    mean = comp.dimensions.groupby("dimension")["score"].mean()
    for r in cd.itertuples():
        assert r.district_mean == pytest.approx(mean[r.dimension])
    town = comp.scores["township"].iloc[0]
    ch = comp.change[comp.change["township"] == town].set_index("measure")
    score, rank = comp.previous(town)
    assert score == pytest.approx(ch.loc["score", "previous"])
    assert rank == int(ch.loc["rank", "previous"])
    assert pts.previous("A") == (None, None)  # the mini district has one year
    assert isinstance(comp.totals(), pd.DataFrame)
