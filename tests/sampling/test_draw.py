"""The two-stage draw: reproducible, recorded, probabilities and weights consistent, reserves;
design effects from a survey design."""

import numpy as np
import pandas as pd
import pytest

from commeval.sampling import design_effects, draw, inclusion_probabilities
from commeval.survey import SurveyDesign


@pytest.fixture
def frame():
    rng = np.random.default_rng(3)
    towns = np.repeat(["甲镇", "乙乡", "丙镇"], [12, 9, 15])
    return pd.DataFrame(
        {
            "township": towns,
            "village": [f"村{i:02d}" for i in range(len(towns))],
            "households": rng.integers(150, 1200, len(towns)),
        }
    )


@pytest.mark.parametrize("method", ["systematic", "brewer", "srs"])
def test_draw_is_seeded_recorded_and_weighted(frame, method):
    a = draw(frame, villages={"甲镇": 4, "乙乡": 3, "丙镇": 5}, households=10, method=method,
             reserves=3, seed=42)  # fmt: skip
    b = draw(frame, villages={"甲镇": 4, "乙乡": 3, "丙镇": 5}, households=10, method=method,
             reserves=3, seed=42)  # fmt: skip
    c = draw(frame, villages={"甲镇": 4, "乙乡": 3, "丙镇": 5}, households=10, method=method,
             reserves=3, seed=43)  # fmt: skip
    pd.testing.assert_frame_equal(a.design(), b.design())
    assert not a.design().equals(c.design())
    assert a.record["seed"] == 42 and a.record["village_method"] == method
    assert a.record["villages"] == {"甲镇": 4, "乙乡": 3, "丙镇": 5}
    v = a.villages
    assert v.groupby("township", sort=False)["selected"].sum().tolist() == [4, 3, 5]
    d = a.design()
    sample = d[d["reserve"] == 0]
    assert len(sample) == 12 * 10 and (d["reserve"] > 0).sum() == 12 * 3
    assert not d.duplicated(["township", "village", "household_no"]).any()
    # weight = 1 / (pi_village * n / M); the expected weighted count is the frame's households
    hh = frame.set_index("village")["households"]
    np.testing.assert_allclose(sample["household_prob"], 10 / hh[sample["village"]].to_numpy())
    np.testing.assert_allclose(
        sample["weight"], 1 / (sample["village_prob"] * sample["household_prob"])
    )
    if method != "srs":
        for t, g in frame.groupby("township", sort=False):
            pik = inclusion_probabilities(g["households"], a.record["villages"][t])
            got = v[v["township"] == t]["village_prob"].to_numpy()
            np.testing.assert_allclose(got, pik)


def test_expected_weighted_total_is_the_frame_total(frame):
    """Unbiasedness of the design weights over repeated draws (Monte Carlo)."""
    totals = []
    for seed in range(200):
        d = draw(frame, villages=3, households=5, seed=seed).design()
        totals.append(d.loc[d["reserve"] == 0, "weight"].sum())
    totals = np.array(totals)
    se = totals.std(ddof=1) / np.sqrt(len(totals))
    assert abs(totals.mean() - frame["households"].sum()) < 4 * se


def test_household_lists_and_bad_sizes(frame):
    lists = pd.DataFrame(
        [(r.township, r.village, f"H{r.village}-{k}") for r in frame.itertuples()
         for k in range(int(r.households))],
        columns=["township", "village", "household_no"],
    )  # fmt: skip
    d = draw(frame, villages=2, households=4, household_lists=lists, seed=1).design()
    assert d["household_no"].str.startswith("H").all()
    with pytest.raises(ValueError, match="不能抽"):
        draw(frame, villages=20, households=4)


def test_rho_from_last_years_survey_agrees_with_anova():
    """Intra-village correlation from the survey engine's deff vs the one-way ANOVA estimator
    (a second implementation) on clustered data with equal weights."""
    rng = np.random.default_rng(11)
    k, m = 120, 15
    u = np.repeat(rng.normal(0, 0.6, k), m)
    y = (u + rng.normal(0, 1, k * m) > 0.3).astype(float)
    df = pd.DataFrame({"y": y, "psu": np.repeat(np.arange(k), m), "w": 50.0})
    de = design_effects(SurveyDesign(df, weights="w", psu="psu"), "y").iloc[0]
    g = df.groupby("psu")["y"]
    msb = m * ((g.mean() - y.mean()) ** 2).sum() / (k - 1)
    msw = ((y - g.transform("mean")) ** 2).sum() / (k * (m - 1))
    rho_anova = (msb - msw) / (msb + (m - 1) * msw)
    assert de["deff_kish"] == pytest.approx(1.0)
    assert de["rho"] == pytest.approx(rho_anova, abs=0.01)
