"""Framework and formula errors speak Chinese, with a hint, the English reason after it
(issue 21, item 7): a per-village field used without an aggregate, an unknown function, a
syntax error, a misspelt indicator, and the usual configuration mistakes."""

from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest

from commeval.index import FrameworkError, parse_framework
from commeval.index.formulas import FormulaError, parse_formula
from index.helpers import mini_doc
from index.scorecard_helpers import points_doc


def error(doc) -> str:
    with pytest.raises(FrameworkError) as exc:
        parse_framework(doc)
    return str(exc.value)


def with_source(source: str) -> dict:
    doc = copy.deepcopy(mini_doc())
    doc["dimensions"]["facilities"]["indicators"]["police"]["source"] = source
    return doc


def reason(msg: str) -> str:
    return msg.split(" 无效 — ", 1)[1]


def test_per_village_field_without_aggregate_says_share_or_mean():
    msg = error(with_source("org_volunteer_teams >= 1"))
    assert "键 dimensions.facilities.indicators.police.source" in msg
    assert "每村一个值" in msg and "share(org_volunteer_teams)" in msg
    assert "unknown indicator or function 'org_volunteer_teams'" in msg  # English after


@pytest.mark.parametrize(
    ("source", "zh"),
    [
        ("polce + 1", "是不是 police"),
        ("frobnicate(has_library)", "没有函数 frobnicate()；可用 share"),
        ("100 * share(has_library", "公式语法错误"),
        ("share(mean(has_library))", "不能嵌套"),
        ("has_culture_station + 1", "townships.has_culture_station"),
        ("sat_overall", "survey(sat_overall)"),
        ("share(townships.has_culture_station)", "不能写在汇总函数里"),
    ],
)
def test_formula_errors_in_chinese_with_a_hint(source, zh):
    msg = error(with_source(source))
    assert zh in msg, msg
    assert re.search(r"[\u4e00-\u9fff]", reason(msg).split(" (")[0]), msg  # Chinese first


def test_formula_error_alone_is_chinese_too():
    with pytest.raises(FormulaError) as exc:
        parse_formula("share()")
    assert str(exc.value).startswith("share() 只接受一个参数") and exc.value.why


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("version"),
        lambda d: d.__setitem__("colour", "red"),
        lambda d: d.__setitem__("grades", {"a": 50, "b": 50}),
        lambda d: d["dimensions"]["d1"]["indicators"]["police"]["scoring"].__setitem__("rule", "x"),
        lambda d: d["dimensions"]["d1"]["indicators"]["police"]["scoring"].pop("points"),
        lambda d: d["dimensions"]["d1"]["indicators"]["police"]["scoring"].__setitem__("tiers", 3),
        lambda d: d["dimensions"]["d1"]["indicators"]["police"].__setitem__("bonus", "yes"),
        lambda d: d.__setitem__("bonus_cap", -1),
        lambda d: d["veto"][0].__setitem__("grade", "特优"),
    ],
)
def test_configuration_errors_start_in_chinese(mutate):
    doc = copy.deepcopy(points_doc())
    mutate(doc)
    msg = error(doc)
    assert re.match(r"[\u4e00-\u9fff]", reason(msg)), msg  # Chinese first …
    assert re.search(r" \([a-z]", msg) and msg.endswith(")"), msg  # … English after it


# --- settings and data errors of an evaluation (evaluate / impute) -------------------------------


def _cjk_first(msg: str) -> None:
    assert re.match(r"[\u4e00-\u9fff]", msg), msg  # Chinese first …
    assert re.search(r" \([a-z]", msg) and msg.endswith(")"), msg  # … English after it


