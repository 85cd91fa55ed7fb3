"""Township survey indicators: design-weighted means and top-2-box shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.index.satisfaction import _fallback, _recode, survey_indicators


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


def test_fallback_matches_the_survey_engine_without_fpc():
    """The with-replacement fallback equals the survey engine's linearisation without FPC when
    each township is its own stratum (independent implementation as a cross-check)."""
    from commeval.survey import SurveyDesign

    df = small_survey(5)
    frame, names = _recode(df, ["sat_overall"])
    fb = _fallback(frame, names).set_index(["township", "variable"])
    ref = (
        SurveyDesign(frame, weights="weight", strata="stratum", psu="psu")
        .mean(names, by=["township"])
        .set_index(["township", "variable"])
    )
    assert fb["estimate"].to_dict() == pytest.approx(ref["estimate"].to_dict())
    assert fb["se"].to_dict() == pytest.approx(ref["se"].to_dict())


def test_missing_columns_and_empty_year():
    df = small_survey()
    with pytest.raises(ValueError, match="lacks columns"):
        survey_indicators(df, ["sat_health"], year=2012)
    assert survey_indicators(df, ["sat_overall"], year=2030).empty
