"""Grades and vetoes that always hold: the office grade note "等级：优秀≥90，良好≥80，合格≥60"
has an implicit lowest grade (a 49.6-point township is 不合格, not 合格); a veto without a
stated grade sets the lowest grade and records the item and value that triggered it; a grade
table with a gap is an error naming it. Points hand-computed on the mini district."""

from __future__ import annotations

import copy

import pytest
from openpyxl import Workbook

from commeval.index import FrameworkError, evaluate, parse_framework
from commeval.index.attainment import grade
from commeval.index.scorecard_excel import import_scorecard, parse_grades_note
from index.helpers import mini_tables


def tables():
    t = mini_tables()
    # B's villages: 0 and 297.6 m² → mean 148.8 → 100 × 148.8 / 300 = 49.6 points
    t["villages"].loc[t["villages"]["village"] == "b2", "service_center_m2"] = 297.6
    return t


def write_sheet(
    path, note_row: str, note_below: bool = False, veto_text: str = "出现即评为最低等级"
):
    wb = Workbook()
    ws = wb.active
    ws.append(["某县农村社区建设考核评分表"])
    if not note_below:
        ws.append([note_row])
    ws.append(
        ["一级指标", "考核内容", "分值", "评分标准", "考核方式", "指标代码", "计算公式", "判定条件"]
    )
    ws.append(["一、社区服务设施（100分）", "村服务中心平均面积", 100,
               "300平方米及以上得满分，0平方米及以下不得分，其间按比例计分", "实地查看",
               "center", "mean(service_center_m2)", None])  # fmt: skip
    ws.append(["合计", None, 100])
    ws.append(["一票否决", "村服务中心平均面积不足100平方米", None, veto_text, None, None, None,
               "center < 100"])  # fmt: skip
    if note_below:
        ws.append([note_row])
    wb.save(path)


@pytest.mark.parametrize("below", [False, True])
def test_office_grade_note_has_an_implicit_lowest_grade(tmp_path, below):
    path = tmp_path / "评分表.xlsx"
    write_sheet(path, "说明：本表满分100分。版本：2024.1；等级：优秀≥90，良好≥80，合格≥60", below)
    res = import_scorecard(path)
    assert res.doc["grades"] == {"优秀": 90, "良好": 80, "合格": 60, "不合格": 0}
    assert any("60分以下按“不合格”评定" in msg for _, msg in res.notes)  # and says so
    assert "# 说明 第" in res.yaml
    fw = parse_framework(res.doc)
    ev = evaluate(tables(), fw, 2012, mc_draws=0)
    sc = ev.scores.set_index("township")
    # A: mean(320, 100) = 210 → 70 points; B: 49.6; C: 300 → 100
    assert sc["points"].to_dict() == pytest.approx({"A": 70, "B": 49.6, "C": 100})
    assert sc.loc["B", "grade"] == "不合格"  # not 合格
    assert sc.loc["A", "grade"] == "合格" and sc.loc["C", "grade"] == "优秀"


def test_grade_note_names_the_lowest_grade_as_the_sheet_does():
    g, note = parse_grades_note(
        "等级：90分以上为优秀，80-89分为良好，60-79分为合格，60分以下为较差"
    )
    assert g == {"优秀": 90, "良好": 80, "合格": 60, "较差": 0} and note == ""
    g, note = parse_grades_note("考核等次：优秀≥85，称职≥60，不称职<60")
    assert g == {"优秀": 85, "称职": 60, "不称职": 0} and note == ""


def test_lowest_grade_covers_negative_totals():
    import pandas as pd

    s = pd.Series([95.0, 60.0, 59.99, 0.0, -12.5])
    g = grade(s, [("优秀", 90), ("良好", 80), ("合格", 60), ("不合格", 0)])
    assert g.tolist() == ["优秀", "合格", "不合格", "不合格", "不合格"]


def test_veto_without_stated_grade_lowers_to_the_lowest(tmp_path):
    path = tmp_path / "评分表.xlsx"
    write_sheet(path, "版本：2024.1；等级：优秀≥90，良好≥80，合格≥60")
    doc = import_scorecard(path).doc
    assert doc["veto"] == [{"label": "村服务中心平均面积不足100平方米", "when": "center < 100"}]
    t = tables()
    t["villages"].loc[t["villages"]["village"] == "c1", "service_center_m2"] = 99.0
    ev = evaluate(t, parse_framework(doc), 2012, mc_draws=0)
    sc = ev.scores.set_index("township")
    # C (99 m² → 33 points) is 不合格 anyway; a stricter veto hits A (210 m², 70 points, 合格)
    doc2 = copy.deepcopy(doc)
    doc2["veto"][0]["when"] = "center < 250"
    ev2 = evaluate(t, parse_framework(doc2), 2012, mc_draws=0)
    sc2 = ev2.scores.set_index("township")
    assert sc2.loc["A", "grade_before_veto"] == "合格"  # 70 points
    assert sc2.loc["A", "grade"] == "不合格"  # lowered to the lowest grade
    assert sc2.loc["A", "veto_items"] == "center"
    assert (
        sc2.loc["A", "veto_values"] == "村服务中心平均面积不足100平方米：村服务中心平均面积 = 210"
    )
    assert sc.loc["C", "veto_values"].endswith("= 99")
    assert sc.loc["A", "veto"] == "" and sc.loc["A", "veto_items"] == ""


def test_grades_with_a_gap_are_an_error_naming_it(tmp_path):
    path = tmp_path / "评分表.xlsx"
    write_sheet(path, "版本：2024.1；等级：优秀≥90，良好≥80，合格≥60")
    doc = import_scorecard(path).doc
    doc["grades"] = {"优秀": 90, "良好": 80, "合格": 60}
    with pytest.raises(FrameworkError, match="低于60分的得分没有等级") as exc:
        parse_framework(doc)
    assert "键 grades" in str(exc.value) and "不合格: 0" in str(exc.value)
