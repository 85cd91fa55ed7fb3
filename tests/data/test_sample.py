"""The synthetic sample district reproduces the source report's published facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.cli import main
from commeval.synthetic import DISTRICT_TOWNSHIPS, generate_district, write_raw


@pytest.fixture(scope="module")
def district() -> dict[str, pd.DataFrame]:
    return generate_district()


def test_district_scale_and_names(district):
    v = district["villages"]
    last = v[v["year"] == v["year"].max()]
    assert len(last) == 163  # 163 administrative villages (社区建设经验材料)
    assert {"商桥镇", "裴城镇"} <= set(district["townships"]["township"])
    assert list(district["townships"]["township"]) == list(DISTRICT_TOWNSHIPS)
    assert sorted(v["year"].unique()) == [2011, 2012]


def test_pilot_villages(district):
    v = district["villages"]
    pilots = v[(v["year"] == 2012) & v["is_pilot"]]
    assert len(pilots) == 12
    assert {"靳庄", "何庄", "刘庄", "王堂", "小赵"} <= set(pilots["village"])
    assert (pilots["service_center_m2"] >= 300).all()
    for col in ("has_party_office", "has_police_room", "has_library", "has_sports_room"):
        assert pilots[col].all(), col


def test_governance_shares(district):
    v = district["villages"]
    last = v[v["year"] == 2012]
    assert (last["affairs_demo_level"] != "none").mean() > 0.70
    assert (last["rule_of_law_demo_level"] != "none").mean() > 0.75
    assert last["has_representative_council"].all()
    assert abs(last["college_grad_officials"].mean() - 1) < 0.1


def test_new_communities_published_figures(district):
    c = district["communities"]
    c = c[c["year"] == 2012].set_index("community")
    assert len(c) == 4
    dy = c.loc["商桥镇中心社区"]
    assert (dy["alias"], dy["planned_area_mu"], dy["planned_units"]) == ("大闫社区", 500, 800)
    assert dy["land_reclaim_target_mu"] == 1000
    xy = c.loc["商桥镇和谐社区"]
    assert (xy["villages_covered"], xy["target_population"], xy["target_households"]) == (
        5,
        11050,
        2280,
    )
    assert (xy["planned_area_mu"], xy["land_reclaim_target_mu"], xy["phases_planned"]) == (
        294,
        3606,
        5,
    )
    assert xy["buildings_planned"] == 57
    assert c.loc["裴城镇三丁社区", "planned_area_mu"] == 260
    assert c.loc["裴城镇三丁社区", "target_population"] >= 5000
    sh = c.loc["裴城镇中心社区"]
    assert (sh["alias"], sh["planned_area_mu"], sh["status"]) == ("苏侯社区", 314, "planning")
    assert sh["target_population"] >= 10000


def test_survey_is_stratified_two_stage_with_correct_weights(district):
    s = district["survey"]
    v = district["villages"]
    for (year, town), g in s.groupby(["year", "township"]):
        M = int((v[(v["year"] == year)]["township"] == town).sum())
        assert (g["fpc"] == M).all()
        m = g["psu"].nunique()
        # inverse inclusion probability: (M / m) * (adults_v / n_v)
        for _, gv in g.groupby("psu"):
            expected = (M / m) * (gv["fpc2"].iloc[0] / len(gv))
            np.testing.assert_allclose(gv["weight"], expected, rtol=1e-6)
    assert s["respondent_id"].is_unique


def test_deterministic_for_a_seed_and_parameters():
    a = generate_district(townships=3, villages_per_township=5, respondents_per_village=4, seed=7)
    b = generate_district(townships=3, villages_per_township=5, respondents_per_village=4, seed=7)
    c = generate_district(townships=3, villages_per_township=5, respondents_per_village=4, seed=8)
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])
    assert not a["survey"]["sat_overall"].equals(c["survey"]["sat_overall"])
    assert len(a["townships"]) == 3
    assert len(a["villages"]) == 3 * 5 * 2


def test_named_townships_and_years():
    t = generate_district(
        townships=["甲镇", "乙乡"], villages_per_township=6, years=(2020, 2021, 2022), seed=1
    )
    assert list(t["townships"]["township"]) == ["甲镇", "乙乡"]
    assert sorted(t["villages"]["year"].unique()) == [2020, 2021, 2022]


def test_cli_writes_raw_dataset_marked_synthetic(tmp_path):
    out = tmp_path / "d"
    rc = main(["sample-data", "--out", str(out), "--townships", "2", "--villages-per-township",
               "3", "--respondents-per-village", "5", "--years", "2011,2012", "--seed", "3"])  # fmt: skip
    assert rc == 0
    import yaml

    meta = yaml.safe_load((out / "dataset.yaml").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True
    head = (out / "villages.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert head.startswith("年度,乡镇,行政村")


def test_raw_survey_carries_personal_columns_that_ingestion_removes(tmp_path):
    from commeval.data.ingest import ingest

    tables = generate_district(townships=2, villages_per_township=3, respondents_per_village=5)
    raw = write_raw(tables, tmp_path / "raw")
    head = (raw / "survey.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "身份证号" in head and "联系电话" in head
    res = ingest(raw, tmp_path / "processed")
    s = res.tables["survey"]
    for col in ("name", "phone", "id_number", "address"):
        assert col not in s.columns
    blob = (tmp_path / "processed" / "survey.parquet").read_bytes()
    for pid in tables["survey"]["id_number"].head(20):
        assert pid.encode() not in blob


def test_small_generated_districts_have_a_new_community():
    c = generate_district(townships=2, villages_per_township=3, respondents_per_village=4)[
        "communities"
    ]
    assert len(c) >= 1
    assert (c["completed_units"] <= c["planned_units"]).all()
