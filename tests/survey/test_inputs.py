"""Bad input raises ValueError naming the column and the rows affected; small cells flagged."""

import numpy as np
import pandas as pd
import pytest

from commeval.survey import SurveyDesign


@pytest.fixture
def df():
    rng = np.random.default_rng(0)
    n = 40
    return pd.DataFrame(
        {
            "w": rng.uniform(1, 3, n),
            "stratum": np.repeat(["a", "b"], n // 2),
            "village": np.repeat(np.arange(8), 5),
            "y": rng.normal(size=n),
            "label": ["x"] * n,
        }
    )


def test_missing_weights(df):
    df.loc[[1, 2], "w"] = np.nan
    with pytest.raises(ValueError, match=r"'w' has 2 missing"):
        SurveyDesign(df, weights="w", strata="stratum", psu="village")


def test_negative_weights(df):
    df.loc[3, "w"] = -1.0
    with pytest.raises(ValueError, match=r"'w' has 1 negative"):
        SurveyDesign(df, weights="w", strata="stratum", psu="village")


def test_psu_in_two_strata(df):
    df.loc[:4, "village"] = 7  # village 7 now in both strata
    with pytest.raises(ValueError, match=r"'village': 1 PSU ids .* \(10 rows affected\).*nest"):
        SurveyDesign(df, weights="w", strata="stratum", psu="village")
    d = SurveyDesign(df, weights="w", strata="stratum", psu="village", nest=True)
    assert d.n_psu == 8


def test_lonely_psu_fail(df):
    df.loc[:4, "stratum"] = "c"
    with pytest.raises(ValueError, match=r"1 strata have only one PSU.*\['c'\].*5 rows"):
        SurveyDesign(df, weights="w", strata="stratum", psu="village")
    SurveyDesign(df, weights="w", strata="stratum", psu="village", lonely_psu="adjust")


def test_non_numeric_and_unknown(df):
    d = SurveyDesign(df, weights="w", strata="stratum", psu="village")
    with pytest.raises(ValueError, match=r"'label' is not numeric.*40 of 40 rows"):
        d.var("label")
    # text is categorical in means and totals: one row per level (R's svymean(~factor(x)))
    m = d.mean("label")
    assert len(m) == df.label.nunique() and np.isclose(m.estimate.sum(), 1.0)
    with pytest.raises(ValueError, match=r"unknown column\(s\) \['nope'\]"):
        d.mean("nope")
    with pytest.raises(ValueError, match=r"unknown column\(s\) \['nope'\] for psu"):
        SurveyDesign(df, weights="w", psu="nope")
    with pytest.raises(ValueError, match="lonely_psu"):
        SurveyDesign(df, lonely_psu="drop")


def test_na_is_outside_domain_and_small_cells(df):
    d = SurveyDesign(df, weights="w", strata="stratum", psu="village")
    df2 = df.assign(y=df.y.where(np.arange(len(df)) % 4 != 0))
    d2 = SurveyDesign(df2, weights="w", strata="stratum", psu="village")
    r = d2.mean("y", by="stratum")
    ok = df2.y.notna().to_numpy()
    same = d.subset(ok).mean("y", by="stratum")
    np.testing.assert_allclose(r.se, same.se, rtol=1e-12)
    assert list(r.n) == [15, 15] and r.small_cell.all()
    assert not d2.mean("y", min_n=10).small_cell.iloc[0]
    assert np.isnan(d2.mean("y", na_rm=False).estimate.iloc[0])


def test_equal_weights_srs_matches_textbook():
    y = np.arange(10.0)
    d = SurveyDesign(pd.DataFrame({"y": y}))
    r = d.mean("y").iloc[0]
    assert r.estimate == pytest.approx(4.5)
    assert r.se == pytest.approx(np.std(y, ddof=1) / np.sqrt(10))
    assert "design df: 9" in repr(d) and "<table>" in d._repr_html_()
