"""Which design a survey year uses (``questionnaire.year_design``): villages carrying their
inclusion probabilities (the design file joined at ingestion) make a Brewer PPS design, as R's
``svydesign(pps="brewer")`` (tests/survey/test_pps.py checks that engine against R); without
them — the sample district, which has no design file — the design is the stratified
two-stage SRS design with FPC, unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.survey import SurveyDesign
from commeval.survey import questionnaire as q
from commeval.synthetic import generate_district

ITEMS = ["sat_overall", "sat_overall_top2", "sat_health_top2"]


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return generate_district(seed=20121)["survey"]


def _by_township(design: SurveyDesign) -> pd.DataFrame:
    return design.mean(ITEMS, by=["township"]).set_index(["township", "variable"])


def test_without_design_probabilities_the_year_design_is_unchanged(survey):
    """The sample district: no village_prob column, so every year is the SRS design with FPC
    (villages per township) built by hand from the survey columns, lonely PSUs "adjust"."""
    assert "village_prob" not in survey.columns
    for year in q.survey_years(survey):
        d = q.year_design(survey, year)
        assert d.pps is None and d.spec["fpc"] == "fpc" and d.spec["ssu"] is None
        rows = q.prepare(survey[survey["year"] == year].reset_index(drop=True))
        hand = SurveyDesign(rows, weights="weight", strata="stratum", psu="psu", fpc="fpc",
                            lonely_psu="adjust")  # fmt: skip
        mine, ref = _by_township(d), _by_township(hand)
        np.testing.assert_allclose(mine["estimate"], ref["estimate"], rtol=1e-12)
        np.testing.assert_allclose(mine["se"], ref["se"], rtol=1e-12)


def _with_probabilities(survey: pd.DataFrame, year: int) -> pd.DataFrame:
    """The year's rows with a village inclusion probability (size-proportional, the sample
    district's villages drawn 8 per township) and a household probability per village."""
    rows = survey[survey["year"] == year].reset_index(drop=True)
    rng = np.random.default_rng(5)
    villages = rows["psu"].unique()
    pi = dict(zip(villages, rng.uniform(0.2, 0.9, len(villages)), strict=True))
    f2 = dict(zip(villages, rng.uniform(0.02, 0.1, len(villages)), strict=True))
    return rows.assign(
        village_prob=rows["psu"].map(pi),
        household_prob=rows["psu"].map(f2),
        weight=1.0 / (rows["psu"].map(pi) * rows["psu"].map(f2)),
    )


def test_villages_with_probabilities_are_analysed_as_drawn(survey):
    year = q.survey_years(survey)[-1]
    rows = _with_probabilities(survey, year)
    d = q.year_design(rows)
    assert d.pps == "brewer"
    hand = SurveyDesign(
        q.prepare(rows), weights="weight", strata="stratum", psu="psu", ssu="respondent_id",
        fpc="village_prob", fpc2="household_prob", pps="brewer", lonely_psu="adjust",
    )  # fmt: skip
    mine, ref = _by_township(d), _by_township(hand)
    np.testing.assert_allclose(mine["estimate"], ref["estimate"], rtol=1e-12)
    np.testing.assert_allclose(mine["se"], ref["se"], rtol=1e-12)
    srs = _by_township(q.year_design(rows.drop(columns=["village_prob", "household_prob"])))
    np.testing.assert_allclose(mine["estimate"], srs["estimate"], rtol=1e-12)  # same weights
    assert not np.allclose(mine["se"], srs["se"])  # another variance: the way it was drawn
    # one stage when the households' probability is missing
    one = q.year_design(rows.drop(columns=["household_prob"]))
    assert one.pps == "brewer" and one.spec["ssu"] is None
    ref1 = _by_township(
        SurveyDesign(q.prepare(rows), weights="weight", strata="stratum", psu="psu",
                     fpc="village_prob", pps="brewer", lonely_psu="adjust")
    )  # fmt: skip
    np.testing.assert_allclose(_by_township(one)["se"], ref1["se"], rtol=1e-12)


def test_some_rows_without_probability_keep_the_srs_design(survey):
    """Respondents outside the selection (no village_prob) leave the year as it was."""
    year = q.survey_years(survey)[-1]
    rows = _with_probabilities(survey, year)
    rows.loc[rows["psu"] == rows["psu"].iloc[0], "village_prob"] = np.nan
    d = q.year_design(rows)
    assert d.pps is None and d.spec["fpc"] == "fpc"
    assert not q.is_pps_year(rows) and q.is_pps_year(rows.dropna(subset=["village_prob"]))