@pytest.mark.parametrize(
    ("settings", "key", "zh"),
    [
        (
            {"normalization": "minmax"},
            "normalization",
            "未知的键（拼写错误？）；可用 ['imputation'",
        ),
        ({"normalisation": "cube"}, "normalisation.method", "须为 ['minmax'"),
        ({"normalisation": 3}, "normalisation", "须为方法名或映射"),
        ({"aggregation": {"method": "topsis", "within": "median"}}, "aggregation.within", "之一"),
        ({"indicator_weights": {"police": -1.0}}, "indicator_weights.police", "有限的非负数"),
        ({"indicator_weights": {"polce": 1.0}}, "indicator_weights.polce", "未知的名称"),
        ({"dimension_weights": [0.5]}, "dimension_weights", "{名称: 权重}"),
        ({"uncertainty": {"draw": 10}}, "uncertainty.draw", "未知的键；可用"),
        ({"uncertainty": {"normalisations": ["cube"]}}, "uncertainty.normalisations", "取自"),
        ({"uncertainty": {"weight_noise": 2}}, "uncertainty.weight_noise", "[0, 1) 之间"),
        ({"uncertainty": {"level": 90}}, "uncertainty.level", "0 与 1 之间的数，如 0.9"),
        ({"uncertainty": 0.9}, "uncertainty", "须为映射"),
    ],
)
def test_settings_errors_in_chinese_with_a_hint(doc, tables, settings, key, zh):
    from commeval.index import SettingsError, evaluate

    with pytest.raises(SettingsError) as exc:
        evaluate(tables, parse_framework(doc), mc_draws=0, settings=settings)
    msg = str(exc.value)
    assert exc.value.key == key
    assert msg.startswith(f"评估设置 {key!r} = "), msg
    assert zh in msg.split(" (settings key")[0], msg  # the Chinese part says it
    assert "提示：" in msg and "docs/framework.md" in msg  # with a hint where to change it
    assert f"(settings key {key!r} = " in msg and exc.value.why in msg  # the English after
    _cjk_first(msg)


def _data_error(tables, doc, **kw) -> str:
    from commeval.index import IndexDataError, evaluate

    with pytest.raises(IndexDataError) as exc:
        evaluate(tables, parse_framework(doc), mc_draws=0, **kw)
    msg = str(exc.value)
    _cjk_first(msg)
    return msg


def test_data_errors_of_an_evaluation_in_chinese_with_a_hint(doc, tables):
    t = {k: v.copy() for k, v in tables.items()}
    msg = _data_error(t, doc, year=2030)
    assert (
        msg.startswith("行政村表没有 2030 年的数据（数据中的年度：[2012]）") and "评估年度" in msg
    )
    assert "no village rows for year 2030" in msg

    msg = _data_error({k: v for k, v in t.items() if k != "villages"}, doc)
    assert msg.startswith("数据中没有行政村表（villages）") and "(tables need a 'villages'" in msg

    msg = _data_error({**t, "villages": t["villages"].iloc[:0]}, doc)
    assert msg.startswith("行政村表没有数据行") and "(the villages table is empty)" in msg

    t["villages"]["has_police_room"] = np.nan
    msg = _data_error(t, doc)
    assert msg.startswith("指标 'police' 在 2012 年所有乡镇都没有值")
    assert "空白即缺失" in msg and "missing: not_applicable" in msg  # the hint
    assert "(indicator 'police' is missing for every township in 2012)" in msg


def test_survey_indicator_without_estimates_says_where_they_come_from(doc, tables):
    doc["dimensions"]["facilities"]["indicators"]["police"]["source"] = "survey(sat_overall)"
    msg = _data_error(tables, doc)
    assert msg.startswith("指标 'police' 在 2012 年所有乡镇都没有值——该指标用到问卷题")
    assert "survey=" in msg and "no survey estimates" in msg

    bad = pd.DataFrame({"township": ["A"], "estimate": [3.0]})
    msg = _data_error(tables, doc, survey=bad)
    assert msg.startswith("问卷估计表须有列 ['estimate', 'indicator', 'township']")
    assert "township_estimates" in msg and "(survey estimates need columns" in msg


def test_group_median_without_by_names_the_township_columns(doc, tables):
    t = {k: v.copy() for k, v in tables.items()}
    t["villages"]["has_police_room"] = t["villages"]["has_police_room"].astype("boolean")
    t["villages"].loc[t["villages"]["township"] == "C", "has_police_room"] = pd.NA
    msg = _data_error(t, doc, settings={"imputation": "group_median"})
    assert msg.startswith("分组中位数插补（imputation: group_median）须用 by 写乡镇表的一个列名")
    assert "has_culture_station" in msg  # the columns it may name
    assert "(group_median imputation needs 'by'" in msg


