"""Township survey indicators: design-weighted means and top-2-box shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.index.satisfaction import survey_indicators


def small_survey(seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 240
    town = np.repeat(["A", "B"], n // 2)
    psu = np.array([f"{t}{i // 20}" for t, i in zip(town, np.tile(np.arange(n // 2), 2))])
    sat = rng.integers(1, 6, n)
    sat[rng.random(n) < 0.1] = 9  # 说不清
    return pd.DataFrame(
        {
            "year": 2012,
            "township": town,
            "stratum": town,
            "psu": psu,
            "fpc": 50,
            "weight": rng.uniform(50, 150, n),
            "sat_overall": sat,
        }
    )


def test_means_and_top2_exclude_dont_know():
    df = small_survey()
    out = survey_indicators(df, ["sat_overall", "sat_overall_top2"], year=2012)
    assert list(out.columns) == ["township", "year", "indicator", "estimate", "se", "n"]
    assert set(out["indicator"]) == {"sat_overall", "sat_overall_top2"}
    for town, g in df.groupby("township"):
        ok = g["sat_overall"] <= 5
        w, x = g.loc[ok, "weight"], g.loc[ok, "sat_overall"]
        row = out[(out["township"] == town)].set_index("indicator")
        assert row.loc["sat_overall", "estimate"] == pytest.approx((w * x).sum() / w.sum())
        assert row.loc["sat_overall_top2", "estimate"] == pytest.approx(
            (w * (x >= 4)).sum() / w.sum()
        )
        assert row.loc["sat_overall", "n"] == ok.sum()
        assert row.loc["sat_overall", "se"] > 0


def _linearised(g: pd.DataFrame, y: np.ndarray) -> tuple[float, float]:
    """Ratio mean and its SE by hand (an independent implementation): PSU totals of the
    linearised scores, between-PSU variance with the stratum's FPC (one stratum)."""
    ok = ~np.isnan(y)
    w = np.where(ok, g["weight"].to_numpy(float), 0.0)
    est = float((w * np.nan_to_num(y)).sum() / w.sum())
    z = pd.Series(w * (np.nan_to_num(y) - est) / w.sum()).groupby(g["psu"].to_numpy()).sum()
    n, N = len(z), float(g["fpc"].iloc[0])
    var = (1 - n / N) * n / (n - 1) * float(((z - z.mean()) ** 2).sum())
    return est, var**0.5


def test_se_equals_a_hand_linearisation_with_fpc():
    """Each township is its own stratum: the SE of its mean is the stratum's own variance term."""
    df = small_survey(5)
    out = survey_indicators(df, ["sat_overall", "sat_overall_top2"]).set_index(
        ["township", "indicator"]
    )
    for town, g in df.groupby("township"):
        x = g["sat_overall"].to_numpy(float)
        x = np.where(x <= 5, x, np.nan)
        for name, y in [("sat_overall", x), ("sat_overall_top2", np.where(x >= 4, 1.0, 0.0))]:
            y = np.where(np.isnan(x), np.nan, y)
            est, se = _linearised(g, y)
            assert out.loc[(town, name), "estimate"] == pytest.approx(est, rel=1e-12)
            assert out.loc[(town, name), "se"] == pytest.approx(se, rel=1e-10)


def test_missing_columns_and_empty_year():
    df = small_survey()
    with pytest.raises(ValueError, match="lacks columns"):
        survey_indicators(df, ["sat_health"], year=2012)
    assert survey_indicators(df, ["sat_overall"], year=2030).empty
