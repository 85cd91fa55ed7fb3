"""Index uncertainty a researcher can use: the interval level as a setting, score intervals,
the draws as a tidy frame, the probability that a rank differs between two settings, and a
note when ranks are multimodal under the normalisation switch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.index import evaluate
from commeval.index import scenarios as sc
from commeval.index.evaluation import SettingsError


@pytest.fixture(scope="module")
def ev(district):
    return evaluate(district, mc_draws=120, seed=7, sensitivity=False)


def test_draws_are_a_tidy_frame_that_gives_the_intervals(ev):
    dr = ev.draws
    assert list(dr.columns) == ["draw", "township", "score", "rank"]
    T = len(ev.scores)
    assert len(dr) == 120 * T and dr["draw"].nunique() == 120
    # the intervals are the central 90 % of the draws, computed here by hand
    for _, row in ev.scores.iterrows():
        ranks = np.sort(dr.loc[dr["township"] == row["township"], "rank"].to_numpy())
        scores = dr.loc[dr["township"] == row["township"], "score"].to_numpy()
        # inverted CDF: the smallest rank with at least 5 % (95 %) of the draws at or below it
        assert row["rank_low"] == ranks[int(np.ceil(0.05 * 120)) - 1]
        assert row["rank_high"] == ranks[int(np.ceil(0.95 * 120)) - 1]
        assert row["score_low"] == pytest.approx(np.quantile(scores, 0.05))
        assert row["score_high"] == pytest.approx(np.quantile(scores, 0.95))
        assert row["score_low"] <= row["score_median"] <= row["score_high"]
    assert ev.settings["uncertainty"]["level"] == 0.90


def test_level_is_a_setting(district, ev):
    wide = evaluate(district, mc_draws=120, seed=7, sensitivity=False, level=0.99)
    same = evaluate(
        district, mc_draws=120, seed=7, sensitivity=False, settings={"uncertainty": {"level": 0.99}}
    )
    assert wide.settings["uncertainty"]["level"] == 0.99
    pd.testing.assert_frame_equal(wide.scores, same.scores)
    pd.testing.assert_frame_equal(wide.draws, ev.draws)  # the same draws, wider intervals
    assert (wide.scores["score_high"] - wide.scores["score_low"] >= (
        ev.scores["score_high"] - ev.scores["score_low"]) - 1e-12).all()  # fmt: skip
    with pytest.raises(SettingsError, match="level"):
        evaluate(district, mc_draws=0, level=1.5)
    table = sc.rank_interval_table(wide)
    assert {"score_low", "score_high", "rank_low", "rank_high"} <= set(table.columns)


def test_scores_sorted_by_rank(ev):
    assert ev.scores["rank"].is_monotonic_increasing


def test_rank_change_probability_by_hand(district, ev):
    other = ev.regen(dimension_weights={d: 1.0 for d in ev.settings["dimension_weights"]})
    p = sc.rank_change_probability(ev, other, labels=("base", "equal"))
    assert list(p.columns) == [
        "township", "rank_base", "rank_equal", "p_differs", "p_better", "p_worse", "mean_shift",
    ]  # fmt: skip
    a = ev.draws.pivot(index="draw", columns="township", values="rank")
    b = other.draws.pivot(index="draw", columns="township", values="rank")
    for _, row in p.iterrows():
        t = row["township"]
        assert row["p_differs"] == pytest.approx(np.mean(a[t] != b[t]))
        assert row["p_better"] == pytest.approx(np.mean(a[t] > b[t]))
        assert row["p_better"] + row["p_worse"] == pytest.approx(row["p_differs"])
    assert p["p_differs"].max() > 0  # equal dimension weights move someone in some draw
    # a setting against itself never differs
    same = sc.rank_change_probability(ev, ev.regen())
    assert (same["p_differs"] == 0).all()
    with pytest.raises(ValueError, match="mc_draws"):
        sc.rank_change_probability(ev, ev.regen(mc_draws=0))
    via = sc.settings_rank_change(ev, {"dimension_weights": dict.fromkeys(
        ev.settings["dimension_weights"], 1.0)})  # fmt: skip
    assert np.allclose(via["p_differs"], p["p_differs"])


def test_note_when_ranks_are_multimodal_under_the_normalisation_switch(district, ev):
    """A note exactly where a township's median rank under target and under min–max
    normalisation (from the draws) differ by two places or more."""
    both = evaluate(district, mc_draws=200, seed=3, sensitivity=False)
    t_only = both.regen(uncertainty={"normalisations": ["target"]}, mc_draws=200)
    m_only = both.regen(
        normalisation="minmax", uncertainty={"normalisations": ["minmax"]}, mc_draws=200
    )
    med_t = t_only.draws.groupby("township")["rank"].median()
    med_m = m_only.draws.groupby("township")["rank"].median()
    apart = set(med_t.index[(med_t - med_m).abs() >= 3])
    noted = {n.split("：", 1)[0] for n in both.notes}
    assert apart <= noted  # clearly split townships are all noted (the sample may have none:
    # the rule itself is checked on hand-made draws below)
    assert not set(med_t.index[(med_t - med_m).abs() == 0]) & noted  # unmoved: no note
    assert not t_only.notes and not m_only.notes  # no switch, no note
    assert all("多峰" in n for n in both.notes)
    if both.notes:
        assert "note:" in repr(both)


def test_multimodal_notes_on_hand_made_draws():
    """Township B ranks 1 under target and 4 under min–max normalisation (100 draws each):
    noted, with both medians; A and C move by one place at most: not noted; one normalisation
    only: no note."""
    from commeval.index.uncertainty import multimodal_notes

    choice = np.repeat([0, 1], 100)
    ranks = np.empty((200, 3))
    ranks[:100] = [2, 1, 3]
    ranks[100:] = [1, 4, 2]
    notes = multimodal_notes(
        ranks, choice, ("target", "minmax"), ["A", "B", "C"], np.array([2, 1, 3])
    )
    assert len(notes) == 1 and notes[0].startswith("B：名义第 1 名")
    assert "下中位 1" in notes[0] and "下中位 4" in notes[0] and "多峰" in notes[0]
    assert multimodal_notes(ranks, None, ("target",), ["A", "B", "C"], np.array([2, 1, 3])) == []
