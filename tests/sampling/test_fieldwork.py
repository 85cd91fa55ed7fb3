"""Fieldwork lists (xlsx), monitoring from a 问卷星-style export, nonresponse adjustment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from commeval.sampling import draw
from commeval.sampling.fieldwork import (
    adjust_nonresponse,
    monitor,
    parse_seconds,
    read_export,
    write_fieldwork_lists,
)
from commeval.survey.questionnaire import likert_items
from commeval.synthetic import generate_district, to_raw_frame


@pytest.fixture(scope="module")
def district():
    return generate_district(townships=2, villages_per_township=5, respondents_per_village=6,
                             sampled_villages=3, seed=5, with_personal=False)  # fmt: skip


def test_fieldwork_list_workbook(tmp_path):
    frame = pd.DataFrame({"township": ["甲镇"] * 4 + ["乙乡"] * 3,
                          "village": list("ABCDEFG"), "households": [80, 120, 60, 200, 90, 70, 50]})  # fmt: skip
    lists = pd.DataFrame(
        [(r.township, r.village, f"{k + 1:03d}", f"户主{r.village}{k + 1}") for r in frame.itertuples()
         for k in range(r.households)],
        columns=["township", "village", "household_no", "户主姓名"],
    )  # fmt: skip
    sel = draw(frame, villages=2, households=5, household_lists=lists, reserves=2, seed=9)
    path = write_fieldwork_lists(sel, tmp_path / "fieldwork" / "抽样名单.xlsx", lists)
    book = pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl")
    assert list(book) == ["甲镇", "乙乡", "说明"]
    jia = book["甲镇"]
    assert list(jia.columns[:4]) == ["乡镇", "行政村", "样本户编号", "备用户"]
    assert len(jia) == 2 * (5 + 2)
    assert (jia["备用户"].fillna("") == "").sum() == 10
    assert set(jia["备用户"].dropna()) == {"备用1", "备用2"}
    assert jia["户主姓名"].str.startswith("户主").all()
    note = dict(zip(book["说明"]["项目"], book["说明"]["内容"]))
    assert note["随机数种子"] == "9" and note["抽村方法"] == "systematic"


def test_parse_seconds():
    s = parse_seconds(pd.Series(["253秒", "4分13秒", "1小时2分", "95", None]))
    assert s.iloc[:4].tolist() == [253, 253, 3720, 95] and np.isnan(s.iloc[4])


def test_monitoring_finds_what_was_planted(district, tmp_path):
    sv = district["survey"]
    sv = sv[sv["year"] == sv["year"].max()].reset_index(drop=True)
    raw = to_raw_frame("survey", sv.drop(columns=["stratum", "psu", "weight", "fpc", "fpc2"]))
    rng = np.random.default_rng(1)
    raw.insert(0, "所用时间", [f"{int(x)}秒" for x in rng.integers(400, 1500, len(raw))])
    raw.loc[[0, 5], "所用时间"] = ["125秒", "2分10秒"]  # two implausibly short
    items = likert_items()
    labels = [
        c for c in raw.columns if c in {to_raw_frame("survey", sv[[i]]).columns[0] for i in items}
    ]
    raw.loc[7, labels] = 4  # a straight-liner: 比较满意 to every item
    raw = pd.concat([raw, raw.iloc[[3]]], ignore_index=True)  # a duplicate submission
    raw.loc[len(raw) - 1, "问卷编号"] = "other-id"
    path = tmp_path / "问卷星.xlsx"
    raw.to_excel(path, index=False)
    ex = read_export(path)
    assert {"township", "village", "sat_overall"} <= set(ex.columns)
    # design: 8 target households in every surveyed village but one, which is left out
    vil = sv[["township", "village"]].drop_duplicates()
    design = pd.DataFrame([(t, v, f"{k:04d}", 0) for t, v in vil.iloc[1:].itertuples(index=False)
                           for k in range(8)], columns=["township", "village", "household_no", "reserve"])  # fmt: skip
    m = monitor(ex, design)
    assert set(m.short["excel_row"]) == {2, 7}
    assert m.duplicates["excel_row"].tolist() == [len(raw) + 1]
    # straight-lining: a second implementation over the rows
    L = ex[[c for c in items if c in ex.columns]]
    expect = [i + 2 for i, r in enumerate(L.itertuples(index=False))
              if sum(x == x for x in r) >= 5 and len({x for x in r if x == x}) == 1]  # fmt: skip
    assert 9 in expect and m.straightlining["excel_row"].tolist() == expect
    v = m.villages.set_index(["township", "village"])
    first = tuple(vil.iloc[0])
    assert not v.loc[first, "in_selection"] and v.loc[first, "target"] == 0
    n_first = int((raw["行政村"] == first[1]).sum())  # the duplicate is one of them
    assert m.summary["outside_selection"] == n_first
    assert m.summary["target"] == 8 * (len(vil) - 1)
    assert m.summary["completes"] == len(raw)


def test_nonresponse_adjustment_restores_the_sample_weights():
    design = pd.DataFrame({
        "township": ["甲"] * 6 + ["乙"] * 4,
        "village": ["a"] * 3 + ["b"] * 3 + ["c"] * 4,
        "household_no": [str(i) for i in range(10)],
        "reserve": [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        "weight": [10.0] * 3 + [20.0] * 3 + [30.0] * 4,
    })  # fmt: skip
    completes = pd.DataFrame({"township": ["甲", "甲", "乙"], "village": ["a", "b", "c"],
                              "completes": [3, 1, 2]})  # fmt: skip
    by_v = adjust_nonresponse(design, completes, by="village")
    f = by_v.drop_duplicates("village").set_index("village")["nr_factor"]
    assert f.to_dict() == {"a": 1.0, "b": 3.0, "c": 1.5}
    by_t = adjust_nonresponse(design, completes, by="township")
    ft = by_t.drop_duplicates("village").set_index("village")["nr_factor"]
    # 甲: sample weight 3*10 + 3*20 = 90, respondents 3*10 + 1*20 = 50 → 1.8
    assert ft["a"] == pytest.approx(1.8) and ft["b"] == pytest.approx(1.8)
    resp = by_t.drop_duplicates("village").set_index("village")
    assert (resp["weight"] * resp["responded"]).loc[["a", "b"]].sum() == pytest.approx(90)
    assert (by_t["base_weight"] == design["weight"]).all()