def test_zero_weights_and_objective_weights_errors(doc, tables):
    zero = {"indicator_weights": {"police": 0.0, "center": 0.0}}
    msg = _data_error(tables, doc, settings=zero)
    assert msg.startswith("维度 'facilities' 的指标权重之和为 0") and "大于 0 的权重" in msg
    assert "(dimension 'facilities': weights sum to 0" in msg

    doc["dimensions"]["facilities"]["weighting"] = {"method": "entropy"}
    t = {k: v.copy() for k, v in tables.items()}
    t["villages"]["has_police_room"] = True  # no variation across townships
    t["villages"]["service_center_m2"] = 500.0
    msg = _data_error(t, doc)
    assert msg.startswith("维度 'facilities' 无法计算 entropy 客观权重") and "fixed 或 ahp" in msg
    assert "(dimension 'facilities': entropy weights:" in msg


def test_impute_all_missing_in_chinese():
    from commeval.index import IndexDataError
    from commeval.index.impute import impute

    X = pd.DataFrame({"a": [1.0, np.nan], "c": [np.nan, np.nan]}, index=["t1", "t2"])
    with pytest.raises(IndexDataError) as exc:
        impute(X, "median")
    msg = str(exc.value)
    assert msg.startswith("指标 'c' 在所有乡镇都没有值，无法插补") and "not_applicable" in msg
    _cjk_first(msg)


@pytest.mark.parametrize(
    ("settings", "zh", "en"),
    [
        (
            {"aggregation": {"method": "grey", "rho": 2}},
            "灰色关联分析的分辨系数 rho 须在 (0, 1] 之间",
            "rho must",
        ),
        (
            {"aggregation": {"method": "topsis", "normalization": "cube"}},
            "TOPSIS 的 normalization 须为 vector 或 minmax，现为 'cube'",
            "unknown normalization 'cube'",
        ),
        (
            {
                "normalisation": "zscore",
                "aggregation": {"method": "arithmetic", "within": "geometric"},
            },
            "几何平均汇总（geometric）需要非负的标准化值：请改用 minmax",
            "geometric aggregation needs non-negative values",
        ),
    ],
)
def test_aggregation_options_errors_in_chinese(doc, tables, settings, zh, en):
    """Options the settings (or a framework's steps) pass through to the aggregation."""
    from commeval.index import evaluate

    with pytest.raises(ValueError) as exc:
        evaluate(tables, parse_framework(doc), mc_draws=0, settings=settings)
    msg = str(exc.value)
    assert msg.startswith(zh) and f" ({en}" in msg and msg.endswith(")"), msg  # English after


def test_unknown_column_says_fields_yaml_first():
    msg = error(with_source("100 * share(has_polce_room)"))
    why = reason(msg)
    assert why.startswith("数据约定中没有字段 'has_polce_room'（表 villages；拼写错误？"), msg
    assert "config/fields.yaml" in why and why.endswith("(unknown column villages.has_polce_room)")


def test_weighting_errors_in_chinese():
    doc = copy.deepcopy(mini_doc())
    fac = doc["dimensions"]["facilities"]
    fac["weighting"] = {"method": "combined", "rule": "sum"}
    msg = error(doc)
    assert reason(msg).startswith("须为 additive（加法合成）或 multiplicative（乘法合成）"), msg
    assert msg.endswith("(additive/multiplicative)")

    base = fac["indicators"]["police"]
    fac["indicators"] = {f"i{k}": {**base, "weight": 1 / 11} for k in range(11)}
    fac["weighting"] = {"method": "ahp", "matrix": [[1] * 11 for _ in range(11)]}
    msg = error(doc)
    assert "键 dimensions.facilities.weighting.matrix = '11×11'" in msg
    assert reason(msg).startswith("AHP 判断矩阵最多 10 阶") and "改用 fixed" in msg, msg
    assert msg.endswith("(Saaty's RI table covers n ≤ 10)")


def test_scorecard_sheet_without_a_header_row(tmp_path):
    from openpyxl import Workbook

    from commeval.index.scorecard_excel import import_scorecard

    wb = Workbook()
    wb.active.append(["序号", "内容", "得分"])
    wb.active.append([1, "村村有警务室", 10])
    wb.save(tmp_path / "card.xlsx")
    with pytest.raises(FrameworkError) as exc:
        import_scorecard(tmp_path / "card.xlsx")
    msg = str(exc.value)
    assert reason(msg).startswith("前 12 行中找不到表头：考核评分表的表头须有考核内容"), msg
    assert "分值（或标准分、分数）" in msg and msg.endswith("分值 and 评分标准)")
