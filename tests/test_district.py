"""The evaluated district: one design per survey year feeds the index and every report section;
derived results are cached as Parquet + JSON, never pickle."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from commeval import derived
from commeval.district import load_district
from commeval.report import township as T
from commeval.survey import questionnaire


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    from commeval.synthetic import generate_district, write_raw

    root = tmp_path_factory.mktemp("district")
    tables = generate_district(
        townships=["甲镇", "乙镇", "丙乡", "丁镇"], villages_per_township=6,
        respondents_per_village=10, sampled_villages=4, seed=3,
    )  # fmt: skip
    raw = write_raw(tables, root / "raw" / "d")
    return load_district(raw, root / "processed", mc_draws=50)


def test_page_se_is_the_se_the_index_uses(district):
    """For every township and both statistics of overall satisfaction, the SE behind the
    township page's confidence interval is the SE the index's Monte Carlo draws from."""
    est = district.survey_estimates
    assert district.evaluation.settings["survey"] == "provided"
    now = est[est["year"] == district.year].set_index(["township", "indicator"])
    used = district.framework.survey_items
    assert "sat_overall" in used
    for t in district.townships:
        items = T.satisfaction(district, t).items.set_index("variable")
        for name in sorted(used):
            item = name.removesuffix("_top2")
            stat = "top2" if name.endswith("_top2") else "mean"
            assert items.loc[item, f"{stat}_se"] == now.loc[(t, name), "se"]
            assert items.loc[item, stat] == now.loc[(t, name), "estimate"]


def test_index_estimates_come_from_the_year_design(district):
    """The survey estimates equal a design built by hand for that year, with FPC and the
    lonely-PSU rule of the convention (an independent route through the survey engine)."""
    from commeval.survey import SurveyDesign

    s = district.survey
    rows = s[s["year"] == district.year].reset_index(drop=True)
    x = pd.to_numeric(rows["sat_overall"], errors="coerce").where(lambda v: v <= 5)
    hand = SurveyDesign(
        rows.assign(y=x), weights="weight", strata="stratum", psu="psu", fpc="fpc",
        lonely_psu="adjust",
    ).mean("y", by="township").set_index("township")  # fmt: skip
    est = district.survey_estimates
    mine = est[(est["year"] == district.year) & (est["indicator"] == "sat_overall")]
    mine = mine.set_index("township")
    assert np.allclose(mine.loc[hand.index, "estimate"], hand["estimate"], rtol=1e-12)
    assert np.allclose(mine.loc[hand.index, "se"], hand["se"], rtol=1e-12)


def test_dont_know_is_data_in_the_design(district):
    d = district.design.data
    year = district.survey.loc[district.survey["year"] == district.year]
    raw = pd.to_numeric(year["sat_overall"])
    assert not (d["sat_overall"] == questionnaire.DONT_KNOW).any()
    assert not (raw == questionnaire.DONT_KNOW).any()  # processed data: 说不清 is a flag
    assert int(d["sat_overall_dk"].sum()) == int(year["sat_overall_dk"].sum()) > 0
    lik = district.summaries.likert
    dk = lik[(lik["statistic"] == "dont_know") & (lik["variable"] == "sat_overall")]
    assert len(dk) == len(district.townships)


def test_previous_year_comparison_is_two_independent_designs(district):
    """Difference and SE against last year equal the two year designs' domain estimates."""
    prev = district.summaries.previous_year
    assert prev is not None
    vp = district.summaries.vs_previous
    for t in district.townships[:2]:
        row = vp[(vp["variable"] == "sat_overall") & (vp["a"] == t)].iloc[0]
        a = district.designs[district.year].mean("sat_overall", by="township").set_index("township")
        b = district.designs[prev].mean("sat_overall", by="township").set_index("township")
        assert row["difference"] == pytest.approx(a.loc[t, "estimate"] - b.loc[t, "estimate"])
        assert row["se"] == pytest.approx(np.hypot(a.loc[t, "se"], b.loc[t, "se"]))


def test_derived_results_are_parquet_and_json_not_pickle(district):
    folder = district.processed_dir / "evaluation"
    assert not list(folder.rglob("*.pkl"))
    doc = json.loads((folder / f"{district.district_key}-index.json").read_text("utf-8"))
    assert doc["value"]["$dataclass"].startswith("commeval.index.")
    assert list((folder / f"{district.district_key}-index").glob("*.parquet"))
    for name, value in [("index", district.evaluation), ("survey", district.summaries)]:
        again = derived.load(folder, f"{district.district_key}-{name}")
        assert type(again) is type(value)
        for f in dataclasses.fields(value):
            a, b = getattr(again, f.name), getattr(value, f.name)
            if isinstance(b, pd.DataFrame):  # exactly the frames that were computed
                pd.testing.assert_frame_equal(a, b, check_exact=True)
            elif not isinstance(b, dict):
                assert a == b


def test_derived_cache_refuses_foreign_classes(tmp_path):
    @dataclasses.dataclass
    class Foreign:  # defined outside commeval
        x: int

    with pytest.raises(derived.UnstorableError):
        derived.store(tmp_path, "x", Foreign(1))
    # a document naming a class outside commeval is not loaded (no code runs)
    (tmp_path / "y").mkdir()
    doc = {"format": derived.FORMAT, "value": {"$dataclass": "os:system", "fields": {}}}
    (tmp_path / "y.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="not a commeval class"):
        derived.load(tmp_path, "y")
    # memo computes when the cache cannot hold the value, and returns it
    assert derived.memo(tmp_path, "k", "foreign", lambda: Foreign(2)) == Foreign(2)


def test_derived_round_trip_of_values(tmp_path):
    value = {
        2012: (1.5, float("nan"), None, "文本"),
        "frame": pd.DataFrame({"a": [1, 2], "b": ["x", None]}),
        "series": pd.Series([1.0, 2.0], name="s"),
        "array": np.arange(3, dtype=np.int32),
        "nested": [{"inf": float("inf")}],
    }
    derived.store(tmp_path, "v", value)
    got = derived.load(tmp_path, "v")
    assert got[2012][0] == 1.5 and np.isnan(got[2012][1]) and got[2012][2:] == (None, "文本")
    pd.testing.assert_frame_equal(got["frame"], value["frame"])
    pd.testing.assert_series_equal(got["series"], value["series"])
    assert got["array"].dtype == np.int32 and got["array"].tolist() == [0, 1, 2]
    assert got["nested"][0]["inf"] == float("inf")
